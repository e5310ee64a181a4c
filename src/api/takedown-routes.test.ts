import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createSmtpMailer, type NoticeMailer } from "../services/takedown-mailer.ts";
import { startSmtpSink, type SmtpSink } from "../services/testing/takedown-world.ts";
import { openStore } from "../storage/open-store.ts";
import type { ContractDatabase } from "../storage/store.contract.ts";
import type { Store } from "../storage/store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { createApi, type ApiApp } from "./create-api.ts";
import { bearer, loadReference, seedOrganisation } from "./testing/api-fixture.ts";

describe("takedown API", () => {
  let database: ContractDatabase;
  let store: Store;
  let app: ApiApp;
  let sink: SmtpSink;
  let mailer: NoticeMailer;
  let keys: Record<string, string>;
  let otherKeys: Record<string, string>;
  let listingIds: number[];
  let now = new Date("2026-05-01T12:00:00.000Z");

  before(async () => {
    database = await newSqliteDatabase();
    store = await openStore(database.url, { clock: () => now });
    sink = await startSmtpSink();
    mailer = createSmtpMailer(sink.url, { timeoutMs: 5_000 });
    app = createApi({
      store,
      ...(await loadReference()),
      clock: () => now,
      version: "test",
      limits: { keyCacheMs: 0 },
      takedown: { mailer, from: "notices@unit.example" },
    });
    await app.ready();
    const seeded = await seedOrganisation(store, "unit", ["admin", "analyst", "reviewer", "secretariat"]);
    keys = seeded.keys;
    otherKeys = (await seedOrganisation(store, "other", ["admin"])).keys;
    const source = await store.sources.upsert({
      organisationId: seeded.organisationId,
      slug: "market",
      name: "Market",
      platform: "example-market",
    });
    const ingested = await store.listings.ingest(
      ["881", "882"].map((key) => ({
        sourceId: source.id,
        listingKey: `id:${key}`,
        observedAt: now,
        url: `https://market.example/item/${key}`,
        title: `Ivory <b>bangle</b> ${key}`,
        text: "old ivory",
        detection: {
          taxa: [{ taxonId: 4521, scientificName: "Loxodonta africana", appendix: "I" as const }],
          score: 0.9,
          verdict: "offer" as const,
          reasons: ["ivory"],
          detectorVersion: "t1",
        },
      })),
    );
    listingIds = ingested.map((i) => i.listingId);
    for (const listingId of listingIds)
      await store.reviews.record(
        {
          organisationId: seeded.organisationId,
          listingId,
          reviewerId: seeded.userIds.reviewer!,
          verdict: "illegal_offer",
        },
        "system:test",
      );
  });
  after(async () => {
    await app.close();
    mailer.close();
    await sink.close();
    await store.close();
    await database.drop();
  });

  const call = (method: "GET" | "POST" | "PUT", url: string, role = "analyst", body?: unknown) =>
    app.inject({
      method,
      url,
      headers: bearer(keys[role]!),
      ...(body !== undefined ? { payload: body as object } : {}),
    });

  it("adds, lists, shows and replaces platform profiles, within the organisation and the roles", async () => {
    const platform = {
      slug: "example-market",
      name: "Example Market",
      countries: ["FR"],
      channels: { email: "abuse@market.example" },
      legalBases: { dsaArticle16: true, policyUrl: "https://market.example/policy" },
      defaultLanguage: "en",
    };
    const created = await call("POST", "/v1/platforms", "analyst", platform);
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().channels.email, "abuse@market.example");
    assert.equal(
      (await call("POST", "/v1/platforms", "analyst", platform)).json().error.code,
      "platform_exists",
    );
    const bad = await call("POST", "/v1/platforms", "analyst", {
      ...platform,
      slug: "souk",
      channels: { email: "x" },
    });
    assert.deepEqual([bad.statusCode, bad.json().error.code], [400, "platform_invalid"]);
    assert.equal(
      (await call("POST", "/v1/platforms", "reviewer", { ...platform, slug: "souk" })).statusCode,
      403,
    );

    const souk = await call("PUT", "/v1/platforms/souk", "admin", {
      name: "Souk",
      channels: { webFormUrl: "https://souk.example/report" },
    });
    assert.equal(souk.statusCode, 201);
    const renamed = await call("PUT", "/v1/platforms/souk", "admin", { name: "Souk.example" });
    assert.deepEqual([renamed.statusCode, renamed.json().name], [200, "Souk.example"]);
    assert.deepEqual(
      (await call("GET", "/v1/platforms", "secretariat")).json().items.map((p: { slug: string }) => p.slug),
      ["example-market", "souk"],
    );
    assert.equal((await call("GET", "/v1/platforms/example-market")).json().legalBases.dsaArticle16, true);
    const elsewhere = await app.inject({
      method: "GET",
      url: "/v1/platforms/example-market",
      headers: bearer(otherKeys.admin!),
    });
    assert.deepEqual([elsewhere.statusCode, elsewhere.json().error.code], [404, "platform_not_found"]);
  });

  it("drafts, lists, shows, sends and moves notices, and reports on them", async () => {
    const drafts = [];
    for (let i = 0; i < 3; i++) drafts.push(await call("POST", "/v1/takedowns", "analyst", { listingIds }));
    assert.equal(drafts[0]!.statusCode, 200, drafts[0]!.body);
    const first = drafts[0]!.json();
    assert.equal(first.created, 2);
    assert.deepEqual(
      drafts[2]!.json().items.map((n: { id: number }) => n.id),
      first.items.map((n: { id: number }) => n.id),
    );
    assert.equal(drafts[2]!.json().created, 0);
    assert.deepEqual(first.groups, [
      { platform: "example-market", noticeIds: first.items.map((n: { id: number }) => n.id) },
    ]);
    assert.equal((await call("POST", "/v1/takedowns", "reviewer", { listingIds })).statusCode, 403);
    const [a, b] = first.items.map((n: { id: number }) => n.id) as [number, number];

    const listed = await call("GET", "/v1/takedowns?platform=example-market&state=drafted", "secretariat");
    assert.deepEqual(
      listed.json().items.map((n: { id: number; state: string }) => [n.id, n.state]),
      [
        [a, "draft"],
        [b, "draft"],
      ],
    );
    for (const field of ["id", "listingId", "platform", "state", "createdAt", "updatedAt"])
      assert.ok(field in listed.json().items[0], field);

    // The dashboard may post no body at all: that is an e-mail send, not a malformed request.
    const noBody = await app.inject({
      method: "POST",
      url: "/v1/takedowns/999999/send",
      headers: bearer(keys.analyst!),
    });
    assert.deepEqual([noBody.statusCode, noBody.json().error.code], [404, "takedown_not_found"]);

    now = new Date("2026-05-02T12:00:00.000Z");
    const sent = await call("POST", `/v1/takedowns/${a}/send`, "analyst", {});
    assert.deepEqual([sent.statusCode, sent.json().state], [200, "sent"], sent.body);
    assert.equal(sink.messages.length, 1);
    assert.match(
      sink.messages[0]!.text ?? "",
      /“Ivory <b>bangle<\/b> 881”/,
      "plain text, quoted as published",
    );
    const byHand = await call("POST", `/v1/takedowns/${b}/send`, "analyst", {
      reference: "WEB-1",
      sentAt: "2026-05-02T08:00:00.000Z",
    });
    assert.equal(byHand.json().state, "sent");

    now = new Date("2026-05-06T12:00:00.000Z");
    const acknowledged = await call("POST", `/v1/takedowns/${a}/transitions`, "analyst", {
      from: "sent",
      to: "acknowledged",
    });
    assert.equal(acknowledged.json().state, "acknowledged");
    const removed = await call("POST", `/v1/takedowns/${a}/transitions`, "analyst", {
      from: "acknowledged",
      to: "removed",
      observedAt: "2026-05-05T12:00:00.000Z",
      note: "platform confirmed",
    });
    assert.equal(removed.json().state, "removed");
    const stale = await call("POST", `/v1/takedowns/${a}/transitions`, "analyst", {
      from: "sent",
      to: "refused",
    });
    assert.deepEqual([stale.statusCode, stale.json().error.code], [409, "takedown_state_changed"]);
    const viaTransition = await call("POST", `/v1/takedowns/${b}/transitions`, "analyst", {
      from: "draft",
      to: "sent",
    });
    assert.deepEqual([viaTransition.statusCode, viaTransition.json().error.code], [400, "takedown_use_send"]);

    const detail = (await call("GET", `/v1/takedowns/${a}`, "secretariat")).json();
    assert.deepEqual(
      detail.events.map((e: { toState: string }) => e.toState),
      ["draft", "queued", "sent", "acknowledged", "removed"],
    );
    assert.equal(detail.events[4].observedAt, "2026-05-05T12:00:00.000Z");
    assert.equal(detail.json.listing.platformListingId, "881");
    assert.match(detail.text, /Loxodonta africana: CITES Appendix I/);
    const missing = await app.inject({
      method: "GET",
      url: `/v1/takedowns/${a}`,
      headers: bearer(otherKeys.admin!),
    });
    assert.equal(missing.statusCode, 404);

    const json = (await call("GET", "/v1/reports/takedowns?format=json&interval=all", "secretariat")).json();
    assert.deepEqual(
      json.rows.map(
        (r: { platform: string; noticesSent: number; removed: number; medianDaysToRemoval: number }) => [
          r.platform,
          r.noticesSent,
          r.removed,
          r.medianDaysToRemoval,
        ],
      ),
      [
        ["example-market", 2, 1, 3],
        ["all", 2, 1, 3],
      ],
    );
    const csv = await call("GET", "/v1/reports/takedowns?format=csv&interval=week");
    assert.match(csv.headers["content-type"] as string, /^text\/csv/);
    assert.equal(csv.body.split("\r\n")[1], "example-market,2026-W18,2,1,0.5,3,3,0,0");
    const html = await call("GET", "/v1/reports/takedowns?format=html");
    assert.match(html.headers["content-type"] as string, /^text\/html/);
    assert.match(html.body, /<td>example-market<\/td><td>2026-05<\/td>/);
    assert.equal((await call("GET", "/v1/reports/takedowns?format=pdf")).statusCode, 400);
  });
});
