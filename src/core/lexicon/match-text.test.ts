import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { prepareMatchText, splitWords, WordFlag, type MatchText } from "./match-text.ts";

const words = (input: string) => {
  const prepared = prepareMatchText(input);
  return prepared.words.map((word) => prepared.text.slice(word.start, word.end));
};

/** The original characters behind the n-th word: what a reason quotes back to the analyst. */
const originalOfWord = (input: string, index: number) => {
  const prepared = prepareMatchText(input);
  const word = prepared.words[index];
  assert.ok(word, `no word ${index}`);
  return input.slice(prepared.originalStart[word.start], prepared.originalEnd[word.end - 1]);
};

describe("prepareMatchText undoes the tricks sellers use", () => {
  it("maps leetspeak and symbols inside words, but leaves numbers alone", () => {
    assert.deepEqual(words("IV0RY bangle p@ngolin rh1no 1500 usd"), [
      "ivory",
      "bangle",
      "pangolin",
      "rhino",
      "1500",
      "usd",
    ]);
  });
  it("joins spaced and dotted letters", () => {
    assert.deepEqual(words("i v o r y carving, t.u.s.k"), ["ivory", "carving", "tusk"]);
    assert.equal(originalOfWord("real i v o r y", 1), "i v o r y");
  });
  it("joins spaced letters of an unspaced script into a word of that script, marks and all", () => {
    const thai = prepareMatchText("ข า ย ง า ช้ า ง ราคาถูก");
    assert.deepEqual(
      thai.words.map((word) => [thai.text.slice(word.start, word.end), word.unspaced]),
      [
        ["ขายงาช้าง", true],
        ["ราคาถูก", true],
      ],
    );
    assert.equal(originalOfWord("出售 象 . 牙 . 手 . 镯", 1), "象 . 牙 . 手 . 镯");
    // Words of several characters stay apart, and a chain never runs from one script into another.
    assert.deepEqual(words("出售 象牙 手镯"), ["出售", "象牙", "手镯"]);
    assert.deepEqual(words("a b c 象 牙 手"), ["abc", "象牙手"]);
  });
  it("shrinks runs of a repeated letter but keeps real doubles", () => {
    assert.deepEqual(words("ivoryyyy Psittacus pangooolin"), ["ivory", "psittacus", "pangolin"]);
  });
  it("maps Cyrillic and Greek look-alikes inside Latin words, and leaves Russian alone", () => {
    assert.deepEqual(words("раngolin ivοry продам слоновую кость"), [
      "pangolin",
      "ivory",
      "продам",
      "слоновую",
      "кость",
    ]);
  });
  it("removes zero-width characters and folds full-width forms", () => {
    assert.deepEqual(words("i\u200Bvo\u200Dry Ｉｖｏｒｙ"), ["ivory", "ivory"]);
    assert.equal(originalOfWord("x Ｉｖｏｒｙ", 1), "Ｉｖｏｒｙ");
  });
  it("splits scripts written without spaces from others, and hashtags at their capitals", () => {
    assert.deepEqual(words("出售象牙ivory手镯"), ["出售象牙", "ivory", "手镯"]);
    assert.deepEqual(words("#IvoryForSale #ivory"), ["ivory", "for", "sale", "ivory"]);
  });
  it("keeps Thai marks, which are letters", () => {
    assert.deepEqual(words("งาช้าง แท้"), ["งาช้าง", "แท้"]);
  });
});

