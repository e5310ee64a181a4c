/**
 * A trawl in its own process, for the crash and shutdown tests (trawl-crash.test.ts) and the benchmark's crash run:
 * it trawls part of the fixture web (the boards in FORUM_BOARDS, or a whole site) and reports on stdout, so the
 * parent can kill it with SIGKILL or stop it with SIGTERM at any point. Settings come from the environment.
 */
import { loadFixtureSource } from "../../test/fixtures/web/fixture-sources.ts";
import type { SiteName } from "../../test/fixtures/web/generate.ts";
import { defaultDetectionModelPath, defaultLexiconDir, defaultReferenceDataPath } from "../config.ts";
import { loadLexicon } from "../reference/load-lexicon.ts";
import { readDetectionModel } from "../reference/load-model.ts";
import { loadSpeciesIndex } from "../reference/reference-file.ts";
import { createTrawlingService } from "../services/trawling.ts";
import { openStore } from "../storage/open-store.ts";
import type { SourceDeclaration } from "./sources/source-declaration.ts";

const env = process.env;
const say = (line: string) => process.stdout.write(`${line}\n`);
const stop = new AbortController();
process.on("SIGTERM", () => stop.abort());

/** The forum, narrowed to some boards: its seeds are those boards and its pagination stays on them. */
export async function partOfForum(origin: string, boards: readonly string[]): Promise<SourceDeclaration> {
  const forum = await loadFixtureSource("forum", origin);
  const alternatives = boards.join("|");
  return {
    ...forum,
    id: "fixture-forum-part",
    seeds: boards.map((board) => `${origin}/forum/board/${board}`),
    search: [],
    links: {
      ...forum.links,
      pagination: { patterns: [`^/forum/board/(${alternatives})(\\?start=\\d+)?$`] },
    },
  };
}

if (import.meta.main) {
  const origin = env.ORIGIN!;
  const base = env.FORUM_BOARDS
    ? await partOfForum(origin, env.FORUM_BOARDS.split(","))
    : await loadFixtureSource((env.SITE ?? "forum") as SiteName, origin);
  const source: SourceDeclaration = {
    ...base,
    politeness: {
      ...base.politeness,
      requestsPerSecondPerHost: Number(env.RPS ?? base.politeness.requestsPerSecondPerHost),
      maxConcurrentPerHost: Number(env.CONCURRENCY ?? base.politeness.maxConcurrentPerHost),
    },
  };
  // The database first, as `wildtrawl trawl` and `serve` do: loading the lexicon holds the event loop for seconds, and a
  // connection being set up meanwhile would miss its timeout.
  const store = await openStore(env.DATABASE_URL!);
  const species = await loadSpeciesIndex(defaultReferenceDataPath);
  const [lexicon, model] = await Promise.all([
    loadLexicon(species, defaultLexiconDir),
    readDetectionModel(defaultDetectionModelPath),
  ]);
  say("ready");
  const service = createTrawlingService({
    store,
    lexicon,
    model,
    now: () => new Date(),
    warcDirectory: env.WARC_DIR!,
    userAgent: "wildtrawl-test/1.0",
    software: "wildtrawl/test",
  });
  const summary = await service.trawl({
    sources: [source],
    signal: stop.signal,
    leaseMs: Number(env.LEASE_MS ?? 1000),
    maxSearchQueries: 0,
    ...(env.WORKER_ID ? { workerId: env.WORKER_ID } : {}),
    fetcher: { totalTimeoutMs: 10_000, backoffBaseMs: 50 },
    onVisits: (visits) => void say(`visit ${JSON.stringify(visits)}`),
    onProgress: (progress) => say(`pages ${progress.pages}`),
  });
  await store.close();
  say(`summary ${JSON.stringify(summary)}`);
}
