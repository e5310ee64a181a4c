import { hash } from "node:crypto";
import { UsageError } from "../../core/errors.ts";
import { canonicalJson } from "../hash-chain.ts";
import {
  appendices,
  verdicts,
  type DetectedTaxon,
  type DetectionInput,
  type ListingChange,
  type ListingContent,
  type ListingObservation,
  type Verdict,
} from "../records.ts";

/**
 * Ingestion decides in memory what a batch of sightings means, then each database writes the decision its own
 * fastest way (row by row with prepared statements on SQLite, whole arrays per statement on PostgreSQL). Keeping
 * the decision here, pure, means both databases keep the same history for the same input.
 */

/** What the batch needs to know about a listing already stored. */
export interface ExistingListing {
  readonly id: number;
  readonly organisationId: number;
  readonly contentHash: string;
  readonly version: number;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
  readonly removedAt: Date | null;
  readonly pageId: number | null;
  readonly verdict: Verdict | null;
  readonly score: number | null;
  readonly detectorVersion: string | null;
}

export interface PlannedListing {
  /** Known for stored listings; filled in by the database for new ones. */
  id: number | null;
  readonly isNew: boolean;
  readonly sourceId: number;
  readonly organisationId: number;
  readonly listingKey: string;
  content: ListingContent;
  contentHash: string;
  /** The content hash stored before this batch (null for new listings). */
  readonly storedContentHash: string | null;
  pageId: number | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
  removedAt: Date | null;
  version: number;
  verdict: Verdict | null;
  score: number | null;
  detectorVersion: string | null;
  /** The current detection's taxa; written only when `taxaChanged`. */
  taxa: readonly DetectedTaxon[];
  taxaChanged: boolean;
  /** The searchable text changed: the index entry must be rewritten. */
  searchChanged: boolean;
  /** Something in the stored row differs (always true for new listings). */
  rowChanged: boolean;
}

export interface PlannedVersion {
  readonly listing: PlannedListing;
  readonly version: number;
  readonly observedAt: Date;
  readonly contentHash: string;
  /** Null when this is the listing's content at the end of the batch: the listings row holds it. */
  readonly content: ListingContent | null;
  readonly pageId: number | null;
}

/** True when the batch changes a stored listing's content: the versions that held it must get a copy first. */
export function supersedesStoredContent(listing: PlannedListing): boolean {
  return listing.storedContentHash !== null && listing.storedContentHash !== listing.contentHash;
}

export interface PlannedDetection {
  readonly listing: PlannedListing;
  readonly listingVersion: number;
  readonly contentHash: string;
  readonly detection: DetectionInput;
  readonly detectedAt: Date;
}

export interface IngestPlan {
  /** Each listing once, in first-seen order; new ones must be inserted before the rest is written. */
  readonly listings: readonly PlannedListing[];
  readonly versions: readonly PlannedVersion[];
  readonly detections: readonly PlannedDetection[];
  readonly results: readonly {
    readonly listing: PlannedListing;
    readonly version: number;
    readonly change: ListingChange;
    readonly detectionApplied: boolean;
  }[];
}

export function listingKeyOf(sourceId: number, listingKey: string): string {
  return `${sourceId}\u0000${listingKey}`;
}

export function contentOf(observation: ListingObservation): ListingContent {
  return {
    url: observation.url,
    title: observation.title ?? null,
    text: observation.text,
    priceAmount: observation.priceAmount ?? null,
    priceCurrency: observation.priceCurrency?.toUpperCase() ?? null,
    seller: observation.seller ?? null,
    language: observation.language?.toLowerCase() ?? null,
    country: observation.country?.toUpperCase() ?? null,
    attributes: observation.attributes ?? {},
  };
}

/** SHA-256 of the content's canonical JSON: equal content, equal hash, whichever database stored it. */
export function contentHash(content: ListingContent): string {
  return hash("sha256", canonicalContentJson(content), "hex");
}

/**
 * `canonicalJson(content)` written out field by field, in its sorted key order: the generic walk (entries, filter,
 * sort, join) was a tenth of ingestion. Stored hashes depend on these bytes, so a content with a field missing
 * (which the type does not allow) takes the generic walk, and a test compares the two on varied content.
 */
