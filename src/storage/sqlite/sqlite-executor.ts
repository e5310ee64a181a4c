import { AsyncLocalStorage } from "node:async_hooks";
import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { StorageUnavailableError, StorageUnusableError } from "../storage-errors.ts";
import type { SqlExecutor, SqlParam, SqlRow } from "../sql/sql-executor.ts";

/** SQLite primary result codes (the low byte of an extended code) that get their own error. */
const sqliteBusy = 5;
const sqliteLocked = 6;
const sqliteCorrupt = 11;
const sqliteNotADatabase = 26;

/** True for SQLITE_BUSY and SQLITE_LOCKED: another connection holds a lock that will be released. */
export function isSqliteBusy(error: unknown): boolean {
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  return (
    typeof errcode === "number" && ((errcode & 0xff) === sqliteBusy || (errcode & 0xff) === sqliteLocked)
  );
}

/**
 * Turns SQLite's errors into ours where the caller can act on them: busy is worth retrying; a corrupt file or one
 * that is not a database is not. Everything else (constraint failures, bugs) passes through unchanged.
 */
export function mapSqliteError(error: unknown, path: string): unknown {
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  if (typeof errcode !== "number") return error;
  const message = (error as Error).message;
  switch (errcode & 0xff) {
    case sqliteBusy:
    case sqliteLocked:
      return new StorageUnavailableError(
        "database_busy",
        `${path}: the database is locked by another process (${message})`,
        {
          cause: error,
        },
      );
    case sqliteCorrupt:
      return new StorageUnusableError(
        "database_corrupt",
        `${path}: the database file is corrupt (${message})`,
        {
          cause: error,
        },
      );
    case sqliteNotADatabase:
      return new StorageUnusableError(
        "database_not_sqlite",
        `${path} is not a SQLite database (${message})`,
        {
          cause: error,
        },
      );
    default:
      return error;
  }
}

function toSqlite(param: SqlParam): SQLInputValue {
  if (param instanceof Date) return param.getTime();
  if (typeof param === "boolean") return param ? 1 : 0;
  return param;
}

/** Statements are compiled once per connection and reused: parsing SQL costs more than running most of it. */
class StatementCache {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  get(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      // Statements built for one-off IN lists would fill the cache; past a bound, start over.
      if (this.#statements.size >= 500) this.#statements.clear();
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

/**
 * One connection, used by one async caller at a time. A transaction spans awaits, and anything else run on the
 * connection meanwhile would silently join it; so every operation queues here, and a transaction holds the queue
 * until it ends.
 */
class ConnectionQueue {
  #tail: Promise<void> = Promise.resolve();

  async run<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}

/**
 * One queue per database file in this process. SQLite calls block the thread: if one store held the write lock
 * across an await while another store on the same file waited for it synchronously, neither could ever proceed.
 * Stores on the same file therefore take turns here instead, and SQLite's busy timeout only arbitrates between
 * processes.
 */
const queuesByFile = new Map<string, ConnectionQueue>();

/** Marks the async context of a running transaction, to catch the store being used from inside it. */
const insideTransaction = new AsyncLocalStorage<ConnectionQueue>();

export abstract class SqliteExecutorBase implements SqlExecutor {
  readonly dialect = "sqlite" as const;
  abstract readonly inTransaction: boolean;
  protected readonly db: DatabaseSync;
  protected readonly statements: StatementCache;
  protected readonly path: string;

  constructor(db: DatabaseSync, statements: StatementCache, path: string) {
    this.db = db;
    this.statements = statements;
    this.path = path;
  }

  protected abstract use<T>(work: () => T | Promise<T>): Promise<T>;

  all<Row = SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<Row[]> {
    return this.use(() => this.statements.get(sql).all(...params.map(toSqlite)) as Row[]);
  }

  get<Row = SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<Row | undefined> {
    return this.use(() => this.statements.get(sql).get(...params.map(toSqlite)) as Row | undefined);
  }

  run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    return this.use(() => Number(this.statements.get(sql).run(...params.map(toSqlite)).changes));
  }

  /** Synchronous access for the hot path (ingestion) that runs thousands of statements inside one transaction. */
  statement(sql: string): StatementSync {
    return this.statements.get(sql);
  }

  abstract transaction<T>(work: (db: SqlExecutor) => Promise<T>): Promise<T>;
}

export class SqliteExecutor extends SqliteExecutorBase {
  readonly inTransaction = false;
  readonly #queue: ConnectionQueue;
  readonly #afterWrite: () => void;

  /**
   * `path` is the absolute file, or a label for an in-memory database (which no other store can share).
   * `afterWrite` runs after each committed transaction and each statement outside one that changed rows.
   */
  constructor(db: DatabaseSync, path: string, inMemory = false, afterWrite: () => void = () => {}) {
    super(db, new StatementCache(db), path);
    this.#afterWrite = afterWrite;
    let queue = inMemory ? undefined : queuesByFile.get(path);
    if (queue === undefined) {
      queue = new ConnectionQueue();
      if (!inMemory) queuesByFile.set(path, queue);
    }
    this.#queue = queue;
  }

  protected use<T>(work: () => T | Promise<T>): Promise<T> {
    if (insideTransaction.getStore() === this.#queue) {
      // Waiting for the queue here would wait for ourselves for ever.
      throw new Error(
        "the store was used inside its own transaction: use the repositories passed to the callback",
      );
    }
    return this.#queue.run(async () => {
      try {
        return await work();
      } catch (error) {
        throw mapSqliteError(error, this.path);
      }
    });
  }

  override async run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    const changes = await super.run(sql, params);
    if (changes > 0) this.#afterWrite();
    return changes;
  }

  /** Runs `work` once every operation queued before it has finished (closing, for one). */
  exclusive<T>(work: () => T): Promise<T> {
    return this.use(work);
  }

  transaction<T>(work: (db: SqlExecutor) => Promise<T>): Promise<T> {
    return this.use(async () => {
      // IMMEDIATE takes the write lock now; a deferred transaction that reads first and writes later can fail with
      // SQLITE_BUSY at the write without the busy timeout ever being applied.
      this.db.exec("BEGIN IMMEDIATE");
      try {
        const tx = new SqliteTransactionExecutor(this.db, this.statements, this.path);
        const result = await insideTransaction.run(this.#queue, () => work(tx));
        this.db.exec("COMMIT");
        this.#afterWrite();
        return result;
      } catch (error) {
        if (this.db.isTransaction) this.db.exec("ROLLBACK");
        throw error;
      }
    });
  }
}

class SqliteTransactionExecutor extends SqliteExecutorBase {
  readonly inTransaction = true;
  #savepoints = 0;

  protected async use<T>(work: () => T | Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw mapSqliteError(error, this.path);
    }
  }

  async transaction<T>(work: (db: SqlExecutor) => Promise<T>): Promise<T> {
    const name = `sp${++this.#savepoints}`;
    this.db.exec(`SAVEPOINT ${name}`);
    try {
      const result = await work(this);
      this.db.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
      throw error;
    }
  }
}
