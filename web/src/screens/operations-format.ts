/**
 * Formatting shared by the operations screens (sources, takedowns, statistics), in the user's language. Free of
 * React and the DOM so that node can test it.
 */
import { numberFormat } from "../format.ts";

export function formatCount(language: string, value: number | null | undefined, fallback = "—"): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? fallback
    : numberFormat(language).format(value);
}

/** A share from 0 to 1 as a percentage, or `fallback` when there is none (NaN). */
export function formatShare(language: string, share: number, fallback = "—"): string {
  return Number.isFinite(share)
    ? numberFormat(language, { style: "percent", maximumFractionDigits: 1 }).format(share)
    : fallback;
}

const units = [
  { unit: "day", ms: 86_400_000 },
  { unit: "hour", ms: 3_600_000 },
  { unit: "minute", ms: 60_000 },
] as const;

/** A duration in its largest whole unit of days, hours or minutes ("2.5 days", "3 h"), or `fallback`. */
export function formatDuration(language: string, ms: number, fallback = "—"): string {
  if (!Number.isFinite(ms) || ms < 0) return fallback;
  const { unit, ms: size } = units.find((candidate) => ms >= candidate.ms) ?? units[units.length - 1]!;
  return numberFormat(language, {
    style: "unit",
    unit,
    unitDisplay: "long",
    maximumFractionDigits: 1,
  }).format(ms / size);
}
