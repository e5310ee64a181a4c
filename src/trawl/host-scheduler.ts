import { CircuitOpenError, FetchAbortedError, HostPausedError, QueueFullError } from "./fetch-errors.ts";

/**
 * Politeness per host: a minimum spacing between request starts (requests per second, raised by robots.txt
 * crawl-delay and by Retry-After pauses), a cap on requests in flight, a bounded waiting line, a circuit breaker
 * that stops sending to a host after consecutive failures, and a slowdown when the host says it is rate limiting us
 * (AIMD: each 429 halves the host's rate, each success wins a little of it back).
 */
export interface HostSchedulerOptions {
  readonly requestsPerSecond: number;
  readonly maxConcurrentPerHost: number;
  readonly maxQueuedPerHost: number;
  /** Consecutive failed attempts (network errors, transient statuses) that open the breaker. */
  readonly breakerFailureThreshold: number;
  /** How long an open breaker refuses before letting one probe through. */
  readonly breakerOpenMs: number;
  /** A host paused for longer than this refuses at once (`host_paused`) rather than hold its callers (default ∞). */
  readonly maxPauseWaitMs?: number;
  /** A monotonic clock in ms (default `performance.now`): spacing must not jump with the wall clock. */
  readonly now?: () => number;
}

export type SlotOutcome = "success" | "failure" | "neutral";

/** Permission to send one request. Release it exactly once, saying how the attempt went. */
export interface HostSlot {
  release(outcome: SlotOutcome): void;
}

interface Waiter {
  readonly resolve: (slot: HostSlot) => void;
  readonly reject: (error: Error) => void;
  readonly url: string;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

interface HostState {
  active: number;
  readonly queue: Waiter[];
  nextStartAtMs: number;
  pausedUntilMs: number;
  minIntervalMs: number;
  consecutiveFailures: number;
  openUntilMs: number | undefined;
  probing: boolean;
  timer: NodeJS.Timeout | undefined;
  /**
   * The share of the configured rate the host gets, in [minRateFactor, 1]: its concurrency cap is multiplied by it
   * and its spacing divided by it, so it slows a host bounded by either.
   */
  rateFactor: number;
}

const pruneThreshold = 10_000;
/**
 * Three halvings (to an eighth of the configured rate) before a fourth 429 in a row stops the host for its
 * Retry-After: a host still rate limiting us at an eighth of our rate wants a pause, not less traffic.
 */
const minRateFactor = 1 / 8;

export class HostScheduler {
  readonly #options: HostSchedulerOptions;
  readonly #now: () => number;
  readonly #hosts = new Map<string, HostState>();

