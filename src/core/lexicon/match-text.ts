import { foldLatinDiacritics } from "../text/normalize.ts";

/**
 * Advert text prepared for matching, with a map back to the original. Sellers write "iv0ry", "p@ngolin",
 * "i v o r y", "ivoryyy", Cyrillic look-alikes inside Latin words and zero-width joiners to dodge filters; this
 * undoes those tricks so that one dictionary look-up finds every spelling, while every match still points at
 * the exact characters the seller wrote.
 */
export interface MatchText {
  /** Lower-case words separated by single spaces, in the same form as `nameKey` gives names. */
  readonly text: string;
  readonly words: readonly MatchWord[];
  /** For each character (UTF-16 unit) of `text`, the UTF-16 offset in the original where it starts… */
  readonly originalStart: readonly number[];
  /** …and where it ends. */
  readonly originalEnd: readonly number[];
  /** `text` as UTF-16 units: what the lexicon walks. */
  readonly codes: readonly number[];
  /** The words again, three numbers each: start and end in `text`, and `WordFlag` bits. */
  readonly wordData: readonly number[];
  readonly wordCount: number;
  /**
   * Bit c mod 32 is set for each code point c ≥ U+0080 of the original that was not read as a letter or digit
   * already met: emoji, symbols and punctuation beyond ASCII, and anything read for the first time. The lexicon
   * looks for emoji only when the first code point of one has its bit set.
   */
  readonly symbolMask: number;
  /** Whether a word that had to be deobfuscated overlaps [start, end) of `text`. */
  hasDeobfuscatedWordIn(start: number, end: number): boolean;
  /** The words as strings of `text`, in order. */
  wordTexts(): string[];
}

export interface MatchWord {
  /** Offsets in `MatchText.text`. */
  readonly start: number;
  readonly end: number;
  /** Written in a script without spaces between words (Chinese, Japanese, Korean, Thai). */
  readonly unspaced: boolean;
  /** The word was rewritten (leetspeak, look-alike letters, spaced or repeated letters). */
  readonly deobfuscated: boolean;
}

/** Bits of each word's flags in `MatchText.wordData`. */
export const WordFlag = {
  unspaced: 1,
  deobfuscated: 2,
  /** Every character is in the Latin script. */
  latinOnly: 4,
} as const;
// The same bits as constants of this module, which the compiler folds into the code where a property of the
// exported object is read from memory at every use.
const unspacedWord = WordFlag.unspaced;
const deobfuscatedWord = WordFlag.deobfuscated;
const latinOnlyWord = WordFlag.latinOnly;

// ---------------------------------------------------------------------------------------------------------------
// What the rules below are, character by character. Each is a property of one normalised code point, computed
// once with the regular expressions that define it and then read from a table.

const invisible =
  /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u206A-\u206F\uFE00-\uFE0F\uFEFF]/u;
const letterOrDigit = /[\p{L}\p{N}\p{M}]/u;
const letter = /\p{L}/u;
const mark = /\p{M}/u;
// Korean writes spaces between words (with particles attached), so Hangul is matched word by word, not here.
// The prolonged sound mark ー and the iteration marks 々 〆 belong to Japanese words though their script is Common.
const unspacedScript =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\u30FC\uFF70\u3005\u3006]/u;
const latin = /\p{Script=Latin}/u;
const cyrillicOrGreek = /[\p{Script=Cyrillic}\p{Script=Greek}]/u;
// Characters sellers put between the letters of a spaced-out word: "i v o r y", "i.v.o.r.y", "i-v-o-r-y".
const letterSpacer = /^[\s.\-_*·•/]{1,2}$/u;

// Digits and symbols that stand for letters inside words ("iv0ry", "p@ngolin", "rh1no").
const leet: ReadonlyMap<string, string> = new Map([
  ["0", "o"],
  ["1", "i"],
  ["3", "e"],
  ["4", "a"],
  ["5", "s"],
  ["7", "t"],
  ["@", "a"],
  ["$", "s"],
  ["!", "i"],
  ["|", "l"],
]);
// Cyrillic and Greek letters that look like Latin ones, used to break up Latin words.
const lookAlikes: ReadonlyMap<string, string> = new Map([
  ["а", "a"],
  ["в", "b"],
  ["е", "e"],
  ["ё", "e"],
  ["к", "k"],
  ["м", "m"],
  ["н", "h"],
  ["о", "o"],
  ["р", "p"],
  ["с", "c"],
  ["т", "t"],
  ["у", "y"],
  ["х", "x"],
  ["і", "i"],
  ["ї", "i"],
  ["ј", "j"],
  ["ѕ", "s"],
  ["ԁ", "d"],
  ["ԛ", "q"],
  ["ԝ", "w"],
  ["һ", "h"],
  ["α", "a"],
  ["β", "b"],
  ["ε", "e"],
  ["η", "n"],
  ["ι", "i"],
  ["κ", "k"],
  ["ν", "v"],
  ["ο", "o"],
  ["ρ", "p"],
  ["τ", "t"],
  ["υ", "u"],
  ["χ", "x"],
  ["ϲ", "c"],
]);

