import { elementsNamed, type ParsedHtml } from "./html-document.ts";
import { fieldLimits, normalizeLanguage, type FieldValues } from "./field-values.ts";
import { resolveHttpUrl } from "./page-url.ts";
import { parseDate, type DateHints } from "./parse-date.ts";
import { parsePrice, parseSchemaPrice, normalizeCurrency } from "./parse-price.ts";
import { capText, htmlToText, normalizeLine } from "./plain-text.ts";

/**
 * The page's metadata in two tiers: OpenGraph and its relatives (`og:*`, `product:*`, `article:*`, `twitter:*`),
 * then plain document metadata (`<meta name=description>`, `<link rel=canonical>`, `<html lang>`).
 */

export interface MetaTags {
  /** Lower-case `property` or `name` → contents, in page order. */
  readonly byKey: ReadonlyMap<string, readonly string[]>;
  readonly canonical: string | undefined;
  readonly imageSrc: string | undefined;
  readonly htmlLang: string | undefined;
}

const maxMetaTags = 500;
const maxContentChars = 50_000;

const metaRead = new WeakMap<ParsedHtml, MetaTags>();

export function readMetaTags(parsed: ParsedHtml): MetaTags {
  const cached = metaRead.get(parsed);
  if (cached) return cached;
  const byKey = new Map<string, string[]>();
  for (const element of elementsNamed(parsed, "meta").slice(0, maxMetaTags)) {
    const attributes = element.attribs;
    const key = (attributes["property"] ?? attributes["name"] ?? attributes["http-equiv"])
      ?.trim()
      .toLowerCase();
    const content = attributes["content"];
    if (!key || content === undefined) continue;
    const list = byKey.get(key) ?? [];
    if (list.length < 50)
      list.push(content.length > maxContentChars ? content.slice(0, maxContentChars) : content);
    byKey.set(key, list);
  }
  const links = elementsNamed(parsed, "link");
  const linkHref = (rel: string) =>
    links.find(
      (element) =>
        element.attribs["href"] !== undefined &&
        (element.attribs["rel"] ?? "").toLowerCase().split(/\s+/).includes(rel),
    )?.attribs["href"];
  const html = elementsNamed(parsed, "html")[0];
  const tags: MetaTags = {
    byKey,
    canonical: linkHref("canonical"),
    imageSrc: linkHref("image_src"),
    htmlLang: html?.attribs["lang"] ?? html?.attribs["xml:lang"],
  };
  metaRead.set(parsed, tags);
  return tags;
}

export interface MetaContext {
  readonly baseUrl: string;
  readonly dateHints: DateHints;
  readonly currency?: string;
  readonly language?: string;
}

function first(meta: MetaTags, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = meta.byKey.get(key)?.find((content) => content.trim() !== "");
    if (value !== undefined) return value;
  }
  return undefined;
}

function line(value: string | undefined, maxChars: number): string | undefined {
  if (value === undefined) return undefined;
  return capText(normalizeLine(htmlToText(value, maxChars)), maxChars) || undefined;
}

function setIfPresent<K extends keyof FieldValues>(
  values: FieldValues,
  key: K,
  value: FieldValues[K] | undefined,
) {
  if (value !== undefined && value !== "" && !(Array.isArray(value) && value.length === 0))
    values[key] = value;
}

