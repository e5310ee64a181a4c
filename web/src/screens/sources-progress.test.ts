import assert from "node:assert/strict";
import { test } from "node:test";
import {
  runFigures,
  runToFollow,
  statCount,
  type TrawlRun,
  type TrawlRunDetail,
} from "./sources-progress.ts";

const run = (
  id: number,
  state: TrawlRun["state"],
  startedAt: string,
  stats: Record<string, unknown> = {},
) => ({
  id,
  sourceId: 1,
  state,
  startedAt,
  finishedAt: state === "running" ? null : startedAt,
  stats,
  error: null,
});

test("figures count leased pages as pending and read listings and flags from the run's stats", () => {
  const detail: TrawlRunDetail = {
    run: run(1, "running", "2026-05-01T10:00:00Z", { listings: 40, offersFlagged: 7, pages: 60 }),
    progress: { pending: 30, leased: 10, done: 55, failed: 5 },
    recentErrors: [],
  };
  assert.deepEqual(runFigures(detail), {
    pending: 40,
    done: 55,
    failed: 5,
    finishedShare: 0.6,
    listings: 40,
    flagged: 7,
  });
  const empty = runFigures({
    ...detail,
    run: run(1, "running", "2026-05-01T10:00:00Z"),
    progress: { pending: 0, leased: 0, done: 0, failed: 0 },
  });
  assert.equal(empty.finishedShare, 0);
  assert.equal(empty.listings, null);
});

test("stats that are not whole, non-negative numbers are unknown", () => {
  assert.equal(statCount({ listings: "40" }, "listings"), null);
  assert.equal(statCount({ listings: -1 }, "listings"), null);
  assert.equal(statCount({ listings: Number.POSITIVE_INFINITY }, "listings"), null);
  assert.equal(statCount({ listings: 4.7 }, "listings"), 4);
  assert.equal(statCount({}, "listings"), null);
});

test("the run to follow is the live one, else the latest started", () => {
  const older = run(1, "finished", "2026-05-01T10:00:00Z");
  const live = run(2, "running", "2026-05-01T11:00:00Z");
  const newest = run(3, "cancelled", "2026-05-01T12:00:00Z");
  assert.equal(runToFollow([older, newest, live])?.id, 2);
  assert.equal(runToFollow([newest, older])?.id, 3);
  assert.equal(runToFollow([older, newest])?.id, 3);
  assert.equal(runToFollow([]), null);
});
