import { findPatternSignals } from "../detect/signals.ts";
import { prepareMatchText, WordFlag } from "../lexicon/match-text.ts";
import { fromHalves, hashString32, mix32 } from "./hashing.ts";

/**
 * Fingerprints of an advert's words, to recognise the same advert posted again after it was removed: reworded a
 * little, its sentences reordered, its price changed, emoji added, another language's boilerplate appended, its
 * words spelt with leetspeak or spaced letters.
 *
 * The words are the lexicon's match text (NFKC, case fold, accents folded, leetspeak, look-alikes and spacing
 * undone) of the title and text, without the prices, phone numbers, handles and links (a price is what a seller
 * changes first; contacts are compared as seller keys instead) and without anything else holding a digit. Words of
 * scripts written without spaces (Chinese, Japanese, Thai) become character pairs. Features are pairs of
 * consecutive words: single words are shared by every advert for the same species ("ivory", "bangle", "ship"),
 * pairs are what makes one advert's wording its own.
 *
 * Two fingerprints come from those features:
 * - a 64-bit SimHash (Charikar): near-duplicates differ in few bits. Stored and reported; for adverts as short as
 *   these it is too coarse to decide alone (see `textSimilarityThreshold` in relisting-match.ts).
 * - MinHash LSH bands: `bandCount` values, each a hash of `rowsPerBand` minimum hashes. Two adverts whose feature
 *   sets have Jaccard similarity J share at least one band with probability 1 − (1 − J^r)^b, so stored adverts are
 *   found by an indexed equality look-up instead of a scan, and unrelated adverts (J ≈ 0) are never candidates.
 */

// 16 bands of 2 rows: a pair of adverts at J = 0.32 (the least similar re-post measured) shares a band with
// probability 0.82, at J = 0.5 with 0.99; at J = 0.05 (same species, different advert) with 0.04. One row per band
// found every re-post too, but words common to many adverts made every look-up return hundreds of candidates.
export const bandCount = 16;
export const rowsPerBand = 2;

/** Texts with fewer features than this say too little to be recognised: no bands, no text match. */
export const minimumFeatures = 4;

export interface TextFingerprint {
  /** Signed 64-bit SimHash, as stored. */
  readonly simhash: bigint;
  /** `bandCount` signed 32-bit band values; empty when the text has fewer than `minimumFeatures` features. */
  readonly bands: readonly number[];
  /** How many distinct features the fingerprint was made from. */
  readonly featureCount: number;
}

/** The words an advert's fingerprint is made of, in order. Exported for tests and measurements. */
export function fingerprintWords(title: string | null | undefined, text: string): string[] {
  const words: string[] = [];
  for (const part of [title ?? "", text]) {
    const match = prepareMatchText(withoutSignals(part));
    for (let w = 0; w < match.wordCount; w++) {
      const start = match.wordData[w * 3] as number;
      const end = match.wordData[w * 3 + 1] as number;
      const flags = match.wordData[w * 3 + 2] as number;
      const word = match.text.slice(start, end);
      if (/\p{Nd}/u.test(word)) continue;
      if (flags & WordFlag.unspaced) {
        const characters = [...word];
        if (characters.length === 1) words.push(word);
        for (let i = 0; i + 1 < characters.length; i++) words.push(`${characters[i]}${characters[i + 1]}`);
      } else {
        words.push(word);
      }
    }
  }
  return words;
}

/** The text with prices, contacts and links blanked out (one space each, so words either side stay apart). */
function withoutSignals(text: string): string {
  if (text.length === 0) return text;
  let kept = "";
  let from = 0;
  for (const signal of findPatternSignals(text)) {
    if (signal.start < from) continue;
    kept += `${text.slice(from, signal.start)} `;
    from = signal.end;
  }
  return kept + text.slice(from);
}

/** Pairs of consecutive words, each once; a text of one word is that word. */
function features(words: readonly string[]): Set<string> {
  const found = new Set<string>();
  if (words.length === 1) found.add(words[0] as string);
  for (let i = 0; i + 1 < words.length; i++) found.add(`${words[i]} ${words[i + 1]}`);
  return found;
}

const seedHigh = 0x5bd1e995;
const seedLow = 0x1b873593;
const seedMin = 0x68e31da4;

export function textFingerprint(title: string | null | undefined, text: string): TextFingerprint {
  return fingerprintOf(textFeatures(title, text));
}

/** The fingerprint of features already extracted (the service needs both). */
export function fingerprintOf(textFeatures: TextFeatures): TextFingerprint {
  const found = textFeatures.features;
  const votes = new Int32Array(64);
  const rows = bandCount * rowsPerBand;
  const minimums = new Uint32Array(rows).fill(0xffffffff);
  for (const feature of found) {
    const high = hashString32(feature, seedHigh);
    const low = hashString32(feature, seedLow);
    for (let bit = 0; bit < 32; bit++) {
      votes[bit] = (votes[bit] as number) + (((high >>> bit) & 1) === 1 ? 1 : -1);
      votes[bit + 32] = (votes[bit + 32] as number) + (((low >>> bit) & 1) === 1 ? 1 : -1);
    }
    const base = hashString32(feature, seedMin);
    for (let row = 0; row < rows; row++) {
      const value = mix32(base ^ Math.imul(row + 1, 0x9e3779b9));
      if (value < (minimums[row] as number)) minimums[row] = value;
    }
  }
  let high = 0;
  let low = 0;
  for (let bit = 0; bit < 32; bit++) {
    if ((votes[bit] as number) > 0) high |= 1 << bit;
    if ((votes[bit + 32] as number) > 0) low |= 1 << bit;
  }
  const bands: number[] = [];
  if (found.size >= minimumFeatures) {
    for (let band = 0; band < bandCount; band++) {
      let h = mix32(band + 1);
      for (let row = 0; row < rowsPerBand; row++) {
        h = mix32(h ^ (minimums[band * rowsPerBand + row] as number));
      }
      bands.push(h | 0);
    }
  }
  return { simhash: fromHalves(high, low), bands, featureCount: found.size };
}

/** An advert's features, kept to compare it exactly with a candidate the bands found. */
export interface TextFeatures {
  readonly features: ReadonlySet<string>;
}

export function textFeatures(title: string | null | undefined, text: string): TextFeatures {
  return { features: features(fingerprintWords(title, text)) };
}

/**
 * Jaccard similarity of two texts' features: what the bands estimate. Undefined when either text has fewer than
 * `minimumFeatures` features: too short to say.
 */
export function featureSimilarity(a: TextFeatures, b: TextFeatures): number | undefined {
  if (a.features.size < minimumFeatures || b.features.size < minimumFeatures) return undefined;
  let shared = 0;
  for (const feature of a.features) if (b.features.has(feature)) shared++;
  return shared / (a.features.size + b.features.size - shared);
}
