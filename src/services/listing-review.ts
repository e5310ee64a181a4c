import { NotFoundError, UsageError } from "../core/errors.ts";
import type {
  Appendix,
  Detection,
  Listing,
  ListingPage,
  ListingVersion,
  Review,
  Source,
  Verdict,
} from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import type { Principal } from "./access.ts";

export interface ListingQuery {
  readonly q?: string;
  readonly taxon?: string;
  readonly appendix?: Appendix;
  readonly verdict?: Verdict;
  readonly sourceId?: number;
  readonly language?: string;
  readonly country?: string;
  readonly removed?: boolean;
  readonly limit?: number;
  readonly cursor?: string;
}

/**
 * Listings, their history and detections, review verdicts and sources, always inside the caller's organisation:
 * another organisation's record answers exactly as a missing one.
 */
export function createListingReview(deps: { store: Store }) {
  const { store } = deps;

  const ownListing = async (principal: Principal, listingId: number): Promise<Listing> => {
    const listing = await store.listings.get(listingId);
    if (listing === null || listing.organisationId !== principal.organisationId)
      throw new NotFoundError("listing_not_found", `no listing ${listingId}`);
    return listing;
  };

  const ownSource = async (principal: Principal, sourceId: number): Promise<Source> => {
    const source = await store.sources.get(sourceId);
    if (source === null || source.organisationId !== principal.organisationId)
      throw new NotFoundError("source_not_found", `no source ${sourceId}`);
    return source;
  };

  return {
    async search(principal: Principal, query: ListingQuery): Promise<ListingPage> {
      return store.listings.search({
        organisationId: principal.organisationId,
        ...(query.q !== undefined ? { query: query.q } : {}),
        ...(query.taxon !== undefined ? { taxon: query.taxon } : {}),
        ...(query.appendix !== undefined ? { appendix: query.appendix } : {}),
        ...(query.verdict !== undefined ? { verdict: query.verdict } : {}),
        ...(query.sourceId !== undefined ? { sourceId: query.sourceId } : {}),
        ...(query.language !== undefined ? { language: query.language } : {}),
        ...(query.country !== undefined ? { country: query.country } : {}),
        ...(query.removed !== undefined ? { removed: query.removed } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      });
    },
    get: ownListing,
    async history(principal: Principal, listingId: number): Promise<ListingVersion[]> {
      await ownListing(principal, listingId);
      return store.listings.history(listingId);
    },
    async detections(principal: Principal, listingId: number): Promise<Detection[]> {
      await ownListing(principal, listingId);
      return store.listings.detections(listingId);
    },
    async reviews(principal: Principal, listingId: number): Promise<Review[]> {
      await ownListing(principal, listingId);
      return store.reviews.listForListing(listingId);
    },
    async recordReview(
      principal: Principal,
      listingId: number,
      request: { verdict: Verdict; note?: string; detectionId?: number },
    ): Promise<Review> {
      await ownListing(principal, listingId);
      if (principal.userId === null)
        throw new UsageError(
          "review_needs_user",
          "a review verdict is a person's: use a key issued to a user (admin key create --user)",
        );
      if (request.detectionId !== undefined) {
        const detections = await store.listings.detections(listingId);
        if (!detections.some((d) => d.id === request.detectionId))
          throw new NotFoundError(
            "detection_not_found",
            `no detection ${request.detectionId} of listing ${listingId}`,
          );
      }
      return store.reviews.record(
        {
          organisationId: principal.organisationId,
          listingId,
          reviewerId: principal.userId,
          verdict: request.verdict,
          note: request.note ?? null,
          detectionId: request.detectionId ?? null,
        },
        principal.actor,
      );
    },
    listSources: (principal: Principal) => store.sources.list(principal.organisationId),
    getSource: ownSource,
  };
}

export type ListingReview = ReturnType<typeof createListingReview>;
