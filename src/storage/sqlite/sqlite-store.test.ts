import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { migrations } from "../migrations/migrations.ts";
import { openStore } from "../open-store.ts";
import { storeContract } from "../store.contract.ts";
import { newSqliteDatabase } from "../testing/test-databases.ts";
import { StorageUnusableError } from "../storage-errors.ts";
import { openInProcesses } from "../testing/open-in-processes.ts";
import { WalCheckpointer } from "./wal-checkpointer.ts";

const root = mkdtempSync(path.join(tmpdir(), "wildtrawl-sqlite-"));
after(() => rmSync(root, { recursive: true, force: true }));

describe("SQLite store", () => {
  storeContract(newSqliteDatabase);

  describe("SQLite specifics", () => {
    it("names a file that is not a database, another application's database, and a missing folder", async () => {
      const garbage = path.join(root, "garbage.db");
      writeFileSync(garbage, Buffer.alloc(8192, 0x42));
      await assert.rejects(
        openStore(garbage),
        (e: unknown) =>
          e instanceof StorageUnusableError &&
          e.code === "database_not_sqlite" &&
          e.message.includes(garbage),
      );

      const foreign = path.join(root, "foreign.db");
      const db = new DatabaseSync(foreign);
      db.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
      db.close();
      await assert.rejects(
        openStore(`sqlite:${foreign}`),
        (e: unknown) =>
          e instanceof StorageUnusableError && e.code === "database_foreign" && /customers/.test(e.message),
      );

      await assert.rejects(
        openStore(path.join(root, "no-such-folder", "x.db")),
        (e: unknown) => (e as { code?: string }).code === "database_path_invalid",
      );
    });

    it("refuses a database whose applied migration was edited afterwards", async () => {
      const database = await newSqliteDatabase();
      await (await openStore(database.url)).close();
      await database.exec("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
      await assert.rejects(
        openStore(database.url),
        (e: unknown) => (e as { code?: string }).code === "migration_modified",
      );
      await database.drop();
    });

    it("uses WAL and tells a transaction's author when they used the outer store inside it", async () => {
      const database = await newSqliteDatabase();
      const store = await openStore(`sqlite://${database.url}`);
      assert.equal(
        (new DatabaseSync(database.url).prepare("PRAGMA journal_mode").get() as { journal_mode: string })
          .journal_mode,
        "wal",
      );
      await assert.rejects(
        store.transaction(async () => {
          await store.organisations.list();
        }),
        /inside its own transaction/,
      );
      assert.deepEqual(await store.organisations.list(), [], "the store still works afterwards");
      await store.close();
      await database.drop();
    });

    it("keeps API key secrets out of the file", async () => {
      const database = await newSqliteDatabase();
      const store = await openStore(database.url);
      const org = await store.organisations.create({ slug: "o", name: "O" }, "system:test");
      const { secret } = await store.apiKeys.create(
        { organisationId: org.id, name: "k", scopes: [] },
        "system:test",
      );
      await store.close();
      const bytes = readFileSync(database.url).toString("latin1");
      assert.ok(bytes.includes(secret.slice(0, 10)), "the prefix is kept to tell keys apart");
      assert.ok(!bytes.includes(secret.slice(10)));
      await database.drop();
    });

    it("copies committed writes into the file on its own thread, and leaves no WAL behind when closed", async () => {
      const database = await newSqliteDatabase();
      const store = await openStore(database.url);
      const org = await store.organisations.create({ slug: "o", name: "O" }, "system:test");
      const source = await store.sources.upsert({ organisationId: org.id, slug: "s", name: "S" });
      const sizeBefore = statSync(database.url).size;
      await store.listings.ingest(
        Array.from({ length: 2000 }, (_, i) => ({
          sourceId: source.id,
          listingKey: `k${i}`,
          observedAt: new Date(0),
          url: `https://market.example/${i}`,
          title: `Carved bangle ${i}`,
          text: `Old carved bangle number ${i}, ship worldwide, message for price`.repeat(4),
        })),
      );
      // About 4 MB of WAL, far below the writer's own checkpoint (40 MB): only the checkpointer moves it.
      const walPages = statSync(`${database.url}-wal`).size / 4096;
      assert.ok(walPages > 100 && walPages < WalCheckpointer.backstopPages, `${walPages} WAL pages`);
      let size = statSync(database.url).size;
      for (let waited = 0; size < sizeBefore + 1_000_000 && waited < 10_000; waited += 20) {
        await sleep(20);
        size = statSync(database.url).size;
      }
      assert.ok(size >= sizeBefore + 1_000_000, `the file grew from ${sizeBefore} to ${size} bytes`);
      await store.close();
      assert.equal(existsSync(`${database.url}-wal`), false, "the last connection closed was the store's");
      const reopened = await openStore(database.url);
      assert.equal((await reopened.listings.search({ query: "bangle", limit: 5 })).items.length, 5);
      await reopened.close();
      await database.drop();
    });

    it("migrates once when several processes open a new file at the same moment", async () => {
      const database = await newSqliteDatabase();
      const results = await openInProcesses(database.url, 8);
      assert.deepEqual(
        results.map((r) => [r.code, r.stderr]),
        results.map(() => [0, ""]),
      );
      assert.equal((await database.rows("schema_migrations")).length, migrations.length);
      await database.drop();
    });
  });
});
