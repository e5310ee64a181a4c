import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CircuitOpenError, FetchAbortedError, HostPausedError, QueueFullError } from "./fetch-errors.ts";
import { HostScheduler, type HostSchedulerOptions } from "./host-scheduler.ts";
import { backoffDelayMs, parseRetryAfterMs, transientStatuses } from "./retry-policy.ts";

function scheduler(overrides: Partial<HostSchedulerOptions> = {}) {
  return new HostScheduler({
    requestsPerSecond: 1000,
    maxConcurrentPerHost: 2,
    maxQueuedPerHost: 10,
    breakerFailureThreshold: 3,
    breakerOpenMs: 60_000,
    ...overrides,
  });
}

describe("host scheduler", () => {
  it("spaces request starts on one host, and not across hosts", async () => {
    const s = scheduler({ requestsPerSecond: 10, maxConcurrentPerHost: 10 });
    const starts: Record<string, number[]> = { a: [], b: [] };
    // Measured from before the first acquire: a slow machine can only make the third start later, never earlier.
    const begun = performance.now();
    await Promise.all(
      ["a", "a", "a", "b", "b"].map(async (host) => {
        const slot = await s.acquire(host, `http://${host}/`);
        starts[host]?.push(performance.now());
        slot.release("success");
      }),
    );
    const a = starts.a ?? [];
    assert.ok((a[2] ?? 0) - begun >= 195, "three starts at 10/s take at least 200 ms");
    const b = starts.b ?? [];
    assert.ok((b[0] ?? 0) < (a[2] ?? 0), "another host does not wait behind this one");
  });

  it("limits requests in flight per host", async () => {
    const s = scheduler({ maxConcurrentPerHost: 2 });
    const first = await s.acquire("a", "u");
    await s.acquire("a", "u");
    let thirdGranted = false;
    const third = s.acquire("a", "u").then((slot) => {
      thirdGranted = true;
      return slot;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(thirdGranted, false);
    assert.deepEqual(s.stats("a"), {
      active: 2,
      queued: 1,
      consecutiveFailures: 0,
      breakerOpen: false,
      concurrencyLimit: 2,
    });
    first.release("success");
    (await third).release("success");
    assert.equal(thirdGranted, true);
  });

  it("bounds the queue", async () => {
    const s = scheduler({ maxConcurrentPerHost: 1, maxQueuedPerHost: 1 });
    await s.acquire("a", "u");
    void s.acquire("a", "u").catch(() => undefined);
    await assert.rejects(s.acquire("a", "u"), QueueFullError);
  });

  it("removes an aborted waiter from the line", async () => {
    const s = scheduler({ maxConcurrentPerHost: 1 });
    const held = await s.acquire("a", "u");
    const controller = new AbortController();
    const waiting = s.acquire("a", "u", controller.signal);
    controller.abort();
    await assert.rejects(waiting, FetchAbortedError);
    assert.equal(s.stats("a").queued, 0);
    held.release("neutral");
  });

  it("pauses a host until a Retry-After has passed", async () => {
    const s = scheduler();
    s.pauseFor("a", 200);
    const started = performance.now();
    (await s.acquire("a", "u")).release("success");
    assert.ok(performance.now() - started >= 190);
  });

  it("refuses at once, rather than hold its callers, while a host is paused beyond the longest wait", async () => {
    const s = scheduler({ maxConcurrentPerHost: 1, maxPauseWaitMs: 1000 });
    const held = await s.acquire("a", "u");
    const waiting = s.acquire("a", "in line");
    s.pauseFor("a", 60_000);
    await assert.rejects(waiting, HostPausedError, "the caller in line is told");
    await assert.rejects(s.acquire("a", "later"), (error: unknown) => {
      assert.ok(error instanceof HostPausedError);
      assert.equal(error.code, "host_paused");
      assert.ok(error.retryAfterMs > 1000 && error.temporary);
      return true;
    });
    held.release("neutral");
    (await s.acquire("b", "u")).release("success");
  });

  it("halves the concurrency of a host that rate limits us, and wins it back a little with each success", async () => {
    const s = scheduler({ maxConcurrentPerHost: 4 });
    assert.equal(s.rateLimited("a", 1000), "slowed");
    assert.equal(s.stats("a").concurrencyLimit, 2);
    const first = await s.acquire("a", "u");
    const second = await s.acquire("a", "u");
    let thirdGranted = false;
    const third = s.acquire("a", "u").then((slot) => {
      thirdGranted = true;
      return slot;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(thirdGranted, false, "two in flight is the cap now");
    first.release("success");
    second.release("success");
    (await third).release("success");
    assert.equal(s.stats("a").concurrencyLimit, 2, "not all back after three successes");
    for (let i = 0; i < 30; i++) (await s.acquire("a", "u")).release("success");
    assert.equal(s.stats("a").concurrencyLimit, 4, "all back after a few dozen");
    // Other hosts were never slowed.
    assert.equal(s.stats("b").concurrencyLimit, 4);
  });

  it("spaces a rate-limited host's requests further apart when its rate, not its concurrency, binds", async () => {
    const s = scheduler({ requestsPerSecond: 10, maxConcurrentPerHost: 10 });
    s.rateLimited("a", 1000);
    const starts: number[] = [];
    await Promise.all(
      [1, 2].map(async () => {
        const slot = await s.acquire("a", "u");
        starts.push(performance.now());
        slot.release("neutral");
      }),
    );
    const [first = 0, second = 0] = starts;
    assert.ok(second - first >= 195, `half of 10/s is 200 ms apart, got ${Math.round(second - first)} ms`);
  });

  it("pauses a host that still rate limits us at an eighth of its rate, for its Retry-After", async () => {
    const s = scheduler({ maxConcurrentPerHost: 8, maxPauseWaitMs: 1000 });
    assert.deepEqual(
      [1, 2, 3].map(() => s.rateLimited("a", 60_000)),
      ["slowed", "slowed", "slowed"],
    );
    assert.equal(s.stats("a").concurrencyLimit, 1);
    (await s.acquire("a", "still sent, one at a time")).release("neutral");
    assert.equal(s.rateLimited("a", 60_000), "paused");
    await assert.rejects(s.acquire("a", "u"), HostPausedError);
  });

  it("opens the breaker after consecutive failures, then lets one probe through", async () => {
    let skipped = 0;
    const s = scheduler({ now: () => performance.now() + skipped, breakerOpenMs: 1000 });
    for (let i = 0; i < 3; i++) (await s.acquire("a", "u")).release("failure");
    await assert.rejects(s.acquire("a", "u"), CircuitOpenError);
    skipped = 1000;
    const probe = await s.acquire("a", "u");
    await assert.rejects(s.acquire("a", "u"), CircuitOpenError, "only one probe at a time");
    probe.release("success");
    (await s.acquire("a", "u")).release("success");
    assert.equal(s.stats("a").breakerOpen, false);
  });

  it("re-opens the breaker when the probe fails, and success in between resets the count", async () => {
    let skipped = 0;
    const s = scheduler({ now: () => performance.now() + skipped, breakerOpenMs: 1000 });
    (await s.acquire("a", "u")).release("failure");
    (await s.acquire("a", "u")).release("failure");
    (await s.acquire("a", "u")).release("success");
    (await s.acquire("a", "u")).release("failure");
    assert.equal(s.stats("a").breakerOpen, false);
    for (let i = 0; i < 2; i++) (await s.acquire("a", "u")).release("failure");
    assert.equal(s.stats("a").breakerOpen, true);
    skipped = 1000;
    (await s.acquire("a", "u")).release("failure");
    await assert.rejects(s.acquire("a", "u"), CircuitOpenError);
  });
});

describe("retry policy", () => {
  it("retries only the transient statuses", () => {
    assert.deepEqual([...transientStatuses].sort(), [408, 429, 500, 502, 503, 504, 522, 524]);
  });

  it("backs off exponentially with jitter, within bounds", () => {
    const options = { baseDelayMs: 1000, maxDelayMs: 30_000 };
    assert.deepEqual(
      [1, 2, 3].map((attempt) => backoffDelayMs(attempt, options, () => 0)),
      [500, 1000, 2000],
    );
    assert.deepEqual(
      [1, 2, 3].map((attempt) => backoffDelayMs(attempt, options, () => 0.999999)),
      [1000, 2000, 4000],
    );
    assert.equal(
      backoffDelayMs(20, options, () => 1),
      30_000,
    );
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2025-03-01T12:00:00Z");
    assert.equal(parseRetryAfterMs("2", now), 2000);
    assert.equal(parseRetryAfterMs(" 120 ", now), 120_000);
    assert.equal(parseRetryAfterMs("Sat, 01 Mar 2025 12:00:30 GMT", now), 30_000);
    assert.equal(parseRetryAfterMs("Sat, 01 Mar 2025 11:00:00 GMT", now), 0);
    assert.equal(parseRetryAfterMs("-5", now), undefined);
    assert.equal(parseRetryAfterMs("soon", now), undefined);
    assert.equal(parseRetryAfterMs(undefined, now), undefined);
  });
});
