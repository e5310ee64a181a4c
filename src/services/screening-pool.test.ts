import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadReference, type Reference } from "../api/testing/api-fixture.ts";
import { defaultDetectionModelPath, defaultLexiconDir, defaultReferenceDataPath } from "../config.ts";
import { createScreeningPool, type ScreeningPool } from "./screening-pool.ts";
import {
  defaultScreeningPolicy,
  screenBatchAnswers,
  type ScreeningListing,
  type ScreeningPolicy,
} from "./screening.ts";

const adverts = [
  "Genuine ivory bangle, 300 USD, ships worldwide, whatsapp me",
  "Live baby pangolin for sale, rare pet, cash only",
  "Vintage wooden chess set, one pawn missing",
  "Rhino horn carving with certificate of antiquity",
  "",
];
const listings: ScreeningListing[] = Array.from({ length: 130 }, (_, i) => ({
  ...(i % 3 === 0 ? { id: `ad-${i}` } : {}),
  text: adverts[i % adverts.length]!,
}));
const strict: ScreeningPolicy = {
  ...defaultScreeningPolicy,
  appendices: {
    I: { review: 0.05, block: 0.1 },
    II: { review: 0.05, block: 0.1 },
    III: { review: 0.05, block: 0.1 },
  },
};

describe("screening in worker threads", () => {
  let reference: Reference;
  let pool: ScreeningPool;
  let screenedHere = 0;
  const open = (workers: number) =>
    createScreeningPool({
      referenceDataPath: defaultReferenceDataPath,
      lexiconDir: defaultLexiconDir,
      detectionModelPath: defaultDetectionModelPath,
      workers,
      fallback: (some, policy) => {
        screenedHere += some.length;
        return screenBatchAnswers(some, policy, reference.lexicon, reference.model);
      },
    });
  const here = (some: readonly ScreeningListing[], policy: ScreeningPolicy) =>
    screenBatchAnswers(some, policy, reference.lexicon, reference.model);

  before(async () => {
    reference = await loadReference();
    pool = open(2);
    await pool.ready();
  });
  after(() => pool.close());

  it("answers as the API's own thread does, in order, each batch under its own policy", async () => {
    const [lenient, strictly, one] = await Promise.all([
      pool.screen(listings, defaultScreeningPolicy),
      pool.screen(listings.slice(0, 70), strict),
      pool.screen([listings[3]!], defaultScreeningPolicy),
    ]);
    assert.deepEqual(lenient, here(listings, defaultScreeningPolicy));
    assert.deepEqual(strictly, here(listings.slice(0, 70), strict));
    assert.deepEqual(one, here([listings[3]!], defaultScreeningPolicy));
    assert.deepEqual(lenient[4], {
      verdict: undefined,
      taxonNames: [],
      json: new TextEncoder().encode(
        '{"error":{"code":"listing_empty","message":"a listing needs a non-empty text or title"}}',
      ),
    });
  });

  it("lends the caller's thread to a batch the workers cannot hold, a slice between turns of its event loop", async () => {
    const helped = open(1);
    await helped.ready();
    const many = Array.from({ length: 12 }, () => listings).flat();
    screenedHere = 0;
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const answered = await helped.screen(many, strict);
    ticking = false;
    await helped.close();
    assert.deepEqual(answered, here(many, strict));
    assert.ok(screenedHere > 0, "the caller's thread screened none");
    assert.ok(screenedHere < many.length, "the worker screened none");
    // Slices of 8 at most, each followed by a turn of the event loop.
    assert.ok(turns >= screenedHere / 8, `${turns} turns of the event loop for ${screenedHere} listings`);
  });

  it("screens in the caller's thread before the workers have loaded and after closing", async () => {
    const loading = open(1);
    screenedHere = 0;
    assert.deepEqual(await loading.screen(listings, strict), here(listings, strict));
    assert.equal(screenedHere, listings.length);
    await loading.ready();
    await loading.close();
    assert.deepEqual(await loading.screen(listings.slice(0, 5), strict), here(listings.slice(0, 5), strict));
  });
});
