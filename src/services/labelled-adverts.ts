import { readFile } from "node:fs/promises";
import { InvalidInputError, type InputProblem } from "../core/errors.ts";
import type { ReviewedListing } from "../storage/records.ts";

/** One labelled advert in the format of the evaluation sets (see ../shared/eval/README.md). */
export interface LabelledAdvert {
  readonly id: string;
  readonly text: string;
  readonly title?: string;
  readonly lang?: string;
  readonly source?: string;
  /** True: offers a real wild animal or plant or a product of one; false: does not; null: unsure. */
  readonly label_offer: boolean | null;
  /** CITES-listed taxa the advert is really about; empty for none. */
  readonly taxa: readonly string[];
  readonly context?: "listing" | "post";
}

export interface LabelledSet {
  readonly file: string;
  readonly adverts: readonly LabelledAdvert[];
}

export interface ReadOptions {
  /** Lines whose `source` contains one of these are marketplace listings (classified ads), not posts. */
  readonly listingsFrom?: readonly string[];
  /** Lines whose `source` contains one of these are left out. */
  readonly excludeSources?: readonly string[];
}

/** Reads JSON Lines of labelled adverts, naming the line and field of anything malformed. */
export async function readLabelledAdverts(file: string, options: ReadOptions = {}): Promise<LabelledSet> {
  const problems: InputProblem[] = [];
  const adverts: LabelledAdvert[] = [];
  const lines = (await readFile(file, "utf8")).split("\n");
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const problem = (column: string, message: string) =>
      problems.push({ file, line: index + 1, column, message });
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch (error) {
      return problem("json", (error as Error).message);
    }
    if (typeof value.id !== "string" || value.id === "") return problem("id", "expected a non-empty string");
    if (typeof value.text !== "string") return problem("text", "expected a string");
    if (value.label_offer !== null && typeof value.label_offer !== "boolean") {
      return problem("label_offer", "expected true, false or null");
    }
    if (!Array.isArray(value.taxa) || !value.taxa.every((taxon) => typeof taxon === "string")) {
      return problem("taxa", "expected an array of scientific names");
    }
    const source = typeof value.source === "string" ? value.source : undefined;
    if (source && options.excludeSources?.some((excluded) => source.includes(excluded))) return;
    const context =
      value.context === "listing" || value.context === "post"
        ? value.context
        : source && options.listingsFrom?.some((pattern) => source.includes(pattern))
          ? "listing"
          : "post";
    adverts.push({
      id: value.id,
      text: value.text,
      ...(typeof value.title === "string" ? { title: value.title } : {}),
      ...(typeof value.lang === "string" ? { lang: value.lang } : {}),
      ...(source ? { source } : {}),
      label_offer: value.label_offer as boolean | null,
      taxa: value.taxa as string[],
      context,
    });
  });
  if (problems.length > 0) throw new InvalidInputError("labels_invalid", problems);
  return { file, adverts };
}

/**
 * The quarter of a labelled set kept aside and never tuned on: adverts whose id ends in a number divisible by
 * four ("zh-004", "en-012").
 */
export function isHeldOut(advert: LabelledAdvert): boolean {
  const number = /(?<!\d)(\d+)$/.exec(advert.id)?.[1];
  return number !== undefined && Number(number) % 4 === 0;
}

/** A CITES-relevant offer: labelled an offer, of a taxon that is listed. */
export function isCitesOffer(advert: LabelledAdvert): boolean {
  return advert.label_offer === true && advert.taxa.length > 0;
}

/**
 * People's verdicts as labelled adverts: an illegal or legal offer is an offer of its listing's detected taxa, "not
 * wildlife" is no offer, and "unsure" teaches nothing and is left out. Ids end in the listing id, so the same quarter
 * of listings is always held out.
 */
export function labelledAdvertsFromReviews(
  listings: readonly ReviewedListing[],
  file = "reviews",
): LabelledSet {
  const adverts: LabelledAdvert[] = [];
  for (const listing of listings) {
    if (listing.verdict === "unsure") continue;
    const offer = listing.verdict === "illegal_offer" || listing.verdict === "legal_offer";
    adverts.push({
      id: `review-${listing.listingId}`,
      text: listing.text,
      ...(listing.title ? { title: listing.title } : {}),
      ...(listing.language ? { lang: listing.language } : {}),
      source: file,
      label_offer: offer,
      taxa: offer ? [...new Set(listing.taxa.map((taxon) => taxon.scientificName))] : [],
      context: "listing",
    });
  }
  return { file, adverts };
}
