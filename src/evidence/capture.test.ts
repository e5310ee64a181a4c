import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { UsageError } from "../core/errors.ts";
import { hashFile, sweepTempDirectories, writeHashedFile } from "./atomic-files.ts";
import { captureAdvert, checkCaptureFiles, type CaptureRecord } from "./capture.ts";
import { makeTestCertificates, type TestCertificates } from "../trawl/test-certificates.ts";
import type { TSchema } from "@sinclair/typebox";
import {
  fetchedUrlsOf,
  provenanceKeys,
  provenanceSchema,
  validateProvenance,
  type TlsHostRecord,
} from "./provenance.ts";
import { startFixtureSite, type FixtureSite } from "./testing/fixture-site.ts";
import { newEvidenceWorld, type EvidenceWorld } from "./testing/evidence-world.ts";
import { readWarcRecords } from "./warc-records.ts";

const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

describe("capture", () => {
  let site: FixtureSite;
  let world: EvidenceWorld;

  before(async () => {
    site = await startFixtureSite();
    world = await newEvidenceWorld();
  });
  after(async () => {
    await site.close();
    await world.close();
  });

  it("captures an advert through a redirect: WARC, HTML, DOM, dated screenshot, analysis, provenance (E1, E2, E3)", async () => {
    const outcome = await captureAdvert(world.deps(), {
      url: `${site.origin}/advert`,
      sourceId: world.source.id,
      actor: "user:7",
      purpose: "flagged by analyst",
    });
    const { capture, record } = outcome;
    assert.equal(capture.status, "complete", capture.failureReason ?? "");
    assert.equal(record.requestedUrl, `${site.origin}/advert`);
    assert.equal(record.finalUrl, `${site.origin}/item/1001`);
    assert.deepEqual(
      record.redirects.map((hop) => hop.status),
      [302],
    );
    const roles = new Set(capture.files.map((file) => file.role));
    for (const role of [
      "record",
      "warc",
      "html",
      "dom",
      "screenshot",
      "analysis:listing",
      "analysis:detection",
    ]) {
      assert.ok(roles.has(role), `missing ${role}`);
    }
    // The time drawn on the screenshot is the recorded screenshot time, inside the capture's window.
    const drawn = /at (\S+) \(UTC\)/.exec(record.screenshotBanner ?? "")?.[1];
    assert.ok(drawn, record.screenshotBanner ?? "no banner");
    assert.ok(Math.abs(Date.parse(drawn) - Date.parse(record.screenshotAt!)) <= 1000);
    assert.ok(record.startedAt <= record.screenshotAt! && record.screenshotAt! <= record.finishedAt);
    for (const time of [record.startedAt, record.finishedAt, record.screenshotAt!]) assert.match(time, iso);
    // Status and headers of the response, request headers as sent, the server's address.
    assert.equal((record.response as { status: number }).status, 200);
    assert.equal((record.response as { headers: Record<string, string> }).headers["x-fixture"], "advert");
    assert.ok(
      record.request?.headers.some(
        ([name, value]) => name === "User-Agent" && value.startsWith("wildtrawl-test"),
      ),
    );
    assert.equal(capture.provenance.serverIp, "127.0.0.1");
    // The rendered DOM holds what the page's script added; the screenshot is a PNG.
    const dir = outcome.directory;
    assert.match(await readFile(path.join(dir, "dom.html"), "utf8"), /rendered by script/);
    const png = await readFile(path.join(dir, "screenshot.png"));
    assert.equal(png.subarray(1, 4).toString("latin1"), "PNG");
    // The WARC holds both hops, request and response, and the image the browser asked for (through the fetcher).
    const warcFile = capture.files.find((file) => file.role === "warc")!;
    const records = readWarcRecords(await readFile(path.join(world.evidenceRoot, warcFile.path)));
    const uris = records.filter((r) => r.type === "response").map((r) => r.targetUri);
    assert.deepEqual(uris, [`${site.origin}/advert`, `${site.origin}/item/1001`, `${site.origin}/photo.png`]);
    // The tracker on an unresolvable host was refused and listed.
    const blocked = capture.provenance.blockedRequests as Array<{ url: string }>;
    assert.ok(blocked.some((request) => request.url.includes("blocked.invalid")));
    // E3: every stored file hashes to what the record says; the record's own hash names the capture.
    assert.deepEqual(await checkCaptureFiles(world.evidenceRoot, capture), []);
    assert.equal(path.basename(dir), capture.sha256);
    assert.equal((await hashFile(path.join(dir, "capture.json"))).sha256, capture.sha256);
    // The analysis layer is derived: it names its parent and transform; detection found ivory offered.
    const detection = record.files.find((file) => file.role === "analysis:detection")!;
    assert.equal(detection.derivedFrom?.sha256, record.files.find((file) => file.role === "html")!.sha256);
    const detected = JSON.parse(await readFile(path.join(dir, "analysis/detection.json"), "utf8")) as {
      verdict: string;
      taxa: Array<{ name: string }>;
    };
    assert.equal(detected.verdict, "offer");
    // The listing was stored with its detection; the capture has its first custody entry.
    const listing = await world.store.listings.get(capture.listingId);
    assert.equal(listing?.url, `${site.origin}/item/1001`);
    assert.ok(listing?.taxa.some((taxon) => taxon.appendix === "I"));
    const custody = await world.store.evidence.custodyOf(capture.id);
    assert.deepEqual(
      custody.map((entry) => [entry.action, entry.actor]),
      [["capture", "user:7"]],
    );
    // No build folder is left behind.
    assert.deepEqual(await readdir(path.join(world.evidenceRoot, "tmp")), []);
  });

  it("captures a page that is not HTML: complete, with no screenshot to take", async () => {
    const first = await captureAdvert(world.deps({ browser: null }), {
      url: `${site.origin}/notes.txt`,
      sourceId: world.source.id,
      actor: "user:7",
    });
    assert.equal(first.created, true);
    assert.equal(first.capture.status, "complete");
    assert.deepEqual(
      first.record.missing.map((m) => m.role),
      ["screenshot"],
    );
  });

  it("keeps a capture without Chromium, labelled PARTIAL with the reason (E9)", async () => {
    const { capture, record } = await captureAdvert(
      world.deps({ browser: { executablePath: "/nonexistent/chromium" } }),
      {
        url: `${site.origin}/item/1001`,
        sourceId: world.source.id,
        actor: "user:7",
      },
    );
    assert.equal(capture.status, "partial");
    assert.match(capture.failureReason ?? "", /^screenshot_missing: chromium_not_found/);
    assert.ok(record.missing.some((m) => m.role === "screenshot" && /chromium_not_found/.test(m.reason)));
    assert.ok(capture.files.some((file) => file.role === "html"));
    assert.equal(record.provenance.browser, null);
  });

  it("keeps a body that stalls half way as PARTIAL with reason timeout, its truncated exchange in WARC (E9)", async () => {
    const { capture, record } = await captureAdvert(world.deps({ idleTimeoutMs: 300 }), {
      url: `${site.origin}/stall`,
      sourceId: world.source.id,
      actor: "system:trawler",
    });
    assert.equal(capture.status, "partial");
    assert.equal(capture.failureReason, "timeout");
    const warcFile = capture.files.find((file) => file.role === "warc")!;
    const records = readWarcRecords(await readFile(path.join(world.evidenceRoot, warcFile.path)));
    assert.ok(records.some((r) => r.type === "response" && r.headers["warc-truncated"] !== undefined));
    assert.ok(record.missing.some((m) => m.role === "html"));
  });

  it("keeps a capture whose server cannot be reached as FAILED, with the reason (E9)", async () => {
    const { capture } = await captureAdvert(world.deps(), {
      url: "http://127.0.0.1:9/advert",
      sourceId: world.source.id,
      actor: "user:7",
    });
    assert.equal(capture.status, "failed");
    assert.equal(capture.failureReason, "connect_failed");
    assert.equal(capture.warc, null);
  });

  it("captures a stored listing by id", async () => {
    const [listing] = (await world.store.listings.search({ query: "ivory" })).items;
    const { capture } = await captureAdvert(world.deps({ browser: null }), {
      listingId: listing!.id,
      actor: "user:9",
    });
    assert.equal(capture.listingId, listing!.id);
  });

  it("takes every timestamp it stores in UTC ISO 8601 with an offset (E10)", async () => {
    for (const listingId of [1, 2]) {
      for (const capture of await world.store.evidence.listCaptures(listingId)) {
        const record = JSON.parse(
          await readFile(
            path.join(world.evidenceRoot, capture.files.find((f) => f.role === "record")!.path),
            "utf8",
          ),
        ) as CaptureRecord;
        for (const time of [
          record.startedAt,
          record.finishedAt,
          record.screenshotAt,
          record.times.localStartedAt,
        ]) {
          if (time !== null) assert.match(String(time), iso);
        }
      }
    }
  });
});

