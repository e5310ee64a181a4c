import { NotFoundError, UsageError } from "../../core/errors.ts";
import {
  takedownTransitions,
  type NewTakedownNotice,
  type TakedownEvent,
  type TakedownNotice,
  type TakedownState,
} from "../records.ts";
import { ConflictError } from "../storage-errors.ts";
import type { TakedownRepository } from "../store.ts";
import { jsonParam, toDate, toJsonObject, toNumber, toText, toTextOrNull } from "./rows.ts";
import { auditIn, type SqlContext } from "./sql-context.ts";
import type { SqlExecutor, SqlRow } from "./sql-executor.ts";

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
    move: { from: TakedownState; to: TakedownState; note?: string | null },
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
      await tx.run(
        "INSERT INTO takedown_events (notice_id, from_state, to_state, at, actor, note) VALUES (?, ?, ?, ?, ?, ?)",
        [id, move.from, move.to, now, actor, move.note ?? null],
      );
      const notice = noticeFromRow(row);
      await auditIn(tx, this.#context, {
        organisationId: notice.organisationId,
        actor,
        action: "takedown.transitioned",
        subjectType: "takedown_notice",
        subjectId: id,
        details: { from: move.from, to: move.to },
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
}
