import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DetectedTaxon } from "../storage/records.ts";
import { bearer, openApiFixture, seedOrganisation, type ApiFixture } from "./testing/api-fixture.ts";

const elephant: DetectedTaxon = { taxonId: 4521, scientificName: "Loxodonta africana", appendix: "I" };
const python: DetectedTaxon = { taxonId: 7000, scientificName: "Python regius", appendix: "II" };

describe("review queue, assignments, verdicts and precision over HTTP", () => {
  let fixture: ApiFixture;
  let keys: Record<string, string>;
  let userIds: Record<string, number>;
  let foreignKeys: Record<string, string>;
  let foreignUserIds: Record<string, number>;
  const ids: Record<string, number> = {};

  before(async () => {
    fixture = await openApiFixture();
    ({ keys, userIds } = await seedOrganisation(fixture.store, "unit", [
      "admin",
      "analyst",
      "reviewer",
      "platform_officer",
    ]));
    ({ keys: foreignKeys, userIds: foreignUserIds } = await seedOrganisation(fixture.store, "other", [
      "reviewer",
    ]));
    const organisationId = (await fixture.store.organisations.getBySlug("unit"))!.id;
    const market = await fixture.store.sources.upsert({
      organisationId,
      slug: "market",
      name: "Market",
      platform: "market-platform",
    });
    const forum = await fixture.store.sources.upsert({ organisationId, slug: "forum", name: "Forum" });
    const listings = [
      { key: "ivory", source: market.id, score: 0.92, taxa: [elephant], language: "en", country: "GB" },
      { key: "python", source: forum.id, score: 0.92, taxa: [python], language: "vi", country: "VN" },
      { key: "tusk", source: market.id, score: 0.75, taxa: [elephant], language: "fr", country: "CM" },
      { key: "quiet", source: market.id, score: 0.1, taxa: [python], language: "en", country: "GB" },
    ];
    for (const listing of listings) {
      const [result] = await fixture.store.listings.ingest([
        {
          sourceId: listing.source,
          listingKey: listing.key,
          observedAt: fixture.now(),
          url: `https://market.example/${listing.key}`,
          title: `${listing.key} for sale`,
          text: `${listing.key}, ship worldwide`,
          seller: "trader",
          priceAmount: 300,
          priceCurrency: "USD",
          language: listing.language,
          country: listing.country,
          detection: {
            taxa: listing.taxa,
            score: listing.score,
            verdict: listing.score > 0.5 ? "offer" : "mention",
            reasons: ["test"],
            detectorVersion: "detect-7",
          },
        },
      ]);
      ids[listing.key] = result!.listingId;
    }
  });
  after(() => fixture.close());

  const get = (url: string, secret = keys.analyst!) => fixture.app.inject({ url, headers: bearer(secret) });
  const assign = (listingId: number, userId: number | null, secret = keys.analyst!) =>
    fixture.app.inject({
      method: "PUT",
      url: `/v1/listings/${listingId}/assignment`,
      headers: bearer(secret),
      payload: { userId },
    });
  const queueIds = async (query = "", secret = keys.analyst!) => {
    const response = await get(`/v1/review-queue${query}`, secret);
    assert.equal(response.statusCode, 200, response.body);
    return (response.json().items as { listingId: number }[]).map((item) => item.listingId);
  };

  it("lists flagged listings by score then appendix, with what a reviewer needs to see", async () => {
    const response = await get("/v1/review-queue");
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.deepEqual(
      body.items.map((item: { listingId: number }) => item.listingId),
      [ids.ivory, ids.python, ids.tusk],
    );
    assert.deepEqual(body.items[0], {
      listingId: ids.ivory,
      title: "ivory for sale",
      url: "https://market.example/ivory",
      sourceId: body.items[0].sourceId,
      source: "market",
      platform: "market-platform",
      seller: "trader",
      price: { amount: 300, currency: "USD" },
      language: "en",
      country: "GB",
      score: 0.92,
      taxa: [{ taxonId: 4521, name: "Loxodonta africana", appendix: "I" }],
      assignee: null,
      firstSeenAt: fixture.now().toISOString(),
      lastSeenAt: fixture.now().toISOString(),
    });
    assert.equal(body.nextCursor, null);

    const first = (await get("/v1/review-queue?limit=2")).json();
    const second = (await get(`/v1/review-queue?limit=2&cursor=${first.nextCursor}`)).json();
    assert.deepEqual(
      [...first.items, ...second.items].map((item: { listingId: number }) => item.listingId),
      [ids.ivory, ids.python, ids.tusk],
    );
    assert.deepEqual(await queueIds("?source=forum"), [ids.python]);
    assert.deepEqual(await queueIds(`?source=${first.items[0].sourceId}`), [ids.ivory, ids.tusk]);
    assert.deepEqual(await queueIds("?taxon=Loxodonta&country=cm"), [ids.tusk]);
    assert.deepEqual(await queueIds("?language=vi"), [ids.python]);
    assert.equal((await get("/v1/review-queue?source=nowhere")).json().error.code, "source_not_found");
    assert.equal((await get("/v1/review-queue?assignee=someone")).statusCode, 400);
    assert.equal((await get("/v1/review-queue?cursor=broken")).json().error.code, "cursor_invalid");
    assert.equal((await get("/v1/review-queue", keys.platform_officer)).statusCode, 403);
    assert.deepEqual(
      await queueIds("", foreignKeys.reviewer),
      [],
      "another organisation's flags stay hidden",
    );
  });

  it("assigns listings to people who may review, and filters by assignee", async () => {
    const assigned = await assign(ids.python!, userIds.reviewer!);
    assert.equal(assigned.statusCode, 200, assigned.body);
    assert.deepEqual(assigned.json(), {
      listingId: ids.python,
      assignee: {
        userId: userIds.reviewer,
        displayName: "reviewer",
        assignedBy: assigned.json().assignee.assignedBy,
        assignedAt: fixture.now().toISOString(),
      },
    });
    assert.match(assigned.json().assignee.assignedBy, /^api-key:\d+$/);
    assert.deepEqual(await queueIds("?assignee=me", keys.reviewer), [ids.python]);
    assert.deepEqual(await queueIds(`?assignee=${userIds.reviewer}`), [ids.python]);
    assert.deepEqual(await queueIds("?assignee=none"), [ids.ivory, ids.tusk]);
    const queued = (await get("/v1/review-queue?assignee=me", keys.reviewer)).json().items[0];
    assert.deepEqual(queued.assignee, {
      userId: userIds.reviewer,
      displayName: "reviewer",
      assignedAt: fixture.now().toISOString(),
    });

    const refused = await assign(ids.ivory!, userIds.platform_officer!);
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().error.code, "assignee_cannot_review");
    assert.equal((await assign(ids.ivory!, foreignUserIds.reviewer!)).json().error.code, "user_not_found");
    assert.equal(
      (await assign(ids.ivory!, userIds.reviewer!, foreignKeys.reviewer)).json().error.code,
      "listing_not_found",
    );
    assert.equal((await assign(ids.ivory!, userIds.reviewer!, keys.platform_officer)).statusCode, 403);

    const cleared = await assign(ids.python!, null);
    assert.deepEqual(cleared.json(), { listingId: ids.python, assignee: null });
    assert.deepEqual(await queueIds("?assignee=me", keys.reviewer), []);
    const audit = await fixture.store.audit.list({ subjectType: "listing", subjectId: String(ids.python) });
    assert.deepEqual(
      audit.map((e) => e.action),
      ["review.assigned", "review.unassigned"],
    );
  });

  it("takes the four verdicts with a note, and a verdict takes the listing out of the queue", async () => {
    const post = (listingId: number, payload: object, secret = keys.reviewer!) =>
      fixture.app.inject({
        method: "POST",
        url: `/v1/listings/${listingId}/reviews`,
        headers: bearer(secret),
        payload,
      });
    const old = await post(ids.tusk!, { verdict: "offer" });
    assert.equal(old.statusCode, 400, "the detector's verdicts are not a person's");
    const recorded = await post(ids.tusk!, {
      verdict: "legal_offer",
      note: "  captive-bred, permit shown  ",
    });
    assert.equal(recorded.statusCode, 201, recorded.body);
    const [detection] = await fixture.store.listings.detections(ids.tusk!);
    assert.equal(recorded.json().verdict, "legal_offer");
    assert.equal(recorded.json().note, "captive-bred, permit shown");
    assert.equal(recorded.json().detectionId, detection!.id, "the verdict judges the current detection");
    assert.deepEqual(await queueIds(), [ids.ivory, ids.python]);

    assert.equal((await post(ids.ivory!, { verdict: "illegal_offer" })).statusCode, 201);
    assert.equal((await post(ids.python!, { verdict: "not_wildlife" })).statusCode, 201);
    assert.equal((await post(ids.quiet!, { verdict: "unsure" })).statusCode, 201);
    assert.deepEqual(await queueIds(), []);

    const report = await get("/v1/reports/precision?by=source&interval=week");
    assert.equal(report.statusCode, 200, report.body);
    const body = report.json();
    assert.deepEqual(
      {
        reviewed: body.reviewed,
        precision: body.precision,
        notFlagged: body.notFlagged,
        groups: body.groups.map((g: { key: string; precision: number }) => [g.key, g.precision]),
        periods: body.periods.length,
      },
      // ivory and tusk were offers, python was not wildlife; "quiet" was never a flag.
      {
        reviewed: 3,
        precision: 2 / 3,
        notFlagged: 1,
        groups: [
          ["market", 1],
          ["forum", 0],
        ],
        periods: 1,
      },
    );
    const byDetector = (await get("/v1/reports/precision?by=detector")).json();
    assert.deepEqual(
      byDetector.groups.map((g: { key: string; reviewed: number }) => [g.key, g.reviewed]),
      [["detect-7", 3]],
    );
    const later = new Date(fixture.now().getTime() + 1000).toISOString();
    assert.equal((await get(`/v1/reports/precision?from=${later}`)).json().reviewed, 0);
    const backwards = await get(`/v1/reports/precision?from=${later}&to=${fixture.now().toISOString()}`);
    assert.equal(backwards.json().error.code, "date_range_invalid");
    assert.equal((await get("/v1/reports/precision?by=colour")).statusCode, 400);
    assert.equal((await get("/v1/reports/precision", keys.platform_officer)).statusCode, 403);
  });
});
