/**
 * The one contract both stores keep. sqlite/sqlite-store.test.ts and postgres/postgres-store.test.ts each run it
 * against a real database; a behaviour that differs between them is a bug in one of them.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, it } from "node:test";
import fc from "fast-check";
import { UsageError } from "../core/errors.ts";
import { verifyChain } from "./hash-chain.ts";
import { encodeListingCursor } from "./listing-cursor.ts";
import { migrations } from "./migrations/migrations.ts";
import { openStore } from "./open-store.ts";
import type { ClaimedJob, DetectionInput, ListingObservation, Organisation, Source } from "./records.ts";
import { auditHashedFields } from "./sql/audit-repository.ts";
import { custodyHashedFields } from "./sql/evidence-repository.ts";
import { sessionContract } from "./session.contract.ts";
import { rateLimitContract } from "./rate-limit.contract.ts";
import { takedownContract } from "./takedown.contract.ts";
import { reviewContract } from "./review.contract.ts";
import { caseContract } from "./case.contract.ts";
import { sharingContract } from "./sharing.contract.ts";
import { relistingContract } from "./relisting.contract.ts";
import { statisticsContract } from "./statistics.contract.ts";
import { ConflictError, LeaseLostError } from "./storage-errors.ts";
import type { Store } from "./store.ts";

/** A fresh, empty database for one test, and a way to reach it without the Store (to prove what the Store hides). */
export interface ContractDatabase {
  readonly url: string;
  /** Runs SQL directly, as someone with the application's database login could. */
  exec(sql: string): Promise<void>;
  /** Every row of a table, straight from the database. */
  rows(table: string): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

const actor = "system:contract";
const t0 = new Date("2026-03-01T10:00:00.000Z");
const minutes = (n: number) => new Date(t0.getTime() + n * 60_000);
const hex = (seed: string) => seed.repeat(64).slice(0, 64);

const elephant = { taxonId: 4521, scientificName: "Loxodonta africana", appendix: "I" } as const;
const pangolin = { taxonId: 9900, scientificName: "Manis javanica", appendix: "I" } as const;
const pythonTaxon = { taxonId: 7000, scientificName: "Python regius", appendix: "II" } as const;

function detection(overrides: Partial<DetectionInput> = {}): DetectionInput {
  return {
    taxa: [elephant],
    score: 0.91,
    verdict: "offer",
    reasons: ["'ivory' names an elephant product", "price given"],
    detectorVersion: "detect-1",
    ...overrides,
  };
}

export function storeContract(newDatabase: () => Promise<ContractDatabase>): void {
  let database: ContractDatabase;
  let store: Store;
  const extraStores: Store[] = [];
  let org: Organisation;
  let source: Source;

  const openAnother = async () => {
    const another = await openStore(database.url);
    extraStores.push(another);
    return another;
  };

  const observation = (key: string, overrides: Partial<ListingObservation> = {}): ListingObservation => ({
    sourceId: source.id,
    listingKey: key,
    observedAt: t0,
    url: `https://market.example/item/${key}`,
    title: `Item ${key}`,
    text: `Listing ${key}`,
    ...overrides,
  });

  beforeEach(async () => {
    database = await newDatabase();
    store = await openStore(database.url);
    org = await store.organisations.create({ slug: "wildlife-unit", name: "Wildlife Unit" }, actor);
    source = await store.sources.upsert({
      organisationId: org.id,
      slug: "market",
      name: "Market",
      platform: "market",
    });
  });

  afterEach(async () => {
    for (const another of extraStores.splice(0)) await another.close();
    await store.close();
    await database.drop();
  });

  describe("organisations, users and API keys", () => {
    it("creates organisations once, and refuses a second with the same slug", async () => {
      assert.deepEqual(await store.organisations.getBySlug("wildlife-unit"), org);
      assert.deepEqual(await store.organisations.get(org.id), org);
      await assert.rejects(
        store.organisations.create({ slug: "wildlife-unit", name: "Again" }, actor),
        (e: unknown) => e instanceof ConflictError && e.code === "organisation_exists",
      );
      await assert.rejects(store.organisations.create({ slug: "Bad Slug", name: "x" }, actor), UsageError);
      assert.equal((await store.organisations.list()).length, 1);
    });

    it("keeps emails case-insensitive and unique, and disables users", async () => {
      const user = await store.users.create(
        { organisationId: org.id, email: "Ana.Analyst@Example.org", displayName: "Ana", role: "analyst" },
        actor,
      );
      assert.equal(user.email, "ana.analyst@example.org");
      assert.equal((await store.users.getByEmail("ANA.ANALYST@example.org"))?.id, user.id);
      await assert.rejects(
        store.users.create(
          { organisationId: org.id, email: "ana.analyst@example.org", displayName: "x", role: "admin" },
          actor,
        ),
        ConflictError,
      );
      await assert.rejects(
        store.users.create(
          { organisationId: org.id, email: "x@example.org", displayName: "x", role: "king" as never },
          actor,
        ),
        UsageError,
      );
      const disabled = await store.users.disable(user.id, actor);
      assert.ok(disabled.disabledAt instanceof Date);
    });

    it("stores API keys hashed: the secret authenticates until revoked and is nowhere in the database", async () => {
      const { apiKey, secret } = await store.apiKeys.create(
        { organisationId: org.id, name: "platform", scopes: ["screen"] },
        actor,
      );
      assert.match(secret, /^wt_[A-Za-z0-9_-]{43}$/);
      assert.equal(apiKey.prefix, secret.slice(0, 10));
      assert.deepEqual(apiKey.scopes, ["screen"]);
      const authenticated = await store.apiKeys.authenticate(secret);
      assert.equal(authenticated?.id, apiKey.id);
      assert.ok(authenticated?.lastUsedAt instanceof Date);
      assert.equal(await store.apiKeys.authenticate(`${secret}x`), null);
      for (const row of await database.rows("api_keys"))
        assert.ok(!JSON.stringify(row).includes(secret.slice(10)));
      await store.apiKeys.revoke(apiKey.id, actor);
      assert.equal(await store.apiKeys.authenticate(secret), null);
      const actions = (await store.audit.list()).map((e) => e.action);
      assert.deepEqual(actions, ["organisation.created", "api_key.created", "api_key.revoked"]);
    });
  });

  describe("sources, trawl runs and pages", () => {
    it("upserts sources by organisation and slug", async () => {
      const again = await store.sources.upsert({
        organisationId: org.id,
        slug: "market",
        name: "Market (renamed)",
        config: { a: 1 },
      });
      assert.equal(again.id, source.id);
      assert.equal(again.name, "Market (renamed)");
      assert.deepEqual(again.config, { a: 1 });
      assert.equal((await store.sources.list(org.id)).length, 1);
    });

    it("records trawl runs from start to finish", async () => {
      const run = await store.sources.startRun(source.id);
      assert.equal(run.state, "running");
      const finished = await store.sources.finishRun(run.id, { state: "finished", stats: { pages: 12 } });
      assert.equal(finished.state, "finished");
      assert.deepEqual(finished.stats, { pages: 12 });
      assert.ok(finished.finishedAt instanceof Date);
    });

    it("records a fetched page once per WARC record, however often it is replayed", async () => {
      const run = await store.sources.startRun(source.id);
      const page = {
        sourceId: source.id,
        trawlRunId: run.id,
        url: "https://market.example/search?q=ivory",
        finalUrl: "https://market.example/search?q=ivory&page=1",
        statusCode: 200,
        contentType: "text/html",
        fetchedAt: t0,
        sha256: hex("ab"),
        byteLength: 5120,
        warc: { file: "crawl-00001.warc.gz", offset: 1024, length: 2048 },
      };
      const first = await store.pages.record(page);
      const second = await store.pages.record(page);
      assert.equal(second.id, first.id);
      assert.deepEqual(await store.pages.get(first.id), first);
      assert.deepEqual(first.warc, page.warc);
      assert.equal(first.fetchedAt.toISOString(), t0.toISOString());
    });
  });

  describe("listings and their history", () => {
    it("records a new listing with its first version and detection", async () => {
      const [result] = await store.listings.ingest([
        observation("a1", {
          priceAmount: 350,
          priceCurrency: "usd",
          language: "EN",
          country: "vn",
          detection: detection(),
        }),
      ]);
      assert.deepEqual(
        { ...result, listingId: 0 },
        { listingId: 0, version: 1, change: "new", detectionRecorded: true },
      );
      const listing = (await store.listings.get(result!.listingId))!;
      assert.equal(listing.priceCurrency, "USD");
      assert.equal(listing.language, "en");
      assert.equal(listing.country, "VN");
      assert.equal(listing.verdict, "offer");
      assert.deepEqual(listing.taxa, [elephant]);
      assert.equal(listing.firstSeenAt.toISOString(), t0.toISOString());
      assert.deepEqual(await store.listings.getByKey(source.id, "a1"), listing);
      const history = await store.listings.history(listing.id);
      assert.equal(history.length, 1);
      assert.equal(history[0]!.contentHash, listing.contentHash);
      const detections = await store.listings.detections(listing.id);
      assert.equal(detections.length, 1);
      assert.deepEqual(detections[0]!.reasons, detection().reasons);
      assert.deepEqual(detections[0]!.taxa, [elephant]);
    });

    it("is idempotent: replaying a batch three times changes nothing but when it was last seen (R2)", async () => {
      const batch = ["a", "b", "c"].map((k) => observation(k, { detection: detection() }));
      await store.listings.ingest(batch);
      for (const at of [minutes(1), minutes(2), minutes(3)]) {
        const results = await store.listings.ingest(batch.map((o) => ({ ...o, observedAt: at })));
        assert.deepEqual(
          results.map((r) => [r.change, r.version, r.detectionRecorded]),
          [
            ["unchanged", 1, false],
            ["unchanged", 1, false],
            ["unchanged", 1, false],
          ],
        );
      }
      for (const table of ["listings", "listing_versions", "detections", "listing_taxa"]) {
        assert.equal((await database.rows(table)).length, 3, table);
      }
      const listing = (await store.listings.getByKey(source.id, "a"))!;
      assert.equal(listing.firstSeenAt.toISOString(), t0.toISOString());
      assert.equal(listing.lastSeenAt.toISOString(), minutes(3).toISOString());
    });

    it("keeps every changed version, and drops a detection that no longer describes the content", async () => {
      const [first] = await store.listings.ingest([observation("a", { detection: detection() })]);
      const [second] = await store.listings.ingest([
        observation("a", {
          observedAt: minutes(5),
          text: "Listing a, now with a python skin bag",
          priceAmount: 90,
        }),
      ]);
      assert.equal(second!.listingId, first!.listingId);
      assert.equal(second!.change, "changed");
      assert.equal(second!.version, 2);
      let listing = (await store.listings.get(first!.listingId))!;
      assert.equal(listing.verdict, null, "the old detection described the old text");
      assert.deepEqual(listing.taxa, []);
      assert.equal((await store.listings.search({ taxon: "Loxodonta" })).items.length, 0);

      const recorded = await store.listings.recordDetections([
        {
          listingId: listing.id,
          contentHash: listing.contentHash,
          detection: detection({ taxa: [pythonTaxon], verdict: "mention" }),
        },
      ]);
      assert.equal(recorded, 1);
      listing = (await store.listings.get(first!.listingId))!;
      assert.equal(listing.verdict, "mention");
      assert.deepEqual(listing.taxa, [pythonTaxon]);

      const history = await store.listings.history(listing.id);
      assert.deepEqual(
        history.map((v) => [v.version, v.removed, v.priceAmount, v.observedAt.toISOString()]),
        [
          [1, false, null, t0.toISOString()],
          [2, false, 90, minutes(5).toISOString()],
        ],
      );
      // A detection for content the listing had before is kept in the record, but does not become current.
      const old = await store.listings.recordDetections([
        {
          listingId: listing.id,
          contentHash: history[0]!.contentHash,
          detection: detection({ detectorVersion: "detect-2" }),
        },
      ]);
      assert.equal(old, 1);
      assert.equal((await store.listings.get(listing.id))!.verdict, "mention");
      assert.equal((await store.listings.detections(listing.id)).length, 3);
      await assert.rejects(
        store.listings.recordDetections([
          { listingId: listing.id, contentHash: hex("0"), detection: detection() },
        ]),
        (e: unknown) => e instanceof UsageError && e.code === "content_hash_unknown",
      );
    });

    it("gives every version its own content back, also when content returns to an earlier state", async () => {
      const texts = ["first", "second", "first", "third"];
      for (const [i, text] of texts.entries()) {
        await store.listings.ingest([observation("h", { text, observedAt: minutes(i) })]);
      }
      const [reverted] = await store.listings.ingest([
        observation("h2", { text: "one" }),
        observation("h2", { text: "two", observedAt: minutes(1) }),
        observation("h2", { text: "one", observedAt: minutes(2) }),
      ]);
      const listing = (await store.listings.getByKey(source.id, "h"))!;
      assert.deepEqual(
        (await store.listings.history(listing.id)).map((v) => v.text),
        texts,
      );
      await store.listings.markRemoved([listing.id], minutes(9));
      await store.listings.ingest([observation("h", { text: "fourth", observedAt: minutes(10) })]);
      assert.deepEqual(
        (await store.listings.history(listing.id)).map((v) => [v.text, v.removed]),
        [...texts.map((t) => [t, false]), ["third", true], ["fourth", false]],
      );
      assert.deepEqual(
        (await store.listings.history(reverted!.listingId)).map((v) => v.text),
        ["one", "two", "one"],
      );
    });

    it("records removal and reappearance as versions", async () => {
      const [a] = await store.listings.ingest([observation("a", { detection: detection() })]);
      assert.equal(await store.listings.markRemoved([a!.listingId], minutes(10)), 1);
      assert.equal(await store.listings.markRemoved([a!.listingId], minutes(11)), 0, "already removed");
      let listing = (await store.listings.get(a!.listingId))!;
      assert.equal(listing.removedAt?.toISOString(), minutes(10).toISOString());
      assert.equal(listing.version, 2);
      assert.equal(listing.verdict, "offer", "removal does not change what the advert said");
      assert.equal((await store.listings.search({ removed: true })).items.length, 1);
      assert.equal((await store.listings.search({ removed: false })).items.length, 0);

      const [back] = await store.listings.ingest([observation("a", { observedAt: minutes(20) })]);
      assert.equal(back!.change, "reappeared");
      listing = (await store.listings.get(a!.listingId))!;
      assert.equal(listing.removedAt, null);
      assert.deepEqual(
        (await store.listings.history(listing.id)).map((v) => [v.version, v.removed]),
        [
          [1, false],
          [2, true],
          [3, false],
        ],
      );
    });

    it("handles the same listing twice in one batch, in order", async () => {
      const results = await store.listings.ingest([
        observation("dup", { text: "first text" }),
        observation("dup", { text: "second text", observedAt: minutes(1), detection: detection() }),
        observation("dup", { text: "second text", observedAt: minutes(2), detection: detection() }),
      ]);
      assert.deepEqual(
        results.map((r) => [r.change, r.version, r.detectionRecorded]),
        [
          ["new", 1, false],
          ["changed", 2, true],
          ["unchanged", 2, false],
        ],
      );
      const listing = (await store.listings.getByKey(source.id, "dup"))!;
      assert.equal(listing.text, "second text");
      assert.equal(listing.lastSeenAt.toISOString(), minutes(2).toISOString());
      assert.equal((await store.listings.history(listing.id)).length, 2);
      assert.equal((await store.listings.search({ query: "second" })).items.length, 1);
      assert.equal((await store.listings.search({ query: "first" })).items.length, 0);
    });

    it("refuses a batch with a bad sighting, writing nothing of it", async () => {
      const bad = [observation("ok"), observation("bad", { detection: detection({ score: 1.5 }) })];
      await assert.rejects(
        store.listings.ingest(bad),
        (e: unknown) => e instanceof UsageError && /observation 1/.test(e.message),
      );
      await assert.rejects(store.listings.ingest([observation("x", { sourceId: 999_999 })]), UsageError);
      await assert.rejects(store.listings.ingest([observation("x", { country: "Viet Nam" })]), UsageError);
      assert.equal((await database.rows("listings")).length, 0);
    });
  });

  describe("search", () => {
    async function seed() {
      const other = await store.sources.upsert({ organisationId: org.id, slug: "forum", name: "Forum" });
      const rows: ListingObservation[] = [
        observation("ivory-1", {
          title: "Carved ivory bangle",
          text: "Genuine old ivory, ship worldwide, DM for price",
          language: "en",
          country: "GB",
          detection: detection(),
        }),
        observation("ivory-2", {
          title: "Ivory-look resin bangle",
          text: "Faux ivory made of resin. Not real.",
          language: "en",
          country: "US",
          observedAt: minutes(60),
          detection: detection({ verdict: "none", score: 0.1 }),
        }),
        observation("zh-1", {
          title: "出售象牙手镯",
          text: "正品象牙，微信联系",
          language: "zh",
          country: "CN",
          observedAt: minutes(120),
          detection: detection(),
        }),
        observation("vi-1", {
          title: "Bán vảy tê tê",
          text: "Vảy tê tê thật, giao hàng toàn quốc",
          language: "vi",
          country: "VN",
          observedAt: minutes(180),
          detection: detection({ taxa: [pangolin] }),
        }),
        observation("python-1", {
          sourceId: other.id,
          title: "Royal python, captive bred",
          text: "Python regius for sale, CITES paperwork",
          language: "en",
          country: "DE",
          observedAt: minutes(240),
          detection: detection({ taxa: [pythonTaxon], verdict: "offer" }),
        }),
      ];
      await store.listings.ingest(rows);
      return other;
    }

    const keysOf = async (search: Parameters<Store["listings"]["search"]>[0]) =>
      (await store.listings.search(search)).items.map((l) => l.listingKey);

    it("matches words, phrases and prefixes, with accents folded and Chinese found inside words", async () => {
      await seed();
      assert.deepEqual(await keysOf({ query: "ivory" }), ["ivory-2", "ivory-1"]);
      assert.deepEqual(await keysOf({ query: "IVORY bangle carved" }), ["ivory-1"]);
      assert.deepEqual(await keysOf({ query: '"old ivory"' }), ["ivory-1"]);
      assert.deepEqual(await keysOf({ query: '"ivory old"' }), []);
      assert.deepEqual(await keysOf({ query: "ivo*" }), ["ivory-2", "ivory-1"]);
      assert.deepEqual(await keysOf({ query: "vay te te" }), ["vi-1"], "Vietnamese without its accents");
      assert.deepEqual(await keysOf({ query: "vảy" }), ["vi-1"]);
      assert.deepEqual(await keysOf({ query: "象牙" }), ["zh-1"]);
      assert.deepEqual(await keysOf({ query: "象牙手镯" }), ["zh-1"]);
      assert.deepEqual(await keysOf({ query: "象" }), ["zh-1"]);
      assert.deepEqual(await keysOf({ query: "牙象" }), []);
      assert.deepEqual(await keysOf({ query: "" }), ["python-1", "vi-1", "zh-1", "ivory-2", "ivory-1"]);
    });

    it("filters by taxon (a genus finds its species), taxon id, appendix, verdict, source, language, country and dates", async () => {
      const forum = await seed();
      assert.deepEqual(await keysOf({ taxon: "Loxodonta" }), ["zh-1", "ivory-2", "ivory-1"]);
      assert.deepEqual(await keysOf({ taxon: "loxodonta africana" }), ["zh-1", "ivory-2", "ivory-1"]);
      assert.deepEqual(await keysOf({ taxon: "Loxodont" }), [], "a genus is a whole word");
      assert.deepEqual(await keysOf({ taxonId: pangolin.taxonId }), ["vi-1"]);
      assert.deepEqual(await keysOf({ appendix: "II" }), ["python-1"]);
      assert.deepEqual(await keysOf({ taxon: "Python", appendix: "I" }), [], "same taxon, both conditions");
      assert.deepEqual(await keysOf({ verdict: "none" }), ["ivory-2"]);
      assert.deepEqual(await keysOf({ query: "ivory", verdict: "offer" }), ["ivory-1"]);
      assert.deepEqual(await keysOf({ sourceId: forum.id }), ["python-1"]);
      assert.deepEqual(await keysOf({ language: "ZH" }), ["zh-1"]);
      assert.deepEqual(await keysOf({ country: "vn" }), ["vi-1"]);
      assert.deepEqual(
        await keysOf({ organisationId: org.id, seenFrom: minutes(100), seenTo: minutes(200) }),
        ["vi-1", "zh-1"],
      );
      await assert.rejects(store.listings.search({ appendix: "IV" as never }), UsageError);
      await assert.rejects(store.listings.search({ verdict: "maybe" as never }), UsageError);
    });

    it("pages with an opaque cursor that stays stable while listings arrive", async () => {
      await store.listings.ingest(
        Array.from({ length: 25 }, (_, i) => observation(`p${i}`, { text: "ivory item" })),
      );
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listings.search({ query: "ivory", limit: 10, cursor });
        seen.push(...page.items.map((l) => l.listingKey));
        cursor = page.nextCursor ?? undefined;
        pages += 1;
        // New listings between pages sort before the cursor: the rest of the walk neither repeats nor skips.
        await store.listings.ingest([observation(`new-${pages}`, { text: "ivory item" })]);
      } while (cursor !== undefined);
      assert.equal(pages, 3);
      assert.deepEqual(
        seen,
        Array.from({ length: 25 }, (_, i) => `p${24 - i}`),
      );
      await assert.rejects(
        store.listings.search({ cursor: "not-a-cursor" }),
        (e: unknown) => e instanceof UsageError && e.code === "cursor_invalid",
      );
      assert.equal((await store.listings.search({ cursor: encodeListingCursor(1) })).items.length, 0);
    });

    it("never fails on what a person types", async () => {
      await seed();
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: "binary", maxLength: 40 }), async (query) => {
          const page = await store.listings.search({ query, limit: 5 });
          assert.ok(page.items.length <= 5);
        }),
        { numRuns: 150 },
      );
      for (const query of [
        '"',
        '"unbalanced',
        "AND OR NOT",
        "NEAR(a b)",
        "a:b",
        "'; DROP TABLE listings; --",
        "*",
        "-ivory",
        "^x",
        "col:ivory",
        "\\",
        "ivory)",
      ]) {
        await store.listings.search({ query });
      }
      assert.equal((await database.rows("listings")).length, 5);
    });
  });

  describe("reviews, evidence, takedowns and the audit log", () => {
    async function listingAndUser() {
      const [result] = await store.listings.ingest([observation("ev", { detection: detection() })]);
      const user = await store.users.create(
        { organisationId: org.id, email: "rev@example.org", displayName: "Rev", role: "reviewer" },
        actor,
      );
      return { listingId: result!.listingId, user };
    }

    it("records review verdicts and audits them", async () => {
      const { listingId, user } = await listingAndUser();
      const [detectionRow] = await store.listings.detections(listingId);
      const review = await store.reviews.record(
        {
          organisationId: org.id,
          listingId,
          detectionId: detectionRow!.id,
          reviewerId: user.id,
          verdict: "illegal_offer",
          note: "clear offer",
        },
        `user:${user.id}`,
      );
      assert.deepEqual(await store.reviews.listForListing(listingId), [review]);
      const audit = await store.audit.list({ subjectType: "listing", subjectId: String(listingId) });
      assert.deepEqual(
        audit.map((e) => [e.action, e.actor]),
        [["review.recorded", `user:${user.id}`]],
      );
    });

    it("stores a capture once, starts its custody chain, and refuses to change it", async () => {
      const { listingId } = await listingAndUser();
      const capture = {
        organisationId: org.id,
        listingId,
        url: "https://market.example/item/ev",
        status: "complete" as const,
        startedAt: t0,
        finishedAt: minutes(1),
        sha256: hex("c4"),
        warc: { file: "capture-1.warc.gz", offset: 0, length: 9000 },
        files: [{ role: "warc", path: "capture-1.warc.gz", sha256: hex("d5"), byteLength: 9000 }],
        provenance: { software: "wildtrawl", version: "0.1.0" },
      };
      const first = await store.evidence.recordCapture(capture, actor);
      const again = await store.evidence.recordCapture(capture, actor);
      assert.equal(first.created, true);
      assert.equal(again.created, false);
      assert.deepEqual(again.capture, first.capture);
      assert.deepEqual(await store.evidence.listCaptures(listingId), [first.capture]);
      await assert.rejects(
        store.evidence.recordCapture({ ...capture, sha256: hex("e6"), status: "partial" }, actor),
        (e: unknown) => e instanceof UsageError && e.code === "capture_reason_missing",
      );
      const partial = await store.evidence.recordCapture(
        { ...capture, sha256: hex("e6"), status: "partial", failureReason: "timeout" },
        actor,
      );
      assert.equal(partial.capture.failureReason, "timeout");

      await store.evidence.appendCustody({
        captureId: first.capture.id,
        organisationId: org.id,
        actor: "user:7",
        action: "export",
        purpose: "court bundle",
      });
      const custody = await store.evidence.custodyOf(first.capture.id);
      assert.deepEqual(
        custody.map((c) => c.action),
        ["capture", "export"],
      );
      const chain = await store.evidence.custodyLog();
      assert.equal(chain.length, 3);
      assert.equal(verifyChain(chain, custodyHashedFields), null);
      const tampered = chain.map((entry, i) => (i === 1 ? { ...entry, purpose: "edited" } : entry));
      assert.deepEqual(verifyChain(tampered, custodyHashedFields), {
        index: 1,
        id: chain[1]!.id,
        reason: "entry_hash",
      });

      // E6: with the application's own login, every change is refused and the database writes the attempt down.
      const before = {
        captures: await database.rows("captures"),
        custody: await database.rows("custody_log"),
        audit: await database.rows("audit_log"),
      };
      const attempts = [
        ["captures", "UPDATE", `UPDATE captures SET sha256 = '${hex("ff")}' WHERE id = ${first.capture.id}`],
        ["captures", "DELETE", `DELETE FROM captures WHERE id = ${partial.capture.id}`],
        ["custody_log", "UPDATE", `UPDATE custody_log SET purpose = 'x' WHERE id = ${chain[1]!.id}`],
        ["custody_log", "DELETE", `DELETE FROM custody_log WHERE id = ${chain[0]!.id}`],
        ["audit_log", "UPDATE", "UPDATE audit_log SET actor = 'x' WHERE id = 1"],
        ["audit_log", "DELETE", "DELETE FROM audit_log WHERE id = 1"],
      ] as const;
      const startedAt = Date.now();
      for (const [, , sql] of attempts) await database.exec(sql);
      assert.deepEqual(
        {
          captures: await database.rows("captures"),
          custody: await database.rows("custody_log"),
          audit: await database.rows("audit_log"),
        },
        before,
      );
      const refused = await store.audit.refusedChanges();
      assert.deepEqual(
        refused.map((r) => [r.table, r.operation]),
        attempts.map(([table, operation]) => [table, operation]),
      );
      assert.deepEqual(
        refused.map((r) => r.rowId),
        [first.capture.id, partial.capture.id, chain[1]!.id, chain[0]!.id, 1, 1],
      );
      for (const attempt of refused) {
        assert.ok(Math.abs(attempt.at.getTime() - startedAt) < 60_000, attempt.at.toISOString());
        const login =
          store.dialect === "postgres" ? decodeURIComponent(new URL(database.url).username) : null;
        assert.equal(attempt.databaseUser, login);
      }
      // The record of refusals cannot itself be edited or emptied.
      for (const sql of ["UPDATE refused_changes SET row_id = 0", "DELETE FROM refused_changes"])
        await assert.rejects(database.exec(sql), /append-only/, sql);
      assert.equal((await store.audit.refusedChanges()).length, attempts.length);
    });

    it("creates takedown notices idempotently and moves them only along allowed transitions", async () => {
      const { listingId } = await listingAndUser();
      const input = { organisationId: org.id, listingId, platform: "market", idempotencyKey: "req-42" };
      const { notice, created } = await store.takedowns.create(input, actor);
      assert.equal(created, true);
      assert.equal(notice.state, "draft");
      for (let i = 0; i < 3; i++) {
        const replay = await store.takedowns.create(input, actor);
        assert.equal(replay.created, false);
        assert.equal(replay.notice.id, notice.id);
      }
      await store.takedowns.transition(notice.id, { from: "draft", to: "queued" }, actor);
      await store.takedowns.transition(
        notice.id,
        { from: "queued", to: "sent", note: "emailed abuse desk" },
        actor,
      );
      await assert.rejects(
        store.takedowns.transition(notice.id, { from: "queued", to: "sent" }, actor),
        (e: unknown) => e instanceof ConflictError && e.code === "takedown_state_changed",
      );
      await assert.rejects(
        store.takedowns.transition(notice.id, { from: "sent", to: "draft" }, actor),
        (e: unknown) => e instanceof ConflictError && e.code === "takedown_transition_invalid",
      );
      const removed = await store.takedowns.transition(notice.id, { from: "sent", to: "removed" }, actor);
      assert.equal(removed.state, "removed");
      assert.deepEqual(
        (await store.takedowns.events(notice.id)).map((e) => [e.fromState, e.toState]),
        [
          [null, "draft"],
          ["draft", "queued"],
          ["queued", "sent"],
          ["sent", "removed"],
        ],
      );
      assert.equal((await database.rows("takedown_notices")).length, 1);
      assert.deepEqual(
        (await store.takedowns.listForListing(listingId)).map((n) => n.id),
        [notice.id],
      );
    });

    it("keeps one unbroken audit chain when two processes append at once", async () => {
      const another = await openAnother();
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 ? store : another).audit.append({
            organisationId: org.id,
            actor,
            action: "test.appended",
            subjectId: i,
          }),
        ),
      );
      const entries = await store.audit.list({ limit: 1000 });
      assert.equal(entries.length, 41);
      assert.equal(verifyChain(entries, auditHashedFields), null);
      assert.equal(new Set(entries.map((e) => e.prevHash)).size, 41, "no two entries link to the same head");
    });
  });

  describe("transactions", () => {
    it("commits everything or nothing", async () => {
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.listings.ingest([observation("t1")]);
          await tx.audit.append({ actor, action: "test.inside" });
          throw new Error("abandon");
        }),
        /abandon/,
      );
      assert.equal((await database.rows("listings")).length, 0);
      assert.equal((await store.audit.list()).length, 1);
      const results = await store.transaction(async (tx) => {
        const [r] = await tx.listings.ingest([observation("t2")]);
        await tx.audit.append({
          actor,
          action: "test.inside",
          subjectType: "listing",
          subjectId: r!.listingId,
        });
        return r;
      });
      assert.equal((await store.listings.get(results!.listingId))?.listingKey, "t2");
    });

    it("lets a failed step inside a transaction be caught without losing the rest", async () => {
      await store.transaction(async (tx) => {
        await tx.listings.ingest([observation("kept")]);
        await assert.rejects(
          tx.organisations.create({ slug: "wildlife-unit", name: "dup" }, actor),
          ConflictError,
        );
        await assert.rejects(tx.listings.ingest([observation("bad", { sourceId: 424242 })]), UsageError);
      });
      assert.ok(await store.listings.getByKey(source.id, "kept"));
    });
  });

  jobQueueContract(() => ({ store, openAnother, database }));
  statisticsContract(newDatabase);
  sessionContract(newDatabase);
  rateLimitContract(newDatabase);
  takedownContract(newDatabase);
  reviewContract(newDatabase);
  relistingContract(newDatabase);
  caseContract(newDatabase);
  sharingContract(newDatabase);
}

