import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openStore } from "../storage/open-store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { keyRole } from "../services/access.ts";
import { registerAdminCommands } from "./admin-command.ts";
import { exitCodes } from "./program.ts";
import { runCli } from "./testing/run-cli.ts";

describe("wildtrawl admin", () => {
  let databaseUrl: string;
  let drop: () => Promise<void>;
  before(async () => {
    const database = await newSqliteDatabase();
    databaseUrl = database.url;
    drop = database.drop;
  });
  after(() => drop());

  const run = (...argv: string[]) =>
    runCli(registerAdminCommands, argv, {
      env: { WILDTRAWL_DATABASE_URL: databaseUrl },
      now: () => new Date("2026-05-01T12:00:00Z"),
    });

  it("init creates the organisation, its admin and a key shown once; key create issues a scoped key", async () => {
    const init = await run("admin", "init", "--org", "wildlife-unit", "--email", "Admin@Unit.example");
    assert.equal(init.code, exitCodes.ok, init.stderr);
    const adminSecret = init.stdout.trim().split("\n").at(-1)!;
    assert.match(adminSecret, /^wt_/);

    const again = await run("admin", "init", "--org", "other", "--email", "b@x.example");
    assert.equal(again.code, exitCodes.failure);
    assert.match(again.stderr, /already_initialised/);

    const key = await run(
      "admin",
      "key",
      "create",
      "--org",
      "wildlife-unit",
      "--role",
      "platform_officer",
      "--expires",
      "2027-01-01",
    );
    assert.equal(key.code, exitCodes.ok, key.stderr);
    const secret = key.stdout.trim();
    assert.match(secret, /^wt_/);

    assert.equal(
      (await run("admin", "key", "create", "--org", "wildlife-unit", "--role", "king")).code,
      exitCodes.usage,
    );
    assert.equal(
      (await run("admin", "key", "create", "--org", "nobody", "--role", "analyst")).code,
      exitCodes.notFound,
    );

    const store = await openStore(databaseUrl);
    try {
      const platformKey = await store.apiKeys.authenticate(secret);
      assert.equal(platformKey && keyRole(platformKey), "platform_officer");
      const user = await store.users.getByEmail("admin@unit.example");
      assert.equal(user?.role, "admin");
    } finally {
      await store.close();
    }
  });
});
