import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  findDatings,
  findPatternSignals,
  matchesNear,
  numberSearches,
  patternStarts,
  wordSearches,
  type Search,
} from "./signals.ts";

const found = (text: string) => findPatternSignals(text).map((signal) => `${signal.kind}:${signal.text}`);

describe("prices in the formats of the trade", () => {
  for (const [text, price] of [
    ["vảy tê tê giá 2.500.000₫", "2.500.000₫"],
    ["¥3,800 包邮", "¥3,800"],
    ["harga Rp 1.500.000 nego", "Rp 1.500.000"],
    ["R$ 1.200,00 à vista", "R$ 1.200,00"],
    ["цена 1 200 руб. торг", "1 200 руб."],
    ["ราคา ฿2,500", "฿2,500"],
    ["US$450 shipped", "US$450"],
    ["giá 500k", "500k"],
    ["harga 1,5jt", "1,5jt"],
    ["€ 80,50 VB", "€ 80,50"],
    ["السعر 300 درهم", "300 درهم"],
    ["20万円", "20万円"],
  ]) {
    it(`finds ${price}`, () =>
      assert.ok(found(text as string).includes(`price:${price}`), found(text as string).join(", ")));
  }
  it("reports the currency as written, without the digits inside it", () => {
    const currencies = (text: string) => findPatternSignals(text).map((signal) => signal.currency);
    assert.deepEqual(currencies("giá 2tr5 ship"), ["tr"]);
    assert.deepEqual(currencies("цена 1 200 руб. торг"), ["руб"]);
    assert.deepEqual(currencies("20万円"), ["万円"]);
    assert.deepEqual(currencies("𝟏𝟐 000 ₫"), ["₫"]);
    assert.deepEqual(currencies("R$ 1.200,00"), ["R$"]);
  });
  it("takes no number or messenger's name glued to the word before it", () => {
    for (const text of ["abc0412 345 678", "model X500k", "size A40 €", "éwa: abc123", "kwa: abc123"])
      assert.deepEqual(found(text), [], text);
    assert.deepEqual(found("ok 0412 345 678, 500k, 40 €, wa: abc123"), [
      "contact:0412 345 678",
      "price:500k",
      "price:40 €",
      "contact:wa: abc123",
    ]);
  });
  it("reads a number after a mark that folds to a letter as the case-insensitive patterns do", () => {
    // U+0345 is no letter, but folds to ι: the price patterns, case-insensitive, take it for one; phones do not.
    assert.deepEqual(found("\u0345500k"), []);
    assert.deepEqual(found("\u0345+84 912 345 678"), ["contact:+84 912 345 678"]);
  });
  it("does not read years, weights or gold purity as prices", () => {
    assert.deepEqual(found("born 2019, 10 kg, 24k gold, 18K white gold"), []);
  });
});

describe("contacts and links", () => {
  it("finds phone numbers and messenger handles", () => {
    assert.deepEqual(found("whatsapp +84 912 345 678"), ["contact:whatsapp +84 912 345 678"]);
    assert.deepEqual(found("微信: abc123 or call 0412 345 678"), [
      "contact:微信: abc123",
      "contact:0412 345 678",
    ]);
  });
  it("takes a messenger's name only as a word, and an everyday one only before a handle-like word", () => {
    for (const text of [
      "walruses and warthogs",
      "Waiting for the expert",
      "line dancing shoes",
      "signal strength",
    ])
      assert.deepEqual(found(text), [], text);
    assert.deepEqual(found("LINE id: shop88, line @oldasia, wa.me/628123456789"), [
      "contact:LINE id: shop88",
      "contact:line @oldasia",
      "contact:wa.me/628123456789",
    ]);
    assert.deepEqual(found("telegram oldasia_art or 微信abc123"), [
      "contact:telegram oldasia_art",
      "contact:微信abc123",
    ]);
  });
  it("finds links, including masked ones", () => {
    assert.deepEqual(found("see https://shop.example/item?id=3 and {{URL}}"), [
      "link:https://shop.example/item?id=3",
      "link:{{URL}}",
    ]);
  });
});

