// The HTTP client: requests per second and MB/s against a local server, with WARC writing off and on, beside
// Node's built-in fetch (undici) as the reference. The server runs in a child process so that it does not share
// the client's core.
import { fork, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { createFetcher } from "../src/trawl/fetcher.ts";
import { WarcWriter } from "../src/trawl/warc-writer.ts";

const pageCount = 200;
const requests = 2_000;
const concurrency = 16;
const rounds = 3;
const serverRole = "WILDTRAWL_BENCH_FETCH_SERVER";

/** Listing-like pages of about 40 KB, gzipped (to about a quarter) as most marketplaces serve them. */
function makePages(): Buffer[] {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const vocabulary = Array.from({ length: 5000 }, () =>
    Array.from({ length: 3 + Math.floor(random() * 8) }, () =>
      String.fromCharCode(97 + Math.floor(random() * 26)),
    ).join(""),
  );
  return Array.from({ length: pageCount }, (_, page) => {
    const paragraphs = Array.from({ length: 60 }, (_, p) => {
      const text = Array.from(
        { length: 80 },
        () => vocabulary[Math.floor(random() * vocabulary.length)],
      ).join(" ");
      return `<p class="desc-${p}">${text}</p>`;
    });
    return gzipSync(
      `<!doctype html><html><head><title>Listing ${page}</title></head><body>${paragraphs.join("")}</body></html>`,
    );
  });
}

function startServer() {
  const pages = makePages();
  const server = http.createServer((request, response) => {
    const index = Number(new URL(request.url ?? "/", "http://x").pathname.slice(1)) % pageCount;
    response.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "content-encoding": "gzip",
      "content-length": pages[index]?.length ?? 0,
    });
    response.end(pages[index]);
  });
  server.keepAliveTimeout = 10_000;
  server.listen(0, "127.0.0.1", () => process.send?.({ port: (server.address() as AddressInfo).port }));
}

if (process.env[serverRole]) startServer();

interface Contender {
  readonly label: string;
  readonly fetchOne: (index: number) => Promise<{ wire: number; body: number }>;
  readonly rates: number[];
  wire: number;
  body: number;
}

async function timeRound(contender: Contender) {
  let next = 0;
  let wire = 0;
  let body = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const sizes = await contender.fetchOne(next++);
        wire += sizes.wire;
        body += sizes.body;
      }
    }),
  );
  contender.rates.push(requests / ((performance.now() - started) / 1000));
  contender.wire = wire / requests;
  contender.body = body / requests;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

export async function run(): Promise<void> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [serverRole]: "1" },
    // Not the parent's flags: the bench runner starts it with --input-type, which a file entry point refuses.
    execArgv: [],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve) =>
    child.once("message", (m) => resolve((m as { port: number }).port)),
  );
  const base = `http://127.0.0.1:${port}/`;
  const warcDirectory = await mkdtemp(path.join(tmpdir(), "wildtrawl-bench-fetch-"));
  const options = {
    userAgent: "wildtrawl-bench/1.0",
    allowPrivateNetwork: true,
    respectRobotsTxt: false,
    requestsPerSecondPerHost: 1e9,
    maxConcurrentPerHost: concurrency,
  };
  const plain = createFetcher(options);
  const warc = new WarcWriter({ directory: warcDirectory, software: "wildtrawl-bench/1.0" });
  const archiving = createFetcher({ ...options, warc });
  const contender = (label: string, fetchOne: Contender["fetchOne"]): Contender => ({
    label,
    fetchOne,
    rates: [],
    wire: 0,
    body: 0,
  });
  const contenders = [
    contender("node fetch (undici), reference", async (i) => {
      const response = await fetch(`${base}${i}`);
      const bytes = await response.arrayBuffer();
      return { wire: Number(response.headers.get("content-length")), body: bytes.byteLength };
    }),
    contender("wildtrawl fetcher, WARC off", async (i) => {
      const result = await plain.fetch(new URL(`${base}${i}`));
      return { wire: result.wireBytes, body: result.body.length };
    }),
    contender("wildtrawl fetcher, WARC on", async (i) => {
      const result = await archiving.fetch(new URL(`${base}${i}`));
      return { wire: result.wireBytes, body: result.body.length };
    }),
  ];
  try {
    // Warm the connections and the JIT first, so no contender pays for them in its figures; then alternate the
    // contenders over several rounds and keep each one's median, as a 2-core machine is noisy.
    for (const c of contenders) for (let i = 0; i < 200; i++) await c.fetchOne(i);
    for (let round = 0; round < rounds; round++) for (const c of contenders) await timeRound(c);
    await warc.close();
    let warcBytes = 0;
    for (const file of await readdir(warcDirectory))
      warcBytes += (await stat(path.join(warcDirectory, file))).size;

    const [reference, off, on] = contenders.map((c) => median(c.rates)) as [number, number, number];
    const sample = contenders[1] as Contender;
    console.log(
      `fetch: ${requests} requests × ${rounds} rounds, ${concurrency} in flight to one host on 127.0.0.1; pages of ` +
        `${(sample.body / 1000).toFixed(0)} KB, gzipped to ${(sample.wire / 1000).toFixed(0)} KB on the wire (median of the rounds)`,
    );
    for (const c of contenders) {
      const rate = median(c.rates);
      console.log(
        `  ${c.label.padEnd(32)} ${rate.toFixed(0).padStart(6)} req/s  ${((rate * c.body) / 1e6).toFixed(1).padStart(6)} MB/s decoded  ` +
          `${((rate * c.wire) / 1e6).toFixed(1).padStart(5)} MB/s on the wire`,
      );
    }
    console.log(
      `  WARC writing costs ${((1 - on / off) * 100).toFixed(0)}% of the rate (${(warcBytes / 1e6).toFixed(0)} MB of WARC ` +
        `written); WARC off runs at ${((off / reference) * 100).toFixed(0)}% of undici's rate, while also hashing, ` +
        `decoding charsets and enforcing its limits`,
    );
  } finally {
    plain.close();
    archiving.close();
    child.kill();
    await rm(warcDirectory, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && !process.env[serverRole]) await run();
