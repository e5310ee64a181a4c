import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startFixtureSite, type FixtureSite } from "../evidence/testing/fixture-site.ts";
import { startLocalTsa, type LocalTsa } from "../evidence/testing/local-tsa.ts";
import { openStore } from "../storage/open-store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { registerEvidenceCommands } from "./evidence-command.ts";
import { exitCodes } from "./program.ts";
import { loadConfig } from "../config.ts";
import { runCli } from "./testing/run-cli.ts";

describe("wildtrawl capture, custody and evidence", () => {
  let site: FixtureSite;
  let tsa: LocalTsa;
  let databaseUrl: string;
  let drop: () => Promise<void>;
  let exec: (sql: string) => Promise<void>;
  let dataDir: string;

  before(async () => {
    [site, tsa] = await Promise.all([startFixtureSite(), startLocalTsa()]);
    const database = await newSqliteDatabase();
    databaseUrl = database.url;
    drop = database.drop;
    exec = database.exec;
    const store = await openStore(databaseUrl);
    await store.organisations.create({ slug: "unit", name: "Unit" }, "system:test");
    await store.close();
    dataDir = await mkdtemp(path.join(tmpdir(), "wt-cli-evidence-"));
  });
  after(async () => {
    await Promise.all([site.close(), tsa.close(), drop(), rm(dataDir, { recursive: true, force: true })]);
  });

  const run = (...argv: string[]) =>
    runCli(registerEvidenceCommands, argv, { env: { WILDTRAWL_DATABASE_URL: databaseUrl } });

  it("captures, records a hand-over, exports with a time-stamp, verifies, and names a tampered file", async () => {
    const keys = await run("evidence", "keys", "--data-dir", dataDir);
    assert.equal(keys.code, exitCodes.ok, keys.stderr);
    const fingerprint = /SHA256:[0-9a-f]{64}/.exec(keys.stdout)![0];
    const caFile = path.join(dataDir, "tsa-ca.pem");
    await writeFile(caFile, tsa.caPem);

    const captured = await run(
      "capture",
      `${site.origin}/advert`,
      "--allow-private-network",
      "--no-browser",
      "--operator",
      "user:3",
      "--purpose",
      "flagged",
      "--tsa",
      tsa.url,
      "--tsa-ca",
      caFile,
      "--data-dir",
      dataDir,
    );
    assert.equal(captured.code, exitCodes.ok, captured.stderr);
    assert.match(
      captured.stdout,
      /^Capture #1 of listing #1: PARTIAL \(screenshot_missing: browser_disabled/,
    );
    assert.match(captured.stdout, new RegExp(`time-stamped by ${tsa.url} at \\d{4}-`));

    const handed = await run(
      "custody",
      "record",
      "1",
      "--action",
      "transfer",
      "--to",
      "Prosecutor's office",
      "--operator",
      "user:3",
      "--purpose",
      "court file",
    );
    assert.equal(handed.code, exitCodes.ok, handed.stderr);
    const anchors = path.join(dataDir, "anchors");
    const unanchored = await run("custody", "verify", "--anchors", anchors, "--data-dir", dataDir);
    assert.match(unanchored.stdout, /^Custody log intact: 2 entries/);
    assert.match(unanchored.stdout, /No anchored heads/);
    const anchored = await run("custody", "anchor", "--anchors", anchors, "--data-dir", dataDir);
    assert.equal(anchored.code, exitCodes.ok, anchored.stderr);
    assert.match(anchored.stdout, /^Anchored entry \d+ \(2 entries\)/);
    const again = await run("custody", "anchor", "--anchors", anchors, "--data-dir", dataDir);
    assert.match(again.stdout, /^Nothing new since the last anchor/);
    const verified = await run("custody", "verify", "--anchors", anchors, "--data-dir", dataDir);
    assert.equal(verified.code, exitCodes.ok, verified.stderr);
    assert.match(verified.stdout, /Matches all 1 anchored heads/);

    const out = path.join(dataDir, "case.zip");
    const exported = await run(
      "evidence",
      "export",
      "1",
      "--out",
      out,
      "--tsa",
      tsa.url,
      "--tsa-ca",
      caFile,
      "--data-dir",
      dataDir,
    );
    assert.equal(exported.code, exitCodes.ok, exported.stderr);
    assert.match(exported.stdout, new RegExp(`signed by ${fingerprint}`));

    const ok = await run("evidence", "verify", out, "--fingerprint", fingerprint);
    assert.equal(ok.code, exitCodes.ok, ok.stderr);
    assert.match(ok.stdout, /Package verified: 1 capture\(s\)/);
    assert.match(ok.stdout, /capture #1 time-stamp captures\/1-[0-9a-f]{12}\/timestamps\/tsa-1\.tsr: \d{4}-/);
    assert.match(ok.stdout, /warning: .*PARTIAL/);

    const zip = await readFile(out);
    const at = zip.indexOf(Buffer.from("report.html")) + 60;
    zip[at] = zip[at]! ^ 0x01;
    const bad = path.join(dataDir, "bad.zip");
    await writeFile(bad, zip);
    const failed = await run("evidence", "verify", bad);
    assert.equal(failed.code, exitCodes.failure);
    assert.match(failed.stderr, /^wildtrawl: report\.html: .* \[package_invalid\]/);
  });

  it("reports each refused attempt to change evidence or custody rows (E6)", async () => {
    await exec("UPDATE captures SET url = 'https://elsewhere.example/' WHERE id = 1");
    await exec("DELETE FROM custody_log WHERE id = 2");
    const verified = await run("custody", "verify", "--data-dir", dataDir);
    assert.equal(verified.code, exitCodes.ok, verified.stderr);
    assert.match(verified.stdout, /^Custody log intact: \d+ entries/);
    assert.match(
      verified.stdout,
      /2 attempt\(s\) to change evidence, custody or audit rows were refused; the newest:\n {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}DELETE custody_log row 2\n {2}\d{4}-[\d:.T-]+Z {2}UPDATE captures row 1\n/,
    );
    const json = JSON.parse((await run("custody", "verify", "--data-dir", dataDir, "--json")).stdout) as {
      refusedChanges: Array<{ table: string; operation: string; rowId: number }>;
    };
    assert.deepEqual(
      json.refusedChanges.map((r) => [r.table, r.operation, r.rowId]),
      [
        ["captures", "UPDATE", 1],
        ["custody_log", "DELETE", 2],
      ],
    );
  });

  it("refuses an export of a listing with no capture, and a reserved custody action", async () => {
    const missing = await run(
      "evidence",
      "export",
      "99",
      "--out",
      path.join(dataDir, "x.zip"),
      "--data-dir",
      dataDir,
    );
    assert.equal(missing.code, exitCodes.notFound);
    const reserved = await run("custody", "record", "1", "--action", "export");
    assert.equal(reserved.code, exitCodes.usage);
  });

  it("time-stamps captures with the configured TSAs, and names a bad TSA setting", async () => {
    const caFile = path.join(dataDir, "configured-tsa-ca.pem");
    await writeFile(caFile, tsa.caPem);
    const configured = (env: Record<string, string>, ...argv: string[]) =>
      runCli(registerEvidenceCommands, argv, { env: { WILDTRAWL_DATABASE_URL: databaseUrl, ...env } });
    const captured = await configured(
      { WILDTRAWL_TSA_URLS: tsa.url, WILDTRAWL_TSA_CA: caFile },
      "capture",
      `${site.origin}/advert?configured`,
      "--allow-private-network",
      "--no-browser",
      "--data-dir",
      dataDir,
    );
    assert.equal(captured.code, exitCodes.ok, captured.stderr);
    assert.match(captured.stdout, new RegExp(`time-stamped by ${tsa.url} at `));

    // A bad setting stops wildtrawl at start-up, naming the variable.
    assert.throws(
      () => loadConfig({ WILDTRAWL_TSA_URLS: tsa.url }),
      /WILDTRAWL_TSA_URLS needs WILDTRAWL_TSA_CA/,
    );
    assert.throws(
      () => loadConfig({ WILDTRAWL_TSA_URLS: "file:///etc/passwd", WILDTRAWL_TSA_CA: caFile }),
      /"file:\/\/\/etc\/passwd" is not an http\(s\) URL/,
    );
  });
});
