import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import { parseCidr } from "./address-policy.ts";
import { decodeBody, isTextual, parseContentType, type DecodedText } from "./charset.ts";
import { systemResolver, vetDestination, type DestinationPolicy, type Resolver } from "./destination.ts";
import {
  FetchAbortedError,
  FetchError,
  FetchRefusedError,
  RateLimitedError,
  RetryLaterError,
  TransientStatusError,
  WarcWriteError,
} from "./fetch-errors.ts";
import { HostScheduler, type SlotOutcome } from "./host-scheduler.ts";
import { runExchange, type ExchangeResponse, type RawCapture } from "./http-exchange.ts";
import { backoffDelayMs, parseRetryAfterMs, transientStatuses } from "./retry-policy.ts";
import { RobotsCache } from "./robots-cache.ts";
import type { TlsPeer } from "./tls-peer.ts";
import type { WarcLocation, WarcWriter } from "./warc-writer.ts";

/** The only HTTP client of the project: `type Fetch` is the slice a trawler or an evidence capture depends on. */
export type Fetch = (url: URL, init?: FetchInit) => Promise<FetchResult>;

export interface FetchInit {
  readonly signal?: AbortSignal;
  /** Extra request headers (Accept-Language, Referer…). Host, Connection and Accept-Encoding stay ours. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Raises or lowers the decompressed body cap for this request (an image for evidence, say). */
  readonly maxBodyBytes?: number;
  /**
   * How long this fetch waits out a 429's Retry-After for its URL (default `maxRetryAfterMs`). Beyond it the fetch
   * fails at once with `rate_limited` and the time left: a caller with a queue of its own (the trawler's frontier,
   * which passes 0) keeps the URL there rather than in a fetch that holds a job while it sleeps.
   */
  readonly maxRateLimitWaitMs?: number;
}

export interface RedirectHop {
  readonly url: string;
  readonly status: number;
  readonly location: string;
  /** The redirect response's WARC record, when WARC writing is on. */
  readonly warc: WarcLocation | undefined;
  readonly remoteAddress: string;
  /** With `recordTlsPeers`, for an HTTPS hop. */
  readonly tlsPeer: TlsPeer | undefined;
}

export interface FetchTimings {
  /** Waiting for the host's rate limit and concurrency slot, over all hops and attempts. */
  readonly queuedMs: number;
  /** Of the final attempt: TCP (and TLS) connection, 0 on a kept-alive socket. */
  readonly connectMs: number;
  /** Of the final attempt: from its start to the response headers. */
  readonly ttfbMs: number;
  /** Of the final attempt: reading the body. */
  readonly downloadMs: number;
  /** The whole fetch: robots.txt, queues, redirects, retries and backoff included. */
  readonly totalMs: number;
}

export interface FetchResult {
  readonly requestedUrl: string;
  readonly finalUrl: string;
  readonly redirects: readonly RedirectHop[];
  readonly status: number;
  readonly statusText: string;
  readonly httpVersion: string;
  /** Lower-case names; repeated headers joined with ", " (Set-Cookie with newlines). */
  readonly headers: Readonly<Record<string, string>>;
  /** Lower-case `type/subtype` from Content-Type. */
  readonly mimeType: string | undefined;
  /**
   * The body bytes with the content coding (gzip, br…) removed and no character decoding applied. The bytes
   * exactly as transferred are in the WARC response record.
   */
  readonly body: Uint8Array;
  /** SHA-256 (hex) of `body`, computed while it streamed in. */
  readonly bodySha256: string;
  /** Set when the body could not be fully decompressed; `body` then holds what could. */
  readonly contentDecodingError: string | undefined;
  /** The text, for textual media types: charset found by BOM, header, `<meta>`, or a default, and any problems. */
  readonly decoded: DecodedText | undefined;
  readonly remoteAddress: string;
  /** This host's end of the connection that fetched the final response. */
  readonly localAddress: string | undefined;
  /** The final response's TLS peer, with `recordTlsPeers`, over HTTPS. */
  readonly tlsPeer: TlsPeer | undefined;
  /** Attempts over all hops, robots.txt excluded. */
  readonly attempts: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly timings: FetchTimings;
  /** The final response record, when WARC writing is on. */
  readonly warc: WarcLocation | undefined;
  /** Body bytes on the wire (after de-chunking, before decompression). */
  readonly wireBytes: number;
}

