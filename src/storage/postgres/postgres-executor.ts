import { setTimeout as sleep } from "node:timers/promises";
import type { Pool, PoolClient, QueryResultRow } from "pg";
import { StorageUnavailableError } from "../storage-errors.ts";
import type { SqlExecutor, SqlParam, SqlRow } from "../sql/sql-executor.ts";

/** Error codes that mean the server went away or is not accepting connections yet: worth waiting for. */
const unavailableCodes = new Set([
  "57P01", // admin_shutdown: the server is stopping
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up or recovering
  "53300", // too_many_connections
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);
const unavailableMessages =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|not queryable/i;

export function isUnavailable(error: unknown): boolean {
  if (error instanceof StorageUnavailableError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && (code.startsWith("08") || unavailableCodes.has(code))) return true;
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" && unavailableMessages.test(message);
}

function unavailable(error: unknown, where: string, outcome: string): StorageUnavailableError {
  if (error instanceof StorageUnavailableError) return error;
  const detail = (error as Error).message || String((error as { code?: unknown }).code ?? error);
  return new StorageUnavailableError(
    "database_unavailable",
    `PostgreSQL at ${where} is unavailable (${detail})${outcome}`,
    {
      cause: error,
    },
  );
}

/** `?` placeholders (the shared SQL) become `$1, $2, …`; SQL already numbered is left alone. */
const numbered = new Map<string, string>();
function toNumbered(sql: string): string {
  let converted = numbered.get(sql);
  if (converted === undefined) {
    let n = 0;
    converted = sql.includes("$1") ? sql : sql.replace(/\?/g, () => `$${++n}`);
    if (numbered.size < 2000) numbered.set(sql, converted);
  }
  return converted;
}

/** Plain SELECTs are safe to send twice; anything else may have written. */
const isRead = (sql: string) => /^\s*SELECT\b/i.test(sql);

interface Queryable {
  query<Row extends QueryResultRow>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<{ rows: Row[]; rowCount: number | null }>;
}

export abstract class PostgresExecutorBase implements SqlExecutor {
  readonly dialect = "postgres" as const;
  abstract readonly inTransaction: boolean;
  protected readonly where: string;

  constructor(where: string) {
    this.where = where;
  }

  /** For PostgreSQL-only code that passes arrays (`unnest($1::text[])`). */
  abstract query<Row extends QueryResultRow = SqlRow>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<{ rows: Row[]; rowCount: number | null }>;

  async all<Row = SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<Row[]> {
    return (await this.query(toNumbered(sql), params)).rows as Row[];
  }

  async get<Row = SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<Row | undefined> {
    return (await this.query(toNumbered(sql), params)).rows[0] as Row | undefined;
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    return (await this.query(toNumbered(sql), params)).rowCount ?? 0;
  }

  abstract transaction<T>(work: (db: SqlExecutor) => Promise<T>): Promise<T>;
}

const listened = new WeakSet<PoolClient>();
const knownDownForMs = 5_000;
const knownDownRetryMs = 100;

export interface PostgresExecutorOptions {
  /** How long to keep trying to get a connection while the server is down or restarting (milliseconds). */
  readonly connectRetryMs: number;
}

/**
 * The store's executor over a pool. Getting a connection is retried for a while (a restart takes seconds); once a
 * statement has been sent, only reads are retried, because a write's outcome is unknown if the connection drops
 * before the reply. The caller sees `StorageUnavailableError` and retries the whole operation, which the stores'
 * idempotent writes make safe.
 */
export class PostgresExecutor extends PostgresExecutorBase {
  readonly inTransaction = false;
  readonly #pool: Pool;
  readonly #options: PostgresExecutorOptions;
  /** When a caller last gave up waiting for a connection; null once one was made again. */
  #gaveUpAt: number | null = null;

  constructor(pool: Pool, where: string, options: PostgresExecutorOptions) {
    super(where);
    this.#pool = pool;
    this.#options = options;
  }

  async connect(): Promise<PoolClient> {
    // While the server is known to be down, each caller tries briefly rather than waiting out the whole retry
    // period: a burst of requests during an outage is refused in a fraction of a second, and each still probes.
    const knownDown = this.#gaveUpAt !== null && Date.now() - this.#gaveUpAt < knownDownForMs;
    const deadline = Date.now() + (knownDown ? knownDownRetryMs : this.#options.connectRetryMs);
    for (let delayMs = 50; ; delayMs = Math.min(delayMs * 2, 1000)) {
      try {
        const client = await this.#pool.connect();
        this.#gaveUpAt = null;
        if (!listened.has(client)) {
          // A connection that dies while checked out between two queries (the server restarted) reports it as an
          // 'error' event; unheard, that would crash the process. The next query on it fails, and is handled there.
          client.on("error", () => {});
          listened.add(client);
        }
        return client;
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        if (Date.now() + delayMs > deadline) {
          this.#gaveUpAt = Date.now();
          throw unavailable(error, this.where, "");
        }
        await sleep(delayMs);
      }
    }
  }

  async query<Row extends QueryResultRow = SqlRow>(sql: string, params: readonly unknown[] = []) {
    for (let attempt = 1; ; attempt++) {
      const client = await this.connect();
      try {
        const result = await (client as Queryable).query<Row>(sql, params);
        client.release();
        return result;
      } catch (error) {
        const broken = isUnavailable(error);
        client.release(broken ? (error as Error) : undefined);
        if (!broken) throw error;
        // A pooled connection can be dead without knowing it yet (the server restarted): a read simply goes again.
        if (attempt < 3 && isRead(sql)) continue;
        throw unavailable(
          error,
          this.where,
          isRead(sql) ? "" : "; the write may or may not have been applied",
        );
      }
    }
  }

  async transaction<T>(work: (db: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      try {
        await client.query("BEGIN");
      } catch (error) {
        if (isUnavailable(error)) throw unavailable(error, this.where, "");
        throw error;
      }
      const tx = new PostgresTransactionExecutor(client, this.where);
      let result: T;
      try {
        result = await work(tx);
      } catch (error) {
        if (isUnavailable(error)) {
          broken = error as Error;
          throw unavailable(error, this.where, "; the transaction was rolled back");
        }
        await client.query("ROLLBACK").catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      }
      try {
        await client.query("COMMIT");
      } catch (error) {
        if (isUnavailable(error)) {
          broken = error as Error;
          throw unavailable(error, this.where, "; the commit may or may not have been applied");
        }
        throw error;
      }
      return result;
    } finally {
      client.release(broken);
    }
  }
}

export class PostgresTransactionExecutor extends PostgresExecutorBase {
  readonly inTransaction = true;
  readonly #client: PoolClient;
  #savepoints = 0;

  constructor(client: PoolClient, where: string) {
    super(where);
    this.#client = client;
  }

  query<Row extends QueryResultRow = SqlRow>(sql: string, params: readonly unknown[] = []) {
    return (this.#client as Queryable).query<Row>(sql, params);
  }

  async transaction<T>(work: (db: SqlExecutor) => Promise<T>): Promise<T> {
    const name = `sp${++this.#savepoints}`;
    await this.#client.query(`SAVEPOINT ${name}`);
    try {
      const result = await work(this);
      await this.#client.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      if (!isUnavailable(error)) await this.#client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw error;
    }
  }
}
