import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDateTime } from "../format.ts";
import { formatCount, formatDuration, formatShare } from "./operations-format.ts";

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
  assert.equal(formatDateTime("not a date", "en"), "—");
  assert.equal(formatDateTime(null, "en"), "—");
});

test("dates and times are shown in UTC on every screen, whatever the browser's time zone", () => {
  // Late in the evening UTC is the next day east of Greenwich and earlier in the day west of it.
  assert.equal(plain(formatDateTime("2026-05-01T23:30:00Z", "en")), "May 1, 2026, 11:30 PM");
  assert.equal(plain(formatDateTime("2026-05-01T23:30:00Z", "fr")), "1 mai 2026, 23:30");
});
