import { NotFoundError, UsageError } from "../../core/errors.ts";
import { imageHashBlocks } from "../../core/similarity/image-hash.ts";
import type {
  ListingFingerprint,
  NewListingFingerprint,
  NewRelisting,
  Relisting,
  RelistingCandidate,
  RelistingCandidateQuery,
  RelistingReason,
} from "../records.ts";
import type { RelistingRepository } from "../store.ts";
import { jsonParam, toDate, toDateOrNull, toJson, toNumber, toNumberOrNull, toText } from "./rows.ts";
import { auditIn, type SqlContext } from "./sql-context.ts";
import { placeholders, type SqlExecutor, type SqlParam, type SqlRow } from "./sql-executor.ts";

/** The band columns of `listing_fingerprints` (migration 0005). */
export const storedBandCount = 16;
const bandColumns = Array.from({ length: storedBandCount }, (_, b) => `band_${b}`);

// SQLite hands integers back as JS numbers, which cannot hold 64 bits: both databases read the hashes as text.
const fingerprintColumns = `f.listing_id, f.organisation_id, f.content_hash, CAST(f.simhash AS TEXT) AS simhash_text,
  ${bandColumns.map((c) => `f.${c}`).join(", ")}, f.image_hashes, f.seller_keys, f.computed_at`;

function fingerprintFromRow(row: SqlRow): ListingFingerprint {
  const bands = bandColumns.map((column) => toNumberOrNull(row[column]));
  return {
    listingId: toNumber(row.listing_id),
    organisationId: toNumber(row.organisation_id),
    contentHash: toText(row.content_hash),
    simhash: BigInt(toText(row.simhash_text)),
    bands: bands.every((b) => b !== null) ? (bands as number[]) : [],
    imageHashes: (toJson(row.image_hashes) as string[]).map((hash) => BigInt(hash)),
    sellerKeys: toJson(row.seller_keys) as string[],
    computedAt: toDate(row.computed_at),
  };
}

function relistingFromRow(row: SqlRow): Relisting {
  return {
    id: toNumber(row.id),
    organisationId: toNumber(row.organisation_id),
    originalListingId: toNumber(row.original_listing_id),
    newListingId: toNumber(row.new_listing_id),
    reasons: toJson(row.reasons) as unknown as RelistingReason[],
    detectedAt: toDate(row.detected_at),
  };
}

const maxIdsPerQuery = 500;

export class SqlRelistingRepository implements RelistingRepository {
  readonly #db: SqlExecutor;
  readonly #context: SqlContext;

  constructor(db: SqlExecutor, context: SqlContext) {
    this.#db = db;
    this.#context = context;
  }

