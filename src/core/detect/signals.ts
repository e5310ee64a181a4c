/**
 * Sale signals found by pattern rather than by dictionary: prices in the formats and currencies of the trade,
 * phone numbers and messenger handles, and links. Patterns run on the original text so that the offsets they
 * report are the seller's own characters.
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
  readonly #pattern: RegExp;
  /** 0: not met yet, 1: not in the class, 2: in it. */
  readonly #known = new Uint8Array(65536);

  /** `pattern` matches one character (of the BMP: every class here is made of such characters). */
  constructor(pattern: RegExp) {
    this.#pattern = pattern;
  }

  has(unit: number): boolean {
    let known = this.#known[unit] as number;
    if (known === 0) {
      known = this.#pattern.test(String.fromCharCode(unit)) ? 2 : 1;
      this.#known[unit] = known;
    }
    return known === 2;
  }
}

const number = String.raw`\p{Nd}{1,3}(?:[.,  ']\p{Nd}{3})+(?:[.,]\p{Nd}{1,2})?|\p{Nd}+(?:[.,]\p{Nd}{1,2})?`;
// Multipliers written after the number: 500k, 2tr (triệu), 1,5 juta, 3 rb, 2万.
// "24k gold" is a purity, not a price.
const multiplier = String.raw`(?:\s?(?:k(?!\s?(?:gold|karat|carat|solid|yellow|white|rose))|m|tr|triệu|trieu|nghìn|ngàn|ngan|rb|ribu|jt|juta|万|千|萬|lakh|lac|mil))?`;
const currencyBefore = String.raw`(?:US\$|AU\$|A\$|C\$|CA\$|NZ\$|S\$|SG\$|HK\$|NT\$|R\$|RM|Rp\.?|Rs\.?|₹|₱|PHP|USD|EUR|GBP|CHF|JPY|CNY|RMB|VND|IDR|MYR|THB|SGD|HKD|AUD|CAD|BRL|MXN|INR|RUB|KRW|ZAR|NGN|KES|AED|SAR|\$|€|£|¥|￥|₩|₫|₽|฿|₦)`;
const currencyAfter = String.raw`(?:₫|đ|vnđ|vnd|dong|đồng|元|块|圓|円|yen|원|만원|บาท|฿|руб\.?|рублей|рубля|р\.|₽|грн|€|eur|euros?|usd|dollars?|pesos?|reais|real|ringgit|rupiah|baht|rupees?|dhs|aed|درهم|ريال|دولار|جنيه|sar|rmb|yuan|gbp|pounds?|chf|ksh|naira|tl|lira|zł|zl|kr|kč|lei)`;

/**
 * Each price pattern with where it can start: `lead` characters at most before a run of digits, and (when set)
 * only at a character of `first`. A currency written before the number starts with one of a few letters or
 * symbols, at most four characters before it ("NZ$", "Rp." and a space); a number after no letter or digit starts
 * exactly where its run of digits does.
 */
const priceSearches: ReadonlyArray<{
  readonly sticky: RegExp;
  readonly lead: number;
  readonly first?: UnitClass;
}> = [
  {
    sticky: new RegExp(String.raw`${currencyBefore}\s?(?:${number})${multiplier}`, "iuy"),
    lead: 4,
    first: new UnitClass(/^[uacnshrpegjmvitbkz₹₱$€£¥￥₩₫₽฿₦]$/iu),
  },
  {
    sticky: new RegExp(
      String.raw`(?<![\p{L}\p{Nd}])(?:${number})${multiplier}\s?${currencyAfter}(?![\p{L}])`,
      "iuy",
    ),
    lead: 0,
  },
  // Vietnamese and Indonesian shorthand without a currency: "giá 500k", "harga 1,5jt", "2tr5".
  {
    sticky: new RegExp(
      String.raw`(?<![\p{L}\p{Nd}])\p{Nd}+(?:[.,]\p{Nd}+)?\s?(?:k|tr|jt|juta|rb|ribu)(?:\p{Nd})?(?![\p{L}])(?!\s?(?:gold|karat|carat|solid|white|yellow|rose))`,
      "iuy",
    ),
    lead: 0,
  },
];
// Exported for test/redos-sweep.test.ts, which checks regexes built at run time as it checks literals.
export const pricePatterns: readonly RegExp[] = priceSearches.map(({ sticky }) => sticky);

const phone = /(?<![\p{Nd}\p{L}])(?:\+|00)?\p{Nd}[\p{Nd} ().\-]{7,16}\p{Nd}(?![\p{Nd}\p{L}])/uy;
// The spaces around an optional colon are one run or two around it (`\s*(?:[:：]\s*)?`): two runs that could
// take the same spaces would make a failing attempt quadratic in them.
const messengerHandle =
  /(?<![\p{L}])(?:whats\s?app|wa|wechat|weixin|微信|vx|telegram|tg|line\s?id|line|zalo|kakao(?:talk)?|signal|viber|wickr)\s*(?:[:：]\s*)?(?:\+?\p{Nd}[\p{Nd} ().\-]{6,16}\p{Nd}|[@+]?[\p{L}\p{Nd}_.\-]{3,})/iuy;
