import { NotFoundError, UsageError } from "../../core/errors.ts";
import { decodeListingCursor, encodeListingCursor } from "../listing-cursor.ts";
import {
  appendices,
  verdicts,
  type Appendix,
  type DetectedTaxon,
  type Detection,
  type DetectionInput,
  type IngestResult,
  type Listing,
  type ListingContent,
  type ListingObservation,
  type ListingPage,
  type ListingSearch,
  type ListingVersion,
  type Verdict,
} from "../records.ts";
import { parseSearchQuery, type SearchQuery } from "../search-text.ts";
import type { ListingRepository } from "../store.ts";
import { clampLimit } from "./audit-repository.ts";
import {
  dedupeTaxa,
  planIngest,
  taxonNameKey,
  validateObservations,
  type ExistingListing,
  type IngestPlan,
} from "./listing-ingest-plan.ts";
import {
  jsonParam,
  toBool,
  toDate,
  toDateOrNull,
  toJson,
  toJsonObject,
  toNumber,
  toNumberOrNull,
  toText,
  toTextOrNull,
} from "./rows.ts";
import type { SqlContext } from "./sql-context.ts";
import { isRaceLost } from "./sql-errors.ts";
import { placeholders, type SqlExecutor, type SqlParam, type SqlRow } from "./sql-executor.ts";

/** What each database does its own way; everything else about listings is shared. */
export interface ListingDialect {
  /**
   * How to find listings matching a text query: the FROM clause (listings as `l`), the condition with one
   * placeholder and its value, and the id column to order and page by (the search index's, where it can stream
   * its matches in that order and stop after a page).
   */
  textSearch(query: SearchQuery): { from: string; condition: string; param: string; id: string };
  /** The stored listings among the observed keys, by `listingKeyOf`, locked for update where that means anything. */
  loadExisting(
    db: SqlExecutor,
    observations: readonly ListingObservation[],
  ): Promise<Map<string, ExistingListing>>;
  /** Writes a plan: inserts new listings (setting their ids), updates, versions, detections, taxa, search index. */
  apply(db: SqlExecutor, plan: IngestPlan): Promise<void>;
}

const contentColumns = [
  "url",
  "title",
  "text",
  "price_amount",
  "price_currency",
  "seller",
  "language",
  "country",
  "attributes",
] as const;

function contentFromRow(row: SqlRow, prefix = ""): ListingContent {
  const column = (name: (typeof contentColumns)[number]) => row[`${prefix}${name}`];
  return {
    url: toText(column("url")),
    title: toTextOrNull(column("title")),
    text: toText(column("text")),
    priceAmount: toNumberOrNull(column("price_amount")),
    priceCurrency: toTextOrNull(column("price_currency")),
    seller: toTextOrNull(column("seller")),
    language: toTextOrNull(column("language")),
    country: toTextOrNull(column("country")),
    attributes: toJsonObject(column("attributes")),
  };
}

function listingFromRow(row: SqlRow, taxa: readonly DetectedTaxon[]): Listing {
  return {
    ...contentFromRow(row),
    id: toNumber(row.id),
    organisationId: toNumber(row.organisation_id),
    sourceId: toNumber(row.source_id),
    listingKey: toText(row.listing_key),
    pageId: toNumberOrNull(row.page_id),
    firstSeenAt: toDate(row.first_seen_at),
    lastSeenAt: toDate(row.last_seen_at),
    removedAt: toDateOrNull(row.removed_at),
    version: toNumber(row.version),
    contentHash: toText(row.content_hash),
    verdict: toTextOrNull(row.verdict) as Verdict | null,
    score: toNumberOrNull(row.score),
    detectorVersion: toTextOrNull(row.detector_version),
    taxa,
  };
}

export function existingFromRow(row: SqlRow): ExistingListing {
  return {
    id: toNumber(row.id),
    organisationId: toNumber(row.organisation_id),
    contentHash: toText(row.content_hash),
    version: toNumber(row.version),
    firstSeenAt: toDate(row.first_seen_at),
    lastSeenAt: toDate(row.last_seen_at),
    removedAt: toDateOrNull(row.removed_at),
    pageId: toNumberOrNull(row.page_id),
    verdict: toTextOrNull(row.verdict) as Verdict | null,
    score: toNumberOrNull(row.score),
    detectorVersion: toTextOrNull(row.detector_version),
  };
}

