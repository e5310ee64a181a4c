import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import pg from "pg";
import type { ContractDatabase } from "../store.contract.ts";

/**
 * Fresh databases for tests. PostgreSQL tests share one server (and CI runs share it too), so each test gets its
 * own schema with a random name, dropped afterwards.
 */
export const testPostgresUrl = process.env.WILDTRAWL_TEST_POSTGRES_URL?.trim() || undefined;

/** The reason to skip PostgreSQL tests, or false to run them. In CI they always run: a missing URL is a failure. */
export function postgresSkipReason(): string | false {
  if (testPostgresUrl !== undefined) return false;
  if (process.env.CI)
    throw new Error("CI must set WILDTRAWL_TEST_POSTGRES_URL: the PostgreSQL tests always run there");
  return "WILDTRAWL_TEST_POSTGRES_URL is not set: skipping the PostgreSQL tests (set it to e.g. postgres://postgres@127.0.0.1:5432/test)";
}

export async function newPostgresDatabase(baseUrl: string = testPostgresUrl!): Promise<ContractDatabase> {
  const schema = `wt_test_${randomBytes(6).toString("hex")}`;
  const url = new URL(baseUrl);
  url.searchParams.set("schema", schema);
  const base = new URL(baseUrl);
  base.searchParams.delete("schema");
  const withClient = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: base.toString(), options: `-c search_path=${schema}` });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    url: url.toString(),
    exec: (sql) => withClient(async (client) => void (await client.query(sql))),
    rows: (table) => withClient(async (client) => (await client.query(`SELECT * FROM ${table}`)).rows),
    drop: () =>
      withClient(async (client) => void (await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))),
  };
}

const sqliteRoot = mkdtempSync(path.join(tmpdir(), "wildtrawl-test-"));
process.on("exit", () => rmSync(sqliteRoot, { recursive: true, force: true }));
let sqliteCount = 0;

export async function newSqliteDatabase(): Promise<ContractDatabase> {
  const dir = path.join(sqliteRoot, `db-${++sqliteCount}`);
  mkdirSync(dir);
  const file = path.join(dir, "wildtrawl.db");
  const withConnection = <T>(work: (db: DatabaseSync) => T): T => {
    const db = new DatabaseSync(file);
    try {
      return work(db);
    } finally {
      db.close();
    }
  };
  return {
    url: file,
    exec: async (sql) => withConnection((db) => db.exec(sql)),
    rows: async (table) =>
      withConnection((db) => db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[]),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
