import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { startLocalTsa, type LocalTsa } from "./testing/local-tsa.ts";
import { requestTimestamp, TimestampError, verifyTimestamp } from "./timestamp.ts";

const run = promisify(execFile);

describe("RFC 3161 time-stamps (RELIABILITY E5)", () => {
  let tsa: LocalTsa;
  const digest = createHash("sha256").update("a manifest").digest();

  before(async () => {
    tsa = await startLocalTsa();
  });
  after(() => tsa.close());

  it("gets a token over a digest, with our nonce, that verifies here and with openssl ts -verify", async () => {
    const { token, nonce } = await requestTimestamp(tsa.url, digest);
    const verified = verifyTimestamp(token, { digest, trustedCaPem: tsa.caPem, nonce });
    assert.equal(verified.nonce, nonce);
    assert.ok(Math.abs(verified.genTime.getTime() - Date.now()) < 10 * 60_000);
    assert.match(verified.tsaSubject, /wildtrawl test TSA/);
    const dir = await mkdtemp(path.join(tmpdir(), "wt-tsr-"));
    try {
      await writeFile(path.join(dir, "t.tsr"), token);
      await writeFile(path.join(dir, "ca.pem"), tsa.caPem);
      const { stdout } = await run("openssl", [
        "ts",
        "-verify",
        "-digest",
        digest.toString("hex"),
        "-in",
        path.join(dir, "t.tsr"),
        "-CAfile",
        path.join(dir, "ca.pem"),
      ]);
      assert.match(stdout, /Verification: OK/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a token over another digest, with another nonce, or from an untrusted CA", async () => {
    const { token, nonce } = await requestTimestamp(tsa.url, digest);
    const other = createHash("sha256").update("another").digest();
    const refused = (fn: () => unknown, pattern: RegExp) =>
      assert.throws(fn, (e: unknown) => e instanceof TimestampError && pattern.test(e.message));
    refused(() => verifyTimestamp(token, { digest: other, trustedCaPem: tsa.caPem }), /different digest/);
    refused(() => verifyTimestamp(token, { digest, trustedCaPem: tsa.caPem, nonce: "ff" + nonce }), /nonce/);
    const stranger = await startLocalTsa();
    try {
      refused(() => verifyTimestamp(token, { digest, trustedCaPem: stranger.caPem }), /trusted CA/);
    } finally {
      await stranger.close();
    }
  });

  it("refuses a self-signed TSA", async () => {
    const selfSigned = await startLocalTsa({ selfSigned: true });
    try {
      const { token } = await requestTimestamp(selfSigned.url, digest);
      assert.throws(
        () => verifyTimestamp(token, { digest, trustedCaPem: selfSigned.caPem }),
        (e: unknown) => e instanceof TimestampError && /self-signed/.test(e.message),
      );
    } finally {
      await selfSigned.close();
    }
  });
});
