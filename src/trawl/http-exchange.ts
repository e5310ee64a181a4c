import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { LookupFunction, Socket } from "node:net";
import { isIP } from "node:net";
import { Transform, type TransformCallback } from "node:stream";
import { TLSSocket } from "node:tls";
import zlib from "node:zlib";
import {
  BodyTooLargeError,
  BrokenServerError,
  FetchAbortedError,
  FetchError,
  NetworkError,
  TotalTimeoutError,
} from "./fetch-errors.ts";
import { tlsPeerOf, type TlsPeer } from "./tls-peer.ts";

/**
 * One HTTP/1.1 GET over node:http, to an address that has already been vetted, with every limit enforced while
 * the bytes arrive. It makes no decision about retries, redirects or politeness: that is the fetcher's job.
 */
export interface ExchangeRequest {
  readonly url: URL;
  /** The vetted address to connect to; the host name is never resolved again (no DNS rebinding). */
  readonly address: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly agents: { readonly http: http.Agent; readonly https: https.Agent };
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly totalTimeoutMs: number;
  /** Cap on the body as transferred (after de-chunking, before decompression). */
  readonly maxWireBytes: number;
  /** Cap on the body after decompression. */
  readonly maxBodyBytes: number;
  /** Decompressed-to-compressed ratio that marks a bomb once more than 1 MiB has come out. */
  readonly maxCompressionRatio: number;
  /** Stop quietly at the cap and return what arrived (robots.txt: parse the first 500 KiB) instead of failing. */
  readonly truncateAtCap?: boolean;
  /** Keep the bytes exactly as received, for WARC. */
  readonly captureRaw: boolean;
  /** Describe the TLS peer (certificate chain, protocol, cipher) when the connection is set up, for evidence. */
  readonly recordTlsPeer: boolean;
  readonly signal: AbortSignal | undefined;
  readonly now: () => number;
}

/** The exchange as it crossed the wire, complete or not: what WARC needs. */
export interface RawCapture {
  readonly requestDate: Date;
  readonly requestHead: Uint8Array;
  readonly responseDate: Date;
  /** Undefined when raw capture was off. */
  readonly responseBytes: Uint8Array | undefined;
  readonly remoteAddress: string | undefined;
}

export interface ExchangeResponse {
  readonly status: number;
  readonly statusText: string;
  readonly httpVersion: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body with its content coding removed. */
  readonly body: Buffer;
  readonly bodySha256: string;
  readonly wireBytes: number;
  /** Set when decompression failed part-way or the coding is unknown; the body is then what could be decoded. */
  readonly contentDecodingError: string | undefined;
  /** The body stopped at the cap (only with `truncateAtCap`). */
  readonly truncated: boolean;
  readonly remoteAddress: string;
  /** This host's end of the connection: its egress address as this host sees it (NAT may change it on the way). */
  readonly localAddress: string | undefined;
  /** Set for HTTPS with `recordTlsPeer`. */
  readonly tlsPeer: TlsPeer | undefined;
  readonly reusedSocket: boolean;
  readonly capture: RawCapture;
  readonly timings: { readonly connectMs: number; readonly ttfbMs: number; readonly downloadMs: number };
}

export type ExchangeOutcome =
  | { readonly ok: true; readonly response: ExchangeResponse }
  | {
      readonly ok: false;
      readonly error: FetchError;
      /** Present when a response had started: a partial capture worth keeping, and why it stopped. */
      readonly capture: RawCapture | undefined;
      readonly truncated: "length" | "time" | "disconnect" | "unspecified" | undefined;
      /** A kept-alive socket the server had already closed: safe to retry at once, it says nothing of the host. */
      readonly staleSocket: boolean;
    };

const bombCheckAfterBytes = 1024 * 1024;
const encoder = new TextEncoder();

