import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { canonicalJson, chainHash, genesisHash, verifyChain } from "./hash-chain.ts";

describe("hash chains", () => {
  it("hashes canonical JSON: key order does not matter, dates are UTC ISO 8601", () => {
    assert.equal(
      canonicalJson({ b: 1, a: [true, null, { d: "x", c: 2 }] }),
      '{"a":[true,null,{"c":2,"d":"x"}],"b":1}',
    );
    assert.equal(
      canonicalJson({ at: new Date("2026-03-01T10:00:00+02:00") }),
      '{"at":"2026-03-01T08:00:00.000Z"}',
    );
    assert.equal(chainHash(genesisHash, { a: 1, b: 2 }), chainHash(genesisHash, { b: 2, a: 1 }));
  });

  it("detects any edit, deletion, insertion or reordering at the right place", () => {
    type Entry = { id: number; prevHash: string; entryHash: string; note: string };
    const build = (notes: string[]) => {
      const entries: Entry[] = [];
      let prev = genesisHash;
      notes.forEach((note, i) => {
        const entryHash = chainHash(prev, { note });
        entries.push({ id: i + 1, prevHash: prev, entryHash, note });
        prev = entryHash;
      });
      return entries;
    };
    const fields = (e: Entry) => ({ note: e.note });
    fc.assert(
      fc.property(
        fc.array(fc.string(), { minLength: 2, maxLength: 12 }),
        fc.nat(),
        fc.constantFrom("edit", "delete", "swap"),
        (notes, n, change) => {
          const entries = build(notes);
          assert.equal(verifyChain(entries, fields), null);
          const i = n % (entries.length - 1);
          const tampered = [...entries];
          if (change === "edit") tampered[i] = { ...tampered[i]!, note: `${tampered[i]!.note}!` };
          if (change === "delete") tampered.splice(i, 1);
          if (change === "swap") [tampered[i], tampered[i + 1]] = [tampered[i + 1]!, tampered[i]!];
          const broken = verifyChain(tampered, fields);
          assert.notEqual(broken, null);
          assert.equal(broken!.index, i);
        },
      ),
      { numRuns: 300 },
    );
  });
});
