import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { WildtrawlError } from "../core/errors.ts";
import { differenceHash, greyFromRgba, type GreyImage } from "../core/similarity/image-hash.ts";
import type { Fetch } from "./fetcher.ts";

/**
 * Decodes advert photos (JPEG, PNG) to grey pixels for the re-listing detector's image hashes. Images come from
 * hostile sites, so sizes are checked before anything is decompressed: the file's bytes, then the dimensions its
 * header declares, so that a small file claiming 50,000 × 50,000 pixels (a decompression bomb) is refused without
 * allocating its pixels.
 */

export interface ImageLimits {
  /** Largest file accepted. */
  readonly maxBytes: number;
  /** Largest width × height accepted: decoding takes 4 bytes per pixel. */
  readonly maxPixels: number;
}

export const defaultImageLimits: ImageLimits = Object.freeze({
  maxBytes: 8 * 1024 * 1024,
  maxPixels: 16_000_000,
});

/** `image_too_large`, `image_too_many_pixels`, `image_format_unsupported`, `image_corrupt`, `image_unavailable`. */
export class ImageDecodeError extends WildtrawlError {}

export type ImageFormat = "png" | "jpeg";

export interface ImageHeader {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
}

const pngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format and dimensions a file declares, read from its header without decoding it. */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  if (pngSignature.every((byte, i) => bytes[i] === byte)) {
    if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== "IHDR") {
      throw new ImageDecodeError("image_corrupt", "a PNG without its IHDR header");
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { format: "png", width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return { format: "jpeg", ...jpegDimensions(bytes) };
  throw new ImageDecodeError("image_format_unsupported", "not a PNG or JPEG file (by its first bytes)");
}

function jpegDimensions(bytes: Uint8Array): { width: number; height: number } {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff)
      throw new ImageDecodeError("image_corrupt", `a JPEG with no marker at byte ${at}`);
    const marker = bytes[at + 1] as number;
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
    // Start of frame: every SOFn except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > bytes.length) break;
      const height = ((bytes[at + 5] as number) << 8) | (bytes[at + 6] as number);
      const width = ((bytes[at + 7] as number) << 8) | (bytes[at + 8] as number);
      return { width, height };
    }
    if (length < 2) throw new ImageDecodeError("image_corrupt", `a JPEG segment of length ${length}`);
    at += 2 + length;
  }
  throw new ImageDecodeError("image_corrupt", "a JPEG without a frame header");
}

/** Grey pixels of a PNG or JPEG file, within `limits`. */
export function decodeImage(bytes: Uint8Array, limits: ImageLimits = defaultImageLimits): GreyImage {
  if (bytes.byteLength > limits.maxBytes) {
    throw new ImageDecodeError(
      "image_too_large",
      `an image of ${bytes.byteLength} bytes; at most ${limits.maxBytes} are read`,
    );
  }
  const header = readImageHeader(bytes);
  const pixels = header.width * header.height;
  if (header.width < 1 || header.height < 1) {
    throw new ImageDecodeError("image_corrupt", `an image of ${header.width} × ${header.height} pixels`);
  }
  if (pixels > limits.maxPixels) {
    throw new ImageDecodeError(
      "image_too_many_pixels",
      `a ${header.format} of ${header.width} × ${header.height} pixels; at most ${limits.maxPixels} are decoded`,
    );
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (header.format === "png") {
      const png = PNG.sync.read(buffer);
      return greyFromRgba(png.data, png.width, png.height);
    }
    const decoded = jpeg.decode(buffer, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: limits.maxPixels / 1_000_000,
      maxMemoryUsageInMB: Math.ceil((limits.maxPixels * 4 * 2) / (1024 * 1024)),
    });
    return greyFromRgba(decoded.data, decoded.width, decoded.height);
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw new ImageDecodeError("image_corrupt", `a ${header.format} that does not decode: ${String(error)}`, {
      cause: error,
    });
  }
}

/** The 64-bit difference hash of an image file. */
export function imageHashOf(bytes: Uint8Array, limits: ImageLimits = defaultImageLimits): bigint {
  return differenceHash(decodeImage(bytes, limits));
}

/**
 * Image downloads through the fetcher (SSRF vetting, robots.txt, rate limits, body caps): the body capped at the
 * image limit, anything but HTTP 200 refused.
 */
export function imageDownloader(
  fetch: Fetch,
  limits: ImageLimits = defaultImageLimits,
): (url: URL) => Promise<Uint8Array> {
  return async (url) => {
    const result = await fetch(url, {
      maxBodyBytes: limits.maxBytes,
      headers: { accept: "image/png,image/jpeg;q=0.9,*/*;q=0.1" },
    });
    if (result.status !== 200) {
      throw new ImageDecodeError("image_unavailable", `${url.href}: HTTP ${result.status}`);
    }
    return result.body;
  };
}
