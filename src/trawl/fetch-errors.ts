import { WildtrawlError } from "../core/errors.ts";
import type { TlsPeer } from "./tls-peer.ts";
import type { WarcLocation } from "./warc-writer.ts";

/** The connection an exchange was on: what evidence records of a fetch, even one that failed part-way. */
export interface ConnectionFacts {
  readonly remoteAddress: string;
  /** This host's end of the connection. */
  readonly localAddress: string | undefined;
  /** Set for HTTPS when the fetcher records TLS peers. */
  readonly tlsPeer: TlsPeer | undefined;
}

/**
 * Why a fetch produced no usable response. Retry behaviour lives here, not in the fetch loop:
 * - `retryable`: another attempt within the same fetch may succeed (after `retryAfterMs`, when the server said so);
 * - `temporary`: the URL may succeed later, so the frontier should reschedule it rather than mark it failed.
 *
 * Codes are stable and documented beside each class.
 */
export class FetchError extends WildtrawlError {
  readonly url: string;
  /** Where the (partial) exchange was written, when a response had started. */
  warc: WarcLocation | undefined;
  /** The connection the fetch failed on, when one had been made (a body that stalled, a reset mid-transfer). */
  connection: ConnectionFacts | undefined;
  get retryable(): boolean {
    return false;
  }
  get temporary(): boolean {
    return false;
  }
  constructor(code: string, url: string, message: string, options?: ErrorOptions) {
    super(code, `${message} (${url})`, options);
    this.url = url;
    this.warc = undefined;
    this.connection = undefined;
  }
}

/** `host_not_found`: the name does not exist. Not retried now; the frontier may try again another day. */
export class HostNotFoundError extends FetchError {
  override get temporary() {
    return true;
  }
}

/**
 * Policy refused the request before any connection was made.
 * `scheme_not_allowed`, `port_not_allowed`, `credentials_not_allowed`, `ssrf_blocked`, `robots_disallowed`,
 * `too_many_redirects`, `redirect_loop`, `redirect_invalid`.
 */
export class FetchRefusedError extends FetchError {}

/** `tls_error`, `protocol_error`: the server's TLS or HTTP is broken; trying again at once would not mend it. */
export class BrokenServerError extends FetchError {}

/**
 * The connection failed or stalled: `dns_failed`, `connect_failed`, `connect_timeout`, `headers_timeout`,
 * `idle_timeout`, `connection_reset`. Retried within the fetch.
 */
export class NetworkError extends FetchError {
  override get retryable() {
    return true;
  }
  override get temporary() {
    return true;
  }
}

/**
 * `total_timeout`: the whole attempt took longer than its budget. Not retried at once (a trickling server would
 * only trickle again), but the URL may work later.
 */
export class TotalTimeoutError extends FetchError {
  override get temporary() {
    return true;
  }
}

/** `body_too_large`: the compressed or decompressed body passed its cap, or decompressed implausibly (a bomb). */
export class BodyTooLargeError extends FetchError {
  readonly limitBytes: number;
  constructor(url: string, message: string, limitBytes: number) {
    super("body_too_large", url, message);
    this.limitBytes = limitBytes;
  }
}

/**
 * `http_transient_status`: the server answered 408, 429, 500, 502, 503, 504, 522 or 524. Retried within the fetch;
 * thrown once the attempts are spent, with the last status.
 */
export class TransientStatusError extends FetchError {
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  override get retryable() {
    return true;
  }
  override get temporary() {
    return true;
  }
  constructor(url: string, status: number, retryAfterMs: number | undefined) {
    super("http_transient_status", url, `HTTP ${status}`);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** `retry_after_too_long`: the server asked us to come back later than this fetch is willing to wait. */
export class RetryLaterError extends FetchError {
  readonly retryAfterMs: number;
  override get temporary() {
    return true;
  }
  constructor(url: string, status: number, retryAfterMs: number) {
    super(
      "retry_after_too_long",
      url,
      `HTTP ${status} with Retry-After of ${Math.ceil(retryAfterMs / 1000)} s`,
    );
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * `rate_limited`: the server answered 429, asking (by its Retry-After, or our backoff when it gave none) for a wait
 * longer than the caller lets a fetch wait for its URL (`FetchInit.maxRateLimitWaitMs`; the trawler lets none). The
 * URL must not be asked for again before `retryAfterMs` has passed; the rest of the host is only slowed, not paused.
 */
export class RateLimitedError extends FetchError {
  readonly retryAfterMs: number;
  override get temporary() {
    return true;
  }
  constructor(url: string, retryAfterMs: number) {
    super("rate_limited", url, `HTTP 429: not to be asked again for ${Math.ceil(retryAfterMs / 1000)} s`);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * `host_paused`: the host asked for a pause (Retry-After on a 503, or a long one on a 429) longer than a fetch
 * waits, and it has not passed: nothing is sent to the host before it has, and no fetch waits hours in its line.
 */
export class HostPausedError extends FetchError {
  readonly retryAfterMs: number;
  override get temporary() {
    return true;
  }
  constructor(url: string, host: string, retryAfterMs: number) {
    super("host_paused", url, `${host} asked for a pause of ${Math.ceil(retryAfterMs / 1000)} s more`);
    this.retryAfterMs = retryAfterMs;
  }
}

/** `circuit_open`: the host failed too many times in a row; nothing is sent until `retryAfterMs` has passed. */
export class CircuitOpenError extends FetchError {
  readonly retryAfterMs: number;
  override get temporary() {
    return true;
  }
  constructor(url: string, host: string, retryAfterMs: number) {
    super("circuit_open", url, `too many consecutive failures on ${host}; paused`);
    this.retryAfterMs = retryAfterMs;
  }
}

/** `queue_full`: the host's waiting line is at its bound; the caller should slow down (backpressure). */
export class QueueFullError extends FetchError {
  override get temporary() {
    return true;
  }
}

/** `aborted`: the caller's signal fired (shutdown, cancelled job). */
export class FetchAbortedError extends FetchError {
  override get temporary() {
    return true;
  }
}

/** `warc_write_failed`: the exchange happened but could not be preserved, so it is not reported as fetched. */
export class WarcWriteError extends FetchError {
  override get temporary() {
    return true;
  }
}
