import type { ApiRequest } from "../api.ts";

export const reviewFilterNames = ["source", "taxon", "language", "country", "assignee"] as const;
export type ReviewFilters = Partial<Record<(typeof reviewFilterNames)[number], string>>;
export const reviewPageSize = 50;

/** The queue's filters as the page's query string gives them. */
export function reviewFilters(search: URLSearchParams): ReviewFilters {
  const filters: ReviewFilters = {};
  for (const name of reviewFilterNames) {
    const value = search.get(name);
    if (value) filters[name] = value;
  }
  return filters;
}

/**
 * The GET of one page of the review queue: made by the screen, and prefetched for the first page when the
 * dashboard opens on it (the same URL, so the screen takes the prefetched answer).
 */
export function reviewQueueRequest(filters: ReviewFilters, cursor: string | null): ApiRequest {
  return { path: "/review-queue", query: { ...filters, limit: reviewPageSize, cursor } };
}
