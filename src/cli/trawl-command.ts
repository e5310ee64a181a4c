import path from "node:path";
import type { Command } from "commander";
import type { DetectionModel } from "../core/detect/model.ts";
import type { Lexicon } from "../core/lexicon/lexicon.ts";
import { loadLexicon } from "../reference/load-lexicon.ts";
import { readDetectionModel } from "../reference/load-model.ts";
import { loadSpeciesIndex } from "../reference/reference-file.ts";
import {
  createTrawlingService,
  type TrawlProgress,
  type TrawlRequest,
  type TrawlSummary,
} from "../services/trawling.ts";
import { ensureDemoUser } from "../services/authentication.ts";
import { createRelistingService } from "../services/relisting.ts";
import { openStore } from "../storage/open-store.ts";
import type { Store } from "../storage/store.ts";
import { createPageAnalysisPool } from "../trawl/page-analysis-pool.ts";
import { loadSource } from "../trawl/sources/load-source.ts";
import type { SourceDeclaration } from "../trawl/sources/source-declaration.ts";
import { declaredOrigin, loadFixtureSource } from "../../test/fixtures/web/fixture-sources.ts";
import { sites } from "../../test/fixtures/web/generate.ts";
import { startFixtureWeb } from "../../test/fixtures/web/server.ts";
import type { CliContext } from "./cli-context.ts";
import { portNumber, wholeNumber } from "./argument-parsers.ts";

/** The demo's port: the one its source files name. */
export const demoPort = 4455;
/** Search URLs per site in the demo: enough to show searching species by species, few enough to stay quick. */
const demoSearchQueries = 8;
/** The fixture web has visits 0, 1 and 2: listings go and prices change at 1 and 2. */
const lastFixtureEpoch = 2;

interface TrawlCommandOptions {
  org?: string;
  revisit?: boolean;
  maxPages?: number;
  maxSearchQueries?: number;
  concurrency?: number;
  warcDir?: string;
  analysisWorkers?: number;
  json?: boolean;
}

/**
 * `wildtrawl trawl SOURCE…` works a trawl over source files, showing its progress, and `wildtrawl demo` does the
 * same over the fixture web it serves on 127.0.0.1.
 */
