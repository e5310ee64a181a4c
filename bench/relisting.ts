/**
 * Re-listing detector benchmark:
 * - fingerprints per second: text fingerprints (SimHash + MinHash bands) and seller keys of generated adverts, and
 *   image dHashes of 640 × 480 grey pictures;
 * - candidate look-up over a store of fingerprints in SQLite (WILDTRAWL_BENCH_FINGERPRINTS, default 100,000): the
 *   time of `findCandidates` for a re-posted variant of a stored advert and for an unrelated advert, how many
 *   candidates come back, and whether the variant's original is among them.
 *
 * The corpus is generated: each advert mixes the trade's vocabulary with boilerplate many adverts share ("ship
 * worldwide", "serious buyers only"), so that candidates are not trivially rare.
 *
 * Run alone: `npm run bench relisting` (or `node bench/relisting.ts`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { differenceHash } from "../src/core/similarity/image-hash.ts";
import { sellerKeys } from "../src/core/similarity/seller-keys.ts";
import { textFingerprint } from "../src/core/similarity/text-fingerprint.ts";
import { openStore } from "../src/storage/open-store.ts";
import type { ListingObservation, NewListingFingerprint } from "../src/storage/records.ts";

const corpusSize = Number(process.env.WILDTRAWL_BENCH_FINGERPRINTS ?? 100_000);
const batchSize = 1_000;
const lookups = 500;

function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(20260701);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const trade = (
  "ivory elephant bangle carved antique netsuke tusk pangolin scales dried bulk rhino horn cup powder tortoise " +
  "radiated shell parrot grey african young tame python skin leather handbag belt boots loris orchid rosewood " +
  "coral jewellery tiger tooth claw bone shark fin macaw cockatoo hatchling juvenile pair adult wild caught"
).split(" ");
const common = (
  "old genuine real natural collection family estate grandfather hand made size weight length colour price " +
  "condition perfect rare beautiful small large new used quality best offer today week month available stock"
).split(" ");
const boilerplate = [
  "ship worldwide",
  "serious buyers only",
  "discreet packaging",
  "payment by bank transfer",
  "no time wasters",
  "message me for more photos",
  "collection only",
  "price negotiable",
];
// Enough distinct words that two generated adverts share few word pairs, as real ones do.
const rare = Array.from({ length: 20_000 }, (_, i) =>
  `w${i.toString(36)}x`.replace(/\d/g, (d) => "abcdefghij"[Number(d)]!),
);

function advert(n: number): { title: string; text: string; seller: string } {
  const words: string[] = [];
  const length = 25 + Math.floor(random() * 40);
  while (words.length < length) {
    const r = random();
    words.push(r < 0.2 ? pick(trade) : r < 0.45 ? pick(common) : r < 0.55 ? pick(boilerplate) : pick(rare));
  }
  const phone = `+${10 + (n % 80)} ${String(100_000_000 + ((n * 7_919) % 899_999_999))}`;
  return {
    title: `${pick(common)} ${pick(trade)} ${pick(trade)} ${pick(rare)}`,
    text: `${words.join(" ")}. WhatsApp ${phone}`,
    seller: `seller${n}`,
  };
}

/** A re-post: a few words replaced, the sentence halves swapped. */
function variant(original: { title: string; text: string; seller: string }) {
  const words = original.text.split(" ");
  for (let i = 0; i < 3; i++) words[Math.floor(random() * words.length)] = pick(rare);
  const half = Math.floor(words.length / 2);
  return { ...original, text: [...words.slice(half), ...words.slice(0, half)].join(" ") };
}

function picture(seed: number) {
  const width = 640;
  const height = 480;
  const pixels = new Uint8Array(width * height);
  const a = 3 + (seed % 7);
  const b = 2 + (seed % 5);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      pixels[y * width + x] = 128 + 100 * Math.sin((x / width) * a + seed) * Math.cos((y / height) * b);
    }
  }
  return { width, height, pixels };
}

