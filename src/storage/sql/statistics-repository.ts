import type { OfferCount, OfferCountQuery, OfferDimension, StatisticsInterval } from "../records.ts";
import type { StatisticsRepository } from "../store.ts";
import { toNumber } from "./rows.ts";
import type { SqlExecutor, SqlParam } from "./sql-executor.ts";

/**
 * The few expressions the two databases spell differently. They stay here, beside the one query that uses them,
 * rather than in each dialect's folder: the UTC day number of a timestamp, and the reasons of a detection as rows.
 */
const dialects = {
  sqlite: {
    // Timestamps are integer milliseconds: whole days since the epoch by integer division, far cheaper than date().
    dayNumber: (column: string) => `(${column} / 86400000)`,
    reasons: (column: string) => `json_each(${column}) AS reason`,
  },
  postgres: {
    // Date arithmetic gives an integer; extract(epoch …) would divide numerics, several times slower.
    dayNumber: (column: string) => `((${column} AT TIME ZONE 'UTC')::date - DATE '1970-01-01')`,
    reasons: (column: string) => `LATERAL jsonb_array_elements_text(${column}) AS reason (value)`,
  },
} as const;
type Dialect = (typeof dialects)[keyof typeof dialects];

/** How the detector writes the product types among its reasons (core/detect/detect.ts). */
const productReasonPrefix = "product: ";
const dayMs = 86_400_000;

/**
 * Offer counts. The database counts per UTC day and key, which both read from the partial index of migration 0006
 * (the condition `verdict = 'offer'` is a literal so that the planners can use it); days are then summed into
 * weeks or months, and labels looked up once per key, here. A listing's first sighting is one day, so the sums
 * count each listing once per period and key.
 */
export class SqlStatisticsRepository implements StatisticsRepository {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async offerCounts(query: OfferCountQuery): Promise<OfferCount[]> {
    const dialect = dialects[this.#db.dialect];
    const conditions = ["l.organisation_id = ?", "l.verdict = 'offer'"];
    const params: SqlParam[] = [query.organisationId];
    if (query.from !== undefined) {
      conditions.push("l.first_seen_at >= ?");
      params.push(query.from);
    }
    if (query.to !== undefined) {
      conditions.push("l.first_seen_at < ?");
      params.push(query.to);
    }
    const day = dialect.dayNumber("l.first_seen_at");
    const { select, join, distinct } = dimensionSql(query.by, dialect);
    const from = `FROM listings l ${join} WHERE ${conditions.join(" AND ")}`;
    // A listing with two taxa of one appendix is one offer of that appendix: only there can a row repeat.
    const sql = distinct
      ? `SELECT day, key, COUNT(*) AS count FROM (SELECT DISTINCT ${day} AS day, l.id, ${select} AS key ${from}) d
         GROUP BY day, key`
      : `SELECT ${day} AS day, ${select} AS key, COUNT(*) AS count ${from} GROUP BY 1, 2`;
    const rows = await this.#db.all(sql, params);

    const periodOfDay = new Map<number, string>();
    const counts = new Map<string, { period: string; key: string | null; count: number }>();
    for (const row of rows) {
      const dayNumber = toNumber(row.day);
      let period = periodOfDay.get(dayNumber);
      if (period === undefined) {
        period = periodStartOf(dayNumber, query.interval);
        periodOfDay.set(dayNumber, period);
      }
      const count = toNumber(row.count);
      for (const key of query.by === "product" ? productsOf(row.key) : [keyText(row.key)]) {
        const id = `${period}\u0000${key ?? ""}\u0000${key === null ? 0 : 1}`;
        const entry = counts.get(id);
        if (entry) entry.count += count;
        else counts.set(id, { period, key, count });
      }
    }
    const labels = query.by === "taxon" ? await this.#taxonNames(counts.values()) : undefined;
    return [...counts.values()]
      .map((entry) => ({
        ...entry,
        label: entry.key === null ? null : (labels?.get(entry.key) ?? entry.key),
      }))
      .sort(byPeriodThenKey);
  }

  /** Each taxon's scientific name: an index look-up per taxon, a hundred to a round trip, not a grouping column. */
  async #taxonNames(entries: Iterable<{ key: string | null }>): Promise<Map<string, string>> {
    const ids = [...new Set([...entries].flatMap(({ key }) => (key === null ? [] : [Number(key)])))];
    const names = new Map<string, string>();
    for (let start = 0; start < ids.length; start += 100) {
      const chunk = ids.slice(start, start + 100);
      const rows = await this.#db.all(
        chunk
          .map(
            () =>
              "SELECT CAST(? AS BIGINT) AS taxon_id, " +
              "(SELECT scientific_name FROM listing_taxa WHERE taxon_id = ? LIMIT 1) AS name",
          )
          .join(" UNION ALL "),
        chunk.flatMap((id) => [id, id]),
      );
      for (const row of rows) if (typeof row.name === "string") names.set(keyText(row.taxon_id)!, row.name);
    }
    return names;
  }
}

function dimensionSql(
  by: OfferDimension,
  dialect: Dialect,
): { select: string; join: string; distinct: boolean } {
  const taxa = "LEFT JOIN listing_taxa t ON t.listing_id = l.id";
  switch (by) {
    case "taxon":
      return { select: "t.taxon_id", join: taxa, distinct: false };
    case "appendix":
      return { select: "t.appendix", join: taxa, distinct: true };
    case "platform":
      return { select: "s.platform", join: "JOIN sources s ON s.id = l.source_id", distinct: false };
    case "country":
      return { select: "l.country", join: "", distinct: false };
    case "language":
      return { select: "l.language", join: "", distinct: false };
    case "product":
      // The current detection is the one of the current content by the current detector (unique per listing);
      // the detector names its products in one reason.
      return {
        select: "reason.value",
        join: `LEFT JOIN detections d
            ON d.listing_id = l.id AND d.content_hash = l.content_hash AND d.detector_version = l.detector_version
          LEFT JOIN ${dialect.reasons("d.reasons")} ON reason.value LIKE '${productReasonPrefix}%'`,
        distinct: false,
      };
  }
}

/** The first day of the period a UTC day number falls in, "YYYY-MM-DD" (weeks start on Monday, as in ISO 8601). */
function periodStartOf(dayNumber: number, interval: StatisticsInterval): string {
  const day = new Date(dayNumber * dayMs);
  if (interval === "week") day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
  if (interval === "month") day.setUTCDate(1);
  return day.toISOString().slice(0, 10);
}

function keyText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? value : String(toNumber(value));
}

/** "product: ivory, carving" → ivory and carving; no product reason → one count without a key. */
function productsOf(value: unknown): Array<string | null> {
  const reason = keyText(value);
  if (reason === null) return [null];
  const products = reason
    .slice(productReasonPrefix.length)
    .split(",")
    .map((product) => product.trim())
    .filter((product) => product !== "");
  return products.length > 0 ? [...new Set(products)] : [null];
}

/** The same order from both databases (they sort nulls differently): by period, then key, no key last. */
function byPeriodThenKey(a: OfferCount, b: OfferCount): number {
  if (a.period !== b.period) return a.period < b.period ? -1 : 1;
  if (a.key === b.key) return 0;
  if (a.key === null) return 1;
  if (b.key === null) return -1;
  return a.key < b.key ? -1 : 1;
}
