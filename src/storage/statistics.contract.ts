/**
 * What the dashboard's operations screens read from the store: offer counts by period and dimension, and the trawl
 * runs of a source. Run by store.contract.ts against both databases.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { openStore } from "./open-store.ts";
import type { DetectionInput, ListingObservation, OfferCount, Organisation, Source } from "./records.ts";
import type { ContractDatabase } from "./store.contract.ts";
import type { Store } from "./store.ts";

const actor = "system:contract";
const day = (date: string) => new Date(`${date}T12:00:00.000Z`);

const elephant = { taxonId: 4521, scientificName: "Loxodonta africana", appendix: "I" } as const;
const pangolin = { taxonId: 9900, scientificName: "Manis javanica", appendix: "I" } as const;
const royalPython = { taxonId: 7000, scientificName: "Python regius", appendix: "II" } as const;

function offer(overrides: Partial<DetectionInput> = {}): DetectionInput {
  return {
    taxa: [elephant],
    score: 0.9,
    verdict: "offer",
    reasons: ["'ivory' names an elephant product"],
    detectorVersion: "detect-1",
    ...overrides,
  };
}

const counted = (rows: readonly OfferCount[]) => rows.map((r) => [r.period, r.key, r.label, r.count]);

export function statisticsContract(newDatabase: () => Promise<ContractDatabase>): void {
  describe("statistics and trawl run history", () => {
    let database: ContractDatabase;
    let store: Store;
    let unit: Organisation;
    let market: Source;
    let forum: Source;

    const sighting = (
      source: Source,
      key: string,
      observedAt: Date,
      overrides: Partial<ListingObservation> = {},
    ): ListingObservation => ({
      sourceId: source.id,
      listingKey: key,
      observedAt,
      url: `https://${source.slug}.example/item/${key}`,
      title: `Item ${key}`,
      text: `Listing ${key}`,
      ...overrides,
    });

    beforeEach(async () => {
      database = await newDatabase();
      store = await openStore(database.url);
      unit = await store.organisations.create({ slug: "unit", name: "Unit" }, actor);
      market = await store.sources.upsert({
        organisationId: unit.id,
        slug: "market",
        name: "M",
        platform: "market",
      });
      forum = await store.sources.upsert({ organisationId: unit.id, slug: "forum", name: "F" });
      const other = await store.organisations.create({ slug: "other", name: "Other" }, actor);
      const theirs = await store.sources.upsert({
        organisationId: other.id,
        slug: "market",
        name: "M",
        platform: "market",
      });
      await store.listings.ingest([
        // Monday 2 March 2026 and Wednesday 4 March: one ISO week.
        sighting(market, "ivory", day("2026-03-02"), {
          country: "VN",
          language: "vi",
          detection: offer({ reasons: ["product: ivory, carving", "price given"] }),
        }),
        sighting(forum, "scales", day("2026-03-04"), {
          country: "VN",
          language: "en",
          detection: offer({ taxa: [elephant, pangolin], reasons: ["product: scales"] }),
        }),
        // Tuesday 10 March: the next week.
        sighting(market, "python", day("2026-03-10"), {
          detection: offer({ taxa: [royalPython], reasons: ["sale intent"] }),
        }),
        // Not flagged as offers: a mention, a listing not yet detected, and one whose new content is no offer.
        sighting(market, "mention", day("2026-03-03"), { detection: offer({ verdict: "mention" }) }),
        sighting(market, "undetected", day("2026-03-05")),
        sighting(market, "changed", day("2026-03-02"), { detection: offer() }),
        // Another organisation's offer.
        sighting(theirs, "theirs", day("2026-03-02"), { country: "VN", detection: offer() }),
      ]);
      await store.listings.ingest([
        sighting(market, "changed", day("2026-03-06"), {
          text: "now a poster of an elephant",
          detection: offer({ verdict: "none", taxa: [] }),
        }),
      ]);
    });

    afterEach(async () => {
      await store.close();
      await database.drop();
    });

    const counts = (query: Partial<Parameters<Store["statistics"]["offerCounts"]>[0]>) =>
      store.statistics.offerCounts({ organisationId: unit.id, by: "taxon", interval: "week", ...query });

    it("counts the organisation's current offers by taxon and ISO week (Monday), a listing once per taxon", async () => {
      assert.deepEqual(counted(await counts({})), [
        ["2026-03-02", "4521", "Loxodonta africana", 2],
        ["2026-03-02", "9900", "Manis javanica", 1],
        ["2026-03-09", "7000", "Python regius", 1],
      ]);
    });

    it("counts a listing once per appendix, however many of its taxa share it", async () => {
      assert.deepEqual(counted(await counts({ by: "appendix" })), [
        ["2026-03-02", "I", "I", 2],
        ["2026-03-09", "II", "II", 1],
      ]);
    });

    it("counts by platform per day, a source without a platform as no key", async () => {
      assert.deepEqual(counted(await counts({ by: "platform", interval: "day" })), [
        ["2026-03-02", "market", "market", 1],
        ["2026-03-04", null, null, 1],
        ["2026-03-10", "market", "market", 1],
      ]);
    });

    it("counts by country and language per month", async () => {
      assert.deepEqual(counted(await counts({ by: "country", interval: "month" })), [
        ["2026-03-01", "VN", "VN", 2],
        ["2026-03-01", null, null, 1],
      ]);
      assert.deepEqual(counted(await counts({ by: "language", interval: "month" })), [
        ["2026-03-01", "en", "en", 1],
        ["2026-03-01", "vi", "vi", 1],
        ["2026-03-01", null, null, 1],
      ]);
    });

    it("counts by the product types of the current detection, each product of a listing once", async () => {
      assert.deepEqual(counted(await counts({ by: "product" })), [
        ["2026-03-02", "carving", "carving", 1],
        ["2026-03-02", "ivory", "ivory", 1],
        ["2026-03-02", "scales", "scales", 1],
        ["2026-03-09", null, null, 1],
      ]);
    });

    it("keeps first sightings in [from, to)", async () => {
      assert.deepEqual(
        counted(
          await counts({ by: "platform", interval: "day", from: day("2026-03-04"), to: day("2026-03-10") }),
        ),
        [["2026-03-04", null, null, 1]],
      );
      assert.deepEqual(await counts({ from: day("2027-01-01") }), []);
    });

    it("lists a source's trawl runs newest first, up to a limit", async () => {
      const first = await store.sources.startRun(market.id);
      await store.sources.finishRun(first.id, { state: "finished" });
      const second = await store.sources.startRun(market.id);
      await store.sources.startRun(forum.id);
      assert.deepEqual(
        (await store.sources.listRuns(market.id)).map((run) => [run.id, run.state]),
        [
          [second.id, "running"],
          [first.id, "finished"],
        ],
      );
      assert.deepEqual(
        (await store.sources.listRuns(market.id, { limit: 1 })).map((run) => run.id),
        [second.id],
      );
    });
  });
}