describe("prepareMatchText's arrays", () => {
  const wordTexts = (prepared: MatchText) =>
    Array.from({ length: prepared.wordCount }, (_, word) =>
      prepared.text.slice(prepared.wordData[3 * word], prepared.wordData[3 * word + 1]),
    );

  it("hold the same text, words and flags as the object form", () => {
    const prepared = prepareMatchText("Ｉｖｏｒｙ 象牙 p@ngolin слон");
    const units = Array.from({ length: prepared.text.length }, (_, at) => prepared.text.charCodeAt(at));
    assert.deepEqual(prepared.codes, units);
    assert.equal(prepared.originalStart.length, prepared.text.length);
    assert.deepEqual(wordTexts(prepared), ["ivory", "象牙", "pangolin", "слон"]);
    const flags = Array.from({ length: prepared.wordCount }, (_, word) => prepared.wordData[3 * word + 2]);
    assert.deepEqual(flags, [
      WordFlag.latinOnly,
      WordFlag.unspaced,
      WordFlag.latinOnly | WordFlag.deobfuscated,
      0,
    ]);
  });

  it("maps expansions and invisible characters back to the original", () => {
    const input = "Straße ﷺ\u200Bx";
    const prepared = prepareMatchText(input);
    assert.deepEqual(prepared.text.split(" ")[0], "strasse");
    const spans = Array.from(prepared.originalStart, (start, at) =>
      input.slice(start, prepared.originalEnd[at]),
    );
    assert.deepEqual(spans.slice(0, 7), ["S", "t", "r", "a", "ß", "ß", "e"]);
    assert.ok(prepared.codes.length > 20, "ﷺ becomes eighteen letters");
  });

  it("records the code points beyond ASCII that may begin an emoji", () => {
    assert.equal(prepareMatchText("ivory bangle").symbolMask, 0);
    const elephant = "🐘".codePointAt(0) as number;
    assert.notEqual(prepareMatchText("ivory 🐘 bangle").symbolMask & (1 << (elephant & 31)), 0);
  });

  it("gives each advert its own result, which later adverts leave alone", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "binary", maxLength: 300 }), { minLength: 2, maxLength: 20 }),
        (texts) => {
          const results = texts.map((text) => prepareMatchText(text));
          const again = texts.map((text) => prepareMatchText(text));
          results.forEach((result, index) => {
            const fresh = again[index] as MatchText;
            assert.equal(result.text, fresh.text);
            assert.deepEqual(result.words, fresh.words);
            assert.deepEqual([...result.originalStart], [...fresh.originalStart]);
            assert.deepEqual([...result.originalEnd], [...fresh.originalEnd]);
          });
        },
      ),
      { seed: 7, numRuns: 100 },
    );
  });

  it("reads characters met before (the table's loops) as it read them the first time (the general path)", () => {
    // Letters of many kinds, each used once: the first preparation of a text meets them for the first time and
    // reads them one by one with every rule spelt out, the second reads them from the table, most of them in the
    // loop over the rest of a word. Both must give the same result.
    const ranges: ReadonlyArray<readonly [number, number]> = [
      [0x100, 0x24f], // Latin with accents, some of which fold to ASCII
      [0x1e00, 0x1eff], // Vietnamese and other Latin letters with marks
      [0x300, 0x36f], // combining marks
      [0x370, 0x3ff], // Greek, with look-alikes of Latin letters
      [0x400, 0x4ff], // Cyrillic, the same
      [0x4e00, 0x9fff], // Han: no spaces between words
      [0x30a1, 0x30fa], // katakana
      [0xe01, 0xe4e], // Thai, whose marks are letters
      [0xac00, 0xd7a3], // Hangul
      [0xff01, 0xff5e], // full-width forms
    ];
    const next = ranges.map(([from]) => from);
    const fresh = (range: number) => {
      const [from, to] = ranges[range] as readonly [number, number];
      const codePoint = next[range] as number;
      next[range] = codePoint >= to ? from : codePoint + 1;
      return String.fromCharCode(codePoint);
    };
    const ascii = ["a", "i", "v", "o", "r", "y", "Y", "0", "1", "@", "$", "!", "|", " ", ".", "-", "#", "I"];
    // A fresh letter, once or repeated ("ivoryyy"), or a character of a fixed set.
    const token = fc.oneof(
      fc.constantFrom(...ascii),
      fc.tuple(fc.integer({ min: 0, max: ranges.length - 1 }), fc.constantFrom(1, 1, 2, 3)),
      fc.constantFrom("\u200B", "\u00AD", "ß", "ﬁ", "🐘", "\uD800"),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (tokens) => {
        const text = tokens
          .map((part) => (typeof part === "string" ? part : fresh(part[0]).repeat(part[1])))
          .join("");
        const first = prepareMatchText(text);
        const again = prepareMatchText(text);
        assert.deepEqual([...again.codes], [...first.codes]);
        assert.deepEqual([...again.originalStart], [...first.originalStart]);
        assert.deepEqual([...again.originalEnd], [...first.originalEnd]);
        assert.deepEqual([...again.wordData], [...first.wordData]);
      }),
      { seed: 23, numRuns: 2000 },
    );
  });

  it("keeps its invariants on any text: words are the space-separated parts, offsets stay inside the original", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (input) => {
        const prepared = prepareMatchText(input);
        assert.deepEqual(wordTexts(prepared), prepared.text === "" ? [] : prepared.text.split(" "));
        for (let at = 0; at < prepared.codes.length; at++) {
          const start = prepared.originalStart[at] as number;
          const end = prepared.originalEnd[at] as number;
          assert.ok(0 <= start && start <= end && end <= input.length, `${start}…${end} of ${input.length}`);
        }
      }),
      { seed: 11, numRuns: 500 },
    );
  });

  it("writes adverts that grow as they are read, in its own arrays and in arrays of their own", () => {
    // ﷺ becomes eighteen units: the arrays must make room for more units than the advert has.
    const expansion = prepareMatchText("ﷺ").text;
    for (const count of [1, 1000, 9000, 3]) {
      const prepared = prepareMatchText("ﷺ".repeat(count));
      assert.equal(prepared.text, expansion.repeat(count));
      assert.equal(prepared.originalStart[prepared.codes.length - 1], count - 1);
      assert.equal(prepared.originalEnd[prepared.codes.length - 1], count);
    }
  });

  it("handles very long adverts", () => {
    const long = "ivory bangle ".repeat(40_000);
    const prepared = prepareMatchText(long);
    assert.equal(prepared.wordCount, 80_000);
    assert.equal(prepared.text, long.trim());
  });
});

describe("splitWords", () => {
  it("puts a space that stands for no character at each cut, and the parts keep their word's flags", () => {
    const prepared = prepareMatchText("Alte Elfenb3infigur");
    const split = splitWords(prepared, [14]);
    assert.deepEqual(split.wordTexts(), ["alte", "elfenbein", "figur"]);
    assert.equal(split.originalStart[14], 14);
    assert.equal(split.originalEnd[14], 14);
    assert.equal("Alte Elfenb3infigur".slice(split.originalStart[15], split.originalEnd[19]), "figur");
    assert.equal(split.words[1]?.deobfuscated, true);
    assert.equal(split.words[2]?.deobfuscated, true);
    assert.equal(splitWords(prepared, []), prepared);
  });

  it("refuses a cut that is not inside a word", () => {
    const prepared = prepareMatchText("ivory bangle");
    assert.throws(() => splitWords(prepared, [5]), /cut 5 is not inside a word/);
    assert.throws(() => splitWords(prepared, [12]), /cut 12 is not inside a word/);
  });
});
