import type { ExtractedPrice } from "./extracted-listing.ts";
import { capText, normalizeLine } from "./plain-text.ts";

/**
 * Prices as sites write them: "1.234,56 €", "$1,234.56", "¥3,800", "Rp 1.500.000", "R$ 1.200,00", "2.500.000₫",
 * "1 200 руб.", "฿2,500", "1,5 jt", "250k", "2tr5", "100–200 €", "Free", "Contact for price". Pure; every regular
 * expression here runs over at most `maxPriceChars` characters and has no nested quantifiers.
 */

export interface PriceHints {
  /** ISO 4217 the page or source states: used when the text names no currency or an ambiguous symbol. */
  readonly currency?: string;
  /** BCP 47 language of the page: "¥" is yuan in Chinese, yen in Japanese. */
  readonly language?: string;
}

const maxPriceChars = 200;

/** Currencies with three minor digits: for them "1.500" is one and a half, not fifteen hundred. */
const threeDecimalCurrencies = new Set(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]);

/** Currencies whose symbol alone is "$". */
const dollarCurrencies = new Set([
  "USD",
  "CAD",
  "AUD",
  "NZD",
  "SGD",
  "HKD",
  "TWD",
  "MXN",
  "ARS",
  "CLP",
  "COP",
  "UYU",
  "BRL",
  "DOP",
]);

/** ISO codes recognised when written in capitals. Codes that are everyday words (ALL, TOP, PEN, CUP…) are left out. */
const isoCodes = new Set(
  (
    "USD EUR GBP JPY CNY HKD TWD SGD MYR IDR THB VND PHP INR KRW AUD NZD CAD MXN BRL ARS CLP COP UYU BOB PYG VES " +
    "RUB UAH BYN KZT PLN CZK HUF RON BGN SEK NOK DKK ISK CHF TRY ILS AED SAR QAR KWD BHD OMR JOD EGP MAD TND DZD " +
    "NGN KES GHS ZAR TZS UGX ETB XOF XAF LKR PKR BDT NPR MMK KHR LAK MNT CRC GTQ DOP HNL NIO"
  ).split(" "),
);

/**
 * Currency words and symbols, lower case. A value starting with "?" is ambiguous and needs a hint.
 * Tokens made of letters only count between non-letters ("rs" is not the end of "colors").
 */
