import { WildtrawlError } from "../core/errors.ts";
import type { ApiKey, JsonObject, UserRole } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";

/** The roles a person or a key can hold in an organisation. */
export const apiRoles = [
  "admin",
  "analyst",
  "reviewer",
  "platform_officer",
  "ncb_officer",
  "interpol_analyst",
  "secretariat",
] as const satisfies readonly UserRole[];
export type ApiRole = (typeof apiRoles)[number];

/** What a caller may do; each role is granted a fixed set. */
export type Permission =
  | "screen"
  | "species.read"
  | "listings.read"
  | "reviews.write"
  | "sources.read"
  | "policy.read"
  | "admin"
  | "trawls.read"
  | "trawls.run"
  | "evidence.read"
  | "evidence.capture"
  | "evidence.export"
  | "cases.read"
  | "cases.write"
  | "cases.share"
  | "statistics.read"
  | "reviews.read"
  | "reviews.assign"
  | "takedowns.read"
  | "takedowns.write"
  | "platforms.write";

const readers: readonly ApiRole[] = [
  "admin",
  "analyst",
  "reviewer",
  "ncb_officer",
  "interpol_analyst",
  "secretariat",
];

export const rolePermissions: Readonly<Record<Permission, readonly ApiRole[]>> = {
  screen: ["admin", "platform_officer", "analyst"],
  "species.read": apiRoles,
  "listings.read": readers,
  "reviews.write": ["admin", "analyst", "reviewer"],
  "sources.read": readers,
  "policy.read": ["admin", "platform_officer"],
  admin: ["admin"],
  "trawls.read": readers,
  "trawls.run": ["admin", "analyst"],
  "evidence.read": readers,
  "evidence.capture": ["admin", "analyst", "reviewer"],
  "evidence.export": ["admin", "analyst", "ncb_officer", "interpol_analyst"],
  // Investigations: not for the secretariat's statistics readers.
  "cases.read": ["admin", "analyst", "reviewer", "ncb_officer", "interpol_analyst"],
  "cases.write": ["admin", "analyst"],
  // Passing a case to another organisation; a share's own limits narrow it further (docs/sharing.md).
  "cases.share": ["admin", "analyst"],
  "statistics.read": readers,
  "reviews.read": readers,
  "reviews.assign": ["admin", "analyst", "reviewer"],
  "takedowns.read": readers,
  "takedowns.write": ["admin", "analyst"],
  "platforms.write": ["admin", "analyst"],
};

/** Who is calling: always one organisation, one role, and the actor name written to the audit log. */
export interface Principal {
  readonly organisationId: number;
  readonly role: ApiRole;
  /** "api-key:3" or "user:12" (signed in): how the audit log names the caller. */
  readonly actor: string;
  /** The API key it authenticated with, or null for a person's session. */
  readonly keyId: number | null;
  /** The session it authenticated with (services/authentication.ts), or null for an API key. */
  readonly sessionId: number | null;
  readonly userId: number | null;
}

/** No credentials, or credentials that are unknown, revoked or expired: HTTP 401. */
export class AuthenticationError extends WildtrawlError {}

/** The caller is known but its role does not allow this: HTTP 403. */
export class PermissionError extends WildtrawlError {}

// The store keeps a key's role and expiry in its scopes until it has columns for them (docs/api.md).
const roleScope = "role:";
const expiresScope = "expires:";

export function keyScopes(role: ApiRole, expiresAt: Date | null): string[] {
  return [`${roleScope}${role}`, ...(expiresAt ? [`${expiresScope}${expiresAt.toISOString()}`] : [])];
}

export function keyRole(key: ApiKey): ApiRole | null {
  const scope = key.scopes.find((s) => s.startsWith(roleScope));
  const role = scope?.slice(roleScope.length);
  return (apiRoles as readonly string[]).includes(role ?? "") ? (role as ApiRole) : null;
}

export function keyExpiresAt(key: ApiKey): Date | null {
  const scope = key.scopes.find((s) => s.startsWith(expiresScope));
  if (scope === undefined) return null;
  const at = new Date(scope.slice(expiresScope.length));
  // An unreadable expiry is treated as already expired: deny by default.
  return Number.isNaN(at.getTime()) ? new Date(0) : at;
}

/** The key as shown to people: never the secret or its hash. */
export function describeKey(key: ApiKey) {
  const expiresAt = keyExpiresAt(key);
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    role: keyRole(key),
    userId: key.userId,
    createdAt: key.createdAt.toISOString(),
    expiresAt: expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  };
}

/**
 * Makes control characters visible so that a hostile value written to a log stays on one line and cannot move a
 * terminal's cursor (RELIABILITY A9).
 */
