import { describe, it } from "node:test";
import assert from "node:assert/strict";
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

  it("gives equal keys to spellings of one name", () => {
    assert.equal(nameKey("Eléphant d'Afrique"), nameKey("ELEPHANT D AFRIQUE"));
    assert.equal(nameKey("  Blue-throated   Macaw "), "blue throated macaw");
    assert.equal(nameKey("穿山甲"), "穿山甲");
  });
});
