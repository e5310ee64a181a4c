/**
 * The review queue's part of the store contract: verdicts, assignments, the queue's order, filters and pages, and
 * what the precision report and training read. Run by store.contract.ts against both databases.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { UsageError } from "../core/errors.ts";
import { migrationChecksum, migrations } from "./migrations/migrations.ts";
import { openStore } from "./open-store.ts";
import type {
  DetectedTaxon,
  DetectionInput,
  ListingObservation,
  Organisation,
  ReviewQueueItem,
  ReviewQueueQuery,
  Source,
  User,
} from "./records.ts";
import type { ContractDatabase } from "./store.contract.ts";
import type { Store } from "./store.ts";

const actor = "system:contract";
const t0 = new Date("2026-03-02T10:00:00.000Z");
const days = (n: number) => new Date(t0.getTime() + n * 86_400_000);

const elephant: DetectedTaxon = { taxonId: 4521, scientificName: "Loxodonta africana", appendix: "I" };
const forestElephant: DetectedTaxon = { taxonId: 4523, scientificName: "Loxodonta cyclotis", appendix: "I" };
const python: DetectedTaxon = { taxonId: 7000, scientificName: "Python regius", appendix: "II" };
const coral: DetectedTaxon = { taxonId: 8800, scientificName: "Corallium rubrum", appendix: "III" };

function detection(
  score: number,
  taxa: DetectedTaxon[],
  overrides: Partial<DetectionInput> = {},
): DetectionInput {
  return { taxa, score, verdict: "mention", reasons: ["test"], detectorVersion: "detect-1", ...overrides };
}

export function reviewContract(newDatabase: () => Promise<ContractDatabase>): void {
  describe("review queue", () => {
    let database: ContractDatabase;
    let store: Store;
    let org: Organisation;
    let market: Source;
    let forum: Source;
    let reviewer: User;
    let analyst: User;
    let now = t0;

    beforeEach(async () => {
      now = t0;
      database = await newDatabase();
      store = await openStore(database.url, { clock: () => now });
      org = await store.organisations.create({ slug: "wildlife-unit", name: "Wildlife Unit" }, actor);
      market = await store.sources.upsert({
        organisationId: org.id,
        slug: "market",
        name: "Market",
        platform: "market-platform",
      });
      forum = await store.sources.upsert({ organisationId: org.id, slug: "forum", name: "Forum" });
      reviewer = await store.users.create(
        { organisationId: org.id, email: "rev@example.org", displayName: "Rev", role: "reviewer" },
        actor,
      );
      analyst = await store.users.create(
        { organisationId: org.id, email: "ana@example.org", displayName: "Ana", role: "analyst" },
        actor,
      );
    });

    afterEach(async () => {
      await store.close();
      await database.drop();
    });

    const ingest = async (key: string, overrides: Partial<ListingObservation> = {}) => {
      const [result] = await store.listings.ingest([
        {
          sourceId: market.id,
          listingKey: key,
          observedAt: t0,
          url: `https://market.example/${key}`,
          title: `Item ${key}`,
          text: `Listing ${key}`,
          ...overrides,
        },
      ]);
      return result!.listingId;
    };

    const review = (
      listingId: number,
      verdict: "illegal_offer" | "legal_offer" | "not_wildlife" | "unsure",
    ) => store.reviews.record({ organisationId: org.id, listingId, reviewerId: reviewer.id, verdict }, actor);

    const queueIds = async (query: Partial<ReviewQueueQuery> = {}) =>
      (await store.reviews.queue({ organisationId: org.id, minScore: 0.5, ...query })).items.map(
        (item) => item.listingId,
      );

    it("records the four verdicts with a note, refuses any other, and audits each", async () => {
      const listingId = await ingest("a", { detection: detection(0.9, [elephant], { verdict: "offer" }) });
      const [judged] = await store.listings.detections(listingId);
      const first = await store.reviews.record(
        {
          organisationId: org.id,
          listingId,
          detectionId: judged!.id,
          reviewerId: reviewer.id,
          verdict: "legal_offer",
          note: "CITES permit shown in photo 3",
        },
        `user:${reviewer.id}`,
      );
      assert.equal(first.verdict, "legal_offer");
      assert.equal(first.note, "CITES permit shown in photo 3");
      assert.equal(first.detectionId, judged!.id);
      for (const verdict of ["illegal_offer", "not_wildlife", "unsure"] as const)
        await review(listingId, verdict);
      await assert.rejects(
        review(listingId, "offer" as never),
        (e: unknown) => e instanceof UsageError && e.code === "verdict_invalid",
      );
      assert.deepEqual(
        (await store.reviews.listForListing(listingId)).map((r) => r.verdict),
        ["legal_offer", "illegal_offer", "not_wildlife", "unsure"],
      );
      const audit = await store.audit.list({ subjectType: "listing", subjectId: String(listingId) });
      assert.deepEqual(
        audit.map((e) => [e.action, e.details.verdict]),
        [
          ["review.recorded", "legal_offer"],
          ["review.recorded", "illegal_offer"],
          ["review.recorded", "not_wildlife"],
          ["review.recorded", "unsure"],
        ],
      );
      assert.equal(audit[0]!.details.note, "CITES permit shown in photo 3");
    });

    it("keeps one current assignment per listing, audits each change, and rolls both back together", async () => {
      const listingId = await ingest("a", { detection: detection(0.9, [elephant]) });
      const first = await store.reviews.assign(
        { organisationId: org.id, listingId, userId: reviewer.id },
        actor,
      );
      assert.deepEqual(
        { userId: first?.userId, assignedBy: first?.assignedBy },
        { userId: reviewer.id, assignedBy: actor },
      );
      const second = await store.reviews.assign(
        { organisationId: org.id, listingId, userId: analyst.id },
        `user:${analyst.id}`,
      );
      assert.deepEqual(await store.reviews.assignmentOf(org.id, listingId), second);
      assert.equal(
        (await database.rows("review_assignments")).length,
        1,
        "a new assignment replaces the current one",
      );
      assert.equal(
        await store.reviews.assign({ organisationId: org.id, listingId, userId: null }, actor),
        null,
      );
      assert.equal(await store.reviews.assignmentOf(org.id, listingId), null);
      const audit = await store.audit.list({ subjectType: "listing", subjectId: String(listingId) });
      assert.deepEqual(
        audit.map((e) => [e.action, e.details.userId, e.details.previousUserId]),
        [
          ["review.assigned", reviewer.id, null],
          ["review.assigned", analyst.id, reviewer.id],
          ["review.unassigned", null, analyst.id],
        ],
      );

      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.reviews.assign({ organisationId: org.id, listingId, userId: reviewer.id }, actor);
          await tx.reviews.record(
            { organisationId: org.id, listingId, reviewerId: reviewer.id, verdict: "unsure" },
            actor,
          );
          throw new Error("abandon");
        }),
        /abandon/,
      );
      assert.equal(await store.reviews.assignmentOf(org.id, listingId), null);
      assert.deepEqual(await store.reviews.listForListing(listingId), []);
      assert.equal(
        (await store.audit.list({ subjectType: "listing", subjectId: String(listingId) })).length,
        3,
      );
    });

    it("queues flagged listings not yet reviewed: by score, then appendix, then newest", async () => {
      const a = await ingest("a", { detection: detection(0.9, [python]) });
      const b = await ingest("b", { detection: detection(0.9, [python, elephant]) });
      const c = await ingest("c", { detection: detection(0.9, [elephant]) });
      const d = await ingest("d", { detection: detection(0.7, []) });
      const e = await ingest("e", { detection: detection(0.2, [coral], { verdict: "offer" }) });
      const f = await ingest("f", { detection: detection(0.9, [coral]) });
      await ingest("below-threshold", { detection: detection(0.4, [elephant]) });
      await ingest("undetected");
      const reviewed = await ingest("reviewed", { detection: detection(0.95, [elephant]) });
      await review(reviewed, "unsure");
      const other = await store.organisations.create({ slug: "other", name: "Other" }, actor);
      const otherSource = await store.sources.upsert({ organisationId: other.id, slug: "m", name: "M" });
      await ingest("other", { sourceId: otherSource.id, detection: detection(0.99, [elephant]) });

      const order = [c, b, a, f, d, e];
      assert.deepEqual(await queueIds(), order);
      assert.deepEqual(await queueIds({ minScore: 0.95 }), [e], "a detector's offer is flagged at any score");

      const pages: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.reviews.queue({
          organisationId: org.id,
          minScore: 0.5,
          limit: 2,
          ...(cursor ? { cursor } : {}),
        });
        pages.push(...page.items.map((item) => item.listingId));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      assert.deepEqual(pages, order);

      // A verdict between pages takes its listing out without moving any other.
      const first = await store.reviews.queue({ organisationId: org.id, minScore: 0.5, limit: 2 });
      await review(a, "illegal_offer");
      const rest = await store.reviews.queue({
        organisationId: org.id,
        minScore: 0.5,
        cursor: first.nextCursor!,
      });
      assert.deepEqual(
        rest.items.map((item) => item.listingId),
        [f, d, e],
      );

      await assert.rejects(
        store.reviews.queue({ organisationId: org.id, minScore: 0.5, cursor: "garbage" }),
        (error: unknown) => error instanceof UsageError && error.code === "cursor_invalid",
      );
    });

    it("describes each queued listing, with its taxa Appendix I first", async () => {
      const listingId = await ingest("a", {
        seller: "ivory_trader",
        priceAmount: 1200,
        priceCurrency: "USD",
        language: "en",
        country: "gb",
        detection: detection(0.83, [python, elephant]),
      });
      await store.listings.ingest([
        {
          sourceId: market.id,
          listingKey: "a",
          observedAt: days(2),
          url: "https://market.example/a",
          title: "Item a",
          text: "Listing a",
          seller: "ivory_trader",
          priceAmount: 1200,
          priceCurrency: "USD",
          language: "en",
          country: "gb",
          detection: detection(0.83, [python, elephant]),
        },
      ]);
      const assignment = await store.reviews.assign(
        { organisationId: org.id, listingId, userId: analyst.id },
        actor,
      );
      const { items } = await store.reviews.queue({ organisationId: org.id, minScore: 0.5 });
      const expected: ReviewQueueItem = {
        listingId,
        title: "Item a",
        url: "https://market.example/a",
        sourceId: market.id,
        source: "market",
        platform: "market-platform",
        seller: "ivory_trader",
        price: { amount: 1200, currency: "USD" },
        language: "en",
        country: "GB",
        score: 0.83,
        taxa: [
          { taxonId: 4521, name: "Loxodonta africana", appendix: "I" },
          { taxonId: 7000, name: "Python regius", appendix: "II" },
        ],
        assignee: { userId: analyst.id, displayName: "Ana", assignedAt: assignment!.assignedAt },
        firstSeenAt: t0,
        lastSeenAt: days(2),
      };
      assert.deepEqual(items, [expected]);
    });

    it("filters the queue by source, taxon, language, country and assignee", async () => {
      const ivory = await ingest("ivory", {
        language: "en",
        country: "GB",
        detection: detection(0.9, [elephant]),
      });
      const forestIvory = await ingest("forest", {
        sourceId: forum.id,
        language: "fr",
        country: "CM",
        detection: detection(0.8, [forestElephant]),
      });
      const snake = await ingest("snake", {
        language: "vi",
        country: "VN",
        detection: detection(0.7, [python]),
      });
      await store.reviews.assign({ organisationId: org.id, listingId: snake, userId: reviewer.id }, actor);
      await store.reviews.assign(
        { organisationId: org.id, listingId: forestIvory, userId: analyst.id },
        actor,
      );

      assert.deepEqual(await queueIds({ sourceId: forum.id }), [forestIvory]);
      assert.deepEqual(
        await queueIds({ taxon: "Loxodonta" }),
        [ivory, forestIvory],
        "a genus finds its species",
      );
      assert.deepEqual(await queueIds({ taxon: "loxodonta africana" }), [ivory]);
      assert.deepEqual(await queueIds({ taxon: "Lox" }), [], "a name prefix is not a genus");
      assert.deepEqual(await queueIds({ language: "VI" }), [snake]);
      assert.deepEqual(await queueIds({ country: "cm" }), [forestIvory]);
      assert.deepEqual(await queueIds({ assignee: reviewer.id }), [snake]);
      assert.deepEqual(await queueIds({ assignee: "none" }), [ivory]);
      assert.deepEqual(await queueIds({ assignee: analyst.id, taxon: "Loxodonta", country: "CM" }), [
        forestIvory,
      ]);
      assert.deepEqual(await queueIds({ assignee: analyst.id, sourceId: market.id }), []);
    });

    it("gives a filtered queue the flags of the whole queue that pass the filter, for common and rare values", async () => {
      // 1,200 listings: values held by most of them are found by walking the score order, rare ones by their own
      // index (on SQLite, review-repository.ts): both must agree with the unfiltered queue.
      const random = (() => {
        let state = 7;
        return () => (state = (state * 48271) % 2147483647) / 2147483647;
      })();
      const observations: ListingObservation[] = Array.from({ length: 1200 }, (_, i) => {
        const rare = i % 40 === 3;
        return {
          sourceId: rare ? forum.id : market.id,
          listingKey: `bulk-${i}`,
          observedAt: t0,
          url: `https://market.example/bulk-${i}`,
          title: `Item ${i}`,
          text: `Listing ${i}`,
          language: rare ? "fr" : "en",
          country: i % 97 === 5 ? "CM" : "GB",
          detection: detection(Math.round(random() * 100) / 100, [i % 3 === 0 ? python : elephant], {
            verdict: random() < 0.3 ? "offer" : "mention",
          }),
        };
      });
      const ingested = await store.listings.ingest(observations);
      const byId = new Map(ingested.map((r, i) => [r.listingId, observations[i]!]));
      for (const r of ingested.slice(0, 60)) await review(r.listingId, "unsure");

      const wholeQueue: ReviewQueueItem[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.reviews.queue({ organisationId: org.id, minScore: 0.5, limit: 500, cursor });
        wholeQueue.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      assert.ok(wholeQueue.length > 500, `the queue holds ${wholeQueue.length} flags`);

      const filters: [Partial<ReviewQueueQuery>, (o: ListingObservation) => boolean][] = [
        [{ language: "en" }, (o) => o.language === "en"],
        [{ language: "fr" }, (o) => o.language === "fr"],
        [{ sourceId: market.id }, (o) => o.sourceId === market.id],
        [{ sourceId: forum.id }, (o) => o.sourceId === forum.id],
        [{ country: "GB" }, (o) => o.country === "GB"],
        [{ country: "CM" }, (o) => o.country === "CM"],
        [{ language: "en", country: "CM" }, (o) => o.language === "en" && o.country === "CM"],
        [{ country: "AQ" }, () => false],
      ];
      for (const [filter, passes] of filters) {
        const expected = wholeQueue
          .filter((item) => passes(byId.get(item.listingId)!))
          .map((i) => i.listingId);
        assert.deepEqual(
          await queueIds({ ...filter, limit: 50 }),
          expected.slice(0, 50),
          JSON.stringify(filter),
        );
        const second = await store.reviews.queue({
          organisationId: org.id,
          minScore: 0.5,
          ...filter,
          limit: 50,
        });
        if (second.nextCursor) {
          assert.deepEqual(
            await queueIds({ ...filter, limit: 50, cursor: second.nextCursor }),
            expected.slice(50, 100),
            `${JSON.stringify(filter)}, second page`,
          );
        }
      }
    });
    it("gives each reviewed listing's latest verdict with the detection it judged, within a time range", async () => {
      const a = await ingest("a", {
        language: "en",
        detection: detection(0.9, [elephant], { verdict: "offer", detectorVersion: "detect-2" }),
      });
      const b = await ingest("b", { sourceId: forum.id, detection: detection(0.6, [python]) });
      await ingest("unreviewed", { detection: detection(0.9, [elephant]) });
      const [judged] = await store.listings.detections(a);
      await store.reviews.record(
        {
          organisationId: org.id,
          listingId: a,
          reviewerId: reviewer.id,
          verdict: "unsure",
          detectionId: judged!.id,
        },
        actor,
      );
      await store.reviews.record(
        {
          organisationId: org.id,
          listingId: a,
          reviewerId: analyst.id,
          verdict: "illegal_offer",
          detectionId: judged!.id,
        },
        actor,
      );
      now = days(3);
      await review(b, "not_wildlife");

      const rows = await store.reviews.reviewedDetections({ organisationId: org.id });
      assert.deepEqual(
        rows.map((row) => [row.listingId, row.verdict, row.source, row.language]),
        [
          [a, "illegal_offer", "market", "en"],
          [b, "not_wildlife", "forum", null],
        ],
      );
      assert.deepEqual(rows[0]!.detection, {
        verdict: "offer",
        score: 0.9,
        detectorVersion: "detect-2",
        taxa: [elephant],
        detectedAt: judged!.detectedAt,
      });
      assert.equal(rows[1]!.detection, null, "a verdict recorded without its detection");
      assert.deepEqual(rows[0]!.reviewedAt, t0);
      const reviewedIn = async (from?: Date, to?: Date) =>
        (
          await store.reviews.reviewedDetections({
            organisationId: org.id,
            ...(from ? { from } : {}),
            ...(to ? { to } : {}),
          })
        ).map((row) => row.listingId);
      assert.deepEqual(await reviewedIn(days(1)), [b]);
      assert.deepEqual(await reviewedIn(undefined, days(3)), [a], "the range ends before `to`");
      assert.deepEqual(await reviewedIn(t0, days(1)), [a]);
      assert.equal(
        (await store.reviews.reviewedDetections({ organisationId: org.id + 1000 })).length,
        0,
        "another organisation's verdicts are not counted",
      );

      const listings = await store.reviews.reviewedListings(org.id);
      assert.deepEqual(
        listings.map((l) => [l.listingId, l.verdict, l.text, l.taxa.map((t) => t.scientificName)]),
        [
          [a, "illegal_offer", "Listing a", ["Loxodonta africana"]],
          [b, "not_wildlife", "Listing b", ["Python regius"]],
        ],
      );
      assert.deepEqual(await store.reviews.reviewedListings(), listings);
    });
  });

  describe("migration 3 (review verdicts)", () => {
    it("maps verdicts recorded on the detector's scale and keeps what they were in the note", async () => {
      const database = await newDatabase();
      const postgres = database.url.startsWith("postgres");
      const before = migrations.filter((m) => m.version < 3);
      const schema = postgres ? new URL(database.url).searchParams.get("schema") : null;
      const at = postgres ? "now()" : "0";
      await database.exec(
        [
          postgres
            ? `CREATE SCHEMA ${schema}; SET search_path TO ${schema};`
            : "PRAGMA application_id = 1465143895;",
          postgres
            ? "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL);"
            : "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT;",
          ...before.map((m) => (postgres ? m.postgres : m.sqlite)),
          ...before.map(
            (m) =>
              `INSERT INTO schema_migrations VALUES (${m.version}, '${m.name}', '${migrationChecksum(m, postgres ? "postgres" : "sqlite")}', ${at});`,
          ),
          `INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'o', 'O', ${at});`,
          `INSERT INTO users (id, organisation_id, email, display_name, role, created_at)
             VALUES (1, 1, 'r@example.org', 'R', 'reviewer', ${at});`,
          `INSERT INTO sources (id, organisation_id, slug, name, config, created_at, updated_at)
             VALUES (1, 1, 's', 'S', '{}', ${at}, ${at});`,
          `INSERT INTO listings (id, organisation_id, source_id, listing_key, url, text, attributes, first_seen_at,
             last_seen_at, version, content_hash${postgres ? ", search_vector" : ""})
             VALUES (1, 1, 1, 'k', 'https://x.example/k', 't', '{}', ${at}, ${at}, 1, 'h'${postgres ? ", ''" : ""});`,
          // As wildtrawl wrote them: ids from the table's own sequence.
          ...[`'offer', 'ivory with price'`, `'mention', NULL`, `'none', ''`].map(
            (values) =>
              `INSERT INTO reviews (organisation_id, listing_id, reviewer_id, verdict, note, reviewed_at)
                 VALUES (1, 1, 1, ${values}, ${at});`,
          ),
        ].join("\n"),
      );
      const store = await openStore(database.url);
      try {
        assert.deepEqual(
          (await store.reviews.listForListing(1)).map((r) => [r.verdict, r.note]),
          [
            ["illegal_offer", 'ivory with price (verdict "offer" before review verdicts changed)'],
            ["unsure", '(verdict "mention" before review verdicts changed)'],
            ["not_wildlife", '(verdict "none" before review verdicts changed)'],
          ],
        );
        const migratedIds = (await store.reviews.listForListing(1)).map((r) => r.id);
        const next = await store.reviews.record(
          { organisationId: 1, listingId: 1, reviewerId: 1, verdict: "legal_offer" },
          actor,
        );
        assert.ok(
          migratedIds.every((id) => id < next.id),
          "new verdicts follow the migrated ones",
        );
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });
}
