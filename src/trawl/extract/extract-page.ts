import type { ExtractedListing } from "./extracted-listing.ts";
import type { ExtractionRules, LinkRules } from "./extraction-rules.ts";
import { classifyParsed, type PageClass } from "./classify-page.ts";
import { extractLinksFrom, type ExtractedLinks } from "./extract-links.ts";
import { extractListingFrom } from "./extract-listing.ts";
import { defaultHtmlLimits, parseHtml, type HtmlLimits } from "./html-document.ts";

export interface FetchedPage {
  /** The final URL, after redirects. */
  readonly url: string;
  readonly html: string;
  readonly requestedUrl?: string;
  readonly status?: number;
  readonly fetchedAt?: string;
}

/** The slice of a source declaration a page needs: a whole `SourceDeclaration` fits. */
export interface PageRules {
  readonly links: LinkRules;
  readonly extraction?: ExtractionRules;
}

export interface ExtractedPage {
  readonly classification: PageClass;
  readonly links: ExtractedLinks;
  /** Present when the page is a listing. */
  readonly listing?: ExtractedListing;
}

/** Everything the trawler wants from one page, from a single parse: what it is, where it leads, and its advert. */
export function extractPage(
  page: FetchedPage,
  rules: PageRules,
  options: { readonly limits?: HtmlLimits } = {},
): ExtractedPage {
  const parsed = parseHtml(page.html, options.limits ?? defaultHtmlLimits);
  const classification = classifyParsed(parsed, page, rules);
  const links = extractLinksFrom(parsed, page.url, rules.links);
  if (classification.kind !== "listing") return { classification, links };
  const listing = extractListingFrom(parsed, {
    url: page.url,
    ...(rules.extraction ? { source: rules.extraction } : {}),
    ...(page.fetchedAt ? { fetchedAt: page.fetchedAt } : {}),
  });
  return { classification, links, listing };
}
