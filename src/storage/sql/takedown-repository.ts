import { NotFoundError, UsageError } from "../../core/errors.ts";
import {
  takedownStates,
  takedownTransitions,
  type JsonObject,
  type NewTakedownNotice,
  type TakedownEvent,
  type TakedownFilter,
  type TakedownNotice,
  type TakedownState,
} from "../records.ts";
import { ConflictError } from "../storage-errors.ts";
import type { TakedownRepository } from "../store.ts";
import { jsonParam, toDate, toDateOrNull, toJsonObject, toNumber, toText, toTextOrNull } from "./rows.ts";
import { auditIn, type SqlContext } from "./sql-context.ts";
import { placeholders, type SqlExecutor, type SqlParam, type SqlRow } from "./sql-executor.ts";

function noticeFromRow(row: SqlRow): TakedownNotice {
  return {
    id: toNumber(row.id),
    organisationId: toNumber(row.organisation_id),
    listingId: toNumber(row.listing_id),
    platform: toText(row.platform),
    recipient: toTextOrNull(row.recipient),
    idempotencyKey: toText(row.idempotency_key),
    state: toText(row.state) as TakedownState,
    details: toJsonObject(row.details),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

function eventFromRow(row: SqlRow): TakedownEvent {
  return {
    id: toNumber(row.id),
    noticeId: toNumber(row.notice_id),
    fromState: toTextOrNull(row.from_state) as TakedownState | null,
    toState: toText(row.to_state) as TakedownState,
    at: toDate(row.at),
    actor: toText(row.actor),
    note: toTextOrNull(row.note),
    observedAt: toDateOrNull(row.observed_at),
    details: toJsonObject(row.details),
  };
}

export class SqlTakedownRepository implements TakedownRepository {
  readonly #db: SqlExecutor;
  readonly #context: SqlContext;

  constructor(db: SqlExecutor, context: SqlContext) {
    this.#db = db;
    this.#context = context;
  }

  async create(
    notice: NewTakedownNotice,
    actor: string,
  ): Promise<{ notice: TakedownNotice; created: boolean }> {
    if (notice.idempotencyKey.length === 0 || notice.idempotencyKey.length > 200) {
      throw new UsageError(
        "idempotency_key_invalid",
        "a takedown notice needs an idempotency key of 1–200 characters",
      );
    }
    return this.#db.transaction(async (tx) => {
      const now = this.#context.clock();
      const row = await tx.get(
        `INSERT INTO takedown_notices (organisation_id, listing_id, platform, recipient, idempotency_key, state,
           details, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'draft', ?, ?, ?)
         ON CONFLICT (organisation_id, idempotency_key) DO NOTHING RETURNING *`,
        [
          notice.organisationId,
          notice.listingId,
          notice.platform,
          notice.recipient ?? null,
          notice.idempotencyKey,
          jsonParam(notice.details ?? {}),
          now,
          now,
        ],
      );
      if (row === undefined) {
        const existing = await tx.get(
          "SELECT * FROM takedown_notices WHERE organisation_id = ? AND idempotency_key = ?",
          [notice.organisationId, notice.idempotencyKey],
        );
        return { notice: noticeFromRow(existing!), created: false };
      }
      const created = noticeFromRow(row);
      await tx.run(
        "INSERT INTO takedown_events (notice_id, from_state, to_state, at, actor, note) VALUES (?, NULL, 'draft', ?, ?, NULL)",
        [created.id, now, actor],
      );
      await auditIn(tx, this.#context, {
        organisationId: created.organisationId,
        actor,
        action: "takedown.created",
        subjectType: "takedown_notice",
        subjectId: created.id,
        details: { listingId: created.listingId, platform: created.platform },
      });
      return { notice: created, created: true };
    });
  }

  async transition(
    id: number,
    move: {
      from: TakedownState;
      to: TakedownState;
      note?: string | null;
      observedAt?: Date | null;
      details?: JsonObject;
    },
    actor: string,
  ): Promise<TakedownNotice> {
    if (!(takedownTransitions[move.from] ?? []).includes(move.to)) {
      throw new ConflictError(
        "takedown_transition_invalid",
        `a takedown notice cannot go from ${move.from} to ${move.to}`,
      );
    }
    return this.#db.transaction(async (tx) => {
      const now = this.#context.clock();
      // Compare-and-set: of two people moving the same notice at once, one wins and the other is told.
      const row = await tx.get(
        "UPDATE takedown_notices SET state = ?, updated_at = ? WHERE id = ? AND state = ? RETURNING *",
        [move.to, now, id, move.from],
      );
      if (row === undefined) {
        const current = await tx.get<{ state: string }>("SELECT state FROM takedown_notices WHERE id = ?", [
          id,
        ]);
        if (current === undefined) throw new NotFoundError("takedown_not_found", `no takedown notice ${id}`);
        throw new ConflictError(
          "takedown_state_changed",
          `takedown notice ${id} is ${current.state}, not ${move.from}`,
        );
      }
      if (move.observedAt && move.observedAt.getTime() > now.getTime())
        throw new UsageError(
          "observed_in_future",
          `takedown notice ${id}: a change observed at ${move.observedAt.toISOString()} has not happened yet`,
        );
      await tx.run(
        `INSERT INTO takedown_events (notice_id, from_state, to_state, at, actor, note, observed_at, details)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          id,
          move.from,
          move.to,
          now,
          actor,
          move.note ?? null,
          move.observedAt ?? null,
          jsonParam(move.details ?? {}),
        ],
      );
      const notice = noticeFromRow(row);
      await auditIn(tx, this.#context, {
        organisationId: notice.organisationId,
        actor,
        action: "takedown.transitioned",
        subjectType: "takedown_notice",
        subjectId: id,
        details: {
          from: move.from,
          to: move.to,
          ...(move.observedAt ? { observedAt: move.observedAt.toISOString() } : {}),
          ...(move.details ? { details: move.details } : {}),
        },
      });
      return notice;
    });
  }

  async get(id: number): Promise<TakedownNotice | null> {
    const row = await this.#db.get("SELECT * FROM takedown_notices WHERE id = ?", [id]);
    return row ? noticeFromRow(row) : null;
  }

  async events(noticeId: number): Promise<TakedownEvent[]> {
    const rows = await this.#db.all("SELECT * FROM takedown_events WHERE notice_id = ? ORDER BY id", [
      noticeId,
    ]);
    return rows.map(eventFromRow);
  }

  async listForListing(listingId: number): Promise<TakedownNotice[]> {
    const rows = await this.#db.all("SELECT * FROM takedown_notices WHERE listing_id = ? ORDER BY id", [
      listingId,
    ]);
    return rows.map(noticeFromRow);
  }

  async list(filter: TakedownFilter): Promise<TakedownNotice[]> {
    const where = ["organisation_id = ?", "id > ?"];
    const params: SqlParam[] = [filter.organisationId, filter.afterId ?? 0];
    if (filter.platform !== undefined) {
      where.push("platform = ?");
      params.push(filter.platform);
    }
    if (filter.states !== undefined) {
      const unknown = filter.states.filter((state) => !(takedownStates as readonly string[]).includes(state));
      if (unknown.length > 0)
        throw new UsageError(
          "takedown_state_invalid",
          `takedown state ${unknown.join(", ")}: expected ${takedownStates.join(", ")}`,
        );
      if (filter.states.length === 0) return [];
      where.push(`state IN (${placeholders(filter.states.length)})`);
      params.push(...filter.states);
    }
    if (filter.listingIds !== undefined) {
      if (filter.listingIds.length === 0) return [];
      where.push(`listing_id IN (${placeholders(filter.listingIds.length)})`);
      params.push(...filter.listingIds);
    }
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const rows = await this.#db.all(
      `SELECT * FROM takedown_notices WHERE ${where.join(" AND ")} ORDER BY id LIMIT ${limit}`,
      params,
    );
    return rows.map(noticeFromRow);
  }

  async eventsOf(noticeIds: readonly number[]): Promise<TakedownEvent[]> {
    const events: TakedownEvent[] = [];
    // In slices: both databases cap the number of parameters in one statement.
    for (let start = 0; start < noticeIds.length; start += 500) {
      const slice = noticeIds.slice(start, start + 500);
      const rows = await this.#db.all(
        `SELECT * FROM takedown_events WHERE notice_id IN (${placeholders(slice.length)}) ORDER BY notice_id, id`,
        slice,
      );
      events.push(...rows.map(eventFromRow));
    }
    return events.sort((a, b) => a.noticeId - b.noticeId || a.id - b.id);
  }
}
