import { readFile } from "node:fs/promises";
import path from "node:path";
import { LineCounter, parseDocument, type Document } from "yaml";
import { InvalidInputError, type InputProblem } from "../../core/errors.ts";
import type { SourceDeclaration, SourceProblem } from "./source-declaration.ts";
import { validateSource } from "./validate-source.ts";

const maxSourceBytes = 1024 * 1024;

/**
 * Reads, parses (YAML, or JSON, which YAML reads too) and validates a source declaration. Throws
 * `InvalidInputError` (`source_invalid`) listing every problem with its line and field path.
 */
export async function loadSource(file: string): Promise<SourceDeclaration> {
  let text: string;
  try {
    const bytes = await readFile(file);
    if (bytes.length > maxSourceBytes) {
      throw new InvalidInputError("source_invalid", [{ file, line: 0, message: "larger than 1 MiB" }]);
    }
    text = bytes.toString("utf8");
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    throw new InvalidInputError("source_unreadable", [
      { file, line: 0, message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` },
    ]);
  }
  return parseSource(text, file);
}

/** The same from text already read; `file` names it in problems. */
export function parseSource(text: string, file: string): SourceDeclaration {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new InvalidInputError(
      "source_invalid",
      document.errors.map((error) => ({
        file,
        line: lineCounter.linePos(error.pos[0]).line,
        message: `not valid ${path.extname(file).toLowerCase() === ".json" ? "JSON" : "YAML"}: ${error.message.split("\n")[0]}`,
      })),
    );
  }
  const { source, problems } = validateSource(document.toJS({ maxAliasCount: 100 }));
  if (!source) {
    throw new InvalidInputError(
      "source_invalid",
      problems.map((problem) => toInputProblem(problem, document, lineCounter, file)),
    );
  }
  return source;
}

/** "extraction.fields.price[1]" → ["extraction", "fields", "price", 1]. */
export function pathSegments(fieldPath: string): Array<string | number> {
  const segments: Array<string | number> = [];
  for (const part of fieldPath.split(".")) {
    const match = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) {
      segments.push(part);
      continue;
    }
    if (match[1]) segments.push(match[1]);
    for (const index of (match[2] ?? "").matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]));
  }
  return segments;
}

/** The problem with the line of the field it is about, or of the nearest enclosing field that exists. */
function toInputProblem(
  problem: SourceProblem,
  document: Document,
  lineCounter: LineCounter,
  file: string,
): InputProblem {
  const segments = pathSegments(problem.path === "(file)" ? "" : problem.path);
  let line = 1;
  for (let length = segments.length; length >= 0; length--) {
    const node = length === 0 ? document.contents : document.getIn(segments.slice(0, length), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) {
      line = lineCounter.linePos(range[0]).line;
      break;
    }
  }
  return { file, line, message: `${problem.path}: ${problem.message}` };
}