export function registerTrawlCommands(program: Command, context: CliContext): void {
  let detector: Promise<{ lexicon: Lexicon; model: DetectionModel }> | undefined;
  const loadDetector = () =>
    (detector ??= (async () => {
      const species = await loadSpeciesIndex(context.config.referenceDataPath);
      const [lexicon, model] = await Promise.all([
        loadLexicon(species, context.config.lexiconDir),
        readDetectionModel(context.config.detectionModelPath),
      ]);
      return { lexicon, model };
    })());

  async function runTrawl(
    sources: readonly SourceDeclaration[],
    options: TrawlCommandOptions,
    extra: Partial<TrawlRequest> = {},
  ): Promise<TrawlSummary> {
    // The database first: loading the lexicon holds the event loop for seconds, and a connection being set up
    // meanwhile would miss its timeout.
    const store = await openStore(context.config.databaseUrl);
    const workers = options.analysisWorkers ?? 1;
    // Started before this thread loads its own lexicon, so that the workers load theirs at the same time.
    const pool =
      workers > 0
        ? createPageAnalysisPool({
            referenceDataPath: context.config.referenceDataPath,
            lexiconDir: context.config.lexiconDir,
            detectionModelPath: context.config.detectionModelPath,
            workers,
          })
        : null;
    const { lexicon, model } = await loadDetector().catch(async (error: unknown) => {
      await pool?.close();
      throw error;
    });
    const service = createTrawlingService({
      store,
      lexicon,
      model,
      now: context.now,
      warcDirectory: options.warcDir ?? context.config.warcDir,
      userAgent: `wildtrawl/${context.version} (+https://github.com/wildtrawl/wildtrawl)`,
      software: `wildtrawl/${context.version}`,
      checkRelistings: createRelistingService({ store }).checkRelistings,
      ...(pool ? { analyse: pool.analyse } : {}),
    });
    const stop = new AbortController();
    let signals = 0;
    const onSignal = () => {
      signals += 1;
      // A second Ctrl-C means now: the leases of what is in flight expire and the next run picks it up.
      if (signals > 1) process.exit(130);
      context.stderr.write("\nstopping: finishing the pages in flight (Ctrl-C again to quit at once)\n");
      stop.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    const progress = progressLine(context.stderr, options.json === true);
    try {
      const summary = await service.trawl({
        sources,
        signal: stop.signal,
        ...(options.org ? { organisation: options.org } : {}),
        ...(options.revisit ? { revisitNow: true } : {}),
        ...(options.maxPages !== undefined ? { maxPages: options.maxPages } : {}),
        ...(options.maxSearchQueries !== undefined ? { maxSearchQueries: options.maxSearchQueries } : {}),
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        onProgress: progress.update,
        ...extra,
      });
      progress.end();
      return summary;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      await pool?.close();
      await store.close();
    }
  }

  const write = (text: string) => void context.stdout.write(`${text}\n`);
  const withStore = async <T>(work: (store: Store) => Promise<T>): Promise<T> => {
    const store = await openStore(context.config.databaseUrl);
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  };
  const withTrawlOptions = (command: Command) =>
    command
      .option("--org <slug>", "the organisation the sources belong to (default: the only one)")
      .option("--max-pages <n>", "stop after this many pages; the next run carries on", wholeNumber)
      .option("--max-search-queries <n>", "search URLs per source and visit (default 25)", wholeNumber)
      .option("--concurrency <n>", "pages at once over all sources (default: the sources' own)", wholeNumber)
      .option("--warc-dir <dir>", "where WARC files go (default: warc/ beside the SQLite file)")
      .option(
        "--analysis-workers <n>",
        "threads that parse and detect pages, each with its own memory and time limits (0: this thread)",
        wholeNumber,
      )
      .option("--json", "print the summary as JSON");

  withTrawlOptions(
    program
      .command("trawl")
      .description(
        "trawl sources: fetch, record (WARC), extract, detect and store their listings; a rerun resumes",
      )
      .argument("<sources...>", "source files, .yaml, .yml or .json")
      .option("--revisit", "revisit sources whose last visit is complete, even before revisitEvery"),
  ).action(async (files: string[], options: TrawlCommandOptions) => {
    const sources = [];
    for (const file of files) sources.push(await loadSource(path.resolve(file)));
    const summary = await runTrawl(sources, options);
    write(options.json ? JSON.stringify(jsonSummary(summary), null, 2) : formatSummary(summary));
  });

  withTrawlOptions(
    program
      .command("demo")
      .description(
        "serve the fixture web on 127.0.0.1, trawl its three sites into the database, print a summary; " +
          "run again to revisit (listings go, prices change)",
      )
      .option("--port <n>", "the fixture web's port (0 picks a free one)", portNumber, demoPort)
      .option("--serve", "keep serving the fixture web after the trawl, until Ctrl-C")
      .option("--no-serve", "exit after the trawl (the default)"),
  ).action(async (options: TrawlCommandOptions & { port: number; serve?: boolean }) => {
    const web = await startFixtureWeb({ port: options.port });
    try {
      const origin = web.origin();
      const sources = await Promise.all(
        sites.map((site) => loadFixtureSource(site, origin === declaredOrigin ? declaredOrigin : origin)),
      );
      if (!options.json) context.stderr.write(`fixture web on ${origin}/ (shop/, ads/, forum/)\n`);
      const summary = await runTrawl(
        sources,
        { maxSearchQueries: demoSearchQueries, ...options },
        {
          // Each completed visit of the demo moves the fixture web on, so a second run shows a revisit.
          revisitNow: true,
          onVisits: (visits) => {
            const generation = Math.max(...visits.map((visit) => visit.generation));
            web.setEpoch(Math.min(lastFixtureEpoch, generation - 1));
          },
        },
      );
      const demoUser = await withStore((store) => ensureDemoUser(store));
      write(
        options.json
          ? JSON.stringify(
              {
                ...jsonSummary(summary),
                fixtureEpoch: web.epoch(),
                dashboard: { email: demoUser.email, password: demoUser.password },
              },
              null,
              2,
            )
          : `${formatSummary(summary)}\n\nSee it in the dashboard: \`npm start -- serve\`, open http://127.0.0.1:8080/ and ` +
              `sign in as ${demoUser.email} with the password ${demoUser.password} (new on every demo run); ` +
              "the first sign-in asks you to set up an authenticator app, as it does for every person.",
      );
      if (options.serve) {
        context.stderr.write(`serving the fixture web on ${origin}/ until Ctrl-C\n`);
        await new Promise<void>((resolve) => {
          process.once("SIGINT", resolve);
          process.once("SIGTERM", resolve);
        });
      }
    } finally {
      await web.close();
    }
  });
}

/** The figures a script wants: totals, then per source. */
export function jsonSummary(summary: TrawlSummary) {
  return {
    pages: summary.pages,
    listings: summary.listings,
    offersFlagged: summary.offersFlagged,
    errors: summary.errors,
    pagesPerSecond: Math.round(summary.pagesPerSecond * 10) / 10,
    elapsedMs: Math.round(summary.elapsedMs),
    stoppedBy: summary.stoppedBy,
    sources: summary.sources.map((source) => ({
      source: source.source,
      visit: source.visit,
      generation: source.generation,
      ...(source.nextVisitAt ? { nextVisitAt: source.nextVisitAt } : {}),
      pages: source.pages,
      listings: source.listings,
      newListings: source.newListings,
      changedListings: source.changedListings,
      removed: source.removed,
      offersFlagged: source.offersFlagged,
      errors: source.errors,
      frontier: source.frontier,
      complete: source.complete,
    })),
  };
}

export function formatSummary(summary: TrawlSummary): string {
  const lines = [
    `${summary.pages} pages, ${summary.listings} listings, ${summary.offersFlagged} offers flagged, ` +
      `${summary.errors} errors in ${(summary.elapsedMs / 1000).toFixed(1)} s ` +
      `(${summary.pagesPerSecond.toFixed(1)} pages/s)` +
      (summary.stoppedBy === "done"
        ? ""
        : summary.stoppedBy === "limit"
          ? ", stopped at the page limit"
          : ", stopped"),
  ];
  for (const source of summary.sources) {
    if (source.visit === "up-to-date") {
      lines.push(
        `  ${source.source}: up to date (visit ${source.generation}); next visit due ${source.nextVisitAt}`,
      );
      continue;
    }
    const errors = Object.entries(source.errors)
      .map(([code, count]) => `${code} ${count}`)
      .join(", ");
    const { frontier } = source;
    lines.push(
      `  ${source.source}: visit ${source.generation} (${source.visit}) ${source.pages} pages, ` +
        `${source.listings} listings (${source.newListings} new, ${source.changedListings} changed, ` +
        `${source.removed} removed), ${source.offersFlagged} offers flagged` +
        (errors ? `; errors: ${errors}` : ""),
      `    frontier: ${frontier.done} done, ${frontier.failed} failed, ${frontier.pending} pending, ` +
        `${frontier.leased} leased${source.complete ? " — visit complete" : " — a rerun carries on"}`,
    );
  }
  return lines.join("\n");
}

/** A live line on a terminal, redrawn at most 5 times a second; nothing on a pipe (the summary says it all). */
function progressLine(stream: NodeJS.WritableStream, quiet: boolean) {
  const tty = !quiet && (stream as { isTTY?: boolean }).isTTY === true;
  let lastDrawnAt = 0;
  let drawn = false;
  const draw = (progress: TrawlProgress) => {
    const line =
      `${progress.pages} pages  ${progress.listings} listings  ${progress.offersFlagged} offers flagged  ` +
      `${progress.errors} errors  ${progress.pagesPerSecond.toFixed(1)} pages/s`;
    stream.write(`\r\u001b[2K${line}`);
    drawn = true;
  };
  return {
    update: (progress: TrawlProgress) => {
      if (!tty) return;
      const now = performance.now();
      if (now - lastDrawnAt < 200) return;
      lastDrawnAt = now;
      draw(progress);
    },
    end: () => {
      if (drawn) stream.write("\r\u001b[2K");
    },
  };
}
