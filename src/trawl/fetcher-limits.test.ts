import assert from "node:assert/strict";
import type http from "node:http";
import net, { type AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import zlib from "node:zlib";
import { createFetcher, type FetcherOptions } from "./fetcher.ts";
import { FetchError } from "./fetch-errors.ts";
import { startTestServer, type TestServer } from "./test-server.ts";

// RELIABILITY H2: bombs, trickles and endless bodies are each stopped within their limit (+1 s), memory stays flat,
// and the error code says which limit.
const MiB = 1024 * 1024;

async function compressZeros(
  totalBytes: number,
  compressor: zlib.Gzip | zlib.BrotliCompress,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  compressor.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((resolve) => compressor.on("end", resolve));
  const zeros = Buffer.alloc(MiB);
  for (let written = 0; written < totalBytes; written += zeros.length) {
    if (!compressor.write(zeros)) await new Promise((resolve) => compressor.once("drain", resolve));
  }
  compressor.end();
  await done;
  return Buffer.concat(chunks);
}

async function failure(promise: Promise<unknown>): Promise<FetchError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FetchError, String(error));
    return error;
  }
  assert.fail("expected the fetch to fail");
}

describe("fetcher limits", () => {
  let server: TestServer;
  let gzipBomb: Buffer;
  let brotliBomb: Buffer;
  const routes = new Map<string, http.RequestListener>();

  before(async () => {
    gzipBomb = await compressZeros(200 * MiB, zlib.createGzip({ level: 9 }));
    brotliBomb = await compressZeros(
      200 * MiB,
      zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }),
    );
    server = await startTestServer((request, response) => {
      const handler = routes.get(new URL(request.url ?? "/", "http://x").pathname);
      if (handler) handler(request, response);
      else response.writeHead(404).end();
    });
  });
  after(() => server.close());

  const fetcher = (overrides: Partial<FetcherOptions> = {}) =>
    createFetcher({
      userAgent: "wildtrawl-test/1.0",
      allowPrivateNetwork: true,
      respectRobotsTxt: false,
      requestsPerSecondPerHost: 1000,
      backoffBaseMs: 20,
      ...overrides,
    });

  for (const [name, coding, bomb] of [
    ["a 204 KB gzip of 200 MiB of zeros", "gzip", () => gzipBomb],
    ["a brotli bomb", "br", () => brotliBomb],
  ] as const) {
    it(`stops ${name} at the decompressed cap, with flat memory`, async () => {
      routes.set(`/bomb-${coding}`, (_request, response) => {
        response.writeHead(200, { "content-type": "text/html", "content-encoding": coding }).end(bomb());
      });
      // Without the ratio guard, so that the cap itself is what stops it.
      const client = fetcher({
        maxBodyBytes: 20 * MiB,
        maxCompressionRatio: Number.MAX_SAFE_INTEGER,
        maxAttempts: 1,
      });
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      const started = performance.now();
      const error = await failure(client.fetch(server.url(`/bomb-${coding}`)));
      const elapsed = performance.now() - started;
      const rssGrowth = process.memoryUsage().rss - rssBefore;
      client.close();
      assert.equal(error.code, "body_too_large");
      assert.ok(elapsed < 10_000, `took ${Math.round(elapsed)} ms`);
      assert.ok(rssGrowth < 64 * MiB, `RSS grew by ${Math.round(rssGrowth / MiB)} MiB`);
      if (coding === "gzip") assert.ok(gzipBomb.length < 250_000, `${gzipBomb.length} bytes`);
    });
  }

  it("stops a bomb early on its compression ratio", async () => {
    routes.set("/bomb-ratio", (_request, response) => {
      response.writeHead(200, { "content-type": "text/html", "content-encoding": "gzip" }).end(gzipBomb);
    });
    const client = fetcher({ maxAttempts: 1 });
    const error = await failure(client.fetch(server.url("/bomb-ratio")));
    client.close();
    assert.equal(error.code, "body_too_large");
    assert.match(error.message, /compression bomb/);
  });

  it("stops an endless chunked body at the wire cap", async () => {
    let closed = false;
    routes.set("/endless", (_request, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (!closed && response.write(chunk));
        if (!closed) response.once("drain", pump);
      };
      response.on("close", () => (closed = true));
      pump();
    });
    const client = fetcher({ maxWireBytes: 5 * MiB, maxBodyBytes: 5 * MiB, maxAttempts: 1 });
    const error = await failure(client.fetch(server.url("/endless")));
    client.close();
    assert.equal(error.code, "body_too_large");
  });

  it("stops a 1 byte/s trickle at the total timeout (+1 s)", async () => {
    routes.set("/trickle", (_request, response) => {
      response.writeHead(200, { "content-type": "text/html", "content-length": "100000" });
      const timer = setInterval(() => response.write("x"), 1000);
      response.on("close", () => clearInterval(timer));
    });
    const client = fetcher({ totalTimeoutMs: 3000, idleTimeoutMs: 5000, maxAttempts: 3 });
    const started = performance.now();
    const error = await failure(client.fetch(server.url("/trickle")));
    const elapsed = performance.now() - started;
    client.close();
    assert.equal(error.code, "total_timeout");
    assert.equal(error.retryable, false, "a trickle is not retried at once");
    assert.ok(elapsed < 3000 + 1000, `took ${Math.round(elapsed)} ms`);
  });

  it("times out a server that never sends headers", async () => {
    routes.set("/silent", () => undefined);
    const client = fetcher({ headersTimeoutMs: 300, maxAttempts: 1 });
    const error = await failure(client.fetch(server.url("/silent")));
    client.close();
    assert.equal(error.code, "headers_timeout");
    assert.equal(error.retryable, true);
  });

  it("times out a body that stalls between chunks", async () => {
    routes.set("/stall", (_request, response) => {
      response.writeHead(200, { "content-type": "text/html", "content-length": "100" });
      response.write("<p>");
    });
    const client = fetcher({ idleTimeoutMs: 300, maxAttempts: 2 });
    const error = await failure(client.fetch(server.url("/stall")));
    client.close();
    assert.equal(error.code, "idle_timeout");
  });

  it("times out a connection whose TLS handshake never completes", async () => {
    // TCP connects, but the server never answers the ClientHello: only the connect timeout can end it.
    const mute = net.createServer(() => undefined);
    await new Promise<void>((resolve) => mute.listen(0, "127.0.0.1", resolve));
    const port = (mute.address() as AddressInfo).port;
    const client = fetcher({ connectTimeoutMs: 300, maxAttempts: 1 });
    const started = performance.now();
    const error = await failure(client.fetch(new URL(`https://127.0.0.1:${port}/`)));
    client.close();
    mute.close();
    assert.equal(error.code, "connect_timeout");
    assert.ok(performance.now() - started < 300 + 1000);
  });

  it("reports a TLS failure as such and does not retry it", async () => {
    const client = fetcher();
    const error = await failure(client.fetch(new URL(`https://127.0.0.1:${server.port}/`)));
    client.close();
    assert.equal(error.code, "tls_error");
    assert.equal(error.retryable, false);
  });

  it("lets a caller raise the cap for one request", async () => {
    routes.set("/big", (_request, response) => response.writeHead(200).end(Buffer.alloc(2 * MiB, 0x62)));
    const client = fetcher({ maxBodyBytes: MiB, maxWireBytes: MiB });
    assert.equal((await failure(client.fetch(server.url("/big")))).code, "body_too_large");
    const result = await client.fetch(server.url("/big"), { maxBodyBytes: 3 * MiB });
    client.close();
    assert.equal(result.body.length, 2 * MiB);
  });
});
