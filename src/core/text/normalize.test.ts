import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { foldLatinDiacritics, nameKey, normalizeText } from "./normalize.ts";

describe("normalisation", () => {
  it("folds accents on Latin letters only", () => {
    assert.equal(
      foldLatinDiacritics("Eléphant Pangolín vảy tê tê Straße"),
      "Elephant Pangolin vay te te Strasse",
    );
    // Thai vowel and tone marks are letters: folding them would change the word (งาช้าง is ivory).
    assert.equal(foldLatinDiacritics("งาช้าง"), "งาช้าง");
    assert.equal(foldLatinDiacritics("слон"), "слон");
  });

  it("removes invisible characters and applies NFKC", () => {
    assert.equal(normalizeText("Ｉｖｏｒｙ\u200B"), "ivory");
    assert.equal(normalizeText("i\u00ADv\u200Do\uFEFFry"), "ivory");
  });

  it("gives what NFKC gives when it skips the normaliser for Latin text", () => {
    // The whole rule, spelt out for texts whose only invisible characters are a soft hyphen or a zero-width space.
    const spelledOut = (text: string) =>
      text
        .normalize("NFKC")
        .replace(/[\u00AD\u200B]/gu, "")
        .toLowerCase();
    // Every pair of units from the Latin blocks: a pair is where one character could compose with the next.
    const latinUnits: string[] = [];
    for (let unit = 0; unit < 0x1f00; unit++) {
      if (unit < 0x300 || unit >= 0x1e00) latinUnits.push(String.fromCharCode(unit));
    }
    const differing: string[] = [];
    for (const first of latinUnits) {
      for (const second of latinUnits) {
        if (normalizeText(first + second) !== spelledOut(first + second)) differing.push(first + second);
      }
    }
    assert.deepEqual(differing, []);
    assert.equal(normalizeText("Vảy Tê Tê ẞ ĲSSEL ǅ ſ ½ e\u0301"), "vảy tê tê ß ijssel dž s 1⁄2 é");
    const latinText = fc.string({
      unit: fc.constantFrom(...latinUnits, "\u0301", "\u00AD", "\u200B", "ﬁ", "Ｉ"),
    });
    fc.assert(fc.property(latinText, (text) => normalizeText(text) === spelledOut(text)));
  });

  it("gives equal keys to spellings of one name", () => {
    assert.equal(nameKey("Eléphant d'Afrique"), nameKey("ELEPHANT D AFRIQUE"));
    assert.equal(nameKey("  Blue-throated   Macaw "), "blue throated macaw");
    assert.equal(nameKey("穿山甲"), "穿山甲");
  });
});
