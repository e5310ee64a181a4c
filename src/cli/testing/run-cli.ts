import { Writable } from "node:stream";
import type { Command } from "commander";
import { loadConfig } from "../../config.ts";
import type { CliContext } from "../cli-context.ts";
import { createProgram, runProgram } from "../program.ts";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `wildtrawl ARGV` in process with one area's commands registered, the configuration loaded from `env` as
 * main.ts would, and both output streams captured: what a person at the terminal would see, and the exit code.
 */
export async function runCli(
  register: (program: Command, context: CliContext) => void,
  argv: readonly string[],
  options: { env?: Readonly<Record<string, string>>; now?: () => Date } = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const capture = (append: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk));
        done();
      },
    });
  const context: CliContext = {
    config: loadConfig(options.env ?? {}),
    version: "0.0.0-test",
    stdout: capture((text) => (stdout += text)),
    stderr: capture((text) => (stderr += text)),
    now: options.now ?? (() => new Date()),
  };
  const program = createProgram(context, [(root) => register(root, context)]);
  const code = await runProgram(program, argv, context);
  return { code, stdout, stderr };
}
