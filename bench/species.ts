// Reference data: how long loading takes, how much memory it holds, and how fast look-ups answer.
import { defaultReferenceDataPath } from "../src/config.ts";
import { SpeciesIndex } from "../src/core/species/species-index.ts";
import { readReferenceData } from "../src/reference/reference-file.ts";

const collectGarbage = (globalThis as { gc?: () => void }).gc;

function percentile(sortedMs: number[], fraction: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor(sortedMs.length * fraction))] ?? Number.NaN;
}

function timeQueries(label: string, queries: string[], answer: (query: string) => unknown, rounds: number) {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const query of queries) {
      const started = performance.now();
      answer(query);
      samples.push(performance.now() - started);
    }
  }
  samples.sort((a, b) => a - b);
  console.log(
    `  ${label.padEnd(34)} p50 ${percentile(samples, 0.5).toFixed(3)} ms  p99 ${percentile(samples, 0.99).toFixed(3)} ms  (${samples.length} look-ups)`,
  );
}

export async function run(): Promise<void> {
  collectGarbage?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const data = await readReferenceData(defaultReferenceDataPath);
  const parsed = performance.now();
  const index = new SpeciesIndex(data);
  const indexed = performance.now();
  collectGarbage?.();
  const memory = process.memoryUsage();
  console.log("species: loading the reference data (goal: < 1 s, < 150 MB)");
  console.log(
    `  ${index.size} taxa, ${index.names.length} names: read+parse ${(parsed - started).toFixed(0)} ms, index ${(indexed - parsed).toFixed(0)} ms, total ${(indexed - started).toFixed(0)} ms`,
  );
  console.log(
    `  heap held ${((memory.heapUsed - heapBefore) / 2 ** 20).toFixed(0)} MB${collectGarbage ? "" : " (run with --expose-gc for an exact figure)"}, process RSS ${(memory.rss / 2 ** 20).toFixed(0)} MB`,
  );

  const scientific = data.taxa.filter((_, at) => at % 97 === 0).map((taxon) => taxon.name);
  const common = index.names
    .filter((name, at) => name.kind === "common" && at % 13 === 0)
    .map((name) => name.text);
  const misspelt = scientific
    .map((name) => name.slice(0, 3) + name.slice(4))
    .filter((name) => name.length > 8);
  const warmStarted = performance.now();
  index.search("warm up the lazy indexes");
  console.log(
    `  first fuzzy query (builds the lazy indexes): ${(performance.now() - warmStarted).toFixed(0)} ms`,
  );
  console.log("species: look-up latency");
  timeQueries("resolve, scientific name", scientific, (query) => index.resolve(query), 3);
  timeQueries(
    "resolve, common name (any language)",
    common.slice(0, 2000),
    (query) => index.resolve(query),
    1,
  );
  timeQueries("search, exact common name", common.slice(0, 500), (query) => index.search(query, 10), 1);
  timeQueries(
    "search, misspelt scientific name",
    misspelt.slice(0, 300),
    (query) => index.search(query, 10),
    1,
  );
}

if (import.meta.main) await run();
