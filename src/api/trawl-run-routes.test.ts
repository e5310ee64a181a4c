import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { loadFixtureSource } from "../../test/fixtures/web/fixture-sources.ts";
import { startFixtureWeb, type FixtureWeb } from "../../test/fixtures/web/server.ts";
import { interruptedRunError } from "../services/trawl-control.ts";
import { openStore } from "../storage/open-store.ts";
import type { JsonObject, Source } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { frontierJob } from "../trawl/trawl-frontier.ts";
import { createApi, type ApiApp } from "./create-api.ts";
import { bearer, loadReference, seedOrganisation } from "./testing/api-fixture.ts";

interface RunJson {
  id: number;
  sourceId: number;
  state: string;
  startedAt: string;
  finishedAt: string | null;
  stats: JsonObject;
  error: string | null;
}
interface StatusJson {
  run: RunJson;
  progress: { pending: number; leased: number; done: number; failed: number };
  recentErrors: Array<{ url: string | null; code: string | null; message: string | null; at: string }>;
}

/** Waits for a condition the server reaches in the background (a visit's progress); fails after `limitMs`. */
async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  limitMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(50);
  }
}

describe("trawl runs: /v1/sources/:id/runs and /v1/trawl-runs/:id", () => {
  let web: FixtureWeb;
  let store: Store;
  let app: ApiApp;
  let directory: string;
  let drop: () => Promise<void>;
  let analyst: string;
  let reviewer: string;
  let otherAnalyst: string;
  let forum: Source;
  let shop: Source;
  let manual: Source;

  before(async () => {
    const [reference, database] = await Promise.all([loadReference(), newSqliteDatabase()]);
    web = await startFixtureWeb({ port: 0 });
    drop = database.drop;
    directory = await mkdtemp(path.join(tmpdir(), "wildtrawl-trawl-runs-"));
    store = await openStore(database.url);
    app = createApi({
      store,
      ...reference,
      clock: () => new Date(),
      version: "test",
      limits: { keyCacheMs: 0, requestsPerWindow: 1_000_000 },
      operations: {
        dataDir: path.join(directory, "data"),
        warcDir: path.join(directory, "warc"),
        chromiumPath: null,
        maxConcurrentVisits: 1,
        // Slow enough that a visit is still running when the test stops it.
        visitOptions: {
          maxSearchQueries: 0,
          fetcher: { requestsPerSecondPerHost: 20 },
          shutdownGraceMs: 5_000,
        },
      },
    });
    await app.ready();
    const unit = await seedOrganisation(store, "unit", ["analyst", "reviewer"]);
    const other = await seedOrganisation(store, "other", ["analyst"]);
    analyst = unit.keys.analyst!;
    reviewer = unit.keys.reviewer!;
    otherAnalyst = other.keys.analyst!;
    // Sources as `wildtrawl trawl FILE` stores them: the declaration is the source's configuration.
    const declare = async (site: "forum" | "shop") => {
      const declaration = await loadFixtureSource(site, web.origin());
      return store.sources.upsert({
        organisationId: unit.organisationId,
        slug: declaration.id,
        name: declaration.name,
        platform: declaration.platform.name,
        config: JSON.parse(JSON.stringify(declaration)) as JsonObject,
      });
    };
    forum = await declare("forum");
    shop = await declare("shop");
    manual = await store.sources.upsert({
      organisationId: unit.organisationId,
      slug: "manual",
      name: "Manual",
    });
  });

  after(async () => {
    await app.close();
    await store.close();
    await web.close();
    await drop();
    await rm(directory, { recursive: true, force: true });
  });

  const call = (method: "GET" | "POST", url: string, secret = analyst) =>
    app.inject({ method, url: `/v1${url}`, headers: bearer(secret) });
  const status = async (runId: number) => (await call("GET", `/trawl-runs/${runId}`)).json() as StatusJson;

  it("starts a visit in the background, one per source, shows its progress, and stops it gracefully", async () => {
    const started = await call("POST", `/sources/${forum.id}/runs`);
    assert.equal(started.statusCode, 202, started.body);
    const run = (started.json() as { run: RunJson }).run;
    assert.deepEqual(Object.keys(run).sort(), [
      "error",
      "finishedAt",
      "id",
      "sourceId",
      "startedAt",
      "state",
      "stats",
    ]);
    assert.equal(run.sourceId, forum.id);
    assert.equal(run.state, "running");

    const again = await call("POST", `/sources/${forum.id}/runs`);
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, "trawl_run_active");
    const another = await call("POST", `/sources/${shop.id}/runs`);
    assert.equal(another.statusCode, 429, "one visit at once in this server");
    assert.equal(another.json().error.code, "trawl_capacity_reached");

    const working = await eventually("pages done", async () => {
      const current = await status(run.id);
      return current.progress.done >= 5 ? current : undefined;
    });
    assert.equal(working.run.state, "running");
    assert.ok(typeof working.run.stats["pages"] === "number", "live figures while it runs");

    const listed = (await call("GET", `/sources/${forum.id}/runs`)).json() as { items: RunJson[] };
    assert.deepEqual(
      listed.items.map((item) => [item.id, item.state]),
      [[run.id, "running"]],
    );

    const stopped = await call("POST", `/trawl-runs/${run.id}/stop`);
    assert.equal(stopped.statusCode, 202, stopped.body);
    const ended = await eventually("the run to end", async () => {
      const current = await status(run.id);
      return current.run.state === "running" ? undefined : current;
    });
    assert.equal(ended.run.state, "cancelled");
    assert.ok(ended.run.finishedAt);
    assert.equal(ended.progress.leased, 0, "no lease is left behind");
    assert.ok(ended.progress.pending > 0, "the rest of the visit waits for the next run");
    assert.equal(ended.run.stats["generation"], 1);
    assert.ok((await readdir(path.join(directory, "warc"))).some((name) => name.endsWith(".warc.gz")));

    const late = await call("POST", `/trawl-runs/${run.id}/stop`);
    assert.equal(late.statusCode, 409);
    assert.equal(late.json().error.code, "trawl_run_not_running");
  });

  it("ends a run a killed process left running when the next visit starts, and lists the visit's failures", async () => {
    // What a process killed mid-visit leaves: a run that says it is running, and nobody holding its pages.
    const orphan = await store.sources.startRun(forum.id);
    // Ahead of everything in the queue, so that the claim below takes this one.
    const failed = {
      ...frontierJob(forum.id, 1, { url: `${web.origin("forum")}trap/bomb`, kind: "revisit" })!,
      priority: 1000,
    };
    await store.jobs.enqueue(failed);
    const [claimed] = await store.jobs.claim({ queues: [failed.queue], workerId: "test", leaseMs: 1_000 });
    await store.jobs.fail(
      { id: claimed!.id, leaseToken: claimed!.leaseToken },
      { code: "body_too_large", message: "the body is larger than 20 MiB" },
      { retryDelayMs: 0, permanent: true },
    );

    const started = await call("POST", `/sources/${forum.id}/runs`);
    assert.equal(started.statusCode, 202, started.body);
    const run = (started.json() as { run: RunJson }).run;
    const ended = (await status(orphan.id)).run;
    assert.equal(ended.state, "failed");
    assert.equal(ended.error, interruptedRunError);

    const current = await status(run.id);
    assert.ok(current.progress.done >= 1 && current.progress.failed >= 1, JSON.stringify(current.progress));
    const bomb = current.recentErrors.find((error) => error.url?.endsWith("/trap/bomb"));
    assert.deepEqual(bomb && { code: bomb.code, message: bomb.message }, {
      code: "body_too_large",
      message: "the body is larger than 20 MiB",
    });

    assert.equal((await call("POST", `/trawl-runs/${run.id}/stop`)).statusCode, 202);
    await eventually("the run to end", async () =>
      (await status(run.id)).run.state === "running" ? undefined : true,
    );
    const runs = (await call("GET", `/sources/${forum.id}/runs`)).json() as { items: RunJson[] };
    assert.deepEqual(
      runs.items.slice(0, 2).map((item) => item.id),
      [run.id, orphan.id],
      "newest first",
    );
  });

  it("answers 404 for another organisation's sources and runs, 403 to roles that may not run trawls", async () => {
    const [latest] = await store.sources.listRuns(forum.id, { limit: 1 });
    for (const [method, url] of [
      ["GET", `/sources/${forum.id}/runs`],
      ["POST", `/sources/${forum.id}/runs`],
      ["GET", `/trawl-runs/${latest!.id}`],
      ["POST", `/trawl-runs/${latest!.id}/stop`],
      ["GET", "/trawl-runs/987654"],
    ] as const) {
      const response = await call(method, url, otherAnalyst);
      assert.equal(response.statusCode, 404, `${method} ${url}: ${response.body}`);
      assert.match(response.json().error.code, /^(source|trawl_run)_not_found$/);
    }
    assert.equal((await call("GET", `/trawl-runs/${latest!.id}`, reviewer)).statusCode, 200);
    const refused = await call("POST", `/sources/${forum.id}/runs`, reviewer);
    assert.equal(refused.statusCode, 403);
    const manualRun = await call("POST", `/sources/${manual.id}/runs`);
    assert.equal(manualRun.statusCode, 400);
    assert.equal(manualRun.json().error.code, "source_not_trawlable");
  });

  it("stops the visits it runs when the server closes", async () => {
    const started = await call("POST", `/sources/${shop.id}/runs`);
    assert.equal(started.statusCode, 202, started.body);
    const run = (started.json() as { run: RunJson }).run;
    await app.close();
    const ended = await store.sources.getRun(run.id);
    assert.ok(ended && ["cancelled", "finished"].includes(ended.state), ended?.state);
  });
});
