import { NotFoundError, WildtrawlError } from "../core/errors.ts";
import { imageHashBlocks } from "../core/similarity/image-hash.ts";
import {
  isInformativeImageHash,
  relistingReasons,
  type ComparableListing,
  type RelistingReason,
} from "../core/similarity/relisting-match.ts";
import { sellerKeys } from "../core/similarity/seller-keys.ts";
import { fingerprintOf, textFeatures } from "../core/similarity/text-fingerprint.ts";
import type { Listing, ListingFingerprint, Relisting } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import { defaultImageLimits, imageHashOf, type ImageLimits } from "../trawl/image-decode.ts";

/**
 * Re-listing detection: a listing that was removed from its platform or named in a takedown notice comes back — the
 * same or a near-duplicate text, the same photos, or the same seller — on the same platform or another.
 *
 * After ingest, `checkRelistings` fingerprints the listings given (again only when their content changed), looks up
 * stored listings sharing a text band, a seller key or an image block, compares each candidate exactly, and records a
 * re-listing with every reason when:
 * - one of the two was removed or noticed (the original) and the other was first seen with its current content
 *   after the original was first seen (the copy is the later one, whichever of the two was checked first, so the
 *   order in which a revisit meets a removal and its copy does not matter);
 * - the match is on words or photos, or on the seller when the copy is not judged to be about something else
 *   entirely (a seller's unrelated advert, verdict "none", is not the removed advert coming back).
 * A removed listing that reappears at the same address is recorded too, as its own re-listing ("reappeared").
 */

export interface RelistingDeps {
  readonly store: Store;
  /** Downloads an image of an advert. Without it, photos are not compared. */
  readonly fetchImage?: (url: URL) => Promise<Uint8Array>;
  readonly imageLimits?: ImageLimits;
  /** Photos hashed per listing; adverts rarely show the item in more. */
  readonly maxImagesPerListing?: number;
  /** Candidates compared per listing, those sharing most bands and keys first. */
  readonly maxCandidates?: number;
  /** How the audit log names the detector. */
  readonly actor?: string;
}

export interface RelistingCheck {
  /** Listings looked at (missing ids are skipped). */
  readonly checked: number;
  /** Listings whose fingerprint was computed now (the others were up to date). */
  readonly fingerprinted: number;
  /** Re-listings recorded by this check (ones already known are not repeated). */
  readonly relistings: readonly Relisting[];
  /** Photos that could not be fetched or decoded, by listing; the rest of the listing is still compared. */
  readonly imageFailures: readonly { listingId: number; url: string; code: string }[];
}

export interface RelistingService {
  checkRelistings(listingIds: readonly number[]): Promise<RelistingCheck>;
  /**
   * The re-listings a listing takes part in, as original or as copy. With `organisationId`, a listing of another
   * organisation answers as a missing one.
   */
  relistingsOf(listingId: number, organisationId?: number): Promise<Relisting[]>;
  /** Re-listings detected in [from, to), in the order they were recorded. */
  listDetected(range: {
    organisationId?: number;
    from?: Date;
    to?: Date;
    limit?: number;
  }): Promise<Relisting[]>;
}

interface Examined {
  readonly listing: Listing;
  readonly comparable: ComparableListing;
  /** When the current content was first recorded. */
  readonly currentSince: Date;
  /** Removed once or noticed: when that first happened; null if neither. */
  readonly goneAt: Date | null;
  /** Removed once and on its platform again now. */
  readonly cameBack: boolean;
}

