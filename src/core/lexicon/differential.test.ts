/**
 * Differential tests: `prepareMatchText` and `Lexicon#scan` must give exactly the output recorded in
 * test/fixtures/lexicon/oracle.jsonl, which the first implementation (string n-grams, per-character objects)
 * produced for the 411 labelled adverts and for a fixed corpus of random adverts full of evasions. The rewrite (one
 * pass over code units, one trie of all keys) was held to it character by character, and any later change to either
 * function is held to it too.
 *
 * Re-record (after a deliberate change of behaviour, or after the reference data or vocabulary changed, which
 * the scan part detects through a fingerprint of data/):
 *   WILDTRAWL_RECORD_ORACLE=1 node --test src/core/lexicon/differential.test.ts
 * and review the diff of the fixture before committing it.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { defaultCuratedDataDir, defaultReferenceDataPath } from "../../config.ts";
import { loadLexicon } from "../../reference/load-lexicon.ts";
import { loadSpeciesIndex } from "../../reference/reference-file.ts";
import type { Lexicon, LexiconMatch } from "./lexicon.ts";
import { prepareMatchText, type MatchText } from "./match-text.ts";
import { evasiveAdverts } from "../../../test/support/evasive-adverts.ts";

const fixtureDir = new URL("../../../test/fixtures/", import.meta.url);
const oracleFile = new URL("lexicon/oracle.jsonl", fixtureDir);
const casesFile = new URL("detection/cases.jsonl", fixtureDir);
const recording = process.env.WILDTRAWL_RECORD_ORACLE === "1";

interface OracleRecord {
  /** The advert text. */
  readonly in: string;
  readonly text: string;
  /**
   * Per word its flags (1 unspaced, 2 deobfuscated) as one digit, when the words are exactly the space-separated
   * parts of `text`; otherwise start, end and flags of each word.
   */
  readonly words: string | number[];
  /** The offset map, run-length coded: [start − previous end, end − start, repeat]… */
  readonly map: number[];
  readonly scan: unknown[];
}

