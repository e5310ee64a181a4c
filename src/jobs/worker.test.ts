import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { UsageError } from "../core/errors.ts";
import { openStore } from "../storage/open-store.ts";
import type { ContractDatabase } from "../storage/store.contract.ts";
import type { Store } from "../storage/store.ts";
import {
  newPostgresDatabase,
  newSqliteDatabase,
  postgresSkipReason,
} from "../storage/testing/test-databases.ts";
import { retryDelayMs } from "./backoff.ts";
import { runWorker, type WorkerEvent, type WorkerOptions } from "./worker.ts";

describe("retry delays", () => {
  it("double with each attempt, keep at least half, and stop growing at the maximum", () => {
    const policy = { baseDelayMs: 1000, maxDelayMs: 10_000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 9].map((a) => retryDelayMs(a, policy, () => 0)),
      [500, 1000, 2000, 4000, 5000, 5000],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((a) => retryDelayMs(a, policy, () => 1)),
      [1000, 2000, 4000, 8000, 10_000],
    );
    assert.equal(
      retryDelayMs(1000, policy, () => 0.5),
      7500,
    );
  });
});

const backends: [string, () => Promise<ContractDatabase>, string | false][] = [
  ["SQLite", newSqliteDatabase, false],
  ["PostgreSQL", () => newPostgresDatabase(), postgresSkipReason()],
];