const currencyTokens: ReadonlyArray<readonly [string, string]> = [
  ["us$", "USD"],
  ["us $", "USD"],
  ["au $", "AUD"],
  ["c $", "CAD"],
  ["u$s", "USD"],
  ["usd", "USD"],
  ["r$", "BRL"],
  ["a$", "AUD"],
  ["au$", "AUD"],
  ["c$", "CAD"],
  ["ca$", "CAD"],
  ["nz$", "NZD"],
  ["hk$", "HKD"],
  ["s$", "SGD"],
  ["nt$", "TWD"],
  ["mx$", "MXN"],
  ["cn¥", "CNY"],
  ["rmb", "CNY"],
  ["人民币", "CNY"],
  ["人民幣", "CNY"],
  ["美元", "USD"],
  ["美金", "USD"],
  ["日元", "JPY"],
  ["港币", "HKD"],
  ["港幣", "HKD"],
  ["港元", "HKD"],
  ["台币", "TWD"],
  ["台幣", "TWD"],
  ["新台币", "TWD"],
  ["泰铢", "THB"],
  ["越南盾", "VND"],
  ["元", "CNY"],
  ["块", "CNY"],
  ["塊", "CNY"],
  ["円", "JPY"],
  ["reais", "BRL"],
  ["real", "BRL"],
  ["baht", "THB"],
  ["yuan", "CNY"],
  ["yen", "JPY"],
  ["rupiah", "IDR"],
  ["ringgit", "MYR"],
  ["soles", "PEN"],
  ["pesos", "?$"],
  ["peso", "?$"],
  ["dollars", "?$"],
  ["dollar", "?$"],
  ["kđ", "VND"],
  ["€", "EUR"],
  ["eur", "EUR"],
  ["euro", "EUR"],
  ["euros", "EUR"],
  ["£", "GBP"],
  ["gbp", "GBP"],
  ["₫", "VND"],
  ["vnđ", "VND"],
  ["vnd", "VND"],
  ["đồng", "VND"],
  ["đ", "VND"],
  ["rp", "IDR"],
  ["idr", "IDR"],
  ["rm", "MYR"],
  ["myr", "MYR"],
  ["₱", "PHP"],
  ["฿", "THB"],
  ["บาท", "THB"],
  ["thb", "THB"],
  ["₹", "INR"],
  ["rs", "INR"],
  ["inr", "INR"],
  ["₩", "KRW"],
  ["원", "KRW"],
  ["krw", "KRW"],
  ["₽", "RUB"],
  ["руб", "RUB"],
  ["рублей", "RUB"],
  ["р", "RUB"],
  ["rub", "RUB"],
  ["₴", "UAH"],
  ["грн", "UAH"],
  ["zł", "PLN"],
  ["kč", "CZK"],
  ["₺", "TRY"],
  ["tl", "TRY"],
  ["₦", "NGN"],
  ["ksh", "KES"],
  ["chf", "CHF"],
  ["₪", "ILS"],
  ["s/", "PEN"],
  ["$", "?$"],
  ["¥", "?¥"],
  ["kr", "?kr"],
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

const byLength = [...currencyTokens].sort((a, b) => b[0].length - a[0].length);
const letter = /\p{L}/u;
// Exported for test/redos-sweep.test.ts, which checks regexes built at run time as it checks literals.
export const currencyPattern = new RegExp(
  byLength
    .map(([token]) => {
      const before = letter.test(token.charAt(0)) ? "(?<!\\p{L})" : "";
      const after = letter.test(token.charAt(token.length - 1)) ? "(?!\\p{L})" : "";
      return `${before}${escapeRegExp(token)}${after}`;
    })
    .join("|"),
  "gu",
);
const currencyByToken = new Map(currencyTokens);

// Words with spaces around them (Latin, Cyrillic, Vietnamese) need word boundaries; Chinese and Thai have none.
const freeWords =
  /(?<!\p{L})(?:free|gratis|gratuit|gratuite|gratuito|grátis|kostenlos|miễn phí|mien phi|бесплатно|darmowe|give ?away)(?!\p{L})|ฟรี|免费|免費/iu;
const onRequestWords =
  /(?<!\p{L})(?:contact|ask|inquire|enquire|on request|poa|p\.o\.a|negotiable|dm|pm|inbox|message|call|sur demande|nous contacter|à débattre|a consultar|consultar|a convenir|sob consulta|consulte|combinar|liên hệ|lien he|ib|hubungi|tanya|nego|по запросу|договорная|звоните)(?!\p{L})|สอบถาม|ติดต่อ|ทักแชท|面议|面議|私聊|私信|议价|議價/iu;

/** A run of digits with single separators between groups: "1.234,56", "1 200", "1'000". */
const numberPattern = /\d+(?:[.,'’\u00a0\u202f ]\d+)*/g;
const rangeSeparator = /^\s*(?:-|–|—|~|〜|to|à|a|bis|đến|den|tới|sampai|hingga|s\/d|ถึง|至|到|до|até)\s*/iu;

interface Multiplier {
  readonly pattern: RegExp;
  readonly power: number;
}

/** Words after a number that scale it: "1,5 jt" is 1,500,000 rupiah, "250k" is 250,000 dong. */
const multipliers: readonly Multiplier[] = [
  { pattern: /^\s?(?:nghìn|nghin|ngàn|ngan|ribu|тысяч|тыс\.?|mil(?!\p{L})|rb|k|千)/iu, power: 3 },
  {
    pattern:
      /^\s?(?:millions|million|millones|millón|milhões|milhão|triệu|trieu|juta|млн\.?|mio|củ|tr|jt|mn)/iu,
    power: 6,
  },
  { pattern: /^\s?(?:万|萬)/u, power: 4 },
  { pattern: /^\s?(?:亿|億)/u, power: 8 },
  { pattern: /^\s?(?:lakh|lac)/iu, power: 5 },
  { pattern: /^\s?(?:crore|cr)/iu, power: 7 },
];

interface NumberToken {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

interface CurrencyToken {
  readonly start: number;
  readonly end: number;
  readonly code: string;
}

export function parsePrice(text: string, hints: PriceHints = {}): ExtractedPrice | undefined {
  const raw = capText(normalizeLine(text), maxPriceChars);
  if (!raw) return undefined;
  const value = raw.normalize("NFKC");
  const currencies = findCurrencies(value);
  // A code or unambiguous symbol anywhere beats an ambiguous one: "$1,250 MXN" is pesos.
  const named = currencies.find((token) => !token.code.startsWith("?")) ?? currencies[0];
  const currency = resolveCurrency(named?.code, hints);
  const numbers = findNumbers(value);
  if (numbers.length === 0) {
    if (freeWords.test(value)) return { amount: "0", raw, kind: "free" };
    if (onRequestWords.test(value)) return { raw, kind: "on-request" };
    return undefined;
  }
  const chosenIndex = chooseNumber(numbers, currencies[0]);
  const chosen = numbers[chosenIndex] as NumberToken;
  const first = readAmount(value, chosen, currency);
  if (!first) return undefined;
  let maxAmount: string | undefined;
  // "100 - 200 €": the currency sits by the upper end, the range starts at the number before it.
  const previous = numbers[chosenIndex - 1];
  if (previous && chosenIndex > 0) {
    const lower = readAmount(value, previous, currency);
    if (lower && isRangeBetween(value, lower.end, chosen.start)) {
      if (compareDecimals(first.amount, lower.amount) > 0) {
        return withCurrency({ amount: lower.amount, maxAmount: first.amount, raw, kind: "range" }, currency);
      }
    }
  }
  const after = value.slice(first.end);
  const separator = rangeSeparator.exec(after);
  const nextNumber = numbers[chosenIndex + 1];
  if (separator && nextNumber) {
    // The second end may repeat the currency: "€100 – €200".
    const between = value.slice(first.end + separator[0].length, nextNumber.start);
    if (between.length <= 4 && !/\d/.test(between)) {
      const second = readAmount(value, nextNumber, currency);
      if (second && compareDecimals(second.amount, first.amount) > 0) maxAmount = second.amount;
    }
  }
  const kind = maxAmount ? "range" : first.amount === "0" ? "free" : "amount";
  return withCurrency({ amount: first.amount, ...(maxAmount ? { maxAmount } : {}), raw, kind }, currency);
}

/**
 * A schema.org `price`: a number, or a string that should be machine-formatted ("1234.56") but is sometimes written
 * the local way ("1.234,56", "1.500" for 1,500 dong).
 */
export function parseSchemaPrice(value: unknown, currency: string | undefined): string | undefined {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) return undefined;
    const text = String(value);
    return /e/i.test(text)
      ? undefined
      : canonicalDecimal(text.split(".")[0] as string, text.split(".")[1] ?? "");
  }
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  const machine = /^(\d{1,30})(?:\.(\d{1,10}))?$/.exec(trimmed);
  if (machine) {
    const [, whole = "", fraction = ""] = machine;
    // "1.500" from a site pricing in dong is fifteen hundred: dong has no minor unit.
    if (fraction.length === 3 && currency && zeroDecimalCurrencies.has(currency)) {
      return canonicalDecimal(whole + fraction, "");
    }
    return canonicalDecimal(whole, fraction);
  }
  return parsePrice(trimmed, currency ? { currency } : {})?.amount;
}

/** Currencies without minor units (or whose minor units are never written). */
const zeroDecimalCurrencies = new Set([
  "JPY",
  "KRW",
  "VND",
  "IDR",
  "CLP",
  "PYG",
  "ISK",
  "UGX",
  "XOF",
  "XAF",
  "KHR",
  "LAK",
  "MMK",
  "COP",
  "HUF",
  "IRR",
]);

/** An ISO 4217 code in capitals, or undefined for anything that is not three letters. */
export function normalizeCurrency(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const code = value.trim().toUpperCase();
  if (/^[A-Z]{3}$/.test(code)) return code;
  // Some pages put the symbol in priceCurrency.
  const symbol = currencyByToken.get(value.trim().toLowerCase());
  return symbol && !symbol.startsWith("?") ? symbol : undefined;
}

/** The currency a piece of text names ("₫", "руб.", "USD"), resolved with the hints. */
export function currencyOf(text: string, hints: PriceHints = {}): string | undefined {
  const value = capText(normalizeLine(text), maxPriceChars).normalize("NFKC");
  const currencies = findCurrencies(value);
  return resolveCurrency(
    (currencies.find((token) => !token.code.startsWith("?")) ?? currencies[0])?.code,
    hints,
  );
}

function isRangeBetween(value: string, from: number, to: number): boolean {
  const between = value.slice(from, to);
  const separator = rangeSeparator.exec(between);
  if (!separator) return false;
  const rest = between.slice(separator[0].length);
  return rest.length <= 4 && !/\d/.test(rest);
}

function withCurrency(price: ExtractedPrice, currency: string | undefined): ExtractedPrice {
  return currency ? { ...price, currency } : price;
}

function findCurrencies(value: string): CurrencyToken[] {
  const found: CurrencyToken[] = [];
  const lower = value.toLowerCase();
  currencyPattern.lastIndex = 0;
  for (const match of lower.matchAll(currencyPattern)) {
    const code = currencyByToken.get(match[0]);
    if (code) found.push({ start: match.index, end: match.index + match[0].length, code });
  }
  for (const match of value.matchAll(/(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])/g)) {
    if (isoCodes.has(match[0])) found.push({ start: match.index, end: match.index + 3, code: match[0] });
  }
  return found.sort((a, b) => a.start - b.start);
}

function resolveCurrency(code: string | undefined, hints: PriceHints): string | undefined {
  const hinted = hints.currency ? normalizeCurrency(hints.currency) : undefined;
  if (code === undefined) return hinted;
  if (!code.startsWith("?")) return code;
  if (code === "?$") return hinted && dollarCurrencies.has(hinted) ? hinted : undefined;
  if (code === "?¥") {
    if (hinted === "JPY" || hinted === "CNY") return hinted;
    const language = hints.language?.toLowerCase() ?? "";
    if (language.startsWith("ja")) return "JPY";
    if (language.startsWith("zh")) return "CNY";
    return undefined;
  }
  if (code === "?kr") return hinted && ["SEK", "NOK", "DKK", "ISK"].includes(hinted) ? hinted : undefined;
  return undefined;
}

function findNumbers(value: string): NumberToken[] {
  const found: NumberToken[] = [];
  numberPattern.lastIndex = 0;
  for (const match of value.matchAll(numberPattern)) {
    for (const token of splitOnLooseSpaces(match[0], match.index)) {
      // "-20%" is a discount, not a price.
      if (/^\s?%/.test(value.slice(token.end, token.end + 2))) continue;
      found.push(token);
      if (found.length >= 12) return found;
    }
  }
  return found;
}

/** "100 200" is two numbers; "1 200" and "1 234 567" are one: a space groups only when three digits follow. */
function splitOnLooseSpaces(text: string, offset: number): NumberToken[] {
  const tokens: NumberToken[] = [];
  let start = 0;
  const spaces = /[\u00a0\u202f ]/g;
  for (const match of text.matchAll(spaces)) {
    const rest = text.slice(match.index + 1);
    const group = /^\d+/.exec(rest)?.[0] ?? "";
    if (group.length !== 3) {
      tokens.push({ start: offset + start, end: offset + match.index, text: text.slice(start, match.index) });
      start = match.index + 1;
    }
  }
  tokens.push({ start: offset + start, end: offset + text.length, text: text.slice(start) });
  return tokens.filter((token) => token.text !== "");
}

/** The number next to the currency when there is one ("size 2, 1.500.000đ"), else the first. */
function chooseNumber(numbers: readonly NumberToken[], currency: CurrencyToken | undefined): number {
  if (!currency) return 0;
  let best = 0;
  let bestDistance = Infinity;
  numbers.forEach((token, index) => {
    const distance =
      token.start >= currency.end
        ? token.start - currency.end
        : currency.start - Math.min(token.end, currency.start);
    if (distance < bestDistance) {
      best = index;
      bestDistance = distance;
    }
  });
  return bestDistance <= 3 ? best : 0;
}

function readAmount(
  value: string,
  token: NumberToken,
  currency: string | undefined,
): { amount: string; end: number } | undefined {
  const decimal = interpretNumber(token.text, currency);
  if (!decimal) return undefined;
  let { whole, fraction } = decimal;
  let end = token.end;
  const after = value.slice(end, end + 12);
  // Vietnamese "2tr5" is 2.5 million.
  const trailingDigit = /^(tr|triệu|củ)(\d)(?!\d)/iu.exec(after);
  if (trailingDigit && fraction === "") {
    fraction = trailingDigit[2] as string;
    end += trailingDigit[0].length;
    return { amount: scaleDecimal(whole, fraction, 6), end };
  }
  for (const multiplier of multipliers) {
    const match = multiplier.pattern.exec(after);
    if (!match) continue;
    // "5 kg" and "3 trong" are not multiples; "250kđ" is.
    const rest = after.slice(match[0].length);
    if (/^\p{L}/u.test(rest) && !/^(?:đ|vnd)/iu.test(rest)) continue;
    end += match[0].length;
    return { amount: scaleDecimal(whole, fraction, multiplier.power), end };
  }
  whole = whole.replace(/^0+(?=\d)/, "");
  return { amount: canonicalDecimal(whole, fraction), end };
}

/** Splits a written number into whole and fraction digits, working out which separator is the decimal one. */
function interpretNumber(
  text: string,
  currency: string | undefined,
): { whole: string; fraction: string } | undefined {
  const groups = text.split(/[^\d]/);
  const separators = text.replace(/\d+/g, "").split("");
  if (groups.some((group) => group === "")) return undefined;
  if (separators.length === 0) return { whole: text, fraction: "" };
  const last = separators[separators.length - 1] as string;
  const lastGroup = groups[groups.length - 1] as string;
  const others = separators.slice(0, -1);
  const isDecimalMark = last === "." || last === ",";
  let decimal = false;
  if (isDecimalMark) {
    if (others.length > 0 && !others.includes(last)) decimal = true;
    else if (others.length === 0) {
      if (lastGroup.length !== 3) decimal = true;
      else if (groups[0] === "0") decimal = true;
      else if (currency && threeDecimalCurrencies.has(currency)) decimal = true;
    }
  }
  if (!decimal) return { whole: groups.join(""), fraction: "" };
  return { whole: groups.slice(0, -1).join(""), fraction: lastGroup };
}

function canonicalDecimal(whole: string, fraction: string): string {
  const integer = whole.replace(/^0+(?=\d)/, "") || "0";
  const minor = fraction.replace(/(?<!0)0+$/, "");
  return minor ? `${integer}.${minor}` : integer;
}

/** (whole.fraction) × 10^power, in decimal digits: no floating point on money. */
function scaleDecimal(whole: string, fraction: string, power: number): string {
  const padded = fraction.padEnd(power, "0");
  return canonicalDecimal(whole + padded.slice(0, power), padded.slice(power));
}

function compareDecimals(a: string, b: string): number {
  const [aw = "", af = ""] = a.split(".");
  const [bw = "", bf = ""] = b.split(".");
  if (aw.length !== bw.length) return aw.length - bw.length;
  if (aw !== bw) return aw < bw ? -1 : 1;
  const length = Math.max(af.length, bf.length);
  const ap = af.padEnd(length, "0");
  const bp = bf.padEnd(length, "0");
  return ap === bp ? 0 : ap < bp ? -1 : 1;
}
