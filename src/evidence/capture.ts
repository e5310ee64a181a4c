import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { NotFoundError, UsageError } from "../core/errors.ts";
import type { Advert, Detection } from "../core/detect/detect.ts";
import type {
  Capture,
  CaptureFile,
  CaptureStatus,
  JsonObject,
  JsonValue,
  ListingObservation,
} from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import { FetchError } from "../trawl/fetch-errors.ts";
import { createFetcher, type FetcherOptions, type FetchResult } from "../trawl/fetcher.ts";
import { extractListing } from "../trawl/extract/extract-listing.ts";
import type { ExtractedListing } from "../trawl/extract/extracted-listing.ts";
import { toAdvert } from "../trawl/extract/to-advert.ts";
import { WarcWriter } from "../trawl/warc-writer.ts";
import { hashFile, jsonBytes, makeTempDirectory, sealDirectory, writeHashedFile } from "./atomic-files.ts";
import { timestampCapture, type CaptureTimestamp } from "./capture-timestamps.ts";
import type { TsaConfig } from "./package-export.ts";
import { renderPage, type BrowserOptions, type RenderOutcome } from "./browser.ts";
import {
  clockSource,
  connectionProvenance,
  fetchedUrlsOf,
  hostDescription,
  validateProvenance,
  type SoftwareIdentity,
} from "./provenance.ts";
import { httpHeaders, readWarcRecords } from "./warc-records.ts";
import { toDetectionInput } from "../storage/detection-input.ts";

/** Everything a capture needs, wired once by the caller. */
export interface CaptureDeps {
  readonly store: Store;
  /** Where captures live: `captures/aa/<sha256>/` under it, plus `tmp/` for captures being built. */
  readonly evidenceRoot: string;
  /** The project fetcher's options; WARC writing is switched on by the capture itself. */
  readonly fetcherOptions: Omit<FetcherOptions, "warc" | "now">;
  /** Null: no screenshot, the capture says so. */
  readonly browser: BrowserOptions | null;
  /** The detector, for the analysis layer; without it the capture holds no detection. */
  readonly detect?: (advert: Advert) => Detection;
  readonly software: SoftwareIdentity;
  readonly now: () => Date;
  /** Time-stamping authorities: each capture gets a token from every one (RELIABILITY E5). */
  readonly tsa?: readonly TsaConfig[];
}

export interface CaptureRequest {
  /** The advert's URL, or leave it out and name a stored listing. */
  readonly url?: string;
  readonly listingId?: number;
  /** For a URL not yet stored: the source the new listing belongs to. */
  readonly sourceId?: number;
  /** Who asked: "user:12", "system:trawler"… (the custody log's `actor`). */
  readonly actor: string;
  readonly purpose?: string;
}

export interface CaptureOutcome {
  readonly capture: Capture;
  readonly created: boolean;
  /** The capture's folder. */
  readonly directory: string;
  readonly record: CaptureRecord;
  /** What each configured TSA said of the capture's record, in order; empty without TSAs. */
  readonly timestamps: readonly CaptureTimestamp[];
}

/** A file of a capture as its record lists it. */
export interface CaptureRecordFile extends CaptureFile {
  readonly mediaType: string;
  /** Derived files (the analysis layer) name the file they came from and the transform (RELIABILITY E6). */
  readonly derivedFrom?: { readonly sha256: string; readonly transform: string; readonly tool: string };
}

/** `capture.json`: the capture's own manifest. Its SHA-256 names the capture's folder and row. */
export interface CaptureRecord {
  readonly format: "wildtrawl-capture/1";
  readonly status: CaptureStatus;
  readonly failureReason: string | null;
  readonly requestedUrl: string;
  readonly finalUrl: string | null;
  readonly redirects: ReadonlyArray<{
    readonly url: string;
    readonly status: number;
    readonly location: string;
  }>;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly screenshotAt: string | null;
  readonly screenshotBanner: string | null;
  readonly request: { readonly headers: ReadonlyArray<readonly [string, string]> } | null;
  readonly response: JsonObject | null;
  readonly times: JsonObject;
  readonly missing: ReadonlyArray<{ readonly role: string; readonly reason: string }>;
  readonly files: readonly CaptureRecordFile[];
  readonly provenance: JsonObject;
}

export const captureRecordName = "capture.json";

