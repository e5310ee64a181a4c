import assert from "node:assert/strict";
import { test } from "node:test";
import {
  platformMeasures,
  removalCsvRows,
  removalRateChart,
  reportInterval,
  type TakedownMeasure,
  type TakedownReport,
} from "./statistics-removals.ts";

const measure = (
  platform: string,
  period: string,
  noticesSent: number,
  removed: number,
): TakedownMeasure => ({
  platform,
  period,
  noticesSent,
  removed,
  removalRate: noticesSent > 0 ? removed / noticesSent : null,
  medianDaysToRemoval: removed > 0 ? 1.5 : null,
  p90DaysToRemoval: removed > 0 ? 3.25 : null,
  relisted: 0,
  relistingRate: removed > 0 ? 0 : null,
});

const monthly: TakedownReport = {
  interval: "month",
  rows: [
    measure("market-b", "2026-04", 2, 1),
    measure("market-a", "2026-05", 4, 3),
    measure("=evil", "2026-05", 1, 0),
    measure("all", "2026-04", 2, 1),
    measure("all", "2026-05", 5, 3),
  ],
};

test("removal rate per period: all platforms first, then the platforms with most notices", () => {
  const chart = removalRateChart(monthly, { allLabel: "All platforms", maxPlatforms: 2 });
  assert.deepEqual(chart.periods, ["2026-04", "2026-05"]);
  assert.deepEqual(chart.xs, [Date.UTC(2026, 3, 1) / 1000, Date.UTC(2026, 4, 1) / 1000]);
  assert.deepEqual(
    chart.lines.map((line) => [line.label, line.values]),
    [
      ["All platforms", [0.5, 0.6]],
      ["market-a", [null, 0.75]],
      ["market-b", [0.5, null]],
    ],
  );
});

test("weekly periods are placed on the time axis too", () => {
  const weekly: TakedownReport = { interval: "week", rows: [measure("all", "2026-W18", 1, 1)] };
  assert.deepEqual(removalRateChart(weekly, { allLabel: "All", maxPlatforms: 5 }).xs, [
    Date.UTC(2026, 3, 27) / 1000,
  ]);
  assert.equal(reportInterval("day"), "week");
  assert.equal(reportInterval("month"), "month");
});

test("per-platform measures come from the whole-time rows, platforms A–Z and all platforms last", () => {
  const overall: TakedownReport = {
    interval: "all",
    rows: [measure("market-b", "all", 2, 1), measure("all", "all", 6, 4), measure("market-a", "all", 4, 3)],
  };
  assert.deepEqual(
    platformMeasures(overall).map((row) => row.platform),
    ["market-a", "market-b", "all"],
  );
  assert.deepEqual(platformMeasures(monthly), []);
});

test("the CSV keeps the report's columns and rounds shares and days", () => {
  const { header, rows } = removalCsvRows({
    interval: "all",
    rows: [{ ...measure("market-a", "all", 3, 2), removalRate: 2 / 3 }],
  });
  assert.equal(header.length, 9);
  assert.deepEqual(rows, [["market-a", "all", 3, 2, 0.6667, 1.5, 3.25, 0, 0]]);
});
