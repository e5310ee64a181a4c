// The trawler: pages per second over the fixture web's shop at a fixed concurrency, with WARC writing, extraction,
// detection and storage (SQLite) on, beside Crawlee's CheerioCrawler crawling the same site at the same concurrency
// (fetch, parse, follow the same links). Each crawler runs in its own process, so each one's peak memory is its own;
// the fixture web runs in this one. Goals: at least 1.5× Crawlee's pages per second, peak memory no higher.
//
// WILDTRAWL_BENCH_TRAWL_SITE (shop, ads, forum; default shop), WILDTRAWL_BENCH_TRAWL_CONCURRENCY (default 8).
// WILDTRAWL_BENCH_CRASH_KILLS=N also runs the full-scale crash test: the whole site, killed with SIGKILL N times (≥ 20)
// at random points and resumed, then checked: every listing stored exactly once.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { EventLoopUtilization } from "node:perf_hooks";
import { loadFixtureSource } from "../test/fixtures/web/fixture-sources.ts";
import type { SiteName } from "../test/fixtures/web/generate.ts";
import { startFixtureWeb } from "../test/fixtures/web/server.ts";

const roleVariable = "WILDTRAWL_BENCH_TRAWL_ROLE";
const startLine = "START\n";
const site = (process.env.WILDTRAWL_BENCH_TRAWL_SITE ?? "shop") as SiteName;
const concurrency = Number(process.env.WILDTRAWL_BENCH_TRAWL_CONCURRENCY ?? 8);
const self = fileURLToPath(import.meta.url);

