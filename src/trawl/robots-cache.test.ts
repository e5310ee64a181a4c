import assert from "node:assert/strict";
import type http from "node:http";
import { after, before, describe, it } from "node:test";
import { createFetcher, type FetcherOptions } from "./fetcher.ts";
import { FetchError } from "./fetch-errors.ts";
import { RobotsCache, parseRobots } from "./robots-cache.ts";
import { startTestServer, type TestServer } from "./test-server.ts";

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "fetched";
  } catch (error) {
    assert.ok(error instanceof FetchError, String(error));
    return error.code;
  }
}

describe("robots.txt", () => {
  let robotsHandler: http.RequestListener = (_request, response) => response.writeHead(404).end();
  const hits: Array<{ path: string; at: number }> = [];
  let server: TestServer;

  before(async () => {
    server = await startTestServer((request, response) => {
      const path = new URL(request.url ?? "/", "http://x").pathname;
      hits.push({ path, at: performance.now() });
      if (path === "/robots.txt") return robotsHandler(request, response);
      if (path === "/moved-to-secret") return response.writeHead(301, { location: "/secret/page" }).end();
      response.writeHead(200, { "content-type": "text/html" }).end(`<p>${path}</p>`);
    });
  });
  after(() => server.close());

  const fetcher = (overrides: Partial<FetcherOptions> = {}) =>
    createFetcher({
      userAgent: "WildTrawl-Test/1.0 (+https://example.org/bot)",
      allowPrivateNetwork: true,
      requestsPerSecondPerHost: 1000,
      backoffBaseMs: 20,
      ...overrides,
    });
  const pathsHit = () => hits.map((hit) => hit.path);

  it("allows and denies by the group for our user agent, fetching robots.txt once", async () => {
    hits.length = 0;
    robotsHandler = (_request, response) =>
      response
        .writeHead(200, { "content-type": "text/plain" })
        .end(
          [
            "User-agent: *",
            "Disallow: /",
            "",
            "User-agent: wildtrawl-test",
            "Disallow: /secret",
            "Allow: /secret/public",
          ].join("\n"),
        );
    const client = fetcher();
    assert.equal((await client.fetch(server.url("/listing/1"))).status, 200);
    assert.equal(await code(client.fetch(server.url("/secret/page"))), "robots_disallowed");
    assert.equal((await client.fetch(server.url("/secret/public/2"))).status, 200);
    assert.equal(await code(client.fetch(server.url("/moved-to-secret"))), "robots_disallowed");
    await Promise.all([client.fetch(server.url("/a")), client.fetch(server.url("/b"))]);
    client.close();
    assert.equal(pathsHit().filter((path) => path === "/robots.txt").length, 1);
    assert.ok(!pathsHit().includes("/secret/page"), "a disallowed page is never requested");
  });

  it("allows everything when robots.txt is missing (4xx)", async () => {
    robotsHandler = (_request, response) => response.writeHead(404).end();
    const client = fetcher();
    assert.equal((await client.fetch(server.url("/secret/page"))).status, 200);
    client.close();
  });

  it("fetches nothing when robots.txt fails with a server error", async () => {
    hits.length = 0;
    robotsHandler = (_request, response) => response.writeHead(500).end();
    const client = fetcher();
    assert.equal(await code(client.fetch(server.url("/listing/1"))), "robots_disallowed");
    client.close();
    assert.ok(!pathsHit().includes("/listing/1"));
  });

  it("respects Crawl-delay between requests to the host", async () => {
    hits.length = 0;
    robotsHandler = (_request, response) => response.end("User-agent: *\nCrawl-delay: 1\n");
    const client = fetcher();
    await Promise.all([
      client.fetch(server.url("/p1")),
      client.fetch(server.url("/p2")),
      client.fetch(server.url("/p3")),
    ]);
    client.close();
    const pages = hits.filter((hit) => hit.path !== "/robots.txt").map((hit) => hit.at);
    assert.equal(pages.length, 3);
    for (let i = 1; i < pages.length; i++) {
      const gap = (pages[i] ?? 0) - (pages[i - 1] ?? 0);
      // Arrivals, not starts, are timed here: a busy event loop can delay one arrival more than the next.
      assert.ok(gap >= 900, `gap of ${Math.round(gap)} ms`);
    }
  });

  it("can be switched off for sources that have permission", async () => {
    hits.length = 0;
    robotsHandler = (_request, response) => response.end("User-agent: *\nDisallow: /\n");
    const client = fetcher({ respectRobotsTxt: false });
    assert.equal((await client.fetch(server.url("/anything"))).status, 200);
    client.close();
    assert.ok(!pathsHit().includes("/robots.txt"));
  });

  describe("cache", () => {
    it("expires entries after their TTL and keeps the last good copy when the server fails", async () => {
      let clock = 0;
      let status = 200;
      let loads = 0;
      const cache = new RobotsCache({
        userAgent: "wildtrawl",
        ttlMs: 1000,
        failureTtlMs: 100,
        maxOrigins: 10,
        now: () => clock,
        load: async () => {
          loads++;
          return { status, text: "User-agent: *\nDisallow: /private\n" };
        },
      });
      const page = new URL("http://shop.test/private/x");
      assert.equal((await cache.rulesFor(page)).isAllowed(page), false);
      clock = 500;
      await cache.rulesFor(page);
      assert.equal(loads, 1);
      clock = 1500;
      status = 503;
      const stale = await cache.rulesFor(page);
      assert.equal(loads, 2);
      assert.equal(stale.kind, "fetched", "the last good copy is kept through an outage");
      assert.equal(stale.isAllowed(new URL("http://shop.test/public")), true);
    });

    it("loads one origin once for simultaneous callers", async () => {
      let loads = 0;
      const cache = new RobotsCache({
        userAgent: "wildtrawl",
        ttlMs: 1000,
        failureTtlMs: 100,
        maxOrigins: 10,
        now: () => 0,
        load: async () => {
          loads++;
          await new Promise((resolve) => setTimeout(resolve, 20));
          return { status: 200, text: "" };
        },
      });
      await Promise.all(
        Array.from({ length: 5 }, (_, i) => cache.rulesFor(new URL(`http://shop.test/${i}`))),
      );
      assert.equal(loads, 1);
    });

    it("reads crawl-delay for the matching group", () => {
      const rules = parseRobots(
        new URL("http://shop.test/robots.txt"),
        "User-agent: *\nCrawl-delay: 5\n\nUser-agent: wildtrawl\nCrawl-delay: 2.5\n",
        "wildtrawl/0.1",
      );
      assert.equal(rules.crawlDelayMs, 2500);
    });
  });
});
