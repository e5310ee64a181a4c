import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { seedOrganisation } from "../api/testing/api-fixture.ts";
import { openStore } from "../storage/open-store.ts";
import type { Store } from "../storage/store.ts";
import type { ContractDatabase } from "../storage/store.contract.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { openStoreThread, type StoreThread } from "./store-thread.ts";

describe("the store thread: request-path writes over a connection of its own", () => {
  let database: ContractDatabase;
  let store: Store;
  let thread: StoreThread;

  before(async () => {
    database = await newSqliteDatabase();
    store = await openStore(database.url);
    thread = await openStoreThread(database.url);
  });
  after(async () => {
    await thread.close();
    await store.close();
    await database.drop();
  });

  it("authenticates a key until it is revoked through another connection", async () => {
    const { keys } = await seedOrganisation(store, "thread", ["platform_officer"]);
    const key = await thread.authenticateKey(keys.platform_officer!);
    assert.equal(key?.name, "platform_officer");
    assert.ok(key?.lastUsedAt instanceof Date, "dates cross the thread as dates");
    await store.apiKeys.revoke(key.id, "system:test");
    assert.equal(await thread.authenticateKey(keys.platform_officer!), null);
    assert.equal(await thread.authenticateKey("wt_not_a_key_of_anyone_here"), null);
  });

  it("adds rate-limit counts to the same rows as every other process", async () => {
    const windowStartedAt = new Date("2026-05-01T12:00:00.000Z");
    const [mine] = await thread.rateLimits.add([{ key: "key:1", windowStartedAt, hits: 3 }]);
    assert.equal(mine?.hits, 3);
    const [theirs] = await store.rateLimits.add([{ key: "key:1", windowStartedAt, hits: 2 }]);
    assert.equal(theirs?.hits, 5);
    assert.equal(await thread.rateLimits.prune(new Date("2026-05-01T12:01:00.000Z"), 10), 1);
  });
});
