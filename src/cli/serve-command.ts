import type { Command } from "commander";
import { createApi } from "../api/create-api.ts";
import { DashboardMissingError, defaultDashboardDir, serveDashboard } from "../api/dashboard-routes.ts";
import { loadLexicon } from "../reference/load-lexicon.ts";
import { readDetectionModel } from "../reference/load-model.ts";
import { loadSpeciesIndex } from "../reference/reference-file.ts";
import { startCustodyAnchoring } from "../evidence/custody-anchor.ts";
import { ensureSigningKey } from "../evidence/signing-keys.ts";
import { configuredTsas, keysDirOf } from "../services/evidence.ts";
import { openStore } from "../storage/open-store.ts";
import { createSmtpMailer } from "../services/takedown-mailer.ts";
import type { CliContext } from "./cli-context.ts";
import { portNumber, positiveInteger } from "./argument-parsers.ts";

interface ServeOptions {
  port: number;
  host: string;
  rateLimit: number;
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
      const app = createApi({
        store,
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
      let dashboard = false;
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
      const anchoring = startCustodyAnchoring(
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
      const address = await app.listen({ port: options.port, host: options.host });
      context.stdout.write(`wildtrawl API listening on ${address}/v1\n`);
      if (dashboard) context.stdout.write(`wildtrawl dashboard at ${address}/\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void app
            .close()
            .then(() => anchoring.stop())
            .then(() => store.close())
            .finally(resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
}
