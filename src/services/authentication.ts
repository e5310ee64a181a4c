import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Secret, TOTP } from "otpauth";
import { NotFoundError, UsageError } from "../core/errors.ts";
import type { Organisation, Session, User } from "../storage/records.ts";
import { ConflictError } from "../storage/storage-errors.ts";
import type { Store } from "../storage/store.ts";
import {
  AuthenticationError,
  apiRoles,
  encodeForLog,
  PermissionError,
  type AccessService,
  type ApiRole,
  type Principal,
} from "./access.ts";

/**
 * People signing in (RELIABILITY A7, A8): passwords, TOTP, sessions and login throttling. API keys stay in
 * access.ts; both end in the same `Principal`.
 */

// ── Passwords ────────────────────────────────────────────────────────────────────────────────────────────────────

export interface PasswordHashCost {
  /** scrypt's N: memory and time grow with it (128 × N × blockSize bytes). */
  readonly cost: number;
  readonly blockSize: number;
  readonly parallelization: number;
}

/**
 * One of OWASP's equivalent scrypt minimums (Password Storage Cheat Sheet): N=2^15, r=8, p=3 costs the CPU of
 * 2^17/8/1 with a quarter of its memory (32 MiB a hash), so concurrent sign-ins cannot exhaust a small server.
 */
export const defaultPasswordHashCost: PasswordHashCost = Object.freeze({
  cost: 2 ** 15,
  blockSize: 8,
  parallelization: 3,
});

export const passwordMinLength = 8;
export const passwordMaxLength = 128;

const saltBytes = 16;
const derivedKeyBytes = 32;
// A stored hash names its own parameters; these bounds stop a tampered row from asking for gigabytes.
const maxCost = 2 ** 20;
const maxBlockSize = 32;
const maxParallelization = 16;

