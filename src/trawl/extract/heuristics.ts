import { elementsNamed, type ParsedHtml } from "./html-document.ts";
import type { ExtractedPrice } from "./extracted-listing.ts";
import { fieldLimits } from "./field-values.ts";
import { parseDate, type DateHints } from "./parse-date.ts";
import { parsePrice, type PriceHints } from "./parse-price.ts";
import { capText, normalizeLine, skippedElements, textOf } from "./plain-text.ts";
import { select } from "./selector-rules.ts";

/** The last resort for each field: what any page's plain HTML suggests, used only when nothing better said it. */

export function heuristicTitle(parsed: ParsedHtml): string | undefined {
  for (const name of ["h1", "title"]) {
    const element = elementsNamed(parsed, name)[0];
    if (!element) continue;
    const text = capText(normalizeLine(textOf(element, fieldLimits.title)), fieldLimits.title);
    if (text) return text;
  }
  return undefined;
}

/** Navigation, headers, footers and forms: around the advert, never in it. */
const pageChrome: ReadonlySet<string> = new Set([
  ...skippedElements,
  "nav",
  "header",
  "footer",
  "aside",
  "form",
  "noscript",
]);

/** The main text block: the article or main element, or else the body without its navigation and chrome. */
export function heuristicDescription(parsed: ParsedHtml): string | undefined {
  const { $ } = parsed;
  const candidates = [
    elementsNamed(parsed, "article")[0],
    elementsNamed(parsed, "main")[0],
    ...["[role=main]", "#content", ".content"].map((selector) => select($, selector)?.toArray()[0]),
  ];
  for (const element of candidates) {
    if (!element) continue;
    const text = textOf(element, fieldLimits.description);
    if (text.length >= 20) return text;
  }
  const body = elementsNamed(parsed, "body")[0] ?? parsed.document;
  const text = textOf(body, fieldLimits.description, pageChrome);
  return text || undefined;
}

export function heuristicPrice(parsed: ParsedHtml, hints: PriceHints): ExtractedPrice | undefined {
  const candidates = select(
    parsed.$,
    "[itemprop=price], [class*=price i], [id*=price i], [data-testid*=price i]",
  );
  for (const element of candidates?.toArray().slice(0, 20) ?? []) {
    const text = textOf(element, 200);
    if (!/\d/.test(text) || text.length > 120) continue;
    const price = parsePrice(text, hints);
    if (price?.amount !== undefined) return price;
  }
  return undefined;
}

export function heuristicPostedAt(parsed: ParsedHtml, hints: DateHints): string | undefined {
  for (const element of elementsNamed(parsed, "time").slice(0, 5)) {
    const value = element.attribs["datetime"] ?? textOf(element, 100);
    const parsed = parseDate(value, hints);
    if (parsed) return parsed;
  }
  return undefined;
}

const stopwords: ReadonlyArray<readonly [string, ReadonlySet<string>]> = (
  [
    ["en", "the and for with this is are of to in on from shipping sale price condition new used your you"],
    ["fr", "le la les et pour avec est des du une un sur dans vends vente prix livraison très état"],
    ["es", "el los las y para con es del una un por en vendo venta precio envío muy estado"],
    ["pt", "o os as e para com é do da um uma por em vendo venda preço frete muito não estado"],
    ["id", "dan yang untuk dengan ini di jual ada bisa harga kirim sudah tidak dari juga ke"],
    ["de", "der die das und für mit ist ein eine zu verkaufe preis versand sehr zustand nicht"],
    ["it", "il lo gli e per con è di una un vendo prezzo spedizione molto stato non che"],
  ] as const
).map(([language, words]) => [language, new Set(words.split(" "))] as const);

const vietnameseLetters = /[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/giu;

/**
 * The language of a text by its script (Thai, Hangul, kana, Han, Cyrillic, Vietnamese letters) or, in Latin script,
 * by its most frequent little words. Undefined when the evidence is thin.
 */
export function guessLanguage(text: string): string | undefined {
  const sample = text.slice(0, 3_000);
  if (sample.length === 0) return undefined;
  const count = (pattern: RegExp) => sample.match(pattern)?.length ?? 0;
  const thai = count(/[\u0e00-\u0e7f]/g);
  const hangul = count(/[\uac00-\ud7af]/g);
  const kana = count(/[\u3040-\u30ff]/g);
  const han = count(/[\u4e00-\u9fff]/g);
  const cyrillic = count(/[\u0400-\u04ff]/g);
  const arabic = count(/[\u0600-\u06ff]/g);
  const letters = count(/\p{L}/gu) || 1;
  if (thai / letters > 0.3) return "th";
  if (hangul / letters > 0.3) return "ko";
  if (kana >= 3 && (kana + han) / letters > 0.3) return "ja";
  if (han / letters > 0.3) return "zh";
  if (cyrillic / letters > 0.5) return "ru";
  if (arabic / letters > 0.5) return "ar";
  if (count(vietnameseLetters) >= 3) return "vi";
  const words = sample.toLowerCase().match(/\p{L}+/gu) ?? [];
  let best: string | undefined;
  let bestScore = 0;
  let second = 0;
  for (const [language, set] of stopwords) {
    let score = 0;
    for (const word of words) if (set.has(word)) score++;
    if (score > bestScore) {
      second = bestScore;
      bestScore = score;
      best = language;
    } else if (score > second) second = score;
  }
  return bestScore >= 2 && bestScore >= second * 1.5 ? best : undefined;
}
