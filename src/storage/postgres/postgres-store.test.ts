import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { migrations } from "../migrations/migrations.ts";
import { openStore } from "../open-store.ts";
import { storeContract } from "../store.contract.ts";
import { StorageUnavailableError, StorageUnusableError } from "../storage-errors.ts";
import { openInProcesses } from "../testing/open-in-processes.ts";
import { newPostgresDatabase, postgresSkipReason, testPostgresUrl } from "../testing/test-databases.ts";
import { parsePostgresUrl } from "./postgres-store.ts";

const skip = postgresSkipReason();

describe("PostgreSQL store", { skip }, () => {
  storeContract(() => newPostgresDatabase());

  describe("PostgreSQL specifics", () => {
    it("migrates once when several processes open a new schema at the same moment", async () => {
      const database = await newPostgresDatabase();
      const results = await openInProcesses(database.url, 4);
      assert.deepEqual(
        results.map((r) => [r.code, r.stderr]),
        results.map(() => [0, ""]),
      );
      assert.equal((await database.rows("schema_migrations")).length, migrations.length);
      await database.drop();
    });

    it("says so quickly when no server answers", async () => {
      // A port that was free a moment ago: nothing listens there.
      const port = await new Promise<number>((resolve) => {
        const server = createServer().listen(0, "127.0.0.1", () => {
          const { port } = server.address() as { port: number };
          server.close(() => resolve(port));
        });
      });
      await assert.rejects(
        openStore(`postgres://postgres:secret@127.0.0.1:${port}/test`, { connectRetryMs: 200 }),
        (e: unknown) =>
          e instanceof StorageUnavailableError &&
          e.message.includes(`127.0.0.1:${port}/test`) &&
          !e.message.includes("secret"),
      );
    });

    it("names a database that does not exist, and tables that are not its own", async () => {
      const missing = new URL(testPostgresUrl!);
      missing.pathname = "/wildtrawl_no_such_database";
      await assert.rejects(
        openStore(missing.toString()),
        (e: unknown) => e instanceof StorageUnusableError && e.code === "database_missing",
      );

      const database = await newPostgresDatabase();
      const { schema } = parsePostgresUrl(database.url);
      await database.exec(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.users (id int)`);
      await assert.rejects(
        openStore(database.url),
        (e: unknown) => e instanceof StorageUnusableError && e.code === "database_foreign",
      );
      await database.drop();
    });

    it("reads schema names from the URL and refuses unsafe ones", () => {
      assert.equal(
        parsePostgresUrl("postgres://u:p@db.example:6543/wt?schema=wildtrawl").where,
        "db.example:6543/wt",
      );
      assert.equal(parsePostgresUrl("postgresql://localhost/wt").schema, "public");
      assert.throws(() => parsePostgresUrl("postgres://localhost/wt?schema=x;drop"), /schema/);
    });
  });
});
