import { UsageError } from "../../core/errors.ts";
import {
  captureStatuses,
  custodyActions,
  type Capture,
  type CaptureFile,
  type CaptureStatus,
  type CustodyAction,
  type CustodyEntry,
  type JsonValue,
  type NewCapture,
  type NewCustodyEntry,
} from "../records.ts";
import type { EvidenceRepository } from "../store.ts";
import { clampLimit } from "./audit-repository.ts";
import { appendChained } from "./chained-log.ts";
import {
  jsonParam,
  toDate,
  toJson,
  toJsonObject,
  toNumber,
  toNumberOrNull,
  toText,
  toTextOrNull,
} from "./rows.ts";
import { auditIn, type SqlContext } from "./sql-context.ts";
import type { SqlExecutor, SqlRow } from "./sql-executor.ts";

const sha256Pattern = /^[0-9a-f]{64}$/;

function captureFromRow(row: SqlRow): Capture {
  const warcFile = toTextOrNull(row.warc_file);
  return {
    id: toNumber(row.id),
    organisationId: toNumber(row.organisation_id),
    listingId: toNumber(row.listing_id),
    pageId: toNumberOrNull(row.page_id),
    url: toText(row.url),
    finalUrl: toTextOrNull(row.final_url),
    status: toText(row.status) as CaptureStatus,
    failureReason: toTextOrNull(row.failure_reason),
    startedAt: toDate(row.started_at),
    finishedAt: toDate(row.finished_at),
    sha256: toText(row.sha256),
    warc:
      warcFile === null
        ? null
        : { file: warcFile, offset: toNumber(row.warc_offset), length: toNumber(row.warc_length) },
    files: toJson(row.files) as unknown as CaptureFile[],
    provenance: toJsonObject(row.provenance),
    createdAt: toDate(row.created_at),
  };
}

/** The fields a custody entry's hash covers. */
export function custodyHashedFields(
  entry: Omit<CustodyEntry, "id" | "prevHash" | "entryHash">,
): Record<string, JsonValue | Date> {
  return {
    captureId: entry.captureId,
    organisationId: entry.organisationId,
    actor: entry.actor,
    action: entry.action,
    purpose: entry.purpose,
    at: entry.at,
    details: entry.details,
  };
}

function custodyFromRow(row: SqlRow): CustodyEntry {
  return {
    id: toNumber(row.id),
    captureId: toNumber(row.capture_id),
    organisationId: toNumber(row.organisation_id),
    actor: toText(row.actor),
    action: toText(row.action) as CustodyAction,
    purpose: toTextOrNull(row.purpose),
    at: toDate(row.at),
    details: toJsonObject(row.details),
    prevHash: toText(row.prev_hash),
    entryHash: toText(row.entry_hash),
  };
}

function validateCapture(capture: NewCapture) {
  if (!(captureStatuses as readonly string[]).includes(capture.status)) {
    throw new UsageError("capture_status_invalid", `capture status "${capture.status}"`);
  }
  if (capture.status !== "complete" && !capture.failureReason) {
    // RELIABILITY E9: a partial or failed capture is kept, labelled, and says why.
    throw new UsageError("capture_reason_missing", `a ${capture.status} capture needs a failureReason`);
  }
  if (!sha256Pattern.test(capture.sha256))
    throw new UsageError("sha256_invalid", "capture sha256: 64 hex digits");
  for (const file of capture.files) {
    if (!sha256Pattern.test(file.sha256)) {
      throw new UsageError("sha256_invalid", `capture file ${file.path}: sha256 must be 64 hex digits`);
    }
  }
}

export class SqlEvidenceRepository implements EvidenceRepository {
  readonly #db: SqlExecutor;
  readonly #context: SqlContext;

  constructor(db: SqlExecutor, context: SqlContext) {
    this.#db = db;
    this.#context = context;
  }