// Properties of one normalised code point, as bits.
const isWord = 1; // A letter, digit or mark: part of a word.
const isLetter = 2;
const isMark = 4;
const isLatin = 8;
const isCyrillicOrGreek = 16;
const isUnspaced = 32;
const isSpacer = 64;
const isLeet = 128; // Stands for a letter in leetspeak.
const isLeetSymbol = 256; // "@", "$", "!", "|": a letter only between two letters or digits.
const isKnown = 512;
const isNotLatin = 1024; // So that one OR over a word tells whether all its characters are Latin.

function characterFlags(codePoint: number): number {
  const character = String.fromCodePoint(codePoint);
  const word = letterOrDigit.test(character);
  const isALetter = letter.test(character);
  const unspaced = unspacedScript.test(character);
  return (
    isKnown |
    (word ? isWord : 0) |
    (isALetter ? isLetter : 0) |
    (mark.test(character) ? isMark : 0) |
    (latin.test(character) ? isLatin : isNotLatin) |
    (cyrillicOrGreek.test(character) ? isCyrillicOrGreek : 0) |
    (unspaced ? isUnspaced : 0) |
    (letterSpacer.test(character) ? isSpacer : 0) |
    (leet.has(character) ? isLeet | (word ? 0 : isLeetSymbol) : 0)
  );
}

// Flags of BMP code points, filled as they are met; astral ones (emoji, rare CJK) in a map.
const bmpFlags = new Uint16Array(65536);
const astralFlags = new Map<number, number>();
for (let codePoint = 0; codePoint < 0x80; codePoint++) bmpFlags[codePoint] = characterFlags(codePoint);

function flagsOf(codePoint: number): number {
  if (codePoint < 0x10000) {
    const known = bmpFlags[codePoint] as number;
    if (known !== 0) return known;
    const flags = characterFlags(codePoint);
    bmpFlags[codePoint] = flags;
    return flags;
  }
  let flags = astralFlags.get(codePoint);
  if (flags === undefined) {
    flags = characterFlags(codePoint);
    astralFlags.set(codePoint, flags);
  }
  return flags;
}

/**
 * What one code point of the original becomes: NFKC, lower case, Latin accents folded, each code point on its
 * own. Encoded as 1 + the code point when it becomes one code point, −1 when it vanishes (zero-width and other
 * invisible characters), and −2 − i when it becomes the several code points `expansions[i]` ("ß" → "ss").
 */
const bmpNormalised = new Int32Array(65536);
const astralNormalised = new Map<number, number>();
const expansions: number[][] = [];
const vanishes = -1;

function computeNormalised(codePoint: number): number {
  const character = String.fromCodePoint(codePoint);
  if (invisible.test(character)) return vanishes;
  const normalised = [...foldLatinDiacritics(character.normalize("NFKC").toLowerCase())].map(
    (part) => part.codePointAt(0) as number,
  );
  if (normalised.length === 0) return vanishes;
  if (normalised.length === 1) return (normalised[0] as number) + 1;
  expansions.push(normalised);
  return -1 - expansions.length;
}

function normalisedOf(codePoint: number): number {
  if (codePoint < 0x10000) {
    const known = bmpNormalised[codePoint] as number;
    if (known !== 0) return known;
    const computed = computeNormalised(codePoint);
    bmpNormalised[codePoint] = computed;
    return computed;
  }
  let computed = astralNormalised.get(codePoint);
  if (computed === undefined) {
    computed = computeNormalised(codePoint);
    astralNormalised.set(codePoint, computed);
  }
  return computed;
}

// For hashtags: whether one UTF-16 unit of the original is an upper- or lower-case letter.
const isUpperUnit = 2;
const isLowerUnit = 4;
const unitCases = new Uint8Array(65536);

function unitCase(unit: number): number {
  const known = unitCases[unit] as number;
  if (known !== 0) return known;
  const character = String.fromCharCode(unit);
  const computed =
    1 | (/\p{Lu}/u.test(character) ? isUpperUnit : 0) | (/\p{Ll}/u.test(character) ? isLowerUnit : 0);
  unitCases[unit] = computed;
  return computed;
}

const asciiValue = new Uint16Array(0x80);
for (let unit = 0; unit < 0x80; unit++)
  asciiValue[unit] = String.fromCharCode(unit).toLowerCase().charCodeAt(0);

/**
 * For the tight loop inside words: for each BMP unit that becomes one BMP code point, that code point and its
 * flags (shifted left by 16); 0 for units not met yet, surrogates, invisible characters and expansions.
 */
