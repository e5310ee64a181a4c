import type { ListingObservation } from "../records.ts";
import { fts5Document, toFts5Match } from "../search-text.ts";
import {
  listingKeyOf,
  supersedesStoredContent,
  taxonNameKey,
  type ExistingListing,
  type IngestPlan,
} from "../sql/listing-ingest-plan.ts";
import { existingColumns, existingFromRow, type ListingDialect } from "../sql/listing-repository.ts";
import { jsonParam } from "../sql/rows.ts";
import type { SqlExecutor } from "../sql/sql-executor.ts";
import { SqliteExecutorBase } from "./sqlite-executor.ts";

/**
 * Ingestion on SQLite: prepared statements run row by row inside the batch's transaction. With no network between
 * the process and the database, this is as fast as SQLite writes, and simpler than multi-row statements.
 */
function statements(db: SqlExecutor) {
  if (!(db instanceof SqliteExecutorBase))
    throw new TypeError("the SQLite listing dialect needs a SQLite executor");
  return (sql: string) => db.statement(sql);
}

const ms = (date: Date | null) => (date === null ? null : date.getTime());

export const sqliteListings: ListingDialect = {
  textSearch(query) {
    // CROSS JOIN keeps the search index as the outer loop: FTS5 hands over matches newest first, each is looked up
    // by id and filtered, and the scan stops after a page instead of collecting every match first.
    return {
      from: "listings_fts f CROSS JOIN listings l ON l.id = f.rowid",
      condition: "listings_fts MATCH ?",
      param: toFts5Match(query),
      id: "f.rowid",
    };
  },

  async loadExisting(db, observations: readonly ListingObservation[]) {
    const select = statements(db)(
      `SELECT ${existingColumns} FROM listings WHERE source_id = ? AND listing_key = ?`,
    );
    const existing = new Map<string, ExistingListing>();
    for (const o of observations) {
      const key = listingKeyOf(o.sourceId, o.listingKey);
      if (existing.has(key)) continue;
      const row = select.get(o.sourceId, o.listingKey);
      if (row !== undefined) existing.set(key, existingFromRow(row));
    }
    return existing;
  },

  async apply(db, plan: IngestPlan) {
    const statement = statements(db);
    const insertListing = statement(
      `INSERT INTO listings (organisation_id, source_id, listing_key, url, title, text, price_amount, price_currency,
         seller, language, country, attributes, page_id, first_seen_at, last_seen_at, removed_at, version,
         content_hash, verdict, score, detector_version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const updateListing = statement(
      `UPDATE listings SET url = ?, title = ?, text = ?, price_amount = ?, price_currency = ?, seller = ?,
         language = ?, country = ?, attributes = ?, page_id = ?, first_seen_at = ?, last_seen_at = ?, removed_at = ?,
         version = ?, content_hash = ?, verdict = ?, score = ?, detector_version = ?
       WHERE id = ?`,
    );
    const keepSupersededContent = statement(
      `UPDATE listing_versions SET (url, title, text, price_amount, price_currency, seller, language, country,
         attributes) = (SELECT url, title, text, price_amount, price_currency, seller, language, country, attributes
                        FROM listings WHERE id = ?)
       WHERE listing_id = ? AND text IS NULL AND content_hash = (SELECT content_hash FROM listings WHERE id = ?)`,
    );
    const deleteSearch = statement("DELETE FROM listings_fts WHERE rowid = ?");
    const insertSearch = statement("INSERT INTO listings_fts (rowid, doc) VALUES (?, ?)");
    const deleteTaxa = statement("DELETE FROM listing_taxa WHERE listing_id = ?");
    const insertTaxon = statement(
      "INSERT INTO listing_taxa (listing_id, taxon_id, scientific_name, name_key, appendix) VALUES (?, ?, ?, ?, ?)",
    );
    const insertVersion = statement(
      `INSERT INTO listing_versions (listing_id, version, observed_at, removed, content_hash, url, title, text,
         price_amount, price_currency, seller, language, country, attributes, page_id)
       VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertDetection = statement(
      `INSERT INTO detections (listing_id, listing_version, content_hash, detector_version, taxa, score, verdict,
         reasons, detected_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (listing_id, content_hash, detector_version) DO NOTHING`,
    );

    for (const listing of plan.listings) {
      const c = listing.content;
      if (listing.isNew) {
        // run() and lastInsertRowid, not RETURNING: on a table with several indexes RETURNING costs more than the
        // insert itself.
        const { lastInsertRowid } = insertListing.run(
          listing.organisationId,
          listing.sourceId,
          listing.listingKey,
          c.url,
          c.title,
          c.text,
          c.priceAmount,
          c.priceCurrency,
          c.seller,
          c.language,
          c.country,
          jsonParam(c.attributes),
          listing.pageId,
          ms(listing.firstSeenAt),
          ms(listing.lastSeenAt),
          ms(listing.removedAt),
          listing.version,
          listing.contentHash,
          listing.verdict,
          listing.score,
          listing.detectorVersion,
        );
        listing.id = Number(lastInsertRowid);
      } else if (listing.rowChanged) {
        if (supersedesStoredContent(listing)) keepSupersededContent.run(listing.id, listing.id, listing.id);
        updateListing.run(
          c.url,
          c.title,
          c.text,
          c.priceAmount,
          c.priceCurrency,
          c.seller,
          c.language,
          c.country,
          jsonParam(c.attributes),
          listing.pageId,
          ms(listing.firstSeenAt),
          ms(listing.lastSeenAt),
          ms(listing.removedAt),
          listing.version,
          listing.contentHash,
          listing.verdict,
          listing.score,
          listing.detectorVersion,
          listing.id,
        );
      }
      const id = listing.id!;
      if (listing.searchChanged) {
        if (!listing.isNew) deleteSearch.run(id);
        insertSearch.run(id, fts5Document([c.title, c.text, c.seller]));
      }
      if (listing.taxaChanged) {
        if (!listing.isNew) deleteTaxa.run(id);
        for (const t of listing.taxa) {
          insertTaxon.run(id, t.taxonId, t.scientificName, taxonNameKey(t.scientificName), t.appendix);
        }
      }
    }
    for (const v of plan.versions) {
      const c = v.content;
      insertVersion.run(
        v.listing.id!,
        v.version,
        v.observedAt.getTime(),
        v.contentHash,
        c?.url ?? null,
        c?.title ?? null,
        c?.text ?? null,
        c?.priceAmount ?? null,
        c?.priceCurrency ?? null,
        c?.seller ?? null,
        c?.language ?? null,
        c?.country ?? null,
        c ? jsonParam(c.attributes) : null,
        v.pageId,
      );
    }
    for (const d of plan.detections) {
      insertDetection.run(
        d.listing.id!,
        d.listingVersion,
        d.contentHash,
        d.detection.detectorVersion,
        jsonParam(d.detection.taxa),
        d.detection.score,
        d.detection.verdict,
        jsonParam(d.detection.reasons),
        d.detectedAt.getTime(),
      );
    }
  },
};
