import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { digitRunStarts, findPatternSignals, matchesNear, numberPatterns, wordPatterns } from "./signals.ts";

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
  it("finds links, including masked ones", () => {
    assert.deepEqual(found("see https://shop.example/item?id=3 and {{URL}}"), [
      "link:https://shop.example/item?id=3",
      "link:{{URL}}",
    ]);
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
  ];
  it("finds exactly what a scan of every position finds (property)", () => {
    forTextsOf(pieces, 40, (text) => {
      const runStarts = [...text.matchAll(/\p{Nd}+/gu)].map((run) => run.index);
      assert.deepEqual(digitRunStarts(text), runStarts, JSON.stringify(text));
      for (const { sticky, lead, first } of numberPatterns()) {
        const found = matchesNear(text, sticky, runStarts, lead, first);
        assert.deepEqual(listed(found), listed(everywhere(text, sticky)), JSON.stringify(text));
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
      for (const { sticky, startsIn } of wordPatterns()) {
        const found = matchesNear(text, sticky, startsIn(text), 0);
        assert.deepEqual(listed(found), listed(everywhere(text, sticky)), JSON.stringify(text));
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

/** What a global search with a sticky pattern's source finds: every position tried. */
function everywhere(text: string, sticky: RegExp): RegExpExecArray[] {
  return [...text.matchAll(new RegExp(sticky.source, sticky.flags.replace("y", "g")))];
}

function listed(matches: readonly RegExpExecArray[]): string[] {
  return matches.map((match) => `${match.index}:${match[0]}`);
}
