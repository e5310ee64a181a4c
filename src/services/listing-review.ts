import { NotFoundError, UsageError } from "../core/errors.ts";
import {
  reviewVerdicts,
  type Appendix,
  type Detection,
  type Listing,
  type ListingPage,
  type ListingVersion,
  type Review,
  type ReviewQueuePage,
  type ReviewVerdict,
  type Source,
  type Verdict,
} from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import { rolePermissions, type ApiRole, type Principal } from "./access.ts";
import {
  flagPrecision,
  type FlagPrecisionReport,
  type PrecisionGrouping,
  type PrecisionInterval,
} from "./flag-precision.ts";

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

/** Who is acting: a key's or a session's principal, or a person at the command line. */
export type Reviewer = Pick<Principal, "organisationId" | "userId" | "actor">;

export interface ReviewQueueRequest {
  /** A source's id, or its slug. */
  readonly source?: string | number;
  readonly taxon?: string;
  readonly language?: string;
  readonly country?: string;
  /** "me" (the caller), "none" (nobody), or a user id. */
  readonly assignee?: "me" | "none" | number;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface AssignmentView {
  readonly listingId: number;
  readonly assignee: {
    readonly userId: number;
    readonly displayName: string;
    readonly assignedBy: string;
    readonly assignedAt: Date;
  } | null;
}

/** A listing is flagged, and joins the review queue, when its detection says "offer" or scores at least this. */
export const defaultFlagScore = 0.5;

/**
 * Listings, their history and detections, review verdicts, the review queue and flag precision, and sources,
 * always inside the caller's organisation: another organisation's record answers exactly as a missing one.
 */
export function createListingReview(deps: { store: Store; flagScore?: number }) {
  const { store } = deps;
  const flagScore = deps.flagScore ?? defaultFlagScore;

  const ownListing = async (principal: Reviewer, listingId: number): Promise<Listing> => {
    const listing = await store.listings.get(listingId);
    if (listing === null || listing.organisationId !== principal.organisationId)
      throw new NotFoundError("listing_not_found", `no listing ${listingId}`);
    return listing;
  };

  const needsUser = (reviewer: Reviewer, what: string): number => {
    if (reviewer.userId === null)
      throw new UsageError(
        "review_needs_user",
        `${what} is a person's: sign in, or use a key issued to a user (admin key create --user)`,
      );
    return reviewer.userId;
  };

  const ownSource = async (principal: Reviewer, sourceId: number): Promise<Source> => {
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
      reviewer: Reviewer,
      listingId: number,
      request: { verdict: ReviewVerdict; note?: string | null; detectionId?: number },
    ): Promise<Review> {
      const listing = await ownListing(reviewer, listingId);
      const reviewerId = needsUser(reviewer, "a review verdict");
      if (!(reviewVerdicts as readonly string[]).includes(request.verdict))
        throw new UsageError(
          "verdict_invalid",
          `verdict "${request.verdict}": expected ${reviewVerdicts.join(", ")}`,
        );
      const detections = await store.listings.detections(listingId);
      let detectionId: number | null;
      if (request.detectionId !== undefined) {
        if (!detections.some((d) => d.id === request.detectionId))
          throw new NotFoundError(
            "detection_not_found",
            `no detection ${request.detectionId} of listing ${listingId}`,
          );
        detectionId = request.detectionId;
      } else {
        // The verdict judges what the person saw: the detection of the listing's current content.
        const current = detections.filter(
          (d) => d.contentHash === listing.contentHash && d.detectorVersion === listing.detectorVersion,
        );
        detectionId = current[current.length - 1]?.id ?? null;
      }
      const note = request.note?.trim() ? request.note.trim() : null;
      return store.reviews.record(
        {
          organisationId: reviewer.organisationId,
          listingId,
          reviewerId,
          verdict: request.verdict,
          note,
          detectionId,
        },
        reviewer.actor,
      );
    },
    /** Flagged listings the organisation has not reviewed, highest score first, then Appendix I before II and III. */
    async queue(reviewer: Reviewer, request: ReviewQueueRequest): Promise<ReviewQueuePage> {
      let sourceId: number | undefined;
      if (typeof request.source === "number" || /^[0-9]+$/.test(request.source ?? "x")) {
        sourceId = (await ownSource(reviewer, Number(request.source))).id;
      } else if (request.source !== undefined) {
        const found = (await store.sources.list(reviewer.organisationId)).find(
          (s) => s.slug === request.source,
        );
        if (found === undefined) throw new NotFoundError("source_not_found", `no source "${request.source}"`);
        sourceId = found.id;
      }
      const assignee = request.assignee === "me" ? needsUser(reviewer, '"assignee=me"') : request.assignee;
      return store.reviews.queue({
        organisationId: reviewer.organisationId,
        minScore: flagScore,
        ...(sourceId !== undefined ? { sourceId } : {}),
        ...(request.taxon !== undefined ? { taxon: request.taxon } : {}),
        ...(request.language !== undefined ? { language: request.language } : {}),
        ...(request.country !== undefined ? { country: request.country } : {}),
        ...(assignee !== undefined ? { assignee } : {}),
        ...(request.limit !== undefined ? { limit: request.limit } : {}),
        ...(request.cursor !== undefined ? { cursor: request.cursor } : {}),
      });
    },
    /** Assigns a listing to a person of the organisation who may record verdicts, or clears it (null). */
    async assign(reviewer: Reviewer, listingId: number, userId: number | null): Promise<AssignmentView> {
      await ownListing(reviewer, listingId);
      let displayName = "";
      if (userId !== null) {
        const user = await store.users.get(userId);
        if (user === null || user.organisationId !== reviewer.organisationId)
          throw new NotFoundError("user_not_found", `no user ${userId}`);
        if (user.disabledAt !== null || !rolePermissions["reviews.write"].includes(user.role as ApiRole))
          throw new UsageError(
            "assignee_cannot_review",
            `user ${userId} (${user.role}${user.disabledAt ? ", disabled" : ""}) may not record review verdicts`,
          );
        displayName = user.displayName;
      }
      const assignment = await store.reviews.assign(
        { organisationId: reviewer.organisationId, listingId, userId },
        reviewer.actor,
      );
      return {
        listingId,
        assignee: assignment && {
          userId: assignment.userId,
          displayName,
          assignedBy: assignment.assignedBy,
          assignedAt: assignment.assignedAt,
        },
      };
    },
    /** Flag precision from the organisation's verdicts given in [from, to). */
    async precision(
      reviewer: Reviewer,
      request: { by: PrecisionGrouping; interval: PrecisionInterval; from?: Date; to?: Date },
    ): Promise<FlagPrecisionReport & { from: Date | null; to: Date | null }> {
      if (request.from && request.to && request.from.getTime() >= request.to.getTime())
        throw new UsageError(
          "date_range_invalid",
          `from (${request.from.toISOString()}) must be before to (${request.to.toISOString()})`,
        );
      const rows = await store.reviews.reviewedDetections({
        organisationId: reviewer.organisationId,
        ...(request.from ? { from: request.from } : {}),
        ...(request.to ? { to: request.to } : {}),
      });
      return {
        ...flagPrecision(rows, { by: request.by, interval: request.interval, flagScore }),
        from: request.from ?? null,
        to: request.to ?? null,
      };
    },
    listSources: (principal: Principal) => store.sources.list(principal.organisationId),
    getSource: ownSource,
  };
}

export type ListingReview = ReturnType<typeof createListingReview>;
