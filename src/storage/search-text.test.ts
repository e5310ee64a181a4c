import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
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

  it("drops runs too long to be words", () => {
    assert.deepEqual(tokenize(`a ${"x".repeat(65)} b`), ["a", "b"]);
  });

  it("builds a tsvector with the same tokens and positions as the FTS5 document", () => {
    assert.equal(searchDocument(["Ivory bangle", null, "ivory"]), "ivory bangle ivory");
    assert.equal(tsvectorLiteral(["Ivory bangle", null, "ivory"]), "'ivory':1,3 'bangle':2");
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
