import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { declaredOrigin, sourceFiles } from "../../test/fixtures/web/fixture-sources.ts";
import { startFixtureWeb, type FixtureWeb } from "../../test/fixtures/web/server.ts";
import { verifyPassword } from "../services/authentication.ts";
import { openStore } from "../storage/open-store.ts";
import { runCli } from "./testing/run-cli.ts";
import { registerTrawlCommands } from "./trawl-command.ts";

const run = (args: string[], databaseUrl: string) =>
  runCli(registerTrawlCommands, args, { env: { WILDTRAWL_DATABASE_URL: databaseUrl } });

describe("wildtrawl trawl and wildtrawl demo", () => {
  let directory: string;
  let web: FixtureWeb;
  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), "wildtrawl-trawl-cli-"));
    web = await startFixtureWeb({ port: 0, slowPageDelayMs: 10 });
  });
  after(async () => {
    await web.close();
    await rm(directory, { recursive: true, force: true });
  });

  it("trawls a source file, prints a summary, and a rerun carries on where the page limit stopped it", async () => {
    const file = path.join(directory, "forum.json");
    const text = await readFile(sourceFiles.forum, "utf8");
    await writeFile(file, text.replaceAll(declaredOrigin, web.origin()));
    const database = path.join(directory, "trawl.db");
    const first = await run(["trawl", file, "--max-pages", "15", "--max-search-queries", "0"], database);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^\d+ pages, \d+ listings, \d+ offers flagged, 0 errors/);
    assert.match(first.stdout, /fixture-forum: visit 1 \(new\)/);
    assert.match(first.stdout, /a rerun carries on/);
    assert.ok((await readdir(path.join(directory, "warc"))).some((name) => name.endsWith(".warc.gz")));
    const second = await run(["trawl", file, "--max-pages", "15", "--json"], database);
    assert.equal(second.code, 0, second.stderr);
    const summary = JSON.parse(second.stdout) as { sources: Array<{ visit: string; generation: number }> };
    assert.deepEqual(
      summary.sources.map((source) => [source.visit, source.generation]),
      [["resumed", 1]],
    );
  });

  it("refuses a source file that does not validate, naming the problem", async () => {
    const file = path.join(directory, "bad.yaml");
    await writeFile(file, "id: Not An Id\n");
    const result = await run(["trawl", file], path.join(directory, "bad.db"));
    assert.equal(result.code, 2);
    assert.match(result.stderr, /source_invalid/);
  });

  it("demo --no-serve --json: serves the fixture web, trawls its three sites, prints the JSON summary", async () => {
    const database = path.join(directory, "demo.db");
    const args = ["demo", "--no-serve", "--json", "--port", "0", "--max-pages", "40"];
    const first = await run(args, database);
    assert.equal(first.code, 0, first.stderr);
    const summary = JSON.parse(first.stdout) as {
      pages: number;
      listings: number;
      offersFlagged: number;
      errors: number;
      fixtureEpoch: number;
      sources: Array<{ source: string; visit: string }>;
      dashboard: { email: string; password: string };
    };
    assert.ok(summary.pages >= 40);
    for (const key of ["listings", "offersFlagged", "errors"] as const)
      assert.equal(typeof summary[key], "number");
    assert.deepEqual(
      summary.sources.map((source) => source.source),
      ["fixture-shop", "fixture-ads", "fixture-forum"],
    );
    assert.equal(summary.fixtureEpoch, 0);
    const store = await openStore(database);
    try {
      const user = await store.users.getByEmail(summary.dashboard.email);
      const credentials = user && (await store.users.credentials(user.id));
      assert.ok(credentials?.passwordHash, "the demo user can sign in to the dashboard");
      assert.equal(await verifyPassword(summary.dashboard.password, credentials.passwordHash), true);
    } finally {
      await store.close();
    }
    const again = JSON.parse((await run(args, database)).stdout) as typeof summary;
    assert.deepEqual(
      again.sources.map((source) => source.visit),
      ["resumed", "resumed", "resumed"],
      "run again, it resumes rather than starting over",
    );
  });
});
