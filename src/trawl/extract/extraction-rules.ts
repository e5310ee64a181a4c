import type { ListingField } from "./extracted-listing.ts";

/**
 * What a source declares about its pages. Extraction takes these as plain data (a source file, loaded and validated
 * by `loadSource`, or a literal in a test); nothing here is compiled ahead of time.
 */

/** Fields a source can point a selector at. `price` is the price text; `currency` a separate currency text. */
export const selectorFields = [
  "title",
  "description",
  "price",
  "currency",
  "sellerName",
  "sellerId",
  "sellerProfileUrl",
  "sellerLocation",
  "postedAt",
  "images",
  "category",
  "canonicalUrl",
  "language",
  "listingId",
] as const;

export type SelectorField = (typeof selectorFields)[number];

/**
 * One way to read a field. A selector may end in `@attribute` ("meta[itemprop=price]@content"), the same as giving
 * `attribute`. Without an attribute the element's text is read, except for URL fields (images, profile, canonical),
 * which read `src`, `data-src`, `href` or `content`. `pattern` is a regular expression applied to what was read: its
 * first group (or the whole match) is kept, and no match means the next selector is tried.
 */
export interface FieldRule {
  readonly selectors: readonly string[];
  readonly attribute?: string;
  readonly pattern?: string;
}

/** A field rule as written in a source file: one selector, a list tried in order, or the full form. */
export type FieldRuleInput =
  | string
  | readonly string[]
  | {
      readonly selector?: string | readonly string[];
      readonly selectors?: readonly string[];
      readonly attribute?: string;
      readonly pattern?: string;
    };

/** Replies under a post: each `container` match is one comment, read with the other selectors inside it. */
export interface CommentRules {
  readonly container: string;
  readonly author?: string;
  readonly text?: string;
  readonly postedAt?: string;
}

export interface RemovalRules {
  /** Elements whose presence means the listing is gone (".listing-ended", "#item-removed"). */
  readonly selectors?: readonly string[];
  /** Phrases that, in the page's title, headings or notices, mean the listing is gone. Case-insensitive. */
  readonly phrases?: readonly string[];
}

export interface ExtractionRules {
  readonly fields?: Readonly<Partial<Record<SelectorField, FieldRuleInput>>>;
  /** Elements removed before the selectors run: print-only blocks, "QR code" captions, related-item carousels. */
  readonly remove?: readonly string[];
  /**
   * Fields whose selectors win over structured data and meta tags, for sites whose `og:description` is a
   * truncated teaser of the real text.
   */
  readonly preferSelectors?: readonly ListingField[];
  /** ISO 4217 currency of prices that name none, or name an ambiguous symbol ("$", "¥", "kr"). */
  readonly currency?: string;
  /** BCP 47 language of pages that declare none. */
  readonly language?: string;
  /** How the site writes all-numeric dates: "05/03/2024" is 5 March ("dmy") or 3 May ("mdy"). Default "dmy". */
  readonly dateOrder?: "dmy" | "mdy" | "ymd";
  /** A regular expression over the page URL whose first group is the listing id ("/item/(\\d+)"). */
  readonly listingIdPattern?: string;
  readonly comments?: CommentRules;
  readonly removed?: RemovalRules;
}

/** Which links of a page to follow: the ones to listings and the ones to further pages of results. */
export interface LinkKindRules {
  /** Regular expressions over the link's path and query ("^/item/\\d+"). */
  readonly patterns?: readonly string[];
  /** CSS selectors of the links themselves ("a.item-link", "link[rel=next]"). */
  readonly selectors?: readonly string[];
}

export interface LinkRules {
  /** Host names links may point to; "*.example.com" matches every subdomain. Ports are not compared. */
  readonly allowedHosts: readonly string[];
  readonly listings?: LinkKindRules;
  readonly pagination?: LinkKindRules;
  /** Search and index pages: a listing URL redirected to one of these has been removed. */
  readonly index?: LinkKindRules;
  /** Query parameters that never change the page (session ids, referral codes), dropped like `utm_*`. */
  readonly ignoreParameters?: readonly string[];
}

const selectorAttribute = /@([A-Za-z_:][-A-Za-z0-9_:.]*)$/;

/** "img.main@data-src" → { selector: "img.main", attribute: "data-src" }; an "@" inside brackets or quotes stays. */
export function splitSelectorAttribute(text: string): { selector: string; attribute?: string } {
  const match = selectorAttribute.exec(text);
  if (!match) return { selector: text.trim() };
  const before = text.slice(0, match.index);
  let depth = 0;
  let quote: string | undefined;
  for (const char of before) {
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === "[" || char === "(") depth++;
    else if (char === "]" || char === ")") depth--;
  }
  if (depth !== 0 || quote) return { selector: text.trim() };
  return { selector: before.trim(), attribute: match[1] as string };
}

/** The one shape extraction works with, whatever form the source file used. */
export function normalizeFieldRule(input: FieldRuleInput): FieldRule {
  if (typeof input === "string") return { selectors: [input] };
  if (isStringArray(input)) return { selectors: [...input] };
  const { selector, selectors, attribute, pattern } = input as Exclude<
    FieldRuleInput,
    string | readonly string[]
  >;
  const list = [
    ...(selector === undefined ? [] : typeof selector === "string" ? [selector] : selector),
    ...(selectors ?? []),
  ];
  return {
    selectors: list,
    ...(attribute === undefined ? {} : { attribute }),
    ...(pattern === undefined ? {} : { pattern }),
  };
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value);
}

/** Whether `host` (a URL's hostname) is one of `allowed`: exact names, or "*.example.com" for its subdomains. */
export function isAllowedHost(host: string, allowed: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  for (const rule of allowed) {
    const lowered = rule.toLowerCase();
    if (lowered.startsWith("*.")) {
      if (name.endsWith(lowered.slice(1)) && name.length > lowered.length - 1) return true;
    } else if (name === lowered) return true;
  }
  return false;
}

const patternCache = new Map<string, RegExp>();

/**
 * A source's regular expression, compiled once. Patterns come from source files an operator wrote, and are only
 * run over bounded strings (a URL, a field of at most a few thousand characters).
 */
export function compilePattern(pattern: string): RegExp {
  let compiled = patternCache.get(pattern);
  if (!compiled) {
    compiled = new RegExp(pattern, "i");
    if (patternCache.size > 1_000) patternCache.clear();
    patternCache.set(pattern, compiled);
  }
  return compiled;
}
