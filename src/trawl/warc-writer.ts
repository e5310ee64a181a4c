import { createHash, randomBytes, randomUUID } from "node:crypto";
import { open, mkdir, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { gzip as gzipCallback, gzipSync } from "node:zlib";

const gzip = promisify(gzipCallback);

/** Where a record sits: a gzip member of `length` bytes at `offset` in `file` (what a CDX index stores). */
export interface WarcLocation {
  readonly file: string;
  readonly offset: number;
  readonly length: number;
  readonly recordId: string;
}

/** One HTTP exchange as it crossed the wire. */
export interface WarcExchange {
  readonly targetUri: string;
  readonly ipAddress: string | undefined;
  readonly requestDate: Date;
  /** The request head as sent (GETs carry no body). */
  readonly request: Uint8Array;
  readonly responseDate: Date;
  /** Status line, header block and body exactly as received: chunked framing and compression left in place. */
  readonly response: Uint8Array;
  /** WARC-Truncated: why the response is incomplete ("length" for a size cap, "time" for a timeout…). */
  readonly truncated?: "length" | "time" | "disconnect" | "unspecified";
}

export interface WarcExchangeLocation {
  readonly request: WarcLocation;
  readonly response: WarcLocation;
}

export interface WarcWriterOptions {
  readonly directory: string;
  /** File names are `{prefix}-{UTC timestamp}-{serial}-{random}.warc.gz`, the IIPC naming convention. */
  readonly filePrefix?: string;
  /** A new file is started once the current one reaches this size. */
  readonly maxFileBytes?: number;
  /** `software` field of the warcinfo record, e.g. "wildtrawl/0.1.0". */
  readonly software: string;
  /** Extra warcinfo fields: operator, isPartOf, robots policy, user agent… */
  readonly info?: Readonly<Record<string, string>>;
  /**
   * Default 1: on this kind of data it compresses about 5 times faster than zlib's default 6 for files some 15%
   * larger. Bodies that arrive compressed (a content coding, images, archives) are stored at level 0 whatever this
   * says: deflating them again costs time and saves nothing.
   */
  readonly gzipLevel?: number;
  readonly now?: () => Date;
}

interface OpenWarcFile {
  readonly handle: FileHandle;
  readonly path: string;
  size: number;
}

const defaultMaxFileBytes = 1024 ** 3;
const defaultGzipLevel = 1;
const smallWindow = { windowBits: 12, memLevel: 4 };
const encoder = new TextEncoder();
const crlf = "\r\n";

/**
 * Appends gzip-per-record WARC 1.1 files: a warcinfo record opens each file, then a request and a response record
 * per exchange, written with a single write so that a killed process leaves whole records behind. Exchanges are
 * compressed in parallel and appended one at a time.
 */
export class WarcWriter {
  readonly #options: WarcWriterOptions;
  readonly #now: () => Date;
  #file: OpenWarcFile | undefined;
  #serial = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: WarcWriterOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  /** The file being written, if any. */
  get currentFile(): string | undefined {
    return this.#file?.path;
  }

  async writeExchange(exchange: WarcExchange): Promise<WarcExchangeLocation> {
    if (this.#closed) throw new Error("WARC writer is closed");
    const responseId = recordId();
    const requestId = recordId();
    const { headerEnd } = splitHttpHead(exchange.response);
    const targetUri = asciiUri(exchange.targetUri);
    const responseRecord = serializeRecord(
      [
        ["WARC-Type", "response"],
        ["WARC-Record-ID", responseId],
        ["WARC-Date", warcDate(exchange.responseDate)],
        ["WARC-Target-URI", targetUri],
        ...(exchange.ipAddress ? [["WARC-IP-Address", exchange.ipAddress] as const] : []),
        ["WARC-Block-Digest", sha256Label(exchange.response)],
        ...(headerEnd >= 0
          ? [["WARC-Payload-Digest", sha256Label(exchange.response.subarray(headerEnd))] as const]
          : []),
        ...(exchange.truncated ? [["WARC-Truncated", exchange.truncated] as const] : []),
        ["Content-Type", "application/http; msgtype=response"],
      ],
      exchange.response,
    );
    const requestRecord = serializeRecord(
      [
        ["WARC-Type", "request"],
        ["WARC-Record-ID", requestId],
        ["WARC-Date", warcDate(exchange.requestDate)],
        ["WARC-Target-URI", targetUri],
        ...(exchange.ipAddress ? [["WARC-IP-Address", exchange.ipAddress] as const] : []),
        ["WARC-Concurrent-To", responseId],
        ["WARC-Block-Digest", sha256Label(exchange.request)],
        ["Content-Type", "application/http; msgtype=request"],
      ],
      exchange.request,
    );
    const level = this.#options.gzipLevel ?? defaultGzipLevel;
    // A request record is a few hundred bytes: compressing it inline, with a small window, is cheaper than a trip
    // to the thread pool. An already-compressed payload would not shrink, yet deflating it again would take most
    // of the write time: it is stored (level 0), which is a copy, also done inline.
    const requestMember = gzipSync(requestRecord, { level, ...smallWindow });
    const responseMember =
      headerEnd >= 0 && isCompressedPayload(exchange.response.subarray(0, headerEnd))
        ? gzipSync(responseRecord, { level: 0, ...smallWindow })
        : await gzip(responseRecord, { level });
    return this.#append(async (file) => {
      const offset = file.size;
      await writeFully(file.handle, Buffer.concat([requestMember, responseMember]), offset);
      file.size += requestMember.length + responseMember.length;
      return {
        request: { file: file.path, offset, length: requestMember.length, recordId: requestId },
        response: {
          file: file.path,
          offset: offset + requestMember.length,
          length: responseMember.length,
          recordId: responseId,
        },
      };
    });
  }

  /** Flushes the current file to disk (fsync), for callers that acknowledge work only once it is durable. */
  async sync(): Promise<void> {
    await this.#enqueue(async () => {
      await this.#file?.handle.sync();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#enqueue(async () => {
      const file = this.#file;
      this.#file = undefined;
      if (file) {
        await file.handle.sync();
        await file.handle.close();
      }
    });
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(task);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  #append<T>(write: (file: OpenWarcFile) => Promise<T>): Promise<T> {
    return this.#enqueue(async () => {
      const maxFileBytes = this.#options.maxFileBytes ?? defaultMaxFileBytes;
      if (this.#file && this.#file.size >= maxFileBytes) {
        const full = this.#file;
        this.#file = undefined;
        await full.handle.close();
      }
      const file = this.#file ?? (await this.#openFile());
      try {
        return await write(file);
      } catch (error) {
        // The tail of this file may now be a partial record: start a fresh file for whatever comes next.
        this.#file = undefined;
        await file.handle.close().catch(() => undefined);
        throw error;
      }
    });
  }

  async #openFile(): Promise<OpenWarcFile> {
    await mkdir(this.#options.directory, { recursive: true });
    const date = this.#now();
    const stamp = date.toISOString().replace(/[-:TZ.]/g, "");
    const name = `${this.#options.filePrefix ?? "wildtrawl"}-${stamp}-${String(this.#serial++).padStart(5, "0")}-${randomBytes(4).toString("hex")}.warc.gz`;
    const filePath = path.resolve(this.#options.directory, name);
    const handle = await open(filePath, "wx");
    const fields = {
      software: this.#options.software,
      format: "WARC File Format 1.1",
      conformsTo: "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
      ...this.#options.info,
    };
    const body = encoder.encode(
      Object.entries(fields)
        .map(([name, value]) => `${name}: ${value.replace(/[\r\n]+/g, " ")}${crlf}`)
        .join(""),
    );
    const record = serializeRecord(
      [
        ["WARC-Type", "warcinfo"],
        ["WARC-Record-ID", recordId()],
        ["WARC-Date", warcDate(date)],
        ["WARC-Filename", name],
        ["WARC-Block-Digest", sha256Label(body)],
        ["Content-Type", "application/warc-fields"],
      ],
      body,
    );
    const member = await gzip(record, { level: this.#options.gzipLevel ?? defaultGzipLevel });
    try {
      await writeFully(handle, member, 0);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    this.#file = { handle, path: filePath, size: member.length };
    return this.#file;
  }
}

async function writeFully(handle: FileHandle, buffer: Buffer, position: number) {
  let written = 0;
  while (written < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, written, buffer.length - written, position + written);
    written += bytesWritten;
  }
}

function serializeRecord(headers: ReadonlyArray<readonly [string, string]>, block: Uint8Array): Buffer {
  const head =
    `WARC/1.1${crlf}` +
    headers.map(([name, value]) => `${name}: ${value.replace(/[\r\n]+/g, " ")}${crlf}`).join("") +
    `Content-Length: ${block.byteLength}${crlf}${crlf}`;
  return Buffer.concat([encoder.encode(head), block, encoder.encode(crlf + crlf)]);
}

/** Index just past the blank line that ends an HTTP head, or -1 when the head never ended (a cut-off response). */
export function splitHttpHead(bytes: Uint8Array): { headerEnd: number } {
  const index = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf("\r\n\r\n");
  return { headerEnd: index < 0 ? -1 : index + 4 };
}

/** Whether an HTTP response head announces a body that is compressed already (a content coding, or media). */
export function isCompressedPayload(head: Uint8Array): boolean {
  const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString("latin1");
  return (
    /\r\ncontent-encoding:[ \t]*(?!identity\b)[a-z]/i.test(text) ||
    /\r\ncontent-type:[ \t]*(image\/(?!svg|bmp)|video\/|audio\/|font\/woff2|application\/(zip|gzip|x-gzip|zstd|pdf))/i.test(
      text,
    )
  );
}

/** WARC header values are ASCII: a URI with raw non-ASCII characters is written percent-encoded. */
function asciiUri(uri: string): string {
  if (/^[\x21-\x7e]*$/.test(uri)) return uri;
  try {
    return new URL(uri).href;
  } catch {
    return encodeURI(uri);
  }
}

function sha256Label(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function recordId(): string {
  return `<urn:uuid:${randomUUID()}>`;
}

/** WARC 1.1 allows sub-second precision; milliseconds keep exchanges in order. */
function warcDate(date: Date): string {
  return date.toISOString();
}