export function encodeForLog(value: string, maxLength = 200): string {
  const shown = value.length > maxLength ? `${value.slice(0, maxLength)}…` : value;
  return shown.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

export interface AccessOptions {
  readonly store: Store;
  readonly clock: () => Date;
  /**
   * How long a key that authenticated may be trusted without asking the store again. Revoking through this process
   * takes effect at once; a revocation by another process takes effect within this time. 0 asks every time.
   */
  readonly keyCacheMs?: number;
  /** Where security events are also shipped (one encoded line each), besides the audit log. */
  readonly securityLog?: (event: JsonObject) => void;
  /** Looks a secret up; by default `store.apiKeys.authenticate` (serve passes store-thread.ts's for SQLite). */
  readonly authenticateKey?: (secret: string) => Promise<ApiKey | null>;
}

export interface AccessService {
  /** The principal a bearer secret stands for, or `AuthenticationError`; failures are audited. */
  authenticate(secret: string | undefined, context: { ip: string }): Promise<Principal>;
  /** Throws `PermissionError` (audited) unless the principal's role grants `permission`. */
  authorize(principal: Principal, permission: Permission, what: string): Promise<void>;
  /** Forgets a cached key at once (after revocation). */
  forget(keyId: number): void;
  /** Writes one audit entry, and ships it to the security log. */
  audit(entry: {
    organisationId: number | null;
    actor: string;
    action: string;
    subjectType?: string;
    subjectId?: string | number;
    details?: JsonObject;
  }): Promise<void>;
}

const secretShape = /^wt_[A-Za-z0-9_-]{20,100}$/;

export function createAccessService(options: AccessOptions): AccessService {
  const { store, clock } = options;
  const authenticateKey = options.authenticateKey ?? ((secret: string) => store.apiKeys.authenticate(secret));
  const cacheMs = options.keyCacheMs ?? 0;
  const cache = new Map<string, { principal: Principal; until: number; expiresAt: number }>();
  // Counts forget() calls: a look-up that was under way when a key was revoked must not cache it again.
  let forgotten = 0;

  const audit: AccessService["audit"] = async (entry) => {
    const written = await store.audit.append({
      organisationId: entry.organisationId,
      actor: entry.actor,
      action: entry.action,
      subjectType: entry.subjectType ?? null,
      subjectId: entry.subjectId ?? null,
      details: entry.details ?? {},
    });
    options.securityLog?.({
      at: written.at.toISOString(),
      auditId: written.id,
      organisationId: written.organisationId,
      actor: encodeForLog(written.actor),
      action: written.action,
      subject: written.subjectType ? `${written.subjectType}:${written.subjectId ?? ""}` : null,
      // The log writer encodes every value as JSON: a line break in a value cannot start a new line.
      details: written.details,
    });
  };

  const fail = async (code: string, message: string, details: JsonObject): Promise<never> => {
    await audit({
      organisationId: null,
      actor: "anonymous",
      action: "auth.failed",
      details: { code, ...details },
    });
    throw new AuthenticationError(code, message);
  };

  return {
    audit,
    forget(keyId) {
      forgotten++;
      for (const [secret, entry] of cache) if (entry.principal.keyId === keyId) cache.delete(secret);
    },
    async authenticate(secret, context) {
      if (secret === undefined || secret === "")
        throw new AuthenticationError(
          "authentication_required",
          "send an API key as 'Authorization: Bearer KEY'",
        );
      const now = clock().getTime();
      const cached = cache.get(secret);
      if (cached && cached.until > now && cached.expiresAt > now) return cached.principal;
      cache.delete(secret);
      const shown = { keyPrefix: encodeForLog(secret.slice(0, 10)), ip: context.ip };
      if (!secretShape.test(secret)) return fail("api_key_invalid", "the API key is not valid", shown);
      const generation = forgotten;
      const key = await authenticateKey(secret);
      if (key === null) return fail("api_key_invalid", "the API key is not valid or has been revoked", shown);
      const expiresAt = keyExpiresAt(key);
      if (expiresAt !== null && expiresAt.getTime() <= now)
        return fail("api_key_expired", "the API key has expired", { ...shown, keyId: key.id });
      const role = keyRole(key);
      if (role === null)
        return fail("api_key_invalid", "the API key has no role", { ...shown, keyId: key.id });
      const principal: Principal = {
        organisationId: key.organisationId,
        role,
        actor: `api-key:${key.id}`,
        keyId: key.id,
        sessionId: null,
        userId: key.userId,
      };
      if (cacheMs > 0 && generation === forgotten) {
        if (cache.size > 10_000) cache.clear();
        cache.set(secret, { principal, until: now + cacheMs, expiresAt: expiresAt?.getTime() ?? Infinity });
      }
      return principal;
    },
    async authorize(principal, permission, what) {
      if (rolePermissions[permission].includes(principal.role)) return;
      await audit({
        organisationId: principal.organisationId,
        actor: principal.actor,
        action: "authz.denied",
        details: { permission, role: principal.role, what: encodeForLog(what) },
      });
      throw new PermissionError("forbidden", `the role ${principal.role} may not ${what}`);
    },
  };
}