interface OracleHeader {
  readonly dataFingerprint: string;
  readonly inputs: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Encodings of the outputs. They are injective, so comparing encodings compares outputs.

function encodeWords(matchText: MatchText): string | number[] {
  const flags = matchText.words.map((word) => (word.unspaced ? 1 : 0) | (word.deobfuscated ? 2 : 0));
  let at = 0;
  const parts = matchText.text === "" ? [] : matchText.text.split(" ");
  const spaceSeparated =
    parts.length === matchText.words.length &&
    parts.every((part, index) => {
      const word = matchText.words[index];
      const same = word !== undefined && word.start === at && word.end === at + part.length;
      at += part.length + 1;
      return same;
    });
  if (spaceSeparated) return flags.join("");
  return matchText.words.flatMap((word, index) => [word.start, word.end, flags[index] as number]);
}

function encodeMap(matchText: MatchText): number[] {
  const runs: number[] = [];
  let previousEnd = 0;
  for (let at = 0; at < matchText.originalStart.length; at++) {
    const start = matchText.originalStart[at] as number;
    const end = matchText.originalEnd[at] as number;
    const gap = start - previousEnd;
    const span = end - start;
    const last = runs.length - 3;
    if (last >= 0 && runs[last] === gap && runs[last + 1] === span)
      runs[last + 2] = (runs[last + 2] as number) + 1;
    else runs.push(gap, span, 1);
    previousEnd = end;
  }
  return runs;
}

function encodeMatch(match: LexiconMatch): unknown[] {
  const hit = match.hit;
  const where = [match.start, match.end, match.words];
  const original = match.inOriginal ? [1] : [];
  switch (hit.type) {
    case "name":
      return ["n", ...where, [...hit.names], ...original];
    case "abbreviation":
      return ["a", ...where, [...hit.taxa], ...original];
    case "vocabulary":
      return ["v", ...where, [...hit.entries], ...original];
    case "fuzzy-name":
      return ["fn", ...where, [hit.taxon, hit.distance], ...original];
    case "fuzzy-vocabulary":
      return ["fv", ...where, [[...hit.entries], hit.distance], ...original];
  }
}

function record(input: string, lexicon: Lexicon): OracleRecord {
  const matchText = prepareMatchText(input);
  return {
    in: input,
    text: matchText.text,
    words: encodeWords(matchText),
    map: encodeMap(matchText),
    scan: lexicon.scan(matchText, input).map(encodeMatch),
  };
}

/** Identifies the reference data and vocabularies the scan results were recorded against. */
function dataFingerprint(): string {
  const hash = createHash("sha256");
  hash.update(readFileSync(defaultReferenceDataPath));
  const lexiconDir = path.join(defaultCuratedDataDir, "lexicon");
  for (const file of readdirSync(lexiconDir).sort()) {
    hash.update(file);
    hash.update(readFileSync(path.join(lexiconDir, file)));
  }
  return hash.digest("hex").slice(0, 16);
}

// ---------------------------------------------------------------------------------------------------------------

let lexicon: Lexicon;
let header: OracleHeader;
let records: OracleRecord[];

before(async () => {
  const species = await loadSpeciesIndex(defaultReferenceDataPath);
  lexicon = await loadLexicon(species, path.join(defaultCuratedDataDir, "lexicon"));
  if (recording) {
    const cases = readFileSync(casesFile, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => (JSON.parse(line) as { text: string }).text);
    const inputs = [...cases, "", " ", "#", "a b", "i v o", ...evasiveAdverts()];
    records = inputs.map((input) => record(input, lexicon));
    header = { dataFingerprint: dataFingerprint(), inputs: inputs.length };
    mkdirSync(new URL(".", oracleFile), { recursive: true });
    writeFileSync(oracleFile, [header, ...records].map((line) => JSON.stringify(line)).join("\n") + "\n");
    return;
  }
  const lines = readFileSync(oracleFile, "utf8").split("\n").filter(Boolean);
  header = JSON.parse(lines[0] as string) as OracleHeader;
  records = lines.slice(1).map((line) => JSON.parse(line) as OracleRecord);
});

describe("the recorded oracle", () => {
  it("covers the labelled adverts and the random corpus", () => {
    assert.equal(records.length, header.inputs);
    assert.ok(records.length > 2500);
  });

  it("prepareMatchText gives the recorded text, words and offset map for every input", () => {
    const failures: string[] = [];
    for (const expected of records) {
      const matchText = prepareMatchText(expected.in);
      const actual = { text: matchText.text, words: encodeWords(matchText), map: encodeMap(matchText) };
      try {
        assert.deepEqual(actual, { text: expected.text, words: expected.words, map: expected.map });
      } catch (error) {
        failures.push(`${JSON.stringify(expected.in)}: ${(error as Error).message}`);
      }
    }
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} inputs differ`);
  });

  it("Lexicon#scan gives the recorded matches, in the recorded order, for every input", (context) => {
    const fingerprint = dataFingerprint();
    assert.equal(
      fingerprint,
      header.dataFingerprint,
      "data/species.json.gz or data/lexicon changed since the scan oracle was recorded: re-record it " +
        "(WILDTRAWL_RECORD_ORACLE=1 node --test src/core/lexicon/differential.test.ts) and review the diff",
    );
    const failures: string[] = [];
    for (const expected of records) {
      const actual = lexicon.scan(prepareMatchText(expected.in), expected.in).map(encodeMatch);
      try {
        assert.deepEqual(actual, expected.scan);
      } catch (error) {
        failures.push(`${JSON.stringify(expected.in)}: ${(error as Error).message}`);
      }
    }
    context.diagnostic(`${records.reduce((sum, entry) => sum + entry.scan.length, 0)} matches compared`);
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} inputs differ`);
  });
});