/**
 * Captures an advert as evidence: the HTTP exchange in WARC (redirects included), the HTML as served, the
 * rendered DOM and a dated full-page screenshot, the extracted listing and its detection (as derived files), and
 * the metadata and provenance, every file hashed as it is written. The folder is built aside and moved into place
 * in one rename, then recorded with its first custody entry. A capture that could not get everything is still
 * kept, labelled `partial` or `failed` with the reason (RELIABILITY E9).
 */
export async function captureAdvert(deps: CaptureDeps, request: CaptureRequest): Promise<CaptureOutcome> {
  const { store } = deps;
  let listingId = request.listingId;
  let organisationId: number;
  let sourceId: number;
  let url = request.url;
  if (listingId !== undefined) {
    const listing = await store.listings.get(listingId);
    if (!listing) throw new NotFoundError("listing_not_found", `no listing ${listingId}`);
    organisationId = listing.organisationId;
    sourceId = listing.sourceId;
    url ??= listing.url;
  } else {
    if (url === undefined) throw new UsageError("capture_target_missing", "give a URL or a listing id");
    if (request.sourceId === undefined) {
      throw new UsageError("source_missing", "a URL not yet stored needs the source its listing belongs to");
    }
    const source = await store.sources.get(request.sourceId);
    if (!source) throw new NotFoundError("source_not_found", `no source ${request.sourceId}`);
    organisationId = source.organisationId;
    sourceId = source.id;
  }
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new UsageError("url_invalid", `not a URL: "${url}"`);
  }

  const startedAt = deps.now();
  const directory = await makeTempDirectory(deps.evidenceRoot, "capture");
  const softwareLabel = `${deps.software.name}/${deps.software.version}`;
  const warc = new WarcWriter({
    directory,
    filePrefix: "exchange",
    software: softwareLabel,
    info: { operator: request.actor, "http-header-user-agent": deps.fetcherOptions.userAgent },
    now: deps.now,
  });
  const fetcher = createFetcher({
    ...deps.fetcherOptions,
    warc,
    recordTlsPeers: true,
    now: () => deps.now().getTime(),
  });
  const files: CaptureRecordFile[] = [];
  const missing: Array<{ role: string; reason: string }> = [];
  let status: CaptureStatus = "complete";
  let failureReason: string | null = null;
  const degrade = (to: CaptureStatus, reason: string) => {
    if (status === "complete" || (status === "partial" && to === "failed")) status = to;
    failureReason ??= reason;
  };
  const addFile = async (
    name: string,
    role: string,
    mediaType: string,
    bytes: Uint8Array,
    derivedFrom?: CaptureRecordFile["derivedFrom"],
  ) => {
    const written = await writeHashedFile(path.join(directory, name), [bytes]);
    const file: CaptureRecordFile = {
      role,
      path: name,
      mediaType,
      ...written,
      ...(derivedFrom ? { derivedFrom } : {}),
    };
    files.push(file);
    return file;
  };

  let result: FetchResult | undefined;
  let fetchError: FetchError | undefined;
  let render: RenderOutcome | undefined;
  let extracted: ExtractedListing | undefined;
  let detection: Detection | undefined;
  try {
    try {
      result = await fetcher.fetch(target);
    } catch (error) {
      if (!(error instanceof FetchError)) throw error;
      fetchError = error;
      const reason = failureReasonOf(error);
      degrade(error.warc ? "partial" : "failed", reason);
      missing.push({ role: "html", reason });
    }
    if (result) {
      const isHtml = result.mimeType === "text/html" || result.mimeType === "application/xhtml+xml";
      const bodyFile = await addFile(
        isHtml ? "page.html" : "body.bin",
        isHtml ? "html" : "body",
        result.mimeType ?? "application/octet-stream",
        result.body,
      );
      if (bodyFile.sha256 !== result.bodySha256) {
        // The body changed between the wire and the disk: nothing after this could be trusted.
        throw new Error(`body hash changed on its way to disk (${result.bodySha256} → ${bodyFile.sha256})`);
      }
      if (result.contentDecodingError) degrade("partial", `content_decoding: ${result.contentDecodingError}`);
      if (!isHtml) {
        missing.push({ role: "screenshot", reason: `not an HTML page (${result.mimeType ?? "no type"})` });
      }
      if (isHtml && result.decoded) {
        extracted = extractListing({
          url: result.finalUrl,
          html: result.decoded.text,
          fetchedAt: result.startedAt,
        });
        await addFile("analysis/listing.json", "analysis:listing", "application/json", jsonBytes(extracted), {
          sha256: bodyFile.sha256,
          transform: "extractListing",
          tool: softwareLabel,
        });
        if (deps.detect) {
          detection = deps.detect(toAdvert(extracted, { site: target.hostname, context: "listing" }));
          await addFile(
            "analysis/detection.json",
            "analysis:detection",
            "application/json",
            jsonBytes(detection),
            {
              sha256: bodyFile.sha256,
              transform: "extractListing → detect",
              tool: detection.detectorVersion,
            },
          );
        }
      }
      if (isHtml) {
        render =
          deps.browser === null
            ? { ok: false, reason: "browser_disabled: captures were configured without a browser" }
            : await renderPage(
                {
                  url: result.finalUrl,
                  status: result.status,
                  headers: result.headers,
                  body: result.body,
                  software: softwareLabel,
                },
                fetcher.fetch,
                deps.browser,
                deps.now,
              );
        if (render.ok) {
          await addFile("dom.html", "dom", "text/html", Buffer.from(render.page.dom, "utf8"));
          await addFile("screenshot.png", "screenshot", "image/png", render.page.screenshot);
        } else {
          missing.push({ role: "screenshot", reason: render.reason }, { role: "dom", reason: render.reason });
          // The court minimum is URL + HTML + dated screenshot: without the screenshot it is not complete.
          degrade("partial", `screenshot_missing: ${render.reason}`);
        }
      }
    }
  } finally {
    fetcher.close();
    await warc.close();
  }

  const warcNames = (await readdir(directory)).filter((name) => name.endsWith(".warc.gz"));
  let requestHeaders: Array<[string, string]> | null = null;
  const requestedUrl = new URL(target);
  requestedUrl.hash = "";
  for (const name of warcNames) {
    const bytes = await readFile(path.join(directory, name));
    const written = await hashFile(path.join(directory, name));
    files.push({ role: "warc", path: name, mediaType: "application/warc", ...written });
    const firstRequest = readWarcRecords(bytes).find(
      (record) => record.type === "request" && record.targetUri === requestedUrl.href,
    );
    if (firstRequest && requestHeaders === null) requestHeaders = httpHeaders(firstRequest.block);
  }
  if (warcNames.length === 0)
    missing.push({ role: "warc", reason: failureReason ?? "no exchange took place" });

  const finishedAt = deps.now();
  const page = render?.ok ? render.page : undefined;
  const httpDate = result?.headers["date"];
  const httpDateMs = httpDate ? Date.parse(httpDate) : Number.NaN;
  const redirects = (result?.redirects ?? []).map(({ url: hop, status: code, location }) => ({
    url: hop,
    status: code,
    location,
  }));
  const finalUrl = result?.finalUrl ?? null;
  const provenance = validateProvenance(
    {
      software: { ...deps.software },
      browser: page ? { name: "Chromium", version: page.browserVersion, userAgent: page.userAgent } : null,
      browserUnavailableReason: page ? null : render && !render.ok ? render.reason : "no HTML to render",
      userAgent: deps.fetcherOptions.userAgent,
      os: hostDescription(),
      node: process.version,
      ...connectionProvenance(
        result,
        failureReason,
        fetchError ? { url: fetchError.url, connection: fetchError.connection } : undefined,
      ),
      effectiveOptions: effectiveOptions(deps),
      blockedRequests: (page?.blockedRequests ?? []) as unknown as JsonValue,
      operator: request.actor,
      purpose: request.purpose ?? null,
      clock: await clockSource(),
    },
    fetchedUrlsOf({ finalUrl, redirects }),
  );
  const record: CaptureRecord = {
    format: "wildtrawl-capture/1",
    status,
    failureReason,
    requestedUrl: target.href,
    finalUrl,
    redirects,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    screenshotAt: page?.screenshotAt.toISOString() ?? null,
    screenshotBanner: page?.bannerText ?? null,
    request: requestHeaders ? { headers: requestHeaders } : null,
    response: result
      ? {
          status: result.status,
          statusText: result.statusText,
          httpVersion: result.httpVersion,
          headers: result.headers,
          mimeType: result.mimeType ?? null,
          bodySha256: result.bodySha256,
          bodyBytes: result.body.byteLength,
          wireBytes: result.wireBytes,
          charset: result.decoded?.charset ?? null,
          attempts: result.attempts,
        }
      : fetchError
        ? { error: { code: fetchError.code, message: fetchError.message } }
        : null,
    times: {
      // RELIABILITY E10: the local clock, and the server's Date header as a second, independent source.
      localStartedAt: startedAt.toISOString(),
      httpDate: httpDate ?? null,
      httpDateSkewSeconds: Number.isNaN(httpDateMs)
        ? null
        : Math.round((startedAt.getTime() - httpDateMs) / 1000),
    },
    missing,
    files: files.sort((a, b) => (a.path < b.path ? -1 : 1)),
    provenance,
  };

  const recordBytes = jsonBytes(record);
  const recordFile = await writeHashedFile(path.join(directory, captureRecordName), [recordBytes]);
  const sha256 = recordFile.sha256;
  // The tokens cover the record, which lists every other file: so they are written after it, beside it.
  const stamped = await timestampCapture(deps.tsa ?? [], directory, Buffer.from(sha256, "hex"), finishedAt);
  const relative = path.join("captures", sha256.slice(0, 2), sha256);
  const finalDirectory = path.join(deps.evidenceRoot, relative);
  await sealDirectory(directory, finalDirectory);

  listingId ??= await ensureListing(store, {
    sourceId,
    url: result?.finalUrl ?? target.href,
    observedAt: startedAt,
    extracted,
    detection,
  });
  const warcFile = warcNames[0];
  const responseWarc = result?.warc ?? fetchError?.warc;
  const stored = await store.evidence.recordCapture(
    {
      organisationId,
      listingId,
      url: target.href,
      finalUrl: result?.finalUrl ?? null,
      status,
      failureReason,
      startedAt,
      finishedAt,
      sha256,
      warc:
        responseWarc && warcFile
          ? { file: path.join(relative, warcFile), offset: responseWarc.offset, length: responseWarc.length }
          : null,
      files: [
        {
          role: "record",
          path: path.join(relative, captureRecordName),
          sha256,
          byteLength: recordFile.byteLength,
        },
        ...[...record.files, ...stamped.files].map((file) => ({
          role: file.role,
          path: path.join(relative, file.path),
          sha256: file.sha256,
          byteLength: file.byteLength,
        })),
      ],
      provenance,
    },
    request.actor,
  );
  return { ...stored, directory: finalDirectory, record, timestamps: stamped.timestamps };
}

