import { InvalidArgumentError, type Command } from "commander";
import { createApi } from "../api/create-api.ts";
import { loadLexicon } from "../reference/load-lexicon.ts";
import { readDetectionModel } from "../reference/load-model.ts";
import { loadSpeciesIndex } from "../reference/reference-file.ts";
import { openStore } from "../storage/open-store.ts";
import type { CliContext } from "./cli-context.ts";

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535)
    throw new InvalidArgumentError("expected a port number from 0 to 65535");
  return parsed;
}

function count(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new InvalidArgumentError("expected a positive whole number");
  return parsed;
}

/** `wildtrawl serve`: the HTTP API, on 127.0.0.1 unless told otherwise (put a TLS proxy in front of it). */
export function registerServeCommands(program: Command, context: CliContext): void {
  program
    .command("serve")
    .description("serve the HTTP API (/v1, OpenAPI at /v1/openapi.json)")
    .option("--port <n>", "the TCP port (0 picks a free one)", port, 8080)
    .option("--host <address>", "the address to listen on", "127.0.0.1")
    .option("--rate-limit <n>", "requests per minute per API key", count, 1_200)
    .option("--quiet", "log nothing but errors")
    .action(async (options: { port: number; host: string; rateLimit: number; quiet?: boolean }) => {
      const species = await loadSpeciesIndex(context.config.referenceDataPath);
      const [lexicon, model, store] = await Promise.all([
        loadLexicon(species, context.config.lexiconDir),
        readDetectionModel(context.config.detectionModelPath),
        openStore(context.config.databaseUrl),
      ]);
      const app = createApi({
        store,
        species,
        lexicon,
        model,
        clock: context.now,
        version: context.version,
        limits: { requestsPerWindow: options.rateLimit, rateWindowMs: 60_000 },
        logger: { level: options.quiet ? "error" : "info" },
      });
      const address = await app.listen({ port: options.port, host: options.host });
      context.stdout.write(`wildtrawl API listening on ${address}/v1\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void app
            .close()
            .then(() => store.close())
            .finally(resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
}
