import { UsageError } from "../core/errors.ts";
import { openPostgresStore } from "./postgres/postgres-store.ts";
import { openSqliteStore } from "./sqlite/sqlite-store.ts";
import type { Store } from "./store.ts";

export const defaultDatabaseUrl = "./wildtrawl.db";

export interface OpenStoreOptions {
  /** The clock for record timestamps; tests pass a fixed one. */
  readonly clock?: () => Date;
  /** PostgreSQL: how long to keep trying to connect while the server is down or restarting (default 5 s). */
  readonly connectRetryMs?: number;
  /** PostgreSQL: connections per process (default 10). */
  readonly poolSize?: number;
  /** SQLite: how long to wait for another process's write lock (default 5 s). */
  readonly busyTimeoutMs?: number;
}

export type DatabaseTarget =
  { readonly kind: "sqlite"; readonly file: string } | { readonly kind: "postgres"; readonly url: string };

/**
 * Which database a URL names: a file path or `sqlite:PATH` (also `sqlite://PATH`, `sqlite::memory:`) for SQLite;
 * `postgres://` or `postgresql://` for PostgreSQL. Anything else that looks like a URL is refused by name.
 */
export function parseDatabaseUrl(databaseUrl: string): DatabaseTarget {
  const url = databaseUrl.trim() || defaultDatabaseUrl;
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: "postgres", url };
  if (/^sqlite:/i.test(url)) {
    const file = url.slice("sqlite:".length).replace(/^\/\//, "");
    if (file === "")
      throw new UsageError("database_url_invalid", `"${url}": sqlite: needs a file path after it`);
    return { kind: "sqlite", file };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1];
  if (scheme !== undefined) {
    throw new UsageError(
      "database_url_invalid",
      `unsupported database URL scheme "${scheme}:": use a file path, a sqlite: URL or a postgres:// URL`,
    );
  }
  return { kind: "sqlite", file: url };
}

/**
 * Opens the store a URL names, creating and migrating its schema if needed. The only place that knows the
 * concrete databases: everything else holds a `Store`.
 */
export async function openStore(
  databaseUrl: string = defaultDatabaseUrl,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.kind === "postgres") {
    return openPostgresStore(target.url, {
      clock: options.clock,
      connectRetryMs: options.connectRetryMs,
      poolSize: options.poolSize,
    });
  }
  return openSqliteStore(target.file, { clock: options.clock, busyTimeoutMs: options.busyTimeoutMs });
}