function deriveKey(password: string, salt: Buffer, cost: PasswordHashCost): Promise<Buffer> {
  const options: ScryptOptions = {
    N: cost.cost,
    r: cost.blockSize,
    p: cost.parallelization,
    maxmem: 256 * cost.cost * cost.blockSize + 1024 * 1024,
  };
  // NFKC so that the same password typed on different keyboards and systems is the same bytes.
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, derivedKeyBytes, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** "scrypt$N$r$p$salt$key" (salt and key base64url): the parameters travel with the hash so they can be raised. */
export async function hashPassword(
  password: string,
  cost: PasswordHashCost = defaultPasswordHashCost,
): Promise<string> {
  const salt = randomBytes(saltBytes);
  const key = await deriveKey(password, salt, cost);
  return [
    "scrypt",
    cost.cost,
    cost.blockSize,
    cost.parallelization,
    salt.toString("base64url"),
    key.toString("base64url"),
  ].join("$");
}

/** True if `password` is the one `hash` was made from; false for a wrong one or a hash it cannot read. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parts = hash.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [cost, blockSize, parallelization] = parts.slice(1, 4).map(Number) as [number, number, number];
  const valid =
    Number.isInteger(cost) &&
    cost > 1 &&
    cost <= maxCost &&
    (cost & (cost - 1)) === 0 &&
    Number.isInteger(blockSize) &&
    blockSize >= 1 &&
    blockSize <= maxBlockSize &&
    Number.isInteger(parallelization) &&
    parallelization >= 1 &&
    parallelization <= maxParallelization;
  if (!valid) return false;
  const salt = Buffer.from(parts[4]!, "base64url");
  const expected = Buffer.from(parts[5]!, "base64url");
  if (salt.length < saltBytes || expected.length !== derivedKeyBytes) return false;
  const actual = await deriveKey(password, salt, { cost, blockSize, parallelization });
  return timingSafeEqual(actual, expected);
}

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const defaultCommonPasswordsPath = path.join(projectRoot, "data", "passwords", "common-passwords.txt");

const commonPasswordLists = new Map<string, ReadonlySet<string>>();

/** The breached-password list (data/passwords/README.md): one lower-case password a line, read once per file. */
export function commonPasswords(file: string = defaultCommonPasswordsPath): ReadonlySet<string> {
  let list = commonPasswordLists.get(file);
  if (list === undefined) {
    const lines = readFileSync(file, "utf8").split("\n");
    list = new Set(lines.filter((line) => line !== ""));
    commonPasswordLists.set(file, list);
  }
  return list;
}

/**
 * ASVS 6.2: 8 to 128 characters, any characters, no composition rules, not a known breached or common password and
 * not the account's own email. Throws `UsageError` saying which rule.
 */
export function checkPasswordPolicy(
  password: string,
  context: { email?: string; commonPasswordsPath?: string } = {},
): void {
  const length = [...password.normalize("NFKC")].length;
  if (length < passwordMinLength)
    throw new UsageError(
      "password_too_short",
      `a password needs at least ${passwordMinLength} characters (it has ${length})`,
    );
  if (length > passwordMaxLength)
    throw new UsageError(
      "password_too_long",
      `a password may have at most ${passwordMaxLength} characters (it has ${length})`,
    );
  const folded = password.normalize("NFKC").toLowerCase();
  const email = context.email?.trim().toLowerCase();
  if (email && (folded === email || folded === email.split("@")[0]))
    throw new UsageError("password_too_common", "a password must not be the account's email");
  if (commonPasswords(context.commonPasswordsPath).has(folded))
    throw new UsageError(
      "password_too_common",
      "this password is in a list of passwords known from breaches: choose another (a few unrelated words work well)",
    );
}

// ── TOTP ─────────────────────────────────────────────────────────────────────────────────────────────────────────

const totpPeriodSeconds = 30;
const totpIssuer = "wildtrawl";
const totpSecretShape = /^[A-Z2-7]{32}$/;
const totpCodeShape = /^\d{6}$/;

function totpFor(label: string, secret: string): TOTP {
  return new TOTP({
    issuer: totpIssuer,
    label,
    algorithm: "SHA1",
    digits: 6,
    period: totpPeriodSeconds,
    secret: Secret.fromBase32(secret),
  });
}

/** The time step a code belongs to if it is valid within ±1 step of `at`, else null. */
export function totpStep(secret: string, code: string, at: Date): number | null {
  if (!totpCodeShape.test(code)) return null;
  const delta = totpFor("check", secret).validate({ token: code, timestamp: at.getTime(), window: 1 });
  if (delta === null) return null;
  return Math.floor(at.getTime() / 1000 / totpPeriodSeconds) + delta;
}

/** The code an authenticator shows at `at` (tests, and people setting up without a phone). */
export function totpCode(secret: string, at: Date): string {
  return totpFor("code", secret).generate({ timestamp: at.getTime() });
}

// ── Sessions and throttling ──────────────────────────────────────────────────────────────────────────────────────

/** `__Host-`: the browser keeps it only if Secure, with Path=/ and no Domain, so no subdomain can set or read it. */
export const sessionCookieName = "__Host-wildtrawl_session";

export interface SessionLimits {
  /** A session unused this long ends. */
  readonly sessionIdleTimeoutMs: number;
  /** A session ends this long after sign-in, however active. */
  readonly sessionAbsoluteTimeoutMs: number;
  /** Failed sign-ins allowed per (email, client address) in the window; the next gets 429. */
  readonly loginFailuresPerWindow: number;
  /** Failed sign-ins allowed per client address, whatever the email (stuffing many accounts from one place). */
  readonly loginFailuresPerAddress: number;
  readonly loginWindowMs: number;
}

export const defaultSessionLimits: SessionLimits = Object.freeze({
  sessionIdleTimeoutMs: 30 * 60_000,
  sessionAbsoluteTimeoutMs: 12 * 3_600_000,
  loginFailuresPerWindow: 10,
  loginFailuresPerAddress: 100,
  loginWindowMs: 15 * 60_000,
});

/** Activity is written at most this often; the idle limit can then only come early, by up to this much, never late. */
const touchIntervalMs = 15_000;
const tokenShape = /^[A-Za-z0-9_-]{43}$/;

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Too many failed sign-ins: HTTP 429 with Retry-After. */
export class LoginThrottledError extends AuthenticationError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super(
      "login_throttled",
      `too many failed sign-ins from this address: try again in ${retryAfterSeconds} s`,
    );
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

// ── The service ──────────────────────────────────────────────────────────────────────────────────────────────────

export interface SignInRequest {
  readonly email: string;
  readonly password: string;
  readonly totp?: string;
}

export interface ClientContext {
  readonly ip: string;
  readonly userAgent?: string;
}

export interface SignedIn {
  /** The session token: the cookie's value, returned once and never stored. */
  readonly token: string;
  readonly session: Session;
  readonly user: User;
  readonly mfaEnrolled: boolean;
}

/**
 * A session of a person without an authenticator (RELIABILITY A7: MFA for every person) may only enrol one: every
 * other request is refused with this (HTTP 403), audited.
 */
export const mfaEnrolmentRequiredCode = "mfa_enrolment_required";

export interface AuthenticatedSession {
  readonly principal: Principal;
  readonly session: Session;
  readonly user: User;
  /** True while the person has no authenticator: the session can do nothing but enrol one (and sign out). */
  readonly mfaEnrolmentRequired: boolean;
}

export interface AuthenticationService {
  /**
   * Password, then TOTP if enrolled; a new session. Failures are audited and throttled. A person without an
   * authenticator gets a session that can only enrol one (`mfaEnrolled: false`).
   */
  signIn(request: SignInRequest, client: ClientContext): Promise<SignedIn>;
  /**
   * The principal a session token stands for, or `AuthenticationError`; enforces both timeouts every time. A session
   * of a person without an authenticator is refused (`PermissionError` "mfa_enrolment_required", audited) unless
   * `enrolling` says the request is part of enrolment.
   */
  authenticateSession(
    token: string,
    client: ClientContext,
    options?: { readonly enrolling?: boolean },
  ): Promise<AuthenticatedSession>;
  /** The signed-in user of a session principal. */
  currentUser(principal: Principal): Promise<{ user: User; session: Session; mfaEnrolled: boolean }>;
  signOut(principal: Principal): Promise<void>;
  /** A new TOTP secret and its otpauth:// URI; nothing is stored until `confirmMfa` proves the authenticator. */
  startMfaEnrolment(principal: Principal): Promise<{ secret: string; uri: string }>;
  /**
   * Stores the authenticator once its code proves it, ends every session of the person (the enrolling one
   * included) and opens a new full one: a new token whenever the level of authentication rises (ASVS 7.2.4).
   */
  confirmMfa(
    principal: Principal,
    request: { secret: string; code: string },
    client: ClientContext,
  ): Promise<SignedIn>;
  /**
   * An admin removes a person's authenticator (a lost phone): their sessions end, and at their next sign-in they
   * enrol a new one. Audited (`user.mfa_removed`, `session.revoked_all`, both naming the admin).
   */
  resetMfa(principal: Principal, userId: number): Promise<User>;
  /** The same from the command line, by email (the operator acts as "system:cli"). */
  resetMfaByEmail(email: string, actor: string): Promise<User>;
  /** For operators (the CLI acts as "system:cli"). */
  addUser(
    request: {
      organisationSlug: string;
      email: string;
      displayName: string;
      role: ApiRole;
      password?: string;
    },
    actor: string,
  ): Promise<User>;
  /** Sets a new password and ends the user's sessions. */
  setPassword(email: string, password: string, actor: string): Promise<User>;
  /** Disables the user: their sessions end at once and every key issued to them is revoked. */
  disableUser(email: string, actor: string): Promise<User>;
  listUsers(organisationSlug: string): Promise<{ user: User; passwordSet: boolean; mfaEnrolled: boolean }[]>;
}

export interface AuthenticationOptions {
  readonly store: Store;
  readonly access: AccessService;
  readonly clock: () => Date;
  readonly limits?: Partial<SessionLimits>;
  readonly passwordHashCost?: PasswordHashCost;
  readonly commonPasswordsPath?: string;
}

export function createAuthenticationService(options: AuthenticationOptions): AuthenticationService {
  const { store, access, clock } = options;
  const limits = { ...defaultSessionLimits, ...options.limits };
  const hashCost = options.passwordHashCost ?? defaultPasswordHashCost;
  const loginFailures = store.loginFailures;
  // Checked when there is no user or no password, so that a missing account takes as long as a wrong password.
  let decoyHash: Promise<string> | undefined;

  const failed = async (
    code: string,
    message: string,
    details: Record<string, string | number>,
  ): Promise<never> => {
    await access.audit({
      organisationId: null,
      actor: "anonymous",
      action: "auth.failed",
      details: { code, ...details },
    });
    throw new AuthenticationError(code, message);
  };

  const organisation = async (slug: string): Promise<Organisation> => {
    const found = await store.organisations.getBySlug(slug);
    if (found === null) throw new NotFoundError("organisation_not_found", `no organisation "${slug}"`);
    return found;
  };

  const userByEmail = async (email: string): Promise<User> => {
    const user = await store.users.getByEmail(email);
    if (user === null) throw new NotFoundError("user_not_found", `no user with email ${email.trim()}`);
    return user;
  };

  const sessionPrincipal = (principal: Principal): { sessionId: number; userId: number } => {
    if (principal.sessionId === null || principal.userId === null)
      throw new AuthenticationError(
        "session_required",
        "sign in first: this needs a session, not an API key",
      );
    return { sessionId: principal.sessionId, userId: principal.userId };
  };

  const apiRole = (user: User): ApiRole | null =>
    (apiRoles as readonly string[]).includes(user.role) ? (user.role as ApiRole) : null;

  /** A new 256-bit token, of which only the hash is stored, and the audited `auth.succeeded`. */
  const openSession = async (
    user: User,
    client: ClientContext,
    at: Date,
    details: Record<string, string>,
  ): Promise<{ token: string; session: Session }> => {
    const token = randomBytes(32).toString("base64url");
    const session = await store.sessions.create({
      userId: user.id,
      organisationId: user.organisationId,
      tokenHash: hashToken(token),
      expiresAt: new Date(at.getTime() + limits.sessionAbsoluteTimeoutMs),
      ip: client.ip,
      userAgent: client.userAgent ?? null,
    });
    await access.audit({
      organisationId: user.organisationId,
      actor: `user:${user.id}`,
      action: "auth.succeeded",
      subjectType: "session",
      subjectId: session.id,
      details: { ...details, ip: client.ip, userAgent: encodeForLog(client.userAgent ?? "", 256) },
    });
    return { token, session };
  };

  const resetMfaOf = async (user: User, actor: string): Promise<User> =>
    store.transaction(async (tx) => {
      const reset = await tx.users.setMfaSecret(user.id, null, actor);
      // Whoever holds a session passed the old authenticator; from now on a session without one can only enrol.
      await tx.sessions.revokeAllForUser(user.id, actor);
      return reset;
    });

  return {
    async signIn(request, client) {
      const at = clock();
      const now = at.getTime();
      const email = request.email.trim().toLowerCase();
      const shown = { email: encodeForLog(email), ip: client.ip };
      // Keyed by (email, address) so that an attacker guessing from one place does not lock the real person out
      // from another (A7); the per-address key caps spraying many accounts from one place.
      const pairKey = `${email}\u0000${client.ip}`;
      const addressKey = `\u0000${client.ip}`;
      const throttleKeys = [pairKey, addressKey];
      // Counted before checking, in the database that every API process shares, so that many attempts sent at
      // once (to one process or several) cannot all pass; forgiven when the attempt turns out not to be a failure.
      const counted = await loginFailures.count(throttleKeys, at, limits.loginWindowMs);
      const waitMs = Math.max(
        ...counted.map(({ key, failures, windowStartedAt }) => {
          const allowed = key === pairKey ? limits.loginFailuresPerWindow : limits.loginFailuresPerAddress;
          return failures > allowed ? windowStartedAt.getTime() + limits.loginWindowMs - now : 0;
        }),
      );
      if (waitMs > 0) {
        // A refused attempt checks nothing, so it is no failure: hammering one email does not use up the address.
        await loginFailures.forgive(throttleKeys);
        const retryAfterSeconds = Math.ceil(waitMs / 1000);
        await access.audit({
          organisationId: null,
          actor: "anonymous",
          action: "auth.failed",
          details: { code: "login_throttled", ...shown, retryAfterSeconds },
        });
        throw new LoginThrottledError(retryAfterSeconds);
      }
      const refuse = (code: string, message: string, details: Record<string, string | number> = {}) =>
        failed(code, message, { ...shown, ...details });
      const wrong = "the email or password is wrong";

      const user = await store.users.getByEmail(email);
      const credentials = user ? await store.users.credentials(user.id) : null;
      const hash =
        credentials?.passwordHash ??
        (await (decoyHash ??= hashPassword(randomBytes(16).toString("hex"), hashCost)));
      const passwordMatches = await verifyPassword(request.password, hash);
      if (user === null || credentials?.passwordHash == null || !passwordMatches)
        return refuse("credentials_invalid", wrong, {
          reason: user === null ? "no_such_user" : "wrong_password",
        });
      // A disabled or role-less account answers like a wrong password: the answer says nothing about the account.
      if (user.disabledAt !== null)
        return refuse("credentials_invalid", wrong, { reason: "user_disabled", userId: user.id });
      const role = apiRole(user);
      if (role === null)
        return refuse("credentials_invalid", wrong, { reason: "role_cannot_sign_in", userId: user.id });

      let method = "password";
      if (credentials.mfaSecret !== null) {
        if (request.totp === undefined || request.totp === "") {
          // The right password without a code yet is the first half of a sign-in, not a failure.
          await loginFailures.forgive(throttleKeys);
          return failed("mfa_required", "this account needs the 6-digit code from its authenticator app", {
            ...shown,
            userId: user.id,
          });
        }
        const step = totpStep(credentials.mfaSecret, request.totp, new Date(now));
        if (step === null)
          return refuse("mfa_invalid", "the authenticator code is wrong", { userId: user.id });
        // A code seen once (even by an eavesdropper) cannot open a second session.
        if (!(await store.users.useMfaStep(user.id, step)))
          return refuse("mfa_invalid", "this authenticator code was used already: wait for the next one", {
            userId: user.id,
            reason: "replayed",
          });
        method = "password+totp";
      }

      await loginFailures.clear(pairKey);
      await loginFailures.forgive([addressKey]);
      const enrolled = credentials.mfaSecret !== null;
      const { token, session } = await openSession(user, client, at, {
        method,
        ...(enrolled ? {} : { stage: "mfa_enrolment" }),
      });
      if (!enrolled && (await store.users.credentials(user.id))?.mfaSecret != null) {
        // An authenticator was enrolled while this password-only sign-in ran: enrolment ended the person's
        // sessions, and this one, opened on the password alone, must not count as a full session either.
        await store.sessions.revoke(session.id, `user:${user.id}`);
        return failed("mfa_required", "this account needs the 6-digit code from its authenticator app", {
          ...shown,
          userId: user.id,
        });
      }
      return { token, session, user, mfaEnrolled: enrolled };
    },

    async authenticateSession(token, client, options = {}) {
      const now = clock();
      if (!tokenShape.test(token))
        return failed("session_invalid", "the session is not valid: sign in again", { ip: client.ip });
      const session = await store.sessions.findByTokenHash(hashToken(token));
      if (session === null)
        return failed("session_invalid", "the session is not valid: sign in again", { ip: client.ip });
      const shown = { ip: client.ip, sessionId: session.id, userId: session.userId };
      if (session.revokedAt !== null)
        return failed("session_invalid", "the session has ended: sign in again", shown);
      if (session.expiresAt.getTime() <= now.getTime())
        return failed("session_expired", "the session has reached its time limit: sign in again", {
          ...shown,
          reason: "absolute",
        });
      if (now.getTime() - session.lastSeenAt.getTime() >= limits.sessionIdleTimeoutMs)
        return failed("session_expired", "the session was unused for too long: sign in again", {
          ...shown,
          reason: "idle",
        });
      const [user, credentials] = await Promise.all([
        store.users.get(session.userId),
        store.users.credentials(session.userId),
      ]);
      const role = user ? apiRole(user) : null;
      if (
        user === null ||
        user.disabledAt !== null ||
        role === null ||
        user.organisationId !== session.organisationId
      )
        return failed("session_invalid", "the session has ended: sign in again", {
          ...shown,
          reason: "user_disabled",
        });
      if (now.getTime() - session.lastSeenAt.getTime() >= touchIntervalMs)
        await store.sessions.touch(session.id, now);
      const principal: Principal = {
        organisationId: session.organisationId,
        role,
        actor: `user:${user.id}`,
        keyId: null,
        sessionId: session.id,
        userId: user.id,
      };
      // Enrolment ends every session of the person and resetting the authenticator does too, so a live session of
      // a person without an authenticator was opened by the password alone: it may only enrol.
      const mfaEnrolmentRequired = credentials?.mfaSecret == null;
      if (mfaEnrolmentRequired && options.enrolling !== true) {
        await access.audit({
          organisationId: session.organisationId,
          actor: principal.actor,
          action: "authz.denied",
          details: { code: mfaEnrolmentRequiredCode, sessionId: session.id, ip: client.ip },
        });
        throw new PermissionError(
          mfaEnrolmentRequiredCode,
          "set up an authenticator app first: POST /v1/session/mfa, then /v1/session/mfa/confirm",
        );
      }
      return { principal, session, user, mfaEnrolmentRequired };
    },

    async currentUser(principal) {
      const { sessionId, userId } = sessionPrincipal(principal);
      const [user, session, credentials] = await Promise.all([
        store.users.get(userId),
        store.sessions.get(sessionId),
        store.users.credentials(userId),
      ]);
      if (user === null || session === null)
        throw new AuthenticationError("session_invalid", "the session has ended: sign in again");
      return { user, session, mfaEnrolled: credentials?.mfaSecret != null };
    },

    async signOut(principal) {
      const { sessionId } = sessionPrincipal(principal);
      await store.sessions.revoke(sessionId, principal.actor);
    },

    async startMfaEnrolment(principal) {
      const { userId } = sessionPrincipal(principal);
      const user = await store.users.get(userId);
      if (user === null) throw new NotFoundError("user_not_found", `no user ${userId}`);
      if ((await store.users.credentials(userId))?.mfaSecret != null)
        throw new ConflictError("mfa_already_enrolled", "this account already has an authenticator");
      const secret = new Secret({ size: 20 }).base32;
      return { secret, uri: totpFor(user.email, secret).toString() };
    },

    async confirmMfa(principal, request, client) {
      const { userId } = sessionPrincipal(principal);
      if (!totpSecretShape.test(request.secret))
        throw new UsageError(
          "mfa_secret_invalid",
          "secret: expected the 32-character base32 secret enrolment returned",
        );
      if ((await store.users.credentials(userId))?.mfaSecret != null)
        throw new ConflictError("mfa_already_enrolled", "this account already has an authenticator");
      const step = totpStep(request.secret, request.code, clock());
      if (step === null) {
        await access.audit({
          organisationId: principal.organisationId,
          actor: principal.actor,
          action: "auth.failed",
          details: { code: "mfa_code_invalid", during: "mfa_enrolment" },
        });
        throw new UsageError(
          "mfa_code_invalid",
          "code: not the authenticator's current code for this secret",
        );
      }
      const at = clock();
      const user = await store.transaction(async (tx) => {
        const enrolled = await tx.users.setMfaSecret(userId, request.secret, principal.actor);
        // The code that confirmed enrolment cannot also be used to sign in.
        await tx.users.useMfaStep(userId, step);
        // Every session so far was opened by the password alone, this one included: none becomes a full session.
        await tx.sessions.revokeAllForUser(userId, principal.actor);
        return enrolled;
      });
      const { token, session } = await openSession(user, client, at, { method: "password+totp_enrolment" });
      return { token, session, user, mfaEnrolled: true };
    },

    async resetMfa(principal, userId) {
      const user = await store.users.get(userId);
      // Another organisation's user answers exactly as a missing one: its existence does not leak.
      if (user === null || user.organisationId !== principal.organisationId)
        throw new NotFoundError("user_not_found", `no user ${userId}`);
      return resetMfaOf(user, principal.actor);
    },

    async resetMfaByEmail(email, actor) {
      return resetMfaOf(await userByEmail(email), actor);
    },

    async addUser(request, actor) {
      const email = request.email.trim().toLowerCase();
      if (request.password !== undefined)
        checkPasswordPolicy(request.password, { email, commonPasswordsPath: options.commonPasswordsPath });
      const org = await organisation(request.organisationSlug);
      const hash = request.password === undefined ? null : await hashPassword(request.password, hashCost);
      return store.transaction(async (tx) => {
        const user = await tx.users.create(
          { organisationId: org.id, email, displayName: request.displayName, role: request.role },
          actor,
        );
        return hash === null ? user : tx.users.setPasswordHash(user.id, hash, actor);
      });
    },

    async setPassword(email, password, actor) {
      const user = await userByEmail(email);
      checkPasswordPolicy(password, { email: user.email, commonPasswordsPath: options.commonPasswordsPath });
      const hash = await hashPassword(password, hashCost);
      // Whoever held the old password may hold a session too: they all end (ASVS 7.4.3).
      return store.transaction(async (tx) => {
        const updated = await tx.users.setPasswordHash(user.id, hash, actor);
        await tx.sessions.revokeAllForUser(user.id, actor);
        return updated;
      });
    },

    async disableUser(email, actor) {
      const user = await userByEmail(email);
      const disabled = await store.transaction(async (tx) => {
        const done = await tx.users.disable(user.id, actor);
        for (const key of await tx.apiKeys.listForOrganisation(user.organisationId))
          if (key.userId === user.id && key.revokedAt === null) await tx.apiKeys.revoke(key.id, actor);
        return done;
      });
      for (const key of await store.apiKeys.listForOrganisation(user.organisationId))
        if (key.userId === user.id) access.forget(key.id);
      return disabled;
    },

    async listUsers(organisationSlug) {
      const org = await organisation(organisationSlug);
      const users = await store.users.listForOrganisation(org.id);
      return Promise.all(
        users.map(async (user) => {
          const credentials = await store.users.credentials(user.id);
          return {
            user,
            passwordSet: credentials?.passwordHash != null,
            mfaEnrolled: credentials?.mfaSecret != null,
          };
        }),
      );
    },
  };
}

// ── The demo ─────────────────────────────────────────────────────────────────────────────────────────────────────

export const demoUserEmail = "demo@wildtrawl.local";

/**
 * For `wildtrawl demo`: an admin of the organisation the demo trawls into ("local" unless told), with a new random
 * password each call (the previous one stops working and its sessions end). Print the password once; only its hash
 * is kept.
 */
export async function ensureDemoUser(
  store: Store,
  options: { organisationSlug?: string; passwordHashCost?: PasswordHashCost } = {},
): Promise<{ organisation: Organisation; user: User; email: string; password: string; created: boolean }> {
  const actor = "system:demo";
  const slug = options.organisationSlug ?? "local";
  let organisation = await store.organisations.getBySlug(slug);
  if (organisation === null) {
    try {
      organisation = await store.organisations.create({ slug, name: "Local trawls" }, actor);
    } catch (error) {
      // Another process (the demo's trawler) created it first.
      if (!(error instanceof ConflictError)) throw error;
      organisation = await store.organisations.getBySlug(slug);
      if (organisation === null) throw error;
    }
  }
  const org = organisation;
  // 120 random bits: never in a breach list, and short enough to type from the terminal.
  const password = randomBytes(15).toString("base64url");
  const hash = await hashPassword(password, options.passwordHashCost);
  const existing = await store.users.getByEmail(demoUserEmail);
  const user = await store.transaction(async (tx) => {
    const target =
      existing ??
      (await tx.users.create(
        { organisationId: org.id, email: demoUserEmail, displayName: "Demo user", role: "admin" },
        actor,
      ));
    if (existing !== null) await tx.sessions.revokeAllForUser(existing.id, actor);
    return tx.users.setPasswordHash(target.id, hash, actor);
  });
  return { organisation: org, user, email: demoUserEmail, password, created: existing === null };
}
