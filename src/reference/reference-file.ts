import { open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { gunzip, gzip, constants } from "node:zlib";
import { UsageError } from "../core/errors.ts";
import { referenceDataFormat, type ReferenceData } from "../core/species/reference-data.ts";
import { SpeciesIndex } from "../core/species/species-index.ts";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Reads compiled reference data (gzip'd JSON) and checks that it is the format this version understands. */
export async function readReferenceData(file: string): Promise<ReferenceData> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new UsageError(
        "reference_data_missing",
        `no reference data at ${file}: run "wildtrawl species import" on a Species+ export`,
      );
    }
    throw error;
  }
  const json = file.endsWith(".gz") ? await gunzipAsync(bytes) : bytes;
  const data = JSON.parse(json.toString("utf8")) as ReferenceData;
  if (data.format !== referenceDataFormat) {
    throw new UsageError(
      "reference_data_invalid",
      `${file} is in format "${String(data.format)}", expected "${referenceDataFormat}"`,
    );
  }
  return data;
}

/** The exact bytes of the JSON that `writeReferenceData` compresses: what freshness checks compare. */
export function serializeReferenceData(data: ReferenceData): string {
  return `${JSON.stringify(data)}\n`;
}

/**
 * Writes the data next to its destination, flushes it to disk, then renames it into place: a reader sees the
 * old file or the new one, never half of either.
 */
export async function writeReferenceData(file: string, data: ReferenceData): Promise<void> {
  const json = serializeReferenceData(data);
  const bytes = file.endsWith(".gz")
    ? await gzipAsync(json, { level: constants.Z_BEST_COMPRESSION })
    : Buffer.from(json);
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const handle = await open(temporary, "w");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  const directory = await open(path.dirname(file), "r");
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** Reads the compiled data and indexes it: what every command and server does once at start-up. */
export async function loadSpeciesIndex(file: string): Promise<SpeciesIndex> {
  return new SpeciesIndex(await readReferenceData(file));
}
