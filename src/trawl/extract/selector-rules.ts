import type { Cheerio, CheerioAPI } from "cheerio";
import type { AnyNode, Element } from "domhandler";
import type { ExtractedComment } from "./extracted-listing.ts";
import {
  compilePattern,
  normalizeFieldRule,
  splitSelectorAttribute,
  type CommentRules,
  type ExtractionRules,
  type FieldRule,
  type SelectorField,
} from "./extraction-rules.ts";
import { fieldLimits } from "./field-values.ts";
import { resolveHttpUrl } from "./page-url.ts";
import { parseDate, type DateHints } from "./parse-date.ts";
import { capText, normalizeLine, textOf } from "./plain-text.ts";

/** Reads the fields a source points its CSS selectors at. Selectors that do not parse are skipped, never thrown. */

const urlAttributes = ["src", "data-src", "data-original", "data-lazy-src", "href", "content"];
const maxPatternInput = 5_000;

/**
 * `$(selector)` over the whole document, answering nothing for a selector css-select cannot parse. Never
 * `element.find()`: cheerio searches from the element's children as a list, which costs the square of their number.
 */
export function select($: CheerioAPI, selector: string): Cheerio<Element> | undefined {
  try {
    return $(selector) as Cheerio<Element>;
  } catch {
    return undefined;
  }
}

function applyPattern(value: string, pattern: string | undefined): string | undefined {
  if (pattern === undefined) return value;
  let regex: RegExp;
  try {
    regex = compilePattern(pattern);
  } catch {
    return undefined;
  }
  const match = regex.exec(value.length > maxPatternInput ? value.slice(0, maxPatternInput) : value);
  if (!match) return undefined;
  return match[1] ?? match[0];
}

function readElement(
  element: Element,
  attribute: string | undefined,
  asUrl: boolean,
  maxChars: number,
): string {
  if (attribute) return element.attribs[attribute] ?? "";
  if (asUrl) {
    for (const name of urlAttributes) {
      const value = element.attribs[name];
      if (value) return value;
    }
    const srcset = element.attribs["srcset"];
    if (srcset) return srcset.trim().split(/\s+/)[0] ?? "";
    return "";
  }
  // A <time>'s datetime is the machine form of the same moment its text shows.
  if (element.name === "time" && element.attribs["datetime"]) return element.attribs["datetime"];
  return textOf(element, maxChars);
}

interface ReadOptions {
  readonly asUrl?: boolean;
  readonly all?: boolean;
  readonly maxChars: number;
}

/** The values a rule finds: the first non-empty one, or with `all`, every one in order. */
export function readRule($: CheerioAPI, rule: FieldRule, options: ReadOptions): string[] {
  const found: string[] = [];
  for (const written of rule.selectors) {
    const { selector, attribute: inlineAttribute } = splitSelectorAttribute(written);
    const attribute = inlineAttribute ?? rule.attribute;
    const matches = select($, selector);
    if (!matches) continue;
    for (const element of matches.toArray().slice(0, options.all ? 200 : 20)) {
      const raw = readElement(element, attribute, options.asUrl === true, options.maxChars);
      const value = applyPattern(raw.trim(), rule.pattern);
      if (value === undefined || value.trim() === "") continue;
      found.push(value);
      if (!options.all) return found;
    }
  }
  return found;
}

export interface SelectorContext {
  readonly baseUrl: string;
  readonly pageUrl: string;
  readonly dateHints: DateHints;
}

/** The raw texts a source's field rules find, before prices and dates are parsed. */
export interface SelectorValues {
  readonly text: Partial<Record<SelectorField, string>>;
  readonly images: readonly string[];
}

