import type {
  ApiKey,
  AuditEntry,
  Capture,
  ClaimedJob,
  CreatedApiKey,
  CustodyEntry,
  Detection,
  DetectionInput,
  EnqueueResult,
  IngestResult,
  Job,
  JobCounts,
  JobFailure,
  JobLease,
  JsonObject,
  Listing,
  ListingObservation,
  ListingPage,
  ListingSearch,
  ListingVersion,
  LoginFailureCount,
  NewApiKey,
  NewAuditEntry,
  NewCapture,
  NewCustodyEntry,
  NewJob,
  NewOrganisation,
  NewPage,
  NewReview,
  NewSession,
  NewTakedownNotice,
  NewUser,
  OfferCount,
  OfferCountQuery,
  Organisation,
  Page,
  Platform,
  PlatformInput,
  Review,
  ReviewAssignment,
  ReviewedDetection,
  ReviewedListing,
  ReviewQueuePage,
  ReviewQueueQuery,
  Session,
  Source,
  SourceInput,
  TakedownEvent,
  TakedownFilter,
  TakedownNotice,
  TakedownState,
  TrawlRun,
  TrawlRunState,
  User,
  UserCredentials,
} from "./records.ts";
import type {
  ListingFingerprint,
  NewListingFingerprint,
  NewRelisting,
  Relisting,
  RelistingCandidate,
  RelistingCandidateQuery,
} from "./records.ts";
import type { Case, CaseListing, NewCase, RefusedChange } from "./records.ts";
import type { CaseShare, NewCaseShare, NewSharingGroup, SharingGroup, UserClearance } from "./records.ts";

/**
 * The one storage interface. Two implementations (sqlite/, postgres/) pass the same contract (store.contract.ts).
 * It is grouped by area so that later areas (cases, entities, requests, declarations, submissions) join as new
 * repositories and new migrations, without touching the ones here.
 *
 * Writes that matter to evidence, cases or access append to the audit log in the same transaction; they take the
 * acting party as `actor` ("user:12", "api-key:3", "system:trawler").
 */
