import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { captureAdvert, checkCaptureFiles } from "./capture.ts";
import { startFixtureSite, type FixtureSite } from "./testing/fixture-site.ts";
import { newEvidenceWorld, type EvidenceWorld } from "./testing/evidence-world.ts";
import { startLocalTsa, type LocalTsa } from "./testing/local-tsa.ts";

const run = promisify(execFile);

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("every capture time-stamped by each configured TSA (RELIABILITY E5)", () => {
  let site: FixtureSite;
  let world: EvidenceWorld;
  let tsas: LocalTsa[];

  before(async () => {
    [site, world, ...tsas] = await Promise.all([
      startFixtureSite(),
      newEvidenceWorld(),
      startLocalTsa(),
      startLocalTsa(),
    ]);
  });
  after(async () => {
    await Promise.all([site.close(), world.close(), ...tsas.map((tsa) => tsa.close())]);
  });

  const captureWith = (tsa: ReadonlyArray<{ url: string; caPem: string }>, now?: () => Date) =>
    captureAdvert(
      { ...world.deps({ browser: null }), tsa, ...(now ? { now } : {}) },
      { url: `${site.origin}/advert`, sourceId: world.source.id, actor: "user:7" },
    );

  it("holds a token from each of two TSAs over capture.json, which openssl ts -verify accepts", async () => {
    const outcome = await captureWith(tsas.map(({ url, caPem }) => ({ url, caPem })));
    assert.equal(outcome.timestamps.length, 2);
    for (const [i, stamp] of outcome.timestamps.entries()) {
      assert.ok(!("error" in stamp), JSON.stringify(stamp));
      assert.equal(stamp.clockSkewFlagged, false);
      assert.ok(Math.abs(stamp.skewSeconds) < 60, `skew ${stamp.skewSeconds} s`);
      const n = i + 1;
      const { stdout } = await run("openssl", [
        "ts",
        "-verify",
        "-in",
        path.join(outcome.directory, `timestamps/tsa-${n}.tsr`),
        "-data",
        path.join(outcome.directory, "capture.json"),
        "-CAfile",
        path.join(outcome.directory, `timestamps/tsa-${n}-ca.pem`),
      ]);
      assert.match(stdout, /Verification: OK/);
      const report = JSON.parse(
        await readFile(path.join(outcome.directory, `timestamps/tsa-${n}.json`), "utf8"),
      );
      assert.deepEqual(report, stamp);
    }
    // The stored row lists the tokens with the rest, and every file still hashes as recorded.
    const roles = outcome.capture.files.map((file) => file.role);
    assert.equal(roles.filter((role) => role === "timestamp").length, 2);
    assert.equal(roles.filter((role) => role === "timestamp_ca").length, 2);
    assert.deepEqual(await checkCaptureFiles(world.evidenceRoot, outcome.capture), []);
  });

  it("flags a capture whose clock is 15 minutes off the TSA's", async () => {
    const outcome = await captureWith([{ url: tsas[0]!.url, caPem: tsas[0]!.caPem }], () => {
      return new Date(Date.now() + 15 * 60_000);
    });
    const [stamp] = outcome.timestamps;
    assert.ok(stamp && !("error" in stamp), JSON.stringify(stamp));
    assert.equal(stamp.clockSkewFlagged, true);
    assert.ok(Math.abs(stamp.skewSeconds - 900) < 60, `skew ${stamp.skewSeconds} s`);
  });

  it("keeps the capture and notes why when a TSA is down or self-signed", async () => {
    const selfSigned = await startLocalTsa({ selfSigned: true });
    try {
      const outcome = await captureWith([
        { url: `http://127.0.0.1:${await closedPort()}/tsa`, caPem: tsas[0]!.caPem },
        { url: selfSigned.url, caPem: selfSigned.caPem },
        { url: tsas[1]!.url, caPem: tsas[1]!.caPem },
      ]);
      assert.equal(outcome.capture.status, "partial"); // no browser here: partial for its own reason
      const codes = outcome.timestamps.map((stamp) => ("error" in stamp ? stamp.error.code : "ok"));
      assert.deepEqual(codes, ["tsa_unreachable", "timestamp_invalid", "ok"]);
      const report = JSON.parse(
        await readFile(path.join(outcome.directory, "timestamps/tsa-2.json"), "utf8"),
      );
      assert.match(report.error.message, /self-signed/);
    } finally {
      await selfSigned.close();
    }
  });
});
