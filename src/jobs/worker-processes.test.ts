import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, it } from "node:test";
import { openStore } from "../storage/open-store.ts";
import type { ContractDatabase } from "../storage/store.contract.ts";
import type { Store } from "../storage/store.ts";
import {
  newPostgresDatabase,
  newSqliteDatabase,
  postgresSkipReason,
} from "../storage/testing/test-databases.ts";

/**
 * Workers in separate processes, as in production: several at once, killed with SIGKILL mid-job, and stopped with
 * SIGTERM. Each job's effect is one audit entry committed with the job's completion, so counting entries per job
 * shows whether any effect was lost or applied twice.
 */
const workerScript = fileURLToPath(new URL("./testing/worker-process.ts", import.meta.url));

interface WorkerProcess {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnWorker(url: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [workerScript], {
    env: { ...process.env, DATABASE_URL: url, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => lines.push(line));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, lines, exited };
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const backends: [string, () => Promise<ContractDatabase>, string | false][] = [
  ["SQLite", newSqliteDatabase, false],
  ["PostgreSQL", () => newPostgresDatabase(), postgresSkipReason()],
];

for (const [name, newDatabase, skip] of backends) {
  describe(`worker processes on ${name}`, { skip }, () => {
    let database: ContractDatabase;
    let store: Store;
    const workers: WorkerProcess[] = [];

    beforeEach(async () => {
      database = await newDatabase();
      store = await openStore(database.url);
    });
    afterEach(async () => {
      for (const worker of workers.splice(0)) {
        worker.child.kill("SIGKILL");
        await worker.exited;
      }
      await store.close();
      await database.drop();
    });

    async function effectsPerJob(): Promise<Map<number, number>> {
      const counts = new Map<number, number>();
      for (let afterId = 0; ;) {
        const page = await store.audit.list({ afterId, limit: 1000, subjectType: "job" });
        if (page.length === 0) return counts;
        for (const entry of page)
          counts.set(Number(entry.subjectId), (counts.get(Number(entry.subjectId)) ?? 0) + 1);
        afterId = page[page.length - 1]!.id;
      }
    }

    async function enqueue(count: number) {
      const results = await store.jobs.enqueueMany(
        Array.from({ length: count }, (_, i) => ({ queue: "chaos", payload: i, maxAttempts: 50 })),
      );
      return results.map((r) => r.job.id);
    }

    it("never runs one job in two processes at once", async () => {
      const ids = await enqueue(200);
      for (let i = 0; i < 4; i++) {
        workers.push(
          spawnWorker(database.url, {
            WORKER_ID: `w${i}`,
            WORK_MS: "5",
            LEASE_MS: "30000",
            EXIT_WHEN_IDLE: "1",
          }),
        );
      }
      const exits = await Promise.all(workers.map((w) => w.exited));
      assert.deepEqual(
        exits.map((e) => e.code),
        [0, 0, 0, 0],
      );

      const runs = new Map<number, { start: number; end: number }[]>();
      for (const worker of workers) {
        const open = new Map<number, number>();
        for (const line of worker.lines) {
          const [kind, id, at] = line.split(" ");
          if (kind === "start") open.set(Number(id), Number(at));
          if (kind === "end") {
            const list = runs.get(Number(id)) ?? [];
            list.push({ start: open.get(Number(id))!, end: Number(at) });
            runs.set(Number(id), list);
          }
        }
      }
      for (const id of ids)
        assert.equal(runs.get(id)?.length, 1, `job ${id} ran ${runs.get(id)?.length ?? 0} times`);
      assert.ok(
        workers.filter((w) => w.lines.some((l) => l.startsWith("start"))).length >= 2,
        "the work was shared",
      );
      const effects = await effectsPerJob();
      assert.deepEqual(
        ids.map((id) => effects.get(id)),
        ids.map(() => 1),
      );
      assert.deepEqual(await store.jobs.counts(), { pending: 0, leased: 0, done: 200, failed: 0 });
    });

    it("loses nothing and applies nothing twice when workers are killed with SIGKILL mid-job, again and again", async () => {
      const total = 400;
      const ids = await enqueue(total);
      const env = { WORK_MS: "60", LEASE_MS: "800", CONCURRENCY: "2", EXIT_WHEN_IDLE: "1" };
      let spawned = 0;
      const alive = new Set<WorkerProcess>();
      const launch = () => {
        const worker = spawnWorker(database.url, { ...env, WORKER_ID: `chaos-${spawned++}` });
        workers.push(worker);
        alive.add(worker);
        void worker.exited.then(() => alive.delete(worker));
      };
      for (let i = 0; i < 3; i++) launch();

      let kills = 0;
      while (kills < 15) {
        await sleep(150 + Math.random() * 250);
        const counts = await store.jobs.counts();
        if (counts.pending + counts.leased === 0) break;
        // Kill a worker that is in the middle of a job (it printed a start without its end).
        const busy = [...alive].filter((w) => {
          const last = w.lines.filter((l) => l.startsWith("start") || l.startsWith("end")).at(-1);
          return last?.startsWith("start");
        });
        // Only a kill mid-job tests reclaiming; under load every worker can be between jobs, so wait for one.
        const victim = busy[Math.floor(Math.random() * busy.length)];
        if (victim === undefined) continue;
        victim.child.kill("SIGKILL");
        await victim.exited;
        kills += 1;
        launch();
      }
      await until(async () => {
        const c = await store.jobs.counts();
        return c.pending + c.leased === 0;
      }, "every job to finish");
      await Promise.all([...alive].map((w) => w.exited));

      const counts = await store.jobs.counts();
      assert.deepEqual(
        counts,
        { pending: 0, leased: 0, done: total, failed: 0 },
        "conservation: every job done",
      );
      const effects = await effectsPerJob();
      const wrong = ids.filter((id) => effects.get(id) !== 1).map((id) => `${id}:${effects.get(id) ?? 0}`);
      assert.deepEqual(wrong, [], "jobs whose effects were lost or applied twice");
      assert.ok(kills >= 5, `only ${kills} kills happened before the queue drained`);
      const reclaimed = (await store.jobs.list({ limit: 1000 })).filter((j) => j.attempts > 1);
      assert.ok(reclaimed.length > 0, "some killed worker's job was reclaimed after its lease expired");
    });

    it("drains and exits 0 on SIGTERM, leaving nothing leased, and the next worker picks up the rest (R8)", async () => {
      const ids = await enqueue(20);
      const first = spawnWorker(database.url, {
        WORKER_ID: "draining",
        WORK_MS: "400",
        LEASE_MS: "30000",
        CONCURRENCY: "2",
      });
      workers.push(first);
      await until(
        async () => first.lines.some((l) => l.startsWith("start")),
        "the first job to start",
        30_000,
      );
      first.child.kill("SIGTERM");
      const exit = await first.exited;
      assert.deepEqual(exit, { code: 0, signal: null });
      const leased = (await store.jobs.list({ state: "leased", limit: 100 })).filter(
        (j) => j.leaseOwner === "draining",
      );
      assert.deepEqual(leased, []);
      const started = first.lines.filter((l) => l.startsWith("start")).length;
      const ended = first.lines.filter((l) => l.startsWith("end")).length;
      assert.equal(started, ended, "what it started, it finished within the grace period");
      assert.ok((await store.jobs.counts()).pending > 0, "it stopped claiming");

      const second = spawnWorker(database.url, {
        WORKER_ID: "next",
        WORK_MS: "5",
        LEASE_MS: "30000",
        EXIT_WHEN_IDLE: "1",
      });
      workers.push(second);
      assert.equal((await second.exited).code, 0);
      const effects = await effectsPerJob();
      assert.deepEqual(
        ids.map((id) => effects.get(id)),
        ids.map(() => 1),
      );
    });
  });
}
