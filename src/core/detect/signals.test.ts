import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { findPatternSignals, matchesAtDigitRuns, numberPatterns } from "./signals.ts";

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
    "（",
    "(",
    ")",
    "\n",
  ];
  it("finds exactly what a scan of every position finds (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), (parts) => {
        const text = parts.join("");
        const runStarts = [...text.matchAll(/\p{Nd}+/gu)].map((run) => run.index);
        for (const { sticky, lead } of numberPatterns()) {
          const everywhere = new RegExp(sticky.source, sticky.flags.replace("y", "g"));
          const expected = [...text.matchAll(everywhere)].map((m) => `${m.index}:${m[0]}`);
          const actual = matchesAtDigitRuns(text, sticky, runStarts, lead).map((m) => `${m.index}:${m[0]}`);
          assert.deepEqual(actual, expected, JSON.stringify(text));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
