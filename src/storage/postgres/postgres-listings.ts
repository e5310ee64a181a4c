import type { ListingObservation } from "../records.ts";
import { toTsquery, tsvectorLiteral } from "../search-text.ts";
import {
  listingKeyOf,
  supersedesStoredContent,
  taxonNameKey,
  type ExistingListing,
  type IngestPlan,
} from "../sql/listing-ingest-plan.ts";
import { existingColumns, existingFromRow, type ListingDialect } from "../sql/listing-repository.ts";
import { jsonParam, toNumber, toText } from "../sql/rows.ts";
import type { SqlExecutor } from "../sql/sql-executor.ts";
import { PostgresExecutorBase } from "./postgres-executor.ts";

/**
 * Ingestion on PostgreSQL: each step of a batch is one statement over arrays (`unnest`), so a batch of 1,000
 * listings costs a handful of round trips instead of thousands.
 */
function pg(db: SqlExecutor): PostgresExecutorBase {
  if (!(db instanceof PostgresExecutorBase))
    throw new TypeError("the PostgreSQL listing dialect needs its executor");
  return db;
}

const listingColumns = `organisation_id, source_id, listing_key, url, title, text, price_amount, price_currency,
  seller, language, country, attributes, page_id, first_seen_at, last_seen_at, removed_at, version, content_hash,
  verdict, score, detector_version`;

