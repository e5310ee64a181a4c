// The HTTP API under load: autocannon in this process against `wildtrawl serve` in a child process. It measures
// POST /v1/screen with real adverts beside GET /v1/health (a route of the same server answering a constant), p99 at
// half the maximum screening rate, and the batch route in listings per second. Goals (issue 7): screening at least
// 70% of the bare route's rate; p99 under 15 ms at half the maximum rate; batch at least 30,000 listings/s.
//
// Run alone: `npm run bench api` (or `node bench/api.ts`).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createAccessService } from "../src/services/access.ts";
import { createAdministrationService } from "../src/services/administration.ts";
import { openStore } from "../src/storage/open-store.ts";

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
interface AutocannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  pipelining?: number;
  duration: number;
  overallRate?: number;
  requests: AutocannonRequest[];
}) => Promise<AutocannonResult>;

// autocannon ships no types; this is the slice of it used here.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const seconds = Number(process.env.BENCH_SECONDS ?? 10);

function realAdverts(): string[] {
  const files = [
    path.join(root, "..", "shared", "eval", "dev.jsonl"),
    path.join(root, "test/fixtures/detection/cases.jsonl"),
  ];
  const texts: string[] = [];
  for (const file of files.filter(existsSync)) {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      const text = (JSON.parse(line) as { text?: string }).text;
      if (text && text.length >= 20) texts.push(text.slice(0, 5_000));
    }
  }
  return texts;
}

async function startServer(databaseUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const script = `
    const { createProgram, runProgram } = await import(${JSON.stringify(new URL("../src/cli/program.ts", import.meta.url).href)});
    const { registerServeCommands } = await import(${JSON.stringify(new URL("../src/cli/serve-command.ts", import.meta.url).href)});
    const { loadConfig } = await import(${JSON.stringify(new URL("../src/config.ts", import.meta.url).href)});
    const context = { config: loadConfig(process.env), version: "bench", stdout: process.stdout, stderr: process.stderr, now: () => new Date() };
    const program = createProgram(context, [(p) => registerServeCommands(p, context)]);
    process.exitCode = await runProgram(program, ["serve", "--port", "0", "--quiet", "--rate-limit", "1000000000"], context);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, WILDTRAWL_DATABASE_URL: databaseUrl },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/[^\s/]+)/.exec(seen);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`the server exited (${code}) before listening`)));
  });
  return { child, url };
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

export async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "wildtrawl-bench-api-"));
  const databaseUrl = path.join(dir, "bench.db");
  const store = await openStore(databaseUrl);
  const clock = () => new Date();
  const administration = createAdministrationService({
    store,
    access: createAccessService({ store, clock }),
    clock,
  });
  await administration.initialise({
    organisationSlug: "bench",
    organisationName: "Bench",
    adminEmail: "admin@bench.example",
    adminName: "Admin",
  });
  const { secret } = await administration.createKeyForOrganisation("bench", {
    name: "bench",
    role: "platform_officer",
  });
  await store.close();

  const adverts = realAdverts();
  const meanLength = adverts.reduce((sum, text) => sum + text.length, 0) / adverts.length;
  const headers = { authorization: `Bearer ${secret}`, "content-type": "application/json" };
  const screenRequests = adverts.map((text, i) => ({
    method: "POST",
    path: "/v1/screen",
    headers,
    body: JSON.stringify({ id: `ad-${i}`, text, context: i % 2 === 0 ? "listing" : "post" }),
  }));
  const batchSize = 1_000;
  const batchRequests = [0, 1, 2].map((offset) => ({
    method: "POST",
    path: "/v1/screen/batch",
    headers,
    body: JSON.stringify({
      listings: Array.from({ length: batchSize }, (_, i) => ({
        text: adverts[(offset * batchSize + i) % adverts.length]!,
      })),
    }),
  }));

  const { child, url } = await startServer(databaseUrl);
  try {
    const load = async (
      requests: AutocannonRequest[],
      options: { duration?: number; connections?: number; overallRate?: number } = {},
    ) => {
      const result = await autocannon({
        url,
        connections: options.connections ?? 16,
        duration: options.duration ?? seconds,
        requests,
        ...(options.overallRate ? { overallRate: options.overallRate } : {}),
      });
      if (result.non2xx > 0 || result.errors > 0)
        console.log(`  (${result.non2xx} non-2xx, ${result.errors} errors)`);
      return result;
    };
    console.log(
      `${adverts.length} real adverts, mean ${Math.round(meanLength)} characters; server in a child process; ${seconds} s per run`,
    );
    await load(screenRequests, { duration: 3 }); // warm-up: JIT and caches
    const bare = await load([{ method: "GET", path: "/v1/health" }]);
    const screen = await load(screenRequests);
    const ratio = screen.requests.average / bare.requests.average;
    console.log(
      `GET /v1/health (constant): ${Math.round(bare.requests.average)} req/s, p50 ${ms(bare.latency.p50)}, p99 ${ms(bare.latency.p99)}`,
    );
    console.log(
      `POST /v1/screen:           ${Math.round(screen.requests.average)} req/s, p50 ${ms(screen.latency.p50)}, p99 ${ms(screen.latency.p99)}`,
    );
    console.log(
      `screening / bare route: ${(ratio * 100).toFixed(1)}% (goal ≥ 70%) ${ratio >= 0.7 ? "MET" : "NOT MET"}`,
    );
    const halfRate = Math.max(1, Math.round(screen.requests.average / 2));
    const half = await load(screenRequests, { overallRate: halfRate, connections: 8 });
    console.log(
      `POST /v1/screen at ${halfRate} req/s (half the maximum): p50 ${ms(half.latency.p50)}, p99 ${ms(half.latency.p99)} (goal < 15 ms) ${half.latency.p99 < 15 ? "MET" : "NOT MET"}`,
    );
    const batch = await load(batchRequests, { connections: 2 });
    const perSecond = batch.requests.average * batchSize;
    console.log(
      `POST /v1/screen/batch (${batchSize} a request): ${Math.round(perSecond)} listings/s, p50 ${ms(batch.latency.p50)}, p99 ${ms(batch.latency.p99)} (goal ≥ 30,000) ${perSecond >= 30_000 ? "MET" : "NOT MET"}`,
    );
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
