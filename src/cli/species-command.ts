import path from "node:path";
import type { Command } from "commander";
import { NotFoundError, UsageError } from "../core/errors.ts";
import type { SpeciesIndex, SearchHit } from "../core/species/species-index.ts";
import { taxonReport, unnamedTaxonReport, type TaxonReport } from "../core/species/taxon-report.ts";
import { importReferenceData } from "../reference/import-reference.ts";
import { loadSpeciesIndex } from "../reference/reference-file.ts";
import type { CliContext } from "./cli-context.ts";

/** `wildtrawl species import|search|show`: the CITES reference data from the command line. */
export function registerSpeciesCommands(program: Command, context: CliContext): void {
  const species = program.command("species").description("the CITES reference data: import, search, show");
  let loaded: Promise<SpeciesIndex> | undefined;
  const index = () => (loaded ??= loadSpeciesIndex(context.config.referenceDataPath));
  const write = (text: string): void => void context.stdout.write(`${text}\n`);

  species
    .command("import")
    .description(
      "compile a Species+ 'Index of CITES Species' CSV export (and the curated tables) into the reference data",
    )
    .argument("<file>", "the export, .csv or .csv.gz")
    .option("--out <file>", "where to write the compiled data", context.config.referenceDataPath)
    .option("--dry-run", "validate everything, write nothing")
    .action(async (file: string, options: { out: string; dryRun?: boolean }) => {
      const started = performance.now();
      const data = await importReferenceData({
        exportFile: path.resolve(file),
        curatedDir: context.config.curatedDataDir,
        ...(options.dryRun ? {} : { outFile: path.resolve(options.out) }),
      });
      const listed = data.taxa.filter((taxon) => taxon.listing && taxon.listing.appendices.length > 0).length;
      const names = data.taxa.reduce((total, taxon) => total + (taxon.commonNames?.length ?? 0), 0);
      write(
        `${options.dryRun ? "Validated" : `Wrote ${options.out}:`} ${data.taxa.length} taxa (${listed} with a listing), ` +
          `${names} common names, ${data.sources.length} sources, in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    });

  species
    .command("search")
    .description("find taxa by any name in any language (tolerates case, accents and small misspellings)")
    .argument("<text...>", "a scientific, synonym or common name")
    .option("--limit <n>", "how many results", parsePositiveInteger, 10)
    .option("--json", "machine-readable output")
    .action(async (words: string[], options: { limit: number; json?: boolean }) => {
      const speciesIndex = await index();
      const text = words.join(" ");
      const hits = speciesIndex.search(text, options.limit);
      if (options.json)
        return write(
          JSON.stringify(
            hits.map((hit) => hitJson(speciesIndex, hit)),
            null,
            2,
          ),
        );
      if (hits.length === 0) throw new NotFoundError("taxon_not_found", `no taxon matches "${text}"`);
      for (const hit of hits) write(hitLine(speciesIndex, hit));
    });

  species
    .command("show")
    .description("the listing, hierarchy, annotations, synonyms and names of one taxon")
    .argument("<name-or-id...>", "a name in any language, or a Species+ taxon id")
    .option("--json", "machine-readable output")
    .action(async (words: string[], options: { json?: boolean }) => {
      const speciesIndex = await index();
      const text = words.join(" ");
      const asOf = context.now().toISOString().slice(0, 10);
      const resolution = speciesIndex.resolve(text);
      if (resolution.kind === "not-found") {
        const nearest = resolution.suggestions.map((hit) => hit.name.text);
        throw new NotFoundError(
          "taxon_not_found",
          `no taxon named "${text}"${nearest.length ? `; nearest: ${nearest.join(", ")}` : ""}`,
        );
      }
      const reports =
        resolution.kind === "taxon"
          ? resolution.taxa.map((taxon) => taxonReport(speciesIndex, taxon, asOf))
          : [unnamedTaxonReport(speciesIndex, text, resolution.nearestKnown, asOf)];
      if (options.json) return write(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
      write(reports.map(formatReport).join("\n\n"));
      if (resolution.kind === "unnamed" && resolution.suggestions.length > 0) {
        write(`\nDid you mean: ${resolution.suggestions.map((hit) => hit.name.text).join(", ")}?`);
      }
    });
}

function parsePositiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new UsageError("argument_invalid", `expected a positive whole number, got "${value}"`);
  return parsed;
}

function statusText(speciesIndex: SpeciesIndex, taxon: number): string {
  const status = speciesIndex.listingStatus(taxon);
  if (!status.listed) return "not listed";
  const via = status.inherited ? ` via ${speciesIndex.taxon(status.via).name}` : "";
  return `Appendix ${status.appendices.join("/")}${via}`;
}

function hitLine(speciesIndex: SpeciesIndex, hit: SearchHit): string {
  const taxon = speciesIndex.taxon(hit.taxon);
  const matched =
    hit.name.text === taxon.name ? "" : `  ← "${hit.name.text}" (${hit.name.kind}, ${hit.name.lang})`;
  return `${taxon.name}  [${taxon.rank.toLowerCase()}, ${statusText(speciesIndex, hit.taxon)}, id ${taxon.id}]${matched}`;
}

function hitJson(speciesIndex: SpeciesIndex, hit: SearchHit) {
  const taxon = speciesIndex.taxon(hit.taxon);
  const status = speciesIndex.listingStatus(hit.taxon);
  return {
    id: taxon.id,
    name: taxon.name,
    rank: taxon.rank,
    listed: status.listed,
    appendices: status.listed ? status.appendices : [],
    via: status.listed && status.inherited ? speciesIndex.taxon(status.via).name : undefined,
    matched: {
      text: hit.name.text,
      kind: hit.name.kind,
      lang: hit.name.lang,
      quality: hit.quality,
      distance: hit.distance,
    },
  };
}

function formatReport(report: TaxonReport): string {
  const lines: string[] = [];
  const status = report.status;
  lines.push(
    `${report.name}${report.author ? ` ${report.author}` : ""} — ${report.rank.toLowerCase()}${report.id ? ` — id ${report.id}` : " — not in the reference data"}`,
  );
  lines.push(
    `${status.listed ? `CITES Appendix ${status.appendices.join(", ")}` : "Not listed"}: ${status.why}.`,
  );
  for (const population of status.populations) {
    if (population.text) lines.push(`  Appendix ${population.appendix}: ${population.text}`);
  }
  if (status.annotationSymbols.length > 0 || status.annotation) {
    lines.push(`Annotation ${status.annotationSymbols.join(" ")}: ${status.annotation ?? ""}`.trimEnd());
  }
  if (status.source) {
    const amendment = status.source.cop
      ? ` (${status.source.cop} ${status.source.proposal ?? ""})`.replace(/ \)$/, ")")
      : "";
    lines.push(
      `Source: ${status.source.title}${amendment}, dated ${status.source.date} (${status.source.ageYears} years old).`,
    );
  }
  lines.push(`Hierarchy: ${report.hierarchy.map((ancestor) => ancestor.name).join(" › ")}`);
  if (report.synonyms.length > 0) lines.push(`Synonyms: ${report.synonyms.join("; ")}`);
  const languages = Object.keys(report.commonNames).sort();
  if (languages.length > 0) {
    lines.push("Names:");
    for (const lang of languages) lines.push(`  ${lang}: ${(report.commonNames[lang] ?? []).join(", ")}`);
  }
  if (report.distribution.length > 0) lines.push(`Range states: ${report.distribution.join(" ")}`);
  return lines.join("\n");
}
