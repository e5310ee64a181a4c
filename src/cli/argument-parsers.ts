import { InvalidArgumentError } from "commander";

/**
 * Parsers for commander options and arguments, shared by every command: each refuses a bad value with a message
 * that says what was expected, and commander names the option.
 */

/** One of `allowed`, matched without regard to case, returned as written in `allowed`. */
export function oneOf<T extends string>(allowed: readonly T[]) {
  return (value: string): T => {
    const match = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
    if (match === undefined) throw new InvalidArgumentError(`expected one of ${allowed.join(", ")}`);
    return match;
  };
}

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number, 1 or more");
  return n;
}

/** 0 or more. */
export function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number");
  return n;
}

export function portNumber(value: string): number {
  const n = wholeNumber(value);
  if (n > 65_535) throw new InvalidArgumentError("expected a port number from 0 to 65535");
  return n;
}

export function isoDate(value: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError(
      "expected an ISO 8601 date or time, e.g. 2026-03-01 or 2026-03-01T12:00:00Z",
    );
  }
  return date;
}

/** For repeatable options: each use adds one value. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
