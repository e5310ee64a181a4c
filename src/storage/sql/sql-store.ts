import type { Store, StoreRepositories } from "../store.ts";
import type { SqlExecutor } from "./sql-executor.ts";
import { sqlRepositories, type SqlDialectParts } from "./sql-repositories.ts";

/** A Store over an executor: the repositories bound to it, transactions that rebind them, and a way to close. */
export function sqlStore(db: SqlExecutor, parts: SqlDialectParts, close: () => Promise<void>): Store {
  const repositories: StoreRepositories = sqlRepositories(db, parts);
  let closed: Promise<void> | null = null;
  return {
    ...repositories,
    dialect: db.dialect,
    transaction: (work) => db.transaction((tx) => work(sqlRepositories(tx, parts))),
    close: () => (closed ??= close()),
  };
}
