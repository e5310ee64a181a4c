/**
 * Small, fast, deterministic hashes for fingerprints. Not cryptographic: they only have to spread shingles evenly
 * and give the same value in every run, in Node and in the browser.
 */

/** MurmurHash3's finaliser: every input bit affects every output bit. */
export function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 units with a seed, finished by `mix32`. */
export function hashString32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** Bits set in a 32-bit value. */
export function popCount32(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

const low32 = 0xffffffffn;

/** Bits that differ between two 64-bit fingerprints (signed or unsigned: only the bit pattern counts). */
export function hammingDistance(a: bigint, b: bigint): number {
  const x = BigInt.asUintN(64, a ^ b);
  return popCount32(Number(x & low32)) + popCount32(Number(x >> 32n));
}

/** A 64-bit fingerprint from its two 32-bit halves, as the signed integer both databases store. */
export function fromHalves(high: number, low: number): bigint {
  return BigInt.asIntN(64, (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0));
}

/** A fingerprint as 16 hex digits, for people and JSON. */
export function toHex64(value: bigint): string {
  return BigInt.asUintN(64, value).toString(16).padStart(16, "0");
}

/** The inverse of `toHex64`; undefined unless `hex` is 1–16 hex digits. */
export function fromHex64(hex: string): bigint | undefined {
  if (!/^[0-9a-f]{1,16}$/i.test(hex)) return undefined;
  return BigInt.asIntN(64, BigInt(`0x${hex}`));
}
