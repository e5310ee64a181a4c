import { availableParallelism } from "node:os";
import type { Command } from "commander";
import { createApi } from "../api/create-api.ts";
import { DashboardMissingError, defaultDashboardDir, serveDashboard } from "../api/dashboard-routes.ts";
import { loadLexicon } from "../reference/load-lexicon.ts";
import { readDetectionModel } from "../reference/load-model.ts";
import { loadSpeciesIndex } from "../reference/reference-file.ts";
import { startCustodyAnchoring } from "../evidence/custody-anchor.ts";
import { ensureSigningKey } from "../evidence/signing-keys.ts";
import { configuredTsas, keysDirOf } from "../services/evidence.ts";
import { openStore, parseDatabaseUrl } from "../storage/open-store.ts";
import { openStoreThread } from "../services/store-thread.ts";
import { createScreeningPool } from "../services/screening-pool.ts";
import { screenBatchAnswers } from "../services/screening.ts";
import { createSmtpMailer } from "../services/takedown-mailer.ts";
import type { CliContext } from "./cli-context.ts";
import { portNumber, positiveInteger, wholeNumber } from "./argument-parsers.ts";

interface ServeOptions {
  port: number;
  host: string;
  rateLimit: number;
  screeningWorkers: number;
  quiet?: boolean;
  dashboard: boolean;
  dashboardDir: string;
}

/**
 * How long a request waits for a database connection before it is answered 503 (RELIABILITY R7): a person at the
 * dashboard should hear "unavailable, try again" within a second, not watch a page hang through an outage.
 */
export const serveConnectRetryMs = 500;

/**
 * `wildtrawl serve`: the HTTP API under /v1 and the dashboard under /, on 127.0.0.1 unless told otherwise (put a
 * TLS proxy in front of it).
 */
export function registerServeCommands(program: Command, context: CliContext): void {
  program
    .command("serve")
    .description("serve the HTTP API (/v1, OpenAPI at /v1/openapi.json) and the dashboard (/)")
    .option("--port <n>", "the TCP port (0 picks a free one)", portNumber, 8080)
    .option("--host <address>", "the address to listen on", "127.0.0.1")
    .option("--rate-limit <n>", "requests per minute per API key", positiveInteger, 1_200)
    // One core is left to the API's thread, which parses and answers (docs/api.md, "Load").
    .option(
      "--screening-workers <n>",
      "threads that screen batches of listings (0: in the API's thread)",
      wholeNumber,
      Math.max(1, availableParallelism() - 1),
    )
    .option("--quiet", "log nothing but errors")
    .option("--dashboard-dir <path>", "the built dashboard (npm run build:web)", defaultDashboardDir)
    .option("--no-dashboard", "serve the API only")
    .action(async (options: ServeOptions) => {
      // The database first: loading the lexicon holds the event loop for seconds, and a connection being set up
      // meanwhile would miss its timeout.
      const store = await openStore(context.config.databaseUrl, { connectRetryMs: serveConnectRetryMs });
      const species = await loadSpeciesIndex(context.config.referenceDataPath);
      const [lexicon, model] = await Promise.all([
        loadLexicon(species, context.config.lexiconDir),
        readDetectionModel(context.config.detectionModelPath),
      ]);
      const tsa = await configuredTsas(context.config);
      // SQLite's commits block: the writes made on every request's path go through a thread of their own.
      const target = parseDatabaseUrl(context.config.databaseUrl);
      const storeThread =
        target.kind === "sqlite" && target.file !== ":memory:"
          ? await openStoreThread(context.config.databaseUrl)
          : undefined;
      // Batches are screened in worker threads, which load the reference data themselves (docs/api.md, "Load").
      const screeningPool =
        options.screeningWorkers > 0
          ? createScreeningPool({
              referenceDataPath: context.config.referenceDataPath,
              lexiconDir: context.config.lexiconDir,
              detectionModelPath: context.config.detectionModelPath,
              workers: options.screeningWorkers,
              fallback: (listings, policy) => screenBatchAnswers(listings, policy, lexicon, model),
              onWorkerError: (error) => context.stderr.write(`${error.message}\n`),
            })
          : undefined;
      const app = createApi({
        store,
        ...(screeningPool ? { screeningPool } : {}),
        ...(storeThread ? { storeThread } : {}),
        species,
        lexicon,
        model,
        clock: context.now,
        version: context.version,
        limits: { requestsPerWindow: options.rateLimit, rateWindowMs: 60_000 },
        logger: { level: options.quiet ? "error" : "info" },
        operations: {
          dataDir: context.config.dataDir,
          warcDir: context.config.warcDir,
          chromiumPath: context.config.chromiumPath,
          tsa,
        },
        takedown: {
          templateDir: context.config.takedownTemplateDir,
          mailer: context.config.smtpUrl ? createSmtpMailer(context.config.smtpUrl) : null,
          from: context.config.smtpFrom,
        },
      });
      // The threads keep the process alive: a start that fails stops them.
      const stopThreads = async () => {
        await screeningPool?.close();
        await storeThread?.close();
      };
      let dashboard = false;
      let anchoring: ReturnType<typeof startCustodyAnchoring>;
      let address: string;
      try {
        if (options.dashboard) {
          try {
            await serveDashboard(app, { distDir: options.dashboardDir });
            dashboard = true;
          } catch (error) {
            if (!(error instanceof DashboardMissingError)) throw error;
            context.stderr.write(`${error.message}; serving the API only\n`);
          }
        }
        // The custody log's head, signed into the anchors folder now and every 15 minutes (RELIABILITY E7).
        anchoring = startCustodyAnchoring(
          {
            store,
            signingKey: await ensureSigningKey(keysDirOf(context.config.dataDir)),
            anchorsDir: context.config.custodyAnchorDir,
            tsa,
          },
          {
            onError: (error) =>
              context.stderr.write(`custody anchor not written: ${(error as Error).message}\n`),
          },
        );
        // Listening once the workers have loaded: until then every batch would be screened in this thread.
        await screeningPool?.ready();
        address = await app.listen({ port: options.port, host: options.host });
      } catch (error) {
        await stopThreads();
        throw error;
      }
      context.stdout.write(`wildtrawl API listening on ${address}/v1\n`);
      if (dashboard) context.stdout.write(`wildtrawl dashboard at ${address}/\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void app
            .close()
            .then(() => anchoring.stop())
            .then(stopThreads)
            .then(() => store.close())
            .finally(resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
}
