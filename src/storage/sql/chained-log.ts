import type { JsonValue } from "../records.ts";
import { chainHash, genesisHash } from "../hash-chain.ts";
import type { SqlExecutor } from "./sql-executor.ts";

/** The two hash-chained, append-only logs. */
export type ChainName = "audit_log" | "custody_log";

/**
 * Serialises appends to one chain until the transaction ends, so two writers never link to the same head. SQLite
 * needs nothing (its transactions take the write lock at BEGIN IMMEDIATE); PostgreSQL takes an advisory lock.
 */
export type ChainLock = (db: SqlExecutor, chain: ChainName) => Promise<void>;

/**
 * Appends one entry to a chain: locks it, reads the head, hashes, inserts. Always inside a transaction (its own, or
 * a savepoint in the caller's), because the lock lasts only as long as the transaction.
 */
export async function appendChained<Row>(
  db: SqlExecutor,
  lock: ChainLock,
  chain: ChainName,
  fields: Record<string, JsonValue | Date>,
  insert: (db: SqlExecutor, hashes: { prevHash: string; entryHash: string }) => Promise<Row>,
): Promise<Row> {
  return db.transaction(async (tx) => {
    await lock(tx, chain);
    const head = await tx.get<{ entry_hash: string }>(
      `SELECT entry_hash FROM ${chain} ORDER BY id DESC LIMIT 1`,
    );
    const prevHash = head?.entry_hash ?? genesisHash;
    return insert(tx, { prevHash, entryHash: chainHash(prevHash, fields) });
  });
}