  constructor(options: HostSchedulerOptions) {
    if (!(options.requestsPerSecond > 0)) throw new RangeError("requestsPerSecond must be positive");
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Raises the spacing for a host above the configured rate (robots.txt crawl-delay). */
  setMinIntervalMs(host: string, intervalMs: number) {
    this.#state(host).minIntervalMs = intervalMs;
  }

  /** Sends nothing more to the host for `durationMs` (a Retry-After). */
  pauseFor(host: string, durationMs: number) {
    const state = this.#state(host);
    const now = this.#now();
    state.pausedUntilMs = Math.max(state.pausedUntilMs, now + durationMs);
    const pausedForMs = state.pausedUntilMs - now;
    if (pausedForMs <= (this.#options.maxPauseWaitMs ?? Infinity)) return;
    // Those already in line would otherwise wait out the whole pause.
    for (const waiter of state.queue.splice(0)) {
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.reject(new HostPausedError(waiter.url, host, pausedForMs));
    }
  }

  /**
   * The host answered 429 (a Retry-After short enough to be about that request, or none): halve its rate, or, when
   * it is already at its slowest, pause it for `retryAfterMs` as a 503 would. Says which it did.
   */
  rateLimited(host: string, retryAfterMs: number): "slowed" | "paused" {
    const state = this.#state(host);
    if (state.rateFactor <= minRateFactor) {
      this.pauseFor(host, retryAfterMs);
      return "paused";
    }
    state.rateFactor = Math.max(minRateFactor, state.rateFactor / 2);
    return "slowed";
  }

  /** Fails fast when the host's breaker is open; otherwise waits in the host's line for a slot. */
  acquire(host: string, url: string, signal?: AbortSignal): Promise<HostSlot> {
    const state = this.#state(host);
    if (signal?.aborted) return Promise.reject(new FetchAbortedError("aborted", url, "fetch aborted"));
    const refusal = this.#breakerRefusal(state, host, url, false);
    if (refusal) return Promise.reject(refusal);
    const pausedForMs = state.pausedUntilMs - this.#now();
    if (pausedForMs > (this.#options.maxPauseWaitMs ?? Infinity)) {
      return Promise.reject(new HostPausedError(url, host, pausedForMs));
    }
    if (state.queue.length >= this.#options.maxQueuedPerHost) {
      return Promise.reject(
        new QueueFullError("queue_full", url, `${state.queue.length} requests already wait for ${host}`),
      );
    }
    return new Promise<HostSlot>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        url,
        signal,
        onAbort: () => {
          const index = state.queue.indexOf(waiter);
          if (index >= 0) state.queue.splice(index, 1);
          reject(new FetchAbortedError("aborted", url, "fetch aborted while waiting for its host"));
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      state.queue.push(waiter);
      this.#pump(host, state);
    });
  }

  /** For tests and progress displays. */
  stats(host: string) {
    const state = this.#hosts.get(host);
    return {
      active: state?.active ?? 0,
      queued: state?.queue.length ?? 0,
      consecutiveFailures: state?.consecutiveFailures ?? 0,
      breakerOpen: state?.openUntilMs !== undefined,
      /** Requests the host may have in flight now: the configured cap, lowered while it rate limits us. */
      concurrencyLimit: state ? this.#concurrencyLimit(state) : this.#options.maxConcurrentPerHost,
    };
  }

  #state(host: string): HostState {
    let state = this.#hosts.get(host);
    if (!state) {
      if (this.#hosts.size >= pruneThreshold) this.#pruneIdle();
      state = {
        active: 0,
        queue: [],
        nextStartAtMs: -Infinity,
        pausedUntilMs: -Infinity,
        minIntervalMs: 0,
        consecutiveFailures: 0,
        openUntilMs: undefined,
        probing: false,
        timer: undefined,
        rateFactor: 1,
      };
      this.#hosts.set(host, state);
    }
    return state;
  }

  /** Forgets hosts that hold no information any more: idle, healthy, and past every spacing and pause. */
  #pruneIdle() {
    const now = this.#now();
    for (const [host, state] of this.#hosts) {
      if (
        state.active === 0 &&
        state.queue.length === 0 &&
        state.consecutiveFailures === 0 &&
        state.openUntilMs === undefined &&
        state.nextStartAtMs <= now &&
        state.pausedUntilMs <= now &&
        state.minIntervalMs === 0 &&
        state.rateFactor === 1
      ) {
        this.#hosts.delete(host);
      }
    }
  }

  #breakerRefusal(
    state: HostState,
    host: string,
    url: string,
    claimProbe: boolean,
  ): CircuitOpenError | undefined {
    if (state.openUntilMs === undefined) return undefined;
    const now = this.#now();
    if (now < state.openUntilMs) return new CircuitOpenError(url, host, state.openUntilMs - now);
    // Half-open: one probe at a time decides whether the host is back.
    if (state.probing) return new CircuitOpenError(url, host, this.#options.breakerOpenMs);
    if (claimProbe) state.probing = true;
    return undefined;
  }

  #concurrencyLimit(state: HostState): number {
    return Math.max(1, Math.floor(this.#options.maxConcurrentPerHost * state.rateFactor));
  }

  #pump(host: string, state: HostState) {
    if (state.timer) return;
    while (state.queue.length > 0 && state.active < this.#concurrencyLimit(state)) {
      const now = this.#now();
      const startAt = Math.max(state.nextStartAtMs, state.pausedUntilMs);
      if (now < startAt) {
        state.timer = setTimeout(() => {
          state.timer = undefined;
          this.#pump(host, state);
        }, startAt - now);
        return;
      }
      const waiter = state.queue.shift() as Waiter;
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      const refusal = this.#breakerRefusal(state, host, waiter.url, true);
      if (refusal) {
        waiter.reject(refusal);
        continue;
      }
      const wasProbe = state.probing;
      const intervalMs =
        Math.max(1000 / this.#options.requestsPerSecond, state.minIntervalMs) / state.rateFactor;
      state.nextStartAtMs = now + intervalMs;
      state.active++;
      let released = false;
      waiter.resolve({
        release: (outcome) => {
          if (released) return;
          released = true;
          state.active--;
          this.#record(state, outcome, wasProbe);
          this.#pump(host, state);
        },
      });
    }
  }

  #record(state: HostState, outcome: SlotOutcome, wasProbe: boolean) {
    if (wasProbe) state.probing = false;
    if (outcome === "success") {
      state.consecutiveFailures = 0;
      state.openUntilMs = undefined;
      if (state.rateFactor < 1) {
        // Additive increase, as TCP's one segment per round trip: an eighth of the rate back per window of
        // successes, so a host halved once is at full rate again after a few dozen good answers.
        const window = Math.max(1, this.#options.maxConcurrentPerHost * state.rateFactor);
        state.rateFactor = Math.min(1, state.rateFactor + minRateFactor / window);
      }
    } else if (outcome === "failure") {
      state.consecutiveFailures++;
      if (wasProbe || state.consecutiveFailures >= this.#options.breakerFailureThreshold) {
        state.openUntilMs = this.#now() + this.#options.breakerOpenMs;
      }
    }
  }
}
