import type { Migration } from "./migrations.ts";

/**
 * Login throttling shared by every API process (RELIABILITY A7, issue 7): failed sign-ins counted per throttle key
 * in fixed windows, in the database rather than in each process's memory, so that N processes behind a load
 * balancer do not give an attacker N times the attempts. The key (an email and client address, or an address) is
 * kept as its SHA-256 only: this is security data, not a list of who tried to sign in from where. Rows of ended
 * windows are deleted in small batches whenever a new window starts (login-failure-repository.ts); the index on
 * `window_started_at` keeps that cheap.
 */

const sqlite = /* sql */ `
CREATE TABLE login_failures (
  key_hash TEXT PRIMARY KEY,
  window_started_at INTEGER NOT NULL,
  failures INTEGER NOT NULL CHECK (failures >= 0)
) STRICT, WITHOUT ROWID;
CREATE INDEX login_failures_window ON login_failures (window_started_at);
`;

const postgres = /* sql */ `
CREATE TABLE login_failures (
  key_hash text PRIMARY KEY,
  window_started_at timestamptz NOT NULL,
  failures integer NOT NULL CHECK (failures >= 0)
);
CREATE INDEX login_failures_window ON login_failures (window_started_at);
`;

export const loginFailures: Migration = { version: 9, name: "login-failures", sqlite, postgres };