export interface FetcherOptions {
  /** Sent as User-Agent; its first product token is matched against robots.txt groups. */
  readonly userAgent: string;
  readonly acceptLanguage?: string;
  readonly respectRobotsTxt?: boolean;
  readonly robotsTtlMs?: number;
  readonly robotsFailureTtlMs?: number;
  /** Crawl-delay beyond this is capped: a site asking for an hour between requests still gets one a minute. */
  readonly maxCrawlDelayMs?: number;
  /** Lets loopback, private and other special addresses through, on any port: tests, the demo, intranets. */
  readonly allowPrivateNetwork?: boolean;
  /** Special-purpose ranges allowed anyway, as CIDRs ("10.1.2.0/24"), without opening the whole private network. */
  readonly allowedPrivateRanges?: readonly string[];
  /** Ports URLs may name (default 80 and 443). */
  readonly allowedPorts?: readonly number[];
  readonly requestsPerSecondPerHost?: number;
  readonly maxConcurrentPerHost?: number;
  readonly maxQueuedPerHost?: number;
  readonly maxRedirects?: number;
  /** Attempts per URL including the first (RELIABILITY R3: 3). */
  readonly maxAttempts?: number;
  readonly backoffBaseMs?: number;
  readonly maxBackoffMs?: number;
  /** A Retry-After longer than this is not waited for: the fetch fails with `retry_after_too_long`. */
  readonly maxRetryAfterMs?: number;
  /**
   * A 429 whose Retry-After is longer than this pauses the whole host, as a 503 does (default 5 s). A shorter one
   * (or none) is about that request: its URL waits that long, and the host is slowed, not stopped.
   */
  readonly rateLimitHostPauseMs?: number;
  readonly breakerFailureThreshold?: number;
  readonly breakerOpenMs?: number;
  /** Name resolution and TCP/TLS connection, each. */
  readonly connectTimeoutMs?: number;
  /** From connection to response headers. */
  readonly headersTimeoutMs?: number;
  /** Between two chunks of the body. */
  readonly idleTimeoutMs?: number;
  /** One attempt, from connecting to the last byte: ends trickling and endless bodies. */
  readonly totalTimeoutMs?: number;
  /** Body bytes as transferred (compressed). */
  readonly maxWireBytes?: number;
  /** Body bytes after decompression. */
  readonly maxBodyBytes?: number;
  readonly maxCompressionRatio?: number;
  /**
   * Certificate authorities (PEM) trusted besides the default ones: a test CA, an intranet's. They add to the trust
   * store; certificate verification is never turned off.
   */
  readonly ca?: readonly string[];
  /**
   * Describe each HTTPS connection's certificate chain, protocol and cipher when it is set up (evidence captures).
   * Off for trawling: it costs a chain walk per connection and turns off TLS session resumption, whose resumed
   * sessions carry no chain.
   */
  readonly recordTlsPeers?: boolean;
  /** Every exchange is written here when set. */
  readonly warc?: WarcWriter;
  readonly resolve?: Resolver;
  /** Wall clock in ms since the epoch: WARC dates, Retry-After dates, robots.txt expiry. */
  readonly now?: () => number;
  /** In [0, 1): backoff jitter. */
  readonly random?: () => number;
}

export interface Fetcher {
  readonly fetch: Fetch;
  /** Per-host state, for progress displays and tests. */
  readonly hostStats: (host: string) => ReturnType<HostScheduler["stats"]>;
  /** Closes kept-alive sockets. The WARC writer belongs to the caller and stays open. */
  readonly close: () => void;
}

const MiB = 1024 * 1024;
const robotsMaxBytes = 512 * 1024;
const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const heldUrlsPruneThreshold = 10_000;
const reservedHeaders = new Set([
  "host",
  "connection",
  "accept-encoding",
  "content-length",
  "transfer-encoding",
]);

