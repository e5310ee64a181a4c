import { UsageError } from "../core/errors.ts";
import type { OfferCount, OfferDimension, StatisticsInterval } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import type { Principal } from "./access.ts";

/**
 * Statistics of flagged offers for the dashboard's charts: listings whose current detection is an offer, counted by
 * the period they were first seen and by taxon, appendix, platform, country, language or product type, always
 * within the caller's organisation. Series are dense (a zero for every period in range) so a chart needs no
 * arithmetic of its own; the CSV holds every count.
 */

export interface OfferStatisticsQuery {
  readonly by: OfferDimension;
  readonly interval: StatisticsInterval;
  /** First day counted, "YYYY-MM-DD" (UTC). */
  readonly from?: string;
  /** Last day counted, inclusive. */
  readonly to?: string;
  /** Series for the keys with the most offers; `totals` lists every key. */
  readonly limit?: number;
}

export interface OfferPoint {
  readonly period: string;
  readonly count: number;
}

export interface OfferSeries {
  /** Null for listings without a value (no country given, no product named…). */
  readonly key: string | null;
  readonly label: string;
  readonly points: readonly OfferPoint[];
}

export interface OfferTotal {
  readonly key: string | null;
  readonly label: string;
  readonly count: number;
}

export interface OfferStatistics {
  readonly by: OfferDimension;
  readonly interval: StatisticsInterval;
  readonly from: string | null;
  readonly to: string | null;
  readonly series: readonly OfferSeries[];
  readonly totals: readonly OfferTotal[];
}

/** Enough for ten years by week or three by day; more would be a chart nobody can read. */
export const maxPeriods = 1_100;
export const defaultSeriesLimit = 20;
const dayMs = 86_400_000;

export function createStatisticsService(deps: { store: Store }) {
  const { store } = deps;

  async function offers(principal: Principal, query: OfferStatisticsQuery): Promise<OfferStatistics> {
    const from = query.from === undefined ? undefined : parseDay(query.from, "from");
    const to = query.to === undefined ? undefined : parseDay(query.to, "to");
    if (from !== undefined && to !== undefined && from > to)
      throw new UsageError("statistics_range_invalid", `from (${query.from}) is after to (${query.to})`);
    if (from !== undefined && to !== undefined)
      checkPeriodCount(periodsBetween(from, to, query.interval).length, query.interval);
    const counts = await store.statistics.offerCounts({
      organisationId: principal.organisationId,
      by: query.by,
      interval: query.interval,
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to: new Date(to.getTime() + dayMs) } : {}),
    });
    const first = from ?? (counts[0] ? new Date(`${counts[0].period}T00:00:00Z`) : undefined);
    const last = to ?? (counts.at(-1) ? new Date(`${counts.at(-1)!.period}T00:00:00Z`) : undefined);
    const periods = first && last ? periodsBetween(first, last, query.interval) : [];
    checkPeriodCount(periods.length, query.interval);

    const byKey = new Map<string | null, { label: string; total: number; counts: Map<string, number> }>();
    for (const row of counts) {
      let entry = byKey.get(row.key);
      if (!entry) {
        entry = { label: labelOf(query.by, row), total: 0, counts: new Map() };
        byKey.set(row.key, entry);
      }
      entry.total += row.count;
      entry.counts.set(row.period, (entry.counts.get(row.period) ?? 0) + row.count);
    }
    const ranked = [...byKey].sort(([keyA, a], [keyB, b]) => b.total - a.total || compareKeys(keyA, keyB));
    const limit = query.limit ?? defaultSeriesLimit;
    return {
      by: query.by,
      interval: query.interval,
      from: query.from ?? null,
      to: query.to ?? null,
      series: ranked.slice(0, limit).map(([key, entry]) => ({
        key,
        label: entry.label,
        points: periods.map((period) => ({ period, count: entry.counts.get(period) ?? 0 })),
      })),
      totals: ranked.map(([key, entry]) => ({ key, label: entry.label, count: entry.total })),
    };
  }

  return {
    offers,

    /** Every count as CSV (period, key, label, count), with a file name that says what it holds. */
    async offersCsv(
      principal: Principal,
      query: OfferStatisticsQuery,
    ): Promise<{ filename: string; csv: string }> {
      const statistics = await offers(principal, { ...query, limit: Number.MAX_SAFE_INTEGER });
      const rows: Array<readonly (string | number)[]> = [["period", "key", "label", "offers"]];
      const periods = statistics.series[0]?.points.map((point) => point.period) ?? [];
      for (const [index, period] of periods.entries()) {
        for (const series of statistics.series) {
          const count = series.points[index]?.count ?? 0;
          if (count > 0) rows.push([period, series.key ?? "", series.label, count]);
        }
      }
      const range = `${query.from ?? "start"}-to-${query.to ?? "now"}`;
      return {
        filename: `wildtrawl-offers-by-${query.by}-per-${query.interval}-${range}.csv`,
        csv: rows.map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n",
      };
    },
  };
}

