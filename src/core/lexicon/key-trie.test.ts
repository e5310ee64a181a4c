import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { KeyTrie } from "./key-trie.ts";

/** Every key that a walk from the root over `text` passes, as [end, key]. */
function keysAlong(trie: KeyTrie, text: string): Array<[number, string]> {
  const found: Array<[number, string]> = [];
  let state = KeyTrie.root;
  for (let at = 0; at < text.length; at++) {
    state = trie.next(state, text.charCodeAt(at));
    if (state === KeyTrie.dead) break;
    const key = trie.keyAt(state);
    if (key >= 0) found.push([at + 1, trie.keys[key] as string]);
  }
  return found;
}

describe("KeyTrie", () => {
  const trie = new KeyTrie([
    "python",
    "python regius",
    "pangolin",
    "象牙",
    "象",
    "ivory",
    "ivory",
    "",
    "𠀀x",
  ]);

  it("keeps each distinct key once, sorted, and finds every one", () => {
    assert.deepEqual(trie.keys, ["ivory", "pangolin", "python", "python regius", "象", "象牙", "𠀀x"]);
    trie.keys.forEach((key, index) => assert.equal(trie.indexOf(key), index));
  });

  it("finds nothing that is not a key: prefixes, extensions, other text", () => {
    for (const text of ["pyth", "pythons", "python r", "ivor", "ivoryx", "", "牙", "x", "𠀀"]) {
      assert.equal(trie.indexOf(text), -1, text);
    }
  });

  it("reports every key a walk passes, through branches and tails", () => {
    assert.deepEqual(keysAlong(trie, "python regius for sale"), [
      [6, "python"],
      [13, "python regius"],
    ]);
    assert.deepEqual(keysAlong(trie, "象牙手镯"), [
      [1, "象"],
      [2, "象牙"],
    ]);
    assert.deepEqual(keysAlong(trie, "pangolins"), [[8, "pangolin"]]);
  });

  it("walks a run of units to the state `next` reaches unit by unit, from any state", () => {
    // Whole keys among the pieces, so that walks go deep, through branches and down tails.
    const piece = fc.constantFrom(
      "python",
      " regius",
      "pangolin",
      "ivory",
      "象牙",
      "p",
      "y",
      "r",
      " ",
      "象",
      "𠀀",
      "x",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), fc.nat(24), (pieces, split) => {
        const text = pieces.join("");
        const codes = Array.from({ length: text.length }, (_, at) => text.charCodeAt(at));
        // states[at]: the state after `at` units, read one by one.
        const states = [KeyTrie.root as number];
        for (const code of codes) {
          const state = states.at(-1) as number;
          states.push(state === KeyTrie.dead ? state : trie.next(state, code));
        }
        const cut = Math.min(split, codes.length);
        assert.equal(trie.walk(KeyTrie.root, codes, 0, codes.length), states[codes.length]);
        if (states[cut] !== KeyTrie.dead) {
          assert.equal(trie.walk(states[cut] as number, codes, cut, codes.length), states[codes.length]);
        }
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it("agrees with a set on random keys over a small alphabet, in every script", () => {
    const unit = fc.constantFrom("a", "b", "c", " ", "é", "象", "牙", "ก", "\u0E49", "천", "𠀀");
    const word = fc.array(unit, { minLength: 1, maxLength: 8 }).map((units) => units.join(""));
    fc.assert(
      fc.property(fc.array(word, { maxLength: 60 }), fc.array(word, { maxLength: 30 }), (keys, probes) => {
        const built = new KeyTrie(keys);
        const set = new Set(keys);
        assert.deepEqual(built.keys, [...set].sort());
        for (const probe of [...keys, ...probes]) {
          const index = built.indexOf(probe);
          assert.equal(index >= 0, set.has(probe), probe);
          if (index >= 0) assert.equal(built.keys[index], probe);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
