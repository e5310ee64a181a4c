import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { UsageError, WildtrawlError } from "../core/errors.ts";
import type { ClaimedJob, JobFailure } from "../storage/records.ts";
import { LeaseLostError } from "../storage/storage-errors.ts";
import type { Store, StoreRepositories } from "../storage/store.ts";
import { defaultRetryPolicy, retryDelayMs, type RetryPolicy } from "./backoff.ts";

export interface JobContext {
  /** Aborted when the worker gives the job up: its lease was lost, or shutdown ran out of time. */
  readonly signal: AbortSignal;
  /**
   * Writes the job's results and marks the job done in one transaction, so the results are applied exactly once
   * even if the worker dies at any instant. If the lease was lost meanwhile, nothing is written and this throws
   * `LeaseLostError`. Without it the worker marks the job done after the handler returns, which is only as safe
   * as the handler's own writes are idempotent.
   */
  commit(writes: (tx: StoreRepositories) => Promise<void>): Promise<void>;
}

export type JobHandler = (job: ClaimedJob, context: JobContext) => Promise<void>;

export type WorkerEvent =
  | { readonly type: "started"; readonly workerId: string }
  | { readonly type: "job_done"; readonly job: ClaimedJob }
  | {
      readonly type: "job_failed";
      readonly job: ClaimedJob;
      readonly state: "pending" | "failed";
      readonly failure: JobFailure;
    }
  | { readonly type: "lease_lost"; readonly job: ClaimedJob }
  | { readonly type: "released"; readonly job: ClaimedJob }
  | { readonly type: "storage_unavailable"; readonly error: unknown; readonly retryInMs: number }
  | { readonly type: "draining"; readonly inFlight: number }
  | { readonly type: "stopped"; readonly summary: WorkerSummary };

export interface WorkerSummary {
  readonly done: number;
  readonly retried: number;
  readonly failed: number;
  readonly leaseLost: number;
  readonly released: number;
}

export interface WorkerOptions {
  readonly store: Store;
  /** One handler per queue; the worker claims from these queues only. */
  readonly handlers: Readonly<Record<string, JobHandler>>;
  /** Abort to stop: no new claims, in-flight jobs get `shutdownGraceMs` to finish, then are released. */
  readonly signal: AbortSignal;
  readonly workerId?: string;
  /** Jobs run at once by this worker. */
  readonly concurrency?: number;
  /** How long a claim holds a job; the worker renews it every third of that while the job runs. */
  readonly leaseMs?: number;
  /** How long to wait before looking again when no job is ready. */
  readonly pollIntervalMs?: number;
  /** How often to return expired leases (of workers that died) to the queue. */
  readonly reclaimIntervalMs?: number;
  readonly shutdownGraceMs?: number;
  readonly retry?: RetryPolicy;
  readonly random?: () => number;
  readonly onEvent?: (event: WorkerEvent) => void;
}

export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

/** Bad input will be just as bad next time, and so is anything that says it is not worth retrying. */
function isPermanent(error: unknown): boolean {
  return error instanceof UsageError || (error as { retryable?: unknown } | null)?.retryable === false;
}

function isTransient(error: unknown): boolean {
  return (error as { retryable?: unknown } | null)?.retryable === true;
}

/** How long the failed work itself said to wait (a server's Retry-After, a paused host), if it said. */
function retryAfterMsOf(error: unknown): number {
  const retryAfterMs = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof retryAfterMs === "number" && Number.isFinite(retryAfterMs) ? Math.max(0, retryAfterMs) : 0;
}

function failureOf(error: unknown): JobFailure {
  if (error instanceof WildtrawlError) return { code: error.code, message: error.message };
  const code = (error as { code?: unknown } | null)?.code;
  return {
    code: typeof code === "string" && code !== "" ? code : "job_error",
    message: error instanceof Error ? error.message : String(error),
  };
}

