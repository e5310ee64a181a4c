/**
 * How takedown notices fare, per platform and over time: notices sent, how many led to removal, how long removal
 * took (sent → removed), and how often a removed advert came back. Pure: the service reads the history from the
 * store and passes it in.
 *
 * Percentiles are nearest-rank: the p-th percentile of n sorted values is the value at rank ⌈p/100 · n⌉ (1-based),
 * always one of the values. The median is the 50th percentile by the same rule, so with an even count it is the
 * lower of the two middle values. Removal times 1, 2, 3, 4, 10 days: median 3 (rank 3), p90 10 (rank ⌈4.5⌉ = 5).
 */

export const reportIntervals = ["week", "month", "all"] as const;
export type ReportInterval = (typeof reportIntervals)[number];

/** One notice's history, reduced to what the measures need. */
export interface NoticeOutcome {
  readonly platform: string;
  /** When it was first sent (by e-mail, or by hand); null if never sent. */
  readonly sentAt: Date | null;
  /** When the advert was seen removed after the notice; null if not (yet). */
  readonly removedAt: Date | null;
  /** Whether the removed advert was re-listed; null when that is not measured. */
  readonly relisted: boolean | null;
}

export interface TakedownMeasure {
  /** A platform slug, or "all" for every platform together. */
  readonly platform: string;
  /** "2026-W14" (ISO week, UTC), "2026-04", or "all": when the notices were sent. */
  readonly period: string;
  readonly noticesSent: number;
  readonly removed: number;
  /** removed / noticesSent, or null with nothing sent. */
  readonly removalRate: number | null;
  readonly medianDaysToRemoval: number | null;
  readonly p90DaysToRemoval: number | null;
  /** Removed adverts that came back; null when re-listing is not measured. */
  readonly relisted: number | null;
  /** relisted / removed, or null when not measured or nothing was removed. */
  readonly relistingRate: number | null;
}

const dayMs = 86_400_000;

/** Nearest-rank percentile of `values` (any order); null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p}: expected more than 0 and at most 100`);
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
}

export function periodOf(at: Date, interval: ReportInterval): string {
  if (interval === "all") return "all";
  if (interval === "month") return at.toISOString().slice(0, 7);
  // ISO 8601 week: the week with the year's first Thursday is week 1; weeks start on Monday.
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / dayMs + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

const round = (value: number | null, digits: number) =>
  value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits;

function measure(platform: string, period: string, outcomes: readonly NoticeOutcome[]): TakedownMeasure {
  const removedOutcomes = outcomes.filter((o) => o.removedAt !== null);
  const days = removedOutcomes.map((o) => (o.removedAt!.getTime() - o.sentAt!.getTime()) / dayMs);
  const relistingKnown = removedOutcomes.every((o) => o.relisted !== null);
  const relisted = relistingKnown ? removedOutcomes.filter((o) => o.relisted === true).length : null;
  return {
    platform,
    period,
    noticesSent: outcomes.length,
    removed: removedOutcomes.length,
    removalRate: outcomes.length === 0 ? null : round(removedOutcomes.length / outcomes.length, 4),
    medianDaysToRemoval: round(percentile(days, 50), 2),
    p90DaysToRemoval: round(percentile(days, 90), 2),
    relisted,
    relistingRate:
      relisted === null || removedOutcomes.length === 0 ? null : round(relisted / removedOutcomes.length, 4),
  };
}

/**
 * The measures of every platform in every period, then of all platforms together, periods in order. Notices never
 * sent are not counted; a notice belongs to the period it was sent in, whenever its advert was removed.
 */
export function measureTakedowns(
  outcomes: readonly NoticeOutcome[],
  interval: ReportInterval,
): TakedownMeasure[] {
  const sent = outcomes.filter((o) => o.sentAt !== null);
  const groups = new Map<string, { platform: string; period: string; outcomes: NoticeOutcome[] }>();
  const add = (platform: string, period: string, outcome: NoticeOutcome) => {
    const key = `${platform}\u0000${period}`;
    const group = groups.get(key) ?? { platform, period, outcomes: [] };
    group.outcomes.push(outcome);
    groups.set(key, group);
  };
  for (const outcome of sent) {
    const period = periodOf(outcome.sentAt!, interval);
    add(outcome.platform, period, outcome);
    add("all", period, outcome);
  }
  return [...groups.values()]
    .sort(
      (a, b) =>
        Number(a.platform === "all") - Number(b.platform === "all") ||
        a.platform.localeCompare(b.platform) ||
        a.period.localeCompare(b.period),
    )
    .map((group) => measure(group.platform, group.period, group.outcomes));
}
