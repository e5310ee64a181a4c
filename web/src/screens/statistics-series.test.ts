import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bars,
  dateRange,
  periodStartMs,
  seriesCsvRows,
  timeChart,
  totalsCsvRows,
  withLabels,
  type OfferStatistics,
} from "./statistics-series.ts";

test("period labels of every interval are read as UTC starts", () => {
  assert.equal(periodStartMs("2026"), Date.UTC(2026, 0, 1));
  assert.equal(periodStartMs("2026-05"), Date.UTC(2026, 4, 1));
  assert.equal(periodStartMs("2026-05-04"), Date.UTC(2026, 4, 4));
  // ISO weeks: 2026-W01 starts on Monday 29 December 2025; 2020-W53 on Monday 28 December 2020.
  assert.equal(periodStartMs("2026-W01"), Date.UTC(2025, 11, 29));
  assert.equal(periodStartMs("2026-W18"), Date.UTC(2026, 3, 27));
  assert.equal(periodStartMs("2020-W53"), Date.UTC(2020, 11, 28));
  assert.equal(periodStartMs("2026-05-04T00:00:00.000Z"), Date.UTC(2026, 4, 4));
  assert.ok(Number.isNaN(periodStartMs("May 2026")));
  assert.ok(Number.isNaN(periodStartMs("")));
});

const statistics: OfferStatistics = {
  by: "taxon",
  interval: "month",
  series: [
    {
      key: "1",
      label: "Psittacus erithacus",
      points: [
        { period: "2026-05", count: 4 },
        { period: "2026-03", count: 1 },
      ],
    },
    { key: "2", label: "Manis spp.", points: [{ period: "2026-04", count: 9 }] },
    { key: "3", label: "Testudo graeca", points: [{ period: "2026-05", count: 2 }] },
    {
      key: "4",
      label: "=cmd",
      points: [
        { period: "2026-03", count: 1 },
        { period: "bad", count: 7 },
      ],
    },
  ],
  totals: [
    { key: "1", label: "Psittacus erithacus", count: 5 },
    { key: "2", label: "Manis spp.", count: 9 },
    { key: "3", label: "Testudo graeca", count: 2 },
    { key: "4", label: "=cmd", count: 8 },
  ],
};

test("series share one sorted time axis, zero-filled, largest series first and the rest summed", () => {
  const chart = timeChart(statistics.series, { maxLines: 2, otherLabel: "Other" });
  assert.deepEqual(chart.periods, ["2026-03", "2026-04", "2026-05"]);
  assert.deepEqual(chart.xs, [
    Date.UTC(2026, 2, 1) / 1000,
    Date.UTC(2026, 3, 1) / 1000,
    Date.UTC(2026, 4, 1) / 1000,
  ]);
  assert.deepEqual(
    chart.lines.map((line) => [line.label, line.values]),
    [
      ["Manis spp.", [0, 9, 0]],
      // "=cmd" totals 8 but 7 of it is in a period with no place on the axis: ranked by all its points.
      ["=cmd", [1, 0, 0]],
      ["Other", [1, 0, 6]],
    ],
  );
});

test("no line is summed into 'other' when every series fits, and an empty answer gives an empty chart", () => {
  const chart = timeChart(statistics.series, { maxLines: 10, otherLabel: "Other" });
  assert.equal(chart.lines.length, 4);
  assert.ok(!chart.lines.some((line) => line.label === "Other"));
  assert.deepEqual(timeChart([], { maxLines: 5, otherLabel: "Other" }), { periods: [], xs: [], lines: [] });
});

test("bars are the largest totals first, each relative to the longest, zero counts left out", () => {
  const result = bars([...statistics.totals, { key: "5", label: "none", count: 0 }], 3);
  assert.deepEqual(
    result.map((bar) => [bar.label, bar.count, bar.share]),
    [
      ["Manis spp.", 9, 1],
      ["=cmd", 8, 8 / 9],
      ["Psittacus erithacus", 5, 5 / 9],
    ],
  );
  assert.deepEqual(bars([], 5), []);
});

test("CSV rows keep every point, periods the axis cannot place included", () => {
  const { header, rows } = seriesCsvRows(statistics);
  assert.deepEqual(header, ["month", "taxon", "label", "offers"]);
  assert.equal(rows.length, 6);
  assert.deepEqual(rows[0], ["2026-03", "4", "=cmd", 1]);
  assert.deepEqual(rows.at(-1), ["bad", "4", "=cmd", 7]);
  assert.deepEqual(totalsCsvRows(statistics).rows[0], ["2", "Manis spp.", 9]);
});

test("offers with no key or label are shown as unknown", () => {
  const answer = {
    by: "country",
    interval: "day",
    series: [{ key: null, label: null, points: [{ period: "2026-05-01", count: 3 }] }],
    totals: [
      { key: null, label: null, count: 3 },
      { key: "FR", label: "", count: 1 },
    ],
  } as unknown as OfferStatistics;
  const filled = withLabels(answer, "Unknown");
  assert.deepEqual(filled.series[0]!.key, "");
  assert.deepEqual(filled.series[0]!.label, "Unknown");
  assert.deepEqual(
    filled.totals.map((total) => [total.key, total.label]),
    [
      ["", "Unknown"],
      ["FR", "FR"],
    ],
  );
});

test("picked days pass as they are; an empty or impossible day leaves its end open", () => {
  assert.deepEqual(dateRange("2026-05-01", "2026-05-31"), { from: "2026-05-01", to: "2026-05-31" });
  assert.deepEqual(dateRange("", "2026-12-31"), { to: "2026-12-31" });
  assert.deepEqual(dateRange("2026-02-30", "2026-13-01"), {});
  assert.deepEqual(dateRange("2026-5-1", "yesterday"), {});
});
