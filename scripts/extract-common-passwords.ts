// Regenerates data/passwords/common-passwords.txt: the 10,000 most common breached passwords of 8 or more characters
// (shorter ones are refused by length already), lower-cased, in order of frequency. Input: src/passwords.json of the
// npm package @zxcvbn-ts/language-common 4.1.3 (`npm pack @zxcvbn-ts/language-common@4.1.3`, then untar).
// Run: node scripts/extract-common-passwords.ts path/to/package/src/passwords.json
import { readFile, writeFile } from "node:fs/promises";

const input = process.argv[2];
if (input === undefined)
  throw new Error("usage: node scripts/extract-common-passwords.ts path/to/passwords.json");
const output = new URL("../data/passwords/common-passwords.txt", import.meta.url).pathname;
const wanted = 10_000;

const ranked = JSON.parse(await readFile(input, "utf8")) as string[];
const kept = new Set<string>();
for (const password of ranked) {
  // The same folding as checkPasswordPolicy, so that a listed password is refused whatever its case.
  const folded = password.normalize("NFKC").toLowerCase();
  if ([...folded].length >= 8 && !folded.includes("\n")) kept.add(folded);
  if (kept.size === wanted) break;
}
if (kept.size < wanted) throw new Error(`${input}: only ${kept.size} passwords of 8 or more characters`);
await writeFile(output, `${[...kept].join("\n")}\n`);
console.log(`${kept.size} passwords written to ${output}`);
