import { UsageError } from "../../core/errors.ts";
import {
  reviewVerdicts,
  type Appendix,
  type DetectedTaxon,
  type NewReview,
  type Review,
  type ReviewAssignment,
  type ReviewedDetection,
  type ReviewedListing,
  type ReviewQueueItem,
  type ReviewQueuePage,
  type ReviewQueueQuery,
  type ReviewVerdict,
  type Verdict,
} from "../records.ts";
import type { ReviewRepository } from "../store.ts";
import { clampLimit } from "./audit-repository.ts";
import { taxonNameKey } from "./listing-ingest-plan.ts";
import { toDate, toJson, toNumber, toNumberOrNull, toText, toTextOrNull } from "./rows.ts";
import { auditIn, type SqlContext } from "./sql-context.ts";
import { placeholders, type SqlExecutor, type SqlParam, type SqlRow } from "./sql-executor.ts";

function reviewFromRow(row: SqlRow): Review {
  return {
    id: toNumber(row.id),
    organisationId: toNumber(row.organisation_id),
    listingId: toNumber(row.listing_id),
    detectionId: toNumberOrNull(row.detection_id),
    reviewerId: toNumber(row.reviewer_id),
    verdict: toText(row.verdict) as ReviewVerdict,
    note: toTextOrNull(row.note),
    reviewedAt: toDate(row.reviewed_at),
  };
}

function assignmentFromRow(row: SqlRow): ReviewAssignment {
  return {
    organisationId: toNumber(row.organisation_id),
    listingId: toNumber(row.listing_id),
    userId: toNumber(row.user_id),
    assignedBy: toText(row.assigned_by),
    assignedAt: toDate(row.assigned_at),
  };
}

/** Appendix I sorts first; a listing without taxa after every appendix. */
const appendixRank = `COALESCE((SELECT MIN(CASE t.appendix WHEN 'I' THEN 1 WHEN 'II' THEN 2 ELSE 3 END)
  FROM listing_taxa t WHERE t.listing_id = l.id), 4)`;

const rankOfAppendix: Readonly<Record<Appendix, number>> = { I: 1, II: 2, III: 3 };

/** Queue taxa shown per item. */
const taxaPerItem = 5;

interface QueuePosition {
  readonly score: number;
  readonly rank: number;
  readonly id: number;
}

/**
 * The queue's cursor is the last item's place in the order (score, appendix rank, id): the next page starts after
 * it, so a verdict or a new flag between pages moves nothing else.
 */
export function encodeQueueCursor(position: QueuePosition): string {
  return Buffer.from(JSON.stringify({ v: 1, ...position })).toString("base64url");
}

export function decodeQueueCursor(cursor: string): QueuePosition {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Record<string, unknown>;
    const { v, score, rank, id } = decoded;
    if (
      v === 1 &&
      typeof score === "number" &&
      Number.isFinite(score) &&
      Number.isSafeInteger(rank) &&
      Number.isSafeInteger(id) &&
      (id as number) > 0
    )
      return { score, rank: rank as number, id: id as number };
  } catch {
    // Falls through: a cursor is opaque, so any damage gets the same answer.
  }
  throw new UsageError("cursor_invalid", "the cursor is not one the review queue returned");
}

/** The latest review of each listing of the organisation, as `r`. */
const latestReview = `r.id = (SELECT MAX(r2.id) FROM reviews r2
  WHERE r2.listing_id = r.listing_id AND r2.organisation_id = r.organisation_id)`;

/** The listing columns the review queue filters on, each with an index of its own. */
type QueueFilterColumn = "source_id" | "language" | "country";
/** SQLite's index for each (the first is the one made for the listings' UNIQUE (source_id, listing_key)). */
const filterIndexes: Record<QueueFilterColumn, string> = {
  source_id: "sqlite_autoindex_listings_1",
  language: "listings_language",
  country: "listings_country",
};

export class SqlReviewRepository implements ReviewRepository {
  readonly #db: SqlExecutor;
  readonly #context: SqlContext;

  constructor(db: SqlExecutor, context: SqlContext) {
    this.#db = db;
    this.#context = context;
  }

