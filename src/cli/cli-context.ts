import type { Config } from "../config.ts";

/** What every command gets: configuration, output streams, and lazily opened resources. */
export interface CliContext {
  readonly config: Config;
  readonly version: string;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** The wall clock, read only at the edge (the core takes times as arguments). */
  readonly now: () => Date;
}
