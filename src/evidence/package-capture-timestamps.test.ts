import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { jsonBytes, sha256Hex } from "./atomic-files.ts";
import { captureAdvert } from "./capture.ts";
import { exportPackage, type TsaConfig } from "./package-export.ts";
import {
  manifestName,
  manifestSignatureName,
  sumsName,
  sumsSignatureName,
  sumsText,
  type PackageManifest,
} from "./package-layout.ts";
import { readPackage, verifyPackage, verifyPackageFiles } from "./package-verify.ts";
import { ensureSigningKey, signDigest, type SigningKey } from "./signing-keys.ts";
import { newEvidenceWorld, type EvidenceWorld } from "./testing/evidence-world.ts";
import { startFixtureSite, type FixtureSite } from "./testing/fixture-site.ts";
import { startLocalTsa, type LocalTsa } from "./testing/local-tsa.ts";
import { unpackPackage, verifyCommands } from "./testing/unpacked-package.ts";

const run = promisify(execFile);

describe("evidence verify re-checks each capture's own time-stamps (RELIABILITY E5, E8)", () => {
  let site: FixtureSite;
  let world: EvidenceWorld;
  let tsas: LocalTsa[];
  let key: SigningKey;
  /** Two captures, each time-stamped by two TSAs with different CAs; the package is time-stamped too. */
  let stamped: Map<string, Buffer>;
  let stampedFile: string;
  /** The same captures without a token over the manifest, so that a re-signed copy has nothing else to fail. */
  let bare: Map<string, Buffer>;
  let listingId: number;

  const tsaConfig = (tsa: LocalTsa): TsaConfig => ({ url: tsa.url, caPem: tsa.caPem });
  const exportOf = (
    out: string,
    request: { listingIds?: number[]; captureIds?: number[] },
    tsa: TsaConfig[] = [],
  ) =>
    exportPackage(
      {
        store: world.store,
        evidenceRoot: world.evidenceRoot,
        signingKey: key,
        software: { name: "wildtrawl", version: "0.0.0-test", gitSha: null },
        now: () => new Date(),
        tsa,
      },
      { ...request, out: path.join(world.dataDir, "out", out), actor: "user:7" },
    );
  const captureTokens = (files: ReadonlyMap<string, Buffer>) =>
    [...files.keys()].filter((name) => /^captures\/[^/]+\/timestamps\/tsa-\d\.tsr$/.test(name)).sort();

  /** What someone holding the signing key could make: `changes` applied, both lists rebuilt and signed again. */
  const forge = (files: ReadonlyMap<string, Buffer>, changes: Record<string, Buffer>) => {
    const forged = new Map([...files, ...Object.entries(changes)]);
    const sign = (name: string, signatureName: string, bytes: Buffer) => {
      forged.set(name, bytes);
      forged.set(signatureName, signDigest(key, Buffer.from(sha256Hex(bytes), "hex")));
    };
    const manifest = JSON.parse(forged.get(manifestName)!.toString("utf8")) as PackageManifest;
    const relisted = manifest.files.map(({ path: name }) => {
      const bytes = forged.get(name)!;
      return { path: name, size: bytes.length, sha256: sha256Hex(bytes) };
    });
    sign(manifestName, manifestSignatureName, jsonBytes({ ...manifest, files: relisted }));
    const listed = [...forged]
      .filter(([name]) => name !== sumsName && name !== sumsSignatureName)
      .map(([name, bytes]) => ({ path: name, sha256: sha256Hex(bytes) }));
    sign(sumsName, sumsSignatureName, Buffer.from(sumsText(listed), "utf8"));
    return forged;
  };
  const flipLastByte = (bytes: Buffer) => {
    const changed = Buffer.from(bytes);
    changed[changed.length - 1] = changed.at(-1)! ^ 0x01;
    return changed;
  };

  before(async () => {
    [site, world, ...tsas] = await Promise.all([
      startFixtureSite(),
      newEvidenceWorld(),
      startLocalTsa(),
      startLocalTsa(),
    ]);
    key = await ensureSigningKey(path.join(world.dataDir, "keys"));
    const deps = { ...world.deps({ browser: null }), tsa: tsas.map(tsaConfig) };
    const first = await captureAdvert(deps, {
      url: `${site.origin}/advert`,
      sourceId: world.source.id,
      actor: "user:7",
    });
    listingId = first.capture.listingId;
    await captureAdvert(deps, { listingId, actor: "user:8", purpose: "second look" });
    const exported = await exportOf("stamped.zip", { listingIds: [listingId] }, [tsaConfig(tsas[0]!)]);
    stampedFile = exported.file;
    stamped = await readPackage(stampedFile);
    bare = await readPackage((await exportOf("bare.zip", { listingIds: [listingId] })).file);
  });
  after(async () => {
    await Promise.all([site.close(), world.close(), ...tsas.map((tsa) => tsa.close())]);
  });

  it("verifies every capture token and returns each one's time", async () => {
    const result = await verifyPackage(stampedFile);
    assert.deepEqual(result.failures, []);
    assert.equal(result.captures, 2);
    assert.deepEqual(
      result.captureTimestamps.map((stamp) => stamp.token),
      captureTokens(stamped),
    );
    for (const stamp of result.captureTimestamps) {
      const report = JSON.parse(stamped.get(stamp.token.replace(/\.tsr$/, ".json"))!.toString("utf8"));
      assert.equal(stamp.genTime, report.genTime);
    }
    assert.deepEqual(
      result.warnings.filter((warning) => warning.code !== "capture_partial"),
      [],
    );
    // A reader's own copy of both CAs is trusted in place of the package's.
    const bothCas = tsas.map((tsa) => tsa.caPem).join("");
    assert.ok((await verifyPackage(stampedFile, { tsaCaPem: bothCas })).ok);
  });

  it("VERIFY.txt checks each capture token with openssl alone, and fails once one is changed", async () => {
    const parent = await mkdtemp(path.join(tmpdir(), "wt-capture-tokens-"));
    const dir = path.join(parent, "package");
    const sh = (script: string) => run("sh", ["-c", script], { cwd: dir });
    try {
      await unpackPackage(stamped, dir);
      const commands = verifyCommands(stamped);
      const tokenCommands = captureTokens(stamped).map(
        (token) =>
          `openssl ts -verify -in ${token} -data ${path.dirname(path.dirname(token))}/capture.json -CAfile ${token.replace(/\.tsr$/, "-ca.pem")}`,
      );
      for (const command of tokenCommands) assert.ok(commands.includes(command), command);
      const outputs: string[] = [];
      for (const command of commands) outputs.push((await sh(command)).stdout);
      // The package's own token and the four capture tokens.
      assert.equal(outputs.join("\n").match(/Verification: OK/g)?.length, 1 + tokenCommands.length);

      const victim = captureTokens(stamped)[0]!;
      await writeFile(path.join(dir, victim), flipLastByte(stamped.get(victim)!));
      await assert.rejects(sh(tokenCommands[0]!), (error: { stdout: string; stderr: string }) =>
        /Verification: FAILED/.test(error.stdout + error.stderr),
      );
      await assert.rejects(sh(`sha256sum -c --quiet ${sumsName}`), (error: { stdout: string }) =>
        error.stdout.includes(`${victim}: FAILED`),
      );
      const result = await verifyPackage(dir);
      assert.equal(result.failures[0]?.file, victim);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it("a package re-signed after no change verifies (so the failures below are the tokens' own)", () => {
    const result = verifyPackageFiles(forge(bare, {}));
    assert.deepEqual(result.failures, []);
    assert.equal(result.captureTimestamps.length, 4);
  });

  it("fails naming the .tsr when a byte of a capture token changes", () => {
    const victim = captureTokens(bare)[1]!;
    const changed = { [victim]: flipLastByte(bare.get(victim)!) };
    const plain = verifyPackageFiles(new Map([...bare, ...Object.entries(changed)]));
    assert.equal(plain.failures[0]?.file, victim);
    assert.ok(plain.failures.some((f) => f.file === victim && f.code === "timestamp_invalid"));
    // Even with both lists re-signed to match, the token itself gives it away.
    const forged = verifyPackageFiles(forge(bare, changed));
    assert.deepEqual(
      forged.failures.map((f) => [f.file, f.code]),
      [[victim, "timestamp_invalid"]],
    );
    assert.match(forged.failures[0]!.message, /signature does not verify/);
  });

  it("fails when the CA a token is checked against is another self-signed CA", () => {
    const victim = captureTokens(bare)[0]!;
    const caFile = victim.replace(/\.tsr$/, "-ca.pem");
    // The other TSA's CA is a perfectly good self-signed CA; it just did not issue this TSA's certificate.
    const otherCa = Buffer.from(tsas[1]!.caPem, "utf8");
    assert.notDeepEqual(bare.get(caFile), otherCa);
    const forged = verifyPackageFiles(forge(bare, { [caFile]: otherCa }));
    assert.deepEqual(
      forged.failures.map((f) => [f.file, f.code]),
      [[victim, "timestamp_invalid"]],
    );
    assert.match(forged.failures[0]!.message, /does not chain to the trusted CA/);
    // A reader who trusts only one of the two CAs sees the other TSA's tokens fail.
    const trusted = verifyPackageFiles(bare, { tsaCaPem: tsas[0]!.caPem });
    assert.deepEqual(
      trusted.failures.map((f) => f.file),
      captureTokens(bare).filter((token) => token.endsWith("tsa-2.tsr")),
    );
  });

  it("fails naming the report when its genTime is not the token's", () => {
    const reportFile = captureTokens(bare)[0]!.replace(/\.tsr$/, ".json");
    const report = JSON.parse(bare.get(reportFile)!.toString("utf8")) as { genTime: string };
    const earlier = new Date(Date.parse(report.genTime) - 60 * 60_000).toISOString();
    const changed = { [reportFile]: jsonBytes({ ...report, genTime: earlier }) };
    const forged = verifyPackageFiles(forge(bare, changed));
    assert.deepEqual(
      forged.failures.map((f) => [f.file, f.code]),
      [[reportFile, "timestamp_report_mismatch"]],
    );
    const plain = verifyPackageFiles(new Map([...bare, ...Object.entries(changed)]));
    assert.equal(plain.failures[0]?.file, reportFile);
  });

  it("fails naming the token when the nonce its report keeps is not the one the token carries", () => {
    const token = captureTokens(bare)[0]!;
    const reportFile = token.replace(/\.tsr$/, ".json");
    const report = JSON.parse(bare.get(reportFile)!.toString("utf8")) as { nonce: string };
    assert.match(report.nonce, /^[0-9a-f]+$/, "the report keeps the nonce sent");
    const other = report.nonce === "1" ? "2" : "1";
    const forged = verifyPackageFiles(forge(bare, { [reportFile]: jsonBytes({ ...report, nonce: other }) }));
    assert.deepEqual(
      forged.failures.map((f) => [f.file, f.code]),
      [[token, "timestamp_invalid"]],
    );
    assert.match(forged.failures[0]!.message, /nonce/);
  });

  it("warns of a capture's clock far from the TSA's, and of a TSA that gave no token", async () => {
    const skewed = await captureAdvert(
      {
        ...world.deps({ browser: null }),
        now: () => new Date(Date.now() + 15 * 60_000),
        tsa: [tsaConfig(tsas[0]!), { url: `${site.origin}/no-tsa-here`, caPem: tsas[1]!.caPem }],
      },
      { listingId, actor: "user:7" },
    );
    const exported = await exportOf("skewed.zip", { captureIds: [skewed.capture.id] });
    const result = await verifyPackage(exported.file);
    assert.deepEqual(result.failures, []);
    const folder = path.dirname(path.dirname(result.captureTimestamps[0]!.token));
    const codes = result.warnings.map((warning) => [warning.file, warning.code]);
    assert.deepEqual(
      codes.filter(([, code]) => code !== "capture_partial"),
      [
        [`${folder}/timestamps/tsa-1.tsr`, "clock_skew"],
        [`${folder}/timestamps/tsa-2.json`, "timestamp_missing"],
      ],
    );
  });
});
