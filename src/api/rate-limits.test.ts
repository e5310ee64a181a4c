import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openStore } from "../storage/open-store.ts";
import type { Store } from "../storage/store.ts";
import type { ContractDatabase } from "../storage/store.contract.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { createRateLimitCounter, type RateLimitCounter } from "../services/shared-rate-limits.ts";
import { createApi, type ApiApp } from "./create-api.ts";
import { bearer, loadReference, seedOrganisation } from "./testing/api-fixture.ts";

/** RELIABILITY H7: one per-key limit for every `serve` process on a database, not one per process. */
describe("per-key rate limits shared by every API process (H7)", () => {
  const max = 20;
  const windowMs = 60_000;
  let database: ContractDatabase;
  let now = new Date("2026-05-01T12:00:10.000Z").getTime();
  const clock = () => new Date(now);
  const instances: { app: ApiApp; store: Store; counter: RateLimitCounter }[] = [];

  /** An API process: its own store connection and its own counter, over the shared database. */
  const openInstance = async (flushIntervalMs: number) => {
    const store = await openStore(database.url, { clock });
    const counter = createRateLimitCounter({
      rateLimits: store.rateLimits,
      clock,
      windowMs,
      flushIntervalMs,
    });
    const app = createApi({
      store,
      ...(await loadReference()),
      clock,
      version: "test",
      limits: { keyCacheMs: 0, requestsPerWindow: max, rateWindowMs: windowMs },
      rateLimits: counter,
    });
    await app.ready();
    const instance = { app, store, counter };
    instances.push(instance);
    return instance;
  };

  before(async () => {
    database = await newSqliteDatabase();
  });
  after(async () => {
    for (const { app, store } of instances.splice(0)) {
      await app.close();
      await store.close();
    }
    await database.drop();
  });

  const screen = (app: ApiApp, secret: string) =>
    app.inject({ method: "POST", url: "/v1/screen", headers: bearer(secret), payload: { text: "a chair" } });

  it("two processes together reach 429 with Retry-After at the shared limit, within the documented bound", async () => {
    const [a, b] = [await openInstance(0), await openInstance(0)];
    const org = await seedOrganisation(a.store, "platform", ["platform_officer", "analyst"]);
    const key = org.keys.platform_officer!;
    // Requests alternate between the two; both share their counts every 4 requests, as their timers would.
    const perFlush = 4;
    const statuses: number[] = [];
    let retryAfter: unknown;
    for (let n = 0; n < 2 * max; n++) {
      const response = await screen(n % 2 === 0 ? a.app : b.app, key);
      statuses.push(response.statusCode);
      if (response.statusCode === 429) {
        assert.equal(response.json().error.code, "rate_limited");
        retryAfter = response.headers["retry-after"];
      } else assert.equal(response.statusCode, 200, response.body);
      if (n % perFlush === perFlush - 1) for (const { counter } of [a, b]) await counter.flush();
    }
    const accepted = statuses.filter((status) => status === 200).length;
    // Counted apart, each process would have accepted `max`: 2 × max in all. Shared, the overshoot is at most what
    // the other process accepted since this one last read the total: one flush period's requests (perFlush / 2).
    assert.ok(
      accepted >= max && accepted <= max + perFlush / 2,
      `accepted ${accepted}: ${statuses.join(",")}`,
    );
    // Once the limit is passed and both have shared their counts, both refuse everything.
    const firstRefused = statuses.indexOf(429);
    const nextFlush = (Math.floor(firstRefused / perFlush) + 1) * perFlush;
    assert.ok(
      firstRefused >= 0 && statuses.slice(nextFlush).every((status) => status === 429),
      statuses.join(","),
    );
    // The window started at 12:00:00, fixed for every process: 50 s are left.
    assert.equal(retryAfter, "50");
    for (const { app } of [a, b]) {
      const refused = await screen(app, key);
      assert.equal(refused.statusCode, 429);
      assert.equal(refused.headers["retry-after"], "50");
    }
    // Another key of the same organisation has its own limit.
    assert.equal((await screen(b.app, org.keys.analyst!)).statusCode, 200);
    // The next window starts afresh on both.
    now += 50_000;
    for (const { app } of [a, b]) assert.equal((await screen(app, key)).statusCode, 200);
  });

  it("shares counts on its own timer: a process learns what another accepted and refuses", async () => {
    now = new Date("2026-05-01T13:00:00.000Z").getTime();
    const [a, b] = [await openInstance(20), await openInstance(20)];
    const org = await seedOrganisation(a.store, "market", ["platform_officer"]);
    const key = org.keys.platform_officer!;
    for (let n = 0; n < max; n++) assert.equal((await screen(a.app, key)).statusCode, 200);
    await a.counter.flush();
    // B has not seen the key yet: it lets requests through until its timer has read the shared total back.
    let acceptedByB = 0;
    let refused = false;
    for (let tries = 0; tries < 400 && !refused; tries++) {
      const response = await screen(b.app, key);
      if (response.statusCode === 429) refused = true;
      else acceptedByB++;
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(refused, "B refused the key once its timer shared the counts");
    // Far fewer than the `max` a process counting alone would accept.
    assert.ok(acceptedByB < max, `B accepted ${acceptedByB}`);
  });
});
