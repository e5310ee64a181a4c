/**
 * Plain records the Store reads and writes. They carry no behaviour and no database types: timestamps are `Date`
 * (UTC instants), ids are numbers, JSON columns are plain values. Every record that belongs to someone carries its
 * `organisationId` (DESIGN.md, "Organisations and access").
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

// ── Organisations, users, API keys ───────────────────────────────────────────────────────────────────────────────

export interface Organisation {
  readonly id: number;
  readonly slug: string;
  readonly name: string;
  readonly createdAt: Date;
}

export interface NewOrganisation {
  readonly slug: string;
  readonly name: string;
}

export const userRoles = [
  "admin",
  "analyst",
  "reviewer",
  "ncb_officer",
  "interpol_analyst",
  "platform_officer",
  "secretariat",
  "public",
] as const;
export type UserRole = (typeof userRoles)[number];

export interface User {
  readonly id: number;
  readonly organisationId: number;
  /** Stored lower-cased: the login name is case-insensitive. */
  readonly email: string;
  readonly displayName: string;
  readonly role: UserRole;
  readonly createdAt: Date;
  readonly disabledAt: Date | null;
}

export interface NewUser {
  readonly organisationId: number;
  readonly email: string;
  readonly displayName: string;
  readonly role: UserRole;
}