  async recordFingerprints(fingerprints: readonly NewListingFingerprint[]): Promise<number> {
    for (const fingerprint of fingerprints) {
      if (fingerprint.bands.length !== 0 && fingerprint.bands.length !== storedBandCount) {
        throw new UsageError(
          "fingerprint_bands_invalid",
          `listing ${fingerprint.listingId}: a fingerprint has ${storedBandCount} bands or none, not ${fingerprint.bands.length}`,
        );
      }
    }
    if (fingerprints.length === 0) return 0;
    return this.#db.transaction(async (tx) => {
      const now = this.#context.clock();
      let recorded = 0;
      for (const fingerprint of fingerprints) {
        const bands: SqlParam[] =
          fingerprint.bands.length === 0 ? bandColumns.map(() => null) : [...fingerprint.bands];
        const row = await tx.get(
          `INSERT INTO listing_fingerprints (listing_id, organisation_id, content_hash, simhash,
             ${bandColumns.join(", ")}, image_hashes, seller_keys, computed_at)
           SELECT id, organisation_id, ?, ?, ${placeholders(storedBandCount)}, ?, ?, ? FROM listings WHERE id = ?
           ON CONFLICT (listing_id) DO UPDATE SET content_hash = excluded.content_hash, simhash = excluded.simhash,
             ${bandColumns.map((c) => `${c} = excluded.${c}`).join(", ")}, image_hashes = excluded.image_hashes,
             seller_keys = excluded.seller_keys, computed_at = excluded.computed_at
           RETURNING listing_id`,
          [
            fingerprint.contentHash,
            fingerprint.simhash.toString(),
            ...bands,
            jsonParam(fingerprint.imageHashes.map((hash) => hash.toString())),
            jsonParam([...fingerprint.sellerKeys]),
            now,
            fingerprint.listingId,
          ],
        );
        if (row === undefined) {
          throw new NotFoundError("listing_not_found", `no listing ${fingerprint.listingId} to fingerprint`);
        }
        await tx.run("DELETE FROM listing_fingerprint_keys WHERE listing_id = ?", [fingerprint.listingId]);
        const keys = [
          ...new Set([...fingerprint.sellerKeys, ...fingerprint.imageHashes.flatMap(imageHashBlocks)]),
        ];
        if (keys.length > 0) {
          await tx.run(
            `INSERT INTO listing_fingerprint_keys (lookup_key, listing_id) VALUES ${keys.map(() => "(?, ?)").join(", ")}`,
            keys.flatMap((key) => [key, fingerprint.listingId]),
          );
        }
        recorded++;
      }
      return recorded;
    });
  }

  async fingerprint(listingId: number): Promise<ListingFingerprint | null> {
    const row = await this.#db.get(
      `SELECT ${fingerprintColumns} FROM listing_fingerprints f WHERE f.listing_id = ?`,
      [listingId],
    );
    return row ? fingerprintFromRow(row) : null;
  }

  async findCandidates(query: RelistingCandidateQuery): Promise<RelistingCandidate[]> {
    const limit = query.limit ?? 200;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) {
      throw new UsageError("limit_invalid", `a candidate look-up returns 1 to 1,000 listings, not ${limit}`);
    }
    const bands = query.bands.slice(0, storedBandCount);
    const keys = [...new Set(query.lookupKeys)];
    if (bands.length === 0 && keys.length === 0) return [];
    // One indexed look-up per band and one for the keys; the union is the candidate set.
    const branches: string[] = [];
    const params: SqlParam[] = [];
    bands.forEach((value, b) => {
      branches.push(`SELECT listing_id FROM listing_fingerprints WHERE band_${b} = ?`);
      params.push(value);
    });
    if (keys.length > 0) {
      branches.push(
        `SELECT listing_id FROM listing_fingerprint_keys WHERE lookup_key IN (${placeholders(keys.length)})`,
      );
      params.push(...keys);
    }
    const sharedBands =
      bands.length === 0
        ? "0"
        : bands.map((_, b) => `CASE WHEN f.band_${b} = ? THEN 1 ELSE 0 END`).join(" + ");
    const sharedKeys =
      keys.length === 0
        ? "0"
        : `(SELECT COUNT(*) FROM listing_fingerprint_keys k WHERE k.listing_id = f.listing_id
             AND k.lookup_key IN (${placeholders(keys.length)}))`;
    const excluded = query.excludeListingIds ?? [];
    const sql = `
      WITH ids AS (${branches.join(" UNION ")}),
      found AS (
        SELECT ${fingerprintColumns}, ${sharedBands} AS shared_bands, ${sharedKeys} AS shared_keys,
          (SELECT MIN(v.observed_at) FROM listing_versions v WHERE v.listing_id = f.listing_id AND v.removed = ?)
            AS removed_at,
          (SELECT MIN(t.created_at) FROM takedown_notices t WHERE t.listing_id = f.listing_id) AS noticed_at
        FROM ids JOIN listing_fingerprints f ON f.listing_id = ids.listing_id
        WHERE f.organisation_id = ?
          ${excluded.length > 0 ? `AND f.listing_id NOT IN (${placeholders(excluded.length)})` : ""}
      )
      SELECT * FROM found
      ${query.originalsOnly ? "WHERE removed_at IS NOT NULL OR noticed_at IS NOT NULL" : ""}
      ORDER BY shared_bands + shared_keys DESC, listing_id
      LIMIT ?`;
    const rows = await this.#db.all(sql, [
      ...params,
      ...bands,
      ...keys,
      true,
      query.organisationId,
      ...excluded,
      limit,
    ]);
    return rows.map((row) => {
      const removedAt = toDateOrNull(row.removed_at);
      const noticedAt = toDateOrNull(row.noticed_at);
      const goneAt =
        removedAt && noticedAt ? (removedAt < noticedAt ? removedAt : noticedAt) : (removedAt ?? noticedAt);
      return {
        fingerprint: fingerprintFromRow(row),
        sharedBands: toNumber(row.shared_bands),
        sharedKeys: toNumber(row.shared_keys),
        goneAt,
      };
    });
  }

  async record(relisting: NewRelisting, actor: string): Promise<{ relisting: Relisting; created: boolean }> {
    if (relisting.reasons.length === 0) {
      throw new UsageError("relisting_reasons_missing", "a re-listing needs at least one reason");
    }
    return this.#db.transaction(async (tx) => {
      const listings = await tx.all<{ id: unknown; organisation_id: unknown }>(
        "SELECT id, organisation_id FROM listings WHERE id IN (?, ?)",
        [relisting.originalListingId, relisting.newListingId],
      );
      const organisationOf = new Map(
        listings.map((row) => [toNumber(row.id), toNumber(row.organisation_id)]),
      );
      const organisationId = organisationOf.get(relisting.originalListingId);
      for (const id of [relisting.originalListingId, relisting.newListingId]) {
        if (!organisationOf.has(id)) throw new NotFoundError("listing_not_found", `no listing ${id}`);
      }
      if (organisationOf.get(relisting.newListingId) !== organisationId) {
        throw new UsageError(
          "relisting_across_organisations",
          `listings ${relisting.originalListingId} and ${relisting.newListingId} belong to different organisations`,
        );
      }
      const row = await tx.get(
        `INSERT INTO relistings (organisation_id, original_listing_id, new_listing_id, reasons, detected_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (original_listing_id, new_listing_id) DO NOTHING RETURNING *`,
        [
          organisationId!,
          relisting.originalListingId,
          relisting.newListingId,
          jsonParam(relisting.reasons),
          this.#context.clock(),
        ],
      );
      if (row === undefined) {
        const existing = await tx.get(
          "SELECT * FROM relistings WHERE original_listing_id = ? AND new_listing_id = ?",
          [relisting.originalListingId, relisting.newListingId],
        );
        return { relisting: relistingFromRow(existing!), created: false };
      }
      const created = relistingFromRow(row);
      await auditIn(tx, this.#context, {
        organisationId: created.organisationId,
        actor,
        action: "relisting.detected",
        subjectType: "listing",
        subjectId: created.newListingId,
        details: {
          relistingId: created.id,
          originalListingId: created.originalListingId,
          reasons: created.reasons.map((reason) => reason.kind),
        },
      });
      return { relisting: created, created: true };
    });
  }

  async listForOriginals(listingIds: readonly number[]): Promise<Relisting[]> {
    const found: Relisting[] = [];
    const unique = [...new Set(listingIds)];
    for (let start = 0; start < unique.length; start += maxIdsPerQuery) {
      const ids = unique.slice(start, start + maxIdsPerQuery);
      const rows = await this.#db.all(
        `SELECT * FROM relistings WHERE original_listing_id IN (${placeholders(ids.length)}) ORDER BY id`,
        ids,
      );
      found.push(...rows.map(relistingFromRow));
    }
    return found.sort((a, b) => a.id - b.id);
  }

  async listForListing(listingId: number): Promise<Relisting[]> {
    const rows = await this.#db.all(
      "SELECT * FROM relistings WHERE original_listing_id = ? OR new_listing_id = ? ORDER BY id",
      [listingId, listingId],
    );
    return rows.map(relistingFromRow);
  }

  async listDetected(range: {
    organisationId?: number;
    from?: Date;
    to?: Date;
    afterId?: number;
    limit?: number;
  }): Promise<Relisting[]> {
    const limit = range.limit ?? 500;
    if (!Number.isInteger(limit) || limit < 1 || limit > 5_000) {
      throw new UsageError("limit_invalid", `a page of re-listings holds 1 to 5,000, not ${limit}`);
    }
    const conditions: string[] = [];
    const params: SqlParam[] = [];
    const where = (condition: string, value: SqlParam | undefined) => {
      if (value === undefined) return;
      conditions.push(condition);
      params.push(value);
    };
    where("organisation_id = ?", range.organisationId);
    where("detected_at >= ?", range.from);
    where("detected_at < ?", range.to);
    where("id > ?", range.afterId);
    const rows = await this.#db.all(
      `SELECT * FROM relistings ${conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : ""}
       ORDER BY id LIMIT ?`,
      [...params, limit],
    );
    return rows.map(relistingFromRow);
  }
}