/** The columns `existingFromRow` reads. */
export const existingColumns =
  "id, organisation_id, source_id, listing_key, content_hash, version, first_seen_at, last_seen_at, removed_at, page_id, verdict, score, detector_version";

function detectionFromRow(row: SqlRow): Detection {
  return {
    id: toNumber(row.id),
    listingId: toNumber(row.listing_id),
    listingVersion: toNumber(row.listing_version),
    contentHash: toText(row.content_hash),
    detectorVersion: toText(row.detector_version),
    taxa: toJson(row.taxa) as unknown as DetectedTaxon[],
    score: toNumber(row.score),
    verdict: toText(row.verdict) as Verdict,
    reasons: toJson(row.reasons) as string[],
    detectedAt: toDate(row.detected_at),
  };
}

/** How many times a batch that lost a race with a concurrent writer is replayed before giving up. */
const maxIngestAttempts = 5;

export class SqlListingRepository implements ListingRepository {
  readonly #db: SqlExecutor;
  readonly #context: SqlContext;
  readonly #dialect: ListingDialect;

  constructor(db: SqlExecutor, context: SqlContext, dialect: ListingDialect) {
    this.#db = db;
    this.#context = context;
    this.#dialect = dialect;
  }

  async ingest(observations: readonly ListingObservation[]): Promise<IngestResult[]> {
    if (observations.length === 0) return [];
    validateObservations(observations);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction(async (tx) => {
          const organisationOfSource = await this.#organisationsOfSources(tx, observations);
          const existing = await this.#dialect.loadExisting(tx, observations);
          const plan = planIngest(observations, existing, organisationOfSource, this.#context.clock());
          await this.#dialect.apply(tx, plan);
          return plan.results.map((r) => ({
            listingId: r.listing.id!,
            version: r.version,
            change: r.change,
            detectionRecorded: r.detectionApplied,
          }));
        });
      } catch (error) {
        // Another writer inserted one of these listings first: replay, and it is now an update.
        if (!isRaceLost(error) || attempt >= maxIngestAttempts) throw error;
      }
    }
  }

  async #organisationsOfSources(tx: SqlExecutor, observations: readonly ListingObservation[]) {
    const ids = [...new Set(observations.map((o) => o.sourceId))];
    const rows = await tx.all<{ id: unknown; organisation_id: unknown }>(
      `SELECT id, organisation_id FROM sources WHERE id IN (${placeholders(ids.length)})`,
      ids,
    );
    const found = new Map(rows.map((r) => [toNumber(r.id), toNumber(r.organisation_id)]));
    const missing = ids.find((id) => !found.has(id));
    if (missing !== undefined) throw new UsageError("source_not_found", `no source ${missing}`);
    return found;
  }

  async recordDetections(
    items: readonly { listingId: number; contentHash: string; detection: DetectionInput }[],
  ): Promise<number> {
    return this.#db.transaction(async (tx) => {
      let recorded = 0;
      for (const { listingId, contentHash, detection } of items) {
        const listing = await tx.get("SELECT id, version, content_hash FROM listings WHERE id = ?", [
          listingId,
        ]);
        if (listing === undefined) throw new NotFoundError("listing_not_found", `no listing ${listingId}`);
        const isCurrent = listing.content_hash === contentHash;
        const version = isCurrent
          ? toNumber(listing.version)
          : await tx
              .get<{ version: unknown }>(
                "SELECT MIN(version) AS version FROM listing_versions WHERE listing_id = ? AND content_hash = ?",
                [listingId, contentHash],
              )
              .then((row) => toNumberOrNull(row?.version));
        if (version === null) {
          throw new UsageError(
            "content_hash_unknown",
            `listing ${listingId} never had content ${contentHash}`,
          );
        }
        recorded += await tx.run(
          `INSERT INTO detections (listing_id, listing_version, content_hash, detector_version, taxa, score, verdict,
             reasons, detected_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (listing_id, content_hash, detector_version) DO NOTHING`,
          [
            listingId,
            version,
            contentHash,
            detection.detectorVersion,
            jsonParam(detection.taxa),
            detection.score,
            detection.verdict,
            jsonParam(detection.reasons),
            this.#context.clock(),
          ],
        );
        if (isCurrent) {
          await tx.run("UPDATE listings SET verdict = ?, score = ?, detector_version = ? WHERE id = ?", [
            detection.verdict,
            detection.score,
            detection.detectorVersion,
            listingId,
          ]);
          await replaceTaxa(tx, listingId, detection.taxa);
        }
      }
      return recorded;
    });
  }

  async markRemoved(listingIds: readonly number[], observedAt: Date): Promise<number> {
    if (listingIds.length === 0) return 0;
    return this.#db.transaction(async (tx) => {
      let removed = 0;
      for (let start = 0; start < listingIds.length; start += 500) {
        const ids = listingIds.slice(start, start + 500);
        const list = placeholders(ids.length);
        // The removal version has the current content, which stays in the listings row.
        await tx.run(
          `INSERT INTO listing_versions (listing_id, version, observed_at, removed, content_hash, page_id)
           SELECT id, version + 1, ?, TRUE, content_hash, page_id
           FROM listings WHERE id IN (${list}) AND removed_at IS NULL`,
          [observedAt, ...ids],
        );
        removed += await tx.run(
          `UPDATE listings SET removed_at = ?, version = version + 1 WHERE id IN (${list}) AND removed_at IS NULL`,
          [observedAt, ...ids],
        );
      }
      return removed;
    });
  }

  async get(id: number): Promise<Listing | null> {
    const row = await this.#db.get("SELECT * FROM listings WHERE id = ?", [id]);
    return row ? (await this.#withTaxa([row]))[0]! : null;
  }

  async getByKey(sourceId: number, listingKey: string): Promise<Listing | null> {
    const row = await this.#db.get("SELECT * FROM listings WHERE source_id = ? AND listing_key = ?", [
      sourceId,
      listingKey,
    ]);
    return row ? (await this.#withTaxa([row]))[0]! : null;
  }

  async history(listingId: number): Promise<ListingVersion[]> {
    // One statement, so the versions and the listing's current content come from the same snapshot even while the
    // listing is being changed.
    const rows = await this.#db.all(
      `SELECT v.*, ${contentColumns.map((c) => `l.${c} AS current_${c}`).join(", ")}, l.content_hash AS current_hash
       FROM listing_versions v JOIN listings l ON l.id = v.listing_id
       WHERE v.listing_id = ? ORDER BY v.version`,
      [listingId],
    );
    // Versions store superseded content only; the others have the listing's current content (see the migration).
    const contentByHash = new Map<string, ListingContent>();
    for (const row of rows) {
      if (row.text !== null) contentByHash.set(toText(row.content_hash), contentFromRow(row));
    }
    if (rows[0] !== undefined)
      contentByHash.set(toText(rows[0].current_hash), contentFromRow(rows[0], "current_"));
    return rows.map((row) => {
      const content = contentByHash.get(toText(row.content_hash));
      if (content === undefined)
        throw new Error(`listing ${listingId} version ${String(row.version)} has no content`);
      return {
        ...content,
        listingId: toNumber(row.listing_id),
        version: toNumber(row.version),
        observedAt: toDate(row.observed_at),
        removed: toBool(row.removed),
        contentHash: toText(row.content_hash),
        pageId: toNumberOrNull(row.page_id),
      };
    });
  }

  async detections(listingId: number): Promise<Detection[]> {
    const rows = await this.#db.all("SELECT * FROM detections WHERE listing_id = ? ORDER BY id", [listingId]);
    return rows.map(detectionFromRow);
  }

  async search(search: ListingSearch): Promise<ListingPage> {
    const limit = clampLimit(search.limit, 50, 500);
    const conditions: string[] = [];
    const params: SqlParam[] = [];
    const where = (sql: string, ...values: SqlParam[]) => {
      conditions.push(sql);
      params.push(...values);
    };
    const query = parseSearchQuery(search.query ?? "");
    let from = "listings l";
    let id = "l.id";
    if (query.groups.length > 0) {
      const text = this.#dialect.textSearch(query);
      from = text.from;
      id = text.id;
      where(text.condition, text.param);
    }
    if (search.cursor !== undefined) where(`${id} < ?`, decodeListingCursor(search.cursor));
    if (search.verdict !== undefined) {
      if (!(verdicts as readonly string[]).includes(search.verdict)) {
        throw new UsageError(
          "verdict_invalid",
          `verdict "${search.verdict}": expected ${verdicts.join(", ")}`,
        );
      }
      where("l.verdict = ?", search.verdict);
    }
    if (search.sourceId !== undefined) where("l.source_id = ?", search.sourceId);
    if (search.organisationId !== undefined) where("l.organisation_id = ?", search.organisationId);
    if (search.language !== undefined) where("l.language = ?", search.language.toLowerCase());
    if (search.country !== undefined) where("l.country = ?", search.country.toUpperCase());
    if (search.seenFrom !== undefined) where("l.last_seen_at >= ?", search.seenFrom);
    if (search.seenTo !== undefined) where("l.first_seen_at < ?", search.seenTo);
    if (search.removed !== undefined)
      where(search.removed ? "l.removed_at IS NOT NULL" : "l.removed_at IS NULL");

    // Taxon conditions hold for the same taxon row: "--taxon Loxodonta --appendix I" means an Appendix I elephant.
    const taxon: string[] = [];
    const taxonParams: SqlParam[] = [];
    if (search.taxon !== undefined && search.taxon.trim() !== "") {
      const key = taxonNameKey(search.taxon);
      // A genus's species sort between "genus " and "genus!" (the character after the space).
      taxon.push("(t.name_key = ? OR (t.name_key >= ? AND t.name_key < ?))");
      taxonParams.push(key, `${key} `, `${key}!`);
    }
    if (search.taxonId !== undefined) {
      taxon.push("t.taxon_id = ?");
      taxonParams.push(search.taxonId);
    }
    if (search.appendix !== undefined) {
      if (!(appendices as readonly string[]).includes(search.appendix)) {
        throw new UsageError("appendix_invalid", `appendix "${search.appendix}": expected I, II or III`);
      }
      taxon.push("t.appendix = ?");
      taxonParams.push(search.appendix as Appendix);
    }
    if (taxon.length > 0) {
      // A probe per candidate listing, newest first, stopping after a page; listing every match of a common taxon
      // first would cost more.
      where(
        `EXISTS (SELECT 1 FROM listing_taxa t WHERE t.listing_id = l.id AND ${taxon.join(" AND ")})`,
        ...taxonParams,
      );
    }

    const rows = await this.#db.all(
      `SELECT l.* FROM ${from} ${conditions.length ? `WHERE ${conditions.join(" AND ")}` : ""}
       ORDER BY ${id} DESC LIMIT ?`,
      [...params, limit + 1],
    );
    const page = rows.slice(0, limit);
    const items = await this.#withTaxa(page);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeListingCursor(last.id) : null };
  }

  async #withTaxa(rows: readonly SqlRow[]): Promise<Listing[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => toNumber(row.id));
    const taxaRows = await this.#db.all(
      `SELECT listing_id, taxon_id, scientific_name, appendix FROM listing_taxa
       WHERE listing_id IN (${placeholders(ids.length)}) ORDER BY listing_id, taxon_id`,
      ids,
    );
    const taxaByListing = new Map<number, DetectedTaxon[]>();
    for (const row of taxaRows) {
      const id = toNumber(row.listing_id);
      const list = taxaByListing.get(id) ?? [];
      list.push({
        taxonId: toNumber(row.taxon_id),
        scientificName: toText(row.scientific_name),
        appendix: toText(row.appendix) as Appendix,
      });
      taxaByListing.set(id, list);
    }
    return rows.map((row) => listingFromRow(row, taxaByListing.get(toNumber(row.id)) ?? []));
  }
}

async function replaceTaxa(tx: SqlExecutor, listingId: number, taxa: readonly DetectedTaxon[]) {
  await tx.run("DELETE FROM listing_taxa WHERE listing_id = ?", [listingId]);
  for (const taxon of dedupeTaxa(taxa)) {
    await tx.run(
      "INSERT INTO listing_taxa (listing_id, taxon_id, scientific_name, name_key, appendix) VALUES (?, ?, ?, ?, ?)",
      [listingId, taxon.taxonId, taxon.scientificName, taxonNameKey(taxon.scientificName), taxon.appendix],
    );
  }
}
