#!/usr/bin/env node
// The only place objects are wired: configuration in, commands out.
import { readFileSync } from "node:fs";
import { loadConfig } from "./config.ts";
import { createProgram, reportFailure, runProgram } from "./cli/program.ts";
import type { CliContext } from "./cli/cli-context.ts";
import { registerSpeciesCommands } from "./cli/species-command.ts";
import { registerDetectionCommands } from "./cli/detect-command.ts";
import { registerListingsCommands } from "./cli/listings-command.ts";
import { registerServeCommands } from "./cli/serve-command.ts";
import { registerAdminCommands } from "./cli/admin-command.ts";
import { registerSourcesCommands } from "./cli/sources-command.ts";
import { registerCaseCommands } from "./cli/case-command.ts";
import { registerEvidenceCommands } from "./cli/evidence-command.ts";
import { registerTrawlCommands } from "./cli/trawl-command.ts";
import { registerReviewCommands } from "./cli/review-command.ts";
import { registerRelistingCommands } from "./cli/relisting-command.ts";
import { registerTakedownCommands } from "./cli/takedown-command.ts";

const packageJson = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

// A bad setting is the operator's to fix: one line saying which, not a stack trace.
let config: CliContext["config"];
try {
  config = loadConfig(process.env);
} catch (error) {
  process.exit(reportFailure(error, process.stderr));
}

const context: CliContext = {
  config,
  version: packageJson.version,
  stdout: process.stdout,
  stderr: process.stderr,
  now: () => new Date(),
};

const program = createProgram(context, [
  (root) => registerSpeciesCommands(root, context),
  (root) => registerDetectionCommands(root, context),
  (root) => registerListingsCommands(root, context),
  (root) => registerServeCommands(root, context),
  (root) => registerAdminCommands(root, context),
  (root) => registerSourcesCommands(root, context),
  (root) => registerEvidenceCommands(root, context),
  (root) => registerCaseCommands(root, context),
  (root) => registerTrawlCommands(root, context),
  (root) => registerReviewCommands(root, context),
  (root) => registerRelistingCommands(root, context),
  (root) => registerTakedownCommands(root, context),
]);
process.exitCode = await runProgram(program, process.argv.slice(2), context);
