/**
 * Search tokens, computed here rather than by each database, so that SQLite (FTS5) and PostgreSQL (tsvector) index
 * and match exactly the same tokens:
 * - text is NFKC-normalised and lower-cased;
 * - accents are folded on Latin letters only ("ngà" matches "nga", "é" matches "e"): folding marks in Thai or
 *   Devanagari would change the letters themselves;
 * - scripts written without spaces (Han, kana, Hangul, Thai, Lao, Khmer, Myanmar) are indexed as overlapping pairs
 *   of characters, so "象牙" is found inside "出售象牙手镯" (the classic CJK bigram approach).
 */

const wordCharacter = /[\p{L}\p{N}\p{M}]/u;
const unspacedScript =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const latinLetter = /\p{Script=Latin}/u;
const combiningMark = /\p{M}/u;
/** Letters with no decomposition that people type without their stroke. */
const strokeFolds: Readonly<Record<string, string>> = { đ: "d", ł: "l", ø: "o", ħ: "h" };
/** Longer "words" are base64, hashes or junk; PostgreSQL also caps a lexeme at 2 KB. */
const maxTokenLength = 64;
/** PostgreSQL keeps positions up to 16,383; later ones are clamped there on both backends. */
const maxPosition = 16383;

/**
 * What the per-character tests above say of each character, as bits: worked out by those regular expressions
 * the first time a character is seen, then read from a table (one byte per BMP character): matching those
 * expressions character by character, and words with one, was most of the 15–19 µs a non-ASCII advert took.
 */
const knownBit = 1;
const markBit = 2;
const unspacedBit = 4;
const latinBit = 8;
const wordBit = 16;
const bmpTraits = new Uint8Array(0x10000);

function traitsOf(code: number): number {
  if (code < 0x10000 && bmpTraits[code] !== 0) return bmpTraits[code] as number;
  const char = String.fromCodePoint(code);
  const traits =
    knownBit |
    (combiningMark.test(char) ? markBit : 0) |
    (unspacedScript.test(char) ? unspacedBit : 0) |
    (latinLetter.test(char) ? latinBit : 0) |
    (wordCharacter.test(char) ? wordBit : 0);
  if (code < 0x10000) bmpTraits[code] = traits;
  return traits;
}

function foldLatin(word: string): string {
  if (isAscii(word)) return word;
  let out = "";
  let previousIsLatin = false;
  for (const char of word.normalize("NFD")) {
    const traits = traitsOf(char.codePointAt(0) as number);
    if (traits & markBit) {
      if (!previousIsLatin) out += char;
      continue;
    }
    previousIsLatin = (traits & latinBit) !== 0;
    out += strokeFolds[char] ?? char;
  }
  return out.normalize("NFC");
}

function isAscii(text: string): boolean {
  for (let at = 0; at < text.length; at++) if (text.charCodeAt(at) > 0x7f) return false;
  return true;
}

/**
 * One word's tokens, remembered for the next time the word comes: advert words repeat (the same syllables,
 * product names and place names), and working a word out takes normalisation both ways. A full cache starts
 * again rather than tracking which word is oldest.
 */
const wordTokenCache = new Map<string, readonly string[]>();
const wordTokenCacheLimit = 20_000;
/** Longer words (runs of an unspaced script up to the next punctuation) seldom come twice. */
const cachedWordLength = 24;

function pushWordTokens(word: string, into: string[]): void {
  let tokens = word.length <= cachedWordLength ? wordTokenCache.get(word) : undefined;
  if (tokens === undefined) {
    tokens = wordTokens(word);
    if (word.length <= cachedWordLength) {
      if (wordTokenCache.size >= wordTokenCacheLimit) wordTokenCache.clear();
      wordTokenCache.set(word, tokens);
    }
  }
  for (const token of tokens) into.push(token);
}

/** One word's tokens: the folded word, or for unspaced scripts its character pairs (a lone character stays one). */
function wordTokens(word: string): string[] {
  const tokens: string[] = [];
  // The current run of one kind, as offsets into the word, and for an unspaced run where each character starts.
  let runStart = 0;
  let runIsUnspaced = false;
  const characterStarts: number[] = [];
  const flush = (end: number) => {
    if (end === runStart) return;
    if (runIsUnspaced) {
      characterStarts.push(end);
      if (characterStarts.length === 2) tokens.push(word.slice(runStart, end));
      for (let i = 0; i + 2 < characterStarts.length; i++)
        tokens.push(word.slice(characterStarts[i], characterStarts[i + 2]));
    } else {
      const folded = foldLatin(word.slice(runStart, end));
      if (folded.length <= maxTokenLength) tokens.push(folded);
    }
    characterStarts.length = 0;
    runStart = end;
  };
  for (let at = 0; at < word.length;) {
    const code = word.codePointAt(at) as number;
    const traits = traitsOf(code);
    // Marks belong to the character before them: they never start a run of their own.
    const unspaced: boolean = traits & markBit ? runIsUnspaced : (traits & unspacedBit) !== 0;
    if (at !== runStart && unspaced !== runIsUnspaced) flush(at);
    runIsUnspaced = unspaced;
    if (unspaced) characterStarts.push(at);
    at += code > 0xffff ? 2 : 1;
  }
  flush(word.length);
  return tokens;
}

/** Most advert text is plain ASCII: its words need none of the folding above, which costs far more than a scan. */
const asciiText = /^[\x00-\x7f]*$/;
const asciiSeparators = /[^a-z0-9]+/;

