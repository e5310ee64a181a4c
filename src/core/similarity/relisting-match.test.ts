import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fromHex64, hammingDistance, toHex64 } from "./hashing.ts";
import { differenceHash, greyFromRgba, imageDistanceThreshold, type GreyImage } from "./image-hash.ts";
import {
  isInformativeImageHash,
  relistingReasons,
  textFeatures,
  textSimilarityThreshold,
  type ComparableListing,
} from "./relisting-match.ts";
import { sellerKeys } from "./seller-keys.ts";
import {
  bandCount,
  featureSimilarity,
  fingerprintOf,
  fingerprintWords,
  textFingerprint,
} from "./text-fingerprint.ts";

interface Advert {
  readonly title: string;
  readonly text: string;
  readonly change?: string;
}
interface Group {
  readonly id: string;
  readonly species: string;
  readonly original: Advert;
  readonly variants: readonly Advert[];
}

const { groups } = JSON.parse(
  readFileSync(new URL("../../../test/fixtures/relisting/adverts.json", import.meta.url), "utf8"),
) as { groups: Group[] };

const comparable = (advert: Advert, images: bigint[] = []): ComparableListing => {
  const features = textFeatures(advert.title, advert.text);
  return {
    features,
    simhash: fingerprintOf(features).simhash,
    imageHashes: images,
    sellerKeys: sellerKeys(advert),
  };
};
const textOnly = (advert: Advert): ComparableListing => ({ ...comparable(advert), sellerKeys: [] });
const shareBand = (a: readonly number[], b: readonly number[]) => a.some((value, i) => value === b[i]);

describe("text fingerprints on re-posted adverts", () => {
  it("has real variants and adverts for the same species in the fixture", () => {
    assert.ok(groups.length >= 12);
    assert.ok(groups.reduce((n, g) => n + g.variants.length, 0) >= 30);
    const species = groups.map((g) => g.species);
    assert.ok(species.length - new Set(species).size >= 5, "several species have two different adverts");
  });

  it("recognises every variant by its words alone, and finds it through a shared band", () => {
    for (const group of groups) {
      const original = textOnly(group.original);
      for (const variant of group.variants) {
        const reasons = relistingReasons(original, textOnly(variant));
        const text = reasons.find((r) => r.kind === "text");
        assert.ok(text, `${group.id} (${variant.change}) is not recognised`);
        assert.ok(text.similarity >= textSimilarityThreshold);
        assert.ok(
          shareBand(
            textFingerprint(group.original.title, group.original.text).bands,
            textFingerprint(variant.title, variant.text).bands,
          ),
          `${group.id} (${variant.change}) shares no band: the look-up would not find it`,
        );
      }
    }
  });

  it("never takes one advert for another, even for the same species", () => {
    const all = groups.flatMap((group) =>
      [group.original, ...group.variants].map((advert) => ({ group, advert })),
    );
    let pairs = 0;
    let highest = 0;
    for (let i = 0; i < all.length; i++) {
      for (let k = i + 1; k < all.length; k++) {
        const a = all[i]!;
        const b = all[k]!;
        if (a.group === b.group) continue;
        pairs++;
        const similarity = featureSimilarity(textOnly(a.advert).features, textOnly(b.advert).features) ?? 0;
        highest = Math.max(highest, similarity);
        assert.deepEqual(
          relistingReasons(textOnly(a.advert), textOnly(b.advert)),
          [],
          `${a.group.id} matched ${b.group.id}`,
        );
      }
    }
    assert.ok(pairs > 900);
    assert.ok(highest < textSimilarityThreshold / 4, `different adverts came as close as ${highest}`);
  });

  it("reads through leetspeak, spaced letters, emoji, accents and prices", () => {
    const plain = fingerprintWords(
      "Ivory bangle",
      "Genuine ivory bangle, price $450, WhatsApp +1 415 555 0142",
    );
    assert.deepEqual(
      fingerprintWords("🐘 Iv0ry bangle", "Genuine i.v.o.r.y bangle ✨ price $380, WhatsApp +1 415 555 0199"),
      plain,
    );
    assert.deepEqual(plain, ["ivory", "bangle", "genuine", "ivory", "bangle", "price"]);
    assert.deepEqual(fingerprintWords(null, "象牙手镯"), ["象牙", "牙手", "手镯"]);
  });

  it("gives no bands and no text reason to a text too short to recognise", () => {
    const short = textFingerprint(null, "ivory for sale");
    assert.deepEqual(short.bands, []);
    const bands = textFingerprint(
      "Ivory bangle",
      "Genuine antique ivory bangle from an old collection",
    ).bands;
    assert.equal(bands.length, bandCount);
    assert.deepEqual(
      relistingReasons(
        textOnly({ title: "", text: "ivory for sale" }),
        textOnly({ title: "", text: "ivory for sale" }),
      ),
      [],
    );
  });

  it("is deterministic and stores its hashes as signed 64-bit integers", () => {
    const a = textFingerprint("Pangolin scales", "Dried pangolin scales in bulk, clean and sorted");
    const b = textFingerprint("Pangolin scales", "Dried pangolin scales in bulk, clean and sorted");
    assert.deepEqual(a, b);
    assert.ok(a.simhash >= -(2n ** 63n) && a.simhash < 2n ** 63n);
    assert.equal(fromHex64(toHex64(a.simhash)), a.simhash);
    assert.equal(hammingDistance(a.simhash, a.simhash), 0);
    assert.equal(hammingDistance(0n, -1n), 64);
  });
});