  async recordCapture(capture: NewCapture, actor: string): Promise<{ capture: Capture; created: boolean }> {
    validateCapture(capture);
    return this.#db.transaction(async (tx) => {
      const row = await tx.get(
        `INSERT INTO captures (organisation_id, listing_id, page_id, url, final_url, status, failure_reason,
           started_at, finished_at, sha256, warc_file, warc_offset, warc_length, files, provenance, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (listing_id, sha256) DO NOTHING RETURNING *`,
        [
          capture.organisationId,
          capture.listingId,
          capture.pageId ?? null,
          capture.url,
          capture.finalUrl ?? null,
          capture.status,
          capture.failureReason ?? null,
          capture.startedAt,
          capture.finishedAt,
          capture.sha256,
          capture.warc?.file ?? null,
          capture.warc?.offset ?? null,
          capture.warc?.length ?? null,
          jsonParam(capture.files),
          jsonParam(capture.provenance),
          this.#context.clock(),
        ],
      );
      if (row === undefined) {
        const existing = await tx.get("SELECT * FROM captures WHERE listing_id = ? AND sha256 = ?", [
          capture.listingId,
          capture.sha256,
        ]);
        return { capture: captureFromRow(existing!), created: false };
      }
      const created = captureFromRow(row);
      await new SqlEvidenceRepository(tx, this.#context).appendCustody({
        captureId: created.id,
        organisationId: created.organisationId,
        actor,
        action: "capture",
        details: { sha256: created.sha256, status: created.status },
      });
      await auditIn(tx, this.#context, {
        organisationId: created.organisationId,
        actor,
        action: "capture.created",
        subjectType: "capture",
        subjectId: created.id,
        details: { listingId: created.listingId, sha256: created.sha256, status: created.status },
      });
      return { capture: created, created: true };
    });
  }

  async getCapture(id: number): Promise<Capture | null> {
    const row = await this.#db.get("SELECT * FROM captures WHERE id = ?", [id]);
    return row ? captureFromRow(row) : null;
  }

  async listCaptures(listingId: number): Promise<Capture[]> {
    const rows = await this.#db.all("SELECT * FROM captures WHERE listing_id = ? ORDER BY id", [listingId]);
    return rows.map(captureFromRow);
  }

  async appendCustody(input: NewCustodyEntry): Promise<CustodyEntry> {
    if (!(custodyActions as readonly string[]).includes(input.action)) {
      throw new UsageError("custody_action_invalid", `custody action "${input.action}"`);
    }
    const entry = {
      captureId: input.captureId,
      organisationId: input.organisationId,
      actor: input.actor,
      action: input.action,
      purpose: input.purpose ?? null,
      at: this.#context.clock(),
      details: input.details ?? {},
    };
    return appendChained(
      this.#db,
      this.#context.lock,
      "custody_log",
      custodyHashedFields(entry),
      async (tx, hashes) => {
        const row = await tx.get(
          `INSERT INTO custody_log (capture_id, organisation_id, actor, action, purpose, at, details, prev_hash, entry_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
          [
            entry.captureId,
            entry.organisationId,
            entry.actor,
            entry.action,
            entry.purpose,
            entry.at,
            jsonParam(entry.details),
            hashes.prevHash,
            hashes.entryHash,
          ],
        );
        return custodyFromRow(row!);
      },
    );
  }

  async custodyOf(captureId: number): Promise<CustodyEntry[]> {
    const rows = await this.#db.all("SELECT * FROM custody_log WHERE capture_id = ? ORDER BY id", [
      captureId,
    ]);
    return rows.map(custodyFromRow);
  }

  async custodyLog(options: { afterId?: number; limit?: number } = {}): Promise<CustodyEntry[]> {
    const rows = await this.#db.all("SELECT * FROM custody_log WHERE id > ? ORDER BY id LIMIT ?", [
      options.afterId ?? 0,
      clampLimit(options.limit, 1000, 10_000),
    ]);
    return rows.map(custodyFromRow);
  }
}
