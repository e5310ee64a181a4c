import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { defaultLexiconDir, defaultReferenceDataPath } from "../../config.ts";
import { loadLexicon } from "../../reference/load-lexicon.ts";
import { loadSpeciesIndex } from "../../reference/reference-file.ts";
import { DeletionIndex, type Lexicon } from "./lexicon.ts";
import { withoutInflection } from "../text/normalize.ts";
import { prepareMatchText } from "./match-text.ts";

// The real reference data and vocabularies: what the scan has to handle is their size and variety.
let lexicon: Lexicon;
before(async () => {
  lexicon = await loadLexicon(await loadSpeciesIndex(defaultReferenceDataPath), defaultLexiconDir);
});

/** What was found, as "type: text" with the text as the advert wrote it. */
function found(advert: string): string[] {
  const prepared = prepareMatchText(advert);
  return lexicon.scan(prepared, advert).map((match) => {
    const start = match.inOriginal ? match.start : (prepared.originalStart[match.start] as number);
    const end = match.inOriginal ? match.end : (prepared.originalEnd[match.end - 1] as number);
    return `${match.hit.type}: ${advert.slice(start, end)}`;
  });
}

describe("Lexicon#scan", () => {
  it("matches keys of spaced scripts as whole words only, up to several words long", () => {
    assert.ok(found("Ball python babies").includes("name: Ball python"));
    assert.ok(found("Ball python babies").includes("name: python"));
    // (A near miss is still looked for: "ivoryx" is one edit from "ivory".)
    assert.deepEqual(found("ivoryx and pythonista"), ["fuzzy-vocabulary: ivoryx"]);
  });

  it("matches keys of unspaced scripts anywhere inside a word", () => {
    assert.ok(found("出售穿山甲片包邮").some((hit) => hit.endsWith(": 穿山甲")));
    assert.ok(found("ขายงาช้างแท้").some((hit) => hit.endsWith(": งาช้าง")));
  });

  it("looks words up without a Russian case ending or a Korean particle", () => {
    assert.ok(found("Продам бивень слона").some((hit) => hit.endsWith(": слона")));
    assert.ok(found("천산갑을 팝니다").some((hit) => hit.endsWith(": 천산갑을")));
    // An ending that replaces the key's own: попугая, попугаев are попугай's; шкуру шкура's, медведя медведь's.
    // A stem alone is no match: "как" (how) is the stem of кака (the kaka parrot), not the parrot.
    assert.deepEqual(found("как дела"), []);
    for (const word of ["попугая", "попугаев", "шкуру", "медведя"])
      assert.ok(
        found(`Продам ${word}`).includes(`name: ${word}`) ||
          found(`Продам ${word}`).includes(`vocabulary: ${word}`),
        word,
      );
  });

  it("reads a plural in -s as its singular's common names and words for things, nothing else", () => {
    const names = (advert: string) =>
      lexicon
        .scan(prepareMatchText(advert), advert)
        .flatMap((match) =>
          match.hit.type === "name"
            ? match.hit.names.map((name) => lexicon.species.names[name]?.kind)
            : match.hit.type === "vocabulary"
              ? match.hit.entries.map((entry) => lexicon.vocabulary[entry]?.kind)
              : [match.hit.type],
        );
    assert.ok(found("pangolins for sale").includes("name: pangolins"));
    assert.ok(found("two rhino horns").includes("vocabulary: rhino horns"));
    assert.ok(found("plush toys").includes("vocabulary: toys"));
    // A phrase whose first word is the plural, as Romance languages put the noun first.
    assert.ok(found("Vendo aletas de tiburón secas").includes("vocabulary: aletas de tiburón"));
    assert.ok(found("Défenses d'éléphant anciennes").includes("vocabulary: Défenses d'éléphant"));
    // "Pan" is a genus of apes, "ship" a sturgeon's common name and a word of selling: "pans", "ships" are neither.
    assert.ok(lexicon.keys.includes("pan") && lexicon.keys.includes("ship"));
    assert.deepEqual(names("cooking pans"), []);
    assert.ok(!names("ships free").includes("intent"));
    // A double s is no plural ending: "glass" is not "glas".
    assert.equal(withoutInflection("glass"), undefined);
    assert.equal(withoutInflection("pangolins"), "pangolin");
  });

  it("cuts exactly the endings and particles that withoutInflection cuts", () => {
    const keys = new Set(lexicon.keys);
    const suffixes = (alphabet: string, longest: number): string[] => {
      let level = [""];
      const all: string[] = [];
      for (let length = 1; length <= longest; length++) {
        level = level.flatMap((prefix) => [...alphabet].map((letter) => prefix + letter));
        all.push(...level);
      }
      return all;
    };
    let lemmas = 0;
    for (const [stem, alphabet, longest] of [
      ["слон", "аяуюеыиьогмвхй", 3],
      ["천산갑", "으로에서게까지부터처럼이랑하고을를가은는의도와과만", 2],
      ["pangolin", "s", 1],
      ["tusk", "s", 1],
    ] as const) {
      assert.ok(keys.has(stem), stem);
      for (const suffix of suffixes(alphabet, longest)) {
        const prepared = prepareMatchText(stem + suffix);
        const word = prepared.text;
        if (keys.has(word)) continue;
        const lemma = withoutInflection(word);
        const expected = lemma !== undefined && keys.has(lemma);
        if (expected) lemmas++;
        const whole = lexicon
          .scan(prepared, stem + suffix)
          .some((match) => match.start === 0 && match.end === word.length);
        assert.equal(whole, expected, `${word} → ${lemma}`);
      }
    }
    assert.ok(lemmas > 20);
  });

  it("finds abbreviated binomials, misspellings and emoji", () => {
    assert.ok(found("M. javanica scales").includes("abbreviation: M. javanica"));
    assert.ok(found("Psitacus erithacus hand reared").includes("fuzzy-name: Psitacus erithacus"));
    assert.ok(found("bangle 🐘 for sale").includes("vocabulary: 🐘"));
  });

  it("finds every emoji term in the text, in the order of the terms, whatever unit each begins with", () => {
    // CJK punctuation and currency signs pass the first filter, and the emoji begin with different units.
    const emoji = (advert: string) =>
      found(advert).filter((hit) => hit.startsWith("vocabulary: ") && !/\p{L}/u.test(hit.slice(12)));
    assert.deepEqual(emoji("象牙。¥500 ✈ 🐘🦷，🌳"), [
      "vocabulary: 🐘",
      "vocabulary: 🐘🦷",
      "vocabulary: 🦷",
      "vocabulary: 🌳",
      "vocabulary: ✈",
    ]);
    assert.deepEqual(emoji("象牙。¥500，包邮"), []);
  });

  it("holds every name, term and two-word abbreviation as a key", () => {
    assert.ok(lexicon.keyCount > 100_000);
    assert.ok(lexicon.keys.includes("loxodonta africana"));
    assert.ok(lexicon.keys.includes("m javanica"));
    assert.ok(lexicon.keys.includes("象牙"));
  });
});

