import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DetectedTaxon, ReviewedDetection, ReviewVerdict, Verdict } from "../storage/records.ts";
import { flagPrecision, periodOf, type PrecisionGrouping } from "./flag-precision.ts";

const taxon = (scientificName: string): DetectedTaxon => ({
  taxonId: scientificName.length,
  scientificName,
  appendix: "I",
});
const elephant = taxon("Loxodonta africana");
const python = taxon("Python regius");
const pangolin = taxon("Manis javanica");

let nextId = 1;
function reviewed(
  verdict: ReviewVerdict,
  reviewedAt: string,
  where: { source: string; language: string | null },
  detection: { verdict: Verdict; score: number; detectorVersion: string; taxa: DetectedTaxon[] } | null,
): ReviewedDetection {
  return {
    listingId: nextId++,
    verdict,
    reviewedAt: new Date(reviewedAt),
    ...where,
    detection: detection && { ...detection, detectedAt: new Date("2026-03-01T00:00:00Z") },
  };
}

const market = (language: string | null) => ({ source: "market", language });
const forum = (language: string | null) => ({ source: "forum", language });

/**
 * A made-up history. With a flag score of 0.5, five verdicts judge flags: two illegal offers, a legal offer, one
 * "not wildlife" and one unsure, so precision is 3 / 4. Two verdicts judge no flag.
 */
const history: ReviewedDetection[] = [
  reviewed("illegal_offer", "2026-03-02T09:00:00Z", market("en"), {
    verdict: "offer",
    score: 0.9,
    detectorVersion: "detect-1",
    taxa: [elephant],
  }),
  reviewed("legal_offer", "2026-03-04T09:00:00Z", market("en"), {
    verdict: "mention",
    score: 0.7,
    detectorVersion: "detect-1",
    taxa: [python],
  }),
  reviewed("not_wildlife", "2026-03-09T00:00:00Z", forum("fr"), {
    verdict: "offer",
    score: 0.3,
    detectorVersion: "detect-2",
    taxa: [elephant, python],
  }),
  reviewed("unsure", "2026-03-15T23:59:59Z", forum(null), {
    verdict: "offer",
    score: 0.8,
    detectorVersion: "detect-2",
    taxa: [],
  }),
  // Not flags: a low-scoring mention, and a verdict given without its detection.
  reviewed("not_wildlife", "2026-03-05T00:00:00Z", market("en"), {
    verdict: "mention",
    score: 0.4,
    detectorVersion: "detect-2",
    taxa: [python],
  }),
  reviewed("illegal_offer", "2026-03-05T00:00:00Z", market("en"), null),
  // Exactly at the flag score: a flag.
  reviewed("illegal_offer", "2026-04-01T12:00:00Z", market("vi"), {
    verdict: "mention",
    score: 0.5,
    detectorVersion: "detect-2",
    taxa: [pangolin],
  }),
];

const shares = (by: PrecisionGrouping) =>
  flagPrecision(history, { by, interval: "month", flagScore: 0.5 }).groups.map((g) => [
    g.key,
    g.reviewed,
    g.unsure,
    g.precision,
  ]);

describe("flag precision", () => {
  it("counts reviewed flags by verdict, leaves unsure out of the share, and sets unflagged verdicts apart", () => {
    const report = flagPrecision(history, { by: "verdict", interval: "month", flagScore: 0.5 });
    assert.deepEqual(
      {
        reviewed: report.reviewed,
        illegalOffer: report.illegalOffer,
        legalOffer: report.legalOffer,
        notWildlife: report.notWildlife,
        unsure: report.unsure,
        precision: report.precision,
        notFlagged: report.notFlagged,
      },
      {
        reviewed: 5,
        illegalOffer: 2,
        legalOffer: 1,
        notWildlife: 1,
        unsure: 1,
        precision: 0.75,
        notFlagged: 2,
      },
    );
    // Grouped by what the detector said: its offers were right once in two decided; its flagged mentions twice.
    assert.deepEqual(shares("verdict"), [
      ["offer", 3, 1, 0.5],
      ["mention", 2, 0, 1],
    ]);
  });

  it("groups by source, detector version, language and taxon", () => {
    assert.deepEqual(shares("source"), [
      ["market", 3, 0, 1],
      ["forum", 2, 1, 0],
    ]);
    assert.deepEqual(shares("detector"), [
      ["detect-2", 3, 1, 0.5],
      ["detect-1", 2, 0, 1],
    ]);
    assert.deepEqual(shares("language"), [
      ["en", 2, 0, 1],
      ["fr", 1, 0, 0],
      ["unknown", 1, 1, null],
      ["vi", 1, 0, 1],
    ]);
    // A flag naming two taxa counts under each.
    assert.deepEqual(shares("taxon"), [
      ["Loxodonta africana", 2, 0, 0.5],
      ["Python regius", 2, 0, 0.5],
      ["Manis javanica", 1, 0, 1],
      ["unknown", 1, 1, null],
    ]);
  });

  it("follows precision over time, per ISO week or calendar month of the verdict", () => {
    const weekly = flagPrecision(history, { by: "source", interval: "week", flagScore: 0.5 });
    assert.deepEqual(
      weekly.periods.map((p) => [p.period, p.start.toISOString().slice(0, 10), p.reviewed, p.precision]),
      [
        ["2026-W10", "2026-03-02", 2, 1],
        ["2026-W11", "2026-03-09", 2, 0],
        ["2026-W14", "2026-03-30", 1, 1],
      ],
    );
    assert.deepEqual(
      weekly.periods[1]!.groups.map((g) => [g.key, g.reviewed, g.precision]),
      [["forum", 2, 0]],
    );
    const monthly = flagPrecision(history, { by: "source", interval: "month", flagScore: 0.5 });
    assert.deepEqual(
      monthly.periods.map((p) => [p.period, p.reviewed, p.precision]),
      [
        ["2026-03", 4, 2 / 3],
        ["2026-04", 1, 1],
      ],
    );
  });

  it("moves flags in and out with the flag score, and has no share without decided verdicts", () => {
    const strict = flagPrecision(history, { by: "verdict", interval: "week", flagScore: 0.95 });
    assert.equal(strict.reviewed, 3, "only the detector's offers remain flags");
    assert.equal(strict.notFlagged, 4);
    const empty = flagPrecision([], { by: "taxon", interval: "month", flagScore: 0.5 });
    assert.deepEqual([empty.reviewed, empty.precision, empty.groups, empty.periods], [0, null, [], []]);
  });

  it("names ISO weeks across year ends", () => {
    assert.deepEqual(periodOf(new Date("2027-01-01T10:00:00Z"), "week"), {
      period: "2026-W53",
      start: new Date("2026-12-28T00:00:00Z"),
    });
    assert.equal(periodOf(new Date("2024-12-30T00:00:00Z"), "week").period, "2025-W01");
    assert.equal(
      periodOf(new Date("2026-03-08T23:59:59Z"), "week").period,
      "2026-W10",
      "Sunday ends the week",
    );
    assert.equal(periodOf(new Date("2026-12-31T23:59:59Z"), "month").period, "2026-12");
  });
});
