import { NotFoundError } from "../../core/errors.ts";
import type { NewSession, Session } from "../records.ts";
import type { SessionRepository } from "../store.ts";
import { toDate, toDateOrNull, toNumber, toTextOrNull } from "./rows.ts";
import { auditIn, type SqlContext } from "./sql-context.ts";
import type { SqlExecutor, SqlRow } from "./sql-executor.ts";

/** A user agent is for telling sessions apart, not for forensics: longer ones are cut. */
export const sessionUserAgentMaxLength = 256;

function sessionFromRow(row: SqlRow): Session {
  return {
    id: toNumber(row.id),
    userId: toNumber(row.user_id),
    organisationId: toNumber(row.organisation_id),
    createdAt: toDate(row.created_at),
    lastSeenAt: toDate(row.last_seen_at),
    expiresAt: toDate(row.expires_at),
    revokedAt: toDateOrNull(row.revoked_at),
    ip: toTextOrNull(row.ip),
    userAgent: toTextOrNull(row.user_agent),
  };
}

/** Ends every live session of a user inside `tx`; shared with disabling a user, which must do it atomically. */
export async function revokeSessionsOfUser(
  tx: SqlExecutor,
  context: SqlContext,
  userId: number,
): Promise<number> {
  return tx.run("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", [
    context.clock(),
    userId,
  ]);
}

export class SqlSessionRepository implements SessionRepository {
  readonly #db: SqlExecutor;
  readonly #context: SqlContext;

  constructor(db: SqlExecutor, context: SqlContext) {
    this.#db = db;
    this.#context = context;
  }

  async create(session: NewSession): Promise<Session> {
    const now = this.#context.clock();
    const row = await this.#db.get(
      `INSERT INTO sessions (user_id, organisation_id, token_hash, created_at, last_seen_at, expires_at, ip, user_agent)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      [
        session.userId,
        session.organisationId,
        session.tokenHash,
        now,
        now,
        session.expiresAt,
        session.ip ?? null,
        session.userAgent?.slice(0, sessionUserAgentMaxLength) ?? null,
      ],
    );
    return sessionFromRow(row!);
  }

  async get(id: number): Promise<Session | null> {
    const row = await this.#db.get("SELECT * FROM sessions WHERE id = ?", [id]);
    return row ? sessionFromRow(row) : null;
  }

  async findByTokenHash(tokenHash: string): Promise<Session | null> {
    const row = await this.#db.get("SELECT * FROM sessions WHERE token_hash = ?", [tokenHash]);
    return row ? sessionFromRow(row) : null;
  }

  async touch(id: number, at: Date): Promise<void> {
    await this.#db.run("UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?", [
      at,
      id,
      at,
    ]);
  }

  async revoke(id: number, actor: string): Promise<Session> {
    return this.#db.transaction(async (tx) => {
      const row = await tx.get(
        "UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING *",
        [this.#context.clock(), id],
      );
      if (row === undefined) throw new NotFoundError("session_not_found", `no session ${id}`);
      const session = sessionFromRow(row);
      await auditIn(tx, this.#context, {
        organisationId: session.organisationId,
        actor,
        action: "session.revoked",
        subjectType: "session",
        subjectId: id,
        details: { userId: session.userId },
      });
      return session;
    });
  }

  async revokeAllForUser(userId: number, actor: string): Promise<number> {
    return this.#db.transaction(async (tx) => {
      const user = await tx.get("SELECT organisation_id FROM users WHERE id = ?", [userId]);
      if (user === undefined) throw new NotFoundError("user_not_found", `no user ${userId}`);
      const revoked = await revokeSessionsOfUser(tx, this.#context, userId);
      await auditIn(tx, this.#context, {
        organisationId: toNumber(user.organisation_id),
        actor,
        action: "session.revoked_all",
        subjectType: "user",
        subjectId: userId,
        details: { revoked },
      });
      return revoked;
    });
  }
}
