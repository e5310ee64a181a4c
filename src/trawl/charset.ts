/**
 * Turns the bytes of a page into text the way a browser would (WHATWG Encoding and HTML "determine the character
 * encoding"): byte order mark, then the Content-Type charset, then `<meta charset>` or `http-equiv` in the first
 * 1024 bytes. The bytes are decoded once with the chosen decoder; invalid sequences become U+FFFD and are flagged,
 * never thrown. Pure: no I/O.
 */

export type CharsetSource = "bom" | "header" | "meta" | "utf8-valid" | "default";

export type DecodeFlag =
  /** Some byte sequences were not valid in the chosen charset and became U+FFFD. */
  | "invalid-sequences"
  /** The text holds NUL characters: typically UTF-16 without a byte order mark, or binary served as text. */
  | "nul-characters"
  /** A charset was declared (header or meta) with a label no decoder knows; it was ignored. */
  | "unsupported-charset-label";

export interface DecodedText {
  readonly text: string;
  /** The WHATWG encoding name: "utf-8", "shift_jis", "gbk", "euc-kr", "windows-1252"… */
  readonly charset: string;
  readonly charsetSource: CharsetSource;
  readonly flags: readonly DecodeFlag[];
}

export interface ContentType {
  /** Lower-case `type/subtype`, or undefined when the header is missing or unparseable. */
  readonly mimeType: string | undefined;
  readonly charset: string | undefined;
}

const prescanLimitBytes = 1024;

export function parseContentType(header: string | undefined): ContentType {
  if (!header) return { mimeType: undefined, charset: undefined };
  const [essence = "", ...parameters] = header.split(";");
  const mimeType = /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(essence.trim())
    ? essence.trim().toLowerCase()
    : undefined;
  let charset: string | undefined;
  for (const parameter of parameters) {
    const equals = parameter.indexOf("=");
    if (equals < 0) continue;
    if (parameter.slice(0, equals).trim().toLowerCase() !== "charset") continue;
    charset = parameter
      .slice(equals + 1)
      .trim()
      .replace(/^"(.*)"$/s, "$1")
      .trim();
    break;
  }
  return { mimeType, charset: charset || undefined };
}

/** Whether a body should be decoded to text: by its media type, or, with none, by the absence of binary bytes. */
export function isTextual(mimeType: string | undefined, bytes: Uint8Array): boolean {
  if (mimeType === undefined) return !hasBinaryBytes(bytes.subarray(0, prescanLimitBytes));
  return (
    mimeType.startsWith("text/") ||
    mimeType.endsWith("+xml") ||
    mimeType.endsWith("+json") ||
    ["application/xml", "application/json", "application/javascript", "application/ecmascript"].includes(
      mimeType,
    )
  );
}

/** WHATWG MIME sniffing's "binary data byte": control bytes that never occur in text. */
function hasBinaryBytes(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return true;
  }
  return false;
}

/** The WHATWG encoding for a label, or undefined when no decoder supports it (including the "replacement" ones). */
export function encodingForLabel(label: string): string | undefined {
  try {
    return new TextDecoder(label.trim()).encoding;
  } catch {
    return undefined;
  }
}

export interface DecodeOptions {
  /** The `charset` parameter of the Content-Type header, if any. */
  readonly headerCharset?: string | undefined;
  /** Look for `<meta>` declarations: true for HTML (and unknown types), false for JSON, plain text, XML. */
  readonly prescanMeta?: boolean;
}

export function decodeBody(bytes: Uint8Array, options: DecodeOptions = {}): DecodedText {
  const flags: DecodeFlag[] = [];
  const choice = chooseCharset(bytes, options, flags);
  const text = decodeOnce(bytes, choice.charset, flags);
  if (text.includes("\u0000")) flags.push("nul-characters");
  return { text, charset: choice.charset, charsetSource: choice.source, flags };
}

