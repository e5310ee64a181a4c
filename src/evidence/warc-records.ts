import { gunzipSync } from "node:zlib";

/** One WARC record, read back from a capture's WARC file (to show the request headers as they were sent). */
export interface WarcRecord {
  readonly type: string;
  readonly targetUri: string | undefined;
  readonly date: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly block: Buffer;
}

/** Reads every record of a gzip-per-record WARC file held in memory. */
export function readWarcRecords(gzipped: Buffer): WarcRecord[] {
  const bytes = gunzipSync(gzipped);
  const records: WarcRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const headEnd = bytes.indexOf("\r\n\r\n", offset);
    if (headEnd < 0) break;
    const lines = bytes.subarray(offset, headEnd).toString("latin1").split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers["content-length"] ?? "0");
    const blockStart = headEnd + 4;
    records.push({
      type: headers["warc-type"] ?? "",
      targetUri: headers["warc-target-uri"],
      date: headers["warc-date"],
      headers,
      block: bytes.subarray(blockStart, blockStart + length),
    });
    offset = blockStart + length + 4;
  }
  return records;
}

/** The header fields of an HTTP message head (request or response), in order, names as sent. */
export function httpHeaders(block: Buffer): Array<[string, string]> {
  const end = block.indexOf("\r\n\r\n");
  const head = block.subarray(0, end < 0 ? block.length : end).toString("latin1");
  return head
    .split("\r\n")
    .slice(1)
    .flatMap((line): Array<[string, string]> => {
      const colon = line.indexOf(":");
      return colon > 0 ? [[line.slice(0, colon), line.slice(colon + 1).trim()]] : [];
    });
}