export function createRelistingService(deps: RelistingDeps): RelistingService {
  const { store } = deps;
  const actor = deps.actor ?? "system:relisting";
  const maxImages = deps.maxImagesPerListing ?? 4;
  const imageLimits = deps.imageLimits ?? defaultImageLimits;

  async function imageHashes(listing: Listing, failures: RelistingCheck["imageFailures"][number][]) {
    const fetchImage = deps.fetchImage;
    const urls = listing.attributes["imageUrls"];
    if (!fetchImage || !Array.isArray(urls)) return [];
    const hashes: bigint[] = [];
    for (const url of urls.filter((u): u is string => typeof u === "string").slice(0, maxImages)) {
      try {
        hashes.push(imageHashOf(await fetchImage(new URL(url, listing.url)), imageLimits));
      } catch (error) {
        failures.push({
          listingId: listing.id,
          url,
          code: error instanceof WildtrawlError ? error.code : "image_failed",
        });
      }
    }
    return hashes;
  }

  function comparableOf(listing: Listing, fingerprint: ListingFingerprint | null): ComparableListing {
    const features = textFeatures(listing.title, listing.text);
    return {
      features,
      simhash: fingerprint?.simhash ?? fingerprintOf(features).simhash,
      imageHashes: fingerprint?.imageHashes ?? [],
      sellerKeys: fingerprint?.sellerKeys ?? sellerKeys(listing),
    };
  }

  async function examine(listing: Listing, comparable: ComparableListing): Promise<Examined> {
    const history = await store.listings.history(listing.id);
    const current = history.find((version) => version.version === listing.version);
    const removed = history.find((version) => version.removed);
    const notices = await store.takedowns.listForListing(listing.id);
    const noticedAt = notices.reduce<Date | null>(
      (first, notice) => (first === null || notice.createdAt < first ? notice.createdAt : first),
      null,
    );
    const removedAt = removed?.observedAt ?? null;
    const goneAt =
      removedAt && noticedAt ? (removedAt < noticedAt ? removedAt : noticedAt) : (removedAt ?? noticedAt);
    return {
      listing,
      comparable,
      currentSince: current?.observedAt ?? listing.firstSeenAt,
      goneAt,
      cameBack: removedAt !== null && listing.removedAt === null,
    };
  }

  /** Whether `copy` brings `original` back, given why they match. */
  function isRelisting(original: Examined, copy: Examined, reasons: readonly RelistingReason[]): boolean {
    if (original.goneAt === null || reasons.length === 0) return false;
    if (copy.currentSince <= original.listing.firstSeenAt) return false;
    const sellerOnly = reasons.every((reason) => reason.kind === "seller");
    return !(sellerOnly && copy.listing.verdict === "none");
  }

  async function checkRelistings(listingIds: readonly number[]): Promise<RelistingCheck> {
    const recorded: Relisting[] = [];
    const imageFailures: RelistingCheck["imageFailures"][number][] = [];
    let checked = 0;
    let fingerprinted = 0;
    const record = async (original: number, copy: number, reasons: readonly RelistingReason[]) => {
      const result = await store.relistings.record(
        { originalListingId: original, newListingId: copy, reasons },
        actor,
      );
      if (result.created) recorded.push(result.relisting);
    };

    for (const listingId of new Set(listingIds)) {
      const listing = await store.listings.get(listingId);
      if (listing === null) continue;
      checked++;
      let fingerprint = await store.relistings.fingerprint(listing.id);
      if (fingerprint === null || fingerprint.contentHash !== listing.contentHash) {
        const text = fingerprintOf(textFeatures(listing.title, listing.text));
        await store.relistings.recordFingerprints([
          {
            listingId: listing.id,
            contentHash: listing.contentHash,
            simhash: text.simhash,
            bands: text.bands,
            imageHashes: await imageHashes(listing, imageFailures),
            sellerKeys: sellerKeys(listing),
          },
        ]);
        fingerprint = await store.relistings.fingerprint(listing.id);
        fingerprinted++;
      }
      const self = await examine(listing, comparableOf(listing, fingerprint));

      if (self.cameBack) await record(listing.id, listing.id, [{ kind: "reappeared" }]);

      const candidates = await store.relistings.findCandidates({
        organisationId: listing.organisationId,
        bands: fingerprint?.bands ?? [],
        lookupKeys: [
          ...self.comparable.sellerKeys,
          ...self.comparable.imageHashes.filter(isInformativeImageHash).flatMap(imageHashBlocks),
        ],
        excludeListingIds: [listing.id],
        // Unless this listing is an original itself, only originals can make it a re-listing.
        originalsOnly: self.goneAt === null,
        limit: deps.maxCandidates ?? 200,
      });
      for (const candidate of candidates) {
        const other = await store.listings.get(candidate.fingerprint.listingId);
        if (other === null) continue;
        const comparable = comparableOf(other, candidate.fingerprint);
        const reasons = relistingReasons(comparable, self.comparable);
        // Most candidates share a common phrase and nothing more: only a match is worth reading its history.
        if (reasons.length === 0) continue;
        const them = await examine(other, comparable);
        if (isRelisting(them, self, reasons)) await record(other.id, listing.id, reasons);
        if (isRelisting(self, them, reasons)) {
          await record(listing.id, other.id, relistingReasons(self.comparable, them.comparable));
        }
      }
    }
    return { checked, fingerprinted, relistings: recorded, imageFailures };
  }

  return {
    checkRelistings,
    async relistingsOf(listingId, organisationId) {
      const listing = await store.listings.get(listingId);
      if (listing === null || (organisationId !== undefined && listing.organisationId !== organisationId)) {
        throw new NotFoundError("listing_not_found", `no listing ${listingId}`);
      }
      return store.relistings.listForListing(listingId);
    },
    listDetected: (range) => store.relistings.listDetected(range),
  };
}
