import { WildtrawlError } from "../core/errors.ts";
import type { Detection } from "../core/detect/detect.ts";
import type { DetectionModel } from "../core/detect/model.ts";
import type { Lexicon } from "../core/lexicon/lexicon.ts";
import type {
  ClaimedJob,
  IngestResult,
  JsonObject,
  JsonValue,
  ListingObservation,
  NewJob,
} from "../storage/records.ts";
import type { StoreRepositories } from "../storage/store.ts";
import type { ExtractedPage } from "./extract/extract-page.ts";
import type { ExtractedListing } from "./extract/extracted-listing.ts";
import { FetchError, RateLimitedError } from "./fetch-errors.ts";
import type { Fetch, FetchResult } from "./fetcher.ts";
import { inProcessAnalyser, type PageAnalyser } from "./page-analysis.ts";
import { PageAnalysisError } from "./page-analysis-pool.ts";
import type { SourceDeclaration } from "./sources/source-declaration.ts";
import {
  frontierFetchAttempts,
  frontierJob,
  parseFrontierPayload,
  type FrontierPayload,
} from "./trawl-frontier.ts";
import { normalizeUrl } from "./url-normalize.ts";
import { toDetectionInput } from "../storage/detection-input.ts";

/**
 * One page of a trawl, as a job of the frontier: fetch (recorded to WARC) → record the page → extract → detect →
 * store the listing, or mark it removed → enqueue the page's links → complete the job, all writes in one
 * transaction. A trawl killed at any instant either committed a page whole or not at all, so a rerun resumes
 * without losing or duplicating anything (RELIABILITY R1, R6).
 */

/** The slice of the job worker's context a page needs (`JobContext` of src/jobs/worker.ts fits). */
export interface PageJobContext {
  readonly signal: AbortSignal;
  commit(writes: (tx: StoreRepositories) => Promise<void>): Promise<void>;
}

export interface TrawledSource {
  /** The source's id in the store. */
  readonly id: number;
  readonly declaration: SourceDeclaration;
  /** The visit this handler works for. */
  readonly generation: number;
}

export interface TrawlerDeps {
  readonly fetch: Fetch;
  readonly lexicon: Lexicon;
  readonly model?: DetectionModel;
  readonly now: () => Date;
  /** The run that records pages, when there is one. */
  readonly runId?: number;
  /** Where pages are parsed and detected; the trawler's own thread when absent (page-analysis-pool.ts). */
  readonly analyse?: PageAnalyser;
  /** Makes the page's WARC records durable before the database refers to them (RELIABILITY R5). */
  readonly beforeCommit?: () => Promise<void>;
}

/** What one page came to, for progress and summaries. */
export type PageOutcome =
  | {
      readonly kind: "listing";
      readonly url: string;
      readonly listingId: number;
      readonly change: IngestResult["change"];
      readonly verdict: Detection["verdict"];
      readonly enqueued: number;
    }
  | { readonly kind: "removed"; readonly url: string; readonly listingId: number | undefined }
  | { readonly kind: "index" | "other"; readonly url: string; readonly enqueued: number }
  | { readonly kind: "failed"; readonly url: string; readonly code: string; readonly willRetry: boolean };

/**
 * A fetch that did not give a page, as the frontier sees it: the fetch error's code, and `retryable` when the URL
 * may work later (the job is rescheduled) rather than never (the job fails with the code; R4).
 */
export class PageFetchError extends WildtrawlError {
  readonly url: string;
  /** How long the host asked to wait (Retry-After, a pause, an open breaker): the job is not retried sooner. */
  readonly retryAfterMs: number | undefined;
  readonly #retryable: boolean;
  get retryable(): boolean {
    return this.#retryable;
  }
  /** `attempts`: claims of the URL so far, this one included. */
  constructor(cause: FetchError, attempts: number) {
    super(cause.code, cause.message, { cause });
    this.url = cause.url;
    const retryAfterMs = (cause as { retryAfterMs?: unknown }).retryAfterMs;
    this.retryAfterMs = typeof retryAfterMs === "number" ? retryAfterMs : undefined;
    // A rate limit is the host metering us, not the page failing: it spends none of the page's fetch attempts,
    // only the queue's bound on claims (`frontierMaxAttempts`).
    this.#retryable =
      cause.temporary && (cause instanceof RateLimitedError || attempts < frontierFetchAttempts);
  }
}