describe("datings", () => {
  const datings = (text: string) => findDatings(text).map((dating) => dating.text);
  it("finds approximate years, decades and centuries before 1950, as written", () => {
    assert.deepEqual(datings("Ivory okimono c.1890, 14 cm, circa 1880 or ca. 1900"), [
      "c.1890",
      "circa 1880",
      "ca. 1900",
    ]);
    assert.deepEqual(datings("gloves 1940s/1950s, boxes 1860s-1870s, a 1920's frame"), [
      "1940s",
      "1860s",
      "1870s",
      "1920's",
    ]);
    assert.deepEqual(datings("18th c., 19th-century, 17th century, 16thC"), [
      "18th c.",
      "19th-century",
      "17th century",
      "16thC",
    ]);
    assert.deepEqual(datings("du 19e siècle, 19. Jh., um 1880, 19 век, 19世纪的"), [
      "19e siècle",
      "19. Jh.",
      "um 1880",
      "19 век",
      "19世纪",
    ]);
  });
  it("finds centuries in Roman and Chinese numerals beside the word for century", () => {
    assert.deepEqual(datings("marfil siglo XIX, avorio secolo XVIII, XIXe siècle, XVII век, 十八世纪"), [
      "siglo XIX",
      "secolo XVIII",
      "XIXe siècle",
      "XVII век",
      "十八世纪",
    ]);
  });
  it("dates nothing with a later year, the twentieth century, a quantity or a number inside a word", () => {
    assert.deepEqual(
      datings(
        "born 2019, 1960s, c.1955, 20th century, 21st c., XX siècle, siglo XXI, ca. 1500 €, ca. 1200 g, abc1890s, MX1900s",
      ),
      [],
    );
  });
});

describe("matching only where numbers start", () => {
  // Characters prices and phone numbers are made of, and letters around them, so that near-misses are common.
  const pieces = [
    "1",
    "2",
    "0",
    "00",
    "+",
    " ",
    ".",
    ",",
    "-",
    "$",
    "US$",
    "Rp.",
    "rs ",
    "nz$",
    "\u212Arw",
    "\u017Fgd",
    "₩",
    "฿",
    "€",
    "k",
    "jt",
    "руб.",
    "₫",
    "đ",
    "元",
    "万",
    "a",
    "x",
    "gold",
    "24",
    "١٢",
    "𝟏𝟐",
    "（",
    "(",
    ")",
    "\n",
    // Datings: approximate years, decades and centuries, and what a quantity after them looks like.
    "1890",
    "1960",
    "19",
    "c.",
    "ca",
    "circa ",
    "um ",
    "s",
    "'s",
    "th",
    " century",
    "e siècle",
    "век",
    "世纪",
    " g",
  ];
  it("finds exactly what a scan of every position finds (property)", () => {
    forTextsOf(pieces, 40, (text) => {
      const runStarts = [...text.matchAll(/\p{Nd}+/gu)].map((run) => run.index);
      assert.deepEqual(patternStarts(text).digitRuns, runStarts, JSON.stringify(text));
      for (const search of numberSearches()) {
        const found = matchesNear(text, search, runStarts);
        assert.deepEqual(listed(text, found), everywhere(text, search), JSON.stringify(text));
      }
    });
  });
});

describe("matching only where links and messenger handles can start", () => {
  // Pieces of links and messengers' names in both cases, with the letters case-insensitive matching also takes
  // for "k" and "s" (the Kelvin sign, the long s), and what may stand before and after them.
  const pieces = [
    "http",
    "HTTPS",
    "://",
    "www",
    "WWW",
    ".",
    "{{URL}}",
    "{{",
    "wa",
    "WhatsApp",
    "whats app",
    "telegram",
    "tg",
    "line",
    "LINE id",
    "zalo",
    "\u212Aakao",
    "\u017Fignal",
    "viber",
    "微信",
    ":",
    "：",
    " ",
    "@",
    "+",
    "0912 345 678",
    "abc_1",
    "x",
    "é",
    "\n",
  ];
  it("finds exactly what a scan of every position finds (property)", () => {
    forTextsOf(pieces, 30, (text) => {
      for (const { search, startsIn } of wordSearches()) {
        const found = matchesNear(text, search, startsIn(text));
        assert.deepEqual(listed(text, found), everywhere(text, search), JSON.stringify(text));
      }
    });
  });
});

/** Checks texts made of up to `maxLength` of the pieces, in any order (property). */
function forTextsOf(pieces: readonly string[], maxLength: number, check: (text: string) => void): void {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pieces), { maxLength }), (parts) => check(parts.join(""))),
    { numRuns: 3000 },
  );
}

/**
 * What a global search finds with the search's pattern behind the lookbehind it stands for (`notAfter`): every
 * position tried.
 */
function everywhere(text: string, { sticky, notAfter }: Search): string[] {
  const lookbehind = notAfter === undefined ? "" : `(?<!${notAfter.pattern.source.slice(1, -1)})`;
  const global = new RegExp(lookbehind + sticky.source, sticky.flags.replace("y", "g"));
  return [...text.matchAll(global)].map((match) => `${match.index}:${match[0]}`);
}

/** Spans as start and end offsets one after the other, listed as `everywhere` lists matches. */
function listed(text: string, spans: readonly number[]): string[] {
  const matches: string[] = [];
  for (let index = 0; index < spans.length; index += 2) {
    const start = spans[index] as number;
    matches.push(`${start}:${text.slice(start, spans[index + 1])}`);
  }
  return matches;
}
