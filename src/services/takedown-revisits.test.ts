import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createFetcher, type Fetcher } from "../trawl/fetcher.ts";
import { startTestServer, type TestServer } from "../trawl/test-server.ts";
import { buildTakedownReport } from "./takedown-report.ts";
import { createTakedownRevisits } from "./takedown-revisits.ts";
import { createTakedownService, type TakedownService } from "./takedowns.ts";
import { openTakedownWorld, type TakedownWorld } from "./testing/takedown-world.ts";

const day = 86_400_000;

const listingPage = (title: string) => `<!doctype html><html><head><title>${title}</title>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Product","name":"${title}",
"offers":{"@type":"Offer","price":"120","priceCurrency":"EUR"}}</script></head>
<body><h1>${title}</h1><p>Genuine old ivory bangle, ship worldwide</p></body></html>`;

describe("takedown revisits and the report", () => {
  let world: TakedownWorld;
  let service: TakedownService;
  let caller: { organisationId: number; actor: string };

  beforeEach(async () => {
    world = await openTakedownWorld();
    service = createTakedownService({
      store: world.store,
      templates: world.templates,
      mailer: null,
      from: null,
      clock: world.now,
    });
    caller = { organisationId: world.org.id, actor: "user:1" };
    await service.createPlatform(caller, {
      slug: "example-market",
      name: "Example Market",
      channels: { webFormUrl: "https://market.example/report" },
    });
  });
  afterEach(() => world.close());

  /** Drafts a notice for a judged listing and records it sent by hand at `sentAt`. */
  const noticeSent = async (key: string, sentAt: Date, url?: string) => {
    const listingId = await world.listing(key, "illegal_offer", url ? { url } : {});
    const id = (await service.draft(caller, { listingIds: [listingId] })).items[0]!.id;
    await service.send(caller, id, { reference: `F-${key}`, sentAt });
    return { id, listingId };
  };

  describe("revisits", () => {
    let server: TestServer;
    let fetcher: Fetcher;
    beforeEach(async () => {
      server = await startTestServer((request, response) => {
        const pages: Record<string, [number, string]> = {
          "/item/1": [404, "<h1>Not found</h1>"],
          "/item/2": [
            200,
            "<html><head><title>Ivory</title></head><body><h1>This listing has ended</h1></body></html>",
          ],
          "/item/3": [200, listingPage("Ivory bangle 3")],
          "/item/4": [403, "<h1>Forbidden</h1>"],
        };
        const [status, body] = pages[request.url ?? ""] ?? [404, ""];
        response.writeHead(status, { "content-type": "text/html; charset=utf-8" });
        response.end(body);
      });
      // Loopback is refused by the fetcher's SSRF policy unless allowed: this test's pages are on 127.0.0.1.
      fetcher = createFetcher({
        userAgent: "wildtrawl-test",
        allowPrivateNetwork: true,
        respectRobotsTxt: false,
        maxAttempts: 1,
        requestsPerSecondPerHost: 1000,
      });
    });
    afterEach(async () => {
      fetcher.close();
      await server.close();
    });

    it("moves the notice of an advert gone on revisit to removed at the time it was seen, and leaves live ones", async () => {
      world.setNow("2026-03-01T09:00:00.000Z");
      const sentAt = new Date("2026-03-01T09:00:00.000Z");
      const notices = [];
      for (const key of ["1", "2", "3", "4"])
        notices.push(await noticeSent(key, sentAt, server.url(`/item/${key}`).href));
      // The trawler saw listing 5 gone two days after its notice was sent.
      const trawled = await noticeSent("5", sentAt, "https://market.example/item/5");
      world.setNow("2026-03-03T09:00:00.000Z");
      await world.store.listings.markRemoved([trawled.listingId], world.now());
      const unsent = await world.listing("6", "illegal_offer");
      await service.draft(caller, { listingIds: [unsent] });

      world.setNow("2026-03-04T15:30:00.000Z");
      const revisits = createTakedownRevisits({ store: world.store, fetch: fetcher.fetch, clock: world.now });
      const summary = await revisits.revisit({ organisationId: world.org.id });
      assert.deepEqual(
        summary.items.map((i) => [i.listingId, i.outcome, i.reason]),
        [
          [notices[0]!.listingId, "removed", "HTTP 404"],
          [notices[1]!.listingId, "removed", 'page says "this listing has ended"'],
          [notices[2]!.listingId, "live", "schema.org product or posting"],
          [notices[3]!.listingId, "failed", "HTTP 403"],
          [trawled.listingId, "removed", "seen removed by the trawler"],
        ],
      );
      assert.deepEqual([summary.checked, summary.removed, summary.live, summary.failed], [5, 3, 1, 1]);

      const state = async (id: number) => (await world.store.takedowns.get(id))!.state;
      assert.equal(await state(notices[0]!.id), "removed");
      assert.equal(await state(notices[2]!.id), "sent");
      assert.equal(await state(notices[3]!.id), "sent");
      const removal = (await world.store.takedowns.events(notices[1]!.id)).at(-1)!;
      assert.equal(removal.observedAt?.toISOString(), "2026-03-04T15:30:00.000Z");
      assert.equal(removal.details.status, 200);
      assert.equal(
        (await world.store.listings.get(notices[0]!.listingId))!.removedAt?.toISOString(),
        "2026-03-04T15:30:00.000Z",
      );
      const trawledRemoval = (await world.store.takedowns.events(trawled.id)).at(-1)!;
      assert.equal(trawledRemoval.observedAt?.toISOString(), "2026-03-03T09:00:00.000Z");
      const live = await world.store.audit.list({
        subjectType: "takedown_notice",
        subjectId: String(notices[2]!.id),
      });
      assert.equal(live.at(-1)!.action, "takedown.revisited");
      assert.equal(live.at(-1)!.details.outcome, "live");

      // A second revisit checks only what is still out: the live and the failed one.
      world.setNow("2026-03-05T15:30:00.000Z");
      const again = await revisits.revisit();
      assert.deepEqual(
        again.items.map((i) => i.listingId),
        [notices[2]!.listingId, notices[3]!.listingId],
      );
    });
  });

  it("measures a made-up history with known answers, re-listings included", async () => {
    const sentAt = new Date("2026-03-02T10:00:00.000Z");
    world.setNow(sentAt);
    const removed = [];
    for (const [i, days] of [1, 2, 3, 4, 10].entries())
      removed.push({ days, ...(await noticeSent(`r${i}`, sentAt)) });
    await noticeSent("live", sentAt);
    // On another platform: sent in March, expired, sent again in April, removed half a day after that.
    await service.createPlatform(caller, {
      slug: "souk",
      name: "Souk",
      channels: { email: "abuse@souk.example" },
    });
    const soukSource = await world.store.sources.upsert({
      organisationId: world.org.id,
      slug: "souk",
      name: "Souk",
      platform: "Souk",
    });
    const soukListing = await world.listing("s1", "illegal_offer", { sourceId: soukSource.id });
    const souk = (await service.draft(caller, { listingIds: [soukListing] })).items[0]!.id;
    await service.send(caller, souk, { reference: "S-1", sentAt });

    world.setNow("2026-04-10T00:00:00.000Z");
    for (const { id, days } of removed)
      await service.transition(caller, id, {
        from: "sent",
        to: "removed",
        observedAt: new Date(sentAt.getTime() + days * day),
      });
    await service.transition(caller, souk, { from: "sent", to: "expired" });
    await service.send(caller, souk, { reference: "S-2", sentAt: new Date("2026-04-01T00:00:00.000Z") });
    await service.transition(caller, souk, {
      from: "sent",
      to: "removed",
      observedAt: new Date("2026-04-01T12:00:00.000Z"),
    });
    // The advert removed after 10 days came back: the re-listing detector found it.
    const comeback = await world.listing("comeback", null);
    await world.store.relistings.record(
      {
        originalListingId: removed[4]!.listingId,
        newListingId: comeback,
        reasons: [{ kind: "text", similarity: 0.97, simhashDistance: 2 }],
      },
      "system:test",
    );

    const report = (interval: "all" | "month") =>
      buildTakedownReport(
        { store: world.store, clock: world.now },
        { organisationId: world.org.id, interval },
      );
    const all = await report("all");
    assert.deepEqual(all.rows[0], {
      platform: "example-market",
      period: "all",
      noticesSent: 6,
      removed: 5,
      removalRate: 0.8333,
      medianDaysToRemoval: 3,
      p90DaysToRemoval: 10,
      relisted: 1,
      relistingRate: 0.2,
    });
    // Time to removal runs from the first sending: 2 March 10:00 to 1 April 12:00.
    assert.deepEqual(
      all.rows.slice(1).map((r) => [r.platform, r.noticesSent, r.removed, r.medianDaysToRemoval, r.relisted]),
      [
        ["souk", 1, 1, 30.08, 0],
        ["all", 7, 6, 3, 1],
      ],
    );
    const monthly = await report("month");
    assert.deepEqual(
      monthly.rows
        .filter((r) => r.platform === "all")
        .map((r) => [r.period, r.noticesSent, r.p90DaysToRemoval]),
      [["2026-03", 7, 30.08]],
      "a notice belongs to the month it was first sent in",
    );
    assert.match(all.definitions.percentiles, /nearest rank/);
  });
});
