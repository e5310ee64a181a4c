// Regenerates data/names/birdnet-v2.4.tsv from the BirdNET names that ../shared/data/cites/names.tsv joined to
// listed birds (exact scientific names). Run: node scripts/extract-birdnet-names.ts [path/to/names.tsv]
import { readFile, writeFile } from "node:fs/promises";

const input = process.argv[2] ?? new URL("../../shared/data/cites/names.tsv", import.meta.url).pathname;
const output = new URL("../data/names/birdnet-v2.4.tsv", import.meta.url).pathname;

const rows = (await readFile(input, "utf8"))
  .split("\n")
  .slice(1)
  .map((line) => line.split("\t"))
  .filter((cells) => cells[6] === "birdnet-v2.4" && cells[4] === "common")
  // English and the species' Spanish and French names come from Species+ already; BirdNET's add the rest.
  .filter((cells) => !["en-GB"].includes(cells[5] ?? ""))
  .map(([, scientificName, , name, , lang]) => `${scientificName}\t${lang}\t${name}`);

const unique = [...new Set(rows)].sort();
await writeFile(
  output,
  [
    "# source: BirdNET-Analyzer V2.4 species labels in 37 languages (birdnet-team/BirdNET-Analyzer, labels/V2.4, commit a3d6ee3ed1fe0e8001a29c381c692004ec28598c), joined to CITES-listed birds by exact scientific name; untranslated English fallbacks removed",
    "# date: 2026-05-10",
    "# licence: CC BY-NC-SA 4.0 (shipped with the BirdNET models): non-commercial, share-alike, attribution to the BirdNET team",
    "scientific_name\tlang\tname",
    ...unique,
    "",
  ].join("\n"),
);
console.log(`${unique.length} names written to ${output}`);