/** The tokens of a text, in order. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  if (asciiText.test(text)) {
    for (const word of text.toLowerCase().split(asciiSeparators)) {
      if (word !== "" && word.length <= maxTokenLength) tokens.push(word);
    }
    return tokens;
  }
  // Words are runs of letters, digits and marks, found by reading each character's traits (a regular expression
  // over Unicode properties took 7 µs an advert); a word of ASCII alone needs no folding.
  const normal = text.normalize("NFKC").toLowerCase();
  let wordStart = -1;
  let wordIsAscii = true;
  for (let at = 0; at <= normal.length;) {
    const code = at < normal.length ? (normal.codePointAt(at) as number) : 0x20;
    const inWord =
      code < 0x80
        ? (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39)
        : (traitsOf(code) & wordBit) !== 0;
    if (inWord) {
      if (wordStart < 0) {
        wordStart = at;
        wordIsAscii = true;
      }
      if (code >= 0x80) wordIsAscii = false;
    } else if (wordStart >= 0) {
      const word = normal.slice(wordStart, at);
      if (!wordIsAscii) pushWordTokens(word, tokens);
      else if (word.length <= maxTokenLength) tokens.push(word);
      wordStart = -1;
    }
    at += code > 0xffff ? 2 : 1;
  }
  return tokens;
}

/** What FTS5 indexes (with its `ascii` tokenizer, which splits on the spaces and keeps every other character). */
export function searchDocument(parts: readonly (string | null | undefined)[]): string {
  return tokenize(parts.filter((part) => part).join("\n")).join(" ");
}

/**
 * The text to hand FTS5 for `parts`: for plain ASCII with no over-long word, the text itself, because FTS5's
 * `ascii` tokenizer then makes exactly `tokenize`'s tokens (it lower-cases ASCII letters and splits on every other
 * ASCII character); otherwise `searchDocument`. Most adverts are plain ASCII, and skipping the tokenizer here saves a
 * tenth of ingestion.
 */
export function fts5Document(parts: readonly (string | null | undefined)[]): string {
  const text = parts.filter((part) => part).join("\n");
  return isPlainAsciiWithShortWords(text) ? text : tokenize(text).join(" ");
}

function isPlainAsciiWithShortWords(text: string): boolean {
  let wordLength = 0;
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code > 0x7f) return false;
    const alphanumeric =
      (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39);
    wordLength = alphanumeric ? wordLength + 1 : 0;
    if (wordLength > maxTokenLength) return false;
  }
  return true;
}

/** A PostgreSQL tsvector literal with the same tokens and positions as `searchDocument`. */
export function tsvectorLiteral(parts: readonly (string | null | undefined)[]): string {
  const positions = new Map<string, number[]>();
  tokenize(parts.filter((part) => part).join("\n")).forEach((token, index) => {
    const list = positions.get(token);
    const position = Math.min(index + 1, maxPosition);
    if (list === undefined) positions.set(token, [position]);
    else if (list[list.length - 1] !== position) list.push(position);
  });
  return Array.from(positions, ([token, list]) => `${quoteLexeme(token)}:${list.join(",")}`).join(" ");
}

function quoteLexeme(token: string): string {
  return `'${token.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** A parsed query: every group must match; a group is a phrase of consecutive tokens. */
export interface SearchQuery {
  readonly groups: readonly { readonly tokens: readonly string[]; readonly prefix: boolean }[];
}

/**
 * Parses what a person types: words (all must match), "quoted phrases", and a trailing * for a prefix ("ivor*").
 * Anything else is ignored rather than refused, so no input can produce a database syntax error.
 */
export function parseSearchQuery(query: string): SearchQuery {
  const groups: { tokens: string[]; prefix: boolean }[] = [];
  for (const match of query.matchAll(/"([^"]*)"(\*?)|([^\s"]+)/g)) {
    const phrase = match[1];
    const text = phrase ?? match[3] ?? "";
    const tokens = tokenize(text);
    if (tokens.length === 0) continue;
    const starred = phrase !== undefined ? match[2] === "*" : text.endsWith("*");
    if (phrase === undefined && tokens.length > 1 && !unspacedScript.test(text)) {
      // "t-shirt" or "ivory/bone": separate words, each required, as the index has them.
      tokens.forEach((token, i) =>
        groups.push({ tokens: [token], prefix: starred && i === tokens.length - 1 }),
      );
      continue;
    }
    // A lone character of an unspaced script is only indexed inside pairs: find it as a pair's first half.
    const loneUnspaced =
      tokens.length === 1 && Array.from(tokens[0]!).length === 1 && unspacedScript.test(tokens[0]!);
    groups.push({ tokens, prefix: starred || loneUnspaced });
  }
  return { groups };
}

/** The FTS5 MATCH expression: each token double-quoted, so nothing the user types is FTS5 syntax. */
export function toFts5Match(query: SearchQuery): string {
  return query.groups.map((group) => `"${group.tokens.join(" ")}"${group.prefix ? " *" : ""}`).join(" AND ");
}

/** The PostgreSQL tsquery literal: phrases joined with <->, groups with &. */
export function toTsquery(query: SearchQuery): string {
  return query.groups
    .map((group) => {
      const last = group.tokens.length - 1;
      const phrase = group.tokens
        .map((token, i) => `${quoteLexeme(token)}${group.prefix && i === last ? ":*" : ""}`)
        .join(" <-> ");
      return `(${phrase})`;
    })
    .join(" & ");
}