export type StatisticsService = ReturnType<typeof createStatisticsService>;

function parseDay(value: string, field: string): Date {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : undefined;
  if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value)
    throw new UsageError(
      "statistics_range_invalid",
      `${field}: expected a day as YYYY-MM-DD, got "${value}"`,
    );
  return day;
}

function checkPeriodCount(count: number, interval: StatisticsInterval) {
  if (count > maxPeriods)
    throw new UsageError(
      "statistics_range_invalid",
      `${count} ${interval}s is more than ${maxPeriods} periods: choose a longer interval or a shorter range`,
    );
}

/** The first day of the period `day` falls in (UTC; weeks start on Monday, as ISO 8601 and the databases do). */
export function periodStart(day: Date, interval: StatisticsInterval): Date {
  const start = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  if (interval === "week") start.setUTCDate(start.getUTCDate() - ((start.getUTCDay() + 6) % 7));
  if (interval === "month") start.setUTCDate(1);
  return start;
}

/** Every period from the one `first` falls in to the one `last` falls in, as "YYYY-MM-DD"; stops past the cap. */
export function periodsBetween(first: Date, last: Date, interval: StatisticsInterval): string[] {
  const periods: string[] = [];
  const end = periodStart(last, interval).getTime();
  for (
    let at = periodStart(first, interval);
    at.getTime() <= end && periods.length <= maxPeriods;
    interval === "day"
      ? at.setUTCDate(at.getUTCDate() + 1)
      : interval === "week"
        ? at.setUTCDate(at.getUTCDate() + 7)
        : at.setUTCMonth(at.getUTCMonth() + 1)
  ) {
    periods.push(at.toISOString().slice(0, 10));
  }
  return periods;
}

const regionNames = new Intl.DisplayNames(["en"], { type: "region", fallback: "code" });
const languageNames = new Intl.DisplayNames(["en"], { type: "language", fallback: "code" });

/** What a person reads on a chart: a taxon's name, a country's or language's English name, "Appendix I". */
function labelOf(by: OfferDimension, row: OfferCount): string {
  if (row.key === null) return "unknown";
  try {
    if (by === "country") return regionNames.of(row.key.toUpperCase()) ?? row.key;
    if (by === "language") return languageNames.of(row.key) ?? row.key;
  } catch {
    // A code Intl does not know (a malformed tag from a page): show it as it is.
    return row.key;
  }
  if (by === "appendix") return `Appendix ${row.key}`;
  return row.label ?? row.key;
}

function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/**
 * One CSV cell. Text that a spreadsheet would run as a formula (=, +, -, @, tab, carriage return first) is
 * prefixed with an apostrophe (OWASP, "CSV injection"); taxon names and labels come from scraped pages.
 */
export function csvCell(value: string | number): string {
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
