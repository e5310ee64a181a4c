/**
 * Sale signals found by pattern rather than by dictionary: prices in the formats and currencies of the trade,
 * phone numbers and messenger handles, and links; and datings of a piece (`findDatings`), an age claimed. Patterns
 * run on the original text so that the offsets they report are the seller's own characters.
 */
export type SignalKind = "price" | "contact" | "link";

export interface PatternSignal {
  readonly kind: SignalKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** For prices: the currency as written ("₫", "Rp", "руб.") when one is given. */
  readonly currency?: string;
}

/**
 * Whether a UTF-16 unit is in a class of characters, read from a table filled as units are met: one look-up per
 * character where a regular expression would cost a call.
 */
export class UnitClass {
  /** Matches one character of the class. */
  readonly pattern: RegExp;
  /** 0: not met yet, 1: not in the class, 2: in it. */
  readonly #known = new Uint8Array(65536);

  /** `pattern` matches one character: `has` reads units of the BMP, where every class here lies, from the table. */
  constructor(pattern: RegExp) {
    this.pattern = pattern;
  }

  has(unit: number): boolean {
    let known = this.#known[unit] as number;
    if (known === 0) {
      known = this.pattern.test(String.fromCharCode(unit)) ? 2 : 1;
      this.#known[unit] = known;
    }
    return known === 2;
  }