export interface Store extends StoreRepositories {
  readonly dialect: "sqlite" | "postgres";
  /**
   * Runs `work` in one transaction: everything it writes through `tx` commits together or not at all. Use `tx`,
   * never the outer store, inside `work`. Keep it short: on SQLite it holds the database's write lock.
   */
  transaction<T>(work: (tx: StoreRepositories) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface StoreRepositories {
  readonly organisations: OrganisationRepository;
  readonly users: UserRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly sources: SourceRepository;
  readonly pages: PageRepository;
  readonly listings: ListingRepository;
  readonly reviews: ReviewRepository;
  readonly evidence: EvidenceRepository;
  readonly takedowns: TakedownRepository;
  readonly platforms: PlatformRepository;
  readonly audit: AuditRepository;
  readonly jobs: JobQueue;
  readonly statistics: StatisticsRepository;
  readonly sessions: SessionRepository;
  readonly loginFailures: LoginFailureRepository;
  readonly rateLimits: RateLimitRepository;
  readonly relistings: RelistingRepository;
  readonly cases: CaseRepository;
  readonly sharing: SharingRepository;
}

/** Investigations and the listings they gather. Every change is audited in the same transaction. */
export interface CaseRepository {
  /** Refuses a reference the organisation already uses (`ConflictError` "case_exists"). */
  create(newCase: NewCase, actor: string): Promise<Case>;
  get(organisationId: number, reference: string): Promise<Case | null>;
  /** The organisation's cases, newest first. */
  list(organisationId: number): Promise<Case[]>;
  /**
   * Adds listings of the case's own organisation, or of `listingOrganisationIds` when given (another's is
   * `NotFoundError` "listing_not_found", as a missing one); a listing already in the case keeps its first entry.
   * The audit entry goes to `organisationId` (default: the case's). Returns the entries added now.
   */
  addListings(
    caseId: number,
    listingIds: readonly number[],
    actor: string,
    note?: string | null,
    options?: { listingOrganisationIds?: readonly number[]; organisationId?: number },
  ): Promise<CaseListing[]>;
  /** In the order they were added. */
  listings(caseId: number): Promise<CaseListing[]>;
}

/**
 * Sharing between organisations (docs/sharing.md): sharing groups, shares of cases and users' clearances. It stores
 * and finds; core/sharing/access-decision.ts decides. Every change is audited in the same transaction.
 */
export interface SharingRepository {
  /** Refuses a slug already used (`ConflictError` "sharing_group_exists"); the owner is always a member. */
  createGroup(group: NewSharingGroup, actor: string): Promise<SharingGroup>;
  getGroup(slug: string): Promise<SharingGroup | null>;
  /** The groups with these ids (unknown ids are left out). */
  groups(ids: readonly number[]): Promise<SharingGroup[]>;
  /** The groups the organisation belongs to (its own included), by slug. */
  groupsOf(organisationId: number): Promise<SharingGroup[]>;
  /**
   * Adds or removes a member of a group (audited for the group's owner); adding a member twice or removing one that
   * is not changes nothing and audits nothing. The owner is always a member: removing it is `UsageError`
   * "sharing_group_owner". Returns the group as it is now.
   */
  changeMembers(
    groupId: number,
    change: { add?: readonly number[]; remove?: readonly number[] },
    actor: string,
  ): Promise<SharingGroup>;
  /** Records a share, audited for the granting organisation and, when another, for the case's owner. */
  share(share: NewCaseShare, actor: string): Promise<CaseShare>;
  /** The shares of these cases in force (not withdrawn), oldest first. */
  sharesOf(caseIds: readonly number[]): Promise<CaseShare[]>;
  /**
   * Withdraws a share of the case and every share passed on from it, in one transaction, audited for the
   * withdrawing organisation and the case's owner. Returns the ids withdrawn, the share's first; none when the
   * share is not one in force of that case.
   */
  withdraw(caseId: number, shareId: number, actor: string, organisationId: number): Promise<number[]>;
  /**
   * Cases of other organisations that a share or their sharing group distributes to the organisation or to one of
   * its groups, optionally only those with a reference: candidates for the access decision, not its answer.
   */
  casesReaching(organisationId: number, groupIds: readonly number[], reference?: string): Promise<Case[]>;
  clearanceOf(userId: number): Promise<UserClearance | null>;
  setClearance(
    clearance: Pick<UserClearance, "userId" | "marking" | "handling">,
    actor: string,
    organisationId: number,
  ): Promise<UserClearance>;
}

export interface OrganisationRepository {
  create(organisation: NewOrganisation, actor: string): Promise<Organisation>;
  get(id: number): Promise<Organisation | null>;
  getBySlug(slug: string): Promise<Organisation | null>;
  list(): Promise<Organisation[]>;
}

export interface UserRepository {
  /** Refuses a second user with the same email (`ConflictError` "user_exists"). */
  create(user: NewUser, actor: string): Promise<User>;
  get(id: number): Promise<User | null>;
  getByEmail(email: string): Promise<User | null>;
  /** Also revokes every session of the user, in the same transaction. */
  disable(id: number, actor: string): Promise<User>;
  listForOrganisation(organisationId: number): Promise<User[]>;
  credentials(id: number): Promise<UserCredentials | null>;
  /** `hash` as made by services/authentication.ts; null removes the password. */
  setPasswordHash(id: number, hash: string | null, actor: string): Promise<User>;
  /** Enrols (or with null removes) a TOTP secret; forgets the last step used. */
  setMfaSecret(id: number, secret: string | null, actor: string): Promise<User>;
  /** Records a TOTP step as used; false if it (or a later one) was used already: a replayed code. */
  useMfaStep(id: number, step: number): Promise<boolean>;
}

export interface SessionRepository {
  create(session: NewSession): Promise<Session>;
  get(id: number): Promise<Session | null>;
  /** The session whatever its state (revoked, expired): the caller decides. */
  findByTokenHash(tokenHash: string): Promise<Session | null>;
  /** Records activity at `at` (never moves `lastSeenAt` backwards). */
  touch(id: number, at: Date): Promise<void>;
  revoke(id: number, actor: string): Promise<Session>;
  /** Revokes every live session of the user; returns how many. */
  revokeAllForUser(userId: number, actor: string): Promise<number>;
}

/**
 * Failed sign-ins per throttle key in fixed windows, shared by every process on the database (RELIABILITY A7).
 * Keys are stored as their SHA-256 only.
 */
export interface LoginFailureRepository {
  /**
   * Counts one failure against each key at `at`, atomically even with many processes failing at once; a key whose
   * window of `windowMs` has ended starts a new one at `at`. Returns each key's count after this one, in order.
   */
  count(keys: readonly string[], at: Date, windowMs: number): Promise<LoginFailureCount[]>;
  /** Takes back one failure from each key (never below zero): an attempt counted in advance that was not one. */
  forgive(keys: readonly string[]): Promise<void>;
  /** Forgets a key's failures altogether. */
  clear(key: string): Promise<void>;
}

/** Requests to add to a rate-limit key's window (0 only reads its total). */
export interface RateLimitHits {
  readonly key: string;
  /** The start of the fixed window the requests fell in. */
  readonly windowStartedAt: Date;
  readonly hits: number;
}

/** A rate-limit key's requests in the window the store holds for it, from every process. */
export interface RateLimitCount {
  readonly key: string;
  readonly windowStartedAt: Date;
  readonly hits: number;
}

/**
 * API requests per rate-limit key in fixed windows, shared by every process on the database (RELIABILITY H7). Keys
 * are stored as their SHA-256 only; each key has one row, its latest window.
 */
export interface RateLimitRepository {
  /**
   * Adds each entry's hits to its key's window in one atomic statement, and returns each key's total after it, in
   * order (entries for one key are added together). A newer window replaces the stored one; hits for a window older
   * than the stored one are dropped, and the newer window's total is returned.
   */
  add(entries: readonly RateLimitHits[]): Promise<RateLimitCount[]>;
  /** Deletes up to `limit` rows of windows that started before `before`; returns how many. */
  prune(before: Date, limit: number): Promise<number>;
}

export interface ApiKeyRepository {
  /** Makes a new random secret; only its hash is stored. */
  create(key: NewApiKey, actor: string): Promise<CreatedApiKey>;
  /** The key a secret belongs to, if it exists and is not revoked; records when it was used. */
  authenticate(secret: string): Promise<ApiKey | null>;
  revoke(id: number, actor: string): Promise<ApiKey>;
  listForOrganisation(organisationId: number): Promise<ApiKey[]>;
}

export interface SourceRepository {
  /** Creates the source, or updates the one with the same organisation and slug. */
  upsert(source: SourceInput): Promise<Source>;
  get(id: number): Promise<Source | null>;
  list(organisationId?: number): Promise<Source[]>;
  startRun(sourceId: number): Promise<TrawlRun>;
  finishRun(
    runId: number,
    outcome: { state: Exclude<TrawlRunState, "running">; stats?: JsonObject; error?: string | null },
  ): Promise<TrawlRun>;
  getRun(runId: number): Promise<TrawlRun | null>;
  /** The source's runs, newest first. */
  listRuns(sourceId: number, options?: { limit?: number }): Promise<TrawlRun[]>;
}

export interface PageRepository {
  /** Idempotent: recording the same WARC location again returns the page already recorded. */
  record(page: NewPage): Promise<Page>;
  get(id: number): Promise<Page | null>;
}

export interface ListingRepository {
  /**
   * Records sightings in one transaction, in order: new listings, changed versions, reappearances, and detections.
   * Replaying the same batch changes nothing but `lastSeenAt`.
   */
  ingest(observations: readonly ListingObservation[]): Promise<IngestResult[]>;
  /** Records detections made after ingestion. One whose content hash is no longer current is kept but not shown. */
  recordDetections(
    detections: readonly { listingId: number; contentHash: string; detection: DetectionInput }[],
  ): Promise<number>;
  /** Marks listings as gone from their platform (a version with `removed: true`); already removed ones are kept. */
  markRemoved(listingIds: readonly number[], observedAt: Date): Promise<number>;
  get(id: number): Promise<Listing | null>;
  getByKey(sourceId: number, listingKey: string): Promise<Listing | null>;
  history(listingId: number): Promise<ListingVersion[]>;
  detections(listingId: number): Promise<Detection[]>;
  search(search: ListingSearch): Promise<ListingPage>;
}

export interface ReviewRepository {
  /** Records a verdict (the listing's latest is the organisation's) and audits it in the same transaction. */
  record(review: NewReview, actor: string): Promise<Review>;
  listForListing(listingId: number): Promise<Review[]>;
  /**
   * Assigns a listing to a user of its organisation, replacing the current assignment, or clears it (`userId`
   * null); audited in the same transaction. Returns the new assignment, or null when cleared.
   */
  assign(
    assignment: { organisationId: number; listingId: number; userId: number | null },
    actor: string,
  ): Promise<ReviewAssignment | null>;
  assignmentOf(organisationId: number, listingId: number): Promise<ReviewAssignment | null>;
  /** Flagged listings the organisation has not reviewed yet, in review order, a page at a time. */
  queue(query: ReviewQueueQuery): Promise<ReviewQueuePage>;
  /** Each reviewed listing's latest verdict with the detection it judged, reviewed in [from, to) if given. */
  reviewedDetections(query: { organisationId: number; from?: Date; to?: Date }): Promise<ReviewedDetection[]>;
  /** Each reviewed listing's latest verdict with its current content; all organisations if none is given. */
  reviewedListings(organisationId?: number): Promise<ReviewedListing[]>;
}

export interface EvidenceRepository {
  /**
   * Stores a capture and its first custody entry ("capture"). Idempotent on (listing, sha256): recording the same
   * capture again returns the first with `created: false` and writes nothing.
   */
  recordCapture(capture: NewCapture, actor: string): Promise<{ capture: Capture; created: boolean }>;
  getCapture(id: number): Promise<Capture | null>;
  listCaptures(listingId: number): Promise<Capture[]>;
  appendCustody(entry: NewCustodyEntry): Promise<CustodyEntry>;
  /** The custody entries of one capture, oldest first. */
  custodyOf(captureId: number): Promise<CustodyEntry[]>;
  /** The whole custody chain in order, a page at a time, for verification and anchoring. */
  custodyLog(options?: { afterId?: number; limit?: number }): Promise<CustodyEntry[]>;
}

export interface TakedownRepository {
  /** Idempotent on (organisation, idempotencyKey): the same key returns the first notice with `created: false`. */
  create(notice: NewTakedownNotice, actor: string): Promise<{ notice: TakedownNotice; created: boolean }>;
  /**
   * Moves a notice from `from` to `to`. Refused (`ConflictError`) if it is no longer in `from` (someone else moved
   * it) or if the move is not in `takedownTransitions`.
   */
  transition(
    id: number,
    move: {
      from: TakedownState;
      to: TakedownState;
      note?: string | null;
      /** When it happened, if earlier than now (recorded on the event; `updatedAt` stays the recording time). */
      observedAt?: Date | null;
      details?: JsonObject;
    },
    actor: string,
  ): Promise<TakedownNotice>;
  get(id: number): Promise<TakedownNotice | null>;
  events(noticeId: number): Promise<TakedownEvent[]>;
  listForListing(listingId: number): Promise<TakedownNotice[]>;
  /** Notices of one organisation, oldest first, a page at a time. */
  list(filter: TakedownFilter): Promise<TakedownNotice[]>;
  /** The events of many notices at once (for reports), in order of notice then event. */
  eventsOf(noticeIds: readonly number[]): Promise<TakedownEvent[]>;
}

/** Platform profiles per organisation: where and how takedown notices go, and what they cite. */
export interface PlatformRepository {
  /** Refuses a second platform with the same slug in the organisation (`ConflictError` "platform_exists"). */
  create(platform: PlatformInput, actor: string): Promise<Platform>;
  /** Creates the platform or replaces the one with the same organisation and slug. */
  save(platform: PlatformInput, actor: string): Promise<{ platform: Platform; created: boolean }>;
  get(organisationId: number, slug: string): Promise<Platform | null>;
  list(organisationId: number): Promise<Platform[]>;
}

export interface AuditRepository {
  append(entry: NewAuditEntry): Promise<AuditEntry>;
  /** The chain in order, a page at a time. */
  list(options?: {
    afterId?: number;
    limit?: number;
    subjectType?: string;
    subjectId?: string;
  }): Promise<AuditEntry[]>;
  /** Attempts to change evidence, custody or audit rows that the database refused, oldest first. */
  refusedChanges(options?: { afterId?: number; limit?: number }): Promise<RefusedChange[]>;
}

/**
 * A job queue in the same database. A job is `pending` until a worker claims it (`leased`, with a lease that
 * expires), then `done`, or back to `pending` to retry, or `failed` (the dead letter) after its last attempt.
 * Rows are never deleted, so enqueued = done + failed + pending + leased.
 */
export interface JobQueue {
  enqueue(job: NewJob): Promise<EnqueueResult>;
  enqueueMany(jobs: readonly NewJob[]): Promise<EnqueueResult[]>;
  /** Leases up to `limit` ready jobs (highest priority, then oldest) to `workerId` for `leaseMs`. */
  claim(options: {
    queues: readonly string[];
    workerId: string;
    leaseMs: number;
    limit?: number;
  }): Promise<ClaimedJob[]>;
  /** Extends a lease. Throws `LeaseLostError` if the lease is no longer held (it expired and was reclaimed). */
  heartbeat(lease: JobLease, leaseMs: number): Promise<void>;
  /** Marks the job done. Call it in the transaction that commits the job's results; throws `LeaseLostError`. */
  complete(lease: JobLease): Promise<void>;
  /**
   * Records a failed attempt: back to `pending` after `retryDelayMs`, or `failed` when attempts are used up or
   * `permanent` is set. Returns the new state. Throws `LeaseLostError`.
   */
  fail(
    lease: JobLease,
    failure: JobFailure,
    options: { retryDelayMs: number; permanent?: boolean },
  ): Promise<"pending" | "failed">;
  /** Gives the job back untouched (the attempt does not count), e.g. on shutdown. */
  release(lease: JobLease): Promise<void>;
  /**
   * Returns jobs whose lease expired to `pending` (their attempt counts: a job that kills its worker every time
   * ends up `failed` with "lease_expired"). Returns how many were reclaimed.
   */
  reclaimExpired(): Promise<number>;
  /** Puts failed jobs back to `pending` with fresh attempts; returns how many. */
  requeueFailed(options?: { queue?: string; ids?: readonly number[] }): Promise<number>;
  get(id: number): Promise<Job | null>;
  counts(queue?: string): Promise<JobCounts>;
  list(options: { queue?: string; state?: Job["state"]; limit?: number; afterId?: number }): Promise<Job[]>;
}

/** Counts for the dashboard's charts, computed in the database. */
export interface StatisticsRepository {
  /**
   * Listings whose current detection is an offer, by the period of their first sighting and a dimension. A listing
   * with several values of the dimension (taxa, products) counts once for each.
   */
  offerCounts(query: OfferCountQuery): Promise<OfferCount[]>;
}

/**
 * Re-listings: fingerprints of listings for candidate look-up, and the re-listings found (src/services/relisting.ts
 * decides; this stores and finds).
 */
export interface RelistingRepository {
  /** Stores each listing's fingerprint, replacing the one it had (and its look-up keys). Returns how many. */
  recordFingerprints(fingerprints: readonly NewListingFingerprint[]): Promise<number>;
  fingerprint(listingId: number): Promise<ListingFingerprint | null>;
  /** Stored fingerprints sharing a band or a look-up key with the query, in the query's organisation. */
  findCandidates(query: RelistingCandidateQuery): Promise<RelistingCandidate[]>;
  /** Idempotent on (original, new): recording the pair again returns the first with `created: false`. */
  record(relisting: NewRelisting, actor: string): Promise<{ relisting: Relisting; created: boolean }>;
  /** The re-listings of these original listings, oldest first: what the takedown report's re-listing rate counts. */
  listForOriginals(listingIds: readonly number[]): Promise<Relisting[]>;
  /** Re-listings in which the listing is the original or the new one. */
  listForListing(listingId: number): Promise<Relisting[]>;
  /** Re-listings detected in [from, to), oldest first, a page at a time. */
  listDetected(range: {
    organisationId?: number;
    from?: Date;
    to?: Date;
    afterId?: number;
    limit?: number;
  }): Promise<Relisting[]>;
}
