import { Command, CommanderError } from "commander";
import { WildtrawlError, UsageError, NotFoundError } from "../core/errors.ts";
import type { CliContext } from "./cli-context.ts";

export const exitCodes = { ok: 0, failure: 1, usage: 2, notFound: 3 } as const;

/** Builds the `wildtrawl` command tree; each area registers its own subcommands. */
export function createProgram(context: CliContext, registrations: ReadonlyArray<(program: Command) => void>) {
  const program = new Command("wildtrawl")
    .description("Find, document and help remove online adverts for CITES-listed wildlife")
    .version(context.version)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    });
  for (const register of registrations) register(program);
  return program;
}

/** Runs the program and maps typed errors to exit codes and one clear message: the edge of the CLI. */
export async function runProgram(program: Command, argv: readonly string[], context: CliContext) {
  try {
    await program.parseAsync(argv as string[], { from: "user" });
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    return reportFailure(error, context.stderr);
  }
}

/**
 * Prints a known failure as one line on stderr and gives its exit code. Anything else is a bug: it is thrown on,
 * with its stack.
 */
export function reportFailure(error: unknown, stderr: CliContext["stderr"]): number {
  if (!(error instanceof WildtrawlError)) throw error;
  stderr.write(`wildtrawl: ${error.message} [${error.code}]\n`);
  if (error instanceof NotFoundError) return exitCodes.notFound;
  if (error instanceof UsageError) return exitCodes.usage;
  return exitCodes.failure;
}
