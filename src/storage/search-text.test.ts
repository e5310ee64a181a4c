import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import {
  fts5Document,
  parseSearchQuery,
  searchDocument,
  toFts5Match,
  tokenize,
  toTsquery,
  tsvectorLiteral,
} from "./search-text.ts";

describe("search tokens", () => {
  it("folds case, width and Latin accents, and keeps other scripts' marks", () => {
    assert.deepEqual(tokenize("Ngà VOI thật, Ｉｖｏｒｙ café"), ["nga", "voi", "that", "ivory", "cafe"]);
    assert.deepEqual(tokenize("đồng hồ"), ["dong", "ho"]);
    assert.deepEqual(tokenize("งาช้าง"), ["งา", "าช", "ช้", "้า", "าง"], "Thai keeps its tone mark (as pairs)");
    assert.deepEqual(tokenize("Слоновая кость"), ["слоновая", "кость"]);
  });

  it("indexes unspaced scripts as overlapping pairs, next to Latin words", () => {
    assert.deepEqual(tokenize("出售象牙手镯 ivory"), ["出售", "售象", "象牙", "牙手", "手镯", "ivory"]);
    assert.deepEqual(tokenize("象"), ["象"]);
    assert.deepEqual(tokenize("tiger虎骨"), ["tiger", "虎骨"]);
  });

  it("makes the tokens the rules say, character by character, for any text and on a word seen before", () => {
    // The rules as first written, with a Unicode-property regular expression per character; tokenize reads a
    // table of each character's traits and remembers words, and must agree with them exactly.
    const mark = /\p{M}/u;
    const unspacedScript =
      /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
    const strokeFolds: Record<string, string> = { đ: "d", ł: "l", ø: "o", ħ: "h" };
    const foldLatin = (word: string) => {
      let out = "";
      let previousIsLatin = false;
      for (const char of word.normalize("NFD")) {
        if (mark.test(char)) {
          if (!previousIsLatin) out += char;
          continue;
        }
        previousIsLatin = /\p{Script=Latin}/u.test(char);
        out += strokeFolds[char] ?? char;
      }
      return out.normalize("NFC");
    };
    const byTheRules = (text: string) => {
      const tokens: string[] = [];
      for (const [word] of text
        .normalize("NFKC")
        .toLowerCase()
        .matchAll(/[\p{L}\p{N}\p{M}]+/gu)) {
        const runs: Array<{ text: string; unspaced: boolean }> = [];
        for (const char of word) {
          const last = runs.at(-1);
          const unspaced = mark.test(char) ? (last?.unspaced ?? false) : unspacedScript.test(char);
          if (last?.unspaced === unspaced) last.text += char;
          else runs.push({ text: char, unspaced });
        }
        for (const run of runs) {
          const chars = Array.from(run.text);
          if (!run.unspaced) {
            const folded = foldLatin(run.text);
            if (folded.length <= 64) tokens.push(folded);
          } else if (chars.length === 1) tokens.push(run.text);
          else for (let i = 0; i + 1 < chars.length; i++) tokens.push(chars[i]! + chars[i + 1]!);
        }
      }
      return tokens;
    };
    const unit = fc.constantFrom(
      ..."aZ9 .-_\n'ÉéèNgàđŁøħ\u0301\u0323ồ象牙手镯ช้างงาカタカナひら한국어Слонتماحق١٢ｉｖＯ①ﬁİẞ\ud800".split(
        "",
      ),
      "𠀀",
      "𩸽",
      "x".repeat(40),
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 30 }), (text) => {
        const expected = byTheRules(text);
        assert.deepEqual(tokenize(text), expected);
        assert.deepEqual(tokenize(text), expected, "the second time, from remembered words");
      }),
      { numRuns: 2000 },
    );
  });

  it("drops runs too long to be words", () => {
    assert.deepEqual(tokenize(`a ${"x".repeat(65)} b`), ["a", "b"]);
  });

  it("builds a tsvector with the same tokens and positions as the FTS5 document", () => {
    assert.equal(searchDocument(["Ivory bangle", null, "ivory"]), "ivory bangle ivory");
    assert.equal(tsvectorLiteral(["Ivory bangle", null, "ivory"]), "'ivory':1,3 'bangle':2");
  });
});

describe("the document FTS5 indexes", () => {
  // Every token FTS5 stores for a document, with its position, read back through fts5vocab.
  function indexedTokens(document: string): string[] {
    const db = new DatabaseSync(":memory:");
    try {
      db.exec(`CREATE VIRTUAL TABLE docs USING fts5 (doc, tokenize = 'ascii');
        CREATE VIRTUAL TABLE words USING fts5vocab (docs, instance);`);
      db.prepare("INSERT INTO docs (rowid, doc) VALUES (1, ?)").run(document);
      return db
        .prepare("SELECT term, offset FROM words ORDER BY offset")
        .all()
        .map((row) => `${String(row.term)}@${String(row.offset)}`);
    } finally {
      db.close();
    }
  }

  it("gives FTS5 the same tokens at the same positions as the tokenized document, for any text", () => {
    const asciiText = fc.string({
      unit: fc.constantFrom(..."abcXYZ019 .,-_'\"!?/\n\t@#€é象ก".split(""), "w".repeat(30)),
      maxLength: 40,
    });
    fc.assert(
      fc.property(fc.array(fc.option(asciiText), { maxLength: 3 }), (parts) => {
        assert.deepEqual(indexedTokens(fts5Document(parts)), indexedTokens(searchDocument(parts)));
      }),
      { numRuns: 500 },
    );
  });

  it("hands plain ASCII over as it is, and tokenizes the rest", () => {
    assert.equal(fts5Document(["Carved IVORY, 12cm", null, "seller_1"]), "Carved IVORY, 12cm\nseller_1");
    assert.equal(fts5Document(["Ngà voi"]), "nga voi");
    assert.equal(fts5Document([`a ${"x".repeat(65)} b`]), "a b");
  });
});

describe("search queries", () => {
  it("parses words, phrases and prefixes into the same query for both databases", () => {
    const query = parseSearchQuery('carved "old ivory" ivor* 象牙');
    assert.deepEqual(query.groups, [
      { tokens: ["carved"], prefix: false },
      { tokens: ["old", "ivory"], prefix: false },
      { tokens: ["ivor"], prefix: true },
      { tokens: ["象牙"], prefix: false },
    ]);
    assert.equal(toFts5Match(query), '"carved" AND "old ivory" AND "ivor" * AND "象牙"');
    assert.equal(toTsquery(query), "('carved') & ('old' <-> 'ivory') & ('ivor':*) & ('象牙')");
  });

  it("splits joined words and finds a lone CJK character as the start of a pair", () => {
    assert.deepEqual(parseSearchQuery("t-shirt").groups, [
      { tokens: ["t"], prefix: false },
      { tokens: ["shirt"], prefix: false },
    ]);
    assert.deepEqual(parseSearchQuery("象").groups, [{ tokens: ["象"], prefix: true }]);
    assert.deepEqual(parseSearchQuery("象牙手镯").groups, [
      { tokens: ["象牙", "牙手", "手镯"], prefix: false },
    ]);
  });

  it("turns any input into a query made only of quoted tokens", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (input) => {
        const query = parseSearchQuery(input);
        for (const group of query.groups)
          for (const token of group.tokens) assert.match(token, /^[\p{L}\p{N}\p{M}]+$/u);
        assert.match(toFts5Match(query), /^("[^"]+"( \*)?( AND "[^"]+"( \*)?)*)?$/u);
      }),
      { numRuns: 500 },
    );
  });
});
