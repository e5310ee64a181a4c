/**
 * Shapes GET /v1/reports/precision (src/services/flag-precision.ts) for the statistics screen: precision over
 * time as a line, per group as bars, and every figure as CSV. Free of React and the DOM so that node can test it.
 */
import type { CsvCell } from "./statistics-csv.ts";
import { periodStartMs, type StatisticsInterval, type TimeChart } from "./statistics-series.ts";

export const precisionGroupings = ["verdict", "source", "taxon", "language", "detector"] as const;
export type PrecisionGrouping = (typeof precisionGroupings)[number];
export type PrecisionInterval = "week" | "month";

export interface PrecisionCounts {
  /** Flags reviewed, unsure included. */
  readonly reviewed: number;
  readonly illegalOffer: number;
  readonly legalOffer: number;
  readonly notWildlife: number;
  readonly unsure: number;
  /** (illegal + legal offers) / (reviewed − unsure); null when nothing was decided. */
  readonly precision: number | null;
}

export interface PrecisionGroup extends PrecisionCounts {
  readonly key: string;
}

export interface PrecisionPeriod extends PrecisionCounts {
  /** "2026-W10" or "2026-03". */
  readonly period: string;
  readonly groups: readonly PrecisionGroup[];
}

export interface PrecisionReport extends PrecisionCounts {
  readonly by: PrecisionGrouping;
  readonly interval: PrecisionInterval;
  readonly groups: readonly PrecisionGroup[];
  /** Only periods with reviewed flags, oldest first. */
  readonly periods: readonly PrecisionPeriod[];
}

/** The report has weeks and months; a chart of days asks it for weeks. */
export const precisionInterval = (interval: StatisticsInterval): PrecisionInterval =>
  interval === "month" ? "month" : "week";

const dayMs = 86_400_000;

/**
 * Picked days (inclusive, YYYY-MM-DD) as the report's `from` (inclusive) and `to` (exclusive) timestamps; an
 * empty or impossible day leaves its end open.
 */
export function precisionRange(fromDay: string, toDay: string): { from?: string; to?: string } {
  const start = (day: string) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return Number.NaN;
    const ms = Date.parse(`${day}T00:00:00.000Z`);
    return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(day) ? ms : Number.NaN;
  };
  const from = start(fromDay);
  const to = start(toDay);
  return {
    ...(Number.isFinite(from) ? { from: new Date(from).toISOString() } : {}),
    ...(Number.isFinite(to) ? { to: new Date(to + dayMs).toISOString() } : {}),
  };
}

/** Precision per period as one line (a gap where nothing was decided), plus a line per group if asked. */
export function precisionTimeChart(
  report: PrecisionReport,
  options: { overallLabel: string; groups?: number },
): TimeChart {
  const periods = report.periods.filter((period) => Number.isFinite(periodStartMs(period.period)));
  const ranked = [...report.groups].sort((a, b) => b.reviewed - a.reviewed).slice(0, options.groups ?? 0);
  return {
    periods: periods.map((period) => period.period),
    xs: periods.map((period) => periodStartMs(period.period) / 1000),
    lines: [
      { key: "", label: options.overallLabel, values: periods.map((period) => period.precision) },
      ...ranked.map((group) => ({
        key: group.key,
        label: group.key,
        values: periods.map(
          (period) => period.groups.find((candidate) => candidate.key === group.key)?.precision ?? null,
        ),
      })),
    ],
  };
}

/** Groups with a precision, most reviewed first. */
export function precisionGroups(report: PrecisionReport, limit: number): PrecisionGroup[] {
  return report.groups
    .filter((group) => group.precision !== null)
    .sort((a, b) => b.reviewed - a.reviewed || a.key.localeCompare(b.key))
    .slice(0, Math.max(0, limit));
}

const countsCells = (counts: PrecisionCounts): CsvCell[] => [
  counts.reviewed,
  counts.illegalOffer,
  counts.legalOffer,
  counts.notWildlife,
  counts.unsure,
  counts.precision === null ? null : Number(counts.precision.toFixed(4)),
];

/** Every figure of the report: per period overall (key "all") and per group, then over the whole range. */
export function precisionCsvRows(report: PrecisionReport): { header: string[]; rows: CsvCell[][] } {
  const rows: CsvCell[][] = [];
  for (const period of report.periods) {
    rows.push([period.period, "all", ...countsCells(period)]);
    for (const group of period.groups) rows.push([period.period, group.key, ...countsCells(group)]);
  }
  rows.push(["total", "all", ...countsCells(report)]);
  for (const group of report.groups) rows.push(["total", group.key, ...countsCells(group)]);
  return {
    header: [
      report.interval,
      report.by,
      "reviewed",
      "illegal_offer",
      "legal_offer",
      "not_wildlife",
      "unsure",
      "precision",
    ],
    rows,
  };
}
