import type { ApiRequest } from "../api.ts";
import { precisionInterval, precisionRange, type PrecisionGrouping } from "./statistics-precision.ts";
import { reportInterval } from "./statistics-removals.ts";
import { dateRange, type OfferDimension, type StatisticsInterval } from "./statistics-series.ts";

/** Lines of their own in the time chart; the rest are summed into "other". */
export const maxChartLines = 8;

/** What the user has chosen on the statistics screen. */
export interface StatisticsChoice {
  readonly by: OfferDimension;
  readonly interval: StatisticsInterval;
  /** Days as typed, YYYY-MM-DD or empty. */
  readonly from: string;
  readonly to: string;
  readonly precisionBy: PrecisionGrouping;
}

export const initialStatisticsChoice: StatisticsChoice = {
  by: "taxon",
  interval: "month",
  from: "",
  to: "",
  precisionBy: "source",
};

/**
 * The four GETs behind the statistics screen for a choice: made by the screen, and prefetched with the initial
 * choice when the dashboard opens on it (the same URLs, so the screen takes the prefetched answers).
 */
export function statisticsRequests(choice: StatisticsChoice) {
  return {
    offers: {
      path: "/statistics/offers",
      query: {
        by: choice.by,
        interval: choice.interval,
        limit: maxChartLines,
        ...dateRange(choice.from, choice.to),
      },
    },
    removalsOverTime: {
      path: "/reports/takedowns",
      query: { format: "json", interval: reportInterval(choice.interval) },
    },
    removalsOverall: { path: "/reports/takedowns", query: { format: "json", interval: "all" } },
    precision: {
      path: "/reports/precision",
      query: {
        by: choice.precisionBy,
        interval: precisionInterval(choice.interval),
        ...precisionRange(choice.from, choice.to),
      },
    },
  } satisfies Record<string, ApiRequest>;
}