describe("evidence files", () => {
  it("hashes while writing: the stream hash is the hash of the stored bytes (E3)", async () => {
    const world = await newEvidenceWorld();
    try {
      const chunks = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1000 + i, i));
      const file = path.join(world.dataDir, "blob");
      const written = await writeHashedFile(file, chunks);
      assert.deepEqual(await hashFile(file), written);
      await assert.rejects(writeHashedFile(file, [Buffer.from("again")]), /EEXIST/);
      // A build folder left by a crash is swept; a fresh one is not.
      const { makeTempDirectory } = await import("./atomic-files.ts");
      await makeTempDirectory(world.evidenceRoot, "capture");
      assert.equal(await sweepTempDirectories(world.evidenceRoot, 60_000, Date.now()), 0);
      assert.equal(await sweepTempDirectories(world.evidenceRoot, 60_000, Date.now() + 120_000), 1);
    } finally {
      await world.close();
    }
  });

  it("refuses enrichment in the evidentiary provenance, and any missing field (E2, E12)", () => {
    const complete = Object.fromEntries(provenanceKeys.map((key) => [key, null])) as Record<string, unknown>;
    Object.assign(complete, {
      software: { name: "wildtrawl", version: "1", gitSha: null },
      userAgent: "wildtrawl/1",
      os: {},
      node: "v24",
      effectiveOptions: {},
      blockedRequests: [],
      operator: "user:1",
      clock: {},
    });
    validateProvenance(complete as never, []);
    assert.throws(
      () => validateProvenance({ ...complete, software: { name: "wildtrawl" }, node: 24 } as never, []),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message ===
          "capture provenance: software.version is missing; software.gitSha is missing; node: expected string",
    );
    assert.throws(
      () => validateProvenance({ ...complete, species: "Loxodonta africana" } as never, []),
      (e: unknown) => e instanceof UsageError && /"species" is not capture-time/.test(e.message),
    );
    const { operator: _, ...withoutOperator } = complete;
    assert.throws(() => validateProvenance(withoutOperator as never, []), /missing "operator"/);
  });
});