export async function run(): Promise<void> {
  // ── Fingerprints per second ──
  const sample = Array.from({ length: 5_000 }, (_, i) => advert(i));
  let started = performance.now();
  for (const ad of sample) {
    textFingerprint(ad.title, ad.text);
    sellerKeys(ad);
  }
  const textRate = sample.length / ((performance.now() - started) / 1000);
  const pictures = Array.from({ length: 50 }, (_, i) => picture(i));
  started = performance.now();
  for (const image of pictures) differenceHash(image);
  const imageRate = pictures.length / ((performance.now() - started) / 1000);
  console.log(`text fingerprints + seller keys: ${Math.round(textRate).toLocaleString("en")} adverts/s`);
  console.log(`image dHash of 640×480 grey pixels: ${Math.round(imageRate).toLocaleString("en")} images/s`);

  // ── Candidate look-up over a stored corpus ──
  const directory = mkdtempSync(path.join(tmpdir(), "wildtrawl-bench-relisting-"));
  const store = await openStore(path.join(directory, "bench.db"));
  try {
    const org = await store.organisations.create({ slug: "bench", name: "Bench" }, "system:bench");
    const source = await store.sources.upsert({ organisationId: org.id, slug: "market", name: "Market" });
    const adverts: { title: string; text: string; seller: string }[] = [];
    const listingIds: number[] = [];
    started = performance.now();
    let fingerprintMs = 0;
    for (let start = 0; start < corpusSize; start += batchSize) {
      const batch: ListingObservation[] = [];
      for (let n = start; n < Math.min(corpusSize, start + batchSize); n++) {
        const ad = advert(n);
        adverts.push(ad);
        batch.push({
          sourceId: source.id,
          listingKey: `l${n}`,
          observedAt: new Date(Date.UTC(2026, 0, 1) + n * 1_000),
          url: `https://market.example/l${n}`,
          ...ad,
        });
      }
      const results = await store.listings.ingest(batch);
      const fingerprints: NewListingFingerprint[] = results.map((result, i) => {
        const ad = adverts[start + i]!;
        const text = textFingerprint(ad.title, ad.text);
        return {
          listingId: result.listingId,
          contentHash: "0".repeat(64),
          simhash: text.simhash,
          bands: text.bands,
          imageHashes: [],
          sellerKeys: sellerKeys(ad),
        };
      });
      listingIds.push(...results.map((result) => result.listingId));
      const fingerprintStart = performance.now();
      await store.relistings.recordFingerprints(fingerprints);
      fingerprintMs += performance.now() - fingerprintStart;
    }
    console.log(
      `stored ${corpusSize.toLocaleString("en")} listings with fingerprints in ${((performance.now() - started) / 1000).toFixed(1)} s ` +
        `(recordFingerprints: ${Math.round(corpusSize / (fingerprintMs / 1000)).toLocaleString("en")} fingerprints/s)`,
    );

    const measure = async (
      label: string,
      query: (i: number) => { bands: number[]; keys: string[]; expect?: number },
    ) => {
      const times: number[] = [];
      let candidates = 0;
      let found = 0;
      let expected = 0;
      for (let i = 0; i < lookups; i++) {
        const { bands, keys, expect } = query(i);
        const t = performance.now();
        const result = await store.relistings.findCandidates({
          organisationId: org.id,
          bands,
          lookupKeys: keys,
        });
        times.push(performance.now() - t);
        candidates += result.length;
        if (expect !== undefined) {
          expected++;
          if (result.some((c) => c.fingerprint.listingId === expect)) found++;
        }
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(2);
      console.log(
        `${label}: median ${at(0.5)} ms, p99 ${at(0.99)} ms, ${(candidates / lookups).toFixed(1)} candidates per look-up` +
          (expected > 0 ? `, original found in ${((100 * found) / expected).toFixed(1)}%` : ""),
      );
    };
    await measure("look-up of a re-posted variant (words only)", (i) => {
      const n = Math.floor((i * corpusSize) / lookups);
      const copy = variant(adverts[n]!);
      return { bands: [...textFingerprint(copy.title, copy.text).bands], keys: [], expect: listingIds[n] };
    });
    await measure("look-up of a variant by words and seller keys", (i) => {
      const n = Math.floor((i * corpusSize) / lookups) + 1;
      const copy = variant(adverts[n]!);
      return {
        bands: [...textFingerprint(copy.title, copy.text).bands],
        keys: sellerKeys(copy),
        expect: listingIds[n],
      };
    });
    await measure("look-up of an unrelated advert", (i) => {
      const other = advert(corpusSize + i);
      return { bands: [...textFingerprint(other.title, other.text).bands], keys: sellerKeys(other) };
    });
  } finally {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