export function listingFromOpenGraph(meta: MetaTags, context: MetaContext): FieldValues {
  const values: FieldValues = {};
  setIfPresent(values, "title", line(first(meta, "og:title", "twitter:title"), fieldLimits.title));
  const description = first(meta, "og:description", "twitter:description");
  if (description) setIfPresent(values, "description", htmlToText(description, fieldLimits.description));
  const locale = first(meta, "og:locale");
  setIfPresent(values, "language", normalizeLanguage(locale));
  const currency = normalizeCurrency(first(meta, "product:price:currency", "og:price:currency"));
  const amountText = first(meta, "product:price:amount", "og:price:amount", "product:sale_price:amount");
  if (amountText) {
    const hintCurrency = currency ?? context.currency;
    const amount = parseSchemaPrice(amountText, hintCurrency);
    if (amount !== undefined) {
      values.price = {
        amount,
        ...(hintCurrency ? { currency: hintCurrency } : {}),
        raw: capText(normalizeLine([amountText, currency ?? ""].join(" ")), 200),
        kind: amount === "0" ? "free" : "amount",
      };
    } else {
      const language = values.language ?? context.language;
      setIfPresent(
        values,
        "price",
        parsePrice(amountText, {
          ...(hintCurrency ? { currency: hintCurrency } : {}),
          ...(language ? { language } : {}),
        }),
      );
    }
  }
  const images: string[] = [];
  for (const key of [
    "og:image",
    "og:image:url",
    "og:image:secure_url",
    "twitter:image",
    "twitter:image:src",
  ]) {
    for (const content of meta.byKey.get(key) ?? []) {
      const url = resolveHttpUrl(content, context.baseUrl);
      if (url && !images.includes(url) && images.length < fieldLimits.imageUrls) images.push(url);
    }
  }
  setIfPresent(values, "imageUrls", images);
  const ogUrl = first(meta, "og:url");
  if (ogUrl) setIfPresent(values, "canonicalUrl", resolveHttpUrl(ogUrl, context.baseUrl));
  const published = first(meta, "article:published_time", "og:published_time", "og:article:published_time");
  if (published) setIfPresent(values, "postedAt", parseDate(published, context.dateHints));
  setIfPresent(
    values,
    "category",
    line(first(meta, "product:category", "article:section"), fieldLimits.category),
  );
  setIfPresent(values, "listingId", line(first(meta, "product:retailer_item_id"), fieldLimits.listingId));
  const availability = first(meta, "product:availability", "og:availability");
  if (availability)
    setIfPresent(values, "availability", capText(normalizeLine(availability), fieldLimits.availability));
  const author = first(meta, "article:author", "og:article:author");
  if (author) {
    const profile = /^https?:/i.test(author.trim()) ? resolveHttpUrl(author, context.baseUrl) : undefined;
    if (profile) values.sellerProfileUrl = profile;
    else setIfPresent(values, "sellerName", line(author, fieldLimits.sellerName));
  }
  const location = [
    first(meta, "og:locality"),
    first(meta, "og:region"),
    first(meta, "og:country-name"),
  ].filter((part): part is string => Boolean(part && part.trim()));
  if (location.length > 0)
    setIfPresent(values, "sellerLocation", line(location.join(", "), fieldLimits.sellerLocation));
  return values;
}

export function listingFromDocumentMeta(meta: MetaTags, context: MetaContext): FieldValues {
  const values: FieldValues = {};
  const description = first(meta, "description");
  if (description) setIfPresent(values, "description", htmlToText(description, fieldLimits.description));
  if (meta.canonical) setIfPresent(values, "canonicalUrl", resolveHttpUrl(meta.canonical, context.baseUrl));
  if (meta.imageSrc) {
    const url = resolveHttpUrl(meta.imageSrc, context.baseUrl);
    if (url) values.imageUrls = [url];
  }
  setIfPresent(
    values,
    "language",
    normalizeLanguage(meta.htmlLang) ??
      normalizeLanguage(first(meta, "content-language", "language", "dc.language")),
  );
  const date = first(
    meta,
    "date",
    "pubdate",
    "publish-date",
    "dc.date",
    "dcterms.created",
    "article:published_time",
  );
  if (date) setIfPresent(values, "postedAt", parseDate(date, context.dateHints));
  setIfPresent(values, "sellerName", line(first(meta, "author"), fieldLimits.sellerName));
  setIfPresent(values, "sellerLocation", line(first(meta, "geo.placename"), fieldLimits.sellerLocation));
  return values;
}