describe("capture provenance: addresses and certificate chains (E2)", () => {
  let certificates: TestCertificates;
  let plain: FixtureSite;
  let secure: FixtureSite;
  let otherSecure: FixtureSite;
  let world: EvidenceWorld;

  before(async () => {
    certificates = await makeTestCertificates();
    const tls = { key: certificates.leafKeyPem, cert: certificates.leafPem };
    [plain, secure, otherSecure, world] = await Promise.all([
      startFixtureSite(),
      startFixtureSite({ tls }),
      startFixtureSite({ tls }),
      newEvidenceWorld(),
    ]);
  });
  after(async () => {
    await Promise.all([plain.close(), secure.close(), otherSecure.close()]);
    await world.close();
  });

  const capture = (url: string) =>
    captureAdvert(world.deps({ browser: null, detect: false, caPem: certificates.caPem }), {
      url,
      sourceId: world.source.id,
      actor: "user:7",
    });
  const tlsHostsOf = (record: CaptureRecord) =>
    record.provenance.tlsCertificates as unknown as TlsHostRecord[];
  const redirectTo = (site: FixtureSite, url: string) =>
    `${site.origin}/redirect?to=${encodeURIComponent(url)}`;

  it("records the chain of an HTTPS page as openssl sees it, and this host's address on the connection", async () => {
    const { record } = await capture(`${secure.origin}/item/1001`);
    const [host] = tlsHostsOf(record);
    assert.equal(tlsHostsOf(record).length, 1);
    assert.equal(host?.host, new URL(secure.origin).host);
    assert.equal(host?.serverIp, "127.0.0.1");
    assert.equal(host?.certificates[0]?.subject, `CN=${certificates.leafCommonName}`);
    assert.equal(host?.certificates[0]?.sha256Fingerprint, certificates.leafSha256Fingerprint);
    assert.equal(host?.certificates[1]?.subject, `CN=${certificates.caCommonName}`);
    assert.equal(record.provenance.tlsCertificatesNote, null);
    assert.equal(record.provenance.egressIp, "127.0.0.1");
    assert.match(String(record.provenance.egressIpNote), /behind NAT/);
  });

  it("records the connection a fetch failed part-way on: who answered, over which chain, and why it stopped", async () => {
    const { capture: stalled, record } = await captureAdvert(
      world.deps({ browser: null, detect: false, caPem: certificates.caPem, idleTimeoutMs: 300 }),
      { url: `${secure.origin}/stall`, sourceId: world.source.id, actor: "user:7" },
    );
    assert.equal(stalled.status, "partial");
    assert.equal(record.provenance.serverIp, "127.0.0.1");
    assert.equal(record.provenance.egressIp, "127.0.0.1");
    assert.match(String(record.provenance.egressIpNote), /did not complete \(timeout\)/);
    const [host] = tlsHostsOf(record);
    assert.equal(host?.host, new URL(secure.origin).host);
    assert.equal(host?.certificates[0]?.sha256Fingerprint, certificates.leafSha256Fingerprint);
    // Nothing answered at all: no connection to speak of.
    const { record: unreachable } = await capture("https://127.0.0.1:9/advert");
    assert.equal(unreachable.provenance.serverIp, null);
    assert.equal(unreachable.provenance.tlsCertificates, null);
  });

  it("records one chain per HTTPS host of a redirect chain, and names the plain-HTTP hosts", async () => {
    const finalUrl = `${otherSecure.origin}/item/7`;
    const { record } = await capture(redirectTo(plain, redirectTo(secure, finalUrl)));
    assert.equal(record.finalUrl, finalUrl);
    assert.deepEqual(
      tlsHostsOf(record).map((host) => [host.host, host.certificates[0]?.sha256Fingerprint]),
      [secure, otherSecure].map((site) => [new URL(site.origin).host, certificates.leafSha256Fingerprint]),
    );
    assert.equal(
      record.provenance.tlsCertificatesNote,
      `plain HTTP, no certificates: ${new URL(plain.origin).host}`,
    );
  });

  it("records no chain for a plain-HTTP capture, and says why", async () => {
    const { record } = await capture(`${plain.origin}/item/1001`);
    assert.equal(record.provenance.tlsCertificates, null);
    assert.match(String(record.provenance.tlsCertificatesNote), /^plain HTTP/);
    assert.equal(record.provenance.egressIp, "127.0.0.1");
  });

  it("refuses an HTTPS capture's provenance without its chain, or with a malformed certificate", async () => {
    const { record } = await capture(`${secure.origin}/item/1001`);
    const fetched = fetchedUrlsOf(record);
    const [host] = tlsHostsOf(record);
    const refused = (change: Record<string, unknown>, message: RegExp) =>
      assert.throws(
        () => validateProvenance({ ...record.provenance, ...change } as never, fetched),
        (e: unknown) => e instanceof UsageError && message.test(e.message),
      );
    refused({ tlsCertificates: null }, /no certificate chain for the HTTPS host 127\.0\.0\.1:\d+/);
    refused({ egressIp: null }, /egressIp: the local address/);
    const [leaf] = host!.certificates;
    const forged = { ...leaf, derBase64: host!.certificates[1]!.derBase64 };
    refused(
      { tlsCertificates: [{ ...host, certificates: [forged] }] },
      /certificates\[0\]\.sha256Fingerprint does not match the certificate's DER/,
    );
    refused(
      { tlsCertificates: [{ ...host, certificates: [{ ...leaf, validTo: "Mar 1 00:00:00 2030 GMT" }] }] },
      /certificates\[0\]\.validTo: expected string to match/,
    );
    refused({ tlsCertificates: [{ ...host, certificates: [] }] }, /certificates: expected array length/);
    const { host: _, ...hostless } = host!;
    refused({ tlsCertificates: [hostless] }, /tlsCertificates\[0\]\.host is missing/);
  });

  it("gives 100 fixture captures a valid provenance: 0 missing required fields (E2)", async () => {
    const urls = Array.from({ length: 100 }, (_, i) => {
      const page = `/item/${2000 + i}`;
      return [
        `${plain.origin}${page}`,
        `${secure.origin}${page}`,
        redirectTo(plain, `${secure.origin}${page}`),
        redirectTo(secure, `${otherSecure.origin}${page}`),
      ][i % 4]!;
    });
    // The schema published for other validators is the very one validateProvenance checks with.
    const published = JSON.parse(
      await readFile(new URL("../../docs/provenance.schema.json", import.meta.url), "utf8"),
    ) as TSchema;
    assert.deepEqual(
      published,
      JSON.parse(JSON.stringify(provenanceSchema)),
      "docs/provenance.schema.json is stale: run node scripts/provenance-schema.ts",
    );
    const problems: string[] = [];
    for (const url of urls) {
      const { directory } = await capture(url);
      // The record as stored, not as returned: what a court would be given.
      const stored = JSON.parse(
        await readFile(path.join(directory, "capture.json"), "utf8"),
      ) as CaptureRecord;
      try {
        validateProvenance(stored.provenance, fetchedUrlsOf(stored));
      } catch (error) {
        problems.push(`${url}: ${(error as Error).message}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