const fastEntries = new Int32Array(65536);
for (let unit = 0; unit < 0x80; unit++) {
  fastEntries[unit] = (asciiValue[unit] as number) | (flagsOf(asciiValue[unit] as number) << 16);
}

function learnFastEntry(unit: number, normalised: number): void {
  // Never a surrogate: a lone one seen once must not make the fast path read half of a pair.
  if (normalised > 0 && normalised <= 0x10000 && (unit < 0xd800 || unit > 0xdfff)) {
    fastEntries[unit] = (normalised - 1) | (flagsOf(normalised - 1) << 16);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The preparation of one advert. Its state lives in the fields of one builder kept for every advert (preparing
// cannot be re-entered): module-level `let`s would be checked for initialisation on every read and write, and
// the step between two words reads and writes many of them.

/** Adverts up to this long are written in the builder's own arrays; a longer one gets arrays of its own. */
const longestScratchAdvert = 8192;

class MatchTextBuilder {
  // Where results go: plain arrays of small integers, written in scratch arrays kept from advert to advert and
  // copied once at the end (a copy of exactly the right length, with no holes, is cheaper than a new array
  // filled with holes and cut to length). Typed arrays would cost a garbage collection of the whole heap every
  // few thousand adverts, as the memory outside the heap they take adds up.
  readonly scratchCodes: number[] = [];
  readonly scratchStarts: number[] = [];
  readonly scratchEnds: number[] = [];
  readonly scratchWords: number[] = [];
  /** The result being written: each unit's code and its original start and end; three numbers a word. */
  codes: number[] = [];
  starts: number[] = [];
  ends: number[] = [];
  words: number[] = [];
  /** Units written so far, and words recorded. */
  length = 0;
  wordCount = 0;

  // What happens once a word (a "part": a hashtag can hold several) has been read: rare rewrites and the joining
  // of spaced letters, on the arrays being written.
  /** Where the part being finished starts: moved back when letters before it are joined. */
  partStart = 0;
  /** A chain of single letters with spacers between them ("i v o r y"): its first word and how many. */
  chainFirst = 0;
  chainLength = 0;
  /** The chain's letters are of an unspaced script ("ข า ย", "象 牙"): joined, they are read as such a word. */
  chainUnspaced = false;
  /** Where the last word `rewrite` worked on ends now. */
  rewrittenEnd = 0;

  // The state of the reading, shared by the loop for the common case and the general path.
  /** The last character that was no part of a word (the part's separator), or −1 after a cut inside a word. */
  separator = -1;
  inPart = false;
  hashtag = false;
  // The part being read: where it starts in the text, its separator, its first character's flags, its tallies.
  partFrom = 0;
  partSeparator = -1;
  firstFlags = 0;
  anyFlags = 0;
  tripled = false;
  previous = -1;
  beforePrevious = -1;
  /** The flags and original offset of the last character added to the part. */
  lastFlags = 0;
  lastStart = 0;
  previousLatin = false;
  previousWordish = false;
  // "@", "$", "!" or "|" after a letter or digit: a letter if the next character is one too.
  pending = -1;
  pendingStart = 0;
  pendingEnd = 0;
  symbolMask = 0;

  prepare(original: string): MatchText {
    const size = original.length;
    const scratch = size <= longestScratchAdvert;
    this.codes = scratch ? this.scratchCodes : [];
    this.starts = scratch ? this.scratchStarts : [];
    this.ends = scratch ? this.scratchEnds : [];
    this.words = scratch ? this.scratchWords : [];
    this.length = 0;
    this.wordCount = 0;
    this.chainLength = 0;
    this.separator = -1;
    this.inPart = false;
    this.hashtag = false;
    this.lastFlags = 0;
    this.lastStart = 0;
    this.previousLatin = false;
    this.previousWordish = false;
    this.pending = -1;
    this.symbolMask = 0;
    let at = 0;
    while (at < size) {
      if (!this.hashtag && this.pending < 0) {
        at = this.readCommon(original, at);
        if (at >= size) break;
      }
      at = this.readOne(original, at);
    }
    this.finishReadPart();
    this.partStart = this.length;
    this.flushChain();
    const length = this.length;
    return new PreparedText(
      this.codes.slice(0, length),
      this.starts.slice(0, length),
      this.ends.slice(0, length),
      this.words.slice(0, 3 * this.wordCount),
      this.symbolMask,
    );
  }

  /**
   * Makes room for `units` more units (and the words they can hold) within the arrays' length. The arrays only
   * grow here, with zeros, so they never have holes, and every other write lands within their length: such a
   * write costs less than one that may have to append.
   */
  reserve(units: number): void {
    const needed = this.length + units;
    const codes = this.codes;
    if (codes.length >= needed) return;
    const starts = this.starts;
    const ends = this.ends;
    while (codes.length < needed) {
      codes.push(0);
      starts.push(0);
      ends.push(0);
    }
    // A word takes a unit at least, and every word but the first has a space before it.
    const words = this.words;
    while (words.length < 3 * ((needed + 2) >> 1)) words.push(0);
  }

  /**
   * The common case, in one tight loop: BMP characters met before that stay one character each, outside
   * hashtags and with no symbol pending. A word goes on while its characters are of the same kind of script
   * (and, in spaced scripts, are no combining marks, which may need folding onto a Latin letter). Returns where
   * it stopped: at the end, or at a character for `readOne`.
   */
  readCommon(original: string, from: number): number {
    const size = original.length;
    // A character read here adds two units at most: itself and the space before a word.
    this.reserve(2 * (size - from));
    const unitCodes = this.codes;
    const unitStarts = this.starts;
    const unitEnds = this.ends;
    let at = from;
    let len = this.length;
    let part = this.inPart;
    let separator = this.separator;
    let symbolMask = this.symbolMask;
    let partFrom = this.partFrom;
    let partSeparator = this.partSeparator;
    let first = this.firstFlags;
    let any = this.anyFlags << 16;
    let thrice = this.tripled;
    let last = this.previous;
    let beforeLast = this.beforePrevious;
    const lastFlags = this.lastFlags;
    let mask = (lastFlags & isUnspaced ? isWord | isUnspaced : isWord | isUnspaced | isMark) << 16;
    let want = (isWord | (lastFlags & isUnspaced)) << 16;
    // A mark right after a Latin character may have to go: the general path decides.
    if (part && lastFlags & isUnspaced && this.previousLatin) mask = want = -1;
    while (at < size) {
      const unit = original.charCodeAt(at);
      const entry = fastEntries[unit] as number;
      if ((entry & (isWord << 16)) !== 0) {
        if (!part) {
          if (separator === 0x23) break;
          // A mark after a Latin character may have to be folded onto it: the general path decides.
          if ((entry & (isMark << 16)) !== 0) {
            const latinBefore =
              at === from
                ? this.previousLatin
                : ((fastEntries[original.charCodeAt(at - 1)] as number) & (isLatin << 16)) !== 0;
            if (latinBefore) break;
          }
          if (len > 0) {
            unitCodes[len] = 0x20;
            unitStarts[len] = unitEnds[len - 1] as number;
            unitEnds[len] = at;
            len++;
          }
          part = true;
          partFrom = len;
          partSeparator = separator;
          first = entry >> 16;
          any = 0;
          thrice = false;
          last = beforeLast = -1;
          mask = (entry & (isUnspaced << 16) ? isWord | isUnspaced : isWord | isUnspaced | isMark) << 16;
          want = entry & ((isWord | isUnspaced) << 16);
        } else if ((entry & mask) !== want) {
          break;
        }
        const value = entry & 0xffff;
        if (value === last && value === beforeLast) thrice = true;
        beforeLast = last;
        last = value;
        unitCodes[len] = value;
        unitStarts[len] = at;
        unitEnds[len] = ++at;
        len++;
        any |= entry;
        // The rest of the word in a loop of its own: it takes exactly the characters the test above lets
        // through (`want` always has the word bit), and a small loop keeps its variables in registers.
        while (at < size) {
          const next = fastEntries[original.charCodeAt(at)] as number;
          if ((next & mask) !== want) break;
          const nextValue = next & 0xffff;
          if (nextValue === last && nextValue === beforeLast) thrice = true;
          beforeLast = last;
          last = nextValue;
          unitCodes[len] = nextValue;
          unitStarts[len] = at;
          unitEnds[len] = ++at;
          len++;
          any |= next;
        }
        continue;
      }
      // A separator, unless it is a symbol that may stand for a letter (or a character not met before).
      if (entry === 0 || ((entry & (isLeetSymbol << 16)) !== 0 && part)) break;
      if (part) {
        len = this.finishPart(partFrom, len, partSeparator, first, any >> 16, thrice);
        part = false;
      }
      separator = entry & 0xffff;
      if (unit >= 0x80) symbolMask |= 1 << (unit & 31);
      at++;
    }
    this.length = len;
    this.inPart = part;
    this.separator = separator;
    this.symbolMask = symbolMask;
    this.partFrom = partFrom;
    this.partSeparator = partSeparator;
    this.firstFlags = first;
    this.anyFlags = any >> 16;
    this.tripled = thrice;
    this.previous = last;
    this.beforePrevious = beforeLast;
    if (at > from) {
      const lastEntry = fastEntries[original.charCodeAt(at - 1)] as number;
      // What the general path needs to know about the last character read here.
      this.previousLatin = (lastEntry & (isLatin << 16)) !== 0;
      this.previousWordish = part;
      if (part) {
        this.lastFlags = lastEntry >> 16;
        this.lastStart = at - 1;
      }
    }
    return at;
  }

  /**
   * Everything else, one code point of the original at a time, with every rule spelt out. Returns where it
   * ends.
   */
  readOne(original: string, at: number): number {
    const unit = original.charCodeAt(at);
    let codePoint = unit;
    const start = at;
    at++;
    if (unit >= 0xd800 && unit <= 0xdbff && at < original.length) {
      const low = original.charCodeAt(at);
      if (low >= 0xdc00 && low <= 0xdfff) {
        codePoint = ((unit - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
        at++;
      }
    }
    const end = at;
    if (codePoint >= 0x80) this.symbolMask |= 1 << (codePoint & 31);
    const normalised = normalisedOf(codePoint);
    if (codePoint === unit) learnFastEntry(unit, normalised);
    if (normalised === vanishes) return end;
    const expansion = normalised > 0 ? undefined : (expansions[-normalised - 2] as number[]);
    const count = expansion === undefined ? 1 : expansion.length;
    // Each code point written takes a space and two units at most, and a pending symbol one more of each.
    this.reserve(3 * count + 2);
    for (let index = 0; index < count; index++) {
      const value = expansion === undefined ? normalised - 1 : (expansion[index] as number);
      const flags = flagsOf(value);
      // Combining marks that follow a Latin letter as separate code points are folded onto it.
      if ((flags & isMark) !== 0 && this.previousLatin) {
        this.previousLatin = (flags & isLatin) !== 0;
        continue;
      }
      this.previousLatin = (flags & isLatin) !== 0;

      // A pending symbol is a letter when this character is a letter or a digit, else a separator.
      let round = 1;
      if (this.pending >= 0) {
        if (flags & isWord) {
          round = 0;
        } else {
          this.finishReadPart();
          this.separator = this.pending;
          this.pending = -1;
        }
      }
      if (!(flags & isWord)) {
        if (flags & isLeetSymbol && this.previousWordish) {
          this.pending = value;
          this.pendingStart = start;
          this.pendingEnd = end;
        } else {
          this.finishReadPart();
          this.separator = value;
        }
        this.previousWordish = false;
        continue;
      }
      for (; round < 2; round++) {
        const addValue = round === 0 ? this.pending : value;
        const addFlags = round === 0 ? flagsOf(this.pending) : flags;
        const addStart = round === 0 ? this.pendingStart : start;
        const addEnd = round === 0 ? this.pendingEnd : end;
        let startsPart = !this.inPart;
        if (this.inPart) {
          if (((this.lastFlags ^ addFlags) & isUnspaced) !== 0 && (addFlags & isLetter) !== 0) {
            // A change between a spaced and an unspaced script is a word boundary: "ivory象牙".
            this.length = this.finishPart(
              this.partFrom,
              this.length,
              this.partSeparator,
              this.firstFlags,
              this.anyFlags,
              this.tripled,
            );
            this.separator = -1;
            this.hashtag = false;
            startsPart = true;
          } else if (
            this.hashtag &&
            unitCase(original.charCodeAt(addStart)) & isUpperUnit &&
            unitCase(original.charCodeAt(this.lastStart)) & isLowerUnit
          ) {
            // "#IvoryForSale" is three words: hashtags are split where the original turns to upper case.
            this.length = this.finishPart(
              this.partFrom,
              this.length,
              this.partSeparator,
              this.firstFlags,
              this.anyFlags,
              this.tripled,
            );
            this.separator = -1;
            startsPart = true;
          }
        } else {
          this.hashtag = this.separator === 0x23;
        }
        if (startsPart) {
          const length = this.length;
          if (length > 0) {
            this.codes[length] = 0x20;
            this.starts[length] = this.ends[length - 1] as number;
            this.ends[length] = addStart;
            this.length = length + 1;
          }
          this.inPart = true;
          this.partFrom = this.length;
          this.partSeparator = this.separator;
          this.firstFlags = addFlags;
          this.anyFlags = 0;
          this.tripled = false;
          this.previous = this.beforePrevious = -1;
        }
        this.length = this.writeValue(this.length, addValue, addStart, addEnd);
        this.anyFlags |= addFlags;
        if (addValue === this.previous && addValue === this.beforePrevious) this.tripled = true;
        this.beforePrevious = this.previous;
        this.previous = addValue;
        this.lastFlags = addFlags;
        this.lastStart = addStart;
      }
      this.pending = -1;
      this.previousWordish = true;
    }
    return end;
  }

  /** Ends the part being read, if any: at a separator or at the end. */
  finishReadPart(): void {
    if (!this.inPart) return;
    this.length = this.finishPart(
      this.partFrom,
      this.length,
      this.partSeparator,
      this.firstFlags,
      this.anyFlags,
      this.tripled,
    );
    this.inPart = false;
  }

  /**
   * Ends the part in [start, end): undoes its tricks, then records it as a word or adds it to a chain of single
   * letters. `tripled` says that three equal characters follow each other somewhere in it. Returns where the
   * text now ends (undoing tricks and joining letters can shorten it).
   */
  finishPart(
    start: number,
    end: number,
    separator: number,
    firstFlags: number,
    anyFlags: number,
    tripled: boolean,
  ): number {
    let flags = firstFlags & isUnspaced ? unspacedWord : 0;
    // Only a part of one letter as written (before any rewriting) can join a chain; in an unspaced script, with
    // the marks it carries (Thai "ช้").
    const unspacedLetter =
      (firstFlags & (isLetter | isUnspaced)) === (isLetter | isUnspaced) &&
      this.isOneLetterWithMarks(start, end);
    const singleLetter =
      unspacedLetter ||
      ((firstFlags & (isLetter | isUnspaced)) === isLetter &&
        (end - start === 1 || (end - start === 2 && isHighSurrogate(this.codes[start] as number))));
    if (
      ((anyFlags & isLeet) !== 0 && (anyFlags & isLetter) !== 0 && this.countLetters(start, end) >= 2) ||
      ((anyFlags & isLatin) !== 0 && (anyFlags & isCyrillicOrGreek) !== 0) ||
      (tripled && this.hasRunOfThreeLetters(start, end))
    ) {
      this.length = end;
      this.partStart = start;
      flags |= this.rewrite(start, end, false);
      end = this.rewrittenEnd;
    } else if (!(anyFlags & isNotLatin)) {
      flags |= latinOnlyWord;
    }
    if (this.chainLength > 0) {
      if (
        singleLetter &&
        unspacedLetter === this.chainUnspaced &&
        separator >= 0 &&
        (flagsOf(separator) & isSpacer) !== 0
      ) {
        this.recordWord(start, end, flags);
        this.chainLength++;
        return end;
      }
      this.length = end;
      this.partStart = start;
      this.flushChain();
      start = this.partStart;
      end = this.length;
    }
    this.recordWord(start, end, flags);
    if (singleLetter) {
      this.chainFirst = this.wordCount - 1;
      this.chainLength = 1;
      this.chainUnspaced = unspacedLetter;
    }
    return end;
  }

  /** The code point at unit `at` of the text being written (a surrogate pair read as one). */
  codePointAt(at: number, end: number): number {
    const unit = this.codes[at] as number;
    if (unit >= 0xd800 && unit <= 0xdbff && at + 1 < end) {
      const low = this.codes[at + 1] as number;
      if (low >= 0xdc00 && low <= 0xdfff) return ((unit - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
    }
    return unit;
  }

  countLetters(start: number, end: number): number {
    let letters = 0;
    for (let at = start; at < end;) {
      const value = this.codePointAt(at, end);
      if (flagsOf(value) & isLetter) letters++;
      at += value >= 0x10000 ? 2 : 1;
    }
    return letters;
  }

  hasRunOfThreeLetters(start: number, end: number): boolean {
    let previous = -1;
    let run = 0;
    for (let at = start; at < end;) {
      const value = this.codePointAt(at, end);
      run = value === previous ? run + 1 : 1;
      if (run >= 3 && flagsOf(value) & isLetter) return true;
      previous = value;
      at += value >= 0x10000 ? 2 : 1;
    }
    return false;
  }

  recordWord(start: number, end: number, flags: number): void {
    const at = 3 * this.wordCount++;
    const words = this.words;
    words[at] = start;
    words[at + 1] = end;
    words[at + 2] = flags;
  }

  wordStart(word: number): number {
    return this.words[3 * word] as number;
  }

  wordEnd(word: number): number {
    return this.words[3 * word + 1] as number;
  }

  /**
   * Joins three or more single letters written with spaces or dots between them: "i v o r y" → "ivory". They
   * were recorded as words; here they become one, and whatever follows them (the part being finished, with the
   * space before it) moves back over the spaces that went.
   */
  flushChain(): void {
    const chainFirst = this.chainFirst;
    if (this.chainLength < 3) {
      this.chainLength = 0;
      return;
    }
    const last = chainFirst + this.chainLength - 1;
    const joinedStart = this.wordStart(chainFirst);
    let write = joinedStart;
    for (let word = chainFirst; word <= last; word++) {
      for (let at = this.wordStart(word); at < this.wordEnd(word); at++) this.moveUnit(at, write++);
    }
    this.removeUnits(write, this.wordEnd(last) - write);
    this.wordCount = chainFirst;
    this.chainLength = 0;
    const flags = this.rewrite(joinedStart, write, true) | (this.chainUnspaced ? unspacedWord : 0);
    this.recordWord(joinedStart, this.rewrittenEnd, flags);
  }

  /** Whether units [start, end) hold one letter and only marks after it. */
  isOneLetterWithMarks(start: number, end: number): boolean {
    const first = this.codePointAt(start, end);
    for (let at = start + (first > 0xffff ? 2 : 1); at < end;) {
      const value = this.codePointAt(at, end);
      if ((flagsOf(value) & isMark) === 0) return false;
      at += value > 0xffff ? 2 : 1;
    }
    return true;
  }

  moveUnit(from: number, to: number): void {
    this.codes[to] = this.codes[from] as number;
    this.starts[to] = this.starts[from] as number;
    this.ends[to] = this.ends[from] as number;
  }

  /** Closes a gap of `count` units at `at`, moving everything after it (including the part being read) back. */
  removeUnits(at: number, count: number): void {
    if (count === 0) return;
    for (let from = at + count; from < this.length; from++) this.moveUnit(from, from - count);
    this.length -= count;
    if (this.partStart >= at + count) this.partStart -= count;
  }

  /**
   * Undoes the tricks inside one word in [from, to): leetspeak when it has two letters or more, Cyrillic and
   * Greek look-alikes when it mixes them with Latin letters, and runs of three or more of one letter. Rare, so
   * it works on plain arrays. Returns the word's flags (but `unspaced`) and leaves its new end in
   * `rewrittenEnd`.
   */
  rewrite(from: number, to: number, joined: boolean): number {
    const values: number[] = [];
    const valueStarts: number[] = [];
    const valueEnds: number[] = [];
    for (let at = from; at < to;) {
      const value = this.codePointAt(at, to);
      values.push(value);
      valueStarts.push(this.starts[at] as number);
      valueEnds.push(this.ends[at] as number);
      at += value >= 0x10000 ? 2 : 1;
    }
    let deobfuscated = joined;
    const letters = values.filter((value) => flagsOf(value) & isLetter).length;
    if (letters >= 2 && values.some((value) => flagsOf(value) & isLeet)) {
      mapValues(values, leet);
      deobfuscated = true;
    }
    const hasLatin = values.some((value) => flagsOf(value) & isLatin);
    if (hasLatin && values.some((value) => flagsOf(value) & isCyrillicOrGreek)) {
      mapValues(values, lookAlikes);
      deobfuscated = true;
    }
    // Runs of three or more of one letter ("ivoryyy", "pangooolin") shrink to one; doubles are real spelling.
    let write = from;
    let latinOnly = true;
    for (let index = 0; index < values.length; index++) {
      const value = values[index] as number;
      const flags = flagsOf(value);
      let runEnd = index;
      while (values[runEnd + 1] === value && flags & isLetter) runEnd++;
      const start = valueStarts[index] as number;
      let end = valueEnds[index] as number;
      if (runEnd - index >= 2) {
        end = valueEnds[runEnd] as number;
        deobfuscated = true;
        index = runEnd;
      }
      if (!(flags & isLatin)) latinOnly = false;
      write = this.writeValue(write, value, start, end);
    }
    this.removeUnits(write, to - write);
    this.rewrittenEnd = write;
    return (deobfuscated ? deobfuscatedWord : 0) | (latinOnly ? latinOnlyWord : 0);
  }

  writeValue(at: number, value: number, start: number, end: number): number {
    const codes = this.codes;
    const starts = this.starts;
    const ends = this.ends;
    if (value < 0x10000) {
      codes[at] = value;
      starts[at] = start;
      ends[at] = end;
      return at + 1;
    }
    codes[at] = 0xd800 + ((value - 0x10000) >> 10);
    starts[at] = start;
    ends[at] = end;
    codes[at + 1] = 0xdc00 + ((value - 0x10000) & 0x3ff);
    starts[at + 1] = start;
    ends[at + 1] = end;
    return at + 2;
  }
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function mapValues(values: number[], map: ReadonlyMap<string, string>): void {
  for (let index = 0; index < values.length; index++) {
    const replacement = map.get(String.fromCodePoint(values[index] as number));
    if (replacement !== undefined) values[index] = replacement.codePointAt(0) as number;
  }
}

const builder = new MatchTextBuilder();

/**
 * Prepares an advert for matching in one pass over its UTF-16 code units. Each character is normalised through
 * a table (ASCII and every BMP character met before) or a per-code-point cache (NFKC, lower case, Latin accents
 * folded), combining marks after a Latin letter are dropped, and words are cut where the text has a separator or
 * changes between a spaced and an unspaced script; hashtags are cut at their capitals ("#IvoryForSale"),
 * leetspeak, look-alike letters and runs of a letter are undone inside words, and runs of single letters with
 * spacers ("i v o r y") are joined.
 */
export function prepareMatchText(original: string): MatchText {
  return builder.prepare(original);
}

/**
 * The prepared text with a space put in at each of `cuts` (offsets in `codes`, ascending, each inside a word), so
 * that a compound ("elfenbeinfigur") is read as the words it is made of. Each new space stands for no character
 * of the original, like the one between the words of "#IvoryForSale"; the parts keep their word's flags.
 */
export function splitWords(matchText: MatchText, cuts: readonly number[]): MatchText {
  if (cuts.length === 0) return matchText;
  const { codes, originalStart, originalEnd, wordData } = matchText;
  const newCodes: number[] = [];
  const newStarts: number[] = [];
  const newEnds: number[] = [];
  const newWords: number[] = [];
  let cut = 0;
  let copied = 0;
  const copyTo = (end: number) => {
    for (; copied < end; copied++) {
      newCodes.push(codes[copied] as number);
      newStarts.push(originalStart[copied] as number);
      newEnds.push(originalEnd[copied] as number);
    }
  };
  for (let word = 0; word < wordData.length; word += 3) {
    const start = wordData[word] as number;
    const end = wordData[word + 1] as number;
    const flags = wordData[word + 2] as number;
    copyTo(start);
    let partStart = newCodes.length;
    for (; cut < cuts.length && (cuts[cut] as number) < end; cut++) {
      const at = cuts[cut] as number;
      if (at <= start) throw new RangeError(`cut ${at} is not inside a word`);
      copyTo(at);
      newWords.push(partStart, newCodes.length, flags);
      newCodes.push(0x20);
      newStarts.push(originalEnd[at - 1] as number);
      newEnds.push(originalStart[at] as number);
      partStart = newCodes.length;
    }
    copyTo(end);
    newWords.push(partStart, newCodes.length, flags);
  }
  if (cut < cuts.length) throw new RangeError(`cut ${cuts[cut]} is not inside a word`);
  copyTo(codes.length);
  return new PreparedText(newCodes, newStarts, newEnds, newWords, matchText.symbolMask);
}

/** The string of the UTF-16 units in `codes[from…to)`. */
export function textOf(codes: readonly number[], from: number, to: number): string {
  let text = "";
  for (let at = from; at < to; at += 8192) {
    text += String.fromCharCode.apply(null, codes.slice(at, Math.min(to, at + 8192)));
  }
  return text;
}

class PreparedText implements MatchText {
  readonly codes: readonly number[];
  readonly originalStart: readonly number[];
  readonly originalEnd: readonly number[];
  readonly wordData: readonly number[];
  readonly symbolMask: number;
  #text: string | undefined;
  #words: MatchWord[] | undefined;
  #anyDeobfuscated: boolean | undefined;

  constructor(
    codes: readonly number[],
    originalStart: readonly number[],
    originalEnd: readonly number[],
    wordData: readonly number[],
    symbolMask: number,
  ) {
    this.codes = codes;
    this.originalStart = originalStart;
    this.originalEnd = originalEnd;
    this.wordData = wordData;
    this.symbolMask = symbolMask;
  }

  get wordCount(): number {
    return this.wordData.length / 3;
  }

  /** Made on first use: the lexicon walks `codes` and needs no string. */
  get text(): string {
    return (this.#text ??= textOf(this.codes, 0, this.codes.length));
  }

  /** Whether a word that had to be deobfuscated overlaps [start, end): read from `wordData`, no objects made. */
  hasDeobfuscatedWordIn(start: number, end: number): boolean {
    const data = this.wordData;
    // Most adverts have no such word: then one pass answers every match.
    if (this.#anyDeobfuscated === undefined) {
      let any = false;
      for (let at = 2; at < data.length && !any; at += 3)
        any = ((data[at] as number) & WordFlag.deobfuscated) !== 0;
      this.#anyDeobfuscated = any;
    }
    if (!this.#anyDeobfuscated) return false;
    // Words are in order: none from the first that starts at `end` on can overlap.
    for (let at = 0; at < data.length && (data[at] as number) < end; at += 3) {
      const overlaps = (data[at + 1] as number) > start;
      if (overlaps && ((data[at + 2] as number) & WordFlag.deobfuscated) !== 0) return true;
    }
    return false;
  }

  /** The words as strings of `text`, in order. */
  wordTexts(): string[] {
    const texts: string[] = [];
    const text = this.text;
    for (let at = 0; at < this.wordData.length; at += 3)
      texts.push(text.slice(this.wordData[at] as number, this.wordData[at + 1] as number));
    return texts;
  }

  get words(): readonly MatchWord[] {
    if (this.#words === undefined) {
      const words: MatchWord[] = [];
      for (let at = 0; at < this.wordData.length; at += 3) {
        const flags = this.wordData[at + 2] as number;
        words.push({
          start: this.wordData[at] as number,
          end: this.wordData[at + 1] as number,
          unspaced: (flags & WordFlag.unspaced) !== 0,
          deobfuscated: (flags & WordFlag.deobfuscated) !== 0,
        });
      }
      this.#words = words;
    }
    return this.#words;
  }
}
