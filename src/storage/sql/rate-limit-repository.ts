import { createHash } from "node:crypto";
import type { RateLimitCount, RateLimitHits, RateLimitRepository } from "../store.ts";
import { toDate, toNumber, toText } from "./rows.ts";
import type { SqlExecutor, SqlParam } from "./sql-executor.ts";

function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** Keys per statement: far below both databases' parameter limits (3 parameters a key). */
const keysPerStatement = 500;

export class SqlRateLimitRepository implements RateLimitRepository {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async add(entries: readonly RateLimitHits[]): Promise<RateLimitCount[]> {
    if (entries.length === 0) return [];
    // One row per key in a statement (PostgreSQL refuses to update a row twice in one upsert): a key's entries are
    // summed in its newest window, as the statement itself would.
    const byHash = new Map<string, { windowStartedAt: Date; hits: number }>();
    for (const entry of entries) {
      const hash = hashKey(entry.key);
      const seen = byHash.get(hash);
      const at = entry.windowStartedAt.getTime();
      if (seen === undefined || seen.windowStartedAt.getTime() < at)
        byHash.set(hash, { windowStartedAt: entry.windowStartedAt, hits: entry.hits });
      else if (seen.windowStartedAt.getTime() === at) seen.hits += entry.hits;
    }
    // PostgreSQL locks the rows in the order of VALUES: one order for every process, so two never deadlock.
    const hashes = [...byHash.keys()].sort();
    const totals = new Map<string, { windowStartedAt: Date; hits: number }>();
    for (let start = 0; start < hashes.length; start += keysPerStatement) {
      const chunk = hashes.slice(start, start + keysPerStatement);
      // One statement: the window check and the addition cannot be split by another process's flush.
      const rows = await this.#db.all(
        `INSERT INTO rate_limits (key_hash, window_started_at, hits)
         VALUES ${chunk.map(() => "(?, ?, ?)").join(", ")}
         ON CONFLICT (key_hash) DO UPDATE SET
           hits = CASE WHEN rate_limits.window_started_at < excluded.window_started_at THEN excluded.hits
                       WHEN rate_limits.window_started_at = excluded.window_started_at
                         THEN rate_limits.hits + excluded.hits
                       ELSE rate_limits.hits END,
           window_started_at = CASE WHEN rate_limits.window_started_at < excluded.window_started_at
                                    THEN excluded.window_started_at
                                    ELSE rate_limits.window_started_at END
         RETURNING key_hash, window_started_at, hits`,
        chunk.flatMap((hash): SqlParam[] => {
          const entry = byHash.get(hash)!;
          return [hash, entry.windowStartedAt, entry.hits];
        }),
      );
      for (const row of rows)
        totals.set(toText(row.key_hash), {
          windowStartedAt: toDate(row.window_started_at),
          hits: toNumber(row.hits),
        });
    }
    return entries.map((entry) => ({ key: entry.key, ...totals.get(hashKey(entry.key))! }));
  }

  async prune(before: Date, limit: number): Promise<number> {
    // PostgreSQL: skip rows another process holds (one adding to a new window), so pruning never waits or deadlocks.
    // The outer condition is checked again on the row as it is when deleted, so a window just restarted survives.
    const skipLocked = this.#db.dialect === "postgres" ? "FOR UPDATE SKIP LOCKED" : "";
    return this.#db.run(
      `DELETE FROM rate_limits WHERE window_started_at < ? AND key_hash IN (
         SELECT key_hash FROM rate_limits WHERE window_started_at < ?
         LIMIT ${Math.max(1, Math.floor(limit))} ${skipLocked})`,
      [before, before],
    );
  }
}