export function runExchange(request: ExchangeRequest): Promise<ExchangeOutcome> {
  return new Promise<ExchangeOutcome>((resolve) => {
    const { url } = request;
    const started = performance.now();
    const requestDate = new Date(request.now());
    let responseDate = requestDate;
    let connectedAt = started;
    let headersAt: number | undefined;
    let settled = false;
    let socket: Socket | undefined;
    let reusedSocket = false;
    let remoteAddress: string | undefined;
    let localAddress: string | undefined;
    let tlsPeer: TlsPeer | undefined;
    const rawChunks: Buffer[] = [];
    let rawBytes = 0;
    const timers = new Map<string, NodeJS.Timeout>();

    const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const path = `${url.pathname}${url.search}`;
    const requestHead = encoder.encode(
      `GET ${path} HTTP/1.1\r\n${request.headers.map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n`,
    );
    const family = isIP(request.address) as 4 | 6;
    // Hand the vetted address to the socket instead of letting it resolve the name again.
    const lookup: LookupFunction = (_hostname, options, callback) => {
      if (options.all) callback(null, [{ address: request.address, family }]);
      else callback(null, request.address, family);
    };

    const tap = (chunk: Buffer) => {
      rawChunks.push(chunk);
      rawBytes += chunk.length;
    };
    const untap = () => socket?.off("data", tap);
    const capture = (): RawCapture => ({
      requestDate,
      requestHead,
      responseDate,
      responseBytes: request.captureRaw ? Buffer.concat(rawChunks, rawBytes) : undefined,
      remoteAddress,
    });

    const clearTimer = (name: string) => {
      const timer = timers.get(name);
      if (timer) clearTimeout(timer);
      timers.delete(name);
    };
    const setTimer = (name: string, ms: number, onFire: () => void) => {
      clearTimer(name);
      timers.set(name, setTimeout(onFire, ms));
    };

    const cleanups: Array<() => void> = [];
    const settle = (outcome: ExchangeOutcome) => {
      if (settled) return;
      settled = true;
      for (const cleanup of cleanups) cleanup();
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      request.signal?.removeEventListener("abort", onAbort);
      untap();
      resolve(outcome);
    };
    const fail = (
      error: FetchError,
      truncated?: "length" | "time" | "disconnect" | "unspecified",
      staleSocket = false,
    ) => {
      if (settled) return;
      const responseStarted = headersAt !== undefined;
      if (remoteAddress !== undefined) error.connection = { remoteAddress, localAddress, tlsPeer };
      settle({
        ok: false,
        error,
        capture: responseStarted ? capture() : undefined,
        truncated: responseStarted ? truncated : undefined,
        staleSocket,
      });
      clientRequest.destroy();
    };

    const onAbort = () => fail(new FetchAbortedError("aborted", url.href, "fetch aborted"), "unspecified");
    if (request.signal?.aborted) {
      resolve({
        ok: false,
        error: new FetchAbortedError("aborted", url.href, "fetch aborted"),
        capture: undefined,
        truncated: undefined,
        staleSocket: false,
      });
      return;
    }
    request.signal?.addEventListener("abort", onAbort, { once: true });

    const isHttps = url.protocol === "https:";
    const clientRequest = (isHttps ? https : http).request({
      protocol: url.protocol,
      host: hostname,
      port: url.port || (isHttps ? 443 : 80),
      path,
      method: "GET",
      headers: Object.fromEntries(request.headers),
      setHost: false,
      agent: isHttps ? request.agents.https : request.agents.http,
      lookup,
      ...(isHttps && isIP(hostname) === 0 ? { servername: hostname } : {}),
    });

    setTimer("total", request.totalTimeoutMs, () =>
      fail(
        new TotalTimeoutError(
          "total_timeout",
          url.href,
          `no complete response within ${request.totalTimeoutMs} ms`,
        ),
        "time",
      ),
    );

    clientRequest.on("socket", (assigned: Socket) => {
      socket = assigned;
      reusedSocket = clientRequest.reusedSocket;
      if (request.captureRaw) assigned.on("data", tap);
      const onConnected = () => {
        clearTimer("connect");
        connectedAt = performance.now();
        remoteAddress = assigned.remoteAddress;
        localAddress = assigned.localAddress;
        // Now, while the socket is ours: once released to the pool or closed it may no longer show its peer.
        if (request.recordTlsPeer && assigned instanceof TLSSocket) tlsPeer = tlsPeerOf(assigned);
        setTimer("headers", request.headersTimeoutMs, () =>
          fail(
            new NetworkError(
              "headers_timeout",
              url.href,
              `no response headers within ${request.headersTimeoutMs} ms`,
            ),
          ),
        );
      };
      // A fresh socket is still connecting when handed over (the event comes a tick later); a kept-alive one is not.
      if (assigned.connecting) {
        setTimer("connect", request.connectTimeoutMs, () =>
          fail(
            new NetworkError(
              "connect_timeout",
              url.href,
              `not connected within ${request.connectTimeoutMs} ms`,
            ),
          ),
        );
        assigned.once(assigned instanceof TLSSocket ? "secureConnect" : "connect", onConnected);
      } else {
        onConnected();
      }
    });

    clientRequest.on("error", (error: NodeJS.ErrnoException) => {
      fail(
        mapSocketError(error, url.href),
        "disconnect",
        reusedSocket && headersAt === undefined && isResetLike(error),
      );
    });

    clientRequest.on("response", (response: http.IncomingMessage) => {
      clearTimer("headers");
      headersAt = performance.now();
      responseDate = new Date(request.now());
      remoteAddress = response.socket?.remoteAddress ?? remoteAddress;
      const resetIdle = () =>
        setTimer("idle", request.idleTimeoutMs, () =>
          fail(new NetworkError("idle_timeout", url.href, `no data for ${request.idleTimeoutMs} ms`), "time"),
        );
      resetIdle();

      const hash = createHash("sha256");
      const bodyChunks: Buffer[] = [];
      let bodyBytes = 0;
      let wireBytes = 0;
      let decodingError: string | undefined;
      let truncated = false;

      const finish = () => {
        if (settled) return;
        const endedAt = performance.now();
        settle({
          ok: true,
          response: {
            status: response.statusCode ?? 0,
            statusText: response.statusMessage ?? "",
            httpVersion: response.httpVersion,
            headers: flattenHeaders(response.headers),
            body: Buffer.concat(bodyChunks, bodyBytes),
            bodySha256: hash.digest("hex"),
            wireBytes,
            contentDecodingError: decodingError,
            truncated,
            remoteAddress: remoteAddress ?? request.address,
            localAddress,
            tlsPeer,
            reusedSocket,
            capture: capture(),
            timings: {
              connectMs: connectedAt - started,
              ttfbMs: (headersAt ?? endedAt) - started,
              downloadMs: endedAt - (headersAt ?? endedAt),
            },
          },
        });
        if (truncated) clientRequest.destroy();
      };

      const tooLarge = (message: string, limit: number) => {
        if (request.truncateAtCap) {
          truncated = true;
          finish();
        } else {
          fail(new BodyTooLargeError(url.href, message, limit), "length");
        }
      };

      const onDecoded = (chunk: Buffer) => {
        if (settled) return;
        const room = request.maxBodyBytes - bodyBytes;
        if (chunk.length > room) {
          if (request.truncateAtCap) keep(chunk.subarray(0, room));
          return tooLarge(
            `body passed ${request.maxBodyBytes} bytes after decompression`,
            request.maxBodyBytes,
          );
        }
        keep(chunk);
        // Compare with the input the decoder has consumed, not with what has arrived: a whole bomb arrives at once.
        const consumed = sink ? consumedBytes(sink, wireBytes) : wireBytes;
        if (
          bodyBytes > bombCheckAfterBytes &&
          consumed > 0 &&
          bodyBytes / consumed > request.maxCompressionRatio
        ) {
          tooLarge(
            `body decompressed ${Math.round(bodyBytes / consumed)}× (more than ${request.maxCompressionRatio}×): a compression bomb`,
            request.maxBodyBytes,
          );
        }
      };
      const keep = (chunk: Buffer) => {
        bodyChunks.push(chunk);
        bodyBytes += chunk.length;
        hash.update(chunk);
      };

      const decoder = createContentDecoder(response.headers["content-encoding"]);
      if (typeof decoder === "string") decodingError = decoder;
      const sink = typeof decoder === "string" ? undefined : decoder;
      // Once settled, stop inflating whatever input is still buffered: a bomb would otherwise keep a core busy.
      if (sink) cleanups.push(() => sink.destroy());
      sink?.on("data", onDecoded);
      sink?.on("end", finish);
      sink?.on("error", (error: Error) => {
        // Keep what decoded so far, as a browser would show it, and say so; the raw bytes are in WARC regardless.
        decodingError = `content decoding failed: ${error.message}`;
        sink.removeAllListeners("data");
        if (response.complete) finish();
      });

      response.on("data", (chunk: Buffer) => {
        if (settled) return;
        resetIdle();
        wireBytes += chunk.length;
        if (wireBytes > request.maxWireBytes) {
          return tooLarge(`body passed ${request.maxWireBytes} bytes on the wire`, request.maxWireBytes);
        }
        if (!sink) return onDecoded(chunk);
        if (decodingError) return;
        if (!sink.write(chunk)) {
          response.pause();
          sink.once("drain", () => response.resume());
        }
      });
      response.on("end", () => {
        untap();
        clearTimer("idle");
        if (!sink || decodingError) finish();
        else sink.end();
      });
      response.on("error", (error: NodeJS.ErrnoException) => {
        fail(
          new NetworkError("connection_reset", url.href, `connection lost mid-body: ${error.message}`),
          "disconnect",
        );
      });
      response.on("close", () => {
        if (!response.complete) {
          fail(
            new NetworkError("connection_reset", url.href, "connection closed before the body was complete"),
            "disconnect",
          );
        }
      });
    });

    clientRequest.end();
  });
}

