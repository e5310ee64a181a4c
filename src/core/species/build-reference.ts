import { InvalidInputError, type InputProblem } from "../errors.ts";
import {
  parseCurrentListing,
  parseSynonyms,
  populationListings,
  splitAppendixSegments,
  splitCommonNames,
  stripExportHtml,
} from "./listing-text.ts";
import {
  appendices as allAppendices,
  ranks,
  referenceDataFormat,
  type Appendix,
  type CommonName,
  type DataSource,
  type Listing,
  type PopulationListing,
  type Rank,
  type ReferenceData,
  type TaxonRecord,
} from "./reference-data.ts";

/** One row of a tabular input, with the line it starts on (1-based, the header being line 1 or later). */
export interface InputRow {
  readonly line: number;
  readonly cells: Readonly<Record<string, string>>;
}

export interface InputTable {
  readonly file: string;
  readonly rows: Iterable<InputRow>;
}

/** The Species+ "Index of CITES Species" columns the importer needs; the export has more, which are ignored. */
export const speciesPlusColumns = [
  "TaxonId",
  "Kingdom",
  "Phylum",
  "Class",
  "Order",
  "Family",
  "Genus",
  "Species",
  "Subspecies",
  "FullName",
  "AuthorYear",
  "RankName",
  "CurrentListing",
  "FullAnnotationEnglish",
  "AnnotationEnglish",
  "AnnotationSpanish",
  "AnnotationFrench",
  "#AnnotationSymbol",
  "#Annotation",
  "SynonymsWithAuthors",
  "EnglishNames",
  "SpanishNames",
  "FrenchNames",
  "CitesAccepted",
  "All_DistributionISOCodes",
] as const;

export const supplementColumns = [
  "scientific_name",
  "rank",
  "kingdom",
  "phylum",
  "class",
  "order",
  "family",
  "genus",
  "listing",
  "populations",
  "annotation_symbol",
  "cop",
  "proposal",
  "in_force",
  "common_name_en",
] as const;

export const nameColumns = ["scientific_name", "lang", "name"] as const;

export const parentColumns = ["name", "rank", "parent", "parent_rank"] as const;

const lineageRanks = ["KINGDOM", "PHYLUM", "CLASS", "ORDER", "FAMILY", "GENUS"] as const;

interface Lineage {
  readonly kingdom: string;
  readonly names: Partial<Record<Rank, string>>;
}

interface MutableTaxon {
  id: string;
  name: string;
  rank: Rank;
  kingdom: string;
  author?: string;
  parent?: number;
  citesAccepted?: boolean;
  listing?: Listing;
  synonyms: string[];
  commonNames: CommonName[];
  distribution?: string[];
  lineage?: Lineage;
}

const rankSet = new Set<string>(ranks);
// Species+ adds a few two-character codes of its own (such as S1) beside ISO 3166 alpha-2.
const isoCode = /^[A-Z][A-Z0-9]$/;
const isoDate = /^\d{4}-\d{2}-\d{2}$/;
const languageTag = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/**
 * Builds the reference data from a Species+ export, a supplement of later amendments, taxonomy corrections and
 * tables of common names. It collects every problem with its file, line and column; `build()` returns the data
 * only if there were none, so an import is all-or-nothing.
 */
export class ReferenceBuilder {
  readonly #taxa: MutableTaxon[] = [];
  readonly #byKey = new Map<string, number>();
  readonly #byId = new Map<string, number>();
  readonly #byName = new Map<string, number[]>();
  readonly #sources: DataSource[] = [];
  readonly #texts: string[] = [];
  readonly #textIndex = new Map<string, number>();
  readonly #populationSets: PopulationListing[][] = [];
  readonly #populationSetIndex = new Map<string, number>();
  readonly #problems: InputProblem[] = [];
  #bySynonym: Map<string, number[]> | undefined;

  get problems(): readonly InputProblem[] {
    return this.#problems;
  }

  addSource(source: DataSource): number {
    const existing = this.#sources.findIndex((known) => known.id === source.id);
    if (existing >= 0) return existing;
    this.#sources.push(source);
    return this.#sources.length - 1;
  }

  /** Adds every row of a Species+ export; call `linkHierarchy` once all export rows are in. */
  addSpeciesPlusExport(table: InputTable, sourceIndex: number): void {
    for (const row of table.rows) this.#addSpeciesPlusRow(table.file, row, sourceIndex);
    this.#linkHierarchy();
  }

