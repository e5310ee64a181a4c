import { createHash, randomBytes } from "node:crypto";
import { NotFoundError, UsageError } from "../../core/errors.ts";
import {
  userRoles,
  type ApiKey,
  type CreatedApiKey,
  type NewApiKey,
  type NewOrganisation,
  type NewUser,
  type Organisation,
  type User,
  type UserCredentials,
} from "../records.ts";
import { ConflictError } from "../storage-errors.ts";
import type { ApiKeyRepository, OrganisationRepository, UserRepository } from "../store.ts";
import {
  jsonParam,
  toDate,
  toDateOrNull,
  toJson,
  toNumber,
  toNumberOrNull,
  toText,
  toTextOrNull,
} from "./rows.ts";
import { revokeSessionsOfUser } from "./session-repository.ts";
import { auditIn, type SqlContext } from "./sql-context.ts";
import type { SqlExecutor, SqlRow } from "./sql-executor.ts";

function organisationFromRow(row: SqlRow): Organisation {
  return {
    id: toNumber(row.id),
    slug: toText(row.slug),
    name: toText(row.name),
    createdAt: toDate(row.created_at),
  };
}

export class SqlOrganisationRepository implements OrganisationRepository {
  readonly #db: SqlExecutor;
  readonly #context: SqlContext;

  constructor(db: SqlExecutor, context: SqlContext) {
    this.#db = db;
    this.#context = context;
  }

  async create(organisation: NewOrganisation, actor: string): Promise<Organisation> {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(organisation.slug)) {
      throw new UsageError(
        "organisation_slug_invalid",
        `organisation slug "${organisation.slug}": use a-z, 0-9 and -`,
      );
    }
    return this.#db.transaction(async (tx) => {
      const row = await tx.get(
        `INSERT INTO organisations (slug, name, created_at) VALUES (?, ?, ?)
         ON CONFLICT (slug) DO NOTHING RETURNING *`,
        [organisation.slug, organisation.name, this.#context.clock()],
      );
      if (row === undefined) {
        throw new ConflictError(
          "organisation_exists",
          `an organisation "${organisation.slug}" already exists`,
        );
      }
      const created = organisationFromRow(row);
      await auditIn(tx, this.#context, {
        organisationId: created.id,
        actor,
        action: "organisation.created",
        subjectType: "organisation",
        subjectId: created.id,
        details: { slug: created.slug, name: created.name },
      });
      return created;
    });
  }

  async get(id: number): Promise<Organisation | null> {
    const row = await this.#db.get("SELECT * FROM organisations WHERE id = ?", [id]);
    return row ? organisationFromRow(row) : null;
  }

  async getBySlug(slug: string): Promise<Organisation | null> {
    const row = await this.#db.get("SELECT * FROM organisations WHERE slug = ?", [slug]);
    return row ? organisationFromRow(row) : null;
  }

  async list(): Promise<Organisation[]> {
    return (await this.#db.all("SELECT * FROM organisations ORDER BY id")).map(organisationFromRow);
  }
}

function userFromRow(row: SqlRow): User {
  return {
    id: toNumber(row.id),
    organisationId: toNumber(row.organisation_id),
    email: toText(row.email),
    displayName: toText(row.display_name),
    role: toText(row.role) as User["role"],
    createdAt: toDate(row.created_at),
    disabledAt: toDateOrNull(row.disabled_at),
  };
}

export class SqlUserRepository implements UserRepository {
  readonly #db: SqlExecutor;
  readonly #context: SqlContext;

  constructor(db: SqlExecutor, context: SqlContext) {
    this.#db = db;
    this.#context = context;
  }

