import type { Element } from "domhandler";
import { defaultTrackingParameters, normalizeUrl } from "../url-normalize.ts";
import { compilePattern, isAllowedHost, type LinkKindRules, type LinkRules } from "./extraction-rules.ts";
import {
  defaultHtmlLimits,
  elementsNamed,
  parseHtml,
  type HtmlLimits,
  type ParsedHtml,
} from "./html-document.ts";
import { baseUrlOf, resolveHttpUrl } from "./page-url.ts";
import { descendants } from "./plain-text.ts";
import { select } from "./selector-rules.ts";

export interface ExtractedLinks {
  /** Links to listing pages, normalised (`normalizeUrl`) and deduplicated, in page order. */
  readonly listings: readonly string[];
  /** Links to further pages of results ("next", page numbers). */
  readonly pagination: readonly string[];
}

const maxAnchors = 10_000;

/**
 * The links of a page worth following: to listings and to further pages of results, by the source's URL patterns
 * and selectors. Only http(s), only the source's allowed hosts, fragments dropped, each once.
 */
export function extractLinks(
  page: { readonly url: string; readonly html: string },
  rules: LinkRules,
  options: { readonly limits?: HtmlLimits } = {},
): ExtractedLinks {
  return extractLinksFrom(parseHtml(page.html, options.limits ?? defaultHtmlLimits), page.url, rules);
}

export function extractLinksFrom(parsed: ParsedHtml, pageUrl: string, rules: LinkRules): ExtractedLinks {
  const { $ } = parsed;
  const baseUrl = baseUrlOf(parsed, pageUrl);
  const selectedBy = (kind: LinkKindRules | undefined, extra: readonly string[] = []) => {
    const elements = new Set<Element>();
    for (const selector of [...(kind?.selectors ?? []), ...extra]) {
      for (const element of select($, selector)?.toArray() ?? []) {
        elements.add(element);
        // A selector may name a card rather than its link: take the links inside it.
        if (element.attribs["href"] === undefined) {
          const links = descendants(
            element,
            (inner) => inner.name === "a" && inner.attribs["href"] !== undefined,
            100,
          );
          for (const inner of links) elements.add(inner);
        }
      }
    }
    return elements;
  };
  const listingElements = selectedBy(rules.listings);
  const paginationElements = selectedBy(rules.pagination, [
    "a[rel~=next]",
    "link[rel~=next]",
    "link[rel~=prev]",
  ]);
  const matches = (kind: LinkKindRules | undefined, url: URL) =>
    (kind?.patterns ?? []).some((pattern) => {
      try {
        return compilePattern(pattern).test(url.pathname + url.search);
      } catch {
        return false;
      }
    });

  const ignored = rules.ignoreParameters ?? [];
  const trackingParameters = ignored.length > 0 ? [...defaultTrackingParameters, ...ignored] : undefined;
  const safeNormalize = (url: string) => {
    try {
      return normalizeUrl(url, trackingParameters ? { trackingParameters } : {});
    } catch {
      return undefined;
    }
  };
  const self = safeNormalize(pageUrl);
  const listings = new Set<string>();
  const pagination = new Set<string>();
  const candidates = [
    ...[...elementsNamed(parsed, "a"), ...elementsNamed(parsed, "area")].slice(0, maxAnchors),
    ...[...paginationElements].filter((element) => element.name === "link"),
  ];
  for (const element of candidates) {
    const href = element.attribs["href"];
    if (href === undefined) continue;
    const resolved = resolveHttpUrl(href, baseUrl);
    if (!resolved) continue;
    const url = new URL(resolved);
    if (!isAllowedHost(url.hostname, rules.allowedHosts)) continue;
    const key = safeNormalize(url.href);
    if (!key || key === self) continue;
    if (listingElements.has(element) || matches(rules.listings, url)) listings.add(key);
    else if (paginationElements.has(element) || matches(rules.pagination, url)) pagination.add(key);
  }
  return { listings: [...listings], pagination: [...pagination].filter((url) => !listings.has(url)) };
}