export const postgresListings: ListingDialect = {
  textSearch(query) {
    return {
      from: "listings l",
      condition: "l.search_vector @@ ?::tsquery",
      param: toTsquery(query),
      id: "l.id",
    };
  },

  async loadExisting(db, observations: readonly ListingObservation[]) {
    const keys = new Map<string, ListingObservation>();
    for (const o of observations) keys.set(listingKeyOf(o.sourceId, o.listingKey), o);
    const sourceIds = [...keys.values()].map((o) => o.sourceId);
    const listingKeys = [...keys.values()].map((o) => o.listingKey);
    // Locks the rows in id order: two batches touching the same listings queue behind each other, never deadlock.
    const { rows } = await pg(db).query(
      `SELECT ${existingColumns.replace(/(^|, )/g, "$1l.")} FROM listings l
       JOIN unnest($1::bigint[], $2::text[]) AS k (source_id, listing_key)
         ON l.source_id = k.source_id AND l.listing_key = k.listing_key COLLATE "C"
       ORDER BY l.id FOR UPDATE OF l`,
      [sourceIds, listingKeys],
    );
    const existing = new Map<string, ExistingListing>();
    for (const row of rows)
      existing.set(listingKeyOf(toNumber(row.source_id), toText(row.listing_key)), existingFromRow(row));
    return existing;
  },

  async apply(db, plan: IngestPlan) {
    const client = pg(db);
    const fresh = plan.listings.filter((l) => l.isNew);
    const changed = plan.listings.filter((l) => !l.isNew && l.rowChanged);
    const column = <T>(rows: readonly T[], pick: (row: T) => unknown) => rows.map(pick);

    if (fresh.length > 0) {
      const { rows } = await client.query(
        `INSERT INTO listings (${listingColumns}, search_vector)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
           $7::float8[], $8::text[], $9::text[], $10::text[], $11::text[], $12::jsonb[], $13::bigint[],
           $14::timestamptz[], $15::timestamptz[], $16::timestamptz[], $17::int[], $18::text[], $19::text[],
           $20::float8[], $21::text[], $22::tsvector[])
         RETURNING id, source_id, listing_key`,
        [
          column(fresh, (l) => l.organisationId),
          column(fresh, (l) => l.sourceId),
          column(fresh, (l) => l.listingKey),
          column(fresh, (l) => l.content.url),
          column(fresh, (l) => l.content.title),
          column(fresh, (l) => l.content.text),
          column(fresh, (l) => l.content.priceAmount),
          column(fresh, (l) => l.content.priceCurrency),
          column(fresh, (l) => l.content.seller),
          column(fresh, (l) => l.content.language),
          column(fresh, (l) => l.content.country),
          column(fresh, (l) => jsonParam(l.content.attributes)),
          column(fresh, (l) => l.pageId),
          column(fresh, (l) => l.firstSeenAt),
          column(fresh, (l) => l.lastSeenAt),
          column(fresh, (l) => l.removedAt),
          column(fresh, (l) => l.version),
          column(fresh, (l) => l.contentHash),
          column(fresh, (l) => l.verdict),
          column(fresh, (l) => l.score),
          column(fresh, (l) => l.detectorVersion),
          column(fresh, (l) => tsvectorLiteral([l.content.title, l.content.text, l.content.seller])),
        ],
      );
      // RETURNING does not promise the input order: match ids back by key.
      const ids = new Map(
        rows.map((r) => [listingKeyOf(toNumber(r.source_id), toText(r.listing_key)), toNumber(r.id)]),
      );
      for (const listing of fresh) listing.id = ids.get(listingKeyOf(listing.sourceId, listing.listingKey))!;
    }

    const superseded = changed.filter(supersedesStoredContent).map((l) => l.id);
    if (superseded.length > 0) {
      // Before the listings rows change, the versions that held their old content get a copy of it.
      await client.query(
        `UPDATE listing_versions v SET url = l.url, title = l.title, text = l.text, price_amount = l.price_amount,
           price_currency = l.price_currency, seller = l.seller, language = l.language, country = l.country,
           attributes = l.attributes
         FROM listings l
         WHERE l.id = ANY($1::bigint[]) AND v.listing_id = l.id AND v.content_hash = l.content_hash AND v.text IS NULL`,
        [superseded],
      );
    }

    if (changed.length > 0) {
      await client.query(
        `UPDATE listings AS l SET url = u.url, title = u.title, text = u.text, price_amount = u.price_amount,
           price_currency = u.price_currency, seller = u.seller, language = u.language, country = u.country,
           attributes = u.attributes, page_id = u.page_id, first_seen_at = u.first_seen_at,
           last_seen_at = u.last_seen_at, removed_at = u.removed_at, version = u.version,
           content_hash = u.content_hash, verdict = u.verdict, score = u.score, detector_version = u.detector_version,
           search_vector = COALESCE(u.search_vector, l.search_vector)
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::text[],
           $8::text[], $9::text[], $10::jsonb[], $11::bigint[], $12::timestamptz[], $13::timestamptz[],
           $14::timestamptz[], $15::int[], $16::text[], $17::text[], $18::float8[], $19::text[], $20::tsvector[])
           AS u (id, url, title, text, price_amount, price_currency, seller, language, country, attributes, page_id,
             first_seen_at, last_seen_at, removed_at, version, content_hash, verdict, score, detector_version,
             search_vector)
         WHERE l.id = u.id`,
        [
          column(changed, (l) => l.id),
          column(changed, (l) => l.content.url),
          column(changed, (l) => l.content.title),
          column(changed, (l) => l.content.text),
          column(changed, (l) => l.content.priceAmount),
          column(changed, (l) => l.content.priceCurrency),
          column(changed, (l) => l.content.seller),
          column(changed, (l) => l.content.language),
          column(changed, (l) => l.content.country),
          column(changed, (l) => jsonParam(l.content.attributes)),
          column(changed, (l) => l.pageId),
          column(changed, (l) => l.firstSeenAt),
          column(changed, (l) => l.lastSeenAt),
          column(changed, (l) => l.removedAt),
          column(changed, (l) => l.version),
          column(changed, (l) => l.contentHash),
          column(changed, (l) => l.verdict),
          column(changed, (l) => l.score),
          column(changed, (l) => l.detectorVersion),
          column(changed, (l) =>
            l.searchChanged ? tsvectorLiteral([l.content.title, l.content.text, l.content.seller]) : null,
          ),
        ],
      );
    }

    const retaxed = plan.listings.filter((l) => l.taxaChanged);
    const stale = retaxed.filter((l) => !l.isNew).map((l) => l.id);
    if (stale.length > 0)
      await client.query("DELETE FROM listing_taxa WHERE listing_id = ANY($1::bigint[])", [stale]);
    const taxa = retaxed.flatMap((l) => l.taxa.map((t) => ({ id: l.id, ...t })));
    if (taxa.length > 0) {
      await client.query(
        `INSERT INTO listing_taxa (listing_id, taxon_id, scientific_name, name_key, appendix)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[])`,
        [
          column(taxa, (t) => t.id),
          column(taxa, (t) => t.taxonId),
          column(taxa, (t) => t.scientificName),
          column(taxa, (t) => taxonNameKey(t.scientificName)),
          column(taxa, (t) => t.appendix),
        ],
      );
    }

    if (plan.versions.length > 0) {
      const v = plan.versions;
      await client.query(
        `INSERT INTO listing_versions (listing_id, version, observed_at, removed, content_hash, url, title, text,
           price_amount, price_currency, seller, language, country, attributes, page_id)
         SELECT u.listing_id, u.version, u.observed_at, FALSE, u.content_hash, u.url, u.title, u.text, u.price_amount,
           u.price_currency, u.seller, u.language, u.country, u.attributes, u.page_id
         FROM unnest($1::bigint[], $2::int[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::float8[], $9::text[], $10::text[], $11::text[], $12::text[], $13::jsonb[], $14::bigint[])
           AS u (listing_id, version, observed_at, content_hash, url, title, text, price_amount, price_currency, seller,
             language, country, attributes, page_id)`,
        [
          column(v, (x) => x.listing.id),
          column(v, (x) => x.version),
          column(v, (x) => x.observedAt),
          column(v, (x) => x.contentHash),
          column(v, (x) => x.content?.url ?? null),
          column(v, (x) => x.content?.title ?? null),
          column(v, (x) => x.content?.text ?? null),
          column(v, (x) => x.content?.priceAmount ?? null),
          column(v, (x) => x.content?.priceCurrency ?? null),
          column(v, (x) => x.content?.seller ?? null),
          column(v, (x) => x.content?.language ?? null),
          column(v, (x) => x.content?.country ?? null),
          column(v, (x) => (x.content ? jsonParam(x.content.attributes) : null)),
          column(v, (x) => x.pageId),
        ],
      );
    }

    if (plan.detections.length > 0) {
      const d = plan.detections;
      await client.query(
        `INSERT INTO detections (listing_id, listing_version, content_hash, detector_version, taxa, score, verdict,
           reasons, detected_at)
         SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::jsonb[], $6::float8[], $7::text[],
           $8::jsonb[], $9::timestamptz[])
         ON CONFLICT (listing_id, content_hash, detector_version) DO NOTHING`,
        [
          column(d, (x) => x.listing.id),
          column(d, (x) => x.listingVersion),
          column(d, (x) => x.contentHash),
          column(d, (x) => x.detection.detectorVersion),
          column(d, (x) => jsonParam(x.detection.taxa)),
          column(d, (x) => x.detection.score),
          column(d, (x) => x.detection.verdict),
          column(d, (x) => jsonParam(x.detection.reasons)),
          column(d, (x) => x.detectedAt),
        ],
      );
    }
  },
};