  #addSpeciesPlusRow(file: string, row: InputRow, sourceIndex: number): void {
    const problem = (column: string, message: string) =>
      this.#problems.push({ file, line: row.line, column, message });
    const cell = (column: string) => (row.cells[column] ?? "").trim();

    const taxonId = cell("TaxonId");
    if (!/^[1-9]\d*$/.test(taxonId))
      return void problem("TaxonId", `expected a positive integer, got "${taxonId}"`);
    if (this.#byId.has(taxonId)) return void problem("TaxonId", `taxon ${taxonId} appears twice`);
    const name = cell("FullName");
    if (name === "") return void problem("FullName", "empty");
    const rank = cell("RankName");
    if (!rankSet.has(rank)) {
      return void problem("RankName", `unknown rank "${rank}" (expected one of ${ranks.join(", ")})`);
    }
    const kingdom = cell("Kingdom");
    if (kingdom === "") return void problem("Kingdom", "empty");
    const parsedListing = parseCurrentListing(cell("CurrentListing"));
    if (!parsedListing) {
      return void problem(
        "CurrentListing",
        `expected appendices like "I", "II/NC" or "I/II", got "${cell("CurrentListing")}"`,
      );
    }
    const accepted = cell("CitesAccepted");
    if (accepted !== "true" && accepted !== "false" && accepted !== "") {
      return void problem("CitesAccepted", `expected true or false, got "${accepted}"`);
    }
    if (["SPECIES", "SUBSPECIES", "VARIETY"].includes(rank) && !name.startsWith(`${cell("Genus")} `)) {
      return void problem("FullName", `"${name}" is not in its genus "${cell("Genus")}"`);
    }
    const distribution = cell("All_DistributionISOCodes").split(/,\s*/).filter(Boolean);
    const badCode = distribution.find((code) => !isoCode.test(code));
    if (badCode)
      return void problem("All_DistributionISOCodes", `"${badCode}" is not an ISO 3166 alpha-2 code`);

    const hashSymbols = cell("#AnnotationSymbol")
      .split(/[\s,]+/)
      .filter(Boolean);
    const fullAnnotation = annotationText(cell("FullAnnotationEnglish"));
    const hashAnnotation = annotationText(cell("#Annotation"));
    const listing = this.#compactListing(
      {
        appendices: parsedListing.appendices,
        someNotListed: parsedListing.someNotListed,
        annotationSymbols: hashSymbols,
        ...(hashAnnotation ? { annotationText: this.#text(hashAnnotation) } : {}),
        ...(fullAnnotation ? { fullAnnotationText: this.#text(fullAnnotation) } : {}),
        source: sourceIndex,
      },
      populationListings(parsedListing.appendices, {
        en: cell("AnnotationEnglish"),
        es: cell("AnnotationSpanish"),
        fr: cell("AnnotationFrench"),
      }),
    );
    const commonNames: CommonName[] = [];
    for (const [column, lang] of [
      ["EnglishNames", "en"],
      ["SpanishNames", "es"],
      ["FrenchNames", "fr"],
    ] as const) {
      for (const common of splitCommonNames(cell(column))) commonNames.push([lang, common, sourceIndex]);
    }
    const names: Partial<Record<Rank, string>> = {
      KINGDOM: kingdom,
      PHYLUM: cell("Phylum"),
      CLASS: cell("Class"),
      ORDER: cell("Order"),
      FAMILY: cell("Family"),
      GENUS: cell("Genus"),
      // The Species column is not always the epithet; an infraspecific name starts with its species' binomial.
      ...(rank === "SUBSPECIES" || rank === "VARIETY"
        ? { SPECIES: name.split(" ").slice(0, 2).join(" ") }
        : {}),
    };
    const index = this.#addTaxon({
      id: taxonId,
      name,
      rank: rank as Rank,
      kingdom,
      ...(cell("AuthorYear") ? { author: cell("AuthorYear") } : {}),
      ...(accepted ? { citesAccepted: accepted === "true" } : {}),
      listing,
      synonyms: parseSynonyms(cell("SynonymsWithAuthors")).filter((synonym) => synonym !== name),
      commonNames,
      ...(distribution.length ? { distribution } : {}),
      lineage: { kingdom, names },
    });
    if (index === undefined) problem("FullName", `${rank} ${name} appears twice in kingdom ${kingdom}`);
  }

  #linkHierarchy(): void {
    for (let index = 0; index < this.#taxa.length; index++) {
      const taxon = this.#taxa[index];
      if (!taxon?.lineage || taxon.parent !== undefined) continue;
      const parent = this.#ensureAncestors(taxon.lineage, taxon.rank);
      if (parent !== undefined && parent !== index) taxon.parent = parent;
    }
  }

