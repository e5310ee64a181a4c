import type { ReviewedDetection, ReviewVerdict } from "../storage/records.ts";

/**
 * Flag precision: of the flags people reviewed, the share that were offers of wildlife (illegal or legal). `unsure`
 * verdicts are left out of the share and counted. A listing counts once, with its latest verdict, against the
 * detection that verdict judged; a verdict on a listing that was not flagged is counted apart (`notFlagged`).
 */

export const precisionGroupings = ["verdict", "source", "taxon", "language", "detector"] as const;
export type PrecisionGrouping = (typeof precisionGroupings)[number];

export const precisionIntervals = ["week", "month"] as const;
export type PrecisionInterval = (typeof precisionIntervals)[number];

export interface PrecisionCounts {
  /** Flags reviewed, unsure included. */
  readonly reviewed: number;
  readonly illegalOffer: number;
  readonly legalOffer: number;
  readonly notWildlife: number;
  readonly unsure: number;
  /** (illegalOffer + legalOffer) / (reviewed − unsure); null when every verdict was unsure or none was given. */
  readonly precision: number | null;
}

export interface PrecisionGroup extends PrecisionCounts {
  readonly key: string;
}

export interface PrecisionPeriod extends PrecisionCounts {
  /** "2026-W10" or "2026-03". */
  readonly period: string;
  /** The period's first instant (weeks start on Monday, UTC). */
  readonly start: Date;
  readonly groups: readonly PrecisionGroup[];
}

export interface FlagPrecisionReport extends PrecisionCounts {
  readonly by: PrecisionGrouping;
  readonly interval: PrecisionInterval;
  /** A detection is a flag when its verdict is "offer" or its score is at least this. */
  readonly flagScore: number;
  /** Verdicts on listings whose judged detection was not a flag (or is unknown): not in any share. */
  readonly notFlagged: number;
  readonly groups: readonly PrecisionGroup[];
  /** Only periods with reviewed flags, oldest first, by when the verdict was given. */
  readonly periods: readonly PrecisionPeriod[];
}

/** What a group is called when the listing does not say (no language, no taxon). */
export const unknownKey = "unknown";

const counterOf: Readonly<Record<ReviewVerdict, "illegalOffer" | "legalOffer" | "notWildlife" | "unsure">> = {
  illegal_offer: "illegalOffer",
  legal_offer: "legalOffer",
  not_wildlife: "notWildlife",
  unsure: "unsure",
};

type MutableCounts = { -readonly [K in keyof Omit<PrecisionCounts, "precision">]: number };

const emptyCounts = (): MutableCounts => ({
  reviewed: 0,
  illegalOffer: 0,
  legalOffer: 0,
  notWildlife: 0,
  unsure: 0,
});

function finish(counts: MutableCounts): PrecisionCounts {
  const decided = counts.reviewed - counts.unsure;
  return { ...counts, precision: decided === 0 ? null : (counts.illegalOffer + counts.legalOffer) / decided };
}

/** The keys a reviewed flag is counted under: a flag naming several taxa counts once under each. */
function keysOf(row: ReviewedDetection, by: PrecisionGrouping): string[] {
  const detection = row.detection!;
  switch (by) {
    case "verdict":
      return [detection.verdict];
    case "source":
      return [row.source];
    case "language":
      return [row.language ?? unknownKey];
    case "detector":
      return [detection.detectorVersion];
    case "taxon": {
      const names = [...new Set(detection.taxa.map((taxon) => taxon.scientificName))];
      return names.length === 0 ? [unknownKey] : names;
    }
  }
}

/** The period an instant falls in, in UTC. */
export function periodOf(at: Date, interval: PrecisionInterval): { period: string; start: Date } {
  const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  if (interval === "month") {
    const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
    return { period: start.toISOString().slice(0, 7), start };
  }
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const start = new Date(day - weekday * 86_400_000);
  // ISO 8601: a week belongs to the year of its Thursday, and week 1 holds the year's first Thursday.
  const thursday = new Date(start.getTime() + 3 * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return { period: `${year}-W${String(week).padStart(2, "0")}`, start };
}

class Tally {
  readonly total = emptyCounts();
  readonly #groups = new Map<string, MutableCounts>();

  add(verdict: ReviewVerdict, keys: readonly string[]) {
    count(this.total, verdict);
    for (const key of keys) {
      let group = this.#groups.get(key);
      if (group === undefined) this.#groups.set(key, (group = emptyCounts()));
      count(group, verdict);
    }
  }

  /** Most reviewed first, then by key, so the report reads the same every time. */
  groups(): PrecisionGroup[] {
    return [...this.#groups]
      .map(([key, counts]) => ({ key, ...finish(counts) }))
      .sort((a, b) => b.reviewed - a.reviewed || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

function count(counts: MutableCounts, verdict: ReviewVerdict) {
  counts.reviewed++;
  counts[counterOf[verdict]]++;
}

export function flagPrecision(
  rows: readonly ReviewedDetection[],
  options: { by: PrecisionGrouping; interval: PrecisionInterval; flagScore: number },
): FlagPrecisionReport {
  const overall = new Tally();
  const periods = new Map<string, { start: Date; tally: Tally }>();
  let notFlagged = 0;
  for (const row of rows) {
    const detection = row.detection;
    if (detection === null || !(detection.verdict === "offer" || detection.score >= options.flagScore)) {
      notFlagged++;
      continue;
    }
    const keys = keysOf(row, options.by);
    overall.add(row.verdict, keys);
    const { period, start } = periodOf(row.reviewedAt, options.interval);
    let entry = periods.get(period);
    if (entry === undefined) periods.set(period, (entry = { start, tally: new Tally() }));
    entry.tally.add(row.verdict, keys);
  }
  return {
    by: options.by,
    interval: options.interval,
    flagScore: options.flagScore,
    ...finish(overall.total),
    notFlagged,
    groups: overall.groups(),
    periods: [...periods]
      .sort(([, a], [, b]) => a.start.getTime() - b.start.getTime())
      .map(([period, { start, tally }]) => ({
        period,
        start,
        ...finish(tally.total),
        groups: tally.groups(),
      })),
  };
}
