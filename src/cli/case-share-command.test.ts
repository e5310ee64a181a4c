import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Command } from "commander";
import { openStore } from "../storage/open-store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { registerAdminCommands } from "./admin-command.ts";
import { registerCaseCommands } from "./case-command.ts";
import type { CliContext } from "./cli-context.ts";
import { exitCodes } from "./program.ts";
import { runCli } from "./testing/run-cli.ts";

const both = (program: Command, context: CliContext) => {
  registerAdminCommands(program, context);
  registerCaseCommands(program, context);
};

describe("wildtrawl case share, admin sharing-group and admin user clearance", () => {
  let databaseUrl: string;
  let drop: () => Promise<void>;
  before(async () => {
    const database = await newSqliteDatabase();
    databaseUrl = database.url;
    drop = database.drop;
    const store = await openStore(databaseUrl);
    for (const slug of ["unit", "ncb", "ngo"])
      await store.organisations.create({ slug, name: slug }, "system:test");
    const ncb = (await store.organisations.getBySlug("ncb"))!;
    await store.users.create(
      { organisationId: ncb.id, email: "officer@ncb.example", displayName: "Officer", role: "ncb_officer" },
      "system:test",
    );
    await store.close();
  });
  after(() => drop());

  const run = (...argv: string[]) => runCli(both, argv, { env: { WILDTRAWL_DATABASE_URL: databaseUrl } });

  it("shares a case, lists it for the recipient, refuses a widening re-share, and sets a clearance", async () => {
    const group = await run(
      "admin",
      "sharing-group",
      "create",
      "--org",
      "unit",
      "--slug",
      "pair",
      "--member",
      "ncb",
    );
    assert.equal(group.code, exitCodes.ok, group.stderr);
    assert.match(group.stdout, /Created sharing group pair \(id \d+\) of 2 organisation\(s\)/);
    assert.equal(
      (await run("case", "create", "OP-1", "--org", "unit", "--title", "Ivory", "--marking", "GREEN")).code,
      exitCodes.ok,
    );
    const shared = await run("case", "share", "OP-1", "--org", "unit", "--with", "ncb", "--group", "pair");
    assert.equal(shared.code, exitCodes.ok, shared.stderr);
    assert.match(shared.stdout, /share \d+: organisation \d+ of group \d+, read, TLP:GREEN H0, 1 onward hop/);

    const listed = await run("case", "list", "--org", "ncb");
    assert.match(listed.stdout, /^OP-1 {2}TLP:GREEN {2}Ivory .* owner unit$/m);
    assert.match((await run("case", "list", "--org", "ngo")).stdout, /^No cases\.$/m);

    const widened = await run("case", "share", "OP-1", "--org", "ncb", "--with", "ngo");
    assert.equal(widened.code, exitCodes.failure);
    assert.match(widened.stderr, /audience is wider/);
    const weaker = await run(
      "case",
      "share",
      "OP-1",
      "--org",
      "ncb",
      "--group",
      "pair",
      "--marking",
      "CLEAR",
    );
    assert.equal(weaker.code, exitCodes.failure);
    assert.match(weaker.stderr, /marking is weaker/);
    const shares = await run("case", "shares", "OP-1", "--org", "unit");
    assert.equal(shares.stdout.trim().split("\n").length, 1);

    const before = await run("admin", "user", "clearance", "--email", "officer@ncb.example");
    assert.match(before.stdout, /holds TLP:RED and H3 \(their role's\)/);
    const set = await run(
      "admin",
      "user",
      "clearance",
      "--email",
      "officer@ncb.example",
      "--marking",
      "AMBER",
      "--handling",
      "H1",
    );
    assert.equal(set.code, exitCodes.ok, set.stderr);
    assert.match(set.stdout, /holds TLP:AMBER and H1 \(set by system:cli\)/);
  });

  it("adds and removes members of a sharing group", async () => {
    assert.equal((await run("admin", "sharing-group", "create", "--org", "unit", "--slug", "trio")).code, 0);
    const members = (org: string, ...change: string[]) =>
      run("admin", "sharing-group", "members", "--org", org, "--slug", "trio", ...change);
    const added = await members("unit", "--add", "ncb", "--add", "ngo");
    assert.equal(added.code, exitCodes.ok, added.stderr);
    assert.equal(added.stdout.trim(), "Sharing group trio: 3 organisation(s)");
    const removed = await members("unit", "--remove", "ngo");
    assert.equal(removed.stdout.trim(), "Sharing group trio: 2 organisation(s)");
    const notOwner = await members("ncb", "--add", "ngo");
    assert.equal(notOwner.code, exitCodes.notFound);
    assert.match(notOwner.stderr, /no sharing group "trio" of yours/);
  });

  it("withdraws a share: the recipient no longer lists the case, and an unknown share is named", async () => {
    assert.equal(
      (await run("case", "create", "OP-2", "--org", "unit", "--title", "Scales", "--marking", "GREEN")).code,
      exitCodes.ok,
    );
    const shared = await run("case", "share", "OP-2", "--org", "unit", "--with", "ngo", "--json");
    assert.equal(shared.code, exitCodes.ok, shared.stderr);
    const { id } = JSON.parse(shared.stdout) as { id: number };
    assert.match((await run("case", "list", "--org", "ngo")).stdout, /^OP-2 /m);

    const byRecipient = await run("case", "unshare", "OP-2", "--org", "ngo", "--share", String(id));
    assert.equal(byRecipient.code, exitCodes.failure);
    assert.match(byRecipient.stderr, /only the case's owner or the organisation that granted share/);

    const withdrawn = await run("case", "unshare", "OP-2", "--org", "unit", "--share", String(id));
    assert.equal(withdrawn.code, exitCodes.ok, withdrawn.stderr);
    assert.equal(withdrawn.stdout.trim(), `Case OP-2: share ${id} withdrawn`);
    assert.doesNotMatch((await run("case", "list", "--org", "ngo")).stdout, /OP-2/);

    const again = await run("case", "unshare", "OP-2", "--org", "unit", "--share", String(id));
    assert.equal(again.code, exitCodes.notFound);
    assert.match(again.stderr, new RegExp(`no share ${id} in force`));
  });
});