const textFields: ReadonlyArray<readonly [SelectorField, number]> = [
  ["title", fieldLimits.title],
  ["description", fieldLimits.description],
  ["price", 200],
  ["currency", 50],
  ["sellerName", fieldLimits.sellerName],
  ["sellerId", fieldLimits.sellerId],
  ["sellerLocation", fieldLimits.sellerLocation],
  ["postedAt", 200],
  ["category", fieldLimits.category],
  ["language", 35],
  ["listingId", fieldLimits.listingId],
];
const urlFields: ReadonlySet<SelectorField> = new Set(["sellerProfileUrl", "canonicalUrl"]);

export function readSelectorFields(
  $: CheerioAPI,
  rules: ExtractionRules,
  context: SelectorContext,
): SelectorValues {
  const text: Partial<Record<SelectorField, string>> = {};
  const fields = rules.fields ?? {};
  for (const [field, maxChars] of textFields) {
    const input = fields[field];
    if (input === undefined) continue;
    const [value] = readRule($, normalizeFieldRule(input), { maxChars });
    if (value === undefined) continue;
    const cleaned =
      field === "description" ? capText(value, maxChars) : capText(normalizeLine(value), maxChars);
    if (cleaned) text[field] = cleaned;
  }
  for (const field of urlFields) {
    const input = fields[field];
    if (input === undefined) continue;
    for (const value of readRule($, normalizeFieldRule(input), { maxChars: 2_048, asUrl: true, all: true })) {
      const url = resolveHttpUrl(value, context.baseUrl);
      if (url) {
        text[field] = url;
        break;
      }
    }
  }
  if (rules.listingIdPattern && text.listingId === undefined) {
    const id = applyPattern(context.pageUrl, rules.listingIdPattern);
    if (id) text.listingId = capText(id, fieldLimits.listingId);
  }
  const images: string[] = [];
  if (fields.images !== undefined) {
    for (const value of readRule($, normalizeFieldRule(fields.images), {
      maxChars: 2_048,
      asUrl: true,
      all: true,
    })) {
      const url = resolveHttpUrl(value, context.baseUrl);
      if (url && !images.includes(url)) images.push(url);
      if (images.length >= fieldLimits.imageUrls) break;
    }
  }
  return { text, images };
}

/** Replies under a post, one per `container` match, each read with the other selectors inside it. */
export function readComments(
  $: CheerioAPI,
  rules: CommentRules,
  context: SelectorContext,
): ExtractedComment[] {
  const containers = select($, rules.container)?.toArray().slice(0, fieldLimits.comments) ?? [];
  if (containers.length === 0) return [];
  const index = new Map<AnyNode, number>(containers.map((element, position) => [element, position]));
  /** The first match of `selector` inside each container: one document-wide query, grouped by ancestry. */
  const firstWithin = (selector: string | undefined) => {
    const found = new Map<number, Element>();
    if (!selector) return found;
    for (const element of select($, selector)?.toArray() ?? []) {
      let node: AnyNode | null = element.parent;
      for (let steps = 0; node && steps < 512; steps++, node = node.parent) {
        const position = index.get(node);
        if (position === undefined) continue;
        if (!found.has(position)) found.set(position, element);
        break;
      }
    }
    return found;
  };
  const texts = firstWithin(rules.text);
  const authors = firstWithin(rules.author);
  const dates = firstWithin(rules.postedAt);
  const comments: ExtractedComment[] = [];
  containers.forEach((container, position) => {
    const textElement = rules.text ? texts.get(position) : container;
    const body = textElement ? textOf(textElement, fieldLimits.commentText) : "";
    if (!body) return;
    const authorElement = authors.get(position);
    const author = authorElement ? normalizeLine(textOf(authorElement, fieldLimits.commentAuthor)) : "";
    const dateElement = dates.get(position);
    const date = dateElement ? readElement(dateElement, undefined, false, 200) : undefined;
    const postedAt = date ? parseDate(date, context.dateHints) : undefined;
    comments.push({
      text: capText(body, fieldLimits.commentText),
      ...(author ? { author: capText(author, fieldLimits.commentAuthor) } : {}),
      ...(postedAt ? { postedAt } : {}),
    });
  });
  return comments;
}
