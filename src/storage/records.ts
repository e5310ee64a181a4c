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

// ── Sign-in: credentials and sessions ───────────────────────────────────────────────────────────────────────────

/** What signing in checks, kept apart from `User` so that it never travels with a user record. */
export interface UserCredentials {
  readonly userId: number;
  /** "scrypt$…" with its salt and parameters (services/authentication.ts), or null: no password set. */
  readonly passwordHash: string | null;
  /** The TOTP secret (base32), or null: MFA not enrolled. */
  readonly mfaSecret: string | null;
  /** The last TOTP time step accepted, so that a code is used once. */
  readonly mfaLastStep: number | null;
}

/** A person's signed-in session: only a SHA-256 of its token is stored. */
export interface Session {
  readonly id: number;
  readonly userId: number;
  readonly organisationId: number;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  /** The absolute end, whatever the activity. */
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export interface NewSession {
  readonly userId: number;
  readonly organisationId: number;
  /** SHA-256 (hex) of the token the client holds. */
  readonly tokenHash: string;
  readonly expiresAt: Date;
  readonly ip?: string | null;
  /** Capped by the store (sessionUserAgentMaxLength). */
  readonly userAgent?: string | null;
}

/** One throttle key's failed sign-ins in its current window (store.loginFailures). */
export interface LoginFailureCount {
  /** The key as the caller gave it; the store keeps only its SHA-256. */
  readonly key: string;
  readonly failures: number;
  readonly windowStartedAt: Date;
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

/**
 * A person's verdict on a flagged listing. `legal_offer` is an offer of wildlife that is lawful (a permit, captive
 * bred and documented); a flag is right when the verdict is either offer (flag precision counts both).
 */
export const reviewVerdicts = ["illegal_offer", "legal_offer", "not_wildlife", "unsure"] as const;
export type ReviewVerdict = (typeof reviewVerdicts)[number];

export interface Review {
  readonly id: number;
  readonly organisationId: number;
  readonly listingId: number;
  /** The detection the person judged: the listing's current one when the verdict was recorded. */
  readonly detectionId: number | null;
  readonly reviewerId: number;
  readonly verdict: ReviewVerdict;
  readonly note: string | null;
  readonly reviewedAt: Date;
}

export interface NewReview {
  readonly organisationId: number;
  readonly listingId: number;
  readonly detectionId?: number | null;
  readonly reviewerId: number;
  readonly verdict: ReviewVerdict;
  readonly note?: string | null;
}

/** Who in an organisation is to review a listing: one current assignment per listing and organisation. */
export interface ReviewAssignment {
  readonly organisationId: number;
  readonly listingId: number;
  readonly userId: number;
  /** The actor who assigned it ("user:12", "api-key:3"). */
  readonly assignedBy: string;
  readonly assignedAt: Date;
}

export interface ReviewQueueQuery {
  readonly organisationId: number;
  /** A listing is flagged when its current detection says "offer" or scores at least this. */
  readonly minScore: number;
  readonly sourceId?: number;
  /** A scientific name; a genus matches its species. */
  readonly taxon?: string;
  readonly language?: string;
  readonly country?: string;
  /** A user id, or "none" for listings nobody is assigned. */
  readonly assignee?: number | "none";
  /** 1 to 500; 50 if not given. */
  readonly limit?: number;
  readonly cursor?: string;
}

/** A flagged listing waiting for its organisation's verdict. */
export interface ReviewQueueItem {
  readonly listingId: number;
  readonly title: string | null;
  readonly url: string;
  readonly sourceId: number;
  /** The source's slug. */
  readonly source: string;
  readonly platform: string | null;
  readonly seller: string | null;
  readonly price: { readonly amount: number; readonly currency: string | null } | null;
  readonly language: string | null;
  readonly country: string | null;
  readonly score: number;
  /** The detected taxa, Appendix I first, at most five. */
  readonly taxa: readonly { readonly taxonId: number; readonly name: string; readonly appendix: Appendix }[];
  readonly assignee: {
    readonly userId: number;
    readonly displayName: string;
    readonly assignedAt: Date;
  } | null;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
}

export interface ReviewQueuePage {
  /** Highest score first, then Appendix I before II before III, then newest. */
  readonly items: readonly ReviewQueueItem[];
  readonly nextCursor: string | null;
}

/** A listing's latest verdict with the detection it judged, for flag precision. */
export interface ReviewedDetection {
  readonly listingId: number;
  readonly verdict: ReviewVerdict;
  readonly reviewedAt: Date;
  /** The source's slug. */
  readonly source: string;
  readonly language: string | null;
  readonly detection: {
    readonly verdict: Verdict;
    readonly score: number;
    readonly detectorVersion: string;
    readonly taxa: readonly DetectedTaxon[];
    readonly detectedAt: Date;
  } | null;
}

/** A listing's latest verdict with its current content, for training. */
export interface ReviewedListing {
  readonly listingId: number;
  readonly verdict: ReviewVerdict;
  readonly title: string | null;
  readonly text: string;
  readonly language: string | null;
  readonly taxa: readonly DetectedTaxon[];
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
  /** When the change happened in the world, if not when it was recorded: a removal seen on a revisit, a form sent by hand. */
  readonly observedAt: Date | null;
  /** What the change carried: the e-mail's Message-ID, a web form's reference, the revisit's reason. */
  readonly details: JsonObject;
}

/**
 * The names for the states (issue 8) and the stored ones: drafted = draft, refused = rejected,
 * expired = no_response; sent, acknowledged and removed are the same. `queued` is a notice being sent (the outbox).
 */
export const takedownStateNames: Readonly<Record<TakedownState, string>> = {
  draft: "drafted",
  queued: "queued",
  sent: "sent",
  acknowledged: "acknowledged",
  removed: "removed",
  rejected: "refused",
  no_response: "expired",
  withdrawn: "withdrawn",
};

// ── Platforms (where takedown notices go) ────────────────────────────────────────────────────────────────────────

/** How a platform takes notices: at most one of each; e-mail is sent by wildtrawl, the others by a person. */
export interface PlatformChannels {
  readonly email: string | null;
  readonly webFormUrl: string | null;
  readonly apiEndpoint: string | null;
}

/** What a notice to the platform cites. */
export interface PlatformLegalBases {
  /** The national law the advert breaks, as it should be quoted (e.g. "Wildlife Act 1972, s. 49"). */
  readonly nationalLaw: string | null;
  /** The platform's own policy on wildlife, linked. */
  readonly policyUrl: string | null;
  /** Send as a notice under Article 16 of the EU Digital Services Act (the platform serves the EU). */
  readonly dsaArticle16: boolean;
  /** The sender's Article 22 trusted-flagger designation (coordinator and reference), when it has one. */
  readonly trustedFlagger: string | null;
}

export interface Platform {
  readonly id: number;
  readonly organisationId: number;
  /** Matches sources' `platform` (slugified): how a listing finds where its notice goes. */
  readonly slug: string;
  readonly name: string;
  /** ISO 3166-1 alpha-2, upper case. */
  readonly countries: readonly string[];
  readonly channels: PlatformChannels;
  readonly legalBases: PlatformLegalBases;
  /** The notice template's language when a notice asks for none, e.g. "en". */
  readonly defaultLanguage: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface PlatformInput {
  readonly organisationId: number;
  readonly slug: string;
  readonly name: string;
  readonly countries?: readonly string[];
  readonly channels?: Partial<PlatformChannels>;
  readonly legalBases?: Partial<PlatformLegalBases>;
  readonly defaultLanguage?: string;
}

/** Which notices to list. */
export interface TakedownFilter {
  readonly organisationId: number;
  readonly platform?: string;
  readonly states?: readonly TakedownState[];
  readonly listingIds?: readonly number[];
  /** Notices with a larger id than this, oldest first. */
  readonly afterId?: number;
  /** 1 to 1000; 100 if not given. */
  readonly limit?: number;
}

// ── Cases ────────────────────────────────────────────────────────────────────────────────────────────────────────

// Traffic Light Protocol 2.0 and handling codes: who may receive what a case holds (core/sharing, docs/sharing.md).
import type { HandlingCode, ShareProfile, TlpMarking } from "../core/sharing/access-decision.ts";
export { handlingCodes, shareProfiles, tlpMarkings } from "../core/sharing/access-decision.ts";
export type { HandlingCode, ShareProfile, TlpMarking };

/** An investigation: the listings it gathers travel together, e.g. in one evidence package. */
export interface Case {
  readonly id: number;
  readonly organisationId: number;
  /** The agency's own file number, unique in the organisation, e.g. "OP-TUSK-2026/14". Never all digits. */
  readonly reference: string;
  readonly title: string;
  readonly marking: TlpMarking;
  /** H0 unless set: what the source allows its recipients to do with it. */
  readonly handling: HandlingCode;
  /** Its members read the case under its markings (docs/sharing.md). */
  readonly sharingGroupId: number | null;
  readonly createdBy: string;
  readonly createdAt: Date;
}

export interface NewCase {
  readonly organisationId: number;
  readonly reference: string;
  readonly title: string;
  readonly marking?: TlpMarking;
  readonly handling?: HandlingCode;
  readonly sharingGroupId?: number | null;
}

export interface CaseListing {
  readonly caseId: number;
  readonly listingId: number;
  readonly addedBy: string;
  readonly addedAt: Date;
  /** Why it belongs to the case, in the analyst's words. */
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

/**
 * An attempt to UPDATE or DELETE an append-only row (a capture, a custody or audit entry), refused and written down
 * by the database itself, whoever made it with the application's login (RELIABILITY E6).
 */
export interface RefusedChange {
  readonly id: number;
  readonly at: Date;
  readonly table: string;
  readonly operation: "UPDATE" | "DELETE";
  readonly rowId: number;
  /** The database login that tried it (PostgreSQL); null on SQLite, which has no logins. */
  readonly databaseUser: string | null;
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

// ── Statistics ───────────────────────────────────────────────────────────────────────────────────────────────────

export const offerDimensions = ["taxon", "appendix", "platform", "country", "language", "product"] as const;
/** What flagged offers are counted by. */
export type OfferDimension = (typeof offerDimensions)[number];

export const statisticsIntervals = ["day", "week", "month"] as const;
/** The length of a period: a week starts on Monday (ISO 8601), every period at 00:00 UTC. */
export type StatisticsInterval = (typeof statisticsIntervals)[number];

export interface OfferCountQuery {
  readonly organisationId: number;
  readonly by: OfferDimension;
  readonly interval: StatisticsInterval;
  /** First sightings at or after this instant. */
  readonly from?: Date;
  /** First sightings before this instant. */
  readonly to?: Date;
}

/** Flagged offers first seen in one period with one value of the dimension. */
export interface OfferCount {
  /** The period's first day, "YYYY-MM-DD" (UTC). */
  readonly period: string;
  /** The dimension's value: a taxon id, an appendix, a platform, a country or language code, a product type; null when the listing has none. */
  readonly key: string | null;
  /** For a taxon, its scientific name; otherwise the key. */
  readonly label: string | null;
  readonly count: number;
}

// ── Re-listings ──────────────────────────────────────────────────────────────────────────────────────────────────

/** What a listing's content looks like to the re-listing detector (src/core/similarity), for candidate look-up. */
export interface ListingFingerprint {
  readonly listingId: number;
  readonly organisationId: number;
  /** The content the fingerprint was computed from: a different current hash means it is out of date. */
  readonly contentHash: string;
  /** 64-bit SimHash of the words, signed as stored. */
  readonly simhash: bigint;
  /** MinHash LSH bands of the words; empty when the text is too short to be recognised. */
  readonly bands: readonly number[];
  /** 64-bit dHashes of the listing's images, signed as stored. */
  readonly imageHashes: readonly bigint[];
  /** "phone:…", "handle:…", "seller:…": who is selling, comparable across platforms. */
  readonly sellerKeys: readonly string[];
  readonly computedAt: Date;
}

export type NewListingFingerprint = Omit<ListingFingerprint, "organisationId" | "computedAt">;

/** Why a listing is taken for another (text, image, seller, reappeared): defined with the decision that makes it. */
export type { RelistingReason } from "../core/similarity/relisting-match.ts";
import type { RelistingReason } from "../core/similarity/relisting-match.ts";

export interface Relisting {
  readonly id: number;
  readonly organisationId: number;
  /** The listing that was removed or noticed. */
  readonly originalListingId: number;
  /** The listing that brings it back (the same id for a reappearance). */
  readonly newListingId: number;
  readonly reasons: readonly RelistingReason[];
  readonly detectedAt: Date;
}

export interface NewRelisting {
  readonly originalListingId: number;
  readonly newListingId: number;
  readonly reasons: readonly RelistingReason[];
}

export interface RelistingCandidateQuery {
  readonly organisationId: number;
  /** Band values by position: a stored fingerprint sharing any one (at the same position) is a candidate. */
  readonly bands: readonly number[];
  /** Seller keys and image-hash blocks: a stored fingerprint sharing any one is a candidate. */
  readonly lookupKeys: readonly string[];
  readonly excludeListingIds?: readonly number[];
  /** Only listings that were ever removed from their platform or named in a takedown notice. */
  readonly originalsOnly?: boolean;
  /** 1 to 1,000; 200 if not given. Those sharing most bands and keys come first. */
  readonly limit?: number;
}

export interface RelistingCandidate {
  readonly fingerprint: ListingFingerprint;
  readonly sharedBands: number;
  readonly sharedKeys: number;
  /** When the listing was first seen removed or first named in a takedown notice, whichever came first. */
  readonly goneAt: Date | null;
}

// ── Sharing between organisations (docs/sharing.md) ──────────────────────────────────────────────────────────────

/** A named set of organisations a case can be distributed to; its owner is always a member. */
export interface SharingGroup {
  readonly id: number;
  readonly organisationId: number;
  readonly slug: string;
  readonly name: string;
  readonly memberIds: readonly number[];
  readonly createdBy: string;
  readonly createdAt: Date;
}

export interface NewSharingGroup {
  readonly organisationId: number;
  readonly slug: string;
  readonly name: string;
  readonly memberIds: readonly number[];
}

/** A case distributed to an organisation or a sharing group, under markings at least as strict as the case's. */
export interface CaseShare {
  readonly id: number;
  readonly caseId: number;
  readonly organisationId: number | null;
  readonly sharingGroupId: number | null;
  readonly profile: ShareProfile;
  readonly marking: TlpMarking;
  readonly handling: HandlingCode;
  readonly onwardHops: number;
  readonly parentShareId: number | null;
  readonly grantedByOrganisationId: number;
  readonly createdBy: string;
  readonly createdAt: Date;
}

export type NewCaseShare = Omit<CaseShare, "id" | "createdBy" | "createdAt">;

/** The most restrictive marking and handling code a user holds, as an admin set it. */
export interface UserClearance {
  readonly userId: number;
  readonly marking: TlpMarking;
  readonly handling: HandlingCode;
  readonly setBy: string;
  readonly setAt: Date;
}