function canonicalContentJson(c: ListingContent): string {
  if (
    c.url === undefined ||
    c.title === undefined ||
    c.text === undefined ||
    c.priceAmount === undefined ||
    c.priceCurrency === undefined ||
    c.seller === undefined ||
    c.language === undefined ||
    c.country === undefined ||
    c.attributes === undefined
  )
    return canonicalJson(c);
  return (
    `{"attributes":${canonicalJson(c.attributes)},"country":${canonicalJson(c.country)},` +
    `"language":${canonicalJson(c.language)},"priceAmount":${canonicalJson(c.priceAmount)},` +
    `"priceCurrency":${canonicalJson(c.priceCurrency)},"seller":${canonicalJson(c.seller)},` +
    `"text":${canonicalJson(c.text)},"title":${canonicalJson(c.title)},"url":${canonicalJson(c.url)}}`
  );
}

/** Refuses the whole batch on the first bad sighting, naming it: nothing is written. */
export function validateObservations(observations: readonly ListingObservation[]): void {
  observations.forEach((o, index) => {
    const problem = observationProblem(o);
    if (problem !== null) {
      throw new UsageError(
        "listing_invalid",
        `observation ${index} (${o.listingKey || "no key"}): ${problem}`,
      );
    }
  });
}

function observationProblem(o: ListingObservation): string | null {
  if (!Number.isSafeInteger(o.sourceId)) return "sourceId must be an integer";
  if (typeof o.listingKey !== "string" || o.listingKey.length === 0 || o.listingKey.length > 2048) {
    return "listingKey must be 1–2048 characters";
  }
  if (typeof o.url !== "string" || o.url.length === 0) return "url is required";
  if (typeof o.text !== "string") return "text must be a string";
  if (!(o.observedAt instanceof Date) || Number.isNaN(o.observedAt.getTime()))
    return "observedAt must be a Date";
  if (o.priceAmount != null && !Number.isFinite(o.priceAmount)) return "priceAmount must be a finite number";
  if (o.country != null && !/^[A-Za-z]{2}$/.test(o.country))
    return `country "${o.country}": ISO 3166-1 alpha-2`;
  const d = o.detection;
  if (d === undefined) return null;
  if (!(verdicts as readonly string[]).includes(d.verdict)) return `verdict "${d.verdict}"`;
  if (!(d.score >= 0 && d.score <= 1)) return `score ${d.score}: between 0 and 1`;
  if (!d.detectorVersion) return "detectorVersion is required";
  for (const taxon of d.taxa) {
    if (!Number.isSafeInteger(taxon.taxonId)) return `taxonId ${taxon.taxonId}: an integer`;
    if (!(appendices as readonly string[]).includes(taxon.appendix)) return `appendix "${taxon.appendix}"`;
    if (!taxon.scientificName) return "a taxon needs its scientificName";
  }
  return null;
}

/** Lower-cased, single-spaced: what the taxon filter compares. */
export function taxonNameKey(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, " ");
}