for (const [name, newDatabase, skip] of backends) {
  describe(`worker on ${name}`, { skip }, () => {
    let database: ContractDatabase;
    let store: Store;
    const effects = async (jobId: number) =>
      (await store.audit.list({ subjectType: "job", subjectId: String(jobId) })).length;

    beforeEach(async () => {
      database = await newDatabase();
      store = await openStore(database.url);
    });
    afterEach(async () => {
      await store.close();
      await database.drop();
    });

    /** Runs a worker until every job is finished (done or failed), then stops it. */
    async function runUntilFinished(options: Omit<WorkerOptions, "store" | "signal">) {
      const controller = new AbortController();
      const events: WorkerEvent[] = [];
      const worker = runWorker({
        store,
        signal: controller.signal,
        pollIntervalMs: 5,
        ...options,
        onEvent: (event) => {
          events.push(event);
          options.onEvent?.(event);
        },
      });
      for (;;) {
        const counts = await store.jobs.counts();
        if (counts.pending + counts.leased === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      controller.abort();
      return { summary: await worker, events };
    }

    it("runs every job, committing each job's results with its completion", async () => {
      const jobs = await store.jobs.enqueueMany(
        Array.from({ length: 30 }, (_, i) => ({ queue: i % 2 ? "fetch" : "detect", payload: { n: i } })),
      );
      const seen: number[] = [];
      const handler = async (
        job: { id: number; payload: unknown },
        context: { commit: Parameters<WorkerOptions["handlers"][string]>[1]["commit"] },
      ) => {
        seen.push((job.payload as { n: number }).n);
        await context.commit(async (tx) => {
          await tx.audit.append({
            actor: "worker",
            action: "test.effect",
            subjectType: "job",
            subjectId: job.id,
          });
        });
      };
      const { summary } = await runUntilFinished({
        handlers: { fetch: handler, detect: handler },
        concurrency: 4,
      });
      assert.equal(summary.done, 30);
      assert.deepEqual(
        [...seen].sort((a, b) => a - b),
        Array.from({ length: 30 }, (_, i) => i),
      );
      for (const { job } of jobs) {
        assert.equal((await store.jobs.get(job.id))!.state, "done");
        assert.equal(await effects(job.id), 1);
      }
    });

    it("retries with backoff, then dead-letters with the last error; bad input fails at once", async () => {
      const { job: flaky } = await store.jobs.enqueue({ queue: "fetch", payload: "flaky", maxAttempts: 3 });
      const { job: broken } = await store.jobs.enqueue({ queue: "fetch", payload: "broken", maxAttempts: 3 });
      const { job: invalid } = await store.jobs.enqueue({
        queue: "fetch",
        payload: "invalid",
        maxAttempts: 3,
      });
      const { summary, events } = await runUntilFinished({
        retry: { baseDelayMs: 1, maxDelayMs: 5 },
        handlers: {
          fetch: async (job) => {
            if (job.payload === "invalid") throw new UsageError("listing_invalid", "no title");
            if (job.payload === "broken" || job.attempts < 3)
              throw Object.assign(new Error(`attempt ${job.attempts}`), { code: "fetch_503" });
          },
        },
      });
      assert.deepEqual(summary, { done: 1, retried: 4, failed: 2, leaseLost: 0, released: 0 });
      assert.equal((await store.jobs.get(flaky.id))!.state, "done");
      const dead = (await store.jobs.get(broken.id))!;
      assert.deepEqual(
        [dead.state, dead.attempts, dead.lastErrorCode, dead.lastError],
        ["failed", 3, "fetch_503", "attempt 3"],
      );
      const refused = (await store.jobs.get(invalid.id))!;
      assert.deepEqual(
        [refused.state, refused.attempts, refused.lastErrorCode],
        ["failed", 1, "listing_invalid"],
      );
      assert.ok(events.some((e) => e.type === "job_failed" && e.state === "pending"));
    });

    it("waits before the next attempt at least as long as the failure asked (a Retry-After)", async () => {
      const { job } = await store.jobs.enqueue({ queue: "fetch", payload: "paused", maxAttempts: 3 });
      const controller = new AbortController();
      let failedAt = 0;
      const worker = runWorker({
        store,
        signal: controller.signal,
        pollIntervalMs: 5,
        retry: { baseDelayMs: 1, maxDelayMs: 5 },
        handlers: {
          fetch: async () => {
            failedAt = Date.now();
            throw Object.assign(new Error("host paused"), { code: "host_paused", retryAfterMs: 600_000 });
          },
        },
      });
      // Until the first failure is recorded: the job is then pending again, or failed if it was retried too soon.
      let state = await store.jobs.get(job.id);
      while (failedAt === 0 || state!.state === "leased") {
        await new Promise((resolve) => setTimeout(resolve, 10));
        state = await store.jobs.get(job.id);
      }
      controller.abort();
      await worker;
      assert.deepEqual([state!.state, state!.attempts], ["pending", 1]);
      assert.ok(
        state!.runAt.getTime() >= failedAt + 600_000,
        `next attempt ${state!.runAt.getTime() - failedAt} ms after the failure`,
      );
    });

    it("stops claiming on shutdown, lets quick jobs finish and releases slow ones untouched (R8)", async () => {
      const { job: quick } = await store.jobs.enqueue({ queue: "fetch", payload: "quick" });
      const { job: slow } = await store.jobs.enqueue({ queue: "fetch", payload: "slow" });
      const { job: waiting } = await store.jobs.enqueue({ queue: "fetch", payload: "waiting", priority: -1 });
      const controller = new AbortController();
      let started = 0;
      let slowSawAbort = false;
      let release!: () => void;
      const quickMayFinish = new Promise<void>((resolve) => (release = resolve));
      const worker = runWorker({
        store,
        signal: controller.signal,
        concurrency: 2,
        pollIntervalMs: 5,
        shutdownGraceMs: 100,
        handlers: {
          fetch: async (job, context) => {
            started += 1;
            if (started === 2) controller.abort();
            if (job.payload === "quick") {
              await quickMayFinish;
              return;
            }
            release();
            await new Promise<void>((resolve) =>
              context.signal.addEventListener("abort", () => resolve(), { once: true }),
            );
            slowSawAbort = true;
            await context
              .commit(async (tx) => {
                await tx.audit.append({
                  actor: "worker",
                  action: "test.effect",
                  subjectType: "job",
                  subjectId: job.id,
                });
              })
              .catch(() => {});
          },
        },
      });
      const summary = await worker;
      assert.deepEqual(summary, { done: 1, retried: 0, failed: 0, leaseLost: 0, released: 1 });
      assert.equal((await store.jobs.get(quick.id))!.state, "done");
      const slowJob = (await store.jobs.get(slow.id))!;
      assert.deepEqual([slowJob.state, slowJob.attempts, slowJob.leaseOwner], ["pending", 0, null]);
      assert.equal(
        (await store.jobs.get(waiting.id))!.state,
        "pending",
        "nothing new was claimed while draining",
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(slowSawAbort);
      assert.equal(await effects(slow.id), 0, "a released job's late commit is refused");
    });

    it("drops a job whose lease was taken over, without applying its results", async () => {
      const { job } = await store.jobs.enqueue({ queue: "fetch" });
      const { summary } = await runUntilFinished({
        handlers: {
          fetch: async (claimed, context) => {
            if (claimed.attempts === 1) {
              // Another worker reclaims the job while this one is still at it (as after a long pause).
              await store.jobs.heartbeat({ id: claimed.id, leaseToken: claimed.leaseToken }, 0);
              await store.jobs.reclaimExpired();
            }
            await context.commit(async (tx) => {
              await tx.audit.append({
                actor: "worker",
                action: "test.effect",
                subjectType: "job",
                subjectId: claimed.id,
              });
            });
          },
        },
      });
      assert.equal(summary.leaseLost, 1);
      assert.equal(summary.done, 1);
      assert.equal(await effects(job.id), 1);
      assert.equal((await store.jobs.get(job.id))!.attempts, 2);
    });
  });
}
