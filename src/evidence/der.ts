/**
 * Just enough DER to build an RFC 3161 time-stamp request and read the token that comes back: a reader that keeps
 * the exact bytes of every element (signatures are over encodings, not values) and a few encoders.
 */

export interface DerElement {
  readonly tag: number;
  /** The whole element: tag, length and contents. */
  readonly bytes: Buffer;
  readonly contents: Buffer;
  readonly constructed: boolean;
}

export class DerError extends Error {}

export function readDer(bytes: Buffer, offset = 0): { element: DerElement; end: number } {
  if (offset + 2 > bytes.length) throw new DerError("truncated element");
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tags are not used here");
  let lengthByte = bytes[offset + 1]!;
  let header = 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 4) throw new DerError("unsupported length");
    length = 0;
    for (let i = 0; i < count; i++) {
      lengthByte = bytes[offset + 2 + i] ?? Number.NaN;
      if (Number.isNaN(lengthByte)) throw new DerError("truncated length");
      length = length * 256 + lengthByte;
    }
    // DER: the shortest length form only, so one value has one encoding.
    if (length < 0x80 || (count > 1 && bytes[offset + 2] === 0)) throw new DerError("non-minimal length");
    header += count;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw new DerError("element runs past the end");
  return {
    element: {
      tag,
      bytes: bytes.subarray(offset, end),
      contents: bytes.subarray(offset + header, end),
      constructed: (tag & 0x20) !== 0,
    },
    end,
  };
}

/** The one element in `bytes`; refuses trailing bytes. */
export function parseDer(bytes: Buffer): DerElement {
  const { element, end } = readDer(bytes);
  if (end !== bytes.length) throw new DerError("trailing bytes");
  return element;
}

export function children(element: DerElement): DerElement[] {
  if (!element.constructed) throw new DerError(`element 0x${element.tag.toString(16)} is not constructed`);
  const result: DerElement[] = [];
  let offset = 0;
  while (offset < element.contents.length) {
    const { element: child, end } = readDer(element.contents, offset);
    result.push(child);
    offset = end;
  }
  return result;
}

export function expectTag(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (element === undefined || element.tag !== tag) {
    throw new DerError(
      `${what}: expected tag 0x${tag.toString(16)}, found ${element ? `0x${element.tag.toString(16)}` : "nothing"}`,
    );
  }
  return element;
}

export function decodeOid(element: DerElement): string {
  const bytes = expectTag(element, 0x06, "OID").contents;
  const parts: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join(".");
}

export function decodeInteger(element: DerElement): bigint {
  const bytes = expectTag(element, 0x02, "INTEGER").contents;
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  if (bytes.length > 0 && (bytes[0]! & 0x80) !== 0) value -= 1n << BigInt(bytes.length * 8);
  return value;
}

/** GeneralizedTime "YYYYMMDDhhmmss[.fff]Z" as a Date. */
export function decodeGeneralizedTime(element: DerElement): Date {
  const text = expectTag(element, 0x18, "GeneralizedTime").contents.toString("latin1");
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(text);
  if (!match) throw new DerError(`GeneralizedTime "${text}"`);
  const [, y, mo, d, h, mi, s, fraction] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${fraction ? fraction.slice(0, 4) : ""}Z`);
}

// ── Encoders ─────────────────────────────────────────────────────────────────────────────────────────────────────

export function encode(tag: number, contents: Buffer): Buffer {
  const length = contents.length;
  let header: number[];
  if (length < 0x80) header = [tag, length];
  else {
    const lengthBytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) lengthBytes.unshift(rest % 256);
    header = [tag, 0x80 | lengthBytes.length, ...lengthBytes];
  }
  return Buffer.concat([Buffer.from(header), contents]);
}

export const sequence = (...items: Buffer[]): Buffer => encode(0x30, Buffer.concat(items));

export function encodeOid(oid: string): Buffer {
  const parts = oid.split(".").map(Number);
  const bytes: number[] = [parts[0]! * 40 + parts[1]!];
  for (const part of parts.slice(2)) {
    const groups: number[] = [];
    let rest = part;
    do {
      groups.unshift(rest & 0x7f);
      rest = Math.floor(rest / 128);
    } while (rest > 0);
    bytes.push(...groups.map((group, i) => (i < groups.length - 1 ? group | 0x80 : group)));
  }
  return encode(0x06, Buffer.from(bytes));
}

/** A non-negative INTEGER from big-endian bytes. */
export function encodeUnsignedInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return encode(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}