const link = /https?:\/\/[^\s<>"']+|\bwww\.[^\s<>"']+|\{\{URL\}\}/iuy;

export function findPatternSignals(original: string): PatternSignal[] {
  const signals: PatternSignal[] = [];
  const taken: Array<[number, number]> = [];
  const overlaps = (start: number, end: number) => taken.some(([from, to]) => start < to && end > from);
  const add = (kind: SignalKind, match: RegExpExecArray, currency?: string) => {
    const start = match.index;
    const end = start + match[0].length;
    if (overlaps(start, end)) return;
    taken.push([start, end]);
    signals.push({ kind, text: match[0].trim(), start, end, ...(currency ? { currency } : {}) });
  };
  // Each pattern is tried only where it can start (see `matchesNear`).
  for (const match of matchesNear(original, link, linkStarts(original), 0)) add("link", match);
  for (const match of matchesNear(original, messengerHandle, messengerHandleStarts(original), 0))
    add("contact", match);
  // Prices and phone numbers need a digit; most of an advert's text has none, and these patterns are costly.
  const runStarts = digitRunStarts(original);
  for (const { sticky, lead, first } of runStarts.length > 0 ? priceSearches : []) {
    for (const match of matchesNear(original, sticky, runStarts, lead, first)) {
      const currency = /[^\p{Nd}\s.,  ']+/u.exec(match[0].replace(/\p{Nd}+/gu, " "))?.[0];
      add("price", match, currency);
    }
  }
  for (const match of matchesNear(original, phone, runStarts, 1)) {
    const digits = match[0].replace(/\D/g, "").length;
    // Long digit runs with spaces are phone numbers; prices have already claimed their own digits.
    if (digits >= 9 && digits <= 15) add("contact", match);
  }
  return signals.sort((a, b) => a.start - b.start);
}

/** The patterns that start at a number, with where they may start (see `matchesNear`): for the differential test. */
export const numberPatterns = (): ReadonlyArray<{
  readonly sticky: RegExp;
  readonly lead: number;
  readonly first?: UnitClass;
}> => [...priceSearches, { sticky: phone, lead: 1 }];

/** The patterns that start with a word, with where they can start: for the differential test. */
export const wordPatterns = (): ReadonlyArray<{
  readonly sticky: RegExp;
  readonly startsIn: (text: string) => number[];
}> => [
  { sticky: link, startsIn: linkStarts },
  { sticky: messengerHandle, startsIn: messengerHandleStarts },
];

// The first characters of every link and every messenger's name, with the letters case-insensitive matching
// takes for them (the Kelvin sign for "k", the long s for "s").
const linkFirst = new UnitClass(/^[hw{]$/iu);
const messengerHandleFirst = new UnitClass(/^[wvtlzks微]$/iu);
// Every link has one of these in it; most adverts have none, and then no "h" or "w" of theirs is tried.
const linkMark = /:\/\/|www\.|\{\{url\}\}/iu;

function linkStarts(text: string): number[] {
  return linkMark.test(text) ? positionsOf(text, linkFirst) : [];
}

/** The first letters of messengers' names that begin a word: the pattern wants no letter before the name. */
function messengerHandleStarts(text: string): number[] {
  const starts: number[] = [];
  let before = 0;
  for (let at = 0; at < text.length; at++) {
    const unit = text.charCodeAt(at);
    // (Only ASCII letters are ruled out here; the pattern itself looks at any other character before.)
    const afterLetter = before >= 0x61 && before <= 0x7a;
    before = unit | 0x20;
    if (!afterLetter && messengerHandleFirst.has(unit)) starts.push(at);
  }
  return starts;
}
const decimalDigit = new UnitClass(/^\p{Nd}$/u);
const astralDecimalDigit = /^\p{Nd}$/u;

/** Where characters of `first` stand in `text`. */
function positionsOf(text: string, first: UnitClass): number[] {
  const positions: number[] = [];
  for (let at = 0; at < text.length; at++) if (first.has(text.charCodeAt(at))) positions.push(at);
  return positions;
}

/** Where each run of decimal digits (`\p{Nd}+`, surrogate pairs read as one character) starts. */
export function digitRunStarts(text: string): number[] {
  const starts: number[] = [];
  let inRun = false;
  for (let at = 0; at < text.length; at++) {
    const unit = text.charCodeAt(at);
    let width = 1;
    let digit: boolean;
    const low = unit >= 0xd800 && unit <= 0xdbff ? text.charCodeAt(at + 1) : 0;
    if (unit < 0x80) {
      digit = unit >= 0x30 && unit <= 0x39;
    } else if (low >= 0xdc00 && low <= 0xdfff) {
      width = 2;
      digit = astralDecimalDigit.test(text.slice(at, at + 2));
    } else {
      digit = decimalDigit.has(unit);
    }
    if (digit && !inRun) starts.push(at);
    inRun = digit;
    at += width - 1;
  }
  return starts;
}

/**
 * The matches a global search with `sticky`'s pattern would find, in order, trying it only where a match can
 * start: at most `lead` characters before one of `starts` (ascending), at a character of `first` when given. Every price and phone number begins its
 * number at most a currency's length before a run of digits, and every link and messenger handle begins with
 * one of a few letters. Scanning every position of the advert instead costs more than all the rest of signals.
 */
export function matchesNear(
  text: string,
  sticky: RegExp,
  starts: readonly number[],
  lead: number,
  first?: UnitClass,
): RegExpExecArray[] {
  const matches: RegExpExecArray[] = [];
  let resumeAt = 0;
  for (const start of starts) {
    if (start < resumeAt) continue;
    for (let at = Math.max(resumeAt, start - lead); at <= start; at++) {
      if (first !== undefined && !first.has(text.charCodeAt(at))) continue;
      sticky.lastIndex = at;
      const match = sticky.exec(text);
      if (match === null) continue;
      matches.push(match);
      resumeAt = at + Math.max(1, match[0].length);
      break;
    }
  }
  return matches;
}
