/**
 * A worker process for the multi-process tests (worker-processes.test.ts). Its job handler records when it starts
 * and ends each job on stdout, and commits one audit entry per job as the job's "effect", so a test can count how
 * many times each job's effects were applied. Settings come from the environment the test gives it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { openStore } from "../../storage/open-store.ts";
import { runWorker } from "../worker.ts";

const env = process.env;
const workerId = env.WORKER_ID ?? `test-worker-${process.pid}`;
const leaseMs = Number(env.LEASE_MS ?? 1000);
const workMs = Number(env.WORK_MS ?? 20);
const store = await openStore(env.DATABASE_URL!);
const controller = new AbortController();
process.on("SIGTERM", () => controller.abort());
const say = (line: string) => process.stdout.write(`${line}\n`);

if (env.EXIT_WHEN_IDLE === "1") {
  const idleCheck = setInterval(() => {
    store.jobs
      .counts("chaos")
      .then((counts) => {
        if (counts.pending + counts.leased === 0) {
          clearInterval(idleCheck);
          controller.abort();
        }
      })
      .catch(() => {});
  }, 50);
}

await runWorker({
  store,
  signal: controller.signal,
  workerId,
  concurrency: Number(env.CONCURRENCY ?? 2),
  leaseMs,
  pollIntervalMs: 10,
  reclaimIntervalMs: leaseMs / 2,
  shutdownGraceMs: Number(env.SHUTDOWN_GRACE_MS ?? 10_000),
  retry: { baseDelayMs: 1, maxDelayMs: 10 },
  handlers: {
    chaos: async (job, context) => {
      say(`start ${job.id} ${Date.now()} ${job.attempts}`);
      await sleep(Math.random() * workMs, undefined, { signal: context.signal }).catch(() => {});
      await context.commit(async (tx) => {
        await tx.audit.append({
          actor: workerId,
          action: "test.effect",
          subjectType: "job",
          subjectId: job.id,
        });
      });
      say(`end ${job.id} ${Date.now()}`);
    },
  },
});
await store.close();
say("exit");
