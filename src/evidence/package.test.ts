import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import fc from "fast-check";
import { captureAdvert } from "./capture.ts";
import { exportPackage, type ExportResult } from "./package-export.ts";
import { readPackage, verifyPackage, verifyPackageFiles } from "./package-verify.ts";
import { ensureSigningKey, type SigningKey } from "./signing-keys.ts";
import { newEvidenceWorld, type EvidenceWorld } from "./testing/evidence-world.ts";
import { startFixtureSite, type FixtureSite } from "./testing/fixture-site.ts";
import { startLocalTsa, type LocalTsa } from "./testing/local-tsa.ts";
import { unpackPackage, verifyCommands } from "./testing/unpacked-package.ts";

const run = promisify(execFile);

describe("evidence packages (RELIABILITY E4, E5, E7, E8)", () => {
  let site: FixtureSite;
  let world: EvidenceWorld;
  let tsa: LocalTsa;
  let key: SigningKey;
  let exported: ExportResult;
  let files: Map<string, Buffer>;
  let listingId: number;

  before(async () => {
    [site, world, tsa] = await Promise.all([startFixtureSite(), newEvidenceWorld(), startLocalTsa()]);
    key = await ensureSigningKey(path.join(world.dataDir, "keys"));
    // Each capture time-stamped as it was taken, so that every check below covers the captures' tokens too.
    const stamping = [{ url: tsa.url, caPem: tsa.caPem }];
    const full = await captureAdvert(
      { ...world.deps(), tsa: stamping },
      { url: `${site.origin}/advert`, sourceId: world.source.id, actor: "user:7" },
    );
    listingId = full.capture.listingId;
    await captureAdvert(
      { ...world.deps({ browser: { executablePath: "/nonexistent" } }), tsa: stamping },
      { listingId, actor: "user:8", purpose: "second look" },
    );
    exported = await exportPackage(
      {
        store: world.store,
        evidenceRoot: world.evidenceRoot,
        signingKey: key,
        software: { name: "wildtrawl", version: "0.0.0-test", gitSha: null },
        now: () => new Date(),
        tsa: [{ url: tsa.url, caPem: tsa.caPem }],
      },
      {
        listingIds: [listingId],
        out: path.join(world.dataDir, "out", "case-1.zip"),
        actor: "user:7",
        purpose: "for the prosecutor",
      },
    );
    files = await readPackage(exported.file);
  });
  after(async () => {
    await Promise.all([site.close(), world.close(), tsa.close()]);
  });

  it("writes one ZIP with captures, manifest, signatures, key, token, custody, report and VERIFY.txt", async () => {
    assert.equal(exported.captures, 2);
    assert.equal(exported.timestamps.length, 1);
    assert.equal(exported.timestamps[0]!.clockSkewFlagged, false);
    for (const name of [
      "manifest.json",
      "manifest.json.sig",
      "SHA256SUMS",
      "SHA256SUMS.sig",
      "keys/signing-key.pub.pem",
      "custody.json",
      "report.html",
      "report.pdf",
      "VERIFY.txt",
      "timestamps/tsa-1.tsr",
      "timestamps/tsa-1-ca.pem",
    ]) {
      assert.ok(files.has(name), `missing ${name}`);
    }
    assert.ok([...files.keys()].some((name) => /^captures\/\d+-[0-9a-f]{12}\/screenshot\.png$/.test(name)));
    assert.match(files.get("VERIFY.txt")!.toString(), new RegExp(key.fingerprint));
    const report = files.get("report.html")!.toString();
    assert.match(report, /Appendix I/);
    assert.match(report, /PARTIAL/);
    assert.equal(files.get("report.pdf")!.subarray(0, 5).toString(), "%PDF-");
    // The export itself is in the custody excerpt, with who and why.
    const custody = JSON.parse(files.get("custody.json")!.toString()) as {
      entries: Array<{ action: string; purpose: string | null }>;
    };
    assert.deepEqual(
      custody.entries.map((e) => e.action),
      ["capture", "capture", "export", "export"],
    );
    assert.equal(custody.entries.at(-1)!.purpose, "for the prosecutor");
  });

  it("verifies, as a ZIP and unpacked, with no database", async () => {
    const zipped = await verifyPackage(exported.file, { expectedFingerprint: key.fingerprint });
    assert.deepEqual(zipped.failures, []);
    assert.ok(zipped.ok);
    assert.equal(zipped.captures, 2);
    assert.equal(zipped.timestamps.length, 1);
    assert.equal(zipped.captureTimestamps.length, 2);
    assert.ok(zipped.warnings.some((w) => w.code === "capture_partial"));
    const other = await verifyPackage(exported.file, { expectedFingerprint: "SHA256:" + "0".repeat(64) });
    assert.equal(other.failures[0]?.file, "keys/signing-key.pub.pem");
  });

  it("verifies unpacked with sha256sum -c and openssl alone (E4, E8)", async () => {
    const parent = await mkdtemp(path.join(tmpdir(), "wt-unpacked-"));
    const dir = path.join(parent, "package");
    try {
      await unpackPackage(files, dir);
      const sh = (script: string) => run("sh", ["-c", script], { cwd: dir });
      // Run the very commands VERIFY.txt gives, in order.
      const commands = verifyCommands(files);
      assert.ok(commands.length >= 7, commands.join("\n"));
      const outputs: string[] = [];
      for (const command of commands) outputs.push((await sh(command)).stdout);
      const all = outputs.join("\n");
      assert.equal(outputs[0]!.split("\n").filter((line) => line.endsWith(": OK")).length, files.size - 2);
      assert.equal(all.match(/Signature Verified Successfully/g)?.length, 2);
      assert.match(all, /Verification: OK/);
      assert.match(all, /Time stamp: /);
      const fingerprint = await sh(
        "openssl pkey -pubin -in keys/signing-key.pub.pem -outform DER | sha256sum",
      );
      assert.equal(`SHA256:${fingerprint.stdout.split(" ")[0]}`, key.fingerprint);
      assert.ok((await verifyPackage(dir)).ok);
      // One changed byte: sha256sum names the file.
      const victim = [...files.keys()].find((name) => name.endsWith("page.html"))!;
      const bytes = Buffer.from(files.get(victim)!);
      bytes[10] = bytes[10]! ^ 0x20;
      await writeFile(path.join(dir, victim), bytes);
      await assert.rejects(sh("sha256sum -c --quiet SHA256SUMS"), (error: { stdout: string }) =>
        error.stdout.includes(`${victim}: FAILED`),
      );
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it("fails, naming the file, when any single byte of any file changes (property, 1,000 runs)", () => {
    const names = [...files.keys()].sort();
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 255 }),
        (name, where, xor) => {
          const original = files.get(name)!;
          const changed = Buffer.from(original);
          const at = Math.floor(where * changed.length);
          changed[at] = changed[at]! ^ xor;
          const tampered = new Map(files);
          tampered.set(name, changed);
          const result = verifyPackageFiles(tampered);
          assert.equal(result.ok, false, `${name} byte ${at} changed, yet the package verified`);
          assert.equal(
            result.failures[0]!.file,
            name,
            `${name} byte ${at}: blamed ${JSON.stringify(result.failures[0])}`,
          );
        },
      ),
      { numRuns: 1000, seed: 6 },
    );
  });

  it("fails on a missing file and on an added one, naming it", () => {
    for (const name of files.keys()) {
      const without = new Map(files);
      without.delete(name);
      const result = verifyPackageFiles(without);
      assert.equal(result.ok, false, `${name} removed, yet the package verified`);
      assert.ok(
        result.failures.some((failure) => failure.file === name),
        `${name}: ${JSON.stringify(result.failures)}`,
      );
    }
    const added = new Map(files).set("captures/extra.html", Buffer.from("<p>planted</p>"));
    assert.equal(verifyPackageFiles(added).failures[0]?.file, "captures/extra.html");
  });

  it("fails when the ZIP itself is damaged, naming the entry", async () => {
    const zip = await readFile(exported.file);
    const name = "custody.json";
    const at = zip.indexOf(Buffer.from(name)) + name.length + 40;
    const damaged = Buffer.from(zip);
    damaged[at] = damaged[at]! ^ 0xff;
    const file = path.join(world.dataDir, "damaged.zip");
    await writeFile(file, damaged);
    const result = await verifyPackage(file);
    assert.equal(result.ok, false);
    assert.equal(result.failures[0]!.file, name);
  });

  it("flags a package whose clock is more than 10 minutes off the TSA's (E5, E10)", async () => {
    const skewed = await exportPackage(
      {
        store: world.store,
        evidenceRoot: world.evidenceRoot,
        signingKey: key,
        software: { name: "wildtrawl", version: "0.0.0-test", gitSha: null },
        now: () => new Date(Date.now() + 15 * 60_000),
        tsa: [{ url: tsa.url, caPem: tsa.caPem }],
      },
      { listingIds: [listingId], out: path.join(world.dataDir, "out", "skewed.zip"), actor: "user:7" },
    );
    assert.equal(skewed.timestamps[0]!.clockSkewFlagged, true);
    const result = await verifyPackage(skewed.file);
    assert.ok(result.ok);
    assert.ok(result.warnings.some((w) => w.code === "clock_skew" && w.file === "timestamps/tsa-1.tsr"));
  });
});
