import type { NewAuditEntry } from "../records.ts";
import { SqlAuditRepository } from "./audit-repository.ts";
import type { ChainLock } from "./chained-log.ts";
import type { SqlExecutor } from "./sql-executor.ts";

/** What every shared repository needs besides its executor. */
export interface SqlContext {
  readonly lock: ChainLock;
  /** The clock for record timestamps (jobs on PostgreSQL use the database's clock instead: see postgres-job-queue). */
  readonly clock: () => Date;
}

/** Appends to the audit log inside `tx`, so the entry commits with the write it describes. */
export function auditIn(tx: SqlExecutor, context: SqlContext, entry: NewAuditEntry) {
  return new SqlAuditRepository(tx, context.lock, context.clock).append(entry);
}
