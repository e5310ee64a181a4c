import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Real adverts to load the API and detection with: the evaluation set beside the repository (research-only, so
 * read here and never copied into it) and our own cases, each of at least 20 characters.
 */
export function realAdverts(): string[] {
  const files = [
    path.join(root, "..", "shared", "eval", "dev.jsonl"),
    path.join(root, "test/fixtures/detection/cases.jsonl"),
  ];
  const texts: string[] = [];
  for (const file of files.filter(existsSync)) {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      const text = (JSON.parse(line) as { text?: string }).text;
      if (text && text.length >= 20) texts.push(text.slice(0, 5_000));
    }
  }
  return texts;
}
