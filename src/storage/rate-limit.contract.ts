/**
 * What both stores keep for the API's per-key rate limits (RELIABILITY H7): requests per key in fixed windows,
 * added atomically by every process, the key kept as its SHA-256 only. Run from store.contract.ts.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, it } from "node:test";
import { openStore } from "./open-store.ts";
import type { ContractDatabase } from "./store.contract.ts";
import type { Store } from "./store.ts";

const t0 = new Date("2026-03-01T10:00:00.000Z");
const minutes = (n: number) => new Date(t0.getTime() + n * 60_000);

export function rateLimitContract(newDatabase: () => Promise<ContractDatabase>): void {
  describe("rate limits shared by every API process", () => {
    let database: ContractDatabase;
    let store: Store;

    beforeEach(async () => {
      database = await newDatabase();
      store = await openStore(database.url);
    });
    afterEach(async () => {
      await store.close();
      await database.drop();
    });

    const key = "key:12";
    const person = "user:7";

    it("adds hits to a key's window, returns the totals in order, and 0 hits only reads", async () => {
      assert.deepEqual(
        await store.rateLimits.add([
          { key, windowStartedAt: t0, hits: 5 },
          { key: person, windowStartedAt: t0, hits: 1 },
        ]),
        [
          { key, windowStartedAt: t0, hits: 5 },
          { key: person, windowStartedAt: t0, hits: 1 },
        ],
      );
      assert.deepEqual(await store.rateLimits.add([{ key, windowStartedAt: t0, hits: 3 }]), [
        { key, windowStartedAt: t0, hits: 8 },
      ]);
      assert.deepEqual(await store.rateLimits.add([{ key: person, windowStartedAt: t0, hits: 0 }]), [
        { key: person, windowStartedAt: t0, hits: 1 },
      ]);
      // Two entries for one key in one call are added together.
      assert.deepEqual(
        await store.rateLimits.add([
          { key, windowStartedAt: t0, hits: 1 },
          { key, windowStartedAt: t0, hits: 1 },
        ]),
        [
          { key, windowStartedAt: t0, hits: 10 },
          { key, windowStartedAt: t0, hits: 10 },
        ],
      );
      assert.deepEqual(await store.rateLimits.add([]), []);
    });

    it("starts a newer window from its own hits, and drops hits sent late for an ended one", async () => {
      await store.rateLimits.add([{ key, windowStartedAt: t0, hits: 50 }]);
      assert.deepEqual(await store.rateLimits.add([{ key, windowStartedAt: minutes(1), hits: 2 }]), [
        { key, windowStartedAt: minutes(1), hits: 2 },
      ]);
      assert.deepEqual(await store.rateLimits.add([{ key, windowStartedAt: t0, hits: 7 }]), [
        { key, windowStartedAt: minutes(1), hits: 2 },
      ]);
    });

    it("keeps only the SHA-256 of each key", async () => {
      await store.rateLimits.add([{ key: "ip:203.0.113.7", windowStartedAt: t0, hits: 1 }]);
      const rows = await database.rows("rate_limits");
      assert.deepEqual(
        rows.map((row) => row.key_hash),
        [createHash("sha256").update("ip:203.0.113.7").digest("hex")],
      );
      assert.ok(!JSON.stringify(rows).includes("203.0.113.7"));
    });

    it("prunes ended windows a bounded batch at a time, keeping running ones", async () => {
      await store.rateLimits.add(
        Array.from({ length: 7 }, (_, n) => ({ key: `ip:192.0.2.${n}`, windowStartedAt: t0, hits: 1 })),
      );
      await store.rateLimits.add([{ key, windowStartedAt: minutes(1), hits: 1 }]);
      assert.equal(await store.rateLimits.prune(minutes(1), 5), 5);
      assert.equal(await store.rateLimits.prune(minutes(1), 5), 2);
      assert.equal(await store.rateLimits.prune(minutes(1), 5), 0);
      assert.deepEqual(await store.rateLimits.add([{ key, windowStartedAt: minutes(1), hits: 0 }]), [
        { key, windowStartedAt: minutes(1), hits: 1 },
      ]);
    });

    it("adds up hits from two stores at once exactly, and restarts a window once", async () => {
      const other = await openStore(database.url);
      try {
        const perStore = 20;
        for (const at of [t0, minutes(1)]) {
          const totals = await Promise.all(
            [store, other].flatMap((each) =>
              Array.from({ length: perStore }, () =>
                each.rateLimits.add([
                  { key, windowStartedAt: at, hits: 2 },
                  { key: person, windowStartedAt: at, hits: 1 },
                ]),
              ),
            ),
          );
          const ofKey = totals.map((pair) => pair[0]!);
          assert.deepEqual(
            ofKey.map((count) => count.hits).sort((a, b) => a - b),
            Array.from({ length: 2 * perStore }, (_, n) => 2 * (n + 1)),
          );
          assert.ok(ofKey.every((count) => count.windowStartedAt.getTime() === at.getTime()));
          assert.equal(Math.max(...totals.map((pair) => pair[1]!.hits)), 2 * perStore);
        }
      } finally {
        await other.close();
      }
    });
  });
}
