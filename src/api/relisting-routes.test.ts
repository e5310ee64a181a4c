import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRelistingService } from "../services/relisting.ts";
import { bearer, openApiFixture, seedOrganisation, type ApiFixture } from "./testing/api-fixture.ts";

describe("GET /v1/listings/:id/relistings", () => {
  let fixture: ApiFixture;
  let keys: Record<string, string>;
  let otherKeys: Record<string, string>;
  let original: number;
  let copy: number;

  before(async () => {
    fixture = await openApiFixture();
    const { store } = fixture;
    const seeded = await seedOrganisation(store, "unit", ["analyst", "platform_officer"]);
    keys = seeded.keys;
    otherKeys = (await seedOrganisation(store, "elsewhere", ["analyst"])).keys;
    const source = await store.sources.upsert({
      organisationId: seeded.organisationId,
      slug: "a",
      name: "A",
    });
    const advert = {
      title: "Pangolin scales for sale, bulk",
      text: "Dried pangolin scales available in bulk, clean and sorted, from a trusted supplier. Minimum order 5 kg.",
    };
    const [first] = await store.listings.ingest([
      {
        sourceId: source.id,
        listingKey: "p1",
        observedAt: fixture.now(),
        url: "https://a.example/p1",
        ...advert,
      },
    ]);
    original = first!.listingId;
    await store.listings.markRemoved([original], fixture.now());
    fixture.advance(3_600_000);
    const [second] = await store.listings.ingest([
      {
        sourceId: source.id,
        listingKey: "p2",
        observedAt: fixture.now(),
        url: "https://a.example/p2",
        ...advert,
      },
    ]);
    copy = second!.listingId;
    await createRelistingService({ store }).checkRelistings([original, copy]);
  });
  after(() => fixture.close());

  it("shows the re-listing from either side, with its reasons", async () => {
    for (const id of [original, copy]) {
      const response = await fixture.app.inject({
        method: "GET",
        url: `/v1/listings/${id}/relistings`,
        headers: bearer(keys.analyst!),
      });
      assert.equal(response.statusCode, 200);
      const body = response.json() as { items: Record<string, unknown>[] };
      assert.equal(body.items.length, 1);
      assert.deepEqual(
        { ...body.items[0], id: 0, detectedAt: "" },
        {
          id: 0,
          originalListingId: original,
          newListingId: copy,
          reasons: [{ kind: "text", similarity: 1, simhashDistance: 0 }],
          detectedAt: "",
        },
      );
      assert.ok(!Number.isNaN(Date.parse(String(body.items[0]!.detectedAt))));
    }
  });

  it("answers another organisation's listing as a missing one, and needs a role that reads listings", async () => {
    const foreign = await fixture.app.inject({
      method: "GET",
      url: `/v1/listings/${original}/relistings`,
      headers: bearer(otherKeys.analyst!),
    });
    assert.equal(foreign.statusCode, 404);
    assert.equal((foreign.json() as { error: { code: string } }).error.code, "listing_not_found");
    const forbidden = await fixture.app.inject({
      method: "GET",
      url: `/v1/listings/${original}/relistings`,
      headers: bearer(keys.platform_officer!),
    });
    assert.equal(forbidden.statusCode, 403);
    const anonymous = await fixture.app.inject({ method: "GET", url: `/v1/listings/${original}/relistings` });
    assert.equal(anonymous.statusCode, 401);
  });

  it("is in the OpenAPI description", async () => {
    const spec = (await fixture.app.inject({ method: "GET", url: "/v1/openapi.json" })).json() as {
      paths: Record<string, unknown>;
    };
    assert.ok(spec.paths["/v1/listings/{id}/relistings"]);
  });
});
