import type { JsonValue, NewJob } from "../storage/records.ts";
import { normalizeUrl } from "./url-normalize.ts";

/**
 * The frontier lives in the job queue: one queue per source and visit ("generation"), so the counts of a queue are
 * the state of one visit, and a URL's dedupe key is unique within it. A visit of a source is generation 1, 2, 3…;
 * a revisit is the next generation, whose queue starts empty, so every URL can be fetched again.
 */

/** Why a URL is in the frontier; it orders the work. */
export type FrontierKind = "seed" | "search" | "page" | "listing" | "revisit";

export interface FrontierPayload {
  readonly url: string;
  readonly kind: FrontierKind;
  /** For a revisit: the listing the URL showed last time, so a page that says it is gone marks that listing. */
  readonly listingId?: number;
}

/**
 * Discovery first: an index page is claimed before any listing, so the next page of a category is fetched while its
 * listings are, and the workers never run dry waiting for it behind a category's adverts (with listings first, a
 * site was crawled in waves, one per page of pagination, each ending with idle workers). The frontier this grows
 * lives in the database, a row per URL. Revisits before new listings: whether a known advert is gone comes first.
 */
const priorities: Readonly<Record<FrontierKind, number>> = {
  seed: 4,
  page: 4,
  search: 3,
  revisit: 2,
  listing: 1,
};

/**
 * Claims of a URL over the whole visit. A claim ends by a fetch error or by the trawl dying with the page in
 * flight; only the first are the page's fault, and a trawl killed again and again must not dead-letter the pages it
 * happened to hold (R6). So the queue allows many claims, and a temporary fetch error gives up (fails the job with
 * its code) once the URL has had `frontierFetchAttempts` claims. The fetcher retries within each claim too (R3).
 */
export const frontierMaxAttempts = 20;
export const frontierFetchAttempts = 3;

export function frontierQueue(sourceId: number, generation: number): string {
  return `trawl.${sourceId}.${generation}`;
}

/** The queue of one marker job per generation: its dedupe key makes starting a visit idempotent. */
export function generationQueue(sourceId: number): string {
  return `trawl-visits.${sourceId}`;
}

export function parseFrontierQueue(queue: string): { sourceId: number; generation: number } | undefined {
  const match = /^trawl\.(\d+)\.(\d+)$/.exec(queue);
  return match ? { sourceId: Number(match[1]), generation: Number(match[2]) } : undefined;
}

/** The job for a URL, or undefined for a URL that cannot be parsed (a page's link may be anything). */
export function frontierJob(
  sourceId: number,
  generation: number,
  payload: FrontierPayload,
): NewJob | undefined {
  let key: string;
  try {
    // Links arrive normalised with the source's own ignored parameters; seeds and revisits are normalised here.
    key = normalizeUrl(payload.url);
  } catch {
    return undefined;
  }
  const body: { [key: string]: JsonValue } = { url: payload.url, kind: payload.kind };
  if (payload.listingId !== undefined) body["listingId"] = payload.listingId;
  return {
    queue: frontierQueue(sourceId, generation),
    payload: body,
    priority: priorities[payload.kind],
    // The generation is in the queue name too; keeping it in the key says what the key means on its own.
    dedupeKey: `${generation} ${key}`,
    maxAttempts: frontierMaxAttempts,
  };
}

export function parseFrontierPayload(payload: JsonValue): FrontierPayload | undefined {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) return undefined;
  const { url, kind, listingId } = payload;
  if (typeof url !== "string" || typeof kind !== "string" || !(kind in priorities)) return undefined;
  return {
    url,
    kind: kind as FrontierKind,
    ...(typeof listingId === "number" ? { listingId } : {}),
  };
}
