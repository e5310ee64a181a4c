/**
 * What extraction finds on one page: the fields of an advert, each as plain text, and for each the way it was
 * found. Nothing here is HTML: tags are stripped, entities decoded and whitespace normalised, so a field can be
 * shown with `textContent` and stored as is.
 */

/**
 * Where a field came from, strongest first: schema.org JSON-LD, schema.org microdata, OpenGraph (`og:*`,
 * `product:*`, `article:*`, `twitter:*`), other document metadata (`<meta name>`, `<link rel=canonical>`,
 * `<html lang>`), the source's declaration (its CSS selectors and declared defaults), or a heuristic over the page.
 */
export type FieldSource = "json-ld" | "microdata" | "opengraph" | "meta" | "selector" | "heuristic";

export const listingFields = [
  "title",
  "description",
  "price",
  "sellerName",
  "sellerId",
  "sellerProfileUrl",
  "sellerLocation",
  "postedAt",
  "imageUrls",
  "category",
  "canonicalUrl",
  "language",
  "listingId",
  "availability",
] as const;

export type ListingField = (typeof listingFields)[number];

export type PriceKind =
  /** One amount. */
  | "amount"
  /** From `amount` to `maxAmount` ("100–200 €", an AggregateOffer). */
  | "range"
  /** Given away: amount "0". */
  | "free"
  /** "Contact for price", "DM", "sur demande": no amount. */
  | "on-request";

export interface ExtractedPrice {
  /** A decimal string with "." as separator and no grouping: "1234.56", "1500000". Absent for `on-request`. */
  readonly amount?: string;
  /** The upper end of a range. */
  readonly maxAmount?: string;
  /** ISO 4217, when the page says it or the symbol and hints make it certain ("$" alone does not). */
  readonly currency?: string;
  /** The price as the page wrote it, normalised to plain text. */
  readonly raw: string;
  readonly kind: PriceKind;
}

export interface ExtractedSeller {
  readonly name?: string;
  /** The platform's id for the seller (a user id, a shop slug). */
  readonly id?: string;
  /** Absolute http(s) URL of the seller's profile or shop. */
  readonly profileUrl?: string;
}

/** A reply under a forum or social post: offers are often made there ("PM sent", "2 left, 1.5jt"). */
export interface ExtractedComment {
  readonly author?: string;
  readonly text: string;
  readonly postedAt?: string;
}

export interface ExtractedListing {
  /** The URL the page was fetched from (after redirects), as given. */
  readonly url: string;
  readonly title?: string;
  readonly description?: string;
  readonly price?: ExtractedPrice;
  readonly seller: ExtractedSeller;
  readonly sellerLocation?: string;
  /** ISO 8601: a date ("2024-03-05"), a local date-time, or a UTC instant ("2024-03-05T10:20:00.000Z"). */
  readonly postedAt?: string;
  /** Absolute http(s) URLs, deduplicated, in page order. */
  readonly imageUrls: readonly string[];
  readonly category?: string;
  readonly canonicalUrl?: string;
  /** BCP 47, canonical case ("en", "pt-BR", "zh-Hant"). */
  readonly language?: string;
  /** The platform's id for the listing (SKU, product id, ad number). */
  readonly listingId?: string;
  /** schema.org availability without its prefix ("InStock", "SoldOut", "Discontinued"…). */
  readonly availability?: string;
  readonly comments: readonly ExtractedComment[];
  /** How each field that is present was found. */
  readonly how: Readonly<Partial<Record<ListingField, FieldSource>>>;
  /** What the page's limits cut: the input past `maxHtmlChars`, elements nested past `maxDepth`. */
  readonly truncated: { readonly input: boolean; readonly nesting: boolean };
}
