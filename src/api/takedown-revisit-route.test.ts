import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { openStore } from "../storage/open-store.ts";
import type { ContractDatabase } from "../storage/store.contract.ts";
import type { Store } from "../storage/store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { createApi, type ApiApp } from "./create-api.ts";
import { bearer, loadReference, seedOrganisation } from "./testing/api-fixture.ts";

describe("POST /v1/takedowns/revisits", () => {
  let database: ContractDatabase;
  let store: Store;
  let app: ApiApp;
  let site: Server;
  let keys: Record<string, string>;
  let otherKeys: Record<string, string>;
  const noticeIds: Record<string, number> = {};

  before(async () => {
    // The marketplace: one advert taken down (404), one still there.
    site = createServer((request, response) => {
      if (request.url === "/item/gone") response.writeHead(404).end("<html><body>Not found</body></html>");
      else
        response
          .writeHead(200, { "content-type": "text/html; charset=utf-8" })
          .end(
            "<html><head><title>Ivory bangle</title></head><body><h1>Ivory bangle</h1><p>£180</p></body></html>",
          );
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;

    database = await newSqliteDatabase();
    store = await openStore(database.url);
    app = createApi({
      store,
      ...(await loadReference()),
      clock: () => new Date(),
      version: "test",
      limits: { keyCacheMs: 0 },
      takedown: { revisitPrivateNetwork: true },
    });
    await app.ready();
    const seeded = await seedOrganisation(store, "unit", ["admin", "analyst", "secretariat"]);
    keys = seeded.keys;
    otherKeys = (await seedOrganisation(store, "other", ["admin"])).keys;
    const source = await store.sources.upsert({
      organisationId: seeded.organisationId,
      slug: "market",
      name: "Market",
      platform: "example-market",
    });
    const listings = await store.listings.ingest(
      ["gone", "live"].map((key) => ({
        sourceId: source.id,
        listingKey: `id:${key}`,
        observedAt: new Date(),
        url: `${origin}/item/${key}`,
        title: "Ivory bangle",
        text: "old ivory bangle",
      })),
    );
    for (const [index, key] of ["gone", "live"].entries()) {
      const { notice } = await store.takedowns.create(
        {
          organisationId: seeded.organisationId,
          listingId: listings[index]!.listingId,
          platform: "example-market",
          idempotencyKey: `revisit-${key}`,
        },
        "system:test",
      );
      await store.takedowns.transition(notice.id, { from: "draft", to: "queued" }, "system:test");
      await store.takedowns.transition(notice.id, { from: "queued", to: "sent" }, "system:test");
      noticeIds[key] = notice.id;
    }
  });
  after(async () => {
    await app.close();
    await store.close();
    await database.drop();
    await new Promise((resolve) => site.close(resolve));
  });

  it("fetches the organisation's noticed adverts: the gone one's notice moves to removed, the live one stays", async () => {
    const other = await app.inject({
      method: "POST",
      url: "/v1/takedowns/revisits",
      headers: bearer(otherKeys.admin!),
    });
    assert.equal(other.statusCode, 200);
    assert.equal(other.json().checked, 0, "another organisation's notices are not touched");

    const refused = await app.inject({
      method: "POST",
      url: "/v1/takedowns/revisits",
      headers: bearer(keys.secretariat!),
    });
    assert.equal(refused.statusCode, 403);

    const response = await app.inject({
      method: "POST",
      url: "/v1/takedowns/revisits",
      headers: bearer(keys.analyst!),
    });
    assert.equal(response.statusCode, 200, response.body);
    const summary = response.json() as {
      checked: number;
      removed: number;
      live: number;
      incomplete: boolean;
      items: Array<{ noticeId: number; outcome: string; reason: string }>;
    };
    assert.deepEqual([summary.checked, summary.removed, summary.live, summary.incomplete], [2, 1, 1, false]);
    assert.equal(summary.items.find((item) => item.noticeId === noticeIds.gone)?.reason, "HTTP 404");
    assert.equal((await store.takedowns.get(noticeIds.gone!))?.state, "removed");
    assert.equal((await store.takedowns.get(noticeIds.live!))?.state, "sent");
  });
});
