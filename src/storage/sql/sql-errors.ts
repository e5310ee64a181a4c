/**
 * A write lost a race with another writer and may simply be tried again: a unique key that appeared meanwhile, a
 * deadlock, or a serialization failure (PostgreSQL only; SQLite serialises writers at BEGIN IMMEDIATE).
 */
export function isRaceLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "40P01" || code === "40001";
}
