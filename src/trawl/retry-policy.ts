/** When to try again and how long to wait. Pure: the clock and the random source come in as arguments. */

/** Statuses worth another attempt: timeouts, rate limits and the server-side failures that pass (RELIABILITY R3). */
export const transientStatuses: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504, 522, 524]);

export interface BackoffOptions {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so attempts never bunch at zero
 * yet clients that failed together spread out. `attempt` is the number of attempts already made (1 after the first).
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (step / 2) * random());
}

/**
 * `Retry-After` as milliseconds from `nowMs`: either delay-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Unparseable values are ignored rather than trusted.
 */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const dateMs = Date.parse(text);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}
