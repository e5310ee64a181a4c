import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { setTimeout as sleep } from "node:timers/promises";
import { migrationChecksum, pendingMigrations, type AppliedMigration } from "../migrations/migrations.ts";
import { StorageUnusableError } from "../storage-errors.ts";
import type { Store } from "../store.ts";
import { sqlStore } from "../sql/sql-store.ts";
import { isSqliteBusy, mapSqliteError, SqliteExecutor } from "./sqlite-executor.ts";
import { sqliteListings } from "./sqlite-listings.ts";
import { walCheckpointer, WalCheckpointer } from "./wal-checkpointer.ts";

/** "WTRW" in the file header: how wildtrawl tells its own database files from other SQLite files. */
export const wildtrawlApplicationId = 0x57545257;

export interface SqliteStoreOptions {
  /** How long a writer waits for another process's write lock before giving up (milliseconds). */
  readonly busyTimeoutMs?: number;
  readonly clock?: () => Date;
}

/**
 * Opens (creating if needed) a wildtrawl database file: WAL so readers never wait for the writer, a busy timeout so
 * processes sharing the file take turns, synchronous=FULL so a committed write survives a power cut, and the
 * schema migrated under BEGIN IMMEDIATE so two processes starting together cannot both migrate.
 */
export async function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Promise<Store> {
  const clock = options.clock ?? (() => new Date());
  const where = file === ":memory:" ? "the in-memory database" : path.resolve(file);
  if (file !== ":memory:") checkPath(where);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file);
  } catch (error) {
    throw new StorageUnusableError(
      "database_cannot_open",
      `cannot open ${where}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
  try {
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    await retryWhileBusy(busyTimeoutMs, () => {
      prepare(db, where);
      migrate(db, where, clock);
    });
  } catch (error) {
    db.close();
    throw mapSqliteError(error, where);
  }
  db.function("wt_now_ms", { deterministic: false }, () => clock().getTime());
  const inMemory = file === ":memory:";
  if (!inMemory) {
    db.exec(`PRAGMA wal_autocheckpoint = ${WalCheckpointer.backstopPages}`);
    walCheckpointer.use(where);
  }
  const executor = new SqliteExecutor(db, where, inMemory, () => {
    if (!inMemory) walCheckpointer.written(where);
  });
  return sqlStore(
    executor,
    {
      clock,
      // BEGIN IMMEDIATE already holds the only write lock: appends cannot interleave.
      lock: async () => {},
      listings: sqliteListings,
      jobs: { now: "wt_now_ms()", plusMs: (param) => `(wt_now_ms() + ${param})`, claimLocking: "" },
    },
    async () => {
      if (!inMemory) await walCheckpointer.release(where);
      await executor.exclusive(() => {
        // Lets SQLite refresh the statistics its planner uses, as its documentation advises before closing.
        db.exec("PRAGMA optimize");
        db.close();
      });
    },
  );
}

/**
 * Switching a new file to WAL takes an exclusive lock without consulting the busy handler, so a process that opens
 * the file while another is converting it gets SQLITE_BUSY at once; it waits here instead, up to the same timeout.
 */
async function retryWhileBusy(timeoutMs: number, setUp: () => void) {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      setUp();
      return;
    } catch (error) {
      if (!isSqliteBusy(error) || Date.now() >= deadline) throw error;
      await sleep(Math.min(10 * attempt, 100));
    }
  }
}

function checkPath(file: string) {
  const directory = path.dirname(file);
  if (!existsSync(directory)) {
    throw new StorageUnusableError(
      "database_path_invalid",
      `cannot create ${file}: the folder ${directory} does not exist`,
    );
  }
  if (existsSync(file) && !statSync(file).isFile()) {
    throw new StorageUnusableError("database_path_invalid", `${file} is not a file`);
  }
}

function prepare(db: DatabaseSync, where: string) {
  // The first read of the header: a file that is not SQLite fails here, with SQLITE_NOTADB.
  const applicationId = (db.prepare("PRAGMA application_id").get() as { application_id: number })
    .application_id;
  if (applicationId !== 0 && applicationId !== wildtrawlApplicationId) {
    throw new StorageUnusableError(
      "database_foreign",
      `${where} is a SQLite database of another application (application_id ${applicationId})`,
    );
  }
  const mode = (db.prepare("PRAGMA journal_mode = WAL").get() as { journal_mode: string }).journal_mode;
  if (mode !== "wal" && mode !== "memory") {
    throw new StorageUnusableError(
      "database_wal_unavailable",
      `${where}: cannot use write-ahead logging (got ${mode})`,
    );
  }
  db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536");
}

function migrate(db: DatabaseSync, where: string, clock: () => Date) {
  db.exec("BEGIN IMMEDIATE");
  try {
    const applicationId = (db.prepare("PRAGMA application_id").get() as { application_id: number })
      .application_id;
    if (applicationId === 0) {
      const tables = db
        .prepare(
          "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .all() as { name: string }[];
      if (tables.length > 0) {
        throw new StorageUnusableError(
          "database_foreign",
          `${where} is a SQLite database but not a wildtrawl one (it has tables ${tables
            .slice(0, 5)
            .map((t) => t.name)
            .join(", ")})`,
        );
      }
      db.exec(`PRAGMA application_id = ${wildtrawlApplicationId}`);
    }
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
    const applied = db
      .prepare("SELECT version, checksum FROM schema_migrations ORDER BY version")
      .all() as unknown as AppliedMigration[];
    for (const migration of pendingMigrations(applied, "sqlite", where)) {
      db.exec(migration.sqlite);
      db.prepare(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
      ).run(migration.version, migration.name, migrationChecksum(migration, "sqlite"), clock().getTime());
    }
    db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