describe("seller keys", () => {
  it("recognises the same seller across platforms by phone, handle and name", () => {
    const vietnam = sellerKeys({ text: "liên hệ zalo 0912 345 678", seller: "Ngà Voi Xưa" });
    const telegram = sellerKeys({
      text: "inbox WhatsApp +84 912 345 678 or Telegram @NgaVoiXua",
      seller: "nga voi xua",
    });
    assert.deepEqual(vietnam, ["phone:912345678", "seller:ngavoixua"]);
    assert.ok(telegram.includes("phone:912345678") && telegram.includes("seller:ngavoixua"));
    assert.ok(telegram.includes("handle:ngavoixua"));
    assert.deepEqual(sellerKeys({ text: "no contact given", seller: "Seller" }), []);
    assert.deepEqual(sellerKeys({ text: "call me", seller: "Bo" }), [], "too short to identify anyone");
    assert.deepEqual(
      sellerKeys({ text: "keep in water, lined box, tgood condition" }),
      [],
      "an app's name inside a word is not a handle",
    );
  });

  it("makes a seller reason even when the words are all new", () => {
    const original = comparable({
      title: "Ivory bangle",
      text: "Old ivory bangle for sale, WhatsApp +1 415 555 0142",
    });
    const other = comparable({
      title: "Rhino horn cup",
      text: "Carved libation cup, contact +1 (415) 555-0142 on Signal",
    });
    assert.deepEqual(relistingReasons(original, other), [{ kind: "seller", key: "phone:155550142" }]);
  });
});

/** A photograph-like test picture: smooth shading with a few shapes, drawn at any size. */
function scene(
  width: number,
  height: number,
  variant: "a" | "b",
  crop = 0,
): GreyImage & { pixels: Uint8Array } {
  const pixels = new Uint8Array(width * height);
  const inner = 1 - 2 * crop;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = crop + (x / width) * inner;
      const v = crop + (y / height) * inner;
      let value =
        variant === "a" ? 60 + 120 * u + 40 * Math.sin(v * 7) : 200 - 150 * v + 30 * Math.cos(u * 11);
      if (variant === "a" && (u - 0.6) ** 2 + (v - 0.4) ** 2 < 0.04) value = 240;
      if (variant === "b" && u > 0.2 && u < 0.45 && v > 0.55) value = 20;
      pixels[y * width + x] = Math.max(0, Math.min(255, Math.round(value)));
    }
  }
  return { width, height, pixels };
}

describe("image difference hashes", () => {
  it("matches resized, brightened and slightly cropped copies, and not a different picture", () => {
    const original = differenceHash(scene(640, 480, "a"));
    const distances = {
      resized: hammingDistance(original, differenceHash(scene(211, 158, "a"))),
      cropped: hammingDistance(original, differenceHash(scene(600, 450, "a", 0.03))),
      brighter: hammingDistance(
        original,
        differenceHash({
          ...scene(640, 480, "a"),
          pixels: scene(640, 480, "a").pixels.map((p) => Math.min(255, p + 25)),
        }),
      ),
      different: hammingDistance(original, differenceHash(scene(640, 480, "b"))),
    };
    assert.ok(distances.resized <= imageDistanceThreshold, `resized: ${distances.resized}`);
    assert.ok(distances.cropped <= imageDistanceThreshold, `cropped: ${distances.cropped}`);
    assert.ok(distances.brighter <= imageDistanceThreshold, `brighter: ${distances.brighter}`);
    assert.ok(distances.different > imageDistanceThreshold * 2, `different: ${distances.different}`);
  });

  it("converts RGBA to grey with transparency as white, and ignores blank pictures", () => {
    const grey = greyFromRgba([255, 0, 0, 255, 0, 0, 0, 0], 2, 1);
    assert.deepEqual(Array.from(grey.pixels), [76, 255]);
    const blank = differenceHash({ width: 50, height: 50, pixels: new Uint8Array(2500).fill(128) });
    assert.equal(blank, 0n);
    assert.equal(isInformativeImageHash(blank), false);
    const original = comparable({ title: "a", text: "b" }, [blank]);
    assert.deepEqual(relistingReasons(original, comparable({ title: "c", text: "d" }, [blank])), []);
  });

  it("makes an image reason with the closest pair", () => {
    const photo = differenceHash(scene(300, 300, "a"));
    const copy = differenceHash(scene(120, 120, "a"));
    const reasons = relistingReasons(
      comparable({ title: "x", text: "y" }, [differenceHash(scene(300, 300, "b")), photo]),
      comparable({ title: "z", text: "w" }, [copy]),
    );
    assert.deepEqual(reasons, [
      {
        kind: "image",
        distance: hammingDistance(photo, copy),
        originalImage: toHex64(photo),
        newImage: toHex64(copy),
      },
    ]);
  });

  it("refuses pixels that do not fill the image", () => {
    assert.throws(() => differenceHash({ width: 10, height: 10, pixels: new Uint8Array(50) }), RangeError);
  });
});
