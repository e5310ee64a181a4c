import assert from "node:assert/strict";
import { test } from "node:test";
import { formatCount, formatDateTime, formatDuration, formatShare } from "./operations-format.ts";

// Intl separates numbers and units with no-break spaces in some languages: compare with plain ones.
const plain = (text: string) => text.replace(/\s/g, " ");

test("durations use their largest whole unit, in the user's language", () => {
  assert.equal(formatDuration("en", 36 * 3_600_000), "1.5 days");
  assert.equal(formatDuration("en", 3 * 3_600_000), "3 hours");
  assert.equal(plain(formatDuration("fr", 3 * 3_600_000)), "3 heures");
  assert.equal(plain(formatDuration("es", 90_000)), "1,5 minutos");
  assert.equal(formatDuration("en", 0), "0 minutes");
  assert.equal(formatDuration("en", Number.NaN), "—");
});

test("shares, counts and dates fall back to a dash when unknown", () => {
  assert.equal(formatShare("en", 2 / 3), "66.7%");
  assert.equal(formatShare("en", Number.NaN), "—");
  assert.equal(formatCount("en", 12_345), "12,345");
  assert.equal(formatCount("en", null), "—");
  assert.equal(formatDateTime("en", "not a date"), "—");
  assert.equal(formatDateTime("en", null), "—");
  assert.match(formatDateTime("en", "2026-05-01T12:00:00Z"), /2026/);
});
