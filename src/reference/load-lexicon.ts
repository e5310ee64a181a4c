import path from "node:path";
import { InvalidInputError, type InputProblem } from "../core/errors.ts";
import { Lexicon } from "../core/lexicon/lexicon.ts";
import {
  vocabularyColumns,
  vocabularyFromRows,
  type VocabularyEntry,
  type VocabularyRow,
} from "../core/lexicon/vocabulary.ts";
import type { SpeciesIndex } from "../core/species/species-index.ts";
import { readTsv, tsvFilesIn } from "./read-tables.ts";

/** Reads data/lexicon: one table per language (`# language: xx` at the top) and SOURCES.tsv. */
export async function readVocabulary(lexiconDir: string): Promise<VocabularyEntry[]> {
  const sources = await readTsv(path.join(lexiconDir, "SOURCES.tsv"), ["id", "title"]);
  const knownSources = new Set(sources.rows.map((row) => (row.cells.id ?? "").trim()));
  const rows: VocabularyRow[] = [];
  const problems: InputProblem[] = [];
  for (const file of await tsvFilesIn(lexiconDir)) {
    if (path.basename(file) === "SOURCES.tsv") continue;
    const table = await readTsv(file, vocabularyColumns);
    const lang = table.meta.language;
    if (!lang) {
      problems.push({ file, line: 1, message: 'add a "# language: xx" line at the top' });
      continue;
    }
    for (const row of table.rows) rows.push({ file, line: row.line, lang, cells: row.cells });
  }
  const { entries, problems: rowProblems } = vocabularyFromRows(rows, knownSources);
  problems.push(...rowProblems);
  if (problems.length > 0) throw new InvalidInputError("lexicon_invalid", problems);
  return entries;
}

export async function loadLexicon(species: SpeciesIndex, lexiconDir: string): Promise<Lexicon> {
  return new Lexicon(species, await readVocabulary(lexiconDir));
}
