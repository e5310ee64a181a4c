import type { RateLimitRepository } from "../storage/store.ts";

/**
 * Per-key request counts shared by every API process (RELIABILITY H7) without a database write per request.
 *
 * Each process counts its own requests in memory at once, and every `flushIntervalMs` adds what it counted to the
 * key's row for the window (one statement for all keys hit since the last flush) and reads back the total from
 * every process. A request is allowed while `shared total last read + counted here since` is within the limit, so
 * a process misses only what the others accepted since its last read: in a window, all processes together accept
 * at most `max` + what the other processes accept for that key in about two flush intervals (theirs to write it,
 * ours to read it back), e.g. at 200 ms and 1,200 requests a minute, a few requests. Windows are fixed
 * (`floor(now / windowMs)`), the same for every process.
 *
 * If the database cannot be reached, counts stay local (each process still limits on its own) and are added at the
 * next flush that works.
 */

export interface RateLimitCounterOptions {
  readonly rateLimits: RateLimitRepository;
  readonly clock: () => Date;
  readonly windowMs: number;
  /** How often counts are shared; 0 only when `flush()` is called (tests). */
  readonly flushIntervalMs: number;
  /** A flush that failed (the counts are kept and sent with the next one). */
  readonly onError?: (error: unknown) => void;
}

export interface RateLimitCounter {
  /** Counts one request for `key`: the requests of its window so far, from every process as last seen, and the
   * time left in the window. Synchronous: no I/O on the request's path. */
  hit(key: string): { current: number; ttlMs: number };
  /** Shares the counts now (the timer does this every `flushIntervalMs`). */
  flush(): Promise<void>;
  /** Stops the timer and shares what is left. */
  close(): Promise<void>;
}

interface KeyState {
  windowStartedAt: number;
  /** The total from every process when last read (including this process's counts sent by then). */
  shared: number;
  /** Counted here and not yet sent. */
  pending: number;
  /** Sent in the flush under way, not yet in `shared`. */
  sending: number;
}

/** Rows of ended windows deleted per window and process: a bounded, cheap statement. */
const pruneBatch = 500;

export function createRateLimitCounter(options: RateLimitCounterOptions): RateLimitCounter {
  const { rateLimits, clock, windowMs } = options;
  const keys = new Map<string, KeyState>();
  /** Keys hit since the last flush: only these are sent and read back. */
  let touched = new Set<string>();
  let flushing: Promise<void> | null = null;
  let prunedWindow = -1;
  let closed = false;

  const windowOf = (now: number) => Math.floor(now / windowMs) * windowMs;

  const flushNow = async (): Promise<void> => {
    const now = clock().getTime();
    const window = windowOf(now);
    const batch = [...touched];
    touched = new Set();
    const sent: { key: string; state: KeyState; windowStartedAt: number; hits: number }[] = [];
    for (const key of batch) {
      const state = keys.get(key);
      if (state === undefined) continue;
      sent.push({ key, state, windowStartedAt: state.windowStartedAt, hits: state.pending });
      state.sending += state.pending;
      state.pending = 0;
    }
    // Keys idle for a whole window are forgotten: memory follows the keys in use.
    for (const [key, state] of keys)
      if (state.windowStartedAt < window && state.pending === 0 && state.sending === 0) keys.delete(key);
    try {
      if (sent.length > 0) {
        const totals = await rateLimits.add(
          sent.map(({ key, windowStartedAt, hits }) => ({
            key,
            windowStartedAt: new Date(windowStartedAt),
            hits,
          })),
        );
        totals.forEach((total, index) => {
          const { state, windowStartedAt, hits } = sent[index]!;
          state.sending -= hits;
          // The state has moved on to a newer window meanwhile: what was read belongs to an ended one.
          if (
            state.windowStartedAt === windowStartedAt &&
            total.windowStartedAt.getTime() === windowStartedAt
          )
            state.shared = total.hits;
        });
      }
      if (prunedWindow !== window) {
        prunedWindow = window;
        await rateLimits.prune(new Date(window), pruneBatch);
      }
    } catch (error) {
      // Kept, and sent with the next flush: an outage loses no counts.
      for (const { key, state, hits } of sent) {
        state.sending -= hits;
        // Unless its window has ended meanwhile (a new state replaced it): those counts no longer matter.
        if (keys.get(key) === state) {
          state.pending += hits;
          touched.add(key);
        }
      }
      options.onError?.(error);
    }
  };

  const flush = (): Promise<void> => {
    // One flush at a time: a second caller waits for the one under way, then sends what came since.
    const run = (flushing ?? Promise.resolve()).then(flushNow).finally(() => {
      if (flushing === run) flushing = null;
    });
    flushing = run;
    return run;
  };

  const timer =
    options.flushIntervalMs > 0
      ? setInterval(() => {
          if (flushing === null && touched.size > 0) void flush();
        }, options.flushIntervalMs)
      : null;
  // Never what keeps a process alive.
  timer?.unref();

  return {
    hit(key) {
      const now = clock().getTime();
      const window = windowOf(now);
      let state = keys.get(key);
      if (state === undefined || state.windowStartedAt < window) {
        // Counts still being sent for the ended window stay with it; the new window starts from nothing.
        state = { windowStartedAt: window, shared: 0, pending: 0, sending: 0 };
        keys.set(key, state);
      }
      state.pending += 1;
      touched.add(key);
      return { current: state.shared + state.sending + state.pending, ttlMs: window + windowMs - now };
    },
    flush,
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      await flush();
    },
  };
}
