/**
 * Shapes GET /v1/statistics/offers answers for the charts and their CSV files: uPlot wants one shared, sorted
 * x axis (seconds) and one array of values per line; bar charts want totals, largest first. Free of React and
 * the DOM so that node can test it.
 */
import type { CsvCell } from "./statistics-csv.ts";

export const offerDimensions = ["taxon", "appendix", "platform", "country", "language", "product"] as const;
export type OfferDimension = (typeof offerDimensions)[number];

export const statisticsIntervals = ["day", "week", "month"] as const;
export type StatisticsInterval = (typeof statisticsIntervals)[number];

export interface PeriodCount {
  readonly period: string;
  readonly count: number;
}

export interface OfferSeries {
  readonly key: string;
  readonly label: string;
  readonly points: readonly PeriodCount[];
}

export interface KeyedCount {
  readonly key: string;
  readonly label: string;
  readonly count: number;
}

export interface OfferStatistics {
  readonly by: OfferDimension;
  readonly interval: StatisticsInterval;
  readonly series: readonly OfferSeries[];
  readonly totals: readonly KeyedCount[];
}

export interface ChartLine {
  readonly key: string;
  readonly label: string;
  /** One value per period of the chart: 0 where a count has no point, null for a gap (nothing to measure). */
  readonly values: (number | null)[];
}

export interface TimeChart {
  /** Period labels as the API sent them, oldest first. */
  readonly periods: string[];
  /** Each period's start in seconds since the epoch (UTC), as uPlot's time axis wants. */
  readonly xs: number[];
  readonly lines: ChartLine[];
}

const dayMs = 86_400_000;

/**
 * When a period starts, in ms since the epoch (UTC), or NaN. Reads "2026", "2026-05", "2026-W18" (ISO week),
 * "2026-05-04" and full ISO timestamps.
 */
export function periodStartMs(period: string): number {
  let match = /^(\d{4})$/.exec(period);
  if (match) return Date.UTC(Number(match[1]), 0, 1);
  match = /^(\d{4})-(\d{2})$/.exec(period);
  if (match) return Date.UTC(Number(match[1]), Number(match[2]) - 1, 1);
  match = /^(\d{4})-W(\d{2})$/.exec(period);
  if (match) {
    // ISO 8601: week 1 is the week (Monday first) that holds 4 January.
    const year = Number(match[1]);
    const fourthOfJanuary = Date.UTC(year, 0, 4);
    const weekday = (new Date(fourthOfJanuary).getUTCDay() + 6) % 7;
    return fourthOfJanuary - weekday * dayMs + (Number(match[2]) - 1) * 7 * dayMs;
  }
  match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(period);
  if (match) return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return /^\d{4}-\d{2}-\d{2}T/.test(period) ? Date.parse(period) : Number.NaN;
}

/**
 * Lines on one time axis. The `maxLines` largest series (by their total) keep their own line; the rest are summed
 * into one line labelled `otherLabel`, so a chart of 300 taxa stays readable. Periods whose start cannot be read
 * are left out: they have no place on a time axis (the CSV keeps them).
 */
export function timeChart(
  series: readonly OfferSeries[],
  options: { maxLines: number; otherLabel: string },
): TimeChart {
  const starts = new Map<string, number>();
  for (const line of series)
    for (const point of line.points) {
      if (starts.has(point.period)) continue;
      const start = periodStartMs(point.period);
      if (Number.isFinite(start)) starts.set(point.period, start);
    }
  const periods = [...starts.keys()].sort((a, b) => starts.get(a)! - starts.get(b)!);
  const column = new Map(periods.map((period, index) => [period, index]));
  const valuesOf = (points: readonly PeriodCount[], into = new Array<number>(periods.length).fill(0)) => {
    for (const point of points) {
      const index = column.get(point.period);
      if (index !== undefined) into[index]! += point.count;
    }
    return into;
  };
  const ranked = series
    .map((line) => ({ line, total: line.points.reduce((sum, point) => sum + point.count, 0) }))
    .sort((a, b) => b.total - a.total || a.line.label.localeCompare(b.line.label));
  const kept = ranked.slice(0, Math.max(0, options.maxLines));
  const rest = ranked.slice(kept.length);
  const lines: ChartLine[] = kept.map(({ line }) => ({
    key: line.key,
    label: line.label,
    values: valuesOf(line.points),
  }));
  if (rest.length > 0) {
    const values = new Array<number>(periods.length).fill(0);
    for (const { line } of rest) valuesOf(line.points, values);
    lines.push({ key: "", label: options.otherLabel, values });
  }
  return { periods, xs: periods.map((period) => starts.get(period)! / 1000), lines };
}

export interface Bar extends KeyedCount {
  /** The bar's length as a share of the longest, 0 to 1. */
  readonly share: number;
}

/** The `limit` largest totals, largest first (ties by label), each with its length relative to the largest. */
export function bars(totals: readonly KeyedCount[], limit: number): Bar[] {
  const top = [...totals]
    .filter((total) => total.count > 0)
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label))
    .slice(0, Math.max(0, limit));
  const longest = top[0]?.count ?? 0;
  return top.map((total) => ({ ...total, share: longest > 0 ? total.count / longest : 0 }));
}

/** The series as CSV rows in long form (one row per period and key), which every spreadsheet can pivot. */
export function seriesCsvRows(statistics: OfferStatistics): { header: string[]; rows: CsvCell[][] } {
  const rows: CsvCell[][] = [];
  for (const line of statistics.series)
    for (const point of line.points) rows.push([point.period, line.key, line.label, point.count]);
  rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[2]).localeCompare(String(b[2])));
  return { header: [statistics.interval, statistics.by, "label", "offers"], rows };
}

/** Totals as CSV rows, largest first. */
export function totalsCsvRows(statistics: OfferStatistics): { header: string[]; rows: CsvCell[][] } {
  const rows = [...statistics.totals]
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label))
    .map((total): CsvCell[] => [total.key, total.label, total.count]);
  return { header: [statistics.by, "label", "offers"], rows };
}

/**
 * The answer with every key and label a string: offers with no taxon, country or language come with a null key
 * (and label), which the charts and files show as `unknownLabel`.
 */
export function withLabels(statistics: OfferStatistics, unknownLabel: string): OfferStatistics {
  const fill = <T extends { key: string; label: string }>(item: T): T => {
    const key = (item.key as string | null) ?? "";
    const label = (item.label as string | null) || key || unknownLabel;
    return { ...item, key, label };
  };
  return { ...statistics, series: statistics.series.map(fill), totals: statistics.totals.map(fill) };
}

/**
 * The days a person picked as the API's `from` and `to` (both inclusive, YYYY-MM-DD, UTC); a day left empty or
 * not a real date leaves its end open rather than failing the request.
 */
export function dateRange(fromDay: string, toDay: string): { from?: string; to?: string } {
  const isDay = (day: string) =>
    /^\d{4}-\d{2}-\d{2}$/.test(day) && new Date(`${day}T00:00:00.000Z`).toISOString().startsWith(day);
  const valid = (day: string) => {
    try {
      return isDay(day);
    } catch {
      return false; // toISOString throws for an invalid date
    }
  };
  return { ...(valid(fromDay) ? { from: fromDay } : {}), ...(valid(toDay) ? { to: toDay } : {}) };
}
