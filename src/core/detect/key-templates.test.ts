import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { defaultCuratedDataDir, defaultReferenceDataPath } from "../../config.ts";
import { loadLexicon } from "../../reference/load-lexicon.ts";
import { loadSpeciesIndex } from "../../reference/reference-file.ts";
import type { Lexicon } from "../lexicon/lexicon.ts";
import { analyseAdvert, detect, type Advert } from "./detect.ts";

// Two lexicons, so that each remembers only what its own adverts taught it.
let forwards: Lexicon;
let backwards: Lexicon;
before(async () => {
  const species = await loadSpeciesIndex(defaultReferenceDataPath);
  forwards = await loadLexicon(species, path.join(defaultCuratedDataDir, "lexicon"));
  backwards = await loadLexicon(species, path.join(defaultCuratedDataDir, "lexicon"));
});

// The same keys in adverts that must not share what a key becomes: other languages (a name's weight, which
// entry wins, whether dropped accents are plausible), accents written or not, and katakana names inside and
// outside longer words.
const adverts: Advert[] = [
  { text: "store for sale, sturgeon caviar 50 €", language: "en" },
  { text: "store for sale, sturgeon caviar 50 €", language: "de" },
  { text: "Störe zu verkaufen, Kaviar 50 €", language: "de" },
  { text: "store for sale, sturgeon caviar 50 €" },
  { text: "Bán vảy tê tê, giá 2.500.000₫", language: "vi" },
  { text: "Ban vay te te, gia 2.500.000d", language: "vi" },
  { text: "Ban vay te te, gia 2.500.000d", language: "en" },
  { text: "Bán hổ con, giá 50.000.000₫", language: "vi" },
  { text: "Bán hồ cá, giá 500.000₫", language: "vi" },
  { text: "tiger skin for sale $900", language: "en" },
  { text: "tiger for sale $900", language: "fr" },
  { text: "Bengal tiger skin for sale $900", language: "es" },
  { text: "カバ の 牙 販売 ¥38,000", language: "ja" },
  { text: "カバン 販売 ¥3,800", language: "ja" },
  { text: "阪神タイガース グッズ 販売 ¥3,000", language: "ja" },
  { text: "タイガー 毛皮 販売 ¥300,000", language: "ja" },
  { text: "ホシガメ 販売 ¥12,000", language: "ja" },
  { text: "Vendo periquito australiano, R$ 80", language: "pt" },
  { text: "Vendo periquito australiano, R$ 80", language: "de" },
  { text: "象牙の根付 販売中 価格 ¥38,000" },
  { text: "Vendo marfil de elefante tallado, 300 €", language: "es" },
  { text: "Vendo marfil de elefante tallado, 300 €", language: "pt-BR" },
  { text: "Selling elephant ivory bangle, DM for price", language: "en-GB" },
];

const results = (order: readonly Advert[], lexicon: Lexicon) =>
  new Map(
    order.map((advert) => [
      advert,
      JSON.stringify([detect(advert, lexicon), analyseAdvert(advert, lexicon)]),
    ]),
  );

describe("what a key becomes, remembered per key", () => {
  it("gives every advert the same answer whatever came before it", () => {
    // Of two adverts that share a key, each comes first (with nothing remembered) in one of the two orders.
    const inOrder = results(adverts, forwards);
    const reversed = results([...adverts].reverse(), backwards);
    const again = results(adverts, backwards);
    for (const advert of adverts) {
      assert.equal(reversed.get(advert), inOrder.get(advert), JSON.stringify(advert));
      assert.equal(again.get(advert), inOrder.get(advert), JSON.stringify(advert));
    }
  });
});