function chooseCharset(
  bytes: Uint8Array,
  options: DecodeOptions,
  flags: DecodeFlag[],
): { charset: string; source: CharsetSource } {
  const bom = charsetFromBom(bytes);
  if (bom) return { charset: bom, source: "bom" };
  if (options.headerCharset) {
    const fromHeader = encodingForLabel(options.headerCharset);
    if (fromHeader) return { charset: fromHeader, source: "header" };
    flags.push("unsupported-charset-label");
  }
  if (options.prescanMeta ?? true) {
    const declared = prescanForMetaCharset(bytes.subarray(0, prescanLimitBytes));
    if (declared === "unsupported") {
      if (!flags.includes("unsupported-charset-label")) flags.push("unsupported-charset-label");
    } else if (declared) {
      return { charset: declared, source: "meta" };
    }
  }
  // Nothing declared. Browsers fall back to a locale default; most of the web is UTF-8, so take UTF-8 when the
  // bytes are valid UTF-8 and windows-1252 (which maps every byte) otherwise.
  return isValidUtf8(bytes)
    ? { charset: "utf-8", source: "utf8-valid" }
    : { charset: "windows-1252", source: "default" };
}

function charsetFromBom(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  return undefined;
}

function decodeOnce(bytes: Uint8Array, charset: string, flags: DecodeFlag[]): string {
  // The fatal decoder is the cheap validity check on the common, valid path. Only when it fails is the same decoder
  // run leniently, so the stored text is still the output of a single decoding of the raw bytes.
  try {
    return new TextDecoder(charset, { fatal: true }).decode(bytes);
  } catch {
    flags.push("invalid-sequences");
    return new TextDecoder(charset).decode(bytes);
  }
}

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const isSpace = (b: number | undefined) => b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d || b === 0x20;
const isAsciiLetter = (b: number | undefined) =>
  b !== undefined && ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a));
const lower = (b: number) => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b);

function startsWithCaseless(bytes: Uint8Array, at: number, ascii: string): boolean {
  if (at + ascii.length > bytes.length) return false;
  for (let i = 0; i < ascii.length; i++) {
    if (lower(bytes[at + i] as number) !== ascii.charCodeAt(i)) return false;
  }
  return true;
}

function indexOfSequence(bytes: Uint8Array, ascii: string, from: number): number {
  outer: for (let i = from; i + ascii.length <= bytes.length; i++) {
    for (let j = 0; j < ascii.length; j++) if (bytes[i + j] !== ascii.charCodeAt(j)) continue outer;
    return i;
  }
  return -1;
}

/**
 * The HTML "prescan a byte stream to determine its encoding" algorithm. Returns the encoding, "unsupported" when a
 * declaration names an unknown label, or undefined when there is none.
 */