/** Input bytes a decoder has taken in so far (zlib streams count them in `bytesWritten`). */
function consumedBytes(decoder: Transform, fallback: number): number {
  const { bytesWritten } = decoder as Transform & { bytesWritten?: unknown };
  return typeof bytesWritten === "number" ? bytesWritten : fallback;
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name] = Array.isArray(value) ? value.join(name === "set-cookie" ? "\n" : ", ") : value;
  }
  return flat;
}

function isResetLike(error: NodeJS.ErrnoException) {
  return error.code === "ECONNRESET" || error.code === "EPIPE" || error.message === "socket hang up";
}

const tlsErrorCodes = /^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

function mapSocketError(error: NodeJS.ErrnoException, url: string): FetchError {
  const code = error.code ?? "";
  if (tlsErrorCodes.test(code) || code === "EPROTO" || /SSL routines/.test(error.message)) {
    return new BrokenServerError("tls_error", url, `TLS failed: ${error.message}`, { cause: error });
  }
  if (code.startsWith("HPE_")) {
    return new BrokenServerError("protocol_error", url, `malformed HTTP response: ${error.message}`, {
      cause: error,
    });
  }
  if (
    code === "ECONNREFUSED" ||
    code === "EHOSTUNREACH" ||
    code === "ENETUNREACH" ||
    code === "EADDRNOTAVAIL"
  ) {
    return new NetworkError("connect_failed", url, `could not connect: ${error.message}`, { cause: error });
  }
  return new NetworkError("connection_reset", url, `connection failed: ${error.message}`, { cause: error });
}

