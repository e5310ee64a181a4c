import { fromHalves } from "./hashing.ts";

/**
 * A 64-bit difference hash (dHash) of a picture: shrink it to 9×8 grey cells, then one bit per pair of neighbours
 * in a row, set when the left cell is brighter. It survives what a seller does to a photo when posting it again —
 * resizing, re-encoding, recompressing, a slight crop or brightness change — because it keeps only the coarse
 * gradients. Decoding files is not done here (see src/trawl/image-decode.ts): this works on pixels.
 */

/** Luminance 0–255, row by row. */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly pixels: ArrayLike<number>;
}

/** Bits of dHash distance at or below which two pictures are the same photo; see the tests for the measurements. */
export const imageDistanceThreshold = 10;

/** Grey levels (ITU-R BT.601 weights) from RGBA bytes; transparent pixels count as white, as pages show them. */
export function greyFromRgba(rgba: ArrayLike<number>, width: number, height: number): GreyImage {
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++) {
    const alpha = (rgba[i * 4 + 3] as number) / 255;
    const luminance =
      0.299 * (rgba[i * 4] as number) +
      0.587 * (rgba[i * 4 + 1] as number) +
      0.114 * (rgba[i * 4 + 2] as number);
    pixels[i] = Math.round(luminance * alpha + 255 * (1 - alpha));
  }
  return { width, height, pixels };
}

/** The image shrunk to `columns` × `rows` by averaging the (fractional) area each cell covers. */
export function shrink(image: GreyImage, columns: number, rows: number): Float64Array {
  const { width, height, pixels } = image;
  if (width < 1 || height < 1 || pixels.length < width * height) {
    throw new RangeError(`a ${width}×${height} image needs ${width * height} pixels, got ${pixels.length}`);
  }
  const cells = new Float64Array(columns * rows);
  const cellWidth = width / columns;
  const cellHeight = height / rows;
  for (let row = 0; row < rows; row++) {
    const top = row * cellHeight;
    const bottom = top + cellHeight;
    for (let column = 0; column < columns; column++) {
      const left = column * cellWidth;
      const right = left + cellWidth;
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(top); y < Math.min(height, Math.ceil(bottom)); y++) {
        const coverY = Math.min(bottom, y + 1) - Math.max(top, y);
        for (let x = Math.floor(left); x < Math.min(width, Math.ceil(right)); x++) {
          const cover = coverY * (Math.min(right, x + 1) - Math.max(left, x));
          sum += (pixels[y * width + x] as number) * cover;
          area += cover;
        }
      }
      cells[row * columns + column] = area > 0 ? sum / area : 0;
    }
  }
  return cells;
}

export function differenceHash(image: GreyImage): bigint {
  const cells = shrink(image, 9, 8);
  let high = 0;
  let low = 0;
  for (let row = 0; row < 8; row++) {
    for (let column = 0; column < 8; column++) {
      const brighter = (cells[row * 9 + column] as number) > (cells[row * 9 + column + 1] as number);
      if (!brighter) continue;
      const bit = row * 8 + column;
      if (bit < 32) low |= 1 << bit;
      else high |= 1 << (bit - 32);
    }
  }
  return fromHalves(high, low);
}

/**
 * The hash's four 16-bit blocks as look-up keys ("image:<block>:<hex>"): two hashes at most 3 bits apart share at
 * least one block (pigeonhole), so stored photos are found by equality instead of a scan.
 */
export function imageHashBlocks(hash: bigint): string[] {
  const unsigned = BigInt.asUintN(64, hash);
  return [0, 1, 2, 3].map(
    (block) => `image:${block}:${((unsigned >> BigInt(block * 16)) & 0xffffn).toString(16).padStart(4, "0")}`,
  );
}
