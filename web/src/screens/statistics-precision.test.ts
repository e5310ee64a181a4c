import assert from "node:assert/strict";
import { test } from "node:test";
import {
  precisionCsvRows,
  precisionGroups,
  precisionInterval,
  precisionRange,
  precisionTimeChart,
  type PrecisionCounts,
  type PrecisionReport,
} from "./statistics-precision.ts";

const counts = (illegal: number, legal: number, notWildlife: number, unsure: number): PrecisionCounts => {
  const decided = illegal + legal + notWildlife;
  return {
    reviewed: decided + unsure,
    illegalOffer: illegal,
    legalOffer: legal,
    notWildlife,
    unsure,
    precision: decided === 0 ? null : (illegal + legal) / decided,
  };
};

const report: PrecisionReport = {
  by: "source",
  interval: "month",
  ...counts(6, 1, 3, 1),
  groups: [
    { key: "market-a", ...counts(5, 1, 0, 0) },
    { key: "=evil", ...counts(1, 0, 3, 0) },
    { key: "forum", ...counts(0, 0, 0, 1) },
  ],
  periods: [
    {
      period: "2026-04",
      ...counts(1, 0, 3, 1),
      groups: [
        { key: "=evil", ...counts(1, 0, 3, 0) },
        { key: "forum", ...counts(0, 0, 0, 1) },
      ],
    },
    { period: "2026-05", ...counts(5, 1, 0, 0), groups: [{ key: "market-a", ...counts(5, 1, 0, 0) }] },
    { period: "not a period", ...counts(0, 0, 0, 1), groups: [] },
  ],
};

test("precision over time: the overall line, and the most reviewed groups with gaps where they had nothing", () => {
  const chart = precisionTimeChart(report, { overallLabel: "All", groups: 2 });
  assert.deepEqual(chart.periods, ["2026-04", "2026-05"]);
  assert.deepEqual(chart.xs, [Date.UTC(2026, 3, 1) / 1000, Date.UTC(2026, 4, 1) / 1000]);
  assert.deepEqual(
    chart.lines.map((line) => [line.label, line.values]),
    [
      ["All", [0.25, 1]],
      ["market-a", [null, 1]],
      ["=evil", [0.25, null]],
    ],
  );
  assert.equal(precisionTimeChart(report, { overallLabel: "All" }).lines.length, 1);
});

test("bars are the groups with a precision, most reviewed first", () => {
  assert.deepEqual(
    precisionGroups(report, 10).map((group) => [group.key, group.precision]),
    [
      ["market-a", 1],
      ["=evil", 0.25],
    ],
  );
  assert.equal(precisionGroups(report, 1).length, 1);
});

test("the CSV holds every period and group, then the totals", () => {
  const { header, rows } = precisionCsvRows(report);
  assert.deepEqual(header, [
    "month",
    "source",
    "reviewed",
    "illegal_offer",
    "legal_offer",
    "not_wildlife",
    "unsure",
    "precision",
  ]);
  assert.deepEqual(rows[0], ["2026-04", "all", 5, 1, 0, 3, 1, 0.25]);
  assert.deepEqual(rows[2], ["2026-04", "forum", 1, 0, 0, 0, 1, null]);
  assert.equal(rows.length, 3 + 2 + 1 + 1 + 3);
  assert.deepEqual(rows.at(-4), ["total", "all", 11, 6, 1, 3, 1, 0.7]);
});

test("days become the report's instants: from inclusive, to exclusive; days map to weeks", () => {
  assert.deepEqual(precisionRange("2026-05-01", "2026-05-31"), {
    from: "2026-05-01T00:00:00.000Z",
    to: "2026-06-01T00:00:00.000Z",
  });
  assert.deepEqual(precisionRange("", "2026-02-30"), {});
  assert.equal(precisionInterval("day"), "week");
  assert.equal(precisionInterval("week"), "week");
  assert.equal(precisionInterval("month"), "month");
});
