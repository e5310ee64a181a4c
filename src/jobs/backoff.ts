/** How long a failed job waits before its next attempt. */
export interface RetryPolicy {
  /** The wait after the first failure; each further failure doubles it. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { baseDelayMs: 1000, maxDelayMs: 15 * 60_000 };

/**
 * Exponential backoff with "equal jitter": half the exponential delay is fixed, half is random. The fixed half
 * keeps a failing job from hammering what it depends on; the random half spreads out jobs that failed together
 * (a site went down) so they do not all come back at the same instant.
 */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