function jobQueueContract(
  context: () => { store: Store; openAnother: () => Promise<Store>; database: ContractDatabase },
) {
  const lease = (job: ClaimedJob) => ({ id: job.id, leaseToken: job.leaseToken });
  const claimOne = async (store: Store, queues = ["fetch"], leaseMs = 30_000) =>
    (await store.jobs.claim({ queues, workerId: "worker-a", leaseMs }))[0];

  describe("job queue", () => {
    it("claims by priority, then age; holds delayed jobs back", async () => {
      const { store } = context();
      const low = await store.jobs.enqueue({ queue: "fetch", payload: { n: 1 } });
      const high = await store.jobs.enqueue({ queue: "fetch", payload: { n: 2 }, priority: 10 });
      const later = await store.jobs.enqueue({
        queue: "fetch",
        payload: { n: 3 },
        priority: 99,
        delayMs: 3_600_000,
      });
      const past = await store.jobs.enqueue({
        queue: "fetch",
        payload: { n: 4 },
        runAt: new Date(Date.now() - 60_000),
      });
      await store.jobs.enqueue({ queue: "other", payload: null });
      assert.equal(later.job.state, "pending");
      const claimed = await store.jobs.claim({
        queues: ["fetch"],
        workerId: "w",
        leaseMs: 30_000,
        limit: 10,
      });
      assert.deepEqual(
        claimed.map((j) => j.id),
        [high.job.id, past.job.id, low.job.id],
      );
      assert.deepEqual(claimed[0]!.payload, { n: 2 });
      assert.ok(claimed.every((j) => j.state === "leased" && j.attempts === 1 && j.leaseOwner === "w"));
      assert.deepEqual(await store.jobs.counts(), { pending: 2, leased: 3, done: 0, failed: 0 });
      assert.deepEqual(await store.jobs.counts("fetch"), { pending: 1, leased: 3, done: 0, failed: 0 });
    });

    it("dedupes on the key, within a queue, for ever", async () => {
      const { store } = context();
      const first = await store.jobs.enqueue({
        queue: "fetch",
        payload: { url: "a" },
        dedupeKey: "https://a",
      });
      const again = await store.jobs.enqueue({
        queue: "fetch",
        payload: { url: "changed" },
        dedupeKey: "https://a",
      });
      const otherQueue = await store.jobs.enqueue({ queue: "detect", dedupeKey: "https://a" });
      assert.equal(first.created, true);
      assert.equal(again.created, false);
      assert.equal(again.job.id, first.job.id);
      assert.deepEqual(again.job.payload, { url: "a" });
      assert.equal(otherQueue.created, true);
      const job = await claimOne(store);
      await store.jobs.complete(lease(job!));
      assert.equal((await store.jobs.enqueue({ queue: "fetch", dedupeKey: "https://a" })).created, false);
      const many = await store.jobs.enqueueMany([
        { queue: "fetch", dedupeKey: "https://a" },
        { queue: "fetch", dedupeKey: "https://b" },
        { queue: "fetch", dedupeKey: "https://b" },
      ]);
      assert.deepEqual(
        many.map((r) => r.created),
        [false, true, false],
      );
      await assert.rejects(store.jobs.enqueue({ queue: "Bad Queue" }), UsageError);
      await assert.rejects(store.jobs.enqueue({ queue: "fetch", maxAttempts: 0 }), UsageError);
    });

    it("retries a failed job after its delay, then dead-letters it with the last error", async () => {
      const { store } = context();
      const { job } = await store.jobs.enqueue({ queue: "fetch", maxAttempts: 2 });
      let claimed = await claimOne(store);
      assert.equal(
        await store.jobs.fail(
          lease(claimed!),
          { code: "fetch_timeout", message: "timed out" },
          { retryDelayMs: 3_600_000 },
        ),
        "pending",
      );
      assert.equal(await claimOne(store), undefined, "not before its retry delay");
      let stored = (await store.jobs.get(job.id))!;
      assert.equal(stored.state, "pending");
      assert.equal(stored.lastErrorCode, "fetch_timeout");
      assert.ok(stored.runAt.getTime() > Date.now() + 3_000_000);

      const { job: second } = await store.jobs.enqueue({ queue: "fetch", maxAttempts: 2 });
      claimed = await claimOne(store);
      assert.equal(claimed!.id, second.id);
      await store.jobs.fail(lease(claimed!), { code: "e1", message: "first" }, { retryDelayMs: 0 });
      claimed = await claimOne(store);
      assert.equal(claimed!.attempts, 2);
      assert.equal(
        await store.jobs.fail(lease(claimed!), { code: "e2", message: "second" }, { retryDelayMs: 0 }),
        "failed",
      );
      stored = (await store.jobs.get(second.id))!;
      assert.deepEqual(
        [stored.state, stored.attempts, stored.lastErrorCode, stored.lastError],
        ["failed", 2, "e2", "second"],
      );
      assert.ok(stored.finishedAt instanceof Date);

      assert.equal(await store.jobs.requeueFailed({ queue: "fetch" }), 1);
      claimed = await claimOne(store);
      assert.equal(claimed!.id, second.id);
      assert.equal(claimed!.attempts, 1);
      assert.equal(
        await store.jobs.fail(
          lease(claimed!),
          { code: "bad_input", message: "no" },
          { retryDelayMs: 0, permanent: true },
        ),
        "failed",
      );
    });

    it("reclaims expired leases and fences off the worker that lost one", async () => {
      const { store } = context();
      const { job } = await store.jobs.enqueue({ queue: "fetch", maxAttempts: 2 });
      const first = await claimOne(store, ["fetch"], 1);
      await sleep(30);
      assert.equal(await store.jobs.reclaimExpired(), 1);
      let stored = (await store.jobs.get(job.id))!;
      assert.deepEqual([stored.state, stored.lastErrorCode], ["pending", "lease_expired"]);
      const second = await claimOne(store);
      assert.equal(second!.id, job.id);
      assert.notEqual(second!.leaseToken, first!.leaseToken);
      await assert.rejects(store.jobs.complete(lease(first!)), LeaseLostError);
      await assert.rejects(store.jobs.heartbeat(lease(first!), 1000), LeaseLostError);
      await assert.rejects(
        store.jobs.fail(lease(first!), { code: "x", message: "x" }, { retryDelayMs: 0 }),
        LeaseLostError,
      );
      await store.jobs.heartbeat(lease(second!), 60_000);
      await store.jobs.complete(lease(second!));
      stored = (await store.jobs.get(job.id))!;
      assert.equal(stored.state, "done");

      // A job whose worker dies on every attempt ends in the dead letter, not in an endless loop.
      const { job: poison } = await store.jobs.enqueue({ queue: "fetch", maxAttempts: 2 });
      for (let i = 0; i < 2; i++) {
        await claimOne(store, ["fetch"], 1);
        await sleep(30);
        await store.jobs.reclaimExpired();
      }
      stored = (await store.jobs.get(poison.id))!;
      assert.deepEqual([stored.state, stored.lastErrorCode], ["failed", "lease_expired"]);
    });

    it("releases a job on shutdown without spending an attempt", async () => {
      const { store } = context();
      const { job } = await store.jobs.enqueue({ queue: "fetch" });
      const claimed = await claimOne(store);
      await store.jobs.release(lease(claimed!));
      const again = await claimOne(store);
      assert.equal(again!.id, job.id);
      assert.equal(again!.attempts, 1);
      await assert.rejects(store.jobs.release(lease(claimed!)), LeaseLostError);
    });

    it("completes a job in the same transaction as its results, or neither", async () => {
      const { store } = context();
      await store.jobs.enqueue({ queue: "fetch" });
      const claimed = await claimOne(store, ["fetch"], 1);
      await sleep(30);
      await store.jobs.reclaimExpired();
      const holder = await claimOne(store);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.audit.append({ actor, action: "test.result", subjectType: "job", subjectId: claimed!.id });
          await tx.jobs.complete(lease(claimed!));
        }),
        LeaseLostError,
      );
      const results = () => store.audit.list({ subjectType: "job", subjectId: String(holder!.id) });
      assert.equal((await results()).length, 0, "the stale worker's result was rolled back");
      await store.transaction(async (tx) => {
        await tx.audit.append({ actor, action: "test.result", subjectType: "job", subjectId: holder!.id });
        await tx.jobs.complete(lease(holder!));
      });
      assert.equal((await results()).length, 1);
      assert.equal((await store.jobs.get(holder!.id))!.state, "done");
    });

    it("never hands one job to two claimers at once, and conserves every job (R1, R4)", async () => {
      const { store, openAnother } = context();
      const another = await openAnother();
      const total = 120;
      const enqueued = await store.jobs.enqueueMany(
        Array.from({ length: total }, (_, i) => ({ queue: "fetch", payload: i, dedupeKey: `k${i}` })),
      );
      assert.equal(enqueued.filter((r) => r.created).length, total);
      const claimedBy = new Map<number, string>();
      const claimers = [store, another].flatMap((s, si) =>
        Array.from({ length: 3 }, async (_, ci) => {
          const name = `w${si}.${ci}`;
          for (;;) {
            const jobs = await s.jobs.claim({ queues: ["fetch"], workerId: name, leaseMs: 60_000, limit: 3 });
            if (jobs.length === 0) return;
            for (const job of jobs) {
              assert.equal(
                claimedBy.get(job.id),
                undefined,
                `job ${job.id} claimed by ${claimedBy.get(job.id)} and ${name}`,
              );
              claimedBy.set(job.id, name);
              if (job.id % 7 === 0)
                await s.jobs.fail(
                  lease(job),
                  { code: "flaky", message: "x" },
                  { retryDelayMs: 0, permanent: true },
                );
              else await s.jobs.complete(lease(job));
            }
          }
        }),
      );
      await Promise.all(claimers);
      const counts = await store.jobs.counts();
      assert.equal(counts.pending + counts.leased + counts.done + counts.failed, total);
      assert.equal(counts.leased + counts.pending, 0);
      assert.equal(counts.failed, enqueued.filter((r) => r.job.id % 7 === 0).length);
      for (const job of await store.jobs.list({ state: "failed", limit: 1000 })) assert.ok(job.lastErrorCode);
    });

    it("keeps its invariants under any sequence of operations (model-based)", async () => {
      const { store } = context();
      let run = 0;
      type Command =
        | { kind: "enqueue"; key: number | null; priority: number }
        | { kind: "claim"; limit: number }
        | { kind: "complete" | "fail" | "release" | "expire"; pick: number };
      const command: fc.Arbitrary<Command> = fc.oneof(
        fc.record({
          kind: fc.constant("enqueue" as const),
          key: fc.option(fc.nat(5)),
          priority: fc.integer({ min: -2, max: 2 }),
        }),
        fc.record({ kind: fc.constant("claim" as const), limit: fc.integer({ min: 1, max: 3 }) }),
        fc.record({
          kind: fc.constantFrom("complete" as const, "fail" as const, "release" as const, "expire" as const),
          pick: fc.nat(),
        }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(command, { maxLength: 25 }), async (commands) => {
          const queue = `model-${run++}`;
          let created = 0;
          const held = new Map<number, ClaimedJob>();
          const expired: ClaimedJob[] = [];
          for (const c of commands) {
            if (c.kind === "enqueue") {
              const r = await store.jobs.enqueue({
                queue,
                priority: c.priority,
                dedupeKey: c.key === null ? null : `k${c.key}`,
                maxAttempts: 2,
              });
              if (r.created) created += 1;
            } else if (c.kind === "claim") {
              for (const job of await store.jobs.claim({
                queues: [queue],
                workerId: "model",
                leaseMs: 60_000,
                limit: c.limit,
              })) {
                assert.ok(!held.has(job.id), "a held job was claimed again");
                held.set(job.id, job);
              }
            } else if (held.size > 0) {
              const job = [...held.values()][c.pick % held.size]!;
              held.delete(job.id);
              if (c.kind === "complete") await store.jobs.complete(lease(job));
              else if (c.kind === "fail")
                await store.jobs.fail(lease(job), { code: "model", message: "m" }, { retryDelayMs: 0 });
              else if (c.kind === "release") await store.jobs.release(lease(job));
              else {
                // Expire the lease by shortening it to nothing, then reclaim as a worker would on its next round.
                await store.jobs.heartbeat(lease(job), 0);
                await store.jobs.reclaimExpired();
                expired.push(job);
              }
            }
            const counts = await store.jobs.counts(queue);
            assert.equal(counts.pending + counts.leased + counts.done + counts.failed, created);
            assert.equal(counts.leased, held.size);
          }
          for (const job of expired) await assert.rejects(store.jobs.complete(lease(job)), LeaseLostError);
        }),
        { numRuns: 25 },
      );
    });
  });

  describe("opening", () => {
    it("opens an already migrated database, even from several stores at once", async () => {
      const { database, store } = context();
      const others = await Promise.all([
        openStore(database.url),
        openStore(database.url),
        openStore(database.url),
      ]);
      for (const other of others) {
        assert.equal((await other.organisations.list()).length, 1);
        await other.close();
      }
      assert.equal((await database.rows("schema_migrations")).length, migrations.length);
      assert.equal(store.dialect, database.url.startsWith("postgres") ? "postgres" : "sqlite");
    });

    it("refuses a database migrated by a newer wildtrawl", async () => {
      const { database } = context();
      await database.exec(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, 'future', 'x', 0)".replace(
          ", 0)",
          database.url.startsWith("postgres") ? ", now())" : ", 0)",
        ),
      );
      await assert.rejects(
        openStore(database.url),
        (e: unknown) => (e as { code?: string }).code === "database_too_new",
      );
    });
  });
}
