import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { createFetcher, type FetcherOptions } from "./fetcher.ts";
import { FetchError } from "./fetch-errors.ts";
import { makeTestCertificates, type TestCertificates } from "./test-certificates.ts";
import { startTestServer, type TestServer } from "./test-server.ts";

// What evidence captures need of a connection (RELIABILITY E2): the peer's certificate chain and this host's address.
describe("fetcher over TLS", () => {
  let certificates: TestCertificates;
  let secure: TestServer;
  let plain: TestServer;

  const fetcher = (overrides: Partial<FetcherOptions> = {}) =>
    createFetcher({
      userAgent: "wildtrawl-test/1.0 (+https://example.org/bot)",
      allowPrivateNetwork: true,
      respectRobotsTxt: false,
      requestsPerSecondPerHost: 1000,
      maxAttempts: 1,
      ca: [certificates.caPem],
      recordTlsPeers: true,
      ...overrides,
    });

  before(async () => {
    certificates = await makeTestCertificates();
    secure = await startTestServer(
      (request, response) => {
        // /close: one connection per request, so that every fetch sets up a new TLS session.
        const headers = request.url === "/close" ? { connection: "close" } : {};
        response.writeHead(200, { "content-type": "text/plain", ...headers }).end("secure");
      },
      { tls: { key: certificates.leafKeyPem, cert: certificates.leafPem } },
    );
    plain = await startTestServer((request, response) => {
      response.writeHead(302, { location: secure.url(request.url ?? "/").href }).end();
    });
  });
  after(async () => {
    await secure.close();
    await plain.close();
  });

  it("records the chain leaf first, as openssl sees it, with protocol, cipher and both addresses", async () => {
    const client = fetcher();
    const result = await client.fetch(secure.url("/page"));
    client.close();
    const peer = result.tlsPeer;
    assert.ok(peer, "no TLS peer recorded");
    assert.match(peer.protocol ?? "", /^TLSv1\.[23]$/);
    assert.ok(peer.cipher !== "");
    const [leaf, root] = peer.certificates;
    assert.equal(peer.certificates.length, 2);
    assert.equal(leaf?.subject, `CN=${certificates.leafCommonName}`);
    assert.equal(leaf?.issuer, `CN=${certificates.caCommonName}`);
    assert.equal(leaf?.sha256Fingerprint, certificates.leafSha256Fingerprint);
    assert.equal(root?.subject, `CN=${certificates.caCommonName}`);
    assert.deepEqual(Buffer.from(leaf!.derBase64, "base64"), new X509Certificate(certificates.leafPem).raw);
    assert.ok(Date.parse(leaf!.validFrom) <= Date.now() && Date.now() < Date.parse(leaf!.validTo));
    assert.match(leaf!.validTo, /Z$/);
    assert.equal(result.remoteAddress, "127.0.0.1");
    assert.equal(result.localAddress, "127.0.0.1");
  });

  it("records the chain of every connection: kept alive, and new ones (no resumed session without a chain)", async () => {
    const client = fetcher();
    const connectionsBefore = secure.connections();
    const reused = [await client.fetch(secure.url("/a")), await client.fetch(secure.url("/b"))];
    const fresh = [await client.fetch(secure.url("/close")), await client.fetch(secure.url("/close"))];
    client.close();
    for (const result of [...reused, ...fresh]) {
      assert.equal(result.tlsPeer?.certificates[0]?.sha256Fingerprint, certificates.leafSha256Fingerprint);
    }
    // /a, /b and the first /close share one connection; the second /close needs a new one, not a resumed session.
    assert.equal(secure.connections() - connectionsBefore, 2);
  });

  it("records each hop of an http → https redirect: none for the plain hop, the chain for the secure one", async () => {
    const client = fetcher();
    const result = await client.fetch(plain.url("/moved"));
    client.close();
    assert.equal(result.finalUrl, secure.url("/moved").href);
    const [hop] = result.redirects;
    assert.equal(hop?.tlsPeer, undefined);
    assert.equal(hop?.remoteAddress, "127.0.0.1");
    assert.equal(result.tlsPeer?.certificates[0]?.sha256Fingerprint, certificates.leafSha256Fingerprint);
  });

  it("records no chain unless asked, and the local address always", async () => {
    const client = fetcher({ recordTlsPeers: false });
    const result = await client.fetch(secure.url("/page"));
    const plainResult = await client.fetch(plain.url("/plain"), {});
    client.close();
    assert.equal(result.tlsPeer, undefined);
    assert.equal(result.localAddress, "127.0.0.1");
    assert.equal(plainResult.redirects[0]?.tlsPeer, undefined);
  });

  it("adds a CA to the trust store without turning verification off", async () => {
    const client = fetcher({ ca: undefined });
    const error = await client.fetch(secure.url("/page")).catch((caught: unknown) => caught);
    client.close();
    assert.ok(error instanceof FetchError && error.code === "tls_error", String(error));
  });
  it("trusts the CAs of NODE_EXTRA_CA_CERTS, the way to add an intranet's or a TLS-inspecting proxy's CA", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "wildtrawl-ca-"));
    try {
      const caFile = path.join(dir, "ca.pem");
      await writeFile(caFile, certificates.caPem);
      // Node reads the variable at start-up only, so the fetch runs in a process of its own.
      const script = `
        import { createFetcher } from ${JSON.stringify(new URL("./fetcher.ts", import.meta.url).href)};
        const client = createFetcher({ userAgent: "wildtrawl-test/1.0", allowPrivateNetwork: true,
          respectRobotsTxt: false, maxAttempts: 1 });
        const outcome = await client.fetch(new URL(process.argv[1])).then((r) => String(r.status), (e) => e.code);
        client.close();
        process.stdout.write(outcome);`;
      const fetchIn = async (env: NodeJS.ProcessEnv) =>
        (
          await promisify(execFile)(
            process.execPath,
            ["--input-type=module", "-e", script, secure.url("/page").href],
            { env },
          )
        ).stdout;
      const { NODE_EXTRA_CA_CERTS: _ignored, ...withoutExtra } = process.env;
      assert.equal(await fetchIn(withoutExtra), "tls_error");
      assert.equal(await fetchIn({ ...withoutExtra, NODE_EXTRA_CA_CERTS: caFile }), "200");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
