/**
 * The Store's contract for re-listings (issue 8): listing fingerprints, candidate look-up by band, seller key and
 * image block, and the re-listings found. Called from store.contract.ts, so both databases keep it.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { NotFoundError, UsageError } from "../core/errors.ts";
import { imageHashBlocks } from "../core/similarity/image-hash.ts";
import { openStore } from "./open-store.ts";
import type { NewListingFingerprint, Organisation, RelistingReason, Source } from "./records.ts";
import type { ContractDatabase } from "./store.contract.ts";
import type { Store } from "./store.ts";

const actor = "system:contract";
const bands = (seed: number) => Array.from({ length: 16 }, (_, b) => seed * 100 + b - 2_000_000_000);

export function relistingContract(newDatabase: () => Promise<ContractDatabase>): void {
  describe("re-listings: fingerprints, candidates and re-listings", () => {
    let database: ContractDatabase;
    let store: Store;
    let org: Organisation;
    let source: Source;
    let otherSource: Source;
    let now = new Date("2026-06-01T08:00:00.000Z");
    const minutesLater = (n: number) => new Date(now.getTime() + n * 60_000);

    const listing = async (key: string, sourceId = source.id) => {
      const [result] = await store.listings.ingest([
        {
          sourceId,
          listingKey: key,
          observedAt: now,
          url: `https://market.example/item/${key}`,
          title: `Item ${key}`,
          text: `Listing ${key}`,
        },
      ]);
      return (await store.listings.get(result!.listingId))!;
    };
    const fingerprint = (listingId: number, overrides: Partial<NewListingFingerprint> = {}) => ({
      listingId,
      contentHash: "c".repeat(64),
      simhash: -0x7edcba9876543210n,
      bands: bands(listingId),
      imageHashes: [],
      sellerKeys: [],
      ...overrides,
    });

    beforeEach(async () => {
      now = new Date("2026-06-01T08:00:00.000Z");
      database = await newDatabase();
      store = await openStore(database.url, { clock: () => now });
      org = await store.organisations.create({ slug: "unit", name: "Unit" }, actor);
      source = await store.sources.upsert({
        organisationId: org.id,
        slug: "a",
        name: "A",
        platform: "market-a",
      });
      otherSource = await store.sources.upsert({
        organisationId: org.id,
        slug: "b",
        name: "B",
        platform: "market-b",
      });
    });
    afterEach(async () => {
      await store.close();
      await database.drop();
    });

    it("stores fingerprints with full 64-bit hashes, and replaces them with their keys", async () => {
      const a = await listing("a");
      const image = -0x0123456789abcdefn;
      const stored = fingerprint(a.id, {
        simhash: -(2n ** 63n),
        imageHashes: [image, 2n ** 63n - 1n],
        sellerKeys: ["phone:912345678", "seller:ngavoi"],
      });
      assert.equal(await store.relistings.recordFingerprints([stored]), 1);
      const read = await store.relistings.fingerprint(a.id);
      assert.deepEqual(
        { ...read, computedAt: undefined },
        { ...stored, organisationId: org.id, computedAt: undefined },
      );
      assert.deepEqual(read?.computedAt, now);

      now = minutesLater(5);
      await store.relistings.recordFingerprints([
        fingerprint(a.id, { contentHash: "d".repeat(64), bands: [], sellerKeys: ["handle:ngavoi"] }),
      ]);
      const replaced = await store.relistings.fingerprint(a.id);
      assert.deepEqual(replaced?.bands, []);
      assert.equal(replaced?.contentHash, "d".repeat(64));
      const keys = (await database.rows("listing_fingerprint_keys")).map((row) => row.lookup_key);
      assert.deepEqual(keys, ["handle:ngavoi"], "the old seller keys and image blocks are gone");
      assert.equal(await store.relistings.fingerprint(424242), null);
    });

    it("refuses a fingerprint of a missing listing or with a wrong number of bands, writing nothing", async () => {
      const a = await listing("a");
      await assert.rejects(
        store.relistings.recordFingerprints([fingerprint(a.id), fingerprint(424242)]),
        (e: unknown) => e instanceof NotFoundError && e.message.includes("424242"),
      );
      await assert.rejects(
        store.relistings.recordFingerprints([fingerprint(a.id, { bands: [1, 2, 3] })]),
        (e: unknown) => e instanceof UsageError && e.code === "fingerprint_bands_invalid",
      );
      assert.equal(await store.relistings.fingerprint(a.id), null);
    });

    it("finds candidates by any shared band, seller key or image block, most shared first, in one organisation", async () => {
      const text = await listing("text");
      const seller = await listing("seller", otherSource.id);
      const image = await listing("image");
      const unrelated = await listing("unrelated");
      const photo = 0x1234_5678_9abc_def0n;
      const shared = bands(999);
      await store.relistings.recordFingerprints([
        fingerprint(text.id, { bands: [shared[0]!, shared[1]!, ...bands(text.id).slice(2)] }),
        fingerprint(seller.id, { sellerKeys: ["phone:912345678"] }),
        fingerprint(image.id, { imageHashes: [photo] }),
        fingerprint(unrelated.id, { sellerKeys: ["phone:111111111"], imageHashes: [~photo] }),
      ]);
      const other = await store.organisations.create({ slug: "other", name: "Other" }, actor);
      const foreignSource = await store.sources.upsert({ organisationId: other.id, slug: "x", name: "X" });
      const foreign = await listing("foreign", foreignSource.id);
      await store.relistings.recordFingerprints([
        fingerprint(foreign.id, { sellerKeys: ["phone:912345678"] }),
      ]);

      // A photo 3 bits away still shares a 16-bit block with the stored one.
      const nearPhoto = photo ^ 0b1011n;
      const candidates = await store.relistings.findCandidates({
        organisationId: org.id,
        bands: shared,
        lookupKeys: ["phone:912345678", ...imageHashBlocks(nearPhoto)],
      });
      assert.deepEqual(
        candidates.map((c) => [c.fingerprint.listingId, c.sharedBands, c.sharedKeys]),
        [
          [image.id, 0, 3],
          [text.id, 2, 0],
          [seller.id, 0, 1],
        ],
      );
      assert.ok(candidates.every((c) => c.goneAt === null));
      assert.deepEqual(
        (
          await store.relistings.findCandidates({
            organisationId: org.id,
            bands: shared,
            lookupKeys: ["phone:912345678"],
            excludeListingIds: [text.id],
            limit: 1,
          })
        ).map((c) => c.fingerprint.listingId),
        [seller.id],
      );
      assert.deepEqual(
        await store.relistings.findCandidates({ organisationId: org.id, bands: [], lookupKeys: [] }),
        [],
      );
      await assert.rejects(
        store.relistings.findCandidates({ organisationId: org.id, bands: shared, lookupKeys: [], limit: 0 }),
        UsageError,
      );
    });

    it("keeps only originals when asked: listings ever removed or named in a takedown notice, with when", async () => {
      const removed = await listing("removed");
      const noticed = await listing("noticed");
      const both = await listing("both");
      const live = await listing("live");
      const keys = { sellerKeys: ["handle:ivorytrader"] };
      await store.relistings.recordFingerprints(
        [removed, noticed, both, live].map((l) => fingerprint(l.id, keys)),
      );
      await store.listings.markRemoved([removed.id], minutesLater(60));
      now = minutesLater(10);
      await store.takedowns.create(
        { organisationId: org.id, listingId: noticed.id, platform: "market-a", idempotencyKey: "n1" },
        actor,
      );
      await store.takedowns.create(
        { organisationId: org.id, listingId: both.id, platform: "market-a", idempotencyKey: "n2" },
        actor,
      );
      await store.listings.markRemoved([both.id], minutesLater(30));
      // Reappearing does not make a listing any less an original: it was removed once.
      await store.listings.ingest([
        {
          sourceId: source.id,
          listingKey: "removed",
          observedAt: minutesLater(120),
          url: "https://market.example/item/removed",
          title: "Item removed",
          text: "Listing removed",
        },
      ]);
      const originals = await store.relistings.findCandidates({
        organisationId: org.id,
        bands: [],
        lookupKeys: ["handle:ivorytrader"],
        originalsOnly: true,
      });
      assert.deepEqual(
        originals.map((c) => [c.fingerprint.listingId, c.goneAt?.toISOString()]),
        [
          [removed.id, new Date("2026-06-01T09:00:00.000Z").toISOString()],
          [noticed.id, new Date("2026-06-01T08:10:00.000Z").toISOString()],
          [both.id, new Date("2026-06-01T08:10:00.000Z").toISOString()],
        ],
      );
    });

    it("records a re-listing once with its reasons, audits it, and lists it by original, listing and time", async () => {
      const original = await listing("original");
      const copy = await listing("copy", otherSource.id);
      const later = await listing("later");
      const reasons: RelistingReason[] = [
        { kind: "text", similarity: 0.734, simhashDistance: 9 },
        { kind: "image", distance: 2, originalImage: "00ff00ff00ff00ff", newImage: "00ff00ff00ff00fe" },
        { kind: "seller", key: "phone:912345678" },
      ];
      const first = await store.relistings.record(
        { originalListingId: original.id, newListingId: copy.id, reasons },
        actor,
      );
      assert.equal(first.created, true);
      assert.deepEqual(first.relisting, {
        id: first.relisting.id,
        organisationId: org.id,
        originalListingId: original.id,
        newListingId: copy.id,
        reasons,
        detectedAt: now,
      });
      now = minutesLater(90);
      const again = await store.relistings.record(
        { originalListingId: original.id, newListingId: copy.id, reasons: [{ kind: "seller", key: "x" }] },
        actor,
      );
      assert.deepEqual(again, { relisting: first.relisting, created: false });
      const second = await store.relistings.record(
        { originalListingId: original.id, newListingId: later.id, reasons: [{ kind: "reappeared" }] },
        actor,
      );
      const audit = await store.audit.list({ subjectType: "listing", subjectId: String(copy.id) });
      assert.deepEqual(
        audit.filter((e) => e.action === "relisting.detected").map((e) => e.details),
        [
          {
            relistingId: first.relisting.id,
            originalListingId: original.id,
            reasons: ["text", "image", "seller"],
          },
        ],
      );

      assert.deepEqual(
        (await store.relistings.listForOriginals([original.id, copy.id, 424242])).map((r) => r.id),
        [first.relisting.id, second.relisting.id],
      );
      assert.deepEqual(await store.relistings.listForOriginals([]), []);
      assert.deepEqual(
        (await store.relistings.listForListing(copy.id)).map((r) => r.id),
        [first.relisting.id],
      );
      assert.deepEqual(
        (await store.relistings.listDetected({ organisationId: org.id, from: minutesLater(-1) })).map(
          (r) => r.id,
        ),
        [second.relisting.id],
      );
      assert.deepEqual(
        (await store.relistings.listDetected({ to: minutesLater(-1) })).map((r) => r.id),
        [first.relisting.id],
      );
      assert.deepEqual(
        (await store.relistings.listDetected({ afterId: first.relisting.id })).map((r) => r.id),
        [second.relisting.id],
      );
    });

    it("refuses a re-listing without reasons, of a missing listing, or across organisations", async () => {
      const original = await listing("original");
      const other = await store.organisations.create({ slug: "other", name: "Other" }, actor);
      const foreignSource = await store.sources.upsert({ organisationId: other.id, slug: "x", name: "X" });
      const foreign = await listing("foreign", foreignSource.id);
      await assert.rejects(
        store.relistings.record(
          { originalListingId: original.id, newListingId: original.id, reasons: [] },
          actor,
        ),
        (e: unknown) => e instanceof UsageError && e.code === "relisting_reasons_missing",
      );
      await assert.rejects(
        store.relistings.record(
          { originalListingId: original.id, newListingId: 424242, reasons: [{ kind: "reappeared" }] },
          actor,
        ),
        NotFoundError,
      );
      await assert.rejects(
        store.relistings.record(
          { originalListingId: original.id, newListingId: foreign.id, reasons: [{ kind: "reappeared" }] },
          actor,
        ),
        (e: unknown) => e instanceof UsageError && e.code === "relisting_across_organisations",
      );
      assert.equal((await database.rows("relistings")).length, 0);
    });
  });
}
