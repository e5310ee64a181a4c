import { hammingDistance, popCount32, toHex64 } from "./hashing.ts";
import { imageDistanceThreshold } from "./image-hash.ts";
import { featureSimilarity, textFeatures, type TextFeatures } from "./text-fingerprint.ts";

/**
 * The decision: is a listing the return of another that was removed or noticed, and why. Every reason is given with
 * how close it came, so a person can judge a borderline case.
 */

/** Why a listing is taken for another that was removed or noticed; each with how close it came. */
export type RelistingReason =
  | {
      readonly kind: "text";
      /** Jaccard similarity of the two texts' word pairs, 0 to 1. */
      readonly similarity: number;
      /** Bits in which the two SimHashes differ, of 64. */
      readonly simhashDistance: number;
    }
  | {
      readonly kind: "image";
      /** Bits in which the two dHashes differ, of 64. */
      readonly distance: number;
      /** The two images' hashes as 16 hex digits. */
      readonly originalImage: string;
      readonly newImage: string;
    }
  | { readonly kind: "seller"; readonly key: string }
  /** The removed listing itself came back at the same address or id. */
  | { readonly kind: "reappeared" };

/**
 * Word-pair Jaccard similarity at or above which two texts are the same advert. Measured on
 * test/fixtures/relisting (14 adverts in 8 languages, 31 re-posted variants, 932 pairs of different adverts, many
 * for the same species): variants score 0.32 to 1, different adverts at most 0.01. 0.2 keeps a wide margin on both
 * sides. SimHash alone does not separate short adverts (variants up to 26 bits apart, different adverts from 20),
 * so its distance is reported but does not decide.
 */
export const textSimilarityThreshold = 0.2;

export interface ComparableListing {
  readonly features: TextFeatures;
  readonly simhash: bigint;
  readonly imageHashes: readonly bigint[];
  readonly sellerKeys: readonly string[];
}

export { textFeatures };

/** A hash of a (nearly) uniform picture says nothing: every blank placeholder would match every other. */
export function isInformativeImageHash(hash: bigint): boolean {
  const unsigned = BigInt.asUintN(64, hash);
  const bits = popCount32(Number(unsigned & 0xffffffffn)) + popCount32(Number(unsigned >> 32n));
  return bits > 2 && bits < 62;
}

export function relistingReasons(
  original: ComparableListing,
  candidate: ComparableListing,
): RelistingReason[] {
  const reasons: RelistingReason[] = [];
  const similarity = featureSimilarity(original.features, candidate.features);
  if (similarity !== undefined && similarity >= textSimilarityThreshold) {
    reasons.push({
      kind: "text",
      similarity: Math.round(similarity * 1000) / 1000,
      simhashDistance: hammingDistance(original.simhash, candidate.simhash),
    });
  }
  let closest: { distance: number; originalImage: bigint; newImage: bigint } | undefined;
  for (const newImage of candidate.imageHashes) {
    if (!isInformativeImageHash(newImage)) continue;
    for (const originalImage of original.imageHashes) {
      if (!isInformativeImageHash(originalImage)) continue;
      const distance = hammingDistance(originalImage, newImage);
      if (distance <= imageDistanceThreshold && (!closest || distance < closest.distance)) {
        closest = { distance, originalImage, newImage };
      }
    }
  }
  if (closest) {
    reasons.push({
      kind: "image",
      distance: closest.distance,
      originalImage: toHex64(closest.originalImage),
      newImage: toHex64(closest.newImage),
    });
  }
  const originalKeys = new Set(original.sellerKeys);
  for (const key of candidate.sellerKeys) if (originalKeys.has(key)) reasons.push({ kind: "seller", key });
  return reasons;
}
