import type { AuditEntry, JsonValue, NewAuditEntry, RefusedChange } from "../records.ts";
import type { AuditRepository } from "../store.ts";
import { appendChained, type ChainLock } from "./chained-log.ts";
import { jsonParam, toDate, toJsonObject, toNumber, toNumberOrNull, toText, toTextOrNull } from "./rows.ts";
import type { SqlExecutor, SqlRow } from "./sql-executor.ts";

/** The fields an audit entry's hash covers (everything but its id and the hashes themselves). */
export function auditHashedFields(
  entry: Omit<AuditEntry, "id" | "prevHash" | "entryHash">,
): Record<string, JsonValue | Date> {
  return {
    at: entry.at,
    organisationId: entry.organisationId,
    actor: entry.actor,
    action: entry.action,
    subjectType: entry.subjectType,
    subjectId: entry.subjectId,
    details: entry.details,
  };
}

export function auditFromRow(row: SqlRow): AuditEntry {
  return {
    id: toNumber(row.id),
    at: toDate(row.at),
    organisationId: toNumberOrNull(row.organisation_id),
    actor: toText(row.actor),
    action: toText(row.action),
    subjectType: toTextOrNull(row.subject_type),
    subjectId: toTextOrNull(row.subject_id),
    details: toJsonObject(row.details),
    prevHash: toText(row.prev_hash),
    entryHash: toText(row.entry_hash),
  };
}

export class SqlAuditRepository implements AuditRepository {
  readonly #db: SqlExecutor;
  readonly #lock: ChainLock;
  readonly #clock: () => Date;

  constructor(db: SqlExecutor, lock: ChainLock, clock: () => Date) {
    this.#db = db;
    this.#lock = lock;
    this.#clock = clock;
  }

  async append(input: NewAuditEntry): Promise<AuditEntry> {
    const entry = {
      at: this.#clock(),
      organisationId: input.organisationId ?? null,
      actor: input.actor,
      action: input.action,
      subjectType: input.subjectType ?? null,
      subjectId: input.subjectId === undefined || input.subjectId === null ? null : String(input.subjectId),
      details: input.details ?? {},
    };
    return appendChained(this.#db, this.#lock, "audit_log", auditHashedFields(entry), async (tx, hashes) => {
      const row = await tx.get(
        `INSERT INTO audit_log (at, organisation_id, actor, action, subject_type, subject_id, details, prev_hash, entry_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [
          entry.at,
          entry.organisationId,
          entry.actor,
          entry.action,
          entry.subjectType,
          entry.subjectId,
          jsonParam(entry.details),
          hashes.prevHash,
          hashes.entryHash,
        ],
      );
      return auditFromRow(row!);
    });
  }

  async list(
    options: { afterId?: number; limit?: number; subjectType?: string; subjectId?: string } = {},
  ): Promise<AuditEntry[]> {
    const conditions = ["id > ?"];
    const params: (string | number)[] = [options.afterId ?? 0];
    if (options.subjectType !== undefined) {
      conditions.push("subject_type = ?");
      params.push(options.subjectType);
    }
    if (options.subjectId !== undefined) {
      conditions.push("subject_id = ?");
      params.push(options.subjectId);
    }
    params.push(clampLimit(options.limit, 1000, 10_000));
    const rows = await this.#db.all(
      `SELECT * FROM audit_log WHERE ${conditions.join(" AND ")} ORDER BY id LIMIT ?`,
      params,
    );
    return rows.map(auditFromRow);
  }

  async refusedChanges(options: { afterId?: number; limit?: number } = {}): Promise<RefusedChange[]> {
    const rows = await this.#db.all("SELECT * FROM refused_changes WHERE id > ? ORDER BY id LIMIT ?", [
      options.afterId ?? 0,
      clampLimit(options.limit, 1000, 10_000),
    ]);
    return rows.map((row) => ({
      id: toNumber(row.id),
      at: toDate(row.at),
      table: toText(row.table_name),
      operation: toText(row.operation) as RefusedChange["operation"],
      rowId: toNumber(row.row_id),
      databaseUser: toTextOrNull(row.database_user),
    }));
  }
}

export function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  return Math.max(1, Math.min(max, Math.floor(limit)));
}
