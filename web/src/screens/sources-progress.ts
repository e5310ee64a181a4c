/**
 * What the sources screen shows of a trawl run: its figures read safely from the run's free-form stats, and
 * which run of a source to follow. Free of React and the DOM so that node can test it.
 */

export const trawlRunStates = ["running", "finished", "failed", "cancelled"] as const;
export type TrawlRunState = (typeof trawlRunStates)[number];

export interface Source {
  readonly id: number;
  readonly slug: string;
  readonly name: string;
  readonly platform: string | null;
  readonly baseUrl: string | null;
}

export interface TrawlRun {
  readonly id: number;
  readonly sourceId: number;
  readonly state: TrawlRunState;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  /** Written by the trawler (pages, listings, offersFlagged, …); its shape is the trawler's. */
  readonly stats: Readonly<Record<string, unknown>>;
  readonly error: string | null;
}

export interface FrontierCounts {
  readonly pending: number;
  readonly leased: number;
  readonly done: number;
  readonly failed: number;
}

/** A page of the visit that failed for good; the trawler may not know every field. */
export interface RunError {
  readonly url: string | null;
  readonly code: string | null;
  readonly message: string | null;
  readonly at: string;
}

/** GET /v1/trawl-runs/:id */
export interface TrawlRunDetail {
  readonly run: TrawlRun;
  readonly progress: FrontierCounts;
  readonly recentErrors: readonly RunError[];
}

/** How often a live run is asked for its progress. */
export const progressPollMs = 2_000;

export const isLive = (run: Pick<TrawlRun, "state">): boolean => run.state === "running";

/** A whole, non-negative number from the run's stats, or null if it has none. */
export function statCount(stats: Readonly<Record<string, unknown>>, name: string): number | null {
  const value = stats[name];
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.floor(value) : null;
}

export interface RunFigures {
  /** Pages waiting, counting those a worker holds. */
  readonly pending: number;
  readonly done: number;
  readonly failed: number;
  /** Share of known pages that are finished (done or failed), 0 to 1. */
  readonly finishedShare: number;
  readonly listings: number | null;
  readonly flagged: number | null;
}

export function runFigures(detail: TrawlRunDetail): RunFigures {
  const { pending, leased, done, failed } = detail.progress;
  const waiting = pending + leased;
  const total = waiting + done + failed;
  return {
    pending: waiting,
    done,
    failed,
    finishedShare: total > 0 ? (done + failed) / total : 0,
    listings: statCount(detail.run.stats, "listings"),
    flagged: statCount(detail.run.stats, "offersFlagged"),
  };
}

/** The run to follow: the live one if any, else the latest started. */
export function runToFollow(runs: readonly TrawlRun[]): TrawlRun | null {
  let chosen: TrawlRun | null = null;
  for (const run of runs) {
    if (chosen === null) chosen = run;
    else if (isLive(run) !== isLive(chosen)) chosen = isLive(run) ? run : chosen;
    else if (Date.parse(run.startedAt) > Date.parse(chosen.startedAt)) chosen = run;
  }
  return chosen;
}
