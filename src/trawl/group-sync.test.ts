import assert from "node:assert/strict";
import { it } from "node:test";
import { groupSync } from "./group-sync.ts";

it("group sync: callers during a sync share the next one, and each waits for a sync that began after it asked", async () => {
  const started: number[] = [];
  let finish: Array<() => void> = [];
  const sync = groupSync(
    () =>
      new Promise<void>((resolve) => {
        started.push(started.length);
        finish.push(resolve);
      }),
  );
  let firstDone = false;
  const first = sync().then(() => (firstDone = true));
  const second = sync();
  const third = sync();
  assert.equal(started.length, 1, "one sync running");
  finish.shift()!();
  await first;
  assert.ok(firstDone);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(started.length, 2, "the two that asked meanwhile share one more");
  finish.shift()!();
  await Promise.all([second, third]);
  assert.equal(started.length, 2);
  finish = [];
});
