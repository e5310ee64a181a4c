import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createFetcher } from "./fetcher.ts";
import { FetchError } from "./fetch-errors.ts";
import { startTestServer, type TestServer } from "./test-server.ts";

// RELIABILITY H1: a corpus of hostile destinations, each refused with `ssrf_blocked`, and a canary listening on
// every local address that must see no connection at all.

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "fetched";
  } catch (error) {
    assert.ok(error instanceof FetchError, String(error));
    return error.code;
  }
}

/** A pretend DNS: names used by the corpus, and nothing else (no test touches the real network). */
function testResolver(calls: string[] = []) {
  const zone: Record<string, readonly string[]> = {
    localhost: ["127.0.0.1", "::1"],
    "internal.test": ["10.0.0.5"],
    "router.test": ["192.168.0.1"],
    "metadata.test": ["169.254.169.254"],
    "cgnat.test": ["100.64.0.1"],
    "ula.test": ["fd00::1"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "nat64.test": ["64:ff9b::7f00:1"],
    // One public and one private address: any bad address is enough to refuse.
    "mixed.test": ["93.184.216.34", "127.0.0.1"],
    "mixed6.test": ["2606:4700:4700::1111", "::1"],
  };
  return async (hostname: string) => {
    calls.push(hostname);
    const addresses = zone[hostname];
    if (!addresses) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return addresses;
  };
}

describe("SSRF protection", () => {
  let canary: TestServer;
  let origin: TestServer;

  before(async () => {
    // Dual-stack wildcard: catches 127.x, ::1, 0.0.0.0 and IPv4-mapped connections on its port.
    canary = await startTestServer((_request, response) => response.end("canary"), { host: "::" }).catch(() =>
      startTestServer((_request, response) => response.end("canary"), { host: "0.0.0.0" }),
    );
    origin = await startTestServer((request, response) => {
      const target = new URL(request.url ?? "/", "http://x").searchParams.get("to");
      if (target) response.writeHead(302, { location: target }).end();
      else response.end("origin");
    });
  });
  after(async () => {
    await canary.close();
    await origin.close();
  });

  it("refuses a corpus of 40+ internal destinations without a single connection", async () => {
    const p = canary.port;
    const corpus = [
      `http://127.0.0.1:${p}/`,
      `http://127.1:${p}/`,
      `http://127.0.1:${p}/`,
      `http://0x7f000001:${p}/`,
      `http://0x7f.1:${p}/`,
      `http://2130706433:${p}/`,
      `http://017700000001:${p}/`,
      `http://0177.0.0.1:${p}/`,
      `http://127.0.0.1.:${p}/`,
      `http://127.127.127.127:${p}/`,
      `http://0.0.0.0:${p}/`,
      `http://0:${p}/`,
      `http://0x:${p}/`,
      `http://[::1]:${p}/`,
      `http://[0:0:0:0:0:0:0:1]:${p}/`,
      `http://[::]:${p}/`,
      `http://[::ffff:127.0.0.1]:${p}/`,
      `http://[::ffff:7f00:1]:${p}/`,
      `http://[::127.0.0.1]:${p}/`,
      `http://[64:ff9b::7f00:1]:${p}/`,
      `http://[2002:7f00:1::]:${p}/`,
      `http://[fe80::1]:${p}/`,
      `http://[fd00::1]:${p}/`,
      `http://[ff02::1]:${p}/`,
      `http://169.254.169.254:${p}/latest/meta-data/`,
      `http://0xa9fea9fe:${p}/`,
      `http://10.0.0.1:${p}/`,
      `http://172.16.0.1:${p}/`,
      `http://192.168.0.1:${p}/`,
      `http://3232235521:${p}/`,
      `http://100.64.0.1:${p}/`,
      `http://198.18.0.1:${p}/`,
      `http://224.0.0.1:${p}/`,
      `http://255.255.255.255:${p}/`,
      `https://127.0.0.1:${p}/`,
      `http://localhost:${p}/`,
      `http://LOCALHOST:${p}/`,
      `http://internal.test:${p}/`,
      `http://router.test:${p}/`,
      `http://metadata.test:${p}/`,
      `http://cgnat.test:${p}/`,
      `http://ula.test:${p}/`,
      `http://mapped.test:${p}/`,
      `http://nat64.test:${p}/`,
      `http://mixed.test:${p}/`,
      `http://mixed6.test:${p}/`,
    ];
    assert.ok(corpus.length >= 40);
    const fetcher = createFetcher({
      userAgent: "wildtrawl-test/1.0",
      allowedPorts: [p],
      resolve: testResolver(),
      requestsPerSecondPerHost: 1000,
    });
    const codes = await Promise.all(
      corpus.map(async (url) => [url, await code(fetcher.fetch(new URL(url)))]),
    );
    fetcher.close();
    assert.deepEqual(
      codes.filter(([, c]) => c !== "ssrf_blocked"),
      [],
    );
    assert.equal(canary.connections(), 0);
    // The canary is live: the same request with the private network allowed does reach it.
    const open = createFetcher({
      userAgent: "wildtrawl-test/1.0",
      allowPrivateNetwork: true,
      respectRobotsTxt: false,
    });
    await open.fetch(new URL(`http://127.1:${p}/`));
    open.close();
    assert.equal(canary.connections(), 1);
  });

  it("re-checks every redirect hop", async () => {
    const p = canary.port;
    const fetcher = createFetcher({
      userAgent: "wildtrawl-test/1.0",
      // The origin itself is allowed by name, as a source can allow one intranet host; nothing else is.
      allowedPrivateRanges: ["127.0.0.1/32"],
      allowedPorts: [origin.port, p],
      resolve: testResolver(),
      respectRobotsTxt: false,
      requestsPerSecondPerHost: 1000,
    });
    assert.equal((await fetcher.fetch(origin.url("/"))).status, 200);
    const targets = [
      `http://127.0.0.2:${p}/`,
      `http://[::1]:${p}/`,
      `http://0x7f000002:${p}/`,
      `http://169.254.169.254:${p}/`,
      `http://internal.test:${p}/`,
      `http://mapped.test:${p}/`,
    ];
    const before = canary.connections();
    for (const target of targets) {
      const url = origin.url(`/?to=${encodeURIComponent(target)}`);
      assert.equal(await code(fetcher.fetch(url)), "ssrf_blocked", target);
    }
    fetcher.close();
    assert.equal(canary.connections(), before);
  });

  it("resolves once and connects to the vetted address, so DNS rebinding cannot redirect the connection", async () => {
    // The same port on another loopback address: if the name were resolved again at connect time, the second
    // answer would land on this canary.
    const rebound = await startTestServer((_request, response) => response.end("rebound"), {
      host: "127.0.0.2",
      port: origin.port,
    });
    const calls: string[] = [];
    let answer = 0;
    const fetcher = createFetcher({
      userAgent: "wildtrawl-test/1.0",
      allowedPrivateRanges: ["127.0.0.0/8"],
      allowedPorts: [origin.port],
      respectRobotsTxt: false,
      resolve: async (hostname) => {
        calls.push(hostname);
        return answer++ === 0 ? ["127.0.0.1"] : ["127.0.0.2"];
      },
    });
    const result = await fetcher.fetch(new URL(`http://rebind.test:${origin.port}/`));
    fetcher.close();
    assert.equal(new TextDecoder().decode(result.body), "origin");
    assert.equal(result.remoteAddress, "127.0.0.1");
    assert.deepEqual(calls, ["rebind.test"]);
    assert.equal(rebound.connections(), 0);
    await rebound.close();
  });

  it("refuses other schemes, other ports and credentials before any DNS", async () => {
    const calls: string[] = [];
    const fetcher = createFetcher({ userAgent: "wildtrawl-test/1.0", resolve: testResolver(calls) });
    assert.equal(await code(fetcher.fetch(new URL("file:///etc/passwd"))), "scheme_not_allowed");
    assert.equal(await code(fetcher.fetch(new URL("ftp://internal.test/"))), "scheme_not_allowed");
    assert.equal(await code(fetcher.fetch(new URL("gopher://internal.test:70/"))), "scheme_not_allowed");
    assert.equal(await code(fetcher.fetch(new URL("http://internal.test:22/"))), "port_not_allowed");
    assert.equal(
      await code(fetcher.fetch(new URL("http://user:pass@internal.test/"))),
      "credentials_not_allowed",
    );
    assert.equal(await code(fetcher.fetch(new URL("http://no-such-host.test/"))), "host_not_found");
    fetcher.close();
    assert.deepEqual(calls, ["no-such-host.test"]);
  });
});