  /** The nearest ancestor of a taxon of `rank` with this lineage, creating the ranks the export does not carry. */
  #ensureAncestors(lineage: Lineage, rank: Rank): number | undefined {
    const rankPosition = ranks.indexOf(rank);
    let parent: number | undefined;
    const chain: Rank[] = [...lineageRanks, "SPECIES"];
    for (const ancestorRank of chain) {
      if (ranks.indexOf(ancestorRank) >= rankPosition) break;
      // Subspecies hang under their species; a subfamily is placed by a taxonomy correction, never by lineage.
      const ancestorName = lineage.names[ancestorRank];
      if (!ancestorName) continue;
      parent = this.#ensureNode(lineage.kingdom, ancestorRank, ancestorName, parent);
    }
    return parent;
  }

  #ensureNode(kingdom: string, rank: Rank, name: string, parent: number | undefined): number {
    const key = taxonKey(kingdom, rank, name);
    const existing = this.#byKey.get(key);
    if (existing !== undefined) {
      const taxon = this.#taxa[existing];
      if (taxon && taxon.parent === undefined && parent !== undefined && parent !== existing)
        taxon.parent = parent;
      return existing;
    }
    const index = this.#addTaxon({
      id: `wt:${rank.toLowerCase()}:${name}`,
      name,
      rank,
      kingdom,
      synonyms: [],
      commonNames: [],
      ...(parent !== undefined ? { parent } : {}),
    });
    return index ?? (this.#byKey.get(key) as number);
  }

  #addTaxon(taxon: MutableTaxon): number | undefined {
    const key = taxonKey(taxon.kingdom, taxon.rank, taxon.name);
    if (this.#byKey.has(key)) return undefined;
    const index = this.#taxa.length;
    this.#taxa.push(taxon);
    this.#byKey.set(key, index);
    this.#byId.set(taxon.id, index);
    const sameName = this.#byName.get(taxon.name);
    if (sameName) sameName.push(index);
    else this.#byName.set(taxon.name, [index]);
    return index;
  }

  /** Places taxa under parents the export's columns cannot express (genera of a listed subfamily such as Lutrinae). */
  applyParents(table: InputTable): void {
    for (const row of table.rows) {
      const child = this.#findForRow(table.file, row, "name", "rank");
      const parent = this.#findForRow(table.file, row, "parent", "parent_rank");
      if (child === undefined || parent === undefined) continue;
      if (this.#isAncestor(child, parent)) {
        this.#problems.push({
          file: table.file,
          line: row.line,
          column: "parent",
          message: "would make a cycle",
        });
        continue;
      }
      const taxon = this.#taxa[child];
      if (taxon) taxon.parent = parent;
    }
  }

  #isAncestor(ancestor: number, of: number): boolean {
    for (let at: number | undefined = of; at !== undefined; at = this.#taxa[at]?.parent) {
      if (at === ancestor) return true;
    }
    return false;
  }

  #findForRow(file: string, row: InputRow, nameColumn: string, rankColumn: string): number | undefined {
    const name = (row.cells[nameColumn] ?? "").trim();
    const rank = (row.cells[rankColumn] ?? "").trim();
    const found = (this.#byName.get(name) ?? []).filter((index) => this.#taxa[index]?.rank === rank);
    if (found.length === 1) return found[0];
    this.#problems.push({
      file,
      line: row.line,
      column: nameColumn,
      message: found.length === 0 ? `no ${rank} named "${name}"` : `"${name}" names ${found.length} taxa`,
    });
    return undefined;
  }

  /**
   * Applies later amendments: a row for a taxon the export has replaces its listing (the old one is kept as
   * `supersedes`); a row for a taxon it lacks adds the taxon under the lineage the row gives.
   */
  applySupplement(table: InputTable): void {
    for (const row of table.rows) this.#applySupplementRow(table.file, row);
  }

  #applySupplementRow(file: string, row: InputRow): void {
    const problem = (column: string, message: string) =>
      this.#problems.push({ file, line: row.line, column, message });
    const cell = (column: string) => (row.cells[column] ?? "").trim();
    const name = cell("scientific_name");
    if (!/^[A-Z][a-z-]+( [a-z][a-z-]+){0,2}$/.test(name)) {
      return void problem("scientific_name", `"${name}" is not a scientific name`);
    }
    const rank = cell("rank");
    if (!rankSet.has(rank)) return void problem("rank", `unknown rank "${rank}"`);
    const kingdom = cell("kingdom");
    if (kingdom !== "Animalia" && kingdom !== "Plantae") {
      return void problem("kingdom", `expected Animalia or Plantae, got "${kingdom}"`);
    }
    const listingValue = cell("listing");
    const deleted = listingValue === "DELETED";
    const listed = deleted ? [] : listingValue.split("/");
    if (
      !deleted &&
      (listed.length === 0 || !listed.every((part) => (allAppendices as readonly string[]).includes(part)))
    ) {
      return void problem("listing", `expected I, II, III, I/II or DELETED, got "${listingValue}"`);
    }
    const cop = cell("cop");
    if (!/^CoP\d{2}$/.test(cop)) return void problem("cop", `expected a CoP like "CoP19", got "${cop}"`);
    const proposal = cell("proposal");
    if (proposal === "") return void problem("proposal", "empty: every amendment cites its proposal");
    const inForce = cell("in_force");
    if (!isoDate.test(inForce)) return void problem("in_force", `expected YYYY-MM-DD, got "${inForce}"`);

    const source = this.addSource({
      id: `cites-${cop.toLowerCase()}-${inForce}`,
      title: `CITES ${cop} amendment to the Appendices (wildtrawl supplement)`,
      date: inForce,
    });
    const appendicesListed = listed as Appendix[];
    const populationsText = cell("populations")
      .split("||")
      .map((population) => population.trim())
      .join("\n");
    const listing = this.#compactListing(
      {
        appendices: appendicesListed,
        ...(deleted ? { deleted: true } : {}),
        annotationSymbols: cell("annotation_symbol") ? [cell("annotation_symbol")] : [],
        source,
        cop,
        proposal,
      },
      populationListings(appendicesListed, { en: populationsText }),
    );
    const names: Partial<Record<Rank, string>> = { KINGDOM: kingdom };
    for (const column of ["phylum", "class", "order", "family", "genus"] as const) {
      if (cell(column)) names[column.toUpperCase() as Rank] = cell(column);
    }
    const known = this.#findByNameOrSynonym(name, rank).filter(
      (index) => this.#taxa[index]?.kingdom === kingdom,
    );
    if (known.length > 1) return void problem("scientific_name", `"${name}" names ${known.length} taxa`);
    let index = known[0];
    if (index === undefined) {
      const parent = this.#ensureAncestors({ kingdom, names }, rank as Rank);
      index = this.#ensureNode(kingdom, rank as Rank, name, parent);
    }
    const taxon = this.#taxa[index] as MutableTaxon;
    const previous = taxon.listing;
    taxon.listing = previous
      ? { ...listing, supersedes: { appendices: previous.appendices, source: previous.source } }
      : listing;
    for (const common of cell("common_name_en")
      .split("|")
      .map((value) => value.trim())
      .filter(Boolean)) {
      addCommonName(taxon, ["en", common, source]);
    }
  }

  /** Adds a table of common names (scientific_name, lang, name) from one source. */
  addNames(table: InputTable, sourceIndex: number): void {
    for (const row of table.rows) {
      const cell = (column: string) => (row.cells[column] ?? "").trim();
      const scientificName = cell("scientific_name");
      const lang = cell("lang");
      const name = cell("name");
      const problem = (column: string, message: string) =>
        this.#problems.push({ file: table.file, line: row.line, column, message });
      if (!languageTag.test(lang)) {
        problem("lang", `"${lang}" is not a language tag`);
        continue;
      }
      if (name === "") {
        problem("name", "empty");
        continue;
      }
      const found = this.#findByNameOrSynonym(scientificName);
      if (found.length !== 1) {
        problem(
          "scientific_name",
          found.length === 0
            ? `no taxon named "${scientificName}" in the reference data`
            : `"${scientificName}" names ${found.length} taxa`,
        );
        continue;
      }
      addCommonName(this.#taxa[found[0] as number] as MutableTaxon, [lang, name, sourceIndex]);
    }
  }

  /**
   * Drops the fields that say nothing and shares identical population sets: most of the 38,000 listings have
   * neither, and this keeps the shipped file small and quick to load.
   */
  #compactListing(listing: Omit<Listing, "populations">, populations: PopulationListing[]): Listing {
    const { someNotListed, annotationSymbols, ...rest } = listing;
    const trivial = populations.every(
      (population) => population.scope.kind === "all" && population.text.en === "",
    );
    let populationSet: number | undefined;
    if (!trivial) {
      const key = JSON.stringify(populations);
      populationSet = this.#populationSetIndex.get(key);
      if (populationSet === undefined) {
        populationSet = this.#populationSets.push(populations) - 1;
        this.#populationSetIndex.set(key, populationSet);
      }
    }
    return {
      ...rest,
      ...(someNotListed ? { someNotListed } : {}),
      ...(populationSet !== undefined ? { populations: populationSet } : {}),
      ...(annotationSymbols?.length ? { annotationSymbols } : {}),
    };
  }

  /** Taxa by accepted name, or else by synonym (a later amendment may use a newer name the export lists as synonym). */
  #findByNameOrSynonym(name: string, rank?: string): number[] {
    const byRank = (indices: readonly number[]) =>
      rank === undefined ? [...indices] : indices.filter((index) => this.#taxa[index]?.rank === rank);
    const accepted = byRank(this.#byName.get(name) ?? []);
    if (accepted.length > 0) return accepted;
    if (!this.#bySynonym) {
      this.#bySynonym = new Map();
      this.#taxa.forEach((taxon, index) => {
        for (const synonym of taxon.synonyms) {
          const list = this.#bySynonym?.get(synonym);
          if (list) list.push(index);
          else this.#bySynonym?.set(synonym, [index]);
        }
      });
    }
    return byRank(this.#bySynonym.get(name) ?? []);
  }

  #text(text: string): number {
    const known = this.#textIndex.get(text);
    if (known !== undefined) return known;
    this.#texts.push(text);
    this.#textIndex.set(text, this.#texts.length - 1);
    return this.#texts.length - 1;
  }

  /** The reference data, or an InvalidInputError listing every problem found; nothing partial. */
  build(): ReferenceData {
    if (this.#problems.length > 0) throw new InvalidInputError("reference_data_invalid", this.#problems);
    const taxa: TaxonRecord[] = this.#taxa.map((taxon) => ({
      id: taxon.id,
      name: taxon.name,
      rank: taxon.rank,
      ...(taxon.author ? { author: taxon.author } : {}),
      ...(taxon.parent !== undefined ? { parent: taxon.parent } : {}),
      ...(taxon.citesAccepted !== undefined ? { citesAccepted: taxon.citesAccepted } : {}),
      ...(taxon.listing ? { listing: taxon.listing } : {}),
      ...(taxon.synonyms.length ? { synonyms: taxon.synonyms } : {}),
      ...(taxon.commonNames.length ? { commonNames: taxon.commonNames } : {}),
      ...(taxon.distribution ? { distribution: taxon.distribution } : {}),
    }));
    return {
      format: referenceDataFormat,
      sources: this.#sources,
      texts: this.#texts,
      populationSets: this.#populationSets,
      taxa,
    };
  }
}

/** The non-empty "Appendix N:" segments of an annotation; the label is kept only when there are several. */
function annotationText(raw: string): string {
  const segments = splitAppendixSegments(raw).filter((segment) => segment.text !== "");
  if (segments.length === 0) return stripExportHtml(raw.replace(/Appendix (III|II|I)\s*:/g, ""));
  if (segments.length === 1) return segments[0]?.text ?? "";
  return segments.map((segment) => `Appendix ${segment.appendix}: ${segment.text}`).join("\n");
}

function taxonKey(kingdom: string, rank: Rank, name: string): string {
  return `${kingdom}|${rank}|${name}`;
}

function addCommonName(taxon: MutableTaxon, entry: CommonName): void {
  const [lang, name] = entry;
  if (!taxon.commonNames.some(([knownLang, knownName]) => knownLang === lang && knownName === name)) {
    taxon.commonNames.push(entry);
  }
}
