/**
 * Typed, coded errors. The code is stable (documented for the API and the CLI); edges map the class to an
 * HTTP status or exit code, never the message.
 */
export class WildtrawlError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The caller's input is wrong: a bad argument, a malformed file, an invalid value. */
export class UsageError extends WildtrawlError {}

/** The thing asked for does not exist. */
export class NotFoundError extends WildtrawlError {}

/** One problem in a file, with where it is. */
export interface InputProblem {
  readonly file: string;
  readonly line: number;
  readonly column?: string;
  readonly message: string;
}

/** A file (or set of files) failed validation; nothing was written. */
export class InvalidInputError extends UsageError {
  readonly problems: readonly InputProblem[];
  constructor(code: string, problems: readonly InputProblem[]) {
    const shown = problems
      .slice(0, 20)
      .map((p) => `${p.file}:${p.line}${p.column ? ` (column ${p.column})` : ""}: ${p.message}`);
    const more = problems.length > 20 ? [`… and ${problems.length - 20} more`] : [];
    super(code, [`${problems.length} problem(s):`, ...shown, ...more].join("\n"));
    this.problems = problems;
  }
}
