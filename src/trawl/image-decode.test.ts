import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { describe, it } from "node:test";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { hammingDistance } from "../core/similarity/hashing.ts";
import { imageDistanceThreshold } from "../core/similarity/image-hash.ts";
import { decodeImage, ImageDecodeError, imageHashOf, readImageHeader } from "./image-decode.ts";

/** A photo-like RGBA picture (shading, a disc, a bar), drawn at any size, optionally cropped by `crop` per side. */
function picture(width: number, height: number, subject: "lizard" | "bangle", crop = 0): Buffer {
  const rgba = Buffer.alloc(width * height * 4);
  const inner = 1 - 2 * crop;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = crop + (x / width) * inner;
      const v = crop + (y / height) * inner;
      let [r, g, b] =
        subject === "lizard"
          ? [40 + 150 * u, 90 + 60 * Math.sin(v * 6), 50 + 40 * v]
          : [220 - 120 * v, 200 - 80 * Math.cos(u * 9), 180 - 60 * u];
      if (subject === "lizard" && (u - 0.35) ** 2 + (v - 0.6) ** 2 < 0.05) [r, g, b] = [250, 240, 90];
      if (subject === "bangle" && Math.abs(Math.hypot(u - 0.5, v - 0.5) - 0.25) < 0.05)
        [r, g, b] = [30, 20, 10];
      const at = (y * width + x) * 4;
      rgba[at] = Math.round(r);
      rgba[at + 1] = Math.round(g);
      rgba[at + 2] = Math.round(b);
      rgba[at + 3] = 255;
    }
  }
  return rgba;
}

const png = (width: number, height: number, rgba: Buffer) => {
  const image = new PNG({ width, height });
  rgba.copy(image.data);
  return PNG.sync.write(image);
};
const jpg = (width: number, height: number, rgba: Buffer, quality: number) =>
  jpeg.encode({ width, height, data: rgba }, quality).data;

/** A PNG whose header declares `width` × `height` but whose data is a few bytes: a decompression bomb. */
function pngBomb(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type, "latin1"), data, Buffer.alloc(4)]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.alloc(1024))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const refusedWith = (code: string) => (error: unknown) =>
  error instanceof ImageDecodeError && error.code === code;

describe("image decoding and hashing", () => {
  const original = png(480, 360, picture(480, 360, "lizard"));
  const originalHash = imageHashOf(original);

  it("matches a resized copy, a JPEG re-encoding and a slightly cropped copy; not a different photo", () => {
    const distances = {
      resized: hammingDistance(originalHash, imageHashOf(png(160, 120, picture(160, 120, "lizard")))),
      reencoded: hammingDistance(originalHash, imageHashOf(jpg(480, 360, picture(480, 360, "lizard"), 35))),
      resizedJpeg: hammingDistance(originalHash, imageHashOf(jpg(301, 226, picture(301, 226, "lizard"), 60))),
      cropped: hammingDistance(originalHash, imageHashOf(png(450, 338, picture(450, 338, "lizard", 0.03)))),
      different: hammingDistance(originalHash, imageHashOf(jpg(480, 360, picture(480, 360, "bangle"), 80))),
    };
    for (const copy of ["resized", "reencoded", "resizedJpeg", "cropped"] as const) {
      assert.ok(distances[copy] <= imageDistanceThreshold, `${copy}: ${distances[copy]} bits apart`);
    }
    assert.ok(
      distances.different > 2 * imageDistanceThreshold,
      `different: ${distances.different} bits apart`,
    );
  });

  it("reads dimensions from the header without decoding", () => {
    assert.deepEqual(readImageHeader(original), { format: "png", width: 480, height: 360 });
    assert.deepEqual(readImageHeader(jpg(33, 21, picture(33, 21, "bangle"), 90)), {
      format: "jpeg",
      width: 33,
      height: 21,
    });
    assert.equal(decodeImage(original).pixels.length, 480 * 360);
  });

  it("refuses decompression bombs, oversized files, truncated files and other formats", () => {
    assert.throws(() => decodeImage(pngBomb(50_000, 50_000)), refusedWith("image_too_many_pixels"));
    const jpegBomb = Buffer.from(jpg(16, 16, picture(16, 16, "bangle"), 90));
    const sof = jpegBomb.findIndex((byte, i) => byte === 0xff && jpegBomb[i + 1] === 0xc0);
    jpegBomb.writeUInt16BE(60_000, sof + 5);
    jpegBomb.writeUInt16BE(60_000, sof + 7);
    assert.throws(() => decodeImage(jpegBomb), refusedWith("image_too_many_pixels"));
    assert.throws(
      () => decodeImage(original, { maxBytes: 1_000, maxPixels: 1e6 }),
      refusedWith("image_too_large"),
    );
    assert.throws(() => decodeImage(original.subarray(0, original.length / 2)), refusedWith("image_corrupt"));
    assert.throws(
      () => decodeImage(Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>")),
      refusedWith("image_format_unsupported"),
    );
    assert.throws(() => decodeImage(pngBomb(0, 10)), refusedWith("image_corrupt"));
  });
});
