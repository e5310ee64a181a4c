/**
 * What both stores keep about people signing in: credentials beside the user, sessions by token hash, a disabled
 * user's sessions ending with the account, and failed sign-ins counted for every process at once (RELIABILITY A7,
 * A8). Run from store.contract.ts.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, it } from "node:test";
import { NotFoundError } from "../core/errors.ts";
import { openStore } from "./open-store.ts";
import type { Organisation, User } from "./records.ts";
import { loginFailurePruneBatch } from "./sql/login-failure-repository.ts";
import { sessionUserAgentMaxLength } from "./sql/session-repository.ts";
import type { ContractDatabase } from "./store.contract.ts";
import type { Store } from "./store.ts";

const actor = "system:contract";
const t0 = new Date("2026-03-01T10:00:00.000Z");
const hours = (n: number) => new Date(t0.getTime() + n * 3_600_000);

export function sessionContract(newDatabase: () => Promise<ContractDatabase>): void {
  describe("sign-in: credentials and sessions", () => {
    let database: ContractDatabase;
    let store: Store;
    let now: Date;
    let org: Organisation;
    let user: User;

    const newToken = () => {
      const token = randomBytes(32).toString("base64url");
      return { token, tokenHash: createHash("sha256").update(token).digest("hex") };
    };
    const openSession = async (forUser: User = user) => {
      const { token, tokenHash } = newToken();
      const session = await store.sessions.create({
        userId: forUser.id,
        organisationId: forUser.organisationId,
        tokenHash,
        expiresAt: hours(12),
        ip: "203.0.113.7",
        userAgent: "Firefox",
      });
      return { token, tokenHash, session };
    };

    beforeEach(async () => {
      database = await newDatabase();
      now = t0;
      store = await openStore(database.url, { clock: () => now });
      org = await store.organisations.create({ slug: "wildlife-unit", name: "Wildlife Unit" }, actor);
      user = await store.users.create(
        { organisationId: org.id, email: "Ana@Unit.example", displayName: "Ana", role: "analyst" },
        actor,
      );
    });
    afterEach(async () => {
      await store.close();
      await database.drop();
    });

    it("keeps a password hash and a TOTP secret beside the user, audited without their values", async () => {
      assert.deepEqual(await store.users.credentials(user.id), {
        userId: user.id,
        passwordHash: null,
        mfaSecret: null,
        mfaLastStep: null,
      });
      await store.users.setPasswordHash(user.id, "scrypt$test$hash", "user:1");
      await store.users.setMfaSecret(user.id, "JBSWY3DPEHPK3PXP", "user:1");
      const credentials = await store.users.credentials(user.id);
      assert.equal(credentials?.passwordHash, "scrypt$test$hash");
      assert.equal(credentials?.mfaSecret, "JBSWY3DPEHPK3PXP");
      assert.equal(await store.users.credentials(424242), null);
      await assert.rejects(store.users.setPasswordHash(424242, "x", actor), NotFoundError);

      const audit = await store.audit.list({ subjectType: "user", subjectId: String(user.id) });
      assert.deepEqual(
        audit.map((entry) => entry.action),
        ["user.created", "user.password_set", "user.mfa_enrolled"],
      );
      const logged = JSON.stringify(audit);
      assert.ok(!logged.includes("scrypt$test") && !logged.includes("JBSWY3DP"), logged);
      // The user record itself never carries them.
      assert.ok(!JSON.stringify(await store.users.get(user.id)).includes("scrypt"));
    });

    it("accepts each TOTP step once, and a new secret starts afresh", async () => {
      await store.users.setMfaSecret(user.id, "JBSWY3DPEHPK3PXP", actor);
      assert.equal(await store.users.useMfaStep(user.id, 1000), true);
      assert.equal(await store.users.useMfaStep(user.id, 1000), false, "the same step again is a replay");
      assert.equal(await store.users.useMfaStep(user.id, 999), false, "an earlier step is a replay too");
      assert.equal(await store.users.useMfaStep(user.id, 1001), true);
      assert.equal((await store.users.credentials(user.id))?.mfaLastStep, 1001);
      await store.users.setMfaSecret(user.id, "KRSXG5CTMVRXEZLU", actor);
      assert.equal((await store.users.credentials(user.id))?.mfaLastStep, null);
      assert.equal(await store.users.useMfaStep(user.id, 5), true);
    });

    it("lists an organisation's users", async () => {
      const other = await store.organisations.create({ slug: "other", name: "Other" }, actor);
      await store.users.create(
        { organisationId: other.id, email: "x@other.example", displayName: "X", role: "admin" },
        actor,
      );
      const second = await store.users.create(
        { organisationId: org.id, email: "bo@unit.example", displayName: "Bo", role: "reviewer" },
        actor,
      );
      assert.deepEqual(
        (await store.users.listForOrganisation(org.id)).map((u) => u.id),
        [user.id, second.id],
      );
      assert.deepEqual(await store.users.listForOrganisation(424242), []);
    });

    it("finds a session by its token hash only; the token itself is nowhere in the database", async () => {
      const { token, tokenHash, session } = await openSession();
      assert.equal(session.userId, user.id);
      assert.equal(session.organisationId, org.id);
      assert.deepEqual(session.createdAt, t0);
      assert.deepEqual(session.lastSeenAt, t0);
      assert.deepEqual(session.expiresAt, hours(12));
      assert.equal(session.revokedAt, null);
      assert.equal(session.ip, "203.0.113.7");
      assert.equal(session.userAgent, "Firefox");
      assert.deepEqual(await store.sessions.findByTokenHash(tokenHash), session);
      assert.deepEqual(await store.sessions.get(session.id), session);
      assert.equal(await store.sessions.get(424242), null);
      assert.equal(await store.sessions.findByTokenHash(newToken().tokenHash), null);
      const dump = JSON.stringify(await database.rows("sessions"));
      assert.ok(dump.includes(tokenHash) && !dump.includes(token));
    });

    it("refuses a second session with the same token hash", async () => {
      const { tokenHash } = await openSession();
      await assert.rejects(
        store.sessions.create({ userId: user.id, organisationId: org.id, tokenHash, expiresAt: hours(1) }),
      );
    });

    it("caps the user agent it keeps", async () => {
      const session = await store.sessions.create({
        userId: user.id,
        organisationId: org.id,
        tokenHash: newToken().tokenHash,
        expiresAt: hours(1),
        userAgent: "A".repeat(10_000),
      });
      assert.equal(session.userAgent?.length, sessionUserAgentMaxLength);
      assert.equal(session.ip, null);
    });

    it("records activity, never moving it backwards", async () => {
      const { tokenHash, session } = await openSession();
      await store.sessions.touch(session.id, hours(1));
      await store.sessions.touch(session.id, new Date(t0.getTime() + 60_000));
      assert.deepEqual((await store.sessions.findByTokenHash(tokenHash))?.lastSeenAt, hours(1));
    });

    it("revokes one session, or all of a user's, audited", async () => {
      const first = await openSession();
      const second = await openSession();
      const third = await openSession();
      now = hours(1);
      const revoked = await store.sessions.revoke(first.session.id, "user:1");
      assert.deepEqual(revoked.revokedAt, hours(1));
      now = hours(2);
      assert.deepEqual((await store.sessions.revoke(first.session.id, "user:1")).revokedAt, hours(1));
      assert.equal(await store.sessions.revokeAllForUser(user.id, "user:1"), 2);
      assert.equal(await store.sessions.revokeAllForUser(user.id, "user:1"), 0);
      for (const { tokenHash } of [second, third])
        assert.deepEqual((await store.sessions.findByTokenHash(tokenHash))?.revokedAt, hours(2));
      await assert.rejects(store.sessions.revoke(424242, actor), NotFoundError);
      await assert.rejects(store.sessions.revokeAllForUser(424242, actor), NotFoundError);
      const actions = (await store.audit.list()).map((entry) => entry.action);
      assert.ok(
        actions.includes("session.revoked") && actions.includes("session.revoked_all"),
        String(actions),
      );
    });

    it("ends every session of a user who is disabled, and only theirs, in the same transaction", async () => {
      const colleague = await store.users.create(
        { organisationId: org.id, email: "bo@unit.example", displayName: "Bo", role: "reviewer" },
        actor,
      );
      const mine = [await openSession(), await openSession()];
      const theirs = await openSession(colleague);
      now = hours(3);
      await store.users.disable(user.id, actor);
      for (const { tokenHash } of mine)
        assert.deepEqual((await store.sessions.findByTokenHash(tokenHash))?.revokedAt, hours(3));
      assert.equal((await store.sessions.findByTokenHash(theirs.tokenHash))?.revokedAt, null);
      const [disabled] = await store.audit
        .list({ subjectType: "user", subjectId: String(user.id) })
        .then((entries) => entries.filter((entry) => entry.action === "user.disabled"));
      assert.deepEqual(disabled?.details, { sessionsRevoked: 2 });
    });

    it("rolls the session revocation back with a transaction that fails after disabling", async () => {
      const { tokenHash } = await openSession();
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.users.disable(user.id, actor);
          throw new Error("abandon");
        }),
        /abandon/,
      );
      assert.equal((await store.users.get(user.id))?.disabledAt, null);
      assert.equal((await store.sessions.findByTokenHash(tokenHash))?.revokedAt, null);
    });

    describe("failed sign-ins counted per throttle key, for every process at once", () => {
      const windowMs = 15 * 60_000;
      const minutes = (n: number) => new Date(t0.getTime() + n * 60_000);
      const pair = "ana@unit.example\u0000203.0.113.7";
      const address = "\u0000203.0.113.7";
      const failuresOf = async (key: string, at: Date) => {
        const [counted] = await store.loginFailures.count([key], at, windowMs);
        return counted;
      };

      it("counts each key in a window that starts at its first failure and restarts once ended", async () => {
        assert.deepEqual(await store.loginFailures.count([pair, address], t0, windowMs), [
          { key: pair, failures: 1, windowStartedAt: t0 },
          { key: address, failures: 1, windowStartedAt: t0 },
        ]);
        assert.deepEqual(await store.loginFailures.count([address, pair], minutes(14), windowMs), [
          { key: address, failures: 2, windowStartedAt: t0 },
          { key: pair, failures: 2, windowStartedAt: t0 },
        ]);
        assert.deepEqual(await failuresOf(pair, minutes(15)), {
          key: pair,
          failures: 1,
          windowStartedAt: minutes(15),
        });
        assert.deepEqual(await store.loginFailures.count([], t0, windowMs), []);
      });

      it("keeps only the SHA-256 of each key: no email or address in the database", async () => {
        await store.loginFailures.count([pair, address], t0, windowMs);
        const rows = await database.rows("login_failures");
        const hashes = rows.map((row) => row.key_hash).sort();
        const expected = [pair, address].map((key) => createHash("sha256").update(key).digest("hex")).sort();
        assert.deepEqual(hashes, expected);
        const dump = JSON.stringify(rows);
        assert.ok(!dump.includes("ana@unit") && !dump.includes("203.0.113.7"), dump);
      });

      it("forgives one failure at a time, never below zero, and clears a key altogether", async () => {
        for (let n = 0; n < 3; n++) await store.loginFailures.count([pair, address], t0, windowMs);
        await store.loginFailures.forgive([pair, address]);
        assert.equal((await failuresOf(pair, minutes(1)))?.failures, 3);
        assert.equal((await failuresOf(address, minutes(1)))?.failures, 3);
        await store.loginFailures.clear(pair);
        assert.deepEqual(await failuresOf(pair, minutes(2)), {
          key: pair,
          failures: 1,
          windowStartedAt: minutes(2),
        });
        for (let n = 0; n < 5; n++) await store.loginFailures.forgive([pair]);
        assert.equal((await failuresOf(pair, minutes(3)))?.failures, 1);
        await store.loginFailures.forgive(["never failed"]);
        await store.loginFailures.clear("never failed");
      });

      it("deletes ended windows a bounded batch at a time when a new window starts, keeping running ones", async () => {
        const ended = Array.from({ length: loginFailurePruneBatch + 5 }, (_, n) => `\u0000192.0.2.${n}`);
        await store.loginFailures.count(ended, t0, windowMs);
        await failuresOf("running", minutes(10));
        await failuresOf("fresh", minutes(15));
        assert.equal((await database.rows("login_failures")).length, 5 + 2);
        // Another failure in a running window starts nothing, so it deletes nothing.
        await failuresOf("running", minutes(16));
        assert.equal((await database.rows("login_failures")).length, 5 + 2);
        await failuresOf("fresher", minutes(17));
        assert.equal((await database.rows("login_failures")).length, 3);
        assert.equal((await failuresOf("running", minutes(18)))?.failures, 3);
      });

      it("adds up failures from two stores at once exactly, and restarts an ended window once", async () => {
        const other = await openStore(database.url);
        try {
          const perStore = 25;
          const failAtOnce = (at: Date) =>
            Promise.all(
              [store, other].flatMap((each) =>
                Array.from({ length: perStore }, () =>
                  each.loginFailures.count([pair, address], at, windowMs),
                ),
              ),
            );
          for (const at of [t0, minutes(15)]) {
            const counted = (await failAtOnce(at)).flat();
            for (const key of [pair, address]) {
              const ofKey = counted.filter((count) => count.key === key);
              assert.deepEqual(
                ofKey.map((count) => count.failures).sort((a, b) => a - b),
                Array.from({ length: 2 * perStore }, (_, n) => n + 1),
              );
              assert.ok(ofKey.every((count) => count.windowStartedAt.getTime() === at.getTime()));
            }
          }
        } finally {
          await other.close();
        }
      });
    });
  });
}
