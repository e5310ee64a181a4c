import type { Migration } from "./migrations.ts";

/**
 * Per-key API rate limits shared by every API process (RELIABILITY H7, issue 7): requests per rate-limit key (an
 * API key, a signed-in person or an address) in fixed windows, kept in the database so that N `serve` processes
 * give N times nothing. Each process counts locally and adds its counts here every few hundred milliseconds
 * (services/shared-rate-limits.ts), so this is a handful of writes a second, not one per request. One row per key,
 * replaced when a newer window starts; the key is stored as its SHA-256 only. Rows of ended windows are deleted in
 * small batches once per window (rate-limit-repository.ts); the index on `window_started_at` keeps that cheap.
 */

const sqlite = /* sql */ `
CREATE TABLE rate_limits (
  key_hash TEXT PRIMARY KEY,
  window_started_at INTEGER NOT NULL,
  hits INTEGER NOT NULL CHECK (hits >= 0)
) STRICT, WITHOUT ROWID;
CREATE INDEX rate_limits_window ON rate_limits (window_started_at);
`;

const postgres = /* sql */ `
CREATE TABLE rate_limits (
  key_hash text PRIMARY KEY,
  window_started_at timestamptz NOT NULL,
  hits bigint NOT NULL CHECK (hits >= 0)
);
CREATE INDEX rate_limits_window ON rate_limits (window_started_at);
`;

export const rateLimits: Migration = { version: 11, name: "rate-limits", sqlite, postgres };
