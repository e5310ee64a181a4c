import { NotFoundError, UsageError } from "../../core/errors.ts";
import type { JsonObject, NewPage, Page, Source, SourceInput, TrawlRun, TrawlRunState } from "../records.ts";
import type { PageRepository, SourceRepository } from "../store.ts";
import {
  jsonParam,
  toDate,
  toDateOrNull,
  toJsonObject,
  toNumber,
  toNumberOrNull,
  toText,
  toTextOrNull,
} from "./rows.ts";
import type { SqlContext } from "./sql-context.ts";
import type { SqlExecutor, SqlRow } from "./sql-executor.ts";

function sourceFromRow(row: SqlRow): Source {
  return {
    id: toNumber(row.id),
    organisationId: toNumber(row.organisation_id),
    slug: toText(row.slug),
    name: toText(row.name),
    platform: toTextOrNull(row.platform),
    baseUrl: toTextOrNull(row.base_url),
    config: toJsonObject(row.config),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

function runFromRow(row: SqlRow): TrawlRun {
  return {
    id: toNumber(row.id),
    organisationId: toNumber(row.organisation_id),
    sourceId: toNumber(row.source_id),
    state: toText(row.state) as TrawlRunState,
    startedAt: toDate(row.started_at),
    finishedAt: toDateOrNull(row.finished_at),
    stats: toJsonObject(row.stats),
    error: toTextOrNull(row.error),
  };
}

export class SqlSourceRepository implements SourceRepository {
  readonly #db: SqlExecutor;
  readonly #context: SqlContext;

  constructor(db: SqlExecutor, context: SqlContext) {
    this.#db = db;
    this.#context = context;
  }

  async upsert(source: SourceInput): Promise<Source> {
    if (!/^[a-z0-9][a-z0-9._-]{0,127}$/.test(source.slug)) {
      throw new UsageError(
        "source_slug_invalid",
        `source slug "${source.slug}": use a-z, 0-9, ".", "_" and "-"`,
      );
    }
    const now = this.#context.clock();
    const row = await this.#db.get(
      `INSERT INTO sources (organisation_id, slug, name, platform, base_url, config, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (organisation_id, slug) DO UPDATE SET
         name = excluded.name, platform = excluded.platform, base_url = excluded.base_url,
         config = excluded.config, updated_at = excluded.updated_at
       RETURNING *`,
      [
        source.organisationId,
        source.slug,
        source.name,
        source.platform ?? null,
        source.baseUrl ?? null,
        jsonParam(source.config ?? {}),
        now,
        now,
      ],
    );
    return sourceFromRow(row!);
  }

  async get(id: number): Promise<Source | null> {
    const row = await this.#db.get("SELECT * FROM sources WHERE id = ?", [id]);
    return row ? sourceFromRow(row) : null;
  }

  async list(organisationId?: number): Promise<Source[]> {
    const rows =
      organisationId === undefined
        ? await this.#db.all("SELECT * FROM sources ORDER BY id")
        : await this.#db.all("SELECT * FROM sources WHERE organisation_id = ? ORDER BY id", [organisationId]);
    return rows.map(sourceFromRow);
  }

  async startRun(sourceId: number): Promise<TrawlRun> {
    const row = await this.#db.get(
      `INSERT INTO trawl_runs (organisation_id, source_id, state, started_at, stats)
       SELECT organisation_id, id, 'running', ?, '{}' FROM sources WHERE id = ?
       RETURNING *`,
      [this.#context.clock(), sourceId],
    );
    if (row === undefined) throw new NotFoundError("source_not_found", `no source ${sourceId}`);
    return runFromRow(row);
  }

  async finishRun(
    runId: number,
    outcome: { state: Exclude<TrawlRunState, "running">; stats?: JsonObject; error?: string | null },
  ): Promise<TrawlRun> {
    const row = await this.#db.get(
      `UPDATE trawl_runs SET state = ?, finished_at = ?, stats = ?, error = ? WHERE id = ? RETURNING *`,
      [outcome.state, this.#context.clock(), jsonParam(outcome.stats ?? {}), outcome.error ?? null, runId],
    );
    if (row === undefined) throw new NotFoundError("trawl_run_not_found", `no trawl run ${runId}`);
    return runFromRow(row);
  }

  async getRun(runId: number): Promise<TrawlRun | null> {
    const row = await this.#db.get("SELECT * FROM trawl_runs WHERE id = ?", [runId]);
    return row ? runFromRow(row) : null;
  }

  async listRuns(sourceId: number, options: { limit?: number } = {}): Promise<TrawlRun[]> {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 100), 1), 1000);
    const rows = await this.#db.all("SELECT * FROM trawl_runs WHERE source_id = ? ORDER BY id DESC LIMIT ?", [
      sourceId,
      limit,
    ]);
    return rows.map(runFromRow);
  }
}

function pageFromRow(row: SqlRow): Page {
  return {
    id: toNumber(row.id),
    sourceId: toNumber(row.source_id),
    trawlRunId: toNumberOrNull(row.trawl_run_id),
    url: toText(row.url),
    finalUrl: toText(row.final_url),
    statusCode: toNumber(row.status_code),
    contentType: toTextOrNull(row.content_type),
    fetchedAt: toDate(row.fetched_at),
    sha256: toText(row.sha256),
    byteLength: toNumber(row.byte_length),
    warc: {
      file: toText(row.warc_file),
      offset: toNumber(row.warc_offset),
      length: toNumber(row.warc_length),
    },
  };
}

export class SqlPageRepository implements PageRepository {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async record(page: NewPage): Promise<Page> {
    if (!/^[0-9a-f]{64}$/.test(page.sha256))
      throw new UsageError("sha256_invalid", "page sha256: 64 hex digits");
    // The WARC record is where the bytes are, so it is what identifies a fetch: a replay finds the same row.
    const inserted = await this.#db.get(
      `INSERT INTO pages (source_id, trawl_run_id, url, final_url, status_code, content_type, fetched_at, sha256,
         byte_length, warc_file, warc_offset, warc_length)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (warc_file, warc_offset) DO NOTHING RETURNING *`,
      [
        page.sourceId,
        page.trawlRunId ?? null,
        page.url,
        page.finalUrl,
        page.statusCode,
        page.contentType ?? null,
        page.fetchedAt,
        page.sha256,
        page.byteLength,
        page.warc.file,
        page.warc.offset,
        page.warc.length,
      ],
    );
    const row =
      inserted ??
      (await this.#db.get("SELECT * FROM pages WHERE warc_file = ? AND warc_offset = ?", [
        page.warc.file,
        page.warc.offset,
      ]));
    return pageFromRow(row!);
  }

  async get(id: number): Promise<Page | null> {
    const row = await this.#db.get("SELECT * FROM pages WHERE id = ?", [id]);
    return row ? pageFromRow(row) : null;
  }
}
