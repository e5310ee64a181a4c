import { createReadStream } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import path from "node:path";
import { parse } from "csv-parse";
import { InvalidInputError } from "../core/errors.ts";
import type { InputRow } from "../core/species/build-reference.ts";

/**
 * Reads a Species+ CSV export (plain or gzip'd) into rows keyed by column name, each with the line it starts on.
 * Quoted cells span lines in this format, so line numbers come from the parser, not from counting rows.
 */
export async function readSpeciesPlusCsv(
  file: string,
  requiredColumns: readonly string[],
): Promise<InputRow[]> {
  const input = createReadStream(file);
  const source = file.endsWith(".gz") ? input.pipe(createGunzip()) : input;
  const parser = source.pipe(
    parse({ bom: true, relax_column_count: false, raw: true, skip_empty_lines: true, cast: false }),
  );
  const rows: InputRow[] = [];
  let header: string[] | undefined;
  let nextLine = 1;
  try {
    // Quoted cells hold line breaks; a record's raw text (without its final LF) tells how many lines it spans.
    for await (const { record, raw } of parser as AsyncIterable<{ record: string[]; raw: string }>) {
      const line = nextLine;
      nextLine += (raw.match(/\n/g) ?? []).length + 1;
      if (!header) {
        header = record.map((column) => column.trim());
        const missing = requiredColumns.filter((column) => !header?.includes(column));
        if (missing.length > 0) {
          throw new InvalidInputError(
            "reference_data_invalid",
            missing.map((column) => ({ file, line: 1, column, message: "missing from the header" })),
          );
        }
        continue;
      }
      const cells: Record<string, string> = {};
      header.forEach((column, index) => (cells[column] = record[index] ?? ""));
      rows.push({ line, cells });
    }
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    const parserError = error as { code?: string; message?: string };
    if (parserError.code?.startsWith("CSV_") || (error as NodeJS.ErrnoException).code === "Z_DATA_ERROR") {
      throw new InvalidInputError("reference_data_invalid", [
        { file, line: nextLine, message: parserError.message ?? String(error) },
      ]);
    }
    throw error;
  }
  if (!header) {
    throw new InvalidInputError("reference_data_invalid", [{ file, line: 1, message: "the file is empty" }]);
  }
  return rows;
}

export interface TsvTable {
  readonly file: string;
  /** `# key: value` lines at the top of the file (source, licence, date…). */
  readonly meta: Readonly<Record<string, string>>;
  readonly rows: InputRow[];
}

/**
 * Reads a curated tab-separated file: `#` comment lines (the first ones may carry `key: value` metadata), one
 * header row, then data rows with exactly as many cells as the header.
 */
export async function readTsv(file: string, requiredColumns: readonly string[]): Promise<TsvTable> {
  const text = (await readFile(file, "utf8")).replace(/^\uFEFF/, "");
  const meta: Record<string, string> = {};
  const rows: InputRow[] = [];
  const problems: Array<{ file: string; line: number; column?: string; message: string }> = [];
  let header: string[] | undefined;
  text.split("\n").forEach((rawLine, index) => {
    const line = index + 1;
    const content = rawLine.replace(/\r$/, "");
    if (content.trim() === "") return;
    if (content.startsWith("#")) {
      const metadata = /^#\s*([a-z_]+):(.*)$/i.exec(content);
      if (metadata && !header) meta[(metadata[1] as string).toLowerCase()] = (metadata[2] as string).trim();
      return;
    }
    const cells = content.split("\t");
    if (!header) {
      header = cells.map((cell) => cell.trim());
      for (const column of requiredColumns) {
        if (!header.includes(column))
          problems.push({ file, line, column, message: "missing from the header" });
      }
      return;
    }
    if (cells.length !== header.length) {
      problems.push({
        file,
        line,
        message: `expected ${header.length} tab-separated cells, found ${cells.length}`,
      });
      return;
    }
    const record: Record<string, string> = {};
    header.forEach((column, cellIndex) => (record[column] = cells[cellIndex] ?? ""));
    rows.push({ line, cells: record });
  });
  if (!header) problems.push({ file, line: 1, message: "no header row" });
  if (problems.length > 0) throw new InvalidInputError("reference_data_invalid", problems);
  return { file, meta, rows };
}

/** The `.tsv` files of a folder, sorted so that every import reads them in the same order. */
export async function tsvFilesIn(folder: string): Promise<string[]> {
  try {
    const entries = await readdir(folder);
    return entries
      .filter((entry) => entry.endsWith(".tsv"))
      .sort()
      .map((entry) => path.join(folder, entry));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}