/** `payload_invalid`, `extract_failed`: a job the trawler cannot work, whatever it tries. */
export class PageJobError extends WildtrawlError {
  get retryable(): boolean {
    return false;
  }
}

/**
 * What makes a listing the same listing: the platform's id when the page gives one, else its canonical URL. Two
 * URLs of one advert (a repost link, `?id=` and a slug) thus become one listing.
 */
export function listingKeyOf(listing: ExtractedListing, finalUrl: string): string {
  if (listing.listingId) return `id:${listing.listingId}`;
  return `url:${safeNormalize(listing.canonicalUrl ?? finalUrl) ?? finalUrl}`;
}

function safeNormalize(url: string): string | undefined {
  try {
    return normalizeUrl(url);
  } catch {
    return undefined;
  }
}

export function createPageHandler(
  source: TrawledSource,
  deps: TrawlerDeps,
  onOutcome: (outcome: PageOutcome) => void = () => {},
): (job: ClaimedJob, context: PageJobContext) => Promise<void> {
  const { declaration } = source;
  const analyse = deps.analyse ?? inProcessAnalyser({ lexicon: deps.lexicon, model: deps.model });
  const language = languageOf(declaration);
  const advertContext = {
    site: declaration.platform.name,
    context: declaration.context,
    ...(language ? { language } : {}),
  };

  const enqueueLinks = (page: ExtractedPage): NewJob[] => {
    const jobs: NewJob[] = [];
    const add = (url: string, kind: FrontierPayload["kind"]) => {
      const job = frontierJob(source.id, source.generation, { url, kind });
      if (job) jobs.push(job);
    };
    for (const url of page.links.listings) add(url, "listing");
    for (const url of page.links.pagination) add(url, "page");
    return jobs;
  };

  return async (job, context) => {
    const payload = parseFrontierPayload(job.payload);
    if (!payload) throw new PageJobError("payload_invalid", `job ${job.id}: not a frontier payload`);
    let result: FetchResult;
    try {
      // A URL a 429 holds goes back to the frontier with its Retry-After as its not-before time: waiting here would
      // hold a job, and its lease, that another URL of the host could use meanwhile.
      result = await deps.fetch(new URL(payload.url), { signal: context.signal, maxRateLimitWaitMs: 0 });
    } catch (error) {
      if (error instanceof FetchError) {
        const failure = new PageFetchError(error, job.attempts);
        onOutcome({ kind: "failed", url: payload.url, code: failure.code, willRetry: failure.retryable });
        throw failure;
      }
      throw error;
    }
    const observedAt = deps.now();
    const html = result.decoded?.text;
    let page: ExtractedPage | undefined;
    let detection: Detection | undefined;
    if (html !== undefined || result.status === 404 || result.status === 410) {
      try {
        ({ page, detection } = await analyse({
          page: {
            url: result.finalUrl,
            html: html ?? "",
            requestedUrl: result.requestedUrl,
            status: result.status,
            fetchedAt: result.finishedAt,
          },
          rules: declaration,
          advert: advertContext,
        }));
      } catch (error) {
        // Extraction is bounded against hostile HTML; anything that still throws, runs too long or crashes its
        // worker fails this page only (H3).
        const code = error instanceof PageAnalysisError ? error.code : "extract_failed";
        onOutcome({ kind: "failed", url: payload.url, code, willRetry: false });
        throw new PageJobError(code, `${payload.url}: ${String(error)}`, { cause: error });
      }
    }
    const kind = page?.classification.kind ?? "other";
    const listing = page?.listing;
    const usable = kind === "listing" && listing && (listing.title || listing.description);
    const links = page && kind !== "removed" ? enqueueLinks(page) : [];

    let outcome: PageOutcome | undefined;
    if (result.warc) await deps.beforeCommit?.();
    await context.commit(async (tx) => {
      const pageId = result.warc
        ? (
            await tx.pages.record({
              sourceId: source.id,
              trawlRunId: deps.runId ?? null,
              url: result.requestedUrl,
              finalUrl: result.finalUrl,
              statusCode: result.status,
              contentType: result.mimeType ?? null,
              fetchedAt: new Date(result.finishedAt),
              sha256: result.bodySha256,
              byteLength: result.body.byteLength,
              warc: { file: result.warc.file, offset: result.warc.offset, length: result.warc.length },
            })
          ).id
        : null;
      if (links.length > 0) await tx.jobs.enqueueMany(links);
      if (usable && detection) {
        const [ingested] = await tx.listings.ingest([
          observation(listing, result.finalUrl, observedAt, pageId, detection),
        ]);
        if (ingested) {
          outcome = {
            kind: "listing",
            url: payload.url,
            listingId: ingested.listingId,
            change: ingested.change,
            verdict: detection.verdict,
            enqueued: links.length,
          };
        }
      } else if (kind === "removed") {
        const listingId = payload.listingId ?? (await knownListing(tx, payload.url, result.finalUrl));
        if (listingId !== undefined) await tx.listings.markRemoved([listingId], observedAt);
        outcome = { kind: "removed", url: payload.url, listingId };
      } else {
        outcome = { kind: kind === "index" ? "index" : "other", url: payload.url, enqueued: links.length };
      }
    });
    if (outcome) onOutcome(outcome);
  };

  function observation(
    listing: ExtractedListing,
    finalUrl: string,
    observedAt: Date,
    pageId: number | null,
    detection: Detection,
  ): ListingObservation {
    const amount = listing.price?.amount !== undefined ? Number(listing.price.amount) : NaN;
    const language = listing.language ?? languageOf(declaration);
    return {
      sourceId: source.id,
      listingKey: listingKeyOf(listing, finalUrl),
      observedAt,
      pageId,
      url: safeNormalize(listing.canonicalUrl ?? finalUrl) ?? finalUrl,
      title: listing.title ?? null,
      text: listing.description ?? "",
      priceAmount: Number.isFinite(amount) ? amount : null,
      priceCurrency: listing.price?.currency ?? null,
      seller: listing.seller.name ?? null,
      language: language ?? null,
      country: declaration.platform.country,
      attributes: attributesOf(listing),
      detection: toDetectionInput(detection),
    };
  }

  /** A removed page reached by a link rather than a revisit: the listing its URL named, if it was stored. */
  async function knownListing(tx: StoreRepositories, ...urls: string[]): Promise<number | undefined> {
    for (const url of urls) {
      const key = safeNormalize(url);
      if (!key) continue;
      const found = await tx.listings.getByKey(source.id, `url:${key}`);
      if (found) return found.id;
    }
    return undefined;
  }
}

