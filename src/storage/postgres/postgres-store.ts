import pg from "pg";
import { UsageError } from "../../core/errors.ts";
import { migrationChecksum, pendingMigrations, type AppliedMigration } from "../migrations/migrations.ts";
import { StorageUnavailableError, StorageUnusableError } from "../storage-errors.ts";
import type { Store } from "../store.ts";
import type { ChainName } from "../sql/chained-log.ts";
import { sqlStore } from "../sql/sql-store.ts";
import { isUnavailable, PostgresExecutor } from "./postgres-executor.ts";
import { postgresListings } from "./postgres-listings.ts";

export interface PostgresStoreOptions {
  readonly clock?: () => Date;
  /** Connections in the pool (per process). */
  readonly poolSize?: number;
  /** How long to keep trying to connect while the server is down or restarting. */
  readonly connectRetryMs?: number;
}

/** Advisory lock keys (first half; the second is the schema's hash, so schemas do not block each other). */
const lockKeys: Readonly<Record<ChainName | "migrations", number>> = {
  migrations: 0x57540001,
  audit_log: 0x57540002,
  custody_log: 0x57540003,
};

export interface PostgresTarget {
  /** The URL without the `schema` parameter, for the driver. */
  readonly connectionString: string;
  readonly schema: string;
  /** host:port/database, with no credentials: safe to show in errors and logs. */
  readonly where: string;
}

/**
 * Reads a postgres:// URL. `?schema=NAME` puts wildtrawl's tables in their own schema (created if missing), so one
 * database can hold several wildtrawl instances or test runs; without it they go in `public`.
 */
export function parsePostgresUrl(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      "database_url_invalid",
      "the PostgreSQL URL is not a valid URL (postgres://user@host:5432/db)",
    );
  }
  const schema = parsed.searchParams.get("schema") ?? "public";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new UsageError("database_url_invalid", `schema "${schema}": lower-case letters, digits and _ only`);
  }
  parsed.searchParams.delete("schema");
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "(default database)";
  return {
    connectionString: parsed.toString(),
    schema,
    where: `${parsed.hostname || "localhost"}:${parsed.port || 5432}/${database}`,
  };
}

/**
 * Whole numbers from bigint columns (ids, counts) as JS numbers: they stay far below 2^53. JSON stays text, as on
 * SQLite, so the shared row readers parse it the same way (a parsed jsonb string would be indistinguishable from
 * JSON text).
 */
const asText = (value: string) => value;
const types = {
  getTypeParser: ((oid: number, format?: string) => {
    if (format === "binary") return pg.types.getTypeParser(oid, "binary");
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value);
    if (oid === pg.types.builtins.JSONB || oid === pg.types.builtins.JSON) return asText;
    return pg.types.getTypeParser(oid, "text");
  }) as typeof pg.types.getTypeParser,
};

export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const target = parsePostgresUrl(url);
  const clock = options.clock ?? (() => new Date());
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: "wildtrawl",
    options: `-c search_path=${target.schema}`,
    types,
  });
  // An idle connection that dies (a server restart) is reported here; without a listener Node would crash. The pool
  // drops it, and the next query connects afresh.
  pool.on("error", () => {});
  const executor = new PostgresExecutor(pool, target.where, {
    connectRetryMs: options.connectRetryMs ?? 5000,
  });
  try {
    await migrate(executor, target, clock);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return sqlStore(
    executor,
    {
      clock,
      lock: async (db, chain) => {
        await db.run("SELECT pg_advisory_xact_lock(?::int, hashtext(current_schema()))", [lockKeys[chain]]);
      },
      listings: postgresListings,
      jobs: {
        now: "now()",
        plusMs: (param) => `(now() + ${param}::double precision * interval '1 millisecond')`,
        claimLocking: "FOR UPDATE SKIP LOCKED",
      },
    },
    () => pool.end(),
  );
}

/**
 * Migrates under a session advisory lock, so of several processes starting at once one migrates and the others
 * wait and then find nothing to do. Each migration commits with its bookkeeping row.
 */
async function migrate(executor: PostgresExecutor, target: PostgresTarget, clock: () => Date) {
  const where = `${target.where} (schema ${target.schema})`;
  let client: pg.PoolClient;
  try {
    client = await executor.connect();
  } catch (error) {
    throw explainOpenError(error, target);
  }
  let broken: Error | undefined;
  try {
    await client.query("SELECT pg_advisory_lock($1::int, hashtext($2))", [
      lockKeys.migrations,
      target.schema,
    ]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${target.schema}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${target.schema}.schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL)`);
      const { rows } = await client.query<AppliedMigration>(
        `SELECT version, checksum FROM ${target.schema}.schema_migrations ORDER BY version`,
      );
      for (const migration of pendingMigrations(rows, "postgres", where)) {
        await client.query("BEGIN");
        try {
          await client.query(migration.postgres);
          await client.query(
            `INSERT INTO ${target.schema}.schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)`,
            [migration.version, migration.name, migrationChecksum(migration, "postgres"), clock()],
          );
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {});
          throw error;
        }
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock($1::int, hashtext($2))", [
        lockKeys.migrations,
        target.schema,
      ]);
    }
  } catch (error) {
    if (isUnavailable(error)) broken = error as Error;
    throw explainOpenError(error, target);
  } finally {
    client.release(broken);
  }
}

/** Names what is wrong when a database cannot be opened, in terms a person setting the URL can act on. */
function explainOpenError(error: unknown, target: PostgresTarget): unknown {
  if (error instanceof StorageUnusableError || error instanceof StorageUnavailableError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = (error as Error).message;
  const where = `${target.where} (schema ${target.schema})`;
  if (isUnavailable(error)) {
    return new StorageUnavailableError(
      "database_unavailable",
      `PostgreSQL at ${target.where} is unavailable (${message})`,
      {
        cause: error,
      },
    );
  }
  switch (code) {
    case "3D000":
      return new StorageUnusableError("database_missing", `${target.where}: the database does not exist`, {
        cause: error,
      });
    case "28P01":
    case "28000":
      return new StorageUnusableError(
        "database_auth_failed",
        `${target.where}: authentication failed (${message})`,
        {
          cause: error,
        },
      );
    case "42P07":
    case "42723":
    case "42710":
      return new StorageUnusableError(
        "database_foreign",
        `${where} already holds tables wildtrawl did not create (${message}); ` +
          "give wildtrawl its own database or add ?schema=wildtrawl to the URL",
        { cause: error },
      );
    case "ENOTFOUND":
      return new StorageUnusableError("database_host_unknown", `${target.where}: no such host`, {
        cause: error,
      });
    default:
      return error;
  }
}
