import { UsageError } from "../../core/errors.ts";
import { verdicts, type NewReview, type Review, type Verdict } from "../records.ts";
import type { ReviewRepository } from "../store.ts";
import { toDate, toNumber, toNumberOrNull, toText, toTextOrNull } from "./rows.ts";
import { auditIn, type SqlContext } from "./sql-context.ts";
import type { SqlExecutor, SqlRow } from "./sql-executor.ts";

function reviewFromRow(row: SqlRow): Review {
  return {
    id: toNumber(row.id),
    organisationId: toNumber(row.organisation_id),
    listingId: toNumber(row.listing_id),
    detectionId: toNumberOrNull(row.detection_id),
    reviewerId: toNumber(row.reviewer_id),
    verdict: toText(row.verdict) as Verdict,
    note: toTextOrNull(row.note),
    reviewedAt: toDate(row.reviewed_at),
  };
}

export class SqlReviewRepository implements ReviewRepository {
  readonly #db: SqlExecutor;
  readonly #context: SqlContext;

  constructor(db: SqlExecutor, context: SqlContext) {
    this.#db = db;
    this.#context = context;
  }

  async record(review: NewReview, actor: string): Promise<Review> {
    if (!(verdicts as readonly string[]).includes(review.verdict)) {
      throw new UsageError("verdict_invalid", `verdict "${review.verdict}": expected ${verdicts.join(", ")}`);
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
        details: { reviewId: created.id, verdict: created.verdict, detectionId: created.detectionId },
      });
      return created;
    });
  }

  async listForListing(listingId: number): Promise<Review[]> {
    const rows = await this.#db.all("SELECT * FROM reviews WHERE listing_id = ? ORDER BY id", [listingId]);
    return rows.map(reviewFromRow);
  }
}