function failureReasonOf(error: FetchError): string {
  if (/timeout/.test(error.code)) return "timeout";
  if (error.code === "body_too_large") return "size_limit";
  return error.code;
}

function effectiveOptions(deps: CaptureDeps): JsonObject {
  const { fetcherOptions, browser } = deps;
  const options: JsonObject = {};
  for (const [name, value] of Object.entries(fetcherOptions)) {
    if (value === undefined || typeof value === "function" || name === "resolve") continue;
    options[name] = value as JsonValue;
  }
  return { fetcher: options, browser: browser ? (browser as unknown as JsonObject) : null };
}

/**
 * The listing a capture of a new URL belongs to. The store has no way to create a listing but to record a sighting,
 * so a URL that could not be fetched is recorded as a sighting with no text.
 */
async function ensureListing(
  store: Store,
  input: {
    sourceId: number;
    url: string;
    observedAt: Date;
    extracted: ExtractedListing | undefined;
    detection: Detection | undefined;
  },
): Promise<number> {
  const { extracted } = input;
  const listingKey = extracted?.listingId ?? extracted?.canonicalUrl ?? input.url;
  const existing = await store.listings.getByKey(input.sourceId, listingKey);
  if (existing && !extracted) return existing.id;
  const amount = extracted?.price?.amount === undefined ? null : Number(extracted.price.amount);
  const observation: ListingObservation = {
    sourceId: input.sourceId,
    listingKey,
    observedAt: input.observedAt,
    url: input.url,
    title: extracted?.title ?? null,
    text: extracted?.description ?? "",
    priceAmount: amount !== null && Number.isFinite(amount) ? amount : null,
    priceCurrency: extracted?.price?.currency ?? null,
    seller: extracted?.seller.name ?? null,
    language: extracted?.language ?? null,
    ...(input.detection ? { detection: toDetectionInput(input.detection) } : {}),
  };
  const [ingested] = await store.listings.ingest([observation]);
  return ingested!.listingId;
}

/** Recomputes a stored capture's file hashes (RELIABILITY E3); returns the paths that no longer match. */
export async function checkCaptureFiles(evidenceRoot: string, capture: Capture): Promise<string[]> {
  const broken: string[] = [];
  for (const file of capture.files) {
    const actual = await hashFile(path.join(evidenceRoot, file.path)).catch(() => undefined);
    if (!actual || actual.sha256 !== file.sha256 || actual.byteLength !== file.byteLength)
      broken.push(file.path);
  }
  return broken;
}