/**
 * A decoder for the Content-Encoding (codings applied in order, so undone in reverse), undefined for identity, or
 * an explanation when a coding is unknown.
 */
export function createContentDecoder(header: string | undefined): Transform | undefined | string {
  const codings = (header ?? "")
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "" && coding !== "identity");
  if (codings.length === 0) return undefined;
  const stages: Transform[] = [];
  for (const coding of codings.reverse()) {
    const stage = decoderFor(coding);
    if (!stage) return `unsupported content-encoding "${coding}"`;
    stages.push(stage);
  }
  if (stages.length === 1) return stages[0];
  return chain(stages);
}

// Lenient flushing: a response cut short still yields what it holds, as browsers show it.
const lenient = { finishFlush: zlib.constants.Z_SYNC_FLUSH };

function decoderFor(coding: string): Transform | undefined {
  switch (coding) {
    case "gzip":
    case "x-gzip":
      return zlib.createGunzip(lenient);
    case "deflate":
      return new DeflateDecoder();
    case "br":
      return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
    case "zstd":
      return typeof zlib.createZstdDecompress === "function" ? zlib.createZstdDecompress() : undefined;
    default:
      return undefined;
  }
}

/** `deflate` should be zlib-wrapped, but old servers send raw deflate: choose by the first two bytes. */
class DeflateDecoder extends Transform {
  #inner: Transform | undefined;
  #head = Buffer.alloc(0);

  get bytesWritten(): number {
    return this.#inner ? consumedBytes(this.#inner, 0) : 0;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    if (this.#inner) return this.#write(chunk, callback);
    this.#head = Buffer.concat([this.#head, chunk]);
    if (this.#head.length < 2) return callback();
    const [b0 = 0, b1 = 0] = this.#head;
    const zlibWrapped = (b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0;
    this.#inner = zlibWrapped ? zlib.createInflate(lenient) : zlib.createInflateRaw(lenient);
    this.#inner.on("data", (data: Buffer) => this.push(data));
    this.#inner.on("error", (error) => this.destroy(error));
    const head = this.#head;
    this.#head = Buffer.alloc(0);
    this.#write(head, callback);
  }

  override _flush(callback: TransformCallback) {
    if (!this.#inner) return callback();
    this.#inner.once("end", () => callback());
    this.#inner.end();
  }

  #write(chunk: Buffer, callback: TransformCallback) {
    if (this.#inner?.write(chunk)) callback();
    else this.#inner?.once("drain", () => callback());
  }
}

function chain(stages: Transform[]): Transform {
  const first = stages[0] as Transform;
  const last = stages.at(-1) as Transform;
  for (let i = 0; i < stages.length - 1; i++) {
    const from = stages[i] as Transform;
    const to = stages[i + 1] as Transform;
    from.pipe(to);
    from.on("error", (error) => last.destroy(error));
  }
  const combined = new Transform({
    transform(chunk, _encoding, callback) {
      if (first.write(chunk)) callback();
      else first.once("drain", () => callback());
    },
    flush(callback) {
      last.once("end", () => callback());
      first.end();
    },
    construct(callback) {
      last.on("data", (data: Buffer) => this.push(data));
      last.on("error", (error) => this.destroy(error));
      callback();
    },
  });
  Object.defineProperty(combined, "bytesWritten", { get: () => consumedBytes(first, 0) });
  return combined;
}
