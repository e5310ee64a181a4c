import type {
  ExtractedComment,
  ExtractedListing,
  ExtractedPrice,
  FieldSource,
  ListingField,
} from "./extracted-listing.ts";
import type { ExtractionRules } from "./extraction-rules.ts";
import { normalizeLanguage, type FieldValues } from "./field-values.ts";
import {
  guessLanguage,
  heuristicDescription,
  heuristicPostedAt,
  heuristicPrice,
  heuristicTitle,
} from "./heuristics.ts";
import { defaultHtmlLimits, parseHtml, type HtmlLimits, type ParsedHtml } from "./html-document.ts";
import { listingFromDocumentMeta, listingFromOpenGraph, readMetaTags } from "./meta-tags.ts";
import { baseUrlOf } from "./page-url.ts";
import { parseDate, type DateHints } from "./parse-date.ts";
import { currencyOf, normalizeCurrency, parsePrice, type PriceHints } from "./parse-price.ts";
import { listingFromSchema } from "./schema-listing.ts";
import { readComments, readSelectorFields, select, type SelectorValues } from "./selector-rules.ts";
import { readJsonLd, readMicrodata } from "./structured-data.ts";

export interface ListingPage {
  /** The URL the page came from, after redirects: relative links resolve against it (or its `<base href>`). */
  readonly url: string;
  readonly html: string;
  readonly source?: ExtractionRules;
  /** When the page was fetched (ISO 8601): what "3 days ago" and "12 mars" are counted from. */
  readonly fetchedAt?: string;
}

export interface ExtractOptions {
  readonly limits?: HtmlLimits;
}

/**
 * An advert's fields from one page, each from the strongest place that has it: schema.org JSON-LD, microdata,
 * OpenGraph, document metadata, the source's selectors, then heuristics (`preferSelectors` moves the selectors
 * first for the fields it names). Never renders or runs anything; every field comes out as capped plain text.
 */
export function extractListing(page: ListingPage, options: ExtractOptions = {}): ExtractedListing {
  return extractListingFrom(parseHtml(page.html, options.limits ?? defaultHtmlLimits), page);
}

/**
 * The same, from a page already parsed (to share one parse with `extractLinks` and `classifyPage`). It removes the
 * source's `remove` elements from the document, so run it after the others.
 */
