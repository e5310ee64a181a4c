/**
 * The compiled CITES reference data: what `wildtrawl species import` writes under data/ and what every part of
 * wildtrawl loads at start-up. Plain JSON, so the core can build its index in Node and in the browser alike.
 */

export const referenceDataFormat = "wildtrawl-reference/1";

export const appendices = ["I", "II", "III"] as const;
export type Appendix = (typeof appendices)[number];

export const ranks = [
  "KINGDOM",
  "PHYLUM",
  "CLASS",
  "ORDER",
  "FAMILY",
  "SUBFAMILY",
  "GENUS",
  "SPECIES",
  "SUBSPECIES",
  "VARIETY",
] as const;
export type Rank = (typeof ranks)[number];

/** Where a listing or a name comes from, and how old that source is. */
export interface DataSource {
  readonly id: string;
  readonly title: string;
  /** YYYY-MM-DD: the export date, or the date the amendment entered into force. */
  readonly date: string;
  readonly licence?: string;
}

/** Which populations a part of a split listing covers. */
export type PopulationScope =
  | { readonly kind: "all" }
  | { readonly kind: "only"; readonly countries: readonly string[] }
  | { readonly kind: "except"; readonly countries: readonly string[] };

/** One "Appendix N: …" segment of a listing, with its text in the languages the source gives. */
export interface PopulationListing {
  readonly appendix: Appendix;
  readonly scope: PopulationScope;
  readonly text: { readonly en: string; readonly es?: string; readonly fr?: string };
}

export interface Listing {
  /** Empty when the taxon is named but not listed (NC) or was deleted from the Appendices. */
  readonly appendices: readonly Appendix[];
  /** Some populations or members are not in the Appendices (the NC of "I/II/NC"). */
  readonly someNotListed?: boolean;
  readonly deleted?: boolean;
  /**
   * Index into `ReferenceData.populationSets` (thousands of taxa share one, "Included in Orchidaceae spp.");
   * omitted when every appendix covers all populations with no note: see `populationsOf`.
   */
  readonly populations?: number;
  /** Plant "#" annotations such as "#4" (which parts and derivatives are covered). */
  readonly annotationSymbols?: readonly string[];
  /** Index into `ReferenceData.texts`. */
  readonly annotationText?: number;
  /** Index into `ReferenceData.texts`: the long-form annotation of the listing. */
  readonly fullAnnotationText?: number;
  /** Index into `ReferenceData.sources`. */
  readonly source: number;
  /** For amendments: the Conference of the Parties and the proposal that adopted it. */
  readonly cop?: string;
  readonly proposal?: string;
  /** The listing this one replaced, when a later amendment changed an export's listing. */
  readonly supersedes?: { readonly appendices: readonly Appendix[]; readonly source: number };
}

/** [language tag, name, index into `ReferenceData.sources`]. */
export type CommonName = readonly [lang: string, name: string, source: number];

export interface TaxonRecord {
  /** The Species+ taxon id as a string, or `wt:<rank>:<name>` for a taxon the export does not carry as a row. */
  readonly id: string;
  readonly name: string;
  readonly rank: Rank;
  readonly author?: string;
  /** Index of the parent in `ReferenceData.taxa`. */
  readonly parent?: number;
  /** False for names the export covers but CITES' standard nomenclature has not adopted. */
  readonly citesAccepted?: boolean;
  readonly listing?: Listing;
  readonly synonyms?: readonly string[];
  readonly commonNames?: readonly CommonName[];
  /** ISO 3166-1 alpha-2 codes of the range states. */
  readonly distribution?: readonly string[];
}

export interface ReferenceData {
  readonly format: typeof referenceDataFormat;
  readonly sources: readonly DataSource[];
  readonly texts: readonly string[];
  readonly populationSets: ReadonlyArray<readonly PopulationListing[]>;
  readonly taxa: readonly TaxonRecord[];
}

/** The population listings of a listing, with the implicit "all populations" entries spelled out. */
export function populationsOf(data: ReferenceData, listing: Listing): readonly PopulationListing[] {
  const shared = listing.populations === undefined ? undefined : data.populationSets[listing.populations];
  return (
    shared ??
    listing.appendices.map((appendix) => ({ appendix, scope: { kind: "all" as const }, text: { en: "" } }))
  );
}