export function planIngest(
  observations: readonly ListingObservation[],
  existing: ReadonlyMap<string, ExistingListing>,
  organisationOfSource: ReadonlyMap<number, number>,
  now: Date,
): IngestPlan {
  const byKey = new Map<string, PlannedListing>();
  const listings: PlannedListing[] = [];
  const versions: PlannedVersion[] = [];
  const detections: PlannedDetection[] = [];
  const results: IngestPlan["results"][number][] = [];

  for (const o of observations) {
    const key = listingKeyOf(o.sourceId, o.listingKey);
    const content = contentOf(o);
    const hash = contentHash(content);
    const pageId = o.pageId ?? null;
    let listing = byKey.get(key);
    if (listing === undefined) {
      const stored = existing.get(key);
      if (stored !== undefined) {
        listing = {
          id: stored.id,
          isNew: false,
          sourceId: o.sourceId,
          organisationId: stored.organisationId,
          listingKey: o.listingKey,
          content,
          contentHash: stored.contentHash,
          storedContentHash: stored.contentHash,
          pageId: stored.pageId,
          firstSeenAt: stored.firstSeenAt,
          lastSeenAt: stored.lastSeenAt,
          removedAt: stored.removedAt,
          version: stored.version,
          verdict: stored.verdict,
          score: stored.score,
          detectorVersion: stored.detectorVersion,
          taxa: [],
          taxaChanged: false,
          searchChanged: false,
          rowChanged: false,
        };
        byKey.set(key, listing);
        listings.push(listing);
      }
    }

    let change: ListingChange;
    if (listing === undefined) {
      const organisationId = organisationOfSource.get(o.sourceId);
      if (organisationId === undefined) throw new UsageError("source_not_found", `no source ${o.sourceId}`);
      listing = {
        id: null,
        isNew: true,
        sourceId: o.sourceId,
        organisationId,
        listingKey: o.listingKey,
        content,
        contentHash: hash,
        storedContentHash: null,
        pageId,
        firstSeenAt: o.observedAt,
        lastSeenAt: o.observedAt,
        removedAt: null,
        version: 1,
        verdict: null,
        score: null,
        detectorVersion: null,
        taxa: [],
        taxaChanged: false,
        searchChanged: true,
        rowChanged: true,
      };
      byKey.set(key, listing);
      listings.push(listing);
      change = "new";
      versions.push({ listing, version: 1, observedAt: o.observedAt, contentHash: hash, content, pageId });
    } else {
      if (o.observedAt > listing.lastSeenAt) {
        listing.lastSeenAt = o.observedAt;
        listing.rowChanged = true;
      }
      if (o.observedAt < listing.firstSeenAt) {
        listing.firstSeenAt = o.observedAt;
        listing.rowChanged = true;
      }
      if (pageId !== null && pageId !== listing.pageId) {
        listing.pageId = pageId;
        listing.rowChanged = true;
      }
      if (hash !== listing.contentHash) {
        change = "changed";
        listing.searchChanged = true;
        listing.content = content;
        listing.contentHash = hash;
        listing.version += 1;
        listing.removedAt = null;
        // The detection described the old content: it no longer stands for this listing until re-detected.
        if (listing.verdict !== null || listing.detectorVersion !== null) {
          listing.verdict = null;
          listing.score = null;
          listing.detectorVersion = null;
          listing.taxa = [];
          listing.taxaChanged = true;
        }
        listing.rowChanged = true;
        versions.push({
          listing,
          version: listing.version,
          observedAt: o.observedAt,
          contentHash: hash,
          content,
          pageId,
        });
      } else if (listing.removedAt !== null) {
        change = "reappeared";
        listing.version += 1;
        listing.removedAt = null;
        listing.rowChanged = true;
        versions.push({
          listing,
          version: listing.version,
          observedAt: o.observedAt,
          contentHash: hash,
          content,
          pageId,
        });
      } else {
        change = "unchanged";
        // Stored content fields are what the hash says; the observation's copy is identical.
      }
    }

    let detectionApplied = false;
    const detection = o.detection;
    if (
      detection !== undefined &&
      !(listing.verdict !== null && listing.detectorVersion === detection.detectorVersion)
    ) {
      detections.push({
        listing,
        listingVersion: listing.version,
        contentHash: listing.contentHash,
        detection,
        detectedAt: now,
      });
      listing.verdict = detection.verdict;
      listing.score = detection.score;
      listing.detectorVersion = detection.detectorVersion;
      listing.taxa = dedupeTaxa(detection.taxa);
      listing.taxaChanged = true;
      listing.rowChanged = true;
      detectionApplied = true;
    }
    results.push({ listing, version: listing.version, change, detectionApplied });
  }
  const stored = versions.map((v) => (v.contentHash === v.listing.contentHash ? { ...v, content: null } : v));
  return { listings, versions: stored, detections, results };
}

/** One row per taxon in listing_taxa: a detector may name a taxon twice (two matches in the text). */
export function dedupeTaxa(taxa: readonly DetectedTaxon[]): DetectedTaxon[] {
  const seen = new Map<number, DetectedTaxon>();
  for (const taxon of taxa) if (!seen.has(taxon.taxonId)) seen.set(taxon.taxonId, taxon);
  return [...seen.values()];
}