  /** Whether the character just before `at`, a surrogate pair read as one, is in the class. */
  isBefore(text: string, at: number): boolean {
    if (at === 0) return false;
    const unit = text.charCodeAt(at - 1);
    if (isLowSurrogate(unit) && at >= 2 && isHighSurrogate(text.charCodeAt(at - 2)))
      return this.pattern.test(text.slice(at - 2, at));
    return this.has(unit);
  }
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/**
 * A pattern with where it can start: `lead` characters at most before one of the starts a cheap pass over the
 * text found, and (when set) only at a character of `first`; never after a character of `notAfter`. That
 * lookbehind is tested here rather than in the pattern, which would test a range of characters at every attempt.
 */
export interface Search {
  readonly sticky: RegExp;
  readonly lead: number;
  readonly first?: UnitClass;
  /**
   * The class of the `(?<![…])` the pattern would start with, matched with the pattern's flags: under `i`, a few
   * marks that fold to a letter (U+0345) count as letters.
   */
  readonly notAfter?: UnitClass;
}

const number = String.raw`\p{Nd}{1,3}(?:[.,  ']\p{Nd}{3})+(?:[.,]\p{Nd}{1,2})?|\p{Nd}+(?:[.,]\p{Nd}{1,2})?`;
// Multipliers written after the number: 500k, 2tr (triệu), 1,5 juta, 3 rb, 2万.
// "24k gold" is a purity, not a price.
const multiplier = String.raw`(?:\s?(?:k(?!\s?(?:gold|karat|carat|solid|yellow|white|rose))|m|tr|triệu|trieu|nghìn|ngàn|ngan|rb|ribu|jt|juta|万|千|萬|lakh|lac|mil))?`;
const currencyBefore = String.raw`(?:US\$|AU\$|A\$|C\$|CA\$|NZ\$|S\$|SG\$|HK\$|NT\$|R\$|RM|Rp\.?|Rs\.?|₹|₱|PHP|USD|EUR|GBP|CHF|JPY|CNY|RMB|VND|IDR|MYR|THB|SGD|HKD|AUD|CAD|BRL|MXN|INR|RUB|KRW|ZAR|NGN|KES|AED|SAR|\$|€|£|¥|￥|₩|₫|₽|฿|₦)`;
const currencyAfter = String.raw`(?:₫|đ|vnđ|vnd|dong|đồng|元|块|圓|円|yen|원|만원|บาท|฿|руб\.?|рублей|рубля|р\.|₽|грн|€|eur|euros?|usd|dollars?|pesos?|reais|real|ringgit|rupiah|baht|rupees?|dhs|aed|درهم|ريال|دولار|جنيه|sar|rmb|yuan|gbp|pounds?|chf|ksh|naira|tl|lira|zł|zl|kr|kč|lei)`;

/** What a number written alone may not follow, case-insensitive as the price patterns are. */
const letterOrDigit = new UnitClass(/^[\p{L}\p{Nd}]$/iu);

/**
 * The price patterns with where they can start. A currency written before the number starts with one of a few
 * letters or symbols, at most four characters before its run of digits ("NZ$", "Rp." and a space); a number after
 * no letter or digit starts exactly where its run of digits does.
 */
const priceSearches: readonly Search[] = [
  {
    sticky: new RegExp(String.raw`${currencyBefore}\s?(?:${number})${multiplier}`, "iuy"),
    lead: 4,
    first: new UnitClass(/^[uacnshrpegjmvitbkz₹₱$€£¥￥₩₫₽฿₦]$/iu),
  },
  {
    sticky: new RegExp(String.raw`(?:${number})${multiplier}\s?${currencyAfter}(?![\p{L}])`, "iuy"),
    lead: 0,
    notAfter: letterOrDigit,
  },
  // Vietnamese and Indonesian shorthand without a currency: "giá 500k", "harga 1,5jt", "2tr5".
  {
    sticky: new RegExp(
      String.raw`\p{Nd}+(?:[.,]\p{Nd}+)?\s?(?:k|tr|jt|juta|rb|ribu)(?:\p{Nd})?(?![\p{L}])(?!\s?(?:gold|karat|carat|solid|white|yellow|rose))`,
      "iuy",
    ),
    lead: 0,
    notAfter: letterOrDigit,
  },
];
// Exported for test/redos-sweep.test.ts, which checks regexes built at run time as it checks literals.
export const pricePatterns: readonly RegExp[] = priceSearches.map(({ sticky }) => sticky);

const phoneSearch: Search = {
  sticky: /(?:\+|00)?\p{Nd}[\p{Nd} ().\-]{7,16}\p{Nd}(?![\p{Nd}\p{L}])/uy,
  lead: 1,
  notAfter: new UnitClass(/^[\p{Nd}\p{L}]$/u),
};
// A messenger's name, then a phone number or a handle. A Latin name must end its word: "walruses" and "Waiting" are
// no WhatsApp handles. Names that are everyday words or letters ("line", "signal", "wa", "tg", "vx") take a
// handle after a colon, or one that looks like a handle (a phone number, "@…", digits or "_" in it): "line
// dancing" and "signal strength" are not contacts. The spaces around a colon are one run or two around it: two
// runs that could take the same spaces would make a failing attempt quadratic in them.
const phoneOrHandle = String.raw`(?:\+?\p{Nd}[\p{Nd} ().\-]{6,16}\p{Nd}|[@+]?[\p{L}\p{Nd}_.\-]{3,})`;
const handleLike = String.raw`(?:\+?\p{Nd}[\p{Nd} ().\-]{6,16}\p{Nd}|[@+][\p{L}\p{Nd}_.\-]{3,}|(?=[\p{L}\p{Nd}_.\-]{3})[\p{L}.\-]*[\p{Nd}_][\p{L}\p{Nd}_.\-]*)`;
const messengerHandleSearch: Search = {
  sticky: new RegExp(
    String.raw`(?:(?:whats\s?app|wechat|weixin|telegram|zalo|kakao(?:talk)?|viber|wickr)(?:\s*[:：]\s*|\s+|(?=[@+\p{Nd}]))${phoneOrHandle}` +
      String.raw`|微信\s*(?:[:：]\s*)?${phoneOrHandle}` +
      String.raw`|wa\.me\/\p{Nd}{6,15}` +
      String.raw`|(?:wa|vx|tg|line\s?id|line|signal)(?:\s*[:：]\s*${phoneOrHandle}|\s*${handleLike}))`,
    "iuy",
  ),
  lead: 0,
  notAfter: new UnitClass(/^\p{L}$/iu),
};
const linkSearch: Search = { sticky: /https?:\/\/[^\s<>"']+|\bwww\.[^\s<>"']+|\{\{URL\}\}/iuy, lead: 0 };

// Datings: how a catalogue or a seller dates a piece ("c.1890", "1920s", "19th century", "XIXe siècle", "19世纪").
// An age before the bans is the antique claim under which old ivory, shell and horn are sold, so a dating is a claim
// to check. Only years and centuries before 1950 count: "2019" or "the 21st century" claim nothing.
const datedYear = String.raw`(?:1[4-8][0-9]{2}|19[0-4][0-9])`;
const datedDecade = String.raw`(?:1[4-8][0-9]0|19[0-4]0)['’]?s`;
const endsItsWord = String.raw`(?![\p{L}\p{Nd}])`;
// "ca. 1500 €", "ca. 1200 g": German and others write "about" before amounts too.
const notAQuantity = String.raw`(?!\s?(?:[€$£¥₫₽%]|eur|euros?|usd|dollars?|pounds?|g|gr|grams?|gramm|kg|cm|mm|ml|m|km|stück|stk|pcs|x)(?![\p{L}]))`;
const datingSearch: Search = {
  sticky: new RegExp(
    String.raw`(?:(?:circa|ca\.?|c\.?|vers|hacia|cerca de|por volta de|intorno al|um|около|ок\.)\s?${datedYear}${notAQuantity}` +
      String.raw`|${datedDecade}` +
      String.raw`|1[0-9](?:th[\s-]?(?:century|centuries|cent\.?|c\.?)|(?:e|è|ème|eme)\s?siècles?|\.\s?(?:jahrhunderts?|jh\.?)|\s?век[аеу]?))` +
      endsItsWord,
    "iuy",
  ),
  // "por volta de " before the year.
  lead: 13,
  notAfter: letterOrDigit,
};
// Chinese and Japanese write no space between words: "象牙19世纪" dates the ivory.
const centuryInHanSearch: Search = {
  sticky: /1[0-9]\s?世[纪紀]/uy,
  lead: 0,
  notAfter: new UnitClass(/^\p{Nd}$/u),
};
// Centuries in Roman or Chinese numerals, X to XIX: "siglo XIX", "XVIIIe siècle", "XIX век", "十九世纪". Most adverts
// have none of the words around them, and then the search does not run.
const romanCentury = String.raw`X(?:IX|IV|V?I{0,3})`;
const centuryInWords = new RegExp(
  String.raw`(?<![\p{L}\p{Nd}])(?:(?:siglos?|s[ée]culos?|secolo|sec\.)\s?${romanCentury}|${romanCentury}(?:e|è|ème|eme)?\s?(?:siècles?|secolo|век[аеу]?))${endsItsWord}` +
    String.raw`|十[一二三四五六七八九]?世[纪紀]`,
  "giu",
);
// Exported for test/redos-sweep.test.ts, as the price patterns are.
export const datingPatterns: readonly RegExp[] = [
  datingSearch.sticky,
  centuryInHanSearch.sticky,
  centuryInWords,
];
const centuryWordMark = /siglo|s[ée]culo|si[èe]cle|secolo|sec\.|век|世[纪紀]/iu;

export interface Dating {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** The datings of the advert (see `datingSearch`), in order and apart; `starts` as `patternStarts` gives them. */
export function findDatings(
  original: string,
  starts: readonly number[] = patternStarts(original).digitRuns,
): Dating[] {
  const spans = matchesNear(original, datingSearch, starts);
  spans.push(...matchesNear(original, centuryInHanSearch, starts));
  if (centuryWordMark.test(original)) {
    for (const found of original.matchAll(centuryInWords))
      spans.push(found.index, found.index + found[0].length);
  }
  const datings: Dating[] = [];
  for (let index = 0; index < spans.length; index += 2) {
    const start = spans[index] as number;
    const end = spans[index + 1] as number;
    if (datings.some((dating) => start < dating.end && end > dating.start)) continue;
    datings.push({ text: original.slice(start, end), start, end });
  }
  return datings.sort((a, b) => a.start - b.start);
}

export function findPatternSignals(original: string, starts = patternStarts(original)): PatternSignal[] {
  const signals: PatternSignal[] = [];
  const add = (kind: SignalKind, start: number, end: number) => {
    for (const signal of signals) if (start < signal.end && end > signal.start) return;
    const written = original.slice(start, end);
    const text = written.trim();
    // The currency is the first run of what is neither digit, space nor separator.
    const currency = kind === "price" ? /[^\p{Nd}\s.,  ']+/u.exec(written)?.[0] : undefined;
    signals.push(currency === undefined ? { kind, text, start, end } : { kind, text, start, end, currency });
  };
  const addAll = (kind: SignalKind, spans: readonly number[]) => {
    for (let index = 0; index < spans.length; index += 2)
      add(kind, spans[index] as number, spans[index + 1] as number);
  };
  // Each pattern is tried only where it can start (see `matchesNear`).
  addAll("link", matchesNear(original, linkSearch, linkStarts(original)));
  addAll("contact", matchesNear(original, messengerHandleSearch, starts.messengerHandles));
  // Prices and phone numbers start at a digit; most of an advert's text has none, and these patterns are costly.
  for (const search of priceSearches) addAll("price", matchesNear(original, search, starts.digitRuns));
  const phones = matchesNear(original, phoneSearch, starts.digitRuns);
  for (let index = 0; index < phones.length; index += 2) {
    const start = phones[index] as number;
    const end = phones[index + 1] as number;
    const digits = asciiDigitsIn(original, start, end);
    // Long digit runs with spaces are phone numbers; prices have already claimed their own digits.
    if (digits >= 9 && digits <= 15) add("contact", start, end);
  }
  return signals.sort((a, b) => a.start - b.start);
}

function asciiDigitsIn(text: string, start: number, end: number): number {
  let digits = 0;
  for (let at = start; at < end; at++) {
    const unit = text.charCodeAt(at);
    if (unit >= 0x30 && unit <= 0x39) digits++;
  }
  return digits;
}

/** The patterns that start at a number: for the differential test. */
export const numberSearches = (): readonly Search[] => [
  ...priceSearches,
  phoneSearch,
  datingSearch,
  centuryInHanSearch,
];

/** The patterns that start with a word, with where they can start: for the differential test. */
export const wordSearches = (): ReadonlyArray<{
  readonly search: Search;
  readonly startsIn: (text: string) => number[];
}> => [
  { search: linkSearch, startsIn: linkStarts },
  { search: messengerHandleSearch, startsIn: (text) => patternStarts(text).messengerHandles },
];

// The first characters of every link, with the letters case-insensitive matching takes for them.
const linkFirst = new UnitClass(/^[hw{]$/iu);
// Every link has one of these in it; most adverts have none, and then no "h" or "w" of theirs is tried.
const linkMark = /:\/\/|www\.|\{\{url\}\}/iu;

function linkStarts(text: string): number[] {
  const starts: number[] = [];
  if (!linkMark.test(text)) return starts;
  for (let at = 0; at < text.length; at++) if (linkFirst.has(text.charCodeAt(at))) starts.push(at);
  return starts;
}

// What the pass over the text asks of a character, one bit each. The first characters of every messenger's name
// come with the letters case-insensitive matching takes for them (the Kelvin sign for "k", the long s for "s").
const startClassPatterns = [/^\p{Nd}$/u, /^[wvtlzks微]$/iu, /^[A-Za-z]$/, /^[\ud800-\udbff]$/];
const decimalDigit = 1;
const messengerHandleFirst = 2;
const asciiLetter = 4;
const highSurrogate = 8;
/**
 * The bits of each UTF-16 unit, filled as units are met: 0 when not met yet, else 1 plus the bits shifted one up.
 * A table of the module's own rather than a `UnitClass`-like object: in the loop over every character, each
 * indirection costs a few instructions.
 */
const startClassTable = new Uint8Array(65536);
const astralDecimalDigit = /^\p{Nd}$/u;

function learnStartClasses(unit: number): number {
  const character = String.fromCharCode(unit);
  let known = 1;
  startClassPatterns.forEach((pattern, index) => {
    if (pattern.test(character)) known |= 2 << index;
  });
  startClassTable[unit] = known;
  return known;
}

/**
 * Where each run of decimal digits (`\p{Nd}+`, surrogate pairs read as one character) starts, and the first
 * letters of messengers' names that begin a word, in one pass over the text. (Only ASCII letters before a name
 * are ruled out here; its search looks at any other character before.)
 */
export function patternStarts(text: string): { digitRuns: number[]; messengerHandles: number[] } {
  const digitRuns: number[] = [];
  const messengerHandles: number[] = [];
  let before = 0;
  for (let at = 0; at < text.length; at++) {
    const unit = text.charCodeAt(at);
    let known = startClassTable[unit] as number;
    if (known === 0) known = learnStartClasses(unit);
    let classes = known >> 1;
    if ((classes & (decimalDigit | messengerHandleFirst | highSurrogate)) !== 0) {
      const start = at;
      if ((classes & highSurrogate) !== 0 && isLowSurrogate(text.charCodeAt(at + 1))) {
        classes = astralDecimalDigit.test(text.slice(at, at + 2)) ? decimalDigit : 0;
        at++;
      }
      if ((classes & decimalDigit) !== 0 && (before & decimalDigit) === 0) digitRuns.push(start);
      if ((classes & messengerHandleFirst) !== 0 && (before & asciiLetter) === 0)
        messengerHandles.push(start);
    }
    before = classes;
  }
  return { digitRuns, messengerHandles };
}

/**
 * Where a global search with `search`'s pattern would find matches, in order, trying it only where a match can
 * start (see `Search`), as start and end offsets one after the other. Every price and phone number begins its
 * number at most a currency's length before a run of digits, and every link and messenger handle begins with
 * one of a few letters. Scanning every position of the advert instead costs more than all the rest of signals.
 */
export function matchesNear(text: string, search: Search, starts: readonly number[]): number[] {
  const { sticky, lead, first, notAfter } = search;
  const spans: number[] = [];
  let resumeAt = 0;
  for (const start of starts) {
    if (start < resumeAt) continue;
    for (let at = Math.max(resumeAt, start - lead); at <= start; at++) {
      if (first !== undefined && !first.has(text.charCodeAt(at))) continue;
      if (notAfter !== undefined && notAfter.isBefore(text, at)) continue;
      sticky.lastIndex = at;
      // `test` leaves `lastIndex` at the end of the match, without making a match array.
      if (!sticky.test(text)) continue;
      const end = sticky.lastIndex;
      spans.push(at, end);
      resumeAt = Math.max(at + 1, end);
      break;
    }
  }
  return spans;
}
