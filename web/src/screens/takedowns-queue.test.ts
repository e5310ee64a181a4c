import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compareForSending,
  countsByPlatform,
  sendNext,
  type TakedownNotice,
  type TakedownState,
} from "./takedowns-queue.ts";

const hour = 3_600_000;
const start = Date.UTC(2026, 4, 1);
const at = (hours: number) => new Date(start + hours * hour).toISOString();

let nextId = 1;
function notice(platform: string, state: TakedownState, createdHours: number, updatedHours = createdHours) {
  const id = nextId++;
  return {
    id,
    listingId: 100 + id,
    platform,
    state,
    createdAt: at(createdHours),
    updatedAt: at(updatedHours),
  };
}

const notices: TakedownNotice[] = [
  notice("market-a", "sent", 0, 1),
  notice("market-a", "draft", 5),
  notice("market-b", "queued", 2),
  notice("market-a", "removed", 1, 25), // 24 h
  notice("market-b", "removed", 3, 51), // 48 h
  notice("market-b", "rejected", 4, 10),
  notice("market-a", "withdrawn", 0, 3),
  notice("market-a", "removed", 2, 14), // 12 h
  notice("market-b", "draft", 2), // same age as the queued one: the lower id first
];

test("what to send next is drafts and queued notices, oldest first", () => {
  assert.deepEqual(
    sendNext(notices).map((n) => [n.platform, n.state, n.createdAt]),
    [
      ["market-b", "queued", at(2)],
      ["market-b", "draft", at(2)],
      ["market-a", "draft", at(5)],
    ],
  );
  const ordered = [...notices].sort(compareForSending).map((n) => n.state);
  assert.deepEqual(ordered.slice(0, 3), ["queued", "draft", "draft"]);
  assert.ok(!ordered.slice(3).some((state) => state === "draft" || state === "queued"));
});

test("counts per platform and state add up to each platform's notices", () => {
  const rows = countsByPlatform(notices);
  assert.deepEqual(
    rows.map((row) => row.platform),
    ["market-a", "market-b"],
  );
  assert.deepEqual(rows[0]!.byState, {
    draft: 1,
    queued: 0,
    sent: 1,
    acknowledged: 0,
    removed: 2,
    rejected: 0,
    no_response: 0,
    withdrawn: 1,
  });
  for (const row of rows)
    assert.equal(
      Object.values(row.byState).reduce((a, b) => a + b, 0),
      row.total,
    );
});
