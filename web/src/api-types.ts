/** The shapes of the API answers the review screens read (src/api/*-schemas.ts describe them). */

export type Appendix = "I" | "II" | "III";
export type ReviewVerdict = "illegal_offer" | "legal_offer" | "not_wildlife" | "unsure";
export const reviewVerdicts: readonly ReviewVerdict[] = [
  "illegal_offer",
  "legal_offer",
  "not_wildlife",
  "unsure",
];

export interface QueueItem {
  readonly listingId: number;
  readonly title: string | null;
  readonly url: string;
  readonly source: string;
  readonly platform: string | null;
  readonly seller: string | null;
  readonly price: { readonly amount: number; readonly currency: string | null } | null;
  readonly language: string | null;
  readonly country: string | null;
  readonly score: number;
  readonly taxa: readonly { readonly taxonId: number; readonly name: string; readonly appendix: Appendix }[];
  readonly assignee: { readonly userId: number; readonly displayName: string } | null;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface Listing {
  readonly id: number;
  readonly sourceId: number;
  readonly url: string;
  readonly title: string | null;
  readonly text: string;
  readonly priceAmount: number | null;
  readonly priceCurrency: string | null;
  readonly seller: string | null;
  readonly language: string | null;
  readonly country: string | null;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly removedAt: string | null;
  readonly version: number;
  readonly verdict: "offer" | "mention" | "none" | null;
  readonly score: number | null;
  readonly detectorVersion: string | null;
  readonly taxa: readonly {
    readonly taxonId: number;
    readonly scientificName: string;
    readonly appendix: Appendix;
  }[];
}

export interface Detection {
  readonly id: number;
  readonly listingVersion: number;
  readonly verdict: "offer" | "mention" | "none";
  readonly score: number;
  readonly reasons: readonly string[];
  readonly detectorVersion: string;
  readonly detectedAt: string;
}

export interface ListingVersion {
  readonly version: number;
  readonly observedAt: string;
  readonly title?: string | null;
  readonly text?: string;
  readonly priceAmount?: number | null;
  readonly priceCurrency?: string | null;
  readonly removed?: boolean;
}

export type AdvertField = "title" | "text" | "price" | "seller";

export interface TermMatch {
  readonly field: AdvertField;
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly term: string;
  readonly kind: string;
  readonly lang?: string;
  readonly taxa: readonly string[];
  readonly product?: string;
  readonly evasive?: boolean;
  readonly distance?: number;
  readonly suppressedBy?: string;
}

export interface AnalysedTaxon {
  readonly id: string;
  readonly name: string;
  readonly rank: string;
  readonly listed: boolean;
  readonly appendices: readonly string[];
  readonly listedThrough?: string;
  readonly listingSource?: { readonly id: string; readonly date: string };
  readonly terms: readonly string[];
}

export interface ListingAnalysis {
  readonly detectorVersion: string;
  readonly fields: Readonly<Record<AdvertField, string>>;
  readonly matches: readonly TermMatch[];
  readonly taxa: readonly AnalysedTaxon[];
  readonly scoreParts: readonly { readonly label: string; readonly points: number }[];
  /** Offers wildlife, CITES-listed or not; the wildlife-offer score's points where that score decided it. */
  readonly offersWildlife: boolean;
  readonly wildlifeScoreParts?: readonly { readonly label: string; readonly points: number }[];
  readonly reasons: readonly string[];
  readonly review: readonly string[];
}

export interface Capture {
  readonly id: number;
  readonly status: string;
  readonly failureReason: string | null;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly files: readonly { readonly role: string }[];
}

export interface Review {
  readonly id: number;
  readonly verdict: ReviewVerdict;
  readonly note: string | null;
  readonly reviewedAt: string;
}

export interface SpeciesHit {
  readonly id: string;
  readonly name: string;
  readonly rank: string;
  readonly listed: boolean;
  readonly appendices: readonly string[];
  readonly matchedName?: { readonly text: string; readonly kind: string; readonly lang: string };
}

export interface TaxonReport {
  readonly id: string;
  readonly name: string;
  readonly rank: string;
  readonly author?: string;
  readonly inReferenceData: boolean;
  readonly status: {
    readonly listed: boolean;
    readonly appendices: readonly string[];
    readonly why: string;
    readonly via?: { readonly id: string; readonly name: string; readonly rank: string };
    readonly populations: readonly { readonly appendix: string; readonly text: string }[];
    readonly annotation?: string;
    readonly source?: { readonly title: string; readonly date: string };
  };
  readonly hierarchy: readonly { readonly id: string; readonly name: string; readonly rank: string }[];
  readonly synonyms: readonly string[];
  readonly commonNames: Readonly<Record<string, readonly string[]>>;
  readonly distribution: readonly string[];
}