/** An API key as stored: only a SHA-256 of the secret is kept, never the secret itself. */
export interface ApiKey {
  readonly id: number;
  readonly organisationId: number;
  readonly userId: number | null;
  readonly name: string;
  /** The first characters of the secret, so a person can tell keys apart without the secret. */
  readonly prefix: string;
  readonly scopes: readonly string[];
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

export interface NewApiKey {
  readonly organisationId: number;
  readonly userId?: number | null;
  readonly name: string;
  readonly scopes: readonly string[];
}

/** The one moment the secret exists outside its holder: returned once at creation, never stored. */
export interface CreatedApiKey {
  readonly apiKey: ApiKey;
  readonly secret: string;
}

// ── Sources, trawl runs, fetched pages ───────────────────────────────────────────────────────────────────────────

export interface Source {
  readonly id: number;
  readonly organisationId: number;
  readonly slug: string;
  readonly name: string;
  /** The platform the source belongs to (for takedown routing), e.g. "example-market". */
  readonly platform: string | null;
  readonly baseUrl: string | null;
  /** The declaration the source was loaded from; the trawler owns its shape. */
  readonly config: JsonObject;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface SourceInput {
  readonly organisationId: number;
  readonly slug: string;
  readonly name: string;
  readonly platform?: string | null;
  readonly baseUrl?: string | null;
  readonly config?: JsonObject;
}

export const trawlRunStates = ["running", "finished", "failed", "cancelled"] as const;
export type TrawlRunState = (typeof trawlRunStates)[number];

export interface TrawlRun {
  readonly id: number;
  readonly organisationId: number;
  readonly sourceId: number;
  readonly state: TrawlRunState;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly stats: JsonObject;
  readonly error: string | null;
}

/** Where the raw HTTP exchange lives: a record in a WARC file. */
export interface WarcLocation {
  readonly file: string;
  readonly offset: number;
  readonly length: number;
}

export interface Page {
  readonly id: number;
  readonly sourceId: number;
  readonly trawlRunId: number | null;
  readonly url: string;
  readonly finalUrl: string;
  readonly statusCode: number;
  readonly contentType: string | null;
  readonly fetchedAt: Date;
  /** SHA-256 (hex) of the response body as received. */
  readonly sha256: string;
  readonly byteLength: number;
  readonly warc: WarcLocation;
}

export type NewPage = Omit<Page, "id" | "trawlRunId" | "contentType"> & {
  readonly trawlRunId?: number | null;
  readonly contentType?: string | null;
};

// ── Listings and detections ──────────────────────────────────────────────────────────────────────────────────────

export const appendices = ["I", "II", "III"] as const;
export type Appendix = (typeof appendices)[number];

export const verdicts = ["offer", "mention", "none"] as const;
export type Verdict = (typeof verdicts)[number];

export interface DetectedTaxon {
  readonly taxonId: number;
  readonly scientificName: string;
  readonly appendix: Appendix;
}

/** What the detector said about one version of a listing. */
export interface DetectionInput {
  readonly taxa: readonly DetectedTaxon[];
  /** Calibrated, 0 to 1. */
  readonly score: number;
  readonly verdict: Verdict;
  readonly reasons: readonly string[];
  readonly detectorVersion: string;
}

export interface Detection extends DetectionInput {
  readonly id: number;
  readonly listingId: number;
  /** The listing version the detector read (the first one with this content). */
  readonly listingVersion: number;
  readonly contentHash: string;
  readonly detectedAt: Date;
}

/** The fields of an advert that make up a version: a change to any of them is a new version. */
export interface ListingContent {
  readonly url: string;
  readonly title: string | null;
  readonly text: string;
  readonly priceAmount: number | null;
  readonly priceCurrency: string | null;
  readonly seller: string | null;
  /** BCP 47 tag, e.g. "en", "zh-Hans". */
  readonly language: string | null;
  /** ISO 3166-1 alpha-2, upper case. */
  readonly country: string | null;
  readonly attributes: JsonObject;
}

/** One sighting of an advert, as the trawler extracted it, optionally with its detection. */
export interface ListingObservation {
  readonly sourceId: number;
  /** The platform's listing id, or else the canonical URL: with `sourceId`, what makes a listing the same. */
  readonly listingKey: string;
  readonly observedAt: Date;
  readonly pageId?: number | null;
  readonly url: string;
  readonly title?: string | null;
  readonly text: string;
  readonly priceAmount?: number | null;
  readonly priceCurrency?: string | null;
  readonly seller?: string | null;
  readonly language?: string | null;
  readonly country?: string | null;
  readonly attributes?: JsonObject;
  readonly detection?: DetectionInput;
}

export interface Listing extends ListingContent {
  readonly id: number;
  readonly organisationId: number;
  readonly sourceId: number;
  readonly listingKey: string;
  readonly pageId: number | null;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
  /** Set while the advert is gone from its platform; cleared if it comes back. */
  readonly removedAt: Date | null;
  /** Counts every recorded change: content changes, removal and reappearance. */
  readonly version: number;
  readonly contentHash: string;
  /** The latest detection of the current content, or null if the content has not been detected yet. */
  readonly verdict: Verdict | null;
  readonly score: number | null;
  readonly detectorVersion: string | null;
  readonly taxa: readonly DetectedTaxon[];
}

/** One entry of a listing's history. */
export interface ListingVersion extends ListingContent {
  readonly listingId: number;
  readonly version: number;
  readonly observedAt: Date;
  /** True for the version that records the advert's removal. */
  readonly removed: boolean;
  readonly contentHash: string;
  readonly pageId: number | null;
}

export type ListingChange = "new" | "changed" | "unchanged" | "reappeared";

export interface IngestResult {
  readonly listingId: number;
  readonly version: number;
  readonly change: ListingChange;
  /** Whether a new detection row was written (false when the same detector already judged this content). */
  readonly detectionRecorded: boolean;
}

export interface ListingSearch {
  /** Words (all must match), "quoted phrases", and a trailing * for a prefix. Empty: no text condition. */
  readonly query?: string;
  /** A scientific name; a genus matches its species ("Loxodonta" finds "Loxodonta africana"). */
  readonly taxon?: string;
  readonly taxonId?: number;
  readonly appendix?: Appendix;
  readonly verdict?: Verdict;
  readonly sourceId?: number;
  readonly organisationId?: number;
  readonly language?: string;
  readonly country?: string;
  /** Listings seen at or after this instant (their last sighting is not earlier). */
  readonly seenFrom?: Date;
  /** Listings seen before this instant (their first sighting is earlier). */
  readonly seenTo?: Date;
  readonly removed?: boolean;
  /** 1 to 500; 50 if not given. */
  readonly limit?: number;
  /** From a previous page's `nextCursor`. */
  readonly cursor?: string;
}

export interface ListingPage {
  /** Newest first (by when wildtrawl first saw them), so a cursor stays valid while new listings arrive. */
  readonly items: readonly Listing[];
  readonly nextCursor: string | null;
}

// ── Review ───────────────────────────────────────────────────────────────────────────────────────────────────────

export interface Review {
  readonly id: number;
  readonly organisationId: number;
  readonly listingId: number;
  readonly detectionId: number | null;
  readonly reviewerId: number;
  readonly verdict: Verdict;
  readonly note: string | null;
  readonly reviewedAt: Date;
}

export interface NewReview {
  readonly organisationId: number;
  readonly listingId: number;
  readonly detectionId?: number | null;
  readonly reviewerId: number;
  readonly verdict: Verdict;
  readonly note?: string | null;
}

// ── Evidence ─────────────────────────────────────────────────────────────────────────────────────────────────────

export const captureStatuses = ["complete", "partial", "failed"] as const;
export type CaptureStatus = (typeof captureStatuses)[number];

export interface CaptureFile {
  /** What the file is: "warc", "html", "dom", "screenshot", "record", "manifest", … */
  readonly role: string;
  readonly path: string;
  readonly sha256: string;
  readonly byteLength: number;
}

/** An evidentiary capture: written once, never updated or deleted (the database refuses both). */
export interface Capture {
  readonly id: number;
  readonly organisationId: number;
  readonly listingId: number;
  readonly pageId: number | null;
  readonly url: string;
  readonly finalUrl: string | null;
  readonly status: CaptureStatus;
  /** Why a capture is partial or failed, e.g. "timeout". */
  readonly failureReason: string | null;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  /** SHA-256 of the capture's manifest: with the listing, what makes a capture the same. */
  readonly sha256: string;
  readonly warc: WarcLocation | null;
  readonly files: readonly CaptureFile[];
  readonly provenance: JsonObject;
  readonly createdAt: Date;
}

export type NewCapture = Omit<
  Capture,
  "id" | "createdAt" | "pageId" | "finalUrl" | "failureReason" | "warc"
> & {
  readonly pageId?: number | null;
  readonly finalUrl?: string | null;
  readonly failureReason?: string | null;
  readonly warc?: WarcLocation | null;
};

export const custodyActions = [
  "capture",
  "view",
  "export",
  "share",
  "transfer",
  "verify",
  "delete_request",
] as const;
export type CustodyAction = (typeof custodyActions)[number];

/** Fields every hash-chained log entry has: the chain links each entry to the one before it. */
export interface ChainedEntry {
  readonly id: number;
  /** `entryHash` of the previous entry, or 64 zeros for the first. */
  readonly prevHash: string;
  /** SHA-256 over `prevHash` and the entry's fields (see hash-chain.ts). */
  readonly entryHash: string;
}

export interface CustodyEntry extends ChainedEntry {
  readonly captureId: number;
  readonly organisationId: number;
  readonly actor: string;
  readonly action: CustodyAction;
  readonly purpose: string | null;
  readonly at: Date;
  readonly details: JsonObject;
}

export interface NewCustodyEntry {
  readonly captureId: number;
  readonly organisationId: number;
  readonly actor: string;
  readonly action: CustodyAction;
  readonly purpose?: string | null;
  readonly details?: JsonObject;
}

// ── Takedown notices ─────────────────────────────────────────────────────────────────────────────────────────────

export const takedownStates = [
  "draft",
  "queued",
  "sent",
  "acknowledged",
  "removed",
  "rejected",
  "no_response",
  "withdrawn",
] as const;
export type TakedownState = (typeof takedownStates)[number];

/** The moves a notice may make; anything else is refused. A removed advert that comes back is a new notice. */
export const takedownTransitions: Readonly<Record<TakedownState, readonly TakedownState[]>> = {
  draft: ["queued", "withdrawn"],
  queued: ["sent", "withdrawn"],
  sent: ["acknowledged", "removed", "rejected", "no_response", "withdrawn"],
  acknowledged: ["removed", "rejected", "no_response", "withdrawn"],
  no_response: ["sent", "removed", "withdrawn"],
  removed: [],
  rejected: [],
  withdrawn: [],
};

export interface TakedownNotice {
  readonly id: number;
  readonly organisationId: number;
  readonly listingId: number;
  readonly platform: string;
  readonly recipient: string | null;
  /** Chosen by the client: creating the same notice twice returns the first. */
  readonly idempotencyKey: string;
  readonly state: TakedownState;
  readonly details: JsonObject;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewTakedownNotice {
  readonly organisationId: number;
  readonly listingId: number;
  readonly platform: string;
  readonly recipient?: string | null;
  readonly idempotencyKey: string;
  readonly details?: JsonObject;
}

export interface TakedownEvent {
  readonly id: number;
  readonly noticeId: number;
  readonly fromState: TakedownState | null;
  readonly toState: TakedownState;
  readonly at: Date;
  readonly actor: string;
  readonly note: string | null;
}

// ── Audit ────────────────────────────────────────────────────────────────────────────────────────────────────────

export interface AuditEntry extends ChainedEntry {
  readonly at: Date;
  readonly organisationId: number | null;
  /** Who did it: "user:12", "api-key:3", "system:trawler", … */
  readonly actor: string;
  /** What happened, as "subject.verb": "capture.created", "takedown.transitioned", "auth.failed", … */
  readonly action: string;
  readonly subjectType: string | null;
  readonly subjectId: string | null;
  readonly details: JsonObject;
}

export interface NewAuditEntry {
  readonly organisationId?: number | null;
  readonly actor: string;
  readonly action: string;
  readonly subjectType?: string | null;
  readonly subjectId?: string | number | null;
  readonly details?: JsonObject;
}

// ── Jobs ─────────────────────────────────────────────────────────────────────────────────────────────────────────

export const jobStates = ["pending", "leased", "done", "failed"] as const;
export type JobState = (typeof jobStates)[number];

export interface Job {
  readonly id: number;
  readonly queue: string;
  readonly payload: JsonValue;
  /** Higher runs first. */
  readonly priority: number;
  readonly state: JobState;
  /** Not claimed before this instant. */
  readonly runAt: Date;
  /** Claims so far, including the current one. */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly dedupeKey: string | null;
  readonly leaseOwner: string | null;
  readonly leasedUntil: Date | null;
  readonly lastErrorCode: string | null;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
}

/** A job while a worker holds it. The token fences the lease: once it is reclaimed, the old holder's writes fail. */
export interface ClaimedJob extends Job {
  readonly leaseToken: string;
}

export interface JobLease {
  readonly id: number;
  readonly leaseToken: string;
}

export interface NewJob {
  readonly queue: string;
  readonly payload?: JsonValue;
  readonly priority?: number;
  /** Not before this long from now. */
  readonly delayMs?: number;
  /** Not before this instant (wins over `delayMs`). */
  readonly runAt?: Date;
  /** Unique within the queue, for ever: enqueueing the same key again returns the existing job. */
  readonly dedupeKey?: string | null;
  /** 3 if not given: the first try and two retries. */
  readonly maxAttempts?: number;
}

export interface EnqueueResult {
  readonly job: Job;
  readonly created: boolean;
}

export interface JobCounts {
  readonly pending: number;
  readonly leased: number;
  readonly done: number;
  readonly failed: number;
}

export interface JobFailure {
  /** A stable code, e.g. "fetch_timeout" or "lease_expired". */
  readonly code: string;
  readonly message: string;
}
