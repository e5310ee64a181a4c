import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { seedOrganisation } from "../api/testing/api-fixture.ts";
import { openStore } from "../storage/open-store.ts";
import type { Store } from "../storage/store.ts";
import type { ContractDatabase } from "../storage/store.contract.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { createAccessService } from "./access.ts";

let database: ContractDatabase;
let store: Store;
before(async () => {
  database = await newSqliteDatabase();
  store = await openStore(database.url);
});
after(async () => {
  await store.close();
  await database.drop();
});

it("does not cache a key whose look-up was under way when it was revoked", async () => {
  const { organisationId, keys } = await seedOrganisation(store, "race", ["platform_officer"]);
  const secret = keys.platform_officer!;
  const [key] = await store.apiKeys.listForOrganisation(organisationId);
  let lookUps = 0;
  const revoked = Promise.withResolvers<void>();
  const access = createAccessService({
    store,
    clock: () => new Date(),
    keyCacheMs: 60_000,
    // As through the store thread: the first look-up answers only after the key was revoked and forgotten.
    authenticateKey: async (candidate) => {
      lookUps++;
      const found = await store.apiKeys.authenticate(candidate);
      if (lookUps === 1) await revoked.promise;
      return found;
    },
  });
  const first = access.authenticate(secret, { ip: "127.0.0.1" });
  await new Promise((resolve) => setImmediate(resolve));
  await store.apiKeys.revoke(key!.id, "system:test");
  access.forget(key!.id);
  revoked.resolve();
  assert.equal((await first).keyId, key!.id, "the request that raced the revocation");
  await assert.rejects(access.authenticate(secret, { ip: "127.0.0.1" }), { code: "api_key_invalid" });
  assert.equal(lookUps, 2);
});