export function prescanForMetaCharset(bytes: Uint8Array): string | "unsupported" | undefined {
  let sawUnsupported = false;
  let position = 0;
  while (position < bytes.length) {
    if (startsWithCaseless(bytes, position, "<!--")) {
      const end = indexOfSequence(bytes, "-->", position + 2);
      if (end < 0) break;
      position = end + 3;
      continue;
    }
    if (
      startsWithCaseless(bytes, position, "<meta") &&
      (isSpace(bytes[position + 5]) || bytes[position + 5] === 0x2f)
    ) {
      const cursor = { position: position + 6 };
      const seen = new Set<string>();
      let gotPragma = false;
      let needPragma: boolean | undefined;
      let charset: string | undefined;
      let declaredUnsupported = false;
      for (let attribute = getAttribute(bytes, cursor); attribute; attribute = getAttribute(bytes, cursor)) {
        const [name, value] = attribute;
        if (seen.has(name)) continue;
        seen.add(name);
        if (name === "http-equiv" && value === "content-type") gotPragma = true;
        else if (name === "content" && charset === undefined && !declaredUnsupported) {
          const label = charsetFromMetaContent(value);
          if (label !== undefined) {
            charset = encodingForLabel(label);
            declaredUnsupported = charset === undefined;
            needPragma = true;
          }
        } else if (name === "charset") {
          charset = encodingForLabel(value);
          declaredUnsupported = charset === undefined;
          needPragma = false;
        }
      }
      position = cursor.position;
      if (needPragma === undefined || (needPragma && !gotPragma)) continue;
      if (charset === undefined) {
        sawUnsupported ||= declaredUnsupported;
        continue;
      }
      // A page cannot declare itself UTF-16 in ASCII-compatible bytes: the spec maps that to UTF-8.
      if (charset === "utf-16le" || charset === "utf-16be") return "utf-8";
      if (charset === "x-user-defined") return "windows-1252";
      return charset;
    }
    if (
      bytes[position] === 0x3c &&
      (isAsciiLetter(bytes[position + 1]) ||
        (bytes[position + 1] === 0x2f && isAsciiLetter(bytes[position + 2])))
    ) {
      position++;
      while (position < bytes.length && !isSpace(bytes[position]) && bytes[position] !== 0x3e) position++;
      const cursor = { position };
      while (getAttribute(bytes, cursor));
      position = cursor.position + 1;
      continue;
    }
    if (
      bytes[position] === 0x3c &&
      (bytes[position + 1] === 0x21 || bytes[position + 1] === 0x2f || bytes[position + 1] === 0x3f)
    ) {
      const end = bytes.indexOf(0x3e, position + 2);
      if (end < 0) break;
      position = end + 1;
      continue;
    }
    position++;
  }
  return sawUnsupported ? "unsupported" : undefined;
}

/** The HTML prescan's "get an attribute". Advances `cursor.position`; undefined when the tag ends or input runs out. */
function getAttribute(bytes: Uint8Array, cursor: { position: number }): [string, string] | undefined {
  let p = cursor.position;
  while (isSpace(bytes[p]) || bytes[p] === 0x2f) p++;
  if (p >= bytes.length || bytes[p] === 0x3e) {
    cursor.position = p;
    return undefined;
  }
  let name = "";
  let value = "";
  const done = (): [string, string] => {
    cursor.position = p;
    return [name, value];
  };
  // Name.
  for (;;) {
    const b = bytes[p];
    if (b === undefined) return done();
    if (b === 0x3d && name !== "") {
      p++;
      break;
    }
    if (isSpace(b)) {
      while (isSpace(bytes[p])) p++;
      if (bytes[p] !== 0x3d) return done();
      p++;
      break;
    }
    if (b === 0x2f || b === 0x3e) return done();
    name += String.fromCharCode(lower(b));
    p++;
  }
  // Value.
  while (isSpace(bytes[p])) p++;
  const first = bytes[p];
  if (first === undefined) return done();
  if (first === 0x22 || first === 0x27) {
    p++;
    for (;;) {
      const b = bytes[p];
      if (b === undefined) return done();
      p++;
      if (b === first) return done();
      value += String.fromCharCode(lower(b));
    }
  }
  if (first === 0x3e) return done();
  for (;;) {
    const b = bytes[p];
    if (b === undefined || isSpace(b) || b === 0x3e) return done();
    value += String.fromCharCode(lower(b));
    p++;
  }
}

/** HTML "extracting a character encoding from a meta element" (the `content="text/html; charset=…"` form). */
export function charsetFromMetaContent(content: string): string | undefined {
  let position = 0;
  for (;;) {
    const found = content.toLowerCase().indexOf("charset", position);
    if (found < 0) return undefined;
    position = found + "charset".length;
    while (/[\t\n\f\r ]/.test(content[position] ?? "")) position++;
    if (content[position] !== "=") continue;
    position++;
    while (/[\t\n\f\r ]/.test(content[position] ?? "")) position++;
    const quote = content[position];
    if (quote === '"' || quote === "'") {
      const end = content.indexOf(quote, position + 1);
      return end < 0 ? undefined : content.slice(position + 1, end);
    }
    if (position >= content.length) return undefined;
    const rest = content.slice(position);
    const end = rest.search(/[\t\n\f\r ;]/);
    return end < 0 ? rest : rest.slice(0, end);
  }
}
