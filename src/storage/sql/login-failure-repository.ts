import { createHash } from "node:crypto";
import type { LoginFailureCount } from "../records.ts";
import type { LoginFailureRepository } from "../store.ts";
import { toDate, toNumber, toText } from "./rows.ts";
import type { SqlExecutor, SqlParam } from "./sql-executor.ts";

/** Ended windows deleted at most per new window: enough to outpace the rows new windows add, never a long lock. */
export const loginFailurePruneBatch = 100;

function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export class SqlLoginFailureRepository implements LoginFailureRepository {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  async count(keys: readonly string[], at: Date, windowMs: number): Promise<LoginFailureCount[]> {
    if (keys.length === 0) return [];
    // PostgreSQL locks the rows in the order of VALUES: one order for every process, so two never deadlock.
    const hashes = [...new Set(keys.map(hashKey))].sort();
    const endedBy = new Date(at.getTime() - windowMs);
    // One statement, so the window check and the increment cannot be split by another process's failure.
    const rows = await this.#db.all(
      `INSERT INTO login_failures (key_hash, window_started_at, failures)
       VALUES ${hashes.map(() => "(?, ?, 1)").join(", ")}
       ON CONFLICT (key_hash) DO UPDATE SET
         failures = CASE WHEN login_failures.window_started_at <= ? THEN 1
                         ELSE login_failures.failures + 1 END,
         window_started_at = CASE WHEN login_failures.window_started_at <= ? THEN excluded.window_started_at
                                  ELSE login_failures.window_started_at END
       RETURNING key_hash, window_started_at, failures`,
      [...hashes.flatMap((hash): SqlParam[] => [hash, at]), endedBy, endedBy],
    );
    const counts = new Map(
      rows.map((row) => [
        toText(row.key_hash),
        { failures: toNumber(row.failures), windowStartedAt: toDate(row.window_started_at) },
      ]),
    );
    // Only a new window can add a row, so pruning then keeps the table to the windows still running.
    if ([...counts.values()].some((count) => count.failures === 1)) await this.#pruneEndedBy(endedBy);
    return keys.map((key) => ({ key, ...counts.get(hashKey(key))! }));
  }

  async forgive(keys: readonly string[]): Promise<void> {
    // One row a statement: holding one lock at a time, it cannot deadlock with `count`.
    for (const key of new Set(keys))
      await this.#db.run(
        "UPDATE login_failures SET failures = failures - 1 WHERE key_hash = ? AND failures > 0",
        [hashKey(key)],
      );
  }

  async clear(key: string): Promise<void> {
    await this.#db.run("DELETE FROM login_failures WHERE key_hash = ?", [hashKey(key)]);
  }

  async #pruneEndedBy(endedBy: Date): Promise<void> {
    // PostgreSQL: skip rows another process holds (one restarting its window), so pruning never waits or deadlocks.
    // The outer condition is checked again on the row as it is when deleted, so a restarted window survives.
    const skipLocked = this.#db.dialect === "postgres" ? "FOR UPDATE SKIP LOCKED" : "";
    await this.#db.run(
      `DELETE FROM login_failures WHERE window_started_at <= ? AND key_hash IN (
         SELECT key_hash FROM login_failures WHERE window_started_at <= ?
         LIMIT ${loginFailurePruneBatch} ${skipLocked})`,
      [endedBy, endedBy],
    );
  }
}
