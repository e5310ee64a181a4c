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

const number = String.raw`\p{Nd}{1,3}(?:[.,  ']\p{Nd}{3})+(?:[.,]\p{Nd}{1,2})?|\p{Nd}+(?:[.,]\p{Nd}{1,2})?`;
// Multipliers written after the number: 500k, 2tr (triệu), 1,5 juta, 3 rb, 2万.
// "24k gold" is a purity, not a price.
const multiplier = String.raw`(?:\s?(?:k(?!\s?(?:gold|karat|carat|solid|yellow|white|rose))|m|tr|triệu|trieu|nghìn|ngàn|ngan|rb|ribu|jt|juta|万|千|萬|lakh|lac|mil))?`;
const currencyBefore = String.raw`(?:US\$|AU\$|A\$|C\$|CA\$|NZ\$|S\$|SG\$|HK\$|NT\$|R\$|RM|Rp\.?|Rs\.?|₹|₱|PHP|USD|EUR|GBP|CHF|JPY|CNY|RMB|VND|IDR|MYR|THB|SGD|HKD|AUD|CAD|BRL|MXN|INR|RUB|KRW|ZAR|NGN|KES|AED|SAR|\$|€|£|¥|￥|₩|₫|₽|฿|₦)`;
const currencyAfter = String.raw`(?:₫|đ|vnđ|vnd|dong|đồng|元|块|圓|円|yen|원|만원|บาท|฿|руб\.?|рублей|рубля|р\.|₽|грн|€|eur|euros?|usd|dollars?|pesos?|reais|real|ringgit|rupiah|baht|rupees?|dhs|aed|درهم|ريال|دولار|جنيه|sar|rmb|yuan|gbp|pounds?|chf|ksh|naira|tl|lira|zł|zl|kr|kč|lei)`;

// Exported for test/redos-sweep.test.ts, which checks regexes built at run time as it checks literals.
export const pricePatterns = [
  new RegExp(String.raw`${currencyBefore}\s?(?:${number})${multiplier}`, "iuy"),
  new RegExp(String.raw`(?<![\p{L}\p{Nd}])(?:${number})${multiplier}\s?${currencyAfter}(?![\p{L}])`, "iuy"),
  // Vietnamese and Indonesian shorthand without a currency: "giá 500k", "harga 1,5jt", "2tr5".
  new RegExp(
    String.raw`(?<![\p{L}\p{Nd}])\p{Nd}+(?:[.,]\p{Nd}+)?\s?(?:k|tr|jt|juta|rb|ribu)(?:\p{Nd})?(?![\p{L}])(?!\s?(?:gold|karat|carat|solid|white|yellow|rose))`,
    "iuy",
  ),
];

const phone = /(?<![\p{Nd}\p{L}])(?:\+|00)?\p{Nd}[\p{Nd} ().\-]{7,16}\p{Nd}(?![\p{Nd}\p{L}])/uy;
const messengerHandle =
  /(?<![\p{L}])(?:whats\s?app|wa|wechat|weixin|微信|vx|telegram|tg|line\s?id|line|zalo|kakao(?:talk)?|signal|viber|wickr)\s*[:：]?\s*(?:\+?\p{Nd}[\p{Nd} ().\-]{6,16}\p{Nd}|[@+]?[\p{L}\p{Nd}_.\-]{3,})/giu;
const link = /https?:\/\/[^\s<>"']+|\bwww\.[^\s<>"']+|\{\{URL\}\}/giu;

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
  for (const match of original.matchAll(link)) add("link", match);
  for (const match of original.matchAll(messengerHandle)) add("contact", match);
  // Prices and phone numbers need a digit; most of an advert's text has none, and these patterns are costly.
  const runStarts = digitRunStarts(original);
  for (const pattern of runStarts.length > 0 ? pricePatterns : []) {
    for (const match of matchesAtDigitRuns(original, pattern, runStarts, currencyLead)) {
      const currency = /[^\p{Nd}\s.,  ']+/u.exec(match[0].replace(/\p{Nd}+/gu, " "))?.[0];
      add("price", match, currency);
    }
  }
  for (const match of matchesAtDigitRuns(original, phone, runStarts, 1)) {
    const digits = match[0].replace(/\D/g, "").length;
    // Long digit runs with spaces are phone numbers; prices have already claimed their own digits.
    if (digits >= 9 && digits <= 15) add("contact", match);
  }
  return signals.sort((a, b) => a.start - b.start);
}

/** The patterns that start at a number, with how far before it they may start: for the differential test. */
export const numberPatterns = (): ReadonlyArray<{ readonly sticky: RegExp; readonly lead: number }> => [
  ...pricePatterns.map((sticky) => ({ sticky, lead: currencyLead })),
  { sticky: phone, lead: 1 },
];

// The longest currency written before a number ("NZ$", "Rp."), with its space: how far before its first digit a
// price can start.
const currencyLead = 4;

function digitRunStarts(text: string): number[] {
  const starts: number[] = [];
  for (const run of text.matchAll(/\p{Nd}+/gu)) starts.push(run.index);
  return starts;
}

/**
 * The matches a global search with `sticky`'s pattern would find, in order, trying it only where a match can
 * start: at most `lead` characters before the start of a run of digits, since every price and phone number
 * begins its number there. Scanning every position of the advert instead costs more than all the rest of signals.
 */
export function matchesAtDigitRuns(
  text: string,
  sticky: RegExp,
  runStarts: readonly number[],
  lead: number,
): RegExpExecArray[] {
  const matches: RegExpExecArray[] = [];
  let resumeAt = 0;
  for (const run of runStarts) {
    if (run < resumeAt) continue;
    for (let at = Math.max(resumeAt, run - lead); at <= run; at++) {
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
