import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, it } from "node:test";
import { UsageError } from "../core/errors.ts";
import type { JsonObject } from "../storage/records.ts";
import { openStore } from "../storage/open-store.ts";
import type { Store } from "../storage/store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import type { ContractDatabase } from "../storage/store.contract.ts";
import { AuthenticationError, createAccessService, PermissionError, type Principal } from "./access.ts";
import {
  checkPasswordPolicy,
  commonPasswords,
  createAuthenticationService,
  defaultSessionLimits,
  ensureDemoUser,
  hashPassword,
  LoginThrottledError,
  totpCode,
  totpStep,
  verifyPassword,
  type AuthenticationService,
  type PasswordHashCost,
} from "./authentication.ts";

// Real scrypt, at a cost tests can afford; the stored hash names its cost, so verification follows it.
const cheap: PasswordHashCost = { cost: 1024, blockSize: 8, parallelization: 1 };
const password = "tortoise-shell-lantern";
const minute = 60_000;

const rejectsWith = (code: string) => (error: unknown) =>
  error instanceof Error && (error as { code?: string }).code === code;

describe("passwords", () => {
  it("hashes with a fresh salt and its parameters, and verifies only the same password", async () => {
    const first = await hashPassword(password, cheap);
    const second = await hashPassword(password, cheap);
    assert.match(first, /^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(first, second);
    assert.equal(await verifyPassword(password, first), true);
    assert.equal(await verifyPassword(password, second), true);
    assert.equal(await verifyPassword(`${password} `, first), false);
    assert.equal(await verifyPassword("", first), false);
  });

  it("treats the same password typed as compatibility characters as the same (NFKC)", async () => {
    const hash = await hashPassword("ﬁnest-ﬁsh-pond", cheap);
    assert.equal(await verifyPassword("finest-fish-pond", hash), true);
  });

  it("refuses hashes it cannot read or whose parameters are out of bounds, without trying them", async () => {
    const good = await hashPassword(password, cheap);
    const [, , , , salt, key] = good.split("$");
    for (const bad of [
      "",
      "plain",
      `bcrypt$1024$8$1$${salt}$${key}`,
      `scrypt$1073741824$8$1$${salt}$${key}`,
      `scrypt$1000$8$1$${salt}$${key}`,
      `scrypt$1024$8$1$${salt}$${key}AA`,
      `scrypt$1024$8$1$$${key}`,
    ])
      assert.equal(await verifyPassword(password, bad), false, bad);
  });

  it("ships 10,000 breached passwords that the length rule alone would let through", () => {
    const list = commonPasswords();
    assert.equal(list.size, 10_000);
    for (const entry of list) {
      assert.ok(entry.length >= 8 && entry === entry.toLowerCase(), entry);
    }
    assert.ok(list.has("password") && list.has("iloveyou") && list.has("qwertyuiop"));
  });

  it("asks for 8 to 128 characters, not a breached password and not the email; no composition rules", () => {
    const refused = (candidate: string, code: string, email?: string) =>
      assert.throws(
        () => checkPasswordPolicy(candidate, { email }),
        (error: unknown) => error instanceof UsageError && error.code === code,
        candidate,
      );
    refused("short12", "password_too_short");
    refused("x".repeat(129), "password_too_long");
    refused("password", "password_too_common");
    refused("PassWord", "password_too_common");
    refused("Sunshine", "password_too_common");
    refused("ana.silva", "password_too_common", "Ana.Silva@unit.example");
    refused("ana.silva@unit.example", "password_too_common", "ana.silva@unit.example");
    // Characters, not UTF-16 units: eight emoji are eight characters.
    checkPasswordPolicy("🐘🐘🐘🐘🐘🐘🐘🐘");
    refused("🐘🐘🐘🐘🐘🐘🐘", "password_too_short");
    checkPasswordPolicy("all lower case words");
    checkPasswordPolicy("x".repeat(128));
  });
});

describe("TOTP", () => {
  const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
  const at = new Date("2026-05-01T12:00:10Z");
  const step = Math.floor(at.getTime() / 30_000);

  it("accepts the current code and one step either side, and names the step", () => {
    assert.equal(totpStep(secret, totpCode(secret, at), at), step);
    assert.equal(totpStep(secret, totpCode(secret, new Date(at.getTime() - 30_000)), at), step - 1);
    assert.equal(totpStep(secret, totpCode(secret, new Date(at.getTime() + 30_000)), at), step + 1);
  });

  it("refuses a code two steps away, and anything that is not six digits", () => {
    assert.equal(totpStep(secret, totpCode(secret, new Date(at.getTime() - 60_000)), at), null);
    assert.equal(totpStep(secret, "12345", at), null);
    assert.equal(totpStep(secret, "abcdef", at), null);
    assert.equal(totpStep(secret, ` ${totpCode(secret, at)}`, at), null);
  });
});

describe("authentication service", () => {
  let database: ContractDatabase;
  let store: Store;
  let now: number;
  let securityLog: JsonObject[];
  let auth: AuthenticationService;
  const clock = () => new Date(now);
  const here = { ip: "198.51.100.4", userAgent: "test" };
  const elsewhere = { ip: "203.0.113.9", userAgent: "test" };

  beforeEach(async () => {
    database = await newSqliteDatabase();
    now = new Date("2026-05-01T12:00:00Z").getTime();
    store = await openStore(database.url, { clock });
    securityLog = [];
    const access = createAccessService({ store, clock, securityLog: (event) => securityLog.push(event) });
    auth = createAuthenticationService({ store, access, clock, passwordHashCost: cheap });
    await store.organisations.create({ slug: "unit", name: "Unit" }, "system:test");
    await auth.addUser(
      { organisationSlug: "unit", email: "Ana@Unit.example", displayName: "Ana", role: "analyst", password },
      "system:test",
    );
  });
  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  const signIn = (client = here, overrides: { email?: string; password?: string; totp?: string } = {}) =>
    auth.signIn({ email: "ana@unit.example", password, ...overrides }, client);

  it("signs in with a new 256-bit token of which only the hash is stored, and audits it", async () => {
    const signedIn = await signIn();
    assert.match(signedIn.token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(signedIn.user.email, "ana@unit.example");
    assert.equal(signedIn.mfaEnrolled, false);
    assert.deepEqual(
      signedIn.session.expiresAt,
      new Date(now + defaultSessionLimits.sessionAbsoluteTimeoutMs),
    );
    const tokenHash = createHash("sha256").update(signedIn.token).digest("hex");
    assert.equal((await store.sessions.findByTokenHash(tokenHash))?.id, signedIn.session.id);
    assert.ok(!JSON.stringify(await database.rows("sessions")).includes(signedIn.token));
    const second = await signIn();
    assert.notEqual(second.token, signedIn.token);
    const succeeded = (await store.audit.list()).filter((entry) => entry.action === "auth.succeeded");
    assert.equal(succeeded.length, 2);
    assert.equal(succeeded[0]?.actor, `user:${signedIn.user.id}`);
    assert.equal(succeeded[0]?.details.method, "password");
  });

  it("answers a wrong password, an unknown email and a disabled account alike, auditing each", async () => {
    const attempts = [
      () => signIn(here, { password: "not-the-password" }),
      () => signIn(here, { email: "nobody@unit.example" }),
      () => auth.disableUser("ana@unit.example", "system:test").then(() => signIn()),
    ];
    const messages: string[] = [];
    for (const attempt of attempts)
      await assert.rejects(attempt(), (error: unknown) => {
        assert.ok(error instanceof AuthenticationError);
        assert.equal(error.code, "credentials_invalid");
        messages.push(error.message);
        return true;
      });
    assert.equal(new Set(messages).size, 1);
    const reasons = (await store.audit.list())
      .filter((entry) => entry.action === "auth.failed")
      .map((entry) => entry.details.reason);
    assert.deepEqual(reasons, ["wrong_password", "no_such_user", "user_disabled"]);
  });

  it("throttles 20 wrong passwords from one address, while the real user signs in from another (A7)", async () => {
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      await signIn(here, { password: `guess-${attempt}-guess` }).catch((error: { code: string }) =>
        outcomes.push(error.code),
      );
    }
    assert.deepEqual(outcomes, [
      ...Array<string>(defaultSessionLimits.loginFailuresPerWindow).fill("credentials_invalid"),
      ...Array<string>(20 - defaultSessionLimits.loginFailuresPerWindow).fill("login_throttled"),
    ]);
    // The right password from the throttled address is refused too: it is not even checked.
    await assert.rejects(signIn(here), (error: unknown) => {
      assert.ok(error instanceof LoginThrottledError);
      assert.ok(
        error.retryAfterSeconds > 0 && error.retryAfterSeconds <= 15 * 60,
        String(error.retryAfterSeconds),
      );
      return true;
    });
    assert.ok((await signIn(elsewhere)).token);
    now += defaultSessionLimits.loginWindowMs;
    assert.ok((await signIn(here)).token);
  });

  it("throttles attempts sent all at once as strictly as one after another", async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, n) =>
        signIn(here, { password: `guess-${n}-guess` }).catch((error: { code: string }) => error.code),
      ),
    );
    assert.equal(
      outcomes.filter((code) => code === "credentials_invalid").length,
      defaultSessionLimits.loginFailuresPerWindow,
    );
    assert.equal(
      outcomes.filter((code) => code === "login_throttled").length,
      30 - defaultSessionLimits.loginFailuresPerWindow,
    );
  });

  it("caps failures per address across many emails", async () => {
    const sprayer = { ip: "192.0.2.66" };
    const auth2 = createAuthenticationService({
      store,
      access: createAccessService({ store, clock }),
      clock,
      passwordHashCost: cheap,
      limits: { loginFailuresPerAddress: 5 },
    });
    for (let n = 0; n < 5; n++)
      await assert.rejects(
        auth2.signIn({ email: `user${n}@unit.example`, password }, sprayer),
        rejectsWith("credentials_invalid"),
      );
    await assert.rejects(auth2.signIn({ email: "ana@unit.example", password }, sprayer), LoginThrottledError);
    assert.ok((await auth2.signIn({ email: "ana@unit.example", password }, here)).token);
  });

  it("encodes a hostile email in the security log: one line, no escape sequences (A9)", async () => {
    const hostile = "x@y.example\nFAKE auth.succeeded user:1\u001b[2J\u001b[31m";
    await assert.rejects(signIn(here, { email: hostile }), rejectsWith("credentials_invalid"));
    const event = securityLog.find((entry) => entry.action === "auth.failed");
    const line = JSON.stringify(event);
    assert.ok(line !== undefined && !line.includes("\n"));
    const email = (event?.details as JsonObject).email as string;
    assert.ok(!/[\u0000-\u001f\u007f]/.test(email), email);
    assert.match(email, /\\u000a.*\\u001b/);
  });

  describe("sessions", () => {
    // Ana has an authenticator: the sessions below are full ones. Each sign-in is 30 s later, so each code is new.
    const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    beforeEach(async () => {
      const ana = await store.users.getByEmail("ana@unit.example");
      await store.users.setMfaSecret(ana!.id, secret, "system:test");
    });
    const signInWithCode = (client = here, overrides: { password?: string } = {}) => {
      now += 30_000;
      return signIn(client, { ...overrides, totp: totpCode(secret, clock()) });
    };

    it("ends a session unused for the idle limit, and keeps one in use (A8)", async () => {
      const { token } = await signInWithCode();
      now += 20 * minute;
      await auth.authenticateSession(token, here);
      now += 20 * minute;
      const { principal } = await auth.authenticateSession(token, here);
      assert.equal(principal.actor, `user:${principal.userId}`);
      assert.equal(principal.sessionId !== null && principal.role === "analyst", true);
      assert.equal(principal.keyId, null);
      now += defaultSessionLimits.sessionIdleTimeoutMs;
      await assert.rejects(auth.authenticateSession(token, here), rejectsWith("session_expired"));
    });

    it("ends a session at its absolute limit however active", async () => {
      const { token } = await signInWithCode();
      for (
        let elapsed = 0;
        elapsed < defaultSessionLimits.sessionAbsoluteTimeoutMs - 20 * minute;
        elapsed += 20 * minute
      ) {
        now += 20 * minute;
        await auth.authenticateSession(token, here);
      }
      now += 20 * minute;
      await assert.rejects(auth.authenticateSession(token, here), rejectsWith("session_expired"));
    });

    it("ends every session of a disabled user at once, and a signed-out one", async () => {
      const first = await signInWithCode();
      const second = await signInWithCode(elsewhere);
      const { principal } = await auth.authenticateSession(first.token, here);
      await auth.signOut(principal);
      await assert.rejects(auth.authenticateSession(first.token, here), rejectsWith("session_invalid"));
      await auth.authenticateSession(second.token, elsewhere);
      await auth.disableUser("ana@unit.example", "system:test");
      await assert.rejects(auth.authenticateSession(second.token, elsewhere), rejectsWith("session_invalid"));
    });

    it("refuses tokens it never issued, of any shape", async () => {
      for (const token of ["", "x", "A".repeat(43), "A".repeat(44), "../../etc/passwd"])
        await assert.rejects(auth.authenticateSession(token, here), rejectsWith("session_invalid"));
    });

    it("ends the sessions when the password is changed, and applies the policy to the new one", async () => {
      const { token } = await signInWithCode();
      await assert.rejects(
        auth.setPassword("ana@unit.example", "password", "system:test"),
        rejectsWith("password_too_common"),
      );
      await auth.setPassword("ana@unit.example", "a brand new passphrase", "system:test");
      await assert.rejects(auth.authenticateSession(token, here), rejectsWith("session_invalid"));
      await assert.rejects(signInWithCode(), rejectsWith("credentials_invalid"));
      assert.ok((await signInWithCode(here, { password: "a brand new passphrase" })).token);
    });
  });

  describe("MFA", () => {
    const sessionOf = async () =>
      (await auth.authenticateSession((await signIn()).token, here, { enrolling: true })).principal;

    it("gives a person without an authenticator a session that can only enrol one, audited when refused (A7)", async () => {
      const signedIn = await signIn();
      assert.equal(signedIn.mfaEnrolled, false);
      await assert.rejects(auth.authenticateSession(signedIn.token, here), (error: unknown) => {
        assert.ok(error instanceof PermissionError);
        assert.equal(error.code, "mfa_enrolment_required");
        return true;
      });
      const enrolling = await auth.authenticateSession(signedIn.token, here, { enrolling: true });
      assert.equal(enrolling.mfaEnrolmentRequired, true);
      const denied = (await store.audit.list()).filter((entry) => entry.action === "authz.denied");
      assert.deepEqual(
        denied.map((entry) => [entry.actor, entry.details.code]),
        [[`user:${signedIn.user.id}`, "mfa_enrolment_required"]],
      );
      const succeeded = (await store.audit.list()).filter((entry) => entry.action === "auth.succeeded");
      assert.deepEqual(succeeded.at(-1)?.details.stage, "mfa_enrolment");
    });

    it("confirming ends every password-only session and opens a full one with a new token (ASVS 7.2.4)", async () => {
      const other = await signIn(elsewhere);
      const first = await signIn();
      const { principal } = await auth.authenticateSession(first.token, here, { enrolling: true });
      const { secret } = await auth.startMfaEnrolment(principal);
      const full = await auth.confirmMfa(principal, { secret, code: totpCode(secret, clock()) }, here);
      assert.notEqual(full.token, first.token);
      assert.notEqual(full.session.id, first.session.id);
      assert.equal(full.mfaEnrolled, true);
      for (const ended of [first.token, other.token])
        await assert.rejects(
          auth.authenticateSession(ended, here, { enrolling: true }),
          rejectsWith("session_invalid"),
        );
      const authenticated = await auth.authenticateSession(full.token, here);
      assert.equal(authenticated.mfaEnrolmentRequired, false);
      assert.equal(authenticated.principal.userId, first.user.id);
    });

    it("lets an admin of the person's organisation reset the authenticator: audited, sessions ended", async () => {
      const { secret } = await auth.startMfaEnrolment(await sessionOf());
      const ana = (await store.users.getByEmail("ana@unit.example"))!;
      const full = await auth.confirmMfa(
        await sessionOf(),
        { secret, code: totpCode(secret, clock()) },
        here,
      );
      const admin: Principal = {
        organisationId: ana.organisationId,
        role: "admin",
        actor: "user:99",
        keyId: null,
        sessionId: 1,
        userId: 99,
      };
      await assert.rejects(
        auth.resetMfa({ ...admin, organisationId: ana.organisationId + 1 }, ana.id),
        rejectsWith("user_not_found"),
      );
      await auth.resetMfa(admin, ana.id);
      await assert.rejects(auth.authenticateSession(full.token, here), rejectsWith("session_invalid"));
      assert.equal((await store.users.credentials(ana.id))?.mfaSecret, null);
      const entries = (await store.audit.list()).filter((entry) => entry.actor === "user:99");
      assert.deepEqual(
        entries.map((entry) => [entry.action, entry.subjectId]),
        [
          ["user.mfa_removed", String(ana.id)],
          ["session.revoked_all", String(ana.id)],
        ],
      );
      // Without its code the password opens an enrolling session again.
      assert.equal((await signIn()).mfaEnrolled, false);
    });

    it("enrols only with a code from the new secret, then asks for a code at every sign-in, once per code", async () => {
      const principal = await sessionOf();
      const { secret, uri } = await auth.startMfaEnrolment(principal);
      assert.match(secret, /^[A-Z2-7]{32}$/);
      assert.match(uri, /^otpauth:\/\/totp\/wildtrawl:ana%40unit\.example\?.*secret=[A-Z2-7]{32}/);
      await assert.rejects(
        auth.confirmMfa(principal, { secret, code: "000000" }, here),
        rejectsWith("mfa_code_invalid"),
      );
      await assert.rejects(
        auth.confirmMfa(principal, { secret: "short", code: "000000" }, here),
        rejectsWith("mfa_secret_invalid"),
      );
      const confirming = totpCode(secret, clock());
      await auth.confirmMfa(principal, { secret, code: confirming }, here);
      await assert.rejects(auth.startMfaEnrolment(principal), rejectsWith("mfa_already_enrolled"));

      await assert.rejects(signIn(), rejectsWith("mfa_required"));
      // The code that confirmed enrolment was spent.
      await assert.rejects(signIn(here, { totp: confirming }), rejectsWith("mfa_invalid"));
      await assert.rejects(
        signIn(here, { totp: "123456" === confirming ? "654321" : "123456" }),
        rejectsWith("mfa_invalid"),
      );
      now += 30_000;
      const fresh = totpCode(secret, clock());
      const signedIn = await signIn(here, { totp: fresh });
      assert.equal(signedIn.mfaEnrolled, true);
      // Replayed within its window, even from elsewhere: refused.
      await assert.rejects(signIn(elsewhere, { totp: fresh }), rejectsWith("mfa_invalid"));
      const methods = (await store.audit.list())
        .filter((entry) => entry.action === "auth.succeeded")
        .map((entry) => entry.details.method);
      assert.deepEqual(methods.at(-1), "password+totp");
    });

    it("needs a session, not an API key, to enrol", async () => {
      const keyPrincipal: Principal = {
        organisationId: 1,
        role: "analyst",
        actor: "api-key:1",
        keyId: 1,
        sessionId: null,
        userId: 1,
      };
      await assert.rejects(auth.startMfaEnrolment(keyPrincipal), rejectsWith("session_required"));
    });
  });

  it("makes a demo user who signs in with the password given once; calling again replaces it", async () => {
    const first = await ensureDemoUser(store, { passwordHashCost: cheap });
    assert.equal(first.created, true);
    assert.equal(first.organisation.slug, "local");
    assert.equal(first.user.role, "admin");
    const signedIn = await auth.signIn({ email: first.email, password: first.password }, here);
    const second = await ensureDemoUser(store, { passwordHashCost: cheap });
    assert.equal(second.created, false);
    assert.equal(second.user.id, first.user.id);
    assert.notEqual(second.password, first.password);
    await assert.rejects(auth.authenticateSession(signedIn.token, here), rejectsWith("session_invalid"));
    await assert.rejects(
      auth.signIn({ email: first.email, password: first.password }, here),
      rejectsWith("credentials_invalid"),
    );
    assert.ok((await auth.signIn({ email: first.email, password: second.password }, here)).token);
  });
});
