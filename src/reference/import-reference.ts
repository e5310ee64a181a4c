import path from "node:path";
import { UsageError } from "../core/errors.ts";
import {
  nameColumns,
  parentColumns,
  ReferenceBuilder,
  speciesPlusColumns,
  supplementColumns,
} from "../core/species/build-reference.ts";
import type { ReferenceData } from "../core/species/reference-data.ts";
import { readSpeciesPlusCsv, readTsv, tsvFilesIn } from "./read-tables.ts";
import { writeReferenceData } from "./reference-file.ts";

export interface ImportOptions {
  /** A Species+ "Index of CITES Species" CSV export, plain or .gz. */
  readonly exportFile: string;
  /** Holds supplement/, taxonomy/ and names/ with the curated tables merged into the export. */
  readonly curatedDir: string;
  /** Where the compiled data goes; omitted, nothing is written (a dry run that still validates everything). */
  readonly outFile?: string;
}

/**
 * Compiles the reference data: the export, then the taxonomy corrections, the supplement of later amendments
 * and every table of common names. Validates all of it before writing anything.
 */
export async function importReferenceData(options: ImportOptions): Promise<ReferenceData> {
  const exportDate = /(\d{4}-\d{2}-\d{2})/.exec(path.basename(options.exportFile))?.[1];
  if (!exportDate) {
    throw new UsageError(
      "export_date_unknown",
      `${options.exportFile}: the file name must carry the export date as Species+ names it (Index_of_CITES_Species_YYYY-MM-DD…)`,
    );
  }
  const builder = new ReferenceBuilder();
  const exportSource = builder.addSource({
    id: `speciesplus-${exportDate}`,
    title: `Species+ Index of CITES Species, export of ${exportDate} (UNEP-WCMC / CITES Secretariat)`,
    date: exportDate,
    licence: "UNEP-WCMC/CITES material: non-commercial reproduction with acknowledgement",
  });
  const exportRows = await readSpeciesPlusCsv(options.exportFile, speciesPlusColumns);
  builder.addSpeciesPlusExport({ file: options.exportFile, rows: exportRows }, exportSource);

  for (const file of await tsvFilesIn(path.join(options.curatedDir, "supplement"))) {
    builder.applySupplement(await readTsv(file, supplementColumns));
  }
  for (const file of await tsvFilesIn(path.join(options.curatedDir, "taxonomy"))) {
    builder.applyParents(await readTsv(file, parentColumns));
  }
  for (const file of await tsvFilesIn(path.join(options.curatedDir, "names"))) {
    const table = await readTsv(file, nameColumns);
    const missing = ["source", "date", "licence"].filter((key) => !table.meta[key]);
    if (missing.length > 0) {
      throw new UsageError(
        "reference_data_invalid",
        `${file}: add ${missing.map((key) => `"# ${key}: …"`).join(", ")} at the top of the file`,
      );
    }
    const source = builder.addSource({
      id: `names-${path.basename(file, ".tsv")}`,
      title: table.meta.source as string,
      date: table.meta.date as string,
      licence: table.meta.licence as string,
    });
    builder.addNames(table, source);
  }
  const data = builder.build();
  if (options.outFile) await writeReferenceData(options.outFile, data);
  return data;
}
