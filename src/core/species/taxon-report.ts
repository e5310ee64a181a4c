import { populationsOf, type Appendix, type PopulationScope, type Rank } from "./reference-data.ts";
import type { ListingStatus, SpeciesIndex } from "./species-index.ts";

/** Everything a person or a script asks about one taxon: the answer of `species show`, in the CLI and the API. */
export interface TaxonReport {
  readonly id: string;
  readonly name: string;
  readonly rank: Rank;
  readonly author?: string;
  /** False for a binomial the data does not name, reported through its nearest known ancestor. */
  readonly inReferenceData: boolean;
  readonly status: ListingReport;
  readonly hierarchy: ReadonlyArray<{ readonly id: string; readonly name: string; readonly rank: Rank }>;
  readonly synonyms: readonly string[];
  readonly commonNames: Readonly<Record<string, readonly string[]>>;
  readonly distribution: readonly string[];
  readonly citesAccepted?: boolean;
}

export interface ListingReport {
  readonly listed: boolean;
  readonly appendices: readonly Appendix[];
  /** A sentence saying why: its own listing, an ancestor's ("Dalbergia spp."), or why it is not listed. */
  readonly why: string;
  readonly via?: { readonly id: string; readonly name: string; readonly rank: Rank };
  readonly populations: ReadonlyArray<{
    readonly appendix: Appendix;
    readonly scope: PopulationScope;
    readonly text: string;
  }>;
  readonly annotationSymbols: readonly string[];
  readonly annotation?: string;
  readonly fullAnnotation?: string;
  readonly source?: {
    readonly id: string;
    readonly title: string;
    readonly date: string;
    /** Whole years between the source date and `asOf`. */
    readonly ageYears: number;
    readonly cop?: string;
    readonly proposal?: string;
  };
}

const higherRankSuffix: Partial<Record<Rank, string>> = {
  ORDER: " spp.",
  FAMILY: " spp.",
  SUBFAMILY: " spp.",
  GENUS: " spp.",
};

/** Builds the report of a taxon. `asOf` (ISO date) dates the answer: the core reads no clock. */
export function taxonReport(index: SpeciesIndex, taxonIndex: number, asOf: string): TaxonReport {
  const taxon = index.taxon(taxonIndex);
  return {
    id: taxon.id,
    name: taxon.name,
    rank: taxon.rank,
    ...(taxon.author ? { author: taxon.author } : {}),
    inReferenceData: true,
    status: listingReport(index, taxonIndex, index.listingStatus(taxonIndex), asOf),
    hierarchy: hierarchyOf(index, taxonIndex),
    synonyms: taxon.synonyms ?? [],
    commonNames: commonNamesByLanguage(index, taxonIndex),
    distribution: taxon.distribution ?? [],
    ...(taxon.citesAccepted !== undefined ? { citesAccepted: taxon.citesAccepted } : {}),
  };
}

/** The report of a binomial the data does not name, as a member of its nearest known genus or species. */
export function unnamedTaxonReport(
  index: SpeciesIndex,
  name: string,
  nearestKnown: number,
  asOf: string,
): TaxonReport {
  const status = index.listingStatus(nearestKnown, { asUnnamedMember: true });
  return {
    id: "",
    name,
    rank: name.trim().split(/\s+/).length >= 3 ? "SUBSPECIES" : "SPECIES",
    inReferenceData: false,
    status: listingReport(index, nearestKnown, status, asOf, name),
    hierarchy: hierarchyOf(index, nearestKnown),
    synonyms: [],
    commonNames: {},
    distribution: [],
  };
}

function listingReport(
  index: SpeciesIndex,
  taxonIndex: number,
  status: ListingStatus,
  asOf: string,
  unnamedName?: string,
): ListingReport {
  const subject = unnamedName ?? index.taxon(taxonIndex).name;
  if (!status.listed) {
    const by = status.via !== undefined ? index.taxon(status.via).name : subject;
    const why =
      status.reason === "deleted"
        ? `${by} was deleted from the Appendices`
        : status.reason === "excluded"
          ? `${by} is named in the export as not listed (NC)`
          : memberText(index, taxonIndex, subject);
    return {
      listed: false,
      appendices: [],
      why,
      populations: [],
      annotationSymbols: [],
      ...(status.source ? { source: sourceReport(status.source, asOf) } : {}),
    };
  }
  const viaTaxon = index.taxon(status.via);
  const viaName = `${viaTaxon.name}${higherRankSuffix[viaTaxon.rank] ?? ""}`;
  const appendixText = status.appendices.map((appendix) => `Appendix ${appendix}`).join(" and ");
  const why = status.inherited
    ? `${unnamedName ? `${unnamedName} is not named in the reference data; it is` : `${subject} is`} covered by the listing of ${viaName} in ${appendixText}`
    : `${subject} is listed in its own right in ${appendixText}`;
  const listing = status.listing;
  return {
    listed: true,
    appendices: status.appendices,
    why,
    via: { id: viaTaxon.id, name: viaTaxon.name, rank: viaTaxon.rank },
    populations: status.inherited
      ? []
      : populationsOf(index.data, listing).map((population) => ({
          appendix: population.appendix,
          scope: population.scope,
          text: population.text.en,
        })),
    annotationSymbols: listing.annotationSymbols ?? [],
    ...(listing.annotationText !== undefined ? { annotation: index.text(listing.annotationText) } : {}),
    ...(listing.fullAnnotationText !== undefined
      ? { fullAnnotation: index.text(listing.fullAnnotationText) }
      : {}),
    source: {
      ...sourceReport(status.source, asOf),
      ...(listing.cop ? { cop: listing.cop } : {}),
      ...(listing.proposal ? { proposal: listing.proposal } : {}),
    },
  };
}

function memberText(index: SpeciesIndex, taxonIndex: number, subject: string): string {
  const { appendices, members } = index.memberListings(taxonIndex);
  if (members.length === 0) return `${subject} is not in the Appendices, nor is any taxon above it`;
  const named = members
    .slice(0, 5)
    .map((member) => `${index.taxon(member).name}${higherRankSuffix[index.taxon(member).rank] ?? ""}`);
  const more = members.length > 5 ? ` and ${members.length - 5} more` : "";
  return `${subject} is not listed as a whole, but its members ${named.join(", ")}${more} are (Appendix ${appendices.join("/")})`;
}

function sourceReport(source: { id: string; title: string; date: string }, asOf: string) {
  return {
    id: source.id,
    title: source.title,
    date: source.date,
    ageYears: wholeYearsBetween(source.date, asOf),
  };
}

/** Whole calendar years from one ISO date to another (2017-04-21 → 2026-11-23 is 9). */
export function wholeYearsBetween(from: string, to: string): number {
  const [fromYear, fromRest] = [Number(from.slice(0, 4)), from.slice(5, 10)];
  const [toYear, toRest] = [Number(to.slice(0, 4)), to.slice(5, 10)];
  return Math.max(0, toYear - fromYear - (toRest < fromRest ? 1 : 0));
}

function hierarchyOf(index: SpeciesIndex, taxonIndex: number) {
  return index
    .lineage(taxonIndex)
    .reverse()
    .map((at) => {
      const ancestor = index.taxon(at);
      return { id: ancestor.id, name: ancestor.name, rank: ancestor.rank };
    });
}

function commonNamesByLanguage(index: SpeciesIndex, taxonIndex: number): Record<string, string[]> {
  const byLanguage: Record<string, string[]> = {};
  for (const [lang, name] of index.taxon(taxonIndex).commonNames ?? []) (byLanguage[lang] ??= []).push(name);
  return byLanguage;
}
