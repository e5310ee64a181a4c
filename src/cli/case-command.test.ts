import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Command } from "commander";
import { verifyPackage } from "../evidence/package-verify.ts";
import { readPackage } from "../evidence/package-verify.ts";
import type { PackageManifest } from "../evidence/package-layout.ts";
import { startFixtureSite, type FixtureSite } from "../evidence/testing/fixture-site.ts";
import { openStore } from "../storage/open-store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { registerCaseCommands } from "./case-command.ts";
import type { CliContext } from "./cli-context.ts";
import { registerEvidenceCommands } from "./evidence-command.ts";
import { exitCodes } from "./program.ts";
import { runCli } from "./testing/run-cli.ts";

const both = (program: Command, context: CliContext) => {
  registerEvidenceCommands(program, context);
  registerCaseCommands(program, context);
};

describe("wildtrawl case, and evidence export of a case", () => {
  let site: FixtureSite;
  let databaseUrl: string;
  let drop: () => Promise<void>;
  let dataDir: string;

  before(async () => {
    site = await startFixtureSite();
    const database = await newSqliteDatabase();
    databaseUrl = database.url;
    drop = database.drop;
    const store = await openStore(databaseUrl);
    await store.organisations.create({ slug: "unit", name: "Unit" }, "system:test");
    await store.organisations.create({ slug: "other", name: "Other" }, "system:test");
    await store.close();
    dataDir = await mkdtemp(path.join(tmpdir(), "wt-cli-case-"));
  });
  after(async () => {
    await Promise.all([site.close(), drop(), rm(dataDir, { recursive: true, force: true })]);
  });

  const run = (...argv: string[]) => runCli(both, argv, { env: { WILDTRAWL_DATABASE_URL: databaseUrl } });
  const capture = async (item: number) => {
    const captured = await run(
      "capture",
      `${site.origin}/item/${item}`,
      "--org",
      "unit",
      "--allow-private-network",
      "--no-browser",
      "--operator",
      "user:3",
      "--data-dir",
      dataDir,
    );
    assert.equal(captured.code, exitCodes.ok, captured.stderr);
    return Number(/of listing #(\d+)/.exec(captured.stdout)![1]);
  };

  it("opens a case, gathers listings, and exports them as one package under the case's TLP marking", async () => {
    const [first, second, third] = [await capture(2001), await capture(2002), await capture(2003)];
    const opened = await run(
      "case",
      "create",
      "OP-TUSK-2026/14",
      "--title",
      "Carved ivory, Lyon",
      "--marking",
      "amber+strict",
      "--org",
      "unit",
      "--operator",
      "user:3",
    );
    assert.equal(opened.code, exitCodes.ok, opened.stderr);
    assert.match(opened.stdout, /^Opened case OP-TUSK-2026\/14 {2}TLP:AMBER\+STRICT {2}Carved ivory, Lyon/);

    const added = await run("case", "add", "OP-TUSK-2026/14", String(first), String(second), "--org", "unit");
    assert.equal(added.code, exitCodes.ok, added.stderr);
    assert.match(added.stdout, new RegExp(`added 2 listing\\(s\\) \\(${first}, ${second}\\)`));
    const again = await run("case", "add", "OP-TUSK-2026/14", String(second), "--org", "unit", "--note", "x");
    assert.match(again.stdout, new RegExp(`added 0 listing\\(s\\); already in it: ${second}`));

    const shown = await run("case", "show", "OP-TUSK-2026/14", "--org", "unit", "--json");
    const detail = JSON.parse(shown.stdout) as { listings: Array<{ listingId: number; captures: number }> };
    assert.deepEqual(
      detail.listings.map((entry) => [entry.listingId, entry.captures]),
      [
        [first, 1],
        [second, 1],
      ],
    );

    // The case's listings plus one named beside it; the package names the case and its marking.
    const out = path.join(dataDir, "case.zip");
    const exported = await run(
      "evidence",
      "export",
      "OP-TUSK-2026/14",
      String(third),
      "--org",
      "unit",
      "--out",
      out,
      "--operator",
      "user:3",
      "--data-dir",
      dataDir,
    );
    assert.equal(exported.code, exitCodes.ok, exported.stderr);
    assert.match(exported.stdout, /3 capture\(s\)/);
    assert.match(exported.stdout, /case OP-TUSK-2026\/14, TLP:AMBER\+STRICT: Carved ivory, Lyon/);
    const files = await readPackage(out);
    const manifest = JSON.parse(files.get("manifest.json")!.toString("utf8")) as PackageManifest;
    assert.deepEqual(manifest.case, {
      reference: "OP-TUSK-2026/14",
      title: "Carved ivory, Lyon",
      marking: "AMBER+STRICT",
    });
    assert.deepEqual(
      manifest.captures.map((c) => c.listingId),
      [first, second, third],
    );
    const report = files.get("report.html")!.toString("utf8");
    assert.match(report, /<strong>TLP:AMBER\+STRICT<\/strong>/);
    assert.match(report, /<h1>Evidence package for case OP-TUSK-2026\/14: Carved ivory, Lyon<\/h1>/);
    const custody = JSON.parse(files.get("custody.json")!.toString("utf8")) as {
      entries: Array<{ action?: string; details?: { case?: string } }>;
    };
    assert.equal(custody.entries.filter((e) => e.details?.case === "OP-TUSK-2026/14").length, 3);
    assert.equal((await verifyPackage(out)).ok, true);

    const store = await openStore(databaseUrl);
    try {
      const org = (await store.organisations.getBySlug("unit"))!;
      const found = (await store.cases.get(org.id, "OP-TUSK-2026/14"))!;
      const audit = await store.audit.list({ subjectType: "case", subjectId: String(found.id) });
      assert.deepEqual(
        audit.map((entry) => entry.action),
        ["case.created", "case.listings_added", "case.exported"],
      );
      assert.equal(audit.at(-1)!.details.sha256, /package sha256 ([0-9a-f]{64})/.exec(exported.stdout)![1]);
    } finally {
      await store.close();
    }
    assert.ok((await readFile(out)).length > 0);
  });

  it("names what is wrong: an unknown case, a second case, an empty case, an uncaptured listing", async () => {
    const out = path.join(dataDir, "bad.zip");
    const exportOf = (...targets: string[]) =>
      run("evidence", "export", ...targets, "--org", "unit", "--out", out, "--data-dir", dataDir);

    const unknown = await exportOf("OP-NONE");
    assert.equal(unknown.code, exitCodes.notFound);
    assert.match(unknown.stderr, /no case "OP-NONE" \[case_not_found\]/);
    // Another organisation's case is as unknown as a missing one.
    await run("case", "create", "OP-THEIRS", "--title", "t", "--org", "other");
    assert.match((await exportOf("OP-THEIRS")).stderr, /no case "OP-THEIRS"/);

    const two = await exportOf("OP-A", "OP-B");
    assert.equal(two.code, exitCodes.usage);
    assert.match(two.stderr, /one case per package: "OP-A" and "OP-B"/);

    await run("case", "create", "OP-EMPTY", "--title", "t", "--org", "unit");
    const empty = await exportOf("OP-EMPTY");
    assert.equal(empty.code, exitCodes.usage);
    assert.match(empty.stderr, /case OP-EMPTY has no listings yet \[case_empty\]/);

    const store = await openStore(databaseUrl);
    let uncaptured: number;
    try {
      const org = (await store.organisations.getBySlug("unit"))!;
      const source = await store.sources.upsert({ organisationId: org.id, slug: "s", name: "S" });
      const [result] = await store.listings.ingest([
        {
          sourceId: source.id,
          listingKey: "k",
          observedAt: new Date(),
          url: "https://m.example/k",
          text: "t",
        },
      ]);
      uncaptured = result!.listingId;
    } finally {
      await store.close();
    }
    await run("case", "add", "OP-EMPTY", String(uncaptured), "--org", "unit");
    const missing = await exportOf("OP-EMPTY");
    assert.equal(missing.code, exitCodes.notFound);
    assert.match(
      missing.stderr,
      new RegExp(
        `listing ${uncaptured} \\(in case OP-EMPTY\\) has no capture yet: run "wildtrawl capture ${uncaptured}"`,
      ),
    );

    const digits = await run("case", "create", "2026", "--title", "t", "--org", "unit");
    assert.equal(digits.code, exitCodes.usage);
    assert.match(digits.stderr, /all digits would read as a listing id/);
    const marking = await run("case", "create", "OP-X", "--title", "t", "--marking", "PINK", "--org", "unit");
    assert.equal(marking.code, exitCodes.usage);
    assert.match(marking.stderr, /expected one of CLEAR, GREEN, AMBER, AMBER\+STRICT, RED/);
    const ambiguous = await run("case", "list");
    assert.match(ambiguous.stderr, /give --org: which organisation's cases \[organisation_missing\]/);
  });
});