describe("Lexicon#splitCompounds", () => {
  /** The words of the advert after cutting compounds, and what the scan then finds, as the advert wrote it. */
  const cut = (advert: string) => {
    const prepared = lexicon.splitCompounds(prepareMatchText(advert));
    const matches = lexicon.scan(prepared, advert).map((match) => {
      const start = prepared.originalStart[match.start] as number;
      const end = prepared.originalEnd[match.end - 1] as number;
      return `${match.hit.type}: ${advert.slice(start, end)}`;
    });
    return { words: prepared.wordTexts(), matches };
  };

  it("cuts a compound after a term or common name it begins with, and quotes the part as written", () => {
    assert.deepEqual(cut("Alte Elfenbeinfigur").words, ["alte", "elfenbein", "figur"]);
    assert.ok(cut("Alte Elfenbeinfigur").matches.includes("vocabulary: Elfenbein"));
    assert.ok(cut("Krokodilleder Tasche").matches.includes("name: Krokodil"));
    assert.deepEqual(cut("상아팔찌를 팝니다").words, ["상아", "팔찌를", "팝니다"]);
  });

  it("cuts before a term a compound ends with, so that a phrase of the vocabulary reads across the cut", () => {
    assert.deepEqual(cut("Schildpattoptik Brille").words, ["schildpatt", "optik", "brille"]);
    assert.ok(cut("Schildpattoptik Brille").matches.includes("vocabulary: Schildpattoptik"));
    assert.deepEqual(cut("Walrosselfenbein").words, ["walross", "elfenbein"]);
  });

  it("leaves keys, inflected keys, short parts and words of other languages whole", () => {
    const unchanged = [
      "Elfenbeinschnitzerei", // a key of its own
      "Mammutelfenbein", // likewise: a substitute, not ivory
      "천산갑을", // a key with a particle
      "상아탑", // 상아 + one syllable: the ivory tower
      "Wolfgang", // a name of four letters begins it
      "storage", // "stor", a German name of the sturgeon, is too short
      "Elfenbeins", // the rest is too short to be a word
      "#ivorycarving", // only languages that compound are cut
    ];
    for (const advert of unchanged) {
      const prepared = prepareMatchText(advert);
      assert.equal(lexicon.splitCompounds(prepared), prepared, advert);
    }
  });

  it("keeps every unit's place in the original, whatever it cuts", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom("Elfenbein", "kette", "Schildpatt", "kamm", " ", "-", "상아", "팔찌", "é", "x"),
          {
            maxLength: 12,
          },
        ),
        (parts) => {
          const advert = parts.join("");
          const prepared = prepareMatchText(advert);
          const split = lexicon.splitCompounds(prepared);
          // Without the spaces put in, the text and its map back to the original are the same.
          const kept = [...split.codes.keys()].filter(
            (at) => split.codes[at] !== 0x20 || split.originalStart[at] !== split.originalEnd[at],
          );
          assert.deepEqual(
            kept.map((at) => split.codes[at]),
            prepared.codes,
          );
          assert.deepEqual(
            kept.map((at) => split.originalStart[at]),
            prepared.originalStart,
          );
          assert.equal(split.wordCount >= prepared.wordCount, true);
        },
      ),
    );
  });
});

