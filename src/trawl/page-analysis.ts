import { detect, type Detection } from "../core/detect/detect.ts";
import type { DetectionModel } from "../core/detect/model.ts";
import type { Lexicon } from "../core/lexicon/lexicon.ts";
import { extractPage, type ExtractedPage, type FetchedPage, type PageRules } from "./extract/extract-page.ts";
import { toAdvert } from "./extract/to-advert.ts";

/**
 * The CPU-heavy part of a page: parse the hostile HTML, extract the listing, detect. Kept apart from fetching and
 * storing so that it can run in another thread (page-analysis-pool.ts), where a page that blows up the parser
 * costs that page only (RELIABILITY H3), and the trawler's own thread stays free for I/O.
 */

export interface PageAnalysisRequest {
  readonly page: FetchedPage;
  readonly rules: PageRules;
  /** How detection reads the advert: the platform's name, whether its pages are listings or posts, a language. */
  readonly advert: {
    readonly site: string;
    readonly context: "listing" | "post";
    readonly language?: string;
  };
}

export interface PageAnalysis {
  readonly page: ExtractedPage;
  /** Present when the page is a listing with a title or text. */
  readonly detection?: Detection;
}

/** Analyses a page in the calling thread (or in a worker's). */
export function analysePage(
  request: PageAnalysisRequest,
  detector: { readonly lexicon: Lexicon; readonly model?: DetectionModel | undefined },
): PageAnalysis {
  const page = extractPage(request.page, request.rules);
  const listing = page.listing;
  if (page.classification.kind !== "listing" || !listing || !(listing.title || listing.description)) {
    return { page };
  }
  const language = listing.language ?? request.advert.language;
  const detection = detect(
    toAdvert(
      { ...listing, ...(language ? { language } : {}) },
      { site: request.advert.site, context: request.advert.context },
    ),
    detector.lexicon,
    detector.model ? { model: detector.model } : {},
  );
  return { page, detection };
}

/** Where the trawler sends pages to be analysed: in its own thread, or to a pool of workers. */
export type PageAnalyser = (request: PageAnalysisRequest) => Promise<PageAnalysis>;

export function inProcessAnalyser(detector: {
  readonly lexicon: Lexicon;
  readonly model?: DetectionModel | undefined;
}): PageAnalyser {
  return async (request) => analysePage(request, detector);
}