  async create(user: NewUser, actor: string): Promise<User> {
    if (!(userRoles as readonly string[]).includes(user.role)) {
      throw new UsageError(
        "user_role_invalid",
        `role "${user.role}": expected one of ${userRoles.join(", ")}`,
      );
    }
    const email = user.email.trim().toLowerCase();
    if (!/^[^\s@]+@[^\s@]+$/.test(email))
      throw new UsageError("user_email_invalid", `"${user.email}" is not an email`);
    return this.#db.transaction(async (tx) => {
      const row = await tx.get(
        `INSERT INTO users (organisation_id, email, display_name, role, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (email) DO NOTHING RETURNING *`,
        [user.organisationId, email, user.displayName, user.role, this.#context.clock()],
      );
      if (row === undefined)
        throw new ConflictError("user_exists", `a user with email ${email} already exists`);
      const created = userFromRow(row);
      await auditIn(tx, this.#context, {
        organisationId: created.organisationId,
        actor,
        action: "user.created",
        subjectType: "user",
        subjectId: created.id,
        details: { role: created.role },
      });
      return created;
    });
  }

  async get(id: number): Promise<User | null> {
    const row = await this.#db.get("SELECT * FROM users WHERE id = ?", [id]);
    return row ? userFromRow(row) : null;
  }

  async getByEmail(email: string): Promise<User | null> {
    const row = await this.#db.get("SELECT * FROM users WHERE email = ?", [email.trim().toLowerCase()]);
    return row ? userFromRow(row) : null;
  }

  async disable(id: number, actor: string): Promise<User> {
    return this.#db.transaction(async (tx) => {
      const row = await tx.get(
        "UPDATE users SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ? RETURNING *",
        [this.#context.clock(), id],
      );
      if (row === undefined) throw new NotFoundError("user_not_found", `no user ${id}`);
      const user = userFromRow(row);
      // A disabled person's open sessions end with the account (RELIABILITY A8), not at their next timeout.
      const sessionsRevoked = await revokeSessionsOfUser(tx, this.#context, id);
      await auditIn(tx, this.#context, {
        organisationId: user.organisationId,
        actor,
        action: "user.disabled",
        subjectType: "user",
        subjectId: id,
        details: { sessionsRevoked },
      });
      return user;
    });
  }

  async listForOrganisation(organisationId: number): Promise<User[]> {
    const rows = await this.#db.all("SELECT * FROM users WHERE organisation_id = ? ORDER BY id", [
      organisationId,
    ]);
    return rows.map(userFromRow);
  }

  async credentials(id: number): Promise<UserCredentials | null> {
    const row = await this.#db.get(
      "SELECT id, password_hash, mfa_secret, mfa_last_step FROM users WHERE id = ?",
      [id],
    );
    if (row === undefined) return null;
    return {
      userId: toNumber(row.id),
      passwordHash: toTextOrNull(row.password_hash),
      mfaSecret: toTextOrNull(row.mfa_secret),
      mfaLastStep: toNumberOrNull(row.mfa_last_step),
    };
  }

  async setPasswordHash(id: number, hash: string | null, actor: string): Promise<User> {
    return this.#updateCredential(
      id,
      "password_hash = ?",
      [hash],
      actor,
      hash === null ? "user.password_removed" : "user.password_set",
    );
  }

  async setMfaSecret(id: number, secret: string | null, actor: string): Promise<User> {
    return this.#updateCredential(
      id,
      "mfa_secret = ?, mfa_last_step = NULL",
      [secret],
      actor,
      secret === null ? "user.mfa_removed" : "user.mfa_enrolled",
    );
  }

  async useMfaStep(id: number, step: number): Promise<boolean> {
    // One conditional update: two requests racing with the same code cannot both win.
    const changed = await this.#db.run(
      "UPDATE users SET mfa_last_step = ? WHERE id = ? AND (mfa_last_step IS NULL OR mfa_last_step < ?)",
      [step, id, step],
    );
    return changed === 1;
  }

  async #updateCredential(
    id: number,
    assignments: string,
    params: readonly (string | null)[],
    actor: string,
    action: string,
  ): Promise<User> {
    return this.#db.transaction(async (tx) => {
      const row = await tx.get(`UPDATE users SET ${assignments} WHERE id = ? RETURNING *`, [...params, id]);
      if (row === undefined) throw new NotFoundError("user_not_found", `no user ${id}`);
      const user = userFromRow(row);
      // The audit says what changed, never the hash or the secret.
      await auditIn(tx, this.#context, {
        organisationId: user.organisationId,
        actor,
        action,
        subjectType: "user",
        subjectId: id,
      });
      return user;
    });
  }
}

/** A fast hash is right here: the secret is 256 random bits, so there is nothing to guess from the hash. */
function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

function apiKeyFromRow(row: SqlRow): ApiKey {
  return {
    id: toNumber(row.id),
    organisationId: toNumber(row.organisation_id),
    userId: toNumberOrNull(row.user_id),
    name: toText(row.name),
    prefix: toText(row.prefix),
    scopes: toJson(row.scopes) as string[],
    createdAt: toDate(row.created_at),
    revokedAt: toDateOrNull(row.revoked_at),
    lastUsedAt: toDateOrNull(row.last_used_at),
  };
}

export class SqlApiKeyRepository implements ApiKeyRepository {
  readonly #db: SqlExecutor;
  readonly #context: SqlContext;

  constructor(db: SqlExecutor, context: SqlContext) {
    this.#db = db;
    this.#context = context;
  }

  async create(key: NewApiKey, actor: string): Promise<CreatedApiKey> {
    const secret = `wt_${randomBytes(32).toString("base64url")}`;
    return this.#db.transaction(async (tx) => {
      const row = await tx.get(
        `INSERT INTO api_keys (organisation_id, user_id, name, prefix, key_hash, scopes, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [
          key.organisationId,
          key.userId ?? null,
          key.name,
          secret.slice(0, 10),
          hashSecret(secret),
          jsonParam(key.scopes),
          this.#context.clock(),
        ],
      );
      const apiKey = apiKeyFromRow(row!);
      await auditIn(tx, this.#context, {
        organisationId: apiKey.organisationId,
        actor,
        action: "api_key.created",
        subjectType: "api_key",
        subjectId: apiKey.id,
        details: { name: apiKey.name, prefix: apiKey.prefix, scopes: [...apiKey.scopes] },
      });
      return { apiKey, secret };
    });
  }

  async authenticate(secret: string): Promise<ApiKey | null> {
    const row = await this.#db.get(
      "UPDATE api_keys SET last_used_at = ? WHERE key_hash = ? AND revoked_at IS NULL RETURNING *",
      [this.#context.clock(), hashSecret(secret)],
    );
    return row ? apiKeyFromRow(row) : null;
  }

  async revoke(id: number, actor: string): Promise<ApiKey> {
    return this.#db.transaction(async (tx) => {
      const row = await tx.get(
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING *",
        [this.#context.clock(), id],
      );
      if (row === undefined) throw new NotFoundError("api_key_not_found", `no API key ${id}`);
      const apiKey = apiKeyFromRow(row);
      await auditIn(tx, this.#context, {
        organisationId: apiKey.organisationId,
        actor,
        action: "api_key.revoked",
        subjectType: "api_key",
        subjectId: id,
      });
      return apiKey;
    });
  }

  async listForOrganisation(organisationId: number): Promise<ApiKey[]> {
    const rows = await this.#db.all("SELECT * FROM api_keys WHERE organisation_id = ? ORDER BY id", [
      organisationId,
    ]);
    return rows.map(apiKeyFromRow);
  }
}
