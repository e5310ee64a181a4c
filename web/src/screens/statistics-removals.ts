/**
 * Shapes GET /v1/reports/takedowns?format=json (src/core/takedown/takedown-measures.ts) for the takedowns and
 * statistics screens: removal rate over time per platform, and the per-platform figures as CSV. The report measures
 * from the notices' events (sent, then seen removed), so the screens show the same figures as
 * `wildtrawl report takedowns`. Free of React and the DOM so that node can test it.
 */
import type { CsvCell } from "./statistics-csv.ts";
import { periodStartMs, type StatisticsInterval, type TimeChart } from "./statistics-series.ts";

/** "all" in `platform` is every platform together; in `period`, the whole time. */
export const everything = "all";

export interface TakedownMeasure {
  readonly platform: string;
  /** "2026-W14", "2026-04", or "all": when the notices were sent. */
  readonly period: string;
  readonly noticesSent: number;
  readonly removed: number;
  readonly removalRate: number | null;
  readonly medianDaysToRemoval: number | null;
  readonly p90DaysToRemoval: number | null;
  readonly relisted: number | null;
  readonly relistingRate: number | null;
}

export interface TakedownReport {
  readonly interval: "week" | "month" | "all";
  readonly rows: readonly TakedownMeasure[];
}

/** The report has weeks and months; a chart of days asks it for weeks. */
export const reportInterval = (interval: StatisticsInterval): "week" | "month" =>
  interval === "month" ? "month" : "week";

/** Each platform's measures over the whole time (a report asked with interval=all), platforms A–Z, "all" last. */
export function platformMeasures(report: TakedownReport): TakedownMeasure[] {
  return report.rows
    .filter((row) => row.period === everything)
    .sort(
      (a, b) =>
        Number(a.platform === everything) - Number(b.platform === everything) ||
        a.platform.localeCompare(b.platform),
    );
}

/**
 * Removal rate per period: a line for all platforms together, then one per platform (most notices first, at most
 * `maxPlatforms`); a gap where a platform was sent nothing that period.
 */
export function removalRateChart(
  report: TakedownReport,
  options: { allLabel: string; maxPlatforms: number },
): TimeChart {
  const periods = [...new Set(report.rows.map((row) => row.period))]
    .filter((period) => Number.isFinite(periodStartMs(period)))
    .sort((a, b) => periodStartMs(a) - periodStartMs(b));
  const sent = new Map<string, number>();
  for (const row of report.rows)
    if (row.platform !== everything) sent.set(row.platform, (sent.get(row.platform) ?? 0) + row.noticesSent);
  const platforms = [...sent.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, Math.max(0, options.maxPlatforms))
    .map(([platform]) => platform);
  const line = (platform: string, label: string) => ({
    key: platform,
    label,
    values: periods.map(
      (period) =>
        report.rows.find((row) => row.platform === platform && row.period === period)?.removalRate ?? null,
    ),
  });
  return {
    periods,
    xs: periods.map((period) => periodStartMs(period) / 1000),
    lines: [line(everything, options.allLabel), ...platforms.map((platform) => line(platform, platform))],
  };
}

const rounded = (value: number | null, digits: number) =>
  value === null ? null : Number(value.toFixed(digits));

/** The report's rows as CSV, in the report's own column names (as `wildtrawl report takedowns --format csv`). */
export function removalCsvRows(report: TakedownReport): { header: string[]; rows: CsvCell[][] } {
  return {
    header: [
      "platform",
      "period",
      "notices_sent",
      "removed",
      "removal_rate",
      "median_days_to_removal",
      "p90_days_to_removal",
      "relisted",
      "relisting_rate",
    ],
    rows: report.rows.map((row) => [
      row.platform,
      row.period,
      row.noticesSent,
      row.removed,
      rounded(row.removalRate, 4),
      rounded(row.medianDaysToRemoval, 2),
      rounded(row.p90DaysToRemoval, 2),
      row.relisted,
      rounded(row.relistingRate, 4),
    ]),
  };
}