describe("DeletionIndex#mayBeNear", () => {
  it("answers a word it has seen as it answered it the first time", () => {
    // Few letters, so that words come back, and many words, so that they fight over the remembered slots.
    const targets = ["pangolin", "ivory", "python", "psittacus", "manis", "rhino", "loxodonta"];
    const letter = fc.constantFrom(..."aginoprstvy");
    // Near misses of the targets, so that some answers are "yes", and other words.
    const nearMiss = fc
      .tuple(fc.constantFrom(...targets), fc.nat(), letter, fc.constantFrom(0, 1, 2))
      .map(([target, at, added, edit]) => {
        const cut = at % (target.length + 1);
        const after = edit === 0 ? cut : cut + 1;
        return target.slice(0, cut) + (edit === 2 ? "" : added) + target.slice(after);
      });
    const word = fc.oneof(nearMiss, fc.string({ unit: letter, minLength: 0, maxLength: 18 }));
    const codesOf = (text: string) => Array.from(text, (character) => character.charCodeAt(0));
    fc.assert(
      fc.property(fc.array(word, { minLength: 1000, maxLength: 1500 }), (queries) => {
        const index = new DeletionIndex(targets);
        // Each word's first answer, from an index that has seen no other word.
        const fresh = new Map<string, boolean>();
        for (const query of [...queries, ...queries]) {
          const codes = codesOf(`x${query}`);
          let expected = fresh.get(query);
          if (expected === undefined) {
            expected = new DeletionIndex(targets).mayBeNear(codes, 1, query.length);
            fresh.set(query, expected);
          }
          assert.equal(index.mayBeNear(codes, 1, query.length), expected, query);
        }
      }),
      { seed: 5, numRuns: 10 },
    );
  });
});
