import { UsageError } from "../core/errors.ts";

/**
 * Search pages are ordered by listing id, newest first. Ids only grow, so a page boundary ("ids below N") never
 * moves when listings are added: no row is skipped or shown twice. Relevance ranks would move (FTS5's bm25 and
 * PostgreSQL's ts_rank both change as the corpus grows), which is why they are not the order.
 */
export function encodeListingCursor(lastId: number): string {
  return Buffer.from(JSON.stringify({ v: 1, before: lastId })).toString("base64url");
}

export function decodeListingCursor(cursor: string): number {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (typeof decoded === "object" && decoded !== null && "v" in decoded && "before" in decoded) {
      const before = decoded.before;
      if (decoded.v === 1 && Number.isSafeInteger(before) && (before as number) > 0) return before as number;
    }
  } catch {
    // Falls through to the error below: a cursor is opaque, so any damage gets the same answer.
  }
  throw new UsageError("cursor_invalid", "the cursor is not one this search returned");
}