export function extractListingFrom(parsed: ParsedHtml, page: Omit<ListingPage, "html">): ExtractedListing {
  const { $ } = parsed;
  const rules = page.source ?? {};
  const baseUrl = baseUrlOf(parsed, page.url);
  const dateHints: DateHints = {
    ...(page.fetchedAt ? { referenceTime: page.fetchedAt } : {}),
    ...(rules.dateOrder ? { dateOrder: rules.dateOrder } : {}),
  };
  const declaredCurrency = rules.currency ? normalizeCurrency(rules.currency) : undefined;
  const declaredLanguage = normalizeLanguage(rules.language);
  const schemaContext = {
    baseUrl,
    ...(page.fetchedAt ? { referenceTime: page.fetchedAt } : {}),
    ...(rules.dateOrder ? { dateOrder: rules.dateOrder } : {}),
    ...(declaredCurrency ? { currency: declaredCurrency } : {}),
    ...(declaredLanguage ? { language: declaredLanguage } : {}),
  };
  const meta = readMetaTags(parsed);
  const metaContext = {
    baseUrl,
    dateHints,
    ...(declaredCurrency ? { currency: declaredCurrency } : {}),
    ...(declaredLanguage ? { language: declaredLanguage } : {}),
  };
  const structured: Array<readonly [FieldSource, FieldValues]> = [
    ["json-ld", listingFromSchema(readJsonLd(parsed), schemaContext)],
    ["microdata", listingFromSchema(readMicrodata(parsed, baseUrl), schemaContext)],
    ["opengraph", listingFromOpenGraph(meta, metaContext)],
    ["meta", listingFromDocumentMeta(meta, metaContext)],
  ];

  // The selectors run on the page without the elements the source says to ignore.
  for (const selector of rules.remove ?? []) select($, selector)?.remove();
  const selected: SelectorValues = rules.fields
    ? readSelectorFields($, rules, { baseUrl, pageUrl: page.url, dateHints })
    : { text: {}, images: [] };
  const preferred = new Set<ListingField>(rules.preferSelectors ?? []);

  const how: Partial<Record<ListingField, FieldSource>> = {};
  const resolve = <T>(
    field: ListingField,
    fromStructured: (values: FieldValues) => T | undefined,
    fromSelectors: () => T | undefined,
    fromHeuristics: () => T | undefined,
  ): T | undefined => {
    const attempts: Array<readonly [FieldSource, () => T | undefined]> = [
      ...structured.map(([source, values]) => [source, () => fromStructured(values)] as const),
      ["selector", fromSelectors],
      ["heuristic", fromHeuristics],
    ];
    if (preferred.has(field)) attempts.unshift(["selector", fromSelectors]);
    for (const [source, attempt] of attempts) {
      const value = attempt();
      if (value !== undefined && !(Array.isArray(value) && value.length === 0)) {
        how[field] = source;
        return value;
      }
    }
    return undefined;
  };
  const none = () => undefined;

  const title = resolve(
    "title",
    (v) => v.title,
    () => selected.text.title,
    () => heuristicTitle(parsed),
  );
  const description = resolve(
    "description",
    (v) => v.description,
    () => selected.text.description,
    () => heuristicDescription(parsed),
  );
  const language = resolve(
    "language",
    (v) => v.language,
    () => normalizeLanguage(selected.text.language) ?? declaredLanguage,
    () => guessLanguage([title, description].filter(Boolean).join("\n")),
  );
  const structuredCurrency = structured.map(([, values]) => values.price?.currency).find(Boolean);
  const priceHints: PriceHints = {
    ...(language ? { language } : {}),
  };
  const selectorCurrency = selected.text.currency
    ? (normalizeCurrency(selected.text.currency) ?? currencyOf(selected.text.currency, priceHints))
    : undefined;
  const hintCurrency = selectorCurrency ?? structuredCurrency ?? declaredCurrency;
  const hinted: PriceHints = { ...priceHints, ...(hintCurrency ? { currency: hintCurrency } : {}) };
  const price = resolve<ExtractedPrice>(
    "price",
    (v) => v.price,
    () => (selected.text.price ? parsePrice(selected.text.price, hinted) : undefined),
    () => heuristicPrice(parsed, hinted),
  );
  const sellerName = resolve(
    "sellerName",
    (v) => v.sellerName,
    () => selected.text.sellerName,
    none,
  );
  const sellerId = resolve(
    "sellerId",
    (v) => v.sellerId,
    () => selected.text.sellerId,
    none,
  );
  const sellerProfileUrl = resolve(
    "sellerProfileUrl",
    (v) => v.sellerProfileUrl,
    () => selected.text.sellerProfileUrl,
    none,
  );
  const sellerLocation = resolve(
    "sellerLocation",
    (v) => v.sellerLocation,
    () => selected.text.sellerLocation,
    none,
  );
  const postedAt = resolve(
    "postedAt",
    (v) => v.postedAt,
    () => (selected.text.postedAt ? parseDate(selected.text.postedAt, dateHints) : undefined),
    () => heuristicPostedAt(parsed, dateHints),
  );
  const imageUrls =
    resolve(
      "imageUrls",
      (v) => v.imageUrls,
      () => [...selected.images],
      none,
    ) ?? [];
  const category = resolve(
    "category",
    (v) => v.category,
    () => selected.text.category,
    none,
  );
  const canonicalUrl = resolve(
    "canonicalUrl",
    (v) => v.canonicalUrl,
    () => selected.text.canonicalUrl,
    none,
  );
  const listingId = resolve(
    "listingId",
    (v) => v.listingId,
    () => selected.text.listingId,
    none,
  );
  const availability = resolve("availability", (v) => v.availability, none, none);

  let comments: readonly ExtractedComment[] =
    structured.map(([, values]) => values.comments).find((list) => list && list.length > 0) ?? [];
  if (comments.length === 0 && rules.comments) {
    comments = readComments($, rules.comments, { baseUrl, pageUrl: page.url, dateHints });
  }

  return {
    url: page.url,
    ...(title !== undefined ? { title } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(price !== undefined ? { price } : {}),
    seller: {
      ...(sellerName !== undefined ? { name: sellerName } : {}),
      ...(sellerId !== undefined ? { id: sellerId } : {}),
      ...(sellerProfileUrl !== undefined ? { profileUrl: sellerProfileUrl } : {}),
    },
    ...(sellerLocation !== undefined ? { sellerLocation } : {}),
    ...(postedAt !== undefined ? { postedAt } : {}),
    imageUrls,
    ...(category !== undefined ? { category } : {}),
    ...(canonicalUrl !== undefined ? { canonicalUrl } : {}),
    ...(language !== undefined ? { language } : {}),
    ...(listingId !== undefined ? { listingId } : {}),
    ...(availability !== undefined ? { availability } : {}),
    comments,
    how,
    truncated: parsed.truncated,
  };
}