  async record(review: NewReview, actor: string): Promise<Review> {
    if (!(reviewVerdicts as readonly string[]).includes(review.verdict)) {
      throw new UsageError(
        "verdict_invalid",
        `verdict "${review.verdict}": expected ${reviewVerdicts.join(", ")}`,
      );
    }
    return this.#db.transaction(async (tx) => {
      const row = await tx.get(
        `INSERT INTO reviews (organisation_id, listing_id, detection_id, reviewer_id, verdict, note, reviewed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [
          review.organisationId,
          review.listingId,
          review.detectionId ?? null,
          review.reviewerId,
          review.verdict,
          review.note ?? null,
          this.#context.clock(),
        ],
      );
      const created = reviewFromRow(row!);
      await auditIn(tx, this.#context, {
        organisationId: created.organisationId,
        actor,
        action: "review.recorded",
        subjectType: "listing",
        subjectId: created.listingId,
        details: {
          reviewId: created.id,
          verdict: created.verdict,
          detectionId: created.detectionId,
          note: created.note,
        },
      });
      return created;
    });
  }

  async listForListing(listingId: number): Promise<Review[]> {
    const rows = await this.#db.all("SELECT * FROM reviews WHERE listing_id = ? ORDER BY id", [listingId]);
    return rows.map(reviewFromRow);
  }

  async assign(
    assignment: { organisationId: number; listingId: number; userId: number | null },
    actor: string,
  ): Promise<ReviewAssignment | null> {
    const { organisationId, listingId, userId } = assignment;
    return this.#db.transaction(async (tx) => {
      const previous = await tx.get<{ user_id: unknown }>(
        "SELECT user_id FROM review_assignments WHERE organisation_id = ? AND listing_id = ?",
        [organisationId, listingId],
      );
      const previousUserId = toNumberOrNull(previous?.user_id);
      let current: ReviewAssignment | null = null;
      if (userId === null) {
        await tx.run("DELETE FROM review_assignments WHERE organisation_id = ? AND listing_id = ?", [
          organisationId,
          listingId,
        ]);
      } else {
        const row = await tx.get(
          `INSERT INTO review_assignments (organisation_id, listing_id, user_id, assigned_by, assigned_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (organisation_id, listing_id)
           DO UPDATE SET user_id = excluded.user_id, assigned_by = excluded.assigned_by,
             assigned_at = excluded.assigned_at
           RETURNING *`,
          [organisationId, listingId, userId, actor, this.#context.clock()],
        );
        current = assignmentFromRow(row!);
      }
      await auditIn(tx, this.#context, {
        organisationId,
        actor,
        action: userId === null ? "review.unassigned" : "review.assigned",
        subjectType: "listing",
        subjectId: listingId,
        details: { userId, previousUserId },
      });
      return current;
    });
  }

  async assignmentOf(organisationId: number, listingId: number): Promise<ReviewAssignment | null> {
    const row = await this.#db.get(
      "SELECT * FROM review_assignments WHERE organisation_id = ? AND listing_id = ?",
      [organisationId, listingId],
    );
    return row ? assignmentFromRow(row) : null;
  }

  /**
   * SQLite has one score-ordered queue index (migration 12). A filter on a common value walks it and tests each
   * flag, which stops after a page; a rare value would make that walk read every flag, so the rarest filter is
   * looked up by its own index instead and its few matches sorted. "Rare" is a bounded count: fewer listings than
   * a fortieth of all, so that a walk meets a page of matches within about 2,000 flags.
   */
  async #rareFilter(
    filters: readonly [column: QueueFilterColumn, value: SqlParam][],
  ): Promise<QueueFilterColumn | undefined> {
    if (filters.length === 0) return undefined;
    const newest = toNumberOrNull((await this.#db.get("SELECT max(id) AS id FROM listings"))?.id) ?? 0;
    const rareBelow = Math.max(1000, Math.ceil(newest / 40));
    let rarest: { column: QueueFilterColumn; count: number } | undefined;
    for (const [column, value] of filters) {
      const row = await this.#db.get(
        `SELECT count(*) AS n FROM (SELECT 1 FROM listings WHERE ${column} = ? LIMIT ?)`,
        [value, rareBelow],
      );
      const count = toNumber(row!.n);
      if (count < rareBelow && (rarest === undefined || count < rarest.count)) rarest = { column, count };
    }
    return rarest?.column;
  }

  async queue(query: ReviewQueueQuery): Promise<ReviewQueuePage> {
    const limit = clampLimit(query.limit, 50, 500);
    const conditions = [
      "l.organisation_id = ?",
      "l.score IS NOT NULL",
      "(l.verdict = 'offer' OR l.score >= ?)",
      "NOT EXISTS (SELECT 1 FROM reviews r WHERE r.listing_id = l.id AND r.organisation_id = ?)",
    ];
    const params: SqlParam[] = [query.organisationId, query.minScore, query.organisationId];
    const where = (sql: string, ...values: SqlParam[]) => {
      conditions.push(sql);
      params.push(...values);
    };
    const filters: [column: QueueFilterColumn, value: SqlParam][] = [];
    if (query.sourceId !== undefined) filters.push(["source_id", query.sourceId]);
    if (query.language !== undefined) filters.push(["language", query.language.toLowerCase()]);
    if (query.country !== undefined) filters.push(["country", query.country.toUpperCase()]);
    const lookedUp = this.#db.dialect === "sqlite" ? await this.#rareFilter(filters) : undefined;
    for (const [column, value] of filters) {
      // On SQLite, `+` keeps a common value's filter from choosing its index over the walk of the score order.
      const hidden = this.#db.dialect === "sqlite" && lookedUp === undefined;
      where(`${hidden ? "+" : ""}l.${column} = ?`, value);
    }
    if (query.taxon !== undefined && query.taxon.trim() !== "") {
      const key = taxonNameKey(query.taxon);
      // A genus's species sort between "genus " and "genus!" (see the listings search). The taxon's listings form
      // one set, looked up per candidate or driving the query: a probe per listing took 2 s when none matched.
      where(
        `l.id IN (SELECT t.listing_id FROM listing_taxa t
           WHERE t.name_key = ? OR (t.name_key >= ? AND t.name_key < ?))`,
        key,
        `${key} `,
        `${key}!`,
      );
    }
    // Without statistics SQLite would still walk the score order, or start from the sources: the index is named.
    const listings =
      lookedUp === undefined ? "listings l" : `listings l INDEXED BY ${filterIndexes[lookedUp]}`;
    let from = `${listings} JOIN sources s ON s.id = l.source_id
       LEFT JOIN review_assignments a ON a.organisation_id = l.organisation_id AND a.listing_id = l.id`;
    // The score to order by: `+ 0` hides the score indexes' order where walking it would be the slow way.
    let orderScore = lookedUp === undefined ? "l.score" : "l.score + 0";
    if (query.assignee === "none") {
      // An anti-join, not "a.user_id IS NULL": PostgreSQL misjudges the latter and sorts every flag (2 s at 100,000).
      where(
        `NOT EXISTS (SELECT 1 FROM review_assignments x
           WHERE x.organisation_id = l.organisation_id AND x.listing_id = l.id)`,
      );
    } else if (query.assignee !== undefined) {
      // A person's assignments are few: start from them (SQLite keeps the left side of a CROSS JOIN outermost)
      // rather than walk every flag testing each.
      from = "review_assignments a CROSS JOIN listings l JOIN sources s ON s.id = l.source_id";
      // PostgreSQL would otherwise walk the score order hoping to meet this person's listings early.
      orderScore = "l.score + 0";
      where(
        "a.organisation_id = ? AND a.user_id = ? AND a.listing_id = l.id",
        query.organisationId,
        query.assignee,
      );
    }
    if (query.cursor !== undefined) {
      const after = decodeQueueCursor(query.cursor);
      // The first condition alone lets the database start its walk of the score index at the cursor.
      where(
        `l.score <= ? AND (l.score < ? OR ${appendixRank} > ? OR (${appendixRank} = ? AND l.id < ?))`,
        after.score,
        after.score,
        after.rank,
        after.rank,
        after.id,
      );
    }
    const rows = await this.#db.all(
      `SELECT l.id, l.title, l.url, l.source_id, s.slug AS source_slug, s.platform, l.seller, l.price_amount,
         l.price_currency, l.language, l.country, l.score, l.first_seen_at, l.last_seen_at,
         ${appendixRank} AS appendix_rank, a.user_id AS assignee_id, a.assigned_at
       FROM ${from}
       WHERE ${conditions.join(" AND ")}
       ORDER BY ${orderScore} DESC, appendix_rank, l.id DESC
       LIMIT ?`,
      [...params, limit + 1],
    );
    const page = rows.slice(0, limit);
    const taxa = await this.#taxaOf(page.map((row) => toNumber(row.id)));
    const assigneeIds = [
      ...new Set(page.map((row) => toNumberOrNull(row.assignee_id)).filter((id) => id !== null)),
    ];
    const names = new Map(
      assigneeIds.length === 0
        ? []
        : (
            await this.#db.all(
              `SELECT id, display_name FROM users WHERE id IN (${placeholders(assigneeIds.length)})`,
              assigneeIds,
            )
          ).map((row) => [toNumber(row.id), toText(row.display_name)]),
    );
    const items = page.map((row): ReviewQueueItem => {
      const listingId = toNumber(row.id);
      const amount = toNumberOrNull(row.price_amount);
      const assigneeId = toNumberOrNull(row.assignee_id);
      return {
        listingId,
        title: toTextOrNull(row.title),
        url: toText(row.url),
        sourceId: toNumber(row.source_id),
        source: toText(row.source_slug),
        platform: toTextOrNull(row.platform),
        seller: toTextOrNull(row.seller),
        price: amount === null ? null : { amount, currency: toTextOrNull(row.price_currency) },
        language: toTextOrNull(row.language),
        country: toTextOrNull(row.country),
        score: toNumber(row.score),
        taxa: (taxa.get(listingId) ?? [])
          .slice(0, taxaPerItem)
          .map((t) => ({ taxonId: t.taxonId, name: t.scientificName, appendix: t.appendix })),
        assignee:
          assigneeId === null
            ? null
            : {
                userId: assigneeId,
                displayName: names.get(assigneeId) ?? "",
                assignedAt: toDate(row.assigned_at),
              },
        firstSeenAt: toDate(row.first_seen_at),
        lastSeenAt: toDate(row.last_seen_at),
      };
    });
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > limit && last !== undefined
        ? encodeQueueCursor({
            score: toNumber(last.score),
            rank: toNumber(last.appendix_rank),
            id: toNumber(last.id),
          })
        : null;
    return { items, nextCursor };
  }

  async reviewedDetections(query: {
    organisationId: number;
    from?: Date;
    to?: Date;
  }): Promise<ReviewedDetection[]> {
    const params: SqlParam[] = [query.organisationId];
    let range = "";
    if (query.from !== undefined) {
      range += " AND r.reviewed_at >= ?";
      params.push(query.from);
    }
    if (query.to !== undefined) {
      range += " AND r.reviewed_at < ?";
      params.push(query.to);
    }
    const rows = await this.#db.all(
      `SELECT r.listing_id, r.verdict, r.reviewed_at, s.slug AS source_slug, l.language,
         d.verdict AS detection_verdict, d.score AS detection_score, d.detector_version, d.taxa AS detection_taxa,
         d.detected_at
       FROM reviews r
       JOIN listings l ON l.id = r.listing_id
       JOIN sources s ON s.id = l.source_id
       LEFT JOIN detections d ON d.id = r.detection_id
       WHERE r.organisation_id = ? AND ${latestReview}${range}
       ORDER BY r.reviewed_at, r.listing_id`,
      params,
    );
    return rows.map((row) => ({
      listingId: toNumber(row.listing_id),
      verdict: toText(row.verdict) as ReviewVerdict,
      reviewedAt: toDate(row.reviewed_at),
      source: toText(row.source_slug),
      language: toTextOrNull(row.language),
      detection:
        row.detector_version === null || row.detector_version === undefined
          ? null
          : {
              verdict: toText(row.detection_verdict) as Verdict,
              score: toNumber(row.detection_score),
              detectorVersion: toText(row.detector_version),
              taxa: toJson(row.detection_taxa) as unknown as DetectedTaxon[],
              detectedAt: toDate(row.detected_at),
            },
    }));
  }

  async reviewedListings(organisationId?: number): Promise<ReviewedListing[]> {
    const rows = await this.#db.all(
      `SELECT r.listing_id, r.verdict, l.title, l.text, l.language
       FROM reviews r JOIN listings l ON l.id = r.listing_id
       WHERE ${latestReview}${organisationId === undefined ? "" : " AND r.organisation_id = ?"}
       ORDER BY r.listing_id`,
      organisationId === undefined ? [] : [organisationId],
    );
    const taxa = new Map<number, DetectedTaxon[]>();
    // In chunks, to stay under the databases' limits on parameters.
    for (let start = 0; start < rows.length; start += 500) {
      const chunk = await this.#taxaOf(rows.slice(start, start + 500).map((row) => toNumber(row.listing_id)));
      for (const [id, list] of chunk) taxa.set(id, list);
    }
    return rows.map((row) => ({
      listingId: toNumber(row.listing_id),
      verdict: toText(row.verdict) as ReviewVerdict,
      title: toTextOrNull(row.title),
      text: toText(row.text),
      language: toTextOrNull(row.language),
      taxa: taxa.get(toNumber(row.listing_id)) ?? [],
    }));
  }

  /** The current taxa of each listing, Appendix I first, then by name. */
  async #taxaOf(listingIds: readonly number[]): Promise<Map<number, DetectedTaxon[]>> {
    const byListing = new Map<number, DetectedTaxon[]>();
    if (listingIds.length === 0) return byListing;
    const rows = await this.#db.all(
      `SELECT listing_id, taxon_id, scientific_name, appendix FROM listing_taxa
       WHERE listing_id IN (${placeholders(listingIds.length)})`,
      listingIds,
    );
    for (const row of rows) {
      const id = toNumber(row.listing_id);
      const list = byListing.get(id) ?? [];
      list.push({
        taxonId: toNumber(row.taxon_id),
        scientificName: toText(row.scientific_name),
        appendix: toText(row.appendix) as Appendix,
      });
      byListing.set(id, list);
    }
    for (const list of byListing.values()) {
      list.sort(
        (a, b) =>
          rankOfAppendix[a.appendix] - rankOfAppendix[b.appendix] ||
          a.scientificName.localeCompare(b.scientificName),
      );
    }
    return byListing;
  }
}
