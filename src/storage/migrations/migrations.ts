import { createHash } from "node:crypto";
import { StorageUnusableError } from "../storage-errors.ts";
import { initial } from "./0001-initial.ts";
import { sessions } from "./0002-sessions.ts";
import { reviewQueue } from "./0003-review-queue.ts";
import { platforms } from "./0004-platforms.ts";
import { relistings } from "./0005-relistings.ts";
import { statistics } from "./0006-statistics.ts";
import { cases } from "./0007-cases.ts";
import { refusedChanges } from "./0008-refused-changes.ts";
import { loginFailures } from "./0009-login-failures.ts";
import { sharing } from "./0010-sharing.ts";
import { rateLimits } from "./0011-rate-limits.ts";
import { sqliteReviewOrder } from "./0012-sqlite-review-order.ts";
import { shareWithdrawal } from "./0013-share-withdrawal.ts";

/**
 * One schema change, written for both databases side by side so they cannot drift apart. Rules (docs/storage.md):
 * a migration is never edited once released (its checksum is recorded and checked at every open); a change is a
 * new migration with the next version; each runs in one transaction with its bookkeeping row.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sqlite: string;
  readonly postgres: string;
}

export const migrations: readonly Migration[] = [
  initial,
  sessions,
  reviewQueue,
  platforms,
  relistings,
  statistics,
  cases,
  refusedChanges,
  loginFailures,
  sharing,
  rateLimits,
  sqliteReviewOrder,
  shareWithdrawal,
];

export function migrationChecksum(migration: Migration, dialect: "sqlite" | "postgres"): string {
  return createHash("sha256").update(migration[dialect]).digest("hex");
}

export interface AppliedMigration {
  readonly version: number;
  readonly checksum: string;
}

/**
 * Which migrations still have to run. Refuses a database migrated by a newer wildtrawl (it would not understand the
 * data) and one whose applied migrations were edited afterwards (the schema is not what the code expects).
 */
export function pendingMigrations(
  applied: readonly AppliedMigration[],
  dialect: "sqlite" | "postgres",
  where: string,
): Migration[] {
  const known = new Map(migrations.map((m) => [m.version, m]));
  for (const row of applied) {
    const migration = known.get(row.version);
    if (migration === undefined) {
      throw new StorageUnusableError(
        "database_too_new",
        `${where} was migrated by a newer wildtrawl (schema version ${row.version}); upgrade wildtrawl to open it`,
      );
    }
    if (migrationChecksum(migration, dialect) !== row.checksum) {
      throw new StorageUnusableError(
        "migration_modified",
        `${where}: migration ${row.version} (${migration.name}) differs from the one applied to this database`,
      );
    }
  }
  const done = new Set(applied.map((row) => row.version));
  return migrations.filter((m) => !done.has(m.version));
}