function languageOf(declaration: SourceDeclaration): string | undefined {
  return (
    declaration.extraction.language ??
    (declaration.languages.length === 1 ? declaration.languages[0] : undefined)
  );
}

/** The fields of a listing beyond the columns, as JSON: undefined values dropped, how each field was found kept. */
function attributesOf(listing: ExtractedListing): JsonObject {
  const attributes: { [key: string]: JsonValue } = {};
  const set = (name: string, value: JsonValue | undefined) => {
    if (value !== undefined) attributes[name] = value;
  };
  set("listingId", listing.listingId);
  set("sellerId", listing.seller.id);
  set("sellerProfileUrl", listing.seller.profileUrl);
  set("sellerLocation", listing.sellerLocation);
  set("postedAt", listing.postedAt);
  set("category", listing.category);
  set("availability", listing.availability);
  if (listing.price) {
    const price: { [key: string]: JsonValue } = { raw: listing.price.raw, kind: listing.price.kind };
    if (listing.price.maxAmount !== undefined) price["maxAmount"] = listing.price.maxAmount;
    attributes["price"] = price;
  }
  if (listing.imageUrls.length > 0) attributes["imageUrls"] = [...listing.imageUrls];
  if (listing.comments.length > 0) {
    attributes["comments"] = listing.comments.map((comment) => {
      const entry: { [key: string]: JsonValue } = { text: comment.text };
      if (comment.author !== undefined) entry["author"] = comment.author;
      if (comment.postedAt !== undefined) entry["postedAt"] = comment.postedAt;
      return entry;
    });
  }
  const how: { [key: string]: JsonValue } = {};
  for (const [field, found] of Object.entries(listing.how)) if (found !== undefined) how[field] = found;
  attributes["how"] = how;
  if (listing.truncated.input || listing.truncated.nesting) {
    attributes["truncated"] = { input: listing.truncated.input, nesting: listing.truncated.nesting };
  }
  return attributes;
}
