import { createHash } from "node:crypto";
import type { ChainedEntry, JsonValue } from "./records.ts";

/** The `prevHash` of the first entry of a chain. */
export const genesisHash = "0".repeat(64);

/**
 * JSON with object keys sorted at every level and dates as ISO 8601 UTC: the same value always gives the same
 * bytes, whatever order a database hands keys back in (PostgreSQL's jsonb reorders them).
 */
export function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  if (typeof value === "number" && !Number.isFinite(value)) throw new TypeError(`cannot hash ${value}`);
  return JSON.stringify(value ?? null);
}

/** entryHash = SHA-256(prevHash, a newline, the canonical JSON of the entry's own fields), in hex. */
export function chainHash(prevHash: string, fields: Record<string, JsonValue | Date>): string {
  return createHash("sha256").update(prevHash).update("\n").update(canonicalJson(fields)).digest("hex");
}

export type ChainBreak = {
  readonly index: number;
  readonly id: number;
  readonly reason: "prev_hash" | "entry_hash";
};

/**
 * Checks a run of consecutive entries: each links to the one before and its hash matches its fields. `fieldsOf`
 * picks the hashed fields (see the repositories). Returns the first break, or null.
 */
export function verifyChain<Entry extends ChainedEntry>(
  entries: readonly Entry[],
  fieldsOf: (entry: Entry) => Record<string, JsonValue | Date>,
  startHash: string = genesisHash,
): ChainBreak | null {
  let expectedPrev = startHash;
  for (const [index, entry] of entries.entries()) {
    if (entry.prevHash !== expectedPrev) return { index, id: entry.id, reason: "prev_hash" };
    if (chainHash(entry.prevHash, fieldsOf(entry)) !== entry.entryHash) {
      return { index, id: entry.id, reason: "entry_hash" };
    }
    expectedPrev = entry.entryHash;
  }
  return null;
}
