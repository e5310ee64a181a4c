import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { WARCParser } from "warcio";
import { forumBoards } from "../../test/fixtures/web/generate.ts";
import { startFixtureWeb, type FixtureWeb } from "../../test/fixtures/web/server.ts";
import type { Listing } from "../storage/records.ts";
import { openStore } from "../storage/open-store.ts";
import type { Store } from "../storage/store.ts";
import type { ContractDatabase } from "../storage/store.contract.ts";
import {
  newPostgresDatabase,
  newSqliteDatabase,
  postgresSkipReason,
} from "../storage/testing/test-databases.ts";
import { frontierQueue } from "./trawl-frontier.ts";

const script = fileURLToPath(new URL("trawl-test-process.ts", import.meta.url));
const boards = ["collectors", "animals"];

interface Child {
  readonly process: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line that starts with `prefix`, or undefined if the process ends first. */
  readonly waitFor: (prefix: string) => Promise<string | undefined>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startTrawl(env: Record<string, string>): Child {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: Array<{ prefix: string; resolve: (line: string | undefined) => void }> = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (line.startsWith(waiter.prefix)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => {
      if (code !== 0 && code !== null) process.stderr.write(stderr);
      for (const waiter of waiters.splice(0)) waiter.resolve(undefined);
      resolve({ code, signal });
    });
  });
  return {
    process: child,
    lines,
    exited,
    waitFor: (prefix) => {
      const seen = lines.find((line) => line.startsWith(prefix));
      if (seen) return Promise.resolve(seen);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(undefined);
      return new Promise((resolve) => waiters.push({ prefix, resolve }));
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function allListings(store: Store, sourceId: number): Promise<Listing[]> {
  const listings: Listing[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listings.search({ sourceId, limit: 500, ...(cursor ? { cursor } : {}) });
    listings.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return listings;
}

/** Every record of every WARC file, read to its end: a torn record fails the parse. */
async function readWarcs(directory: string): Promise<number> {
  let records = 0;
  for (const name of await readdir(directory)) {
    const parser = new WARCParser(createReadStream(path.join(directory, name)));
    for await (const record of parser) {
      await record.readFully(false);
      assert.ok(record.warcType, `${name}: a record without a type`);
      records++;
    }
  }
  return records;
}

/** After the trawl: every listing of the boards stored once, the frontier balanced, every page's WARC record whole. */
async function assertTrawlWhole(web: FixtureWeb, databaseUrl: string, warcDir: string) {
  const store = await openStore(databaseUrl);
  try {
    const [source] = await store.sources.list();
    assert.ok(source);
    const expected = web.oracle.listings.filter(
      (listing) => listing.site === "forum" && boards.includes(forumBoards[listing.category] ?? ""),
    );
    const stored = await allListings(store, source.id);
    const ids = stored.map((listing) => web.oracle.byPath(listing.url)?.id ?? `unknown ${listing.url}`);
    assert.equal(new Set(ids).size, ids.length, "no listing stored twice");
    const want = new Set(expected.map((listing) => listing.id));
    const got = new Set(ids);
    assert.deepEqual(
      { missing: [...want].filter((id) => !got.has(id)), extra: [...got].filter((id) => !want.has(id)) },
      { missing: [], extra: [] },
      "every listing of the boards stored, and no other",
    );
    for (const listing of stored) assert.ok(listing.verdict, `${listing.url}: detected`);

    const queue = frontierQueue(source.id, 1);
    const counts = await store.jobs.counts(queue);
    assert.equal(counts.pending + counts.leased, 0, "nothing left in the frontier");
    const jobs = [];
    for (let afterId: number | undefined; ;) {
      const page = await store.jobs.list({ queue, limit: 500, ...(afterId ? { afterId } : {}) });
      jobs.push(...page);
      if (page.length < 500) break;
      afterId = page[page.length - 1]?.id;
    }
    assert.equal(
      jobs.length,
      counts.done + counts.failed + counts.pending + counts.leased,
      "conservation (R4)",
    );
    for (const job of jobs.filter((job) => job.state === "failed")) assert.ok(job.lastErrorCode);

    assert.ok((await readWarcs(warcDir)) > 0);
    const pageIds = new Set(stored.map((listing) => listing.pageId));
    for (const pageId of pageIds) {
      const page = await store.pages.get(pageId!);
      assert.ok(page, `page ${pageId}`);
      const bytes = (await readFile(page.warc.file)).subarray(
        page.warc.offset,
        page.warc.offset + page.warc.length,
      );
      const record = await WARCParser.parse([bytes]);
      assert.equal(record?.warcType, "response");
      assert.equal(record?.warcTargetURI, page.finalUrl);
    }
  } finally {
    await store.close();
  }
}

function crashSuite(name: string, newDatabase: () => Promise<ContractDatabase>, kills: number) {
  describe(`a trawl on ${name}`, () => {
    let web: FixtureWeb;
    const cleanup: Array<() => Promise<unknown>> = [];
    before(async () => {
      web = await startFixtureWeb({ port: 0, slowPageDelayMs: 20 });
    });
    after(async () => {
      for (const step of cleanup) await step();
      await web.close();
    });

    async function setting() {
      const database = await newDatabase();
      const warcDir = await mkdtemp(path.join(tmpdir(), "wildtrawl-crash-warc-"));
      cleanup.push(database.drop, () => rm(warcDir, { recursive: true, force: true }));
      const env = {
        DATABASE_URL: database.url,
        ORIGIN: web.origin(),
        WARC_DIR: warcDir,
        FORUM_BOARDS: boards.join(","),
        LEASE_MS: "1000",
      };
      return { database, warcDir, env };
    }

    it(`killed with SIGKILL ${kills} times at random points, resumes each time: nothing lost, nothing twice (R6)`, async () => {
      const { database, warcDir, env } = await setting();
      let landed = 0;
      for (let round = 0; landed < kills && round < kills * 3; round++) {
        // Slow enough that a kill lands mid-trawl: ~20 pages a second over ~130 pages.
        const child = startTrawl({ ...env, RPS: "20" });
        // Most kills land while pages are in flight; some during start-up and seeding.
        const anchor = round % 4 === 3 ? "ready" : "visit";
        if ((await child.waitFor(anchor)) === undefined)
          assert.fail(`trawl exited early: ${child.lines.join("\n")}`);
        await sleep(Math.random() * (anchor === "ready" ? 150 : 700));
        const finished = child.lines.some((line) => line.startsWith("summary"));
        child.process.kill("SIGKILL");
        const exit = await child.exited;
        if (!finished && exit.signal === "SIGKILL") landed++;
        if (finished) break;
      }
      assert.ok(landed >= kills, `only ${landed} kills landed mid-trawl`);
      const last = startTrawl({ ...env, CONCURRENCY: "8" });
      const exit = await last.exited;
      assert.equal(exit.code, 0);
      const summary = JSON.parse((await last.waitFor("summary"))!.slice("summary ".length)) as {
        sources: Array<{ complete: boolean }>;
      };
      assert.equal(summary.sources[0]?.complete, true);
      await assertTrawlWhole(web, database.url, warcDir);
    });

    it("stops on SIGTERM: exits 0, leaves nothing leased, and the next run finishes the visit (R8)", async () => {
      const { database, warcDir, env } = await setting();
      const child = startTrawl({ ...env, RPS: "10", WORKER_ID: "sigterm-worker" });
      assert.ok(await child.waitFor("pages 3"), child.lines.join("\n"));
      child.process.kill("SIGTERM");
      const exit = await child.exited;
      assert.equal(exit.code, 0);
      const stopped = JSON.parse((await child.waitFor("summary"))!.slice("summary ".length)) as {
        stoppedBy: string;
        sources: Array<{ complete: boolean }>;
      };
      assert.equal(stopped.stoppedBy, "signal");
      assert.equal(stopped.sources[0]?.complete, false);
      const store = await openStore(database.url);
      try {
        const leased = await store.jobs.list({ state: "leased", limit: 100 });
        assert.deepEqual(
          leased.filter((job) => job.leaseOwner === "sigterm-worker"),
          [],
          "no lease left behind",
        );
      } finally {
        await store.close();
      }
      const rerun = startTrawl({ ...env, CONCURRENCY: "8" });
      assert.equal((await rerun.exited).code, 0);
      assert.match((await rerun.waitFor("visit"))!, /"visit":"resumed"/);
      await assertTrawlWhole(web, database.url, warcDir);
    });
  });
}

const skipPostgres = postgresSkipReason();
if (skipPostgres) describe("a trawl on PostgreSQL", { skip: skipPostgres }, () => {});
else crashSuite("PostgreSQL", () => newPostgresDatabase(), 20);
crashSuite("SQLite", () => newSqliteDatabase(), 5);