export function createFetcher(options: FetcherOptions): Fetcher {
  const settings = resolveSettings(options);
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const resolve = options.resolve ?? systemResolver;
  const agentOptions = {
    keepAlive: true,
    maxSockets: settings.maxConcurrentPerHost,
    // Below the 5 s keep-alive of common servers, so a pooled socket is rarely closed under us.
    timeout: 4_000,
  };
  // Built once: a bare `ca` agent option would build a context holding every default root for each connection.
  const trust = options.ca
    ? { secureContext: tls.createSecureContext({ ca: [...tls.getCACertificates("default"), ...options.ca] }) }
    : {};
  const agents = {
    http: new http.Agent(agentOptions),
    https: new https.Agent({
      ...agentOptions,
      ...trust,
      ...(options.recordTlsPeers ? { maxCachedSessions: 0 } : {}),
    }),
  };
  const policy: DestinationPolicy = {
    allowPrivateNetwork: options.allowPrivateNetwork ?? false,
    allowedRanges: (options.allowedPrivateRanges ?? []).map(parseCidr),
    allowedPorts: new Set(options.allowedPorts ?? [80, 443]),
  };
  const scheduler = new HostScheduler({
    requestsPerSecond: settings.requestsPerSecondPerHost,
    maxConcurrentPerHost: settings.maxConcurrentPerHost,
    maxQueuedPerHost: settings.maxQueuedPerHost,
    breakerFailureThreshold: settings.breakerFailureThreshold,
    breakerOpenMs: settings.breakerOpenMs,
    maxPauseWaitMs: settings.maxRetryAfterMs,
  });
  // URLs a 429 told to wait, and until when (monotonic ms): however the URL comes back, it is not asked for sooner.
  const heldUrls = new Map<string, number>();
  const holdUrl = (href: string, durationMs: number) => {
    if (heldUrls.size >= heldUrlsPruneThreshold) {
      const monotonicNow = performance.now();
      for (const [held, untilMs] of heldUrls) if (untilMs <= monotonicNow) heldUrls.delete(held);
    }
    heldUrls.set(href, Math.max(heldUrls.get(href) ?? 0, performance.now() + durationMs));
  };
  /** How long the URL is still held, 0 once free. */
  const heldForMs = (href: string) => {
    const untilMs = heldUrls.get(href);
    if (untilMs === undefined) return 0;
    const leftMs = untilMs - performance.now();
    if (leftMs > 0) return leftMs;
    heldUrls.delete(href);
    return 0;
  };
  const robots =
    options.respectRobotsTxt === false
      ? undefined
      : new RobotsCache({
          userAgent: options.userAgent,
          ttlMs: settings.robotsTtlMs,
          failureTtlMs: settings.robotsFailureTtlMs,
          maxOrigins: 10_000,
          now,
          load: async (robotsUrl) => {
            const result = await fetchFollowing(robotsUrl, { maxBodyBytes: robotsMaxBytes }, true);
            const text = new TextDecoder().decode(result.body);
            return { status: result.status, text };
          },
        });

  interface HopResult {
    readonly response: ExchangeResponse;
    readonly warc: WarcLocation | undefined;
    readonly attempts: number;
    readonly queuedMs: number;
  }

  function sleep(ms: number, url: URL, signal: AbortSignal | undefined) {
    return new Promise<void>((resolveSleep, reject) => {
      if (signal?.aborted) return reject(new FetchAbortedError("aborted", url.href, "fetch aborted"));
      const onAbort = () => {
        clearTimeout(timer);
        reject(new FetchAbortedError("aborted", url.href, "fetch aborted during backoff"));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolveSleep();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  function requestHeaders(url: URL, init: FetchInit): Array<[string, string]> {
    const headers = new Map<string, [string, string]>();
    const set = (name: string, value: string) => headers.set(name.toLowerCase(), [name, value]);
    set("Host", url.host);
    set("User-Agent", options.userAgent);
    set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
    if (options.acceptLanguage) set("Accept-Language", options.acceptLanguage);
    for (const [name, value] of Object.entries(init.headers ?? {})) {
      if (reservedHeaders.has(name.toLowerCase())) continue;
      if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) continue;
      set(name, value);
    }
    set("Accept-Encoding", "gzip, deflate, br");
    set("Connection", "keep-alive");
    return [...headers.values()];
  }

  async function record(
    url: URL,
    capture: RawCapture | undefined,
    truncated?: "length" | "time" | "disconnect" | "unspecified",
  ) {
    if (!options.warc || !capture?.responseBytes) return undefined;
    try {
      const location = await options.warc.writeExchange({
        targetUri: url.href,
        ipAddress: capture.remoteAddress,
        requestDate: capture.requestDate,
        request: capture.requestHead,
        responseDate: capture.responseDate,
        response: capture.responseBytes,
        ...(truncated ? { truncated } : {}),
      });
      return location.response;
    } catch (error) {
      throw new WarcWriteError("warc_write_failed", url.href, `could not write WARC: ${String(error)}`, {
        cause: error,
      });
    }
  }

  /** One URL, no redirects followed: policy checks, robots.txt, then attempts with backoff. */
  async function fetchHop(url: URL, init: FetchInit, isRobotsFetch: boolean): Promise<HopResult> {
    const addresses = await vetDestination(url, policy, resolve, settings.connectTimeoutMs);
    const host = url.host;
    if (robots && !isRobotsFetch) {
      const rules = await robots.rulesFor(url, init.signal);
      if (!rules.isAllowed(url)) {
        throw new FetchRefusedError(
          "robots_disallowed",
          url.href,
          rules.kind === "unreachable"
            ? "robots.txt could not be read, so nothing is fetched"
            : "robots.txt disallows it",
        );
      }
      if (rules.crawlDelayMs !== undefined) {
        scheduler.setMinIntervalMs(host, Math.min(rules.crawlDelayMs, settings.maxCrawlDelayMs));
      }
    }
    let queuedMs = 0;
    let staleRetries = 0;
    const maxRateLimitWaitMs = init.maxRateLimitWaitMs ?? settings.maxRetryAfterMs;
    for (let attempt = 1; ; attempt++) {
      // A URL a 429 held waits out of the host's line, holding no slot, or goes back to a caller that will not wait.
      const heldMs = heldForMs(url.href);
      if (heldMs > maxRateLimitWaitMs) throw new RateLimitedError(url.href, heldMs);
      if (heldMs > 0) await sleep(heldMs, url, init.signal);
      const queueStart = performance.now();
      const slot = await scheduler.acquire(host, url.href, init.signal);
      queuedMs += performance.now() - queueStart;
      let outcome: SlotOutcome = "neutral";
      try {
        const result = await runExchange({
          url,
          // A later attempt tries the next vetted address: one dead address should not fail the URL.
          address: addresses[(attempt - 1) % addresses.length] as string,
          headers: requestHeaders(url, init),
          agents,
          connectTimeoutMs: settings.connectTimeoutMs,
          headersTimeoutMs: settings.headersTimeoutMs,
          idleTimeoutMs: settings.idleTimeoutMs,
          totalTimeoutMs: settings.totalTimeoutMs,
          maxWireBytes: Math.max(settings.maxWireBytes, init.maxBodyBytes ?? 0),
          maxBodyBytes: init.maxBodyBytes ?? settings.maxBodyBytes,
          maxCompressionRatio: settings.maxCompressionRatio,
          truncateAtCap: isRobotsFetch,
          captureRaw: options.warc !== undefined,
          recordTlsPeer: options.recordTlsPeers ?? false,
          signal: init.signal,
          now,
        });
        if (!result.ok) {
          const { error } = result;
          if (result.staleSocket && staleRetries < 1) {
            // The server closed a kept-alive socket just as we reused it: not the host's fault, not an attempt.
            staleRetries++;
            attempt--;
            continue;
          }
          // A body over the cap or a cancelled fetch says nothing about the host's health.
          outcome =
            error instanceof FetchAbortedError || error.code === "body_too_large" ? "neutral" : "failure";
          // The exchange is over: free the host's slot before spending time on the disk.
          slot.release(outcome);
          error.warc = await record(url, result.capture, result.truncated);
          if (!error.retryable || attempt >= settings.maxAttempts) throw error;
          await sleep(backoffDelayMs(attempt, settings, random), url, init.signal);
          continue;
        }
        const { response } = result;
        const transient = transientStatuses.has(response.status);
        // A 429 is a healthy host metering us: the rate limit below slows or pauses it; the breaker is for failures.
        outcome = response.status === 429 ? "neutral" : transient ? "failure" : "success";
        slot.release(outcome);
        const warc = await record(url, response.capture, response.truncated ? "length" : undefined);
        if (!transient) return { response, warc, attempts: attempt, queuedMs };
        const retryAfterMs = parseRetryAfterMs(response.headers["retry-after"], now());
        const backoffMs = backoffDelayMs(attempt, settings, random);
        if (
          response.status === 429 &&
          (retryAfterMs === undefined ||
            retryAfterMs <= Math.min(settings.rateLimitHostPauseMs, settings.maxRetryAfterMs))
        ) {
          // A rate limit on this request: the URL waits its Retry-After, the host's other URLs carry on, slower.
          const waitMs = retryAfterMs ?? backoffMs;
          holdUrl(url.href, waitMs);
          const paused = scheduler.rateLimited(host, waitMs) === "paused";
          if (attempt >= settings.maxAttempts) {
            throw keptWith(new TransientStatusError(url.href, response.status, retryAfterMs), warc, response);
          }
          // The caller keeps the URL until then, unless the whole host is paused anyway and every URL waits.
          if (waitMs > maxRateLimitWaitMs && !paused) {
            throw keptWith(new RateLimitedError(url.href, waitMs), warc, response);
          }
          await sleep(Math.max(backoffMs, waitMs), url, init.signal);
          continue;
        }
        // A 503's Retry-After, or a long one on a 429, is about the whole host: its line pauses, not only this URL.
        // However long: a pause too long to wait for still holds, so no later claim of a URL on the host asks sooner.
        if (retryAfterMs !== undefined && (response.status === 503 || response.status === 429)) {
          scheduler.pauseFor(host, retryAfterMs);
        }
        if (retryAfterMs !== undefined && retryAfterMs > settings.maxRetryAfterMs) {
          throw keptWith(new RetryLaterError(url.href, response.status, retryAfterMs), warc, response);
        }
        if (attempt >= settings.maxAttempts) {
          throw keptWith(new TransientStatusError(url.href, response.status, retryAfterMs), warc, response);
        }
        await sleep(Math.max(backoffMs, retryAfterMs ?? 0), url, init.signal);
      } finally {
        // Released once only: the calls above have already settled it whenever an exchange took place.
        slot.release(outcome);
      }
    }
  }

  interface FollowResult extends ExchangeResponse {
    readonly requestedUrl: URL;
    readonly finalUrl: URL;
    readonly redirects: readonly RedirectHop[];
    readonly warc: WarcLocation | undefined;
    readonly attempts: number;
    readonly queuedMs: number;
  }

  /** Follows redirects, checking every hop as if it were the first (SSRF, robots.txt, rate limit). */
  async function fetchFollowing(
    requestedUrl: URL,
    init: FetchInit,
    isRobotsFetch: boolean,
  ): Promise<FollowResult> {
    const redirects: RedirectHop[] = [];
    const seen = new Set<string>();
    let url = new URL(requestedUrl.href);
    url.hash = "";
    let attempts = 0;
    let queuedMs = 0;
    for (;;) {
      seen.add(url.href);
      const hop = await fetchHop(url, init, isRobotsFetch);
      attempts += hop.attempts;
      queuedMs += hop.queuedMs;
      const { response } = hop;
      const location = response.headers["location"];
      if (!redirectStatuses.has(response.status) || location === undefined) {
        return { ...response, requestedUrl, finalUrl: url, redirects, warc: hop.warc, attempts, queuedMs };
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new FetchRefusedError(
          "redirect_invalid",
          url.href,
          `unusable Location "${location.slice(0, 200)}"`,
        );
      }
      next.hash = "";
      redirects.push({
        url: url.href,
        status: response.status,
        location: next.href,
        warc: hop.warc,
        remoteAddress: response.remoteAddress,
        tlsPeer: response.tlsPeer,
      });
      if (seen.has(next.href)) {
        throw new FetchRefusedError("redirect_loop", requestedUrl.href, `redirect loop back to ${next.href}`);
      }
      if (redirects.length > settings.maxRedirects) {
        throw new FetchRefusedError(
          "too_many_redirects",
          requestedUrl.href,
          `more than ${settings.maxRedirects} redirects`,
        );
      }
      url = next;
    }
  }

  const fetch: Fetch = async (url, init = {}) => {
    const startedAt = new Date(now()).toISOString();
    const started = performance.now();
    const result = await fetchFollowing(url, init, false);
    const { mimeType, charset } = parseContentType(result.headers["content-type"]);
    const decoded = isTextual(mimeType, result.body)
      ? decodeBody(result.body, {
          headerCharset: charset,
          prescanMeta:
            mimeType === undefined || mimeType === "text/html" || mimeType === "application/xhtml+xml",
        })
      : undefined;
    return {
      requestedUrl: url.href,
      finalUrl: result.finalUrl.href,
      redirects: result.redirects,
      status: result.status,
      statusText: result.statusText,
      httpVersion: result.httpVersion,
      headers: result.headers,
      mimeType,
      body: result.body,
      bodySha256: result.bodySha256,
      contentDecodingError: result.contentDecodingError,
      decoded,
      remoteAddress: result.remoteAddress,
      localAddress: result.localAddress,
      tlsPeer: result.tlsPeer,
      attempts: result.attempts,
      startedAt,
      finishedAt: new Date(now()).toISOString(),
      timings: {
        queuedMs: result.queuedMs,
        connectMs: result.timings.connectMs,
        ttfbMs: result.timings.ttfbMs,
        downloadMs: result.timings.downloadMs,
        totalMs: performance.now() - started,
      },
      warc: result.warc,
      wireBytes: result.wireBytes,
    };
  };

  return {
    fetch,
    hostStats: (host) => scheduler.stats(host),
    close: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

interface Settings {
  readonly robotsTtlMs: number;
  readonly robotsFailureTtlMs: number;
  readonly maxCrawlDelayMs: number;
  readonly requestsPerSecondPerHost: number;
  readonly maxConcurrentPerHost: number;
  readonly maxQueuedPerHost: number;
  readonly maxRedirects: number;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryAfterMs: number;
  readonly rateLimitHostPauseMs: number;
  readonly breakerFailureThreshold: number;
  readonly breakerOpenMs: number;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly maxWireBytes: number;
  readonly maxBodyBytes: number;
  readonly maxCompressionRatio: number;
}

/** Defaults, then validation: a bad value fails at creation with the option's name, not mid-crawl. */
function resolveSettings(options: FetcherOptions): Settings {
  if (!options.userAgent || /[\r\n]/.test(options.userAgent)) {
    throw new RangeError("userAgent: a single-line User-Agent is required");
  }
  const settings: Settings = {
    robotsTtlMs: options.robotsTtlMs ?? 24 * 3600_000,
    robotsFailureTtlMs: options.robotsFailureTtlMs ?? 10 * 60_000,
    maxCrawlDelayMs: options.maxCrawlDelayMs ?? 60_000,
    requestsPerSecondPerHost: options.requestsPerSecondPerHost ?? 1,
    maxConcurrentPerHost: options.maxConcurrentPerHost ?? 2,
    maxQueuedPerHost: options.maxQueuedPerHost ?? 1_000,
    maxRedirects: options.maxRedirects ?? 5,
    maxAttempts: options.maxAttempts ?? 3,
    baseDelayMs: options.backoffBaseMs ?? 1_000,
    maxDelayMs: options.maxBackoffMs ?? 30_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 120_000,
    rateLimitHostPauseMs: options.rateLimitHostPauseMs ?? 5_000,
    breakerFailureThreshold: options.breakerFailureThreshold ?? 10,
    breakerOpenMs: options.breakerOpenMs ?? 60_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    headersTimeoutMs: options.headersTimeoutMs ?? 30_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
    totalTimeoutMs: options.totalTimeoutMs ?? 120_000,
    maxWireBytes: options.maxWireBytes ?? 20 * MiB,
    maxBodyBytes: options.maxBodyBytes ?? 20 * MiB,
    maxCompressionRatio: options.maxCompressionRatio ?? 200,
  };
  for (const [name, value] of Object.entries(settings)) {
    const mayBeZero = name === "maxRedirects" || name === "maxQueuedPerHost" || name.endsWith("Ms");
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!mayBeZero && value === 0)) {
      throw new RangeError(
        `${name}: expected a ${mayBeZero ? "non-negative" : "positive"} number, got ${value}`,
      );
    }
  }
  if (!Number.isInteger(settings.maxAttempts)) throw new RangeError("maxAttempts: expected an integer");
  return Object.freeze(settings);
}

/** The error of an exchange that answered, with its WARC record and connection: a failure is evidence too. */
function keptWith<E extends FetchError>(
  error: E,
  warc: WarcLocation | undefined,
  response: ExchangeResponse,
): E {
  error.warc = warc;
  error.connection = {
    remoteAddress: response.remoteAddress,
    localAddress: response.localAddress,
    tlsPeer: response.tlsPeer,
  };
  return error;
}
