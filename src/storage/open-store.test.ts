import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../core/errors.ts";
import { parseDatabaseUrl } from "./open-store.ts";

describe("database URLs", () => {
  it("reads file paths and sqlite: URLs as SQLite, postgres URLs as PostgreSQL", () => {
    assert.deepEqual(parseDatabaseUrl(""), { kind: "sqlite", file: "./wildtrawl.db" });
    assert.deepEqual(parseDatabaseUrl("data/wt.db"), { kind: "sqlite", file: "data/wt.db" });
    assert.deepEqual(parseDatabaseUrl("sqlite:data/wt.db"), { kind: "sqlite", file: "data/wt.db" });
    assert.deepEqual(parseDatabaseUrl("sqlite:///var/lib/wt.db"), { kind: "sqlite", file: "/var/lib/wt.db" });
    assert.deepEqual(parseDatabaseUrl("sqlite::memory:"), { kind: "sqlite", file: ":memory:" });
    assert.deepEqual(parseDatabaseUrl("postgres://u@h/db"), { kind: "postgres", url: "postgres://u@h/db" });
    assert.deepEqual(parseDatabaseUrl("postgresql://u@h/db"), {
      kind: "postgres",
      url: "postgresql://u@h/db",
    });
  });

  it("names what is wrong with anything else", () => {
    assert.throws(
      () => parseDatabaseUrl("mysql://h/db"),
      (e: unknown) => e instanceof UsageError && /"mysql:"/.test(e.message),
    );
    assert.throws(
      () => parseDatabaseUrl("sqlite:"),
      (e: unknown) => e instanceof UsageError && e.code === "database_url_invalid",
    );
  });
});