/**
 * Runs jobs until `signal` aborts, then drains and resolves (RELIABILITY R8). Any number of workers, in any number
 * of processes and machines, can share one database: claims are atomic and leased, and a worker that dies loses
 * nothing, because its leases expire and another worker reclaims them. While the database is unreachable the
 * worker stops claiming and backs off, and resumes on its own when it returns (R7).
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerSummary> {
  const { store, handlers, signal } = options;
  const workerId = options.workerId ?? defaultWorkerId();
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const leaseMs = options.leaseMs ?? 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const reclaimIntervalMs = options.reclaimIntervalMs ?? Math.min(leaseMs, 30_000) / 2;
  const shutdownGraceMs = options.shutdownGraceMs ?? 20_000;
  const policy = options.retry ?? defaultRetryPolicy;
  const random = options.random ?? Math.random;
  const emit = options.onEvent ?? (() => {});
  const queues = Object.keys(handlers);
  if (queues.length === 0)
    throw new UsageError("worker_no_handlers", "a worker needs at least one job handler");

  const summary = { done: 0, retried: 0, failed: 0, leaseLost: 0, released: 0 };
  const inFlight = new Map<
    number,
    { job: ClaimedJob; controller: AbortController; settled: Promise<void> }
  >();
  const released = new Set<number>();
  let wake: () => void = () => {};
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      wake = done;
      signal.addEventListener("abort", done, { once: true });
    });

  async function execute(job: ClaimedJob, controller: AbortController) {
    const lease = { id: job.id, leaseToken: job.leaseToken };
    let committed = false;
    const heartbeat = setInterval(
      () => {
        store.jobs.heartbeat(lease, leaseMs).catch((error: unknown) => {
          // A lost lease means another worker owns the job now: stop. A database hiccup is retried next beat.
          if (error instanceof LeaseLostError) controller.abort(error);
        });
      },
      Math.max(1, Math.floor(leaseMs / 3)),
    );
    try {
      const handler = handlers[job.queue]!;
      await handler(job, {
        signal: controller.signal,
        commit: async (writes) => {
          await store.transaction(async (tx) => {
            await writes(tx);
            await tx.jobs.complete(lease);
          });
          committed = true;
        },
      });
      if (!committed) await store.jobs.complete(lease);
      summary.done += 1;
      emit({ type: "job_done", job });
    } catch (error) {
      if (released.has(job.id)) return;
      if (error instanceof LeaseLostError || controller.signal.reason instanceof LeaseLostError) {
        summary.leaseLost += 1;
        emit({ type: "lease_lost", job });
        return;
      }
      const failure = failureOf(error);
      try {
        const state = await store.jobs.fail(lease, failure, {
          // Never sooner than asked: backing off less would spend the job's attempts inside a server's pause.
          retryDelayMs: Math.max(retryDelayMs(job.attempts, policy, random), retryAfterMsOf(error)),
          permanent: isPermanent(error),
        });
        if (state === "failed") summary.failed += 1;
        else summary.retried += 1;
        emit({ type: "job_failed", job, state, failure });
      } catch (failError) {
        // Could not record the failure (lease lost, database down): the lease expires and the job is retried.
        if (failError instanceof LeaseLostError) {
          summary.leaseLost += 1;
          emit({ type: "lease_lost", job });
        }
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  function start(job: ClaimedJob) {
    const controller = new AbortController();
    const settled = execute(job, controller).finally(() => {
      inFlight.delete(job.id);
      wake();
    });
    inFlight.set(job.id, { job, controller, settled });
  }

  emit({ type: "started", workerId });
  let lastReclaimAt = 0;
  let unavailableStreak = 0;
  while (!signal.aborted) {
    try {
      if (Date.now() - lastReclaimAt >= reclaimIntervalMs) {
        await store.jobs.reclaimExpired();
        lastReclaimAt = Date.now();
      }
      const free = concurrency - inFlight.size;
      const claimed =
        free > 0 && !signal.aborted ? await store.jobs.claim({ queues, workerId, leaseMs, limit: free }) : [];
      unavailableStreak = 0;
      for (const job of claimed) start(job);
      if (claimed.length === 0 || inFlight.size >= concurrency) await nap(pollIntervalMs);
    } catch (error) {
      if (!isTransient(error)) throw error;
      // Pause claiming while the database is away; in-flight jobs carry on and their leases simply run out.
      const retryInMs = retryDelayMs(++unavailableStreak, { baseDelayMs: 200, maxDelayMs: 10_000 }, random);
      emit({ type: "storage_unavailable", error, retryInMs });
      await nap(retryInMs);
    }
  }

  emit({ type: "draining", inFlight: inFlight.size });
  const everyoneDone = Promise.all([...inFlight.values()].map((r) => r.settled));
  const grace = new AbortController();
  await Promise.race([
    everyoneDone,
    sleep(shutdownGraceMs, undefined, { signal: grace.signal }).catch(() => {}),
  ]);
  // A pending grace timer would keep the process alive for its full length after everything finished.
  grace.abort();
  for (const { job, controller } of inFlight.values()) {
    // Out of time: give the job back untouched, and tell the handler to stop. Its lease token is void from now on,
    // so anything it still tries to commit is refused.
    released.add(job.id);
    controller.abort(new Error("worker shutting down"));
    try {
      await store.jobs.release({ id: job.id, leaseToken: job.leaseToken });
      summary.released += 1;
      emit({ type: "released", job });
    } catch {
      // Already finished, or the database is away: the lease will expire and the job be reclaimed.
    }
  }
  emit({ type: "stopped", summary: { ...summary } });
  return { ...summary };
}