interface Measured {
  readonly pages: number;
  readonly elapsedMs: number;
  /** Peak resident set of the whole process, start-up included. */
  readonly peakRssMiB: number;
  /** Resident set once loaded, before the first page (the detector's reference data, for wildtrawl). */
  readonly loadedRssMiB: number;
  /** CPU time of the whole process (every thread) over the crawl, user and system. */
  readonly cpuMs: number;
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const peakRssMiB = () => mib(process.resourceUsage().maxRSS * 1024);
const cpuMsSince = (start: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(start);
  return Math.round((user + system) / 1000);
};

async function wildtrawlRole(origin: string, directory: string): Promise<Measured> {
  const { defaultDetectionModelPath, defaultLexiconDir, defaultReferenceDataPath } =
    await import("../src/config.ts");
  const { loadSpeciesIndex } = await import("../src/reference/reference-file.ts");
  const { loadLexicon } = await import("../src/reference/load-lexicon.ts");
  const { readDetectionModel } = await import("../src/reference/load-model.ts");
  const { openStore } = await import("../src/storage/open-store.ts");
  const { createTrawlingService } = await import("../src/services/trawling.ts");
  const { createPageAnalysisPool } = await import("../src/trawl/page-analysis-pool.ts");
  const base = await loadFixtureSource(site, origin);
  const source = {
    ...base,
    search: [],
    politeness: { requestsPerSecondPerHost: 10_000, maxConcurrentPerHost: concurrency },
  };
  // As `wildtrawl trawl` runs by default: pages parsed and detected in one worker thread (H3);
  // BENCH_NO_POOL=1 measures them in the trawler's own thread instead. Started first, so that its worker loads
  // while this thread does, and awaited before the clock starts: loading is start-up, not trawling, and is not
  // counted for Crawlee either.
  const pool = process.env.BENCH_NO_POOL
    ? undefined
    : createPageAnalysisPool({
        referenceDataPath: defaultReferenceDataPath,
        lexiconDir: defaultLexiconDir,
        detectionModelPath: defaultDetectionModelPath,
      });
  const species = await loadSpeciesIndex(defaultReferenceDataPath);
  const [lexicon, model, store] = await Promise.all([
    loadLexicon(species, defaultLexiconDir),
    readDetectionModel(defaultDetectionModelPath),
    openStore(path.join(directory, "bench.db")),
  ]);
  await pool?.ready();
  const loadedRssMiB = mib(process.memoryUsage.rss());
  const service = createTrawlingService({
    ...(pool ? { analyse: pool.analyse } : {}),
    store,
    lexicon,
    model,
    now: () => new Date(),
    warcDirectory: path.join(directory, "warc"),
    userAgent: "wildtrawl-bench/1.0",
    software: "wildtrawl/bench",
  });
  process.stdout.write(startLine);
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const summary = await service.trawl({
    sources: [source],
    maxSearchQueries: 0,
    concurrency: 2 * concurrency,
    fetcher: { totalTimeoutMs: 10_000 },
  });
  const elapsedMs = performance.now() - started;
  const cpuMs = cpuMsSince(cpuStart);
  await pool?.close();
  await store.close();
  return { pages: summary.pages + summary.errors, elapsedMs, peakRssMiB: peakRssMiB(), loadedRssMiB, cpuMs };
}

async function crawleeRole(origin: string, directory: string): Promise<Measured> {
  process.env.CRAWLEE_STORAGE_DIR = path.join(directory, "crawlee");
  const { CheerioCrawler, Configuration } = await import("@crawlee/cheerio");
  const source = await loadFixtureSource(site, origin);
  const host = origin.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  // The source's path patterns ("^/shop/p/…"), anchored on the origin, as Crawlee matches whole URLs.
  const regexps = [
    ...(source.links.listings?.patterns ?? []),
    ...(source.links.pagination?.patterns ?? []),
  ].map((pattern) => new RegExp(`^${host}${pattern.replace(/^\^/, "")}`, "i"));
  const loadedRssMiB = mib(process.memoryUsage.rss());
  let pages = 0;
  const crawler = new CheerioCrawler(
    {
      minConcurrency: concurrency,
      maxConcurrency: concurrency,
      maxRequestRetries: 2,
      requestHandlerTimeoutSecs: 30,
      navigationTimeoutSecs: 10,
      respectRobotsTxtFile: true,
      requestHandler: async ({ enqueueLinks, $ }) => {
        pages++;
        $("title").text();
        await enqueueLinks({ regexps });
      },
      failedRequestHandler: () => {
        pages++;
      },
    },
    new Configuration({ persistStorage: true, purgeOnStart: true }),
  );
  process.stdout.write(startLine);
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  await crawler.run(source.seeds);
  const elapsedMs = performance.now() - started;
  return { pages, elapsedMs, peakRssMiB: peakRssMiB(), loadedRssMiB, cpuMs: cpuMsSince(cpuStart) };
}

interface Run {
  readonly measured: Measured;
  /** CPU time of this process, which serves the fixture web, over the crawl: is the server a bottleneck? */
  readonly serverCpuMs: number;
  /** The server's event-loop utilisation over the crawl (1 = never idle). */
  readonly serverEventLoop: number;
}

/**
 * One crawler over a fixture web of its own: the web keeps state between crawls (a rate-limited page answers 429 to
 * its first request only, rendered pages are cached, the compression bombs are built on first request), so a
 * crawler sharing it with one that went before would meet no 429s and a warm server.
 */
async function measure(role: "wildtrawl" | "crawlee"): Promise<Run> {
  const web = await startFixtureWeb({ port: 0 });
  const directory = await mkdtemp(path.join(tmpdir(), `wildtrawl-bench-${role}-`));
  try {
    const child = spawn(process.execPath, [self], {
      env: { ...process.env, [roleVariable]: role, ORIGIN: web.origin(), WORK_DIR: directory },
      stdio: ["ignore", "pipe", "inherit"],
    });
    // The server's share is taken between the child's START (its clock starting) and its RESULT.
    let cpuStart: NodeJS.CpuUsage | undefined;
    let loopStart: EventLoopUtilization | undefined;
    let server: Omit<Run, "measured"> | undefined;
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (!cpuStart && out.includes(startLine)) {
        cpuStart = process.cpuUsage();
        loopStart = performance.eventLoopUtilization();
      }
      if (cpuStart && !server && out.includes("RESULT ")) {
        server = {
          serverCpuMs: cpuMsSince(cpuStart),
          serverEventLoop: performance.eventLoopUtilization(loopStart).utilization,
        };
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    const line = out.split("\n").find((text) => text.startsWith("RESULT "));
    if (code !== 0 || !line || !server) throw new Error(`${role} exited with ${code}: ${out.slice(-2000)}`);
    return { measured: JSON.parse(line.slice("RESULT ".length)) as Measured, ...server };
  } finally {
    await web.close();
    await rm(directory, { recursive: true, force: true });
  }
}

async function crashRun(kills: number) {
  const { openStore } = await import("../src/storage/open-store.ts");
  const web = await startFixtureWeb({ port: 0, slowPageDelayMs: 20 });
  const directory = await mkdtemp(path.join(tmpdir(), "wildtrawl-bench-crash-"));
  const script = fileURLToPath(new URL("../src/trawl/trawl-test-process.ts", import.meta.url));
  const databaseUrl = process.env.WILDTRAWL_TEST_POSTGRES_URL ?? path.join(directory, "crash.db");
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    ORIGIN: web.origin(),
    WARC_DIR: path.join(directory, "warc"),
    SITE: site,
    LEASE_MS: "1000",
  };
  try {
    let landed = 0;
    // A run is killed at a random moment within this long of its first visit. The whole site takes about half a
    // minute of crawling, so the kills (~0.5 s of progress each on average) land before the trawl is done.
    const killWithinMs = 1_000;
    const runOnce = (kill: boolean) =>
      new Promise<"killed" | "finished" | "exited">((resolve) => {
        const child = spawn(process.execPath, [script], { env, stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        let timer: NodeJS.Timeout | undefined;
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (kill && !timer && out.includes("visit ")) {
            timer = setTimeout(() => child.kill("SIGKILL"), Math.random() * killWithinMs);
          }
        });
        child.on("exit", (_code, signal) => {
          clearTimeout(timer);
          if (out.includes("summary ")) resolve("finished");
          else resolve(signal === "SIGKILL" ? "killed" : "exited");
        });
      });
    // Until the kills asked for have landed, or a run finished the site first (later runs would find nothing
    // left to kill), then once more without a kill so that whatever a killed run left is done.
    let finished = false;
    while (landed < kills && !finished) {
      const outcome = await runOnce(true);
      if (outcome === "killed") landed++;
      finished = outcome === "finished";
    }
    await runOnce(false);
    const store = await openStore(databaseUrl);
    const [source] = await store.sources.list();
    const seen = new Map<string, number>();
    let cursor: string | undefined;
    do {
      const page = await store.listings.search({
        sourceId: source!.id,
        limit: 500,
        ...(cursor ? { cursor } : {}),
      });
      for (const listing of page.items) {
        const id = web.oracle.byPath(listing.url)?.id ?? listing.url;
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    await store.close();
    const expected = web.oracle.listings.filter((listing) => listing.site === site).length;
    const twice = [...seen.values()].filter((count) => count > 1).length;
    console.log(
      `crash run (${site}, ${process.env.WILDTRAWL_TEST_POSTGRES_URL ? "PostgreSQL" : "SQLite"}): ` +
        `${landed} of ${kills} SIGKILLs landed${finished ? " before a run finished the site" : ""}, ` +
        `${seen.size}/${expected} listings stored, ${twice} stored twice → ${seen.size === expected && twice === 0 ? "PASS" : "FAIL"}`,
    );
  } finally {
    await web.close();
    await rm(directory, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  console.log(`fixture web ${site} at concurrency ${concurrency}, each crawler in its own process`);
  const ours = await measure("wildtrawl");
  const theirs = await measure("crawlee");
  const rate = (m: Measured) => (m.pages * 1000) / m.elapsedMs;
  for (const [name, { measured: m, serverCpuMs, serverEventLoop }] of [
    ["wildtrawl (WARC + extraction + detection + SQLite)", ours],
    ["Crawlee CheerioCrawler (fetch + parse + links)", theirs],
  ] as const) {
    console.log(
      `${name}: ${m.pages} pages in ${(m.elapsedMs / 1000).toFixed(1)} s = ${rate(m).toFixed(1)} pages/s; ` +
        `CPU ${(m.cpuMs / m.pages).toFixed(1)} ms a page (${((100 * m.cpuMs) / m.elapsedMs).toFixed(0)}% of a core); ` +
        `RSS loaded ${m.loadedRssMiB} MiB, peak ${m.peakRssMiB} MiB; ` +
        `fixture web CPU ${(serverCpuMs / 1000).toFixed(1)} s, event loop ${(100 * serverEventLoop).toFixed(0)}% busy`,
    );
  }
  const speed = rate(ours.measured) / rate(theirs.measured);
  const memory = ours.measured.peakRssMiB / theirs.measured.peakRssMiB;
  console.log(`pages/s ratio ${speed.toFixed(2)}× (goal ≥ 1.5×) → ${speed >= 1.5 ? "MET" : "NOT MET"}`);
  console.log(`peak memory ratio ${memory.toFixed(2)}× (goal ≤ 1.0×) → ${memory <= 1 ? "MET" : "NOT MET"}`);
  const kills = Number(process.env.WILDTRAWL_BENCH_CRASH_KILLS ?? 0);
  if (kills > 0) await crashRun(kills);
}

const role = process.env[roleVariable];
if (role === "wildtrawl" || role === "crawlee") {
  const measured =
    role === "wildtrawl"
      ? await wildtrawlRole(process.env.ORIGIN!, process.env.WORK_DIR!)
      : await crawleeRole(process.env.ORIGIN!, process.env.WORK_DIR!);
  process.stdout.write(`RESULT ${JSON.stringify(measured)}\n`);
  process.exit(0);
} else if (import.meta.main) {
  await run();
}
