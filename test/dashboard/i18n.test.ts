import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { apiRoles } from "../../src/services/access.ts";
import { languages, type Messages } from "../../web/src/i18n/messages.ts";
import { roles } from "../../web/src/roles.ts";

const webSource = path.join(import.meta.dirname, "..", "..", "web", "src");

async function messageFiles(): Promise<string[]> {
  const entries = await readdir(webSource, { recursive: true });
  return entries
    .filter((entry) => entry.endsWith(".messages.ts"))
    .map((entry) => path.join(webSource, entry));
}

function isMessages(value: unknown): value is Messages<string> {
  return typeof value === "object" && value !== null && languages.every((language) => language in value);
}

test("every dictionary has the same keys, each with a non-empty text, in English, French and Spanish", async () => {
  const files = await messageFiles();
  assert.ok(files.length >= 4, `expected the shell's and the screens' dictionaries, found ${files.length}`);
  let dictionaries = 0;
  for (const file of files) {
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      if (!isMessages(value)) continue;
      dictionaries += 1;
      const english = Object.keys(value.en).sort();
      for (const language of languages) {
        const where = `${path.relative(webSource, file)} ${name}.${language}`;
        assert.deepEqual(Object.keys(value[language]).sort(), english, `${where}: keys differ from English`);
        for (const [key, text] of Object.entries(value[language]))
          assert.ok(typeof text === "string" && text.trim() !== "", `${where}.${key} is empty`);
        // A placeholder missing in a translation would drop a value from the sentence.
        for (const key of english) {
          const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
          assert.deepEqual(
            placeholders(value[language][key]!),
            placeholders(value.en[key]!),
            `${where}.${key}: placeholders differ from English`,
          );
        }
      }
    }
  }
  assert.ok(dictionaries >= files.length, "every *.messages.ts file exports a dictionary");
});

test("the route table's navigation titles exist in every language", async () => {
  const source = await readFile(path.join(webSource, "routes.ts"), "utf8");
  const titles = [...source.matchAll(/nav:\s*\{([^}]*)\}/g)].map((match) => match[1]!);
  assert.ok(titles.length >= 2);
  for (const title of titles)
    for (const language of languages) assert.match(title, new RegExp(`\\b${language}:\\s*"[^"]+"`), title);
});

test("the dashboard knows the API's roles, no more and no fewer", () => {
  assert.deepEqual([...roles].sort(), [...apiRoles].sort());
});
