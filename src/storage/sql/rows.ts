import type { JsonObject, JsonValue } from "../records.ts";

/**
 * Readers for row values. SQLite hands back timestamps as integer milliseconds and booleans as 0/1; PostgreSQL as
 * Date and boolean. These accept both, so the mappers are shared.
 */
export function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === "number" || typeof value === "string") return new Date(value);
  throw new TypeError(`expected a timestamp, got ${typeof value}`);
}

export function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

export function toBool(value: unknown): boolean {
  return value === true || value === 1;
}

export function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" || typeof value === "bigint") return Number(value);
  throw new TypeError(`expected a number, got ${typeof value}`);
}

export function toNumberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}

export function toText(value: unknown): string {
  if (typeof value === "string") return value;
  throw new TypeError(`expected text, got ${typeof value}`);
}

export function toTextOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : toText(value);
}

/** JSON columns come back as text from both databases (see postgres-store.ts). */
export function toJson(value: unknown): JsonValue {
  if (typeof value === "string") return JSON.parse(value) as JsonValue;
  if (value === null || value === undefined) return null;
  throw new TypeError(`expected JSON text, got ${typeof value}`);
}

export function toJsonObject(value: unknown): JsonObject {
  const parsed = toJson(value);
  return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : {};
}

/** JSON for a parameter: text on both databases (PostgreSQL casts it to jsonb from the column's type). */
export function jsonParam(value: JsonValue | readonly JsonValue[] | object): string {
  return JSON.stringify(value);
}
