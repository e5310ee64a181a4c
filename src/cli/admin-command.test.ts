import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { publicKeyFingerprint } from "../evidence/signing-keys.ts";
import { openStore } from "../storage/open-store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { keyRole } from "../services/access.ts";
import { verifyPassword } from "../services/authentication.ts";
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
    // The evidence signing key (E4) is made with the organisation; its public half is the published one.
    const fingerprint = /Created the evidence signing key in (.+): (SHA256:[0-9a-f]{64})/.exec(init.stdout);
    assert.ok(fingerprint, init.stdout);
    const shown = await run("admin", "signing-key");
    assert.equal(shown.code, exitCodes.ok, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^Evidence signing key in .+: ${fingerprint[2]}`));
    const publicPem = /-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/.exec(shown.stdout)![0];
    assert.equal(publicKeyFingerprint(publicPem), fingerprint[2]);
    assert.equal(readFileSync(path.join(fingerprint[1]!, "signing-key.pub.pem"), "utf8").trim(), publicPem);

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

  const runWithStdin = (stdin: string, ...argv: string[]) =>
    runCli(
      (program, context) => registerAdminCommands(program, context, { stdin: Readable.from([stdin]) }),
      argv,
      {
        env: { WILDTRAWL_DATABASE_URL: databaseUrl },
        now: () => new Date("2026-05-01T12:00:00Z"),
      },
    );

  it("user add, password, list and disable: passwords only from standard input, never echoed", async () => {
    const passphrase = "heron wading at dusk";
    const addArgs = ["admin", "user", "add", "--org", "wildlife-unit", "--email", "Ana@Unit.example"];
    const common = await runWithStdin(
      "password1\n",
      ...addArgs,
      "--name",
      "Ana",
      "--role",
      "analyst",
      "--password-stdin",
    );
    assert.equal(common.code, exitCodes.usage, common.stderr);
    assert.match(common.stderr, /password_too_common|breaches/);

    const added = await runWithStdin(
      `${passphrase}\n`,
      ...addArgs,
      "--name",
      "Ana",
      "--role",
      "analyst",
      "--password-stdin",
    );
    assert.equal(added.code, exitCodes.ok, added.stderr);
    assert.match(added.stdout, /Added ana@unit\.example \(id \d+, analyst\) to wildlife-unit/);
    assert.ok(!added.stdout.includes(passphrase) && !added.stderr.includes(passphrase));

    const noPassword = await run(
      "admin",
      "user",
      "add",
      "--org",
      "wildlife-unit",
      "--email",
      "bo@unit.example",
      "--name",
      "Bo",
      "--role",
      "reviewer",
    );
    assert.equal(noPassword.code, exitCodes.ok, noPassword.stderr);
    assert.match(noPassword.stdout, /No password yet/);
    assert.equal(
      (
        await run(
          "admin",
          "user",
          "add",
          "--org",
          "nowhere",
          "--email",
          "c@x.example",
          "--name",
          "C",
          "--role",
          "analyst",
        )
      ).code,
      exitCodes.notFound,
    );
    assert.equal(
      (await runWithStdin("", ...addArgs, "--name", "A", "--role", "analyst", "--password-stdin")).code,
      exitCodes.usage,
    );

    const store = await openStore(databaseUrl);
    try {
      const ana = (await store.users.getByEmail("ana@unit.example"))!;
      assert.equal(
        await verifyPassword(passphrase, (await store.users.credentials(ana.id))!.passwordHash!),
        true,
      );
      const session = await store.sessions.create({
        userId: ana.id,
        organisationId: ana.organisationId,
        tokenHash: "a".repeat(64),
        expiresAt: new Date("2026-05-02T00:00:00Z"),
      });

      assert.equal(
        (await run("admin", "user", "password", "--email", "ana@unit.example")).code,
        exitCodes.usage,
      );
      const changed = await runWithStdin(
        "kingfisher over the weir\r\n",
        "admin",
        "user",
        "password",
        "--email",
        "ana@unit.example",
        "--password-stdin",
      );
      assert.equal(changed.code, exitCodes.ok, changed.stderr);
      assert.equal((await store.sessions.get(session.id))?.revokedAt !== null, true);
      assert.equal(
        await verifyPassword(
          "kingfisher over the weir",
          (await store.users.credentials(ana.id))!.passwordHash!,
        ),
        true,
      );

      const list = await run("admin", "user", "list", "--org", "wildlife-unit", "--json");
      assert.equal(list.code, exitCodes.ok, list.stderr);
      const people = list.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { email: string; state: string });
      assert.deepEqual(
        people.map((p) => [p.email, p.state]),
        [
          ["admin@unit.example", "no password"],
          ["ana@unit.example", "active"],
          ["bo@unit.example", "no password"],
        ],
      );

      // A lost phone: the operator removes the authenticator, audited as the CLI, and the person's sessions end.
      await store.users.setMfaSecret(ana.id, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "user:test");
      const live = await store.sessions.create({
        userId: ana.id,
        organisationId: ana.organisationId,
        tokenHash: "b".repeat(64),
        expiresAt: new Date("2026-05-02T00:00:00Z"),
      });
      const reset = await run("admin", "user", "reset-mfa", "--email", "ana@unit.example");
      assert.equal(reset.code, exitCodes.ok, reset.stderr);
      assert.match(reset.stdout, /Authenticator removed for ana@unit\.example/);
      assert.equal((await store.users.credentials(ana.id))?.mfaSecret, null);
      assert.notEqual((await store.sessions.get(live.id))?.revokedAt, null);
      const removal = (await store.audit.list()).filter((entry) => entry.action === "user.mfa_removed");
      assert.deepEqual(
        removal.map((entry) => [entry.actor, entry.subjectId]),
        [["system:cli", String(ana.id)]],
      );
      assert.equal(
        (await run("admin", "user", "reset-mfa", "--email", "nobody@unit.example")).code,
        exitCodes.notFound,
      );

      const disabled = await run("admin", "user", "disable", "--email", "ana@unit.example");
      assert.equal(disabled.code, exitCodes.ok, disabled.stderr);
      assert.notEqual((await store.users.get(ana.id))?.disabledAt, null);
      assert.equal(
        (await run("admin", "user", "disable", "--email", "nobody@unit.example")).code,
        exitCodes.notFound,
      );
    } finally {
      await store.close();
    }
  });
});
