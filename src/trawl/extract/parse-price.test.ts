import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { ExtractedPrice } from "./extracted-listing.ts";
import { parsePrice, parseSchemaPrice, type PriceHints } from "./parse-price.ts";

const cases: ReadonlyArray<readonly [string, PriceHints, Omit<ExtractedPrice, "raw"> | undefined]> = [
  ["1.234,56 €", {}, { amount: "1234.56", currency: "EUR", kind: "amount" }],
  ["$1,234.56", { currency: "USD" }, { amount: "1234.56", currency: "USD", kind: "amount" }],
  // "$" alone does not say which dollar.
  ["$1,234.56", {}, { amount: "1234.56", kind: "amount" }],
  ["US $45.00/ea", {}, { amount: "45", currency: "USD", kind: "amount" }],
  ["¥3,800", { language: "ja" }, { amount: "3800", currency: "JPY", kind: "amount" }],
  ["¥3,800", { language: "zh-CN" }, { amount: "3800", currency: "CNY", kind: "amount" }],
  ["售价 3800元", {}, { amount: "3800", currency: "CNY", kind: "amount" }],
  ["１２，８００円", {}, { amount: "12800", currency: "JPY", kind: "amount" }],
  ["¥1.2万", { language: "zh" }, { amount: "12000", currency: "CNY", kind: "amount" }],
  ["Rp 1.500.000", {}, { amount: "1500000", currency: "IDR", kind: "amount" }],
  ["Rp1,5 juta", {}, { amount: "1500000", currency: "IDR", kind: "amount" }],
  ["3,5 jt nego", { currency: "IDR" }, { amount: "3500000", currency: "IDR", kind: "amount" }],
  ["R$ 1.200,00", {}, { amount: "1200", currency: "BRL", kind: "amount" }],
  ["2.500.000₫", {}, { amount: "2500000", currency: "VND", kind: "amount" }],
  ["Giá: 3.500.000đ", {}, { amount: "3500000", currency: "VND", kind: "amount" }],
  ["3 triệu đồng", {}, { amount: "3000000", currency: "VND", kind: "amount" }],
  ["2tr5", { currency: "VND" }, { amount: "2500000", currency: "VND", kind: "amount" }],
  ["250kđ", {}, { amount: "250000", currency: "VND", kind: "amount" }],
  ["1 200 руб.", {}, { amount: "1200", currency: "RUB", kind: "amount" }],
  ["4 500 ₽", {}, { amount: "4500", currency: "RUB", kind: "amount" }],
  ["฿2,500", {}, { amount: "2500", currency: "THB", kind: "amount" }],
  ["ราคา 2,500 บาท", {}, { amount: "2500", currency: "THB", kind: "amount" }],
  ["12,50 €", {}, { amount: "12.5", currency: "EUR", kind: "amount" }],
  ["CHF 1'250.–", {}, { amount: "1250", currency: "CHF", kind: "amount" }],
  ["1,23,456 INR", {}, { amount: "123456", currency: "INR", kind: "amount" }],
  ["KWD 1.500", {}, { amount: "1.5", currency: "KWD", kind: "amount" }],
  ["80 USD negotiable", {}, { amount: "80", currency: "USD", kind: "amount" }],
  // The code settles what the symbol leaves open, whatever the source's default.
  ["$1,250 MXN", { currency: "USD" }, { amount: "1250", currency: "MXN", kind: "amount" }],
  ["-20% 150 000 ₽", {}, { amount: "150000", currency: "RUB", kind: "amount" }],
  ["2 mil pesos", { currency: "MXN" }, { amount: "2000", currency: "MXN", kind: "amount" }],
  ["100 - 200 €", {}, { amount: "100", maxAmount: "200", currency: "EUR", kind: "range" }],
  ["€100–€200", {}, { amount: "100", maxAmount: "200", currency: "EUR", kind: "range" }],
  ["de 100 a 200 reais", {}, { amount: "100", maxAmount: "200", currency: "BRL", kind: "range" }],
  ["Free", {}, { amount: "0", kind: "free" }],
  ["Gratuit", {}, { amount: "0", kind: "free" }],
  ["miễn phí", {}, { amount: "0", kind: "free" }],
  ["$0", { currency: "USD" }, { amount: "0", currency: "USD", kind: "free" }],
  ["Contact for price", {}, { kind: "on-request" }],
  ["Prix sur demande", {}, { kind: "on-request" }],
  ["A consultar", {}, { kind: "on-request" }],
  ["Liên hệ", {}, { kind: "on-request" }],
  ["สอบถาม", {}, { kind: "on-request" }],
  ["价格面议", {}, { kind: "on-request" }],
  ["Договорная", {}, { kind: "on-request" }],
  ["Swap only", {}, undefined],
  ["", {}, undefined],
];

describe("parsePrice", () => {
  for (const [text, hints, expected] of cases) {
    it(`reads ${JSON.stringify(text)}${hints.currency || hints.language ? ` with ${JSON.stringify(hints)}` : ""}`, () => {
      const price = parsePrice(text, hints);
      if (expected === undefined) return assert.equal(price, undefined);
      const { raw, ...rest } = price ?? { raw: undefined };
      assert.deepEqual(rest, expected);
      assert.equal(raw, text.trim());
    });
  }

  it("reads schema.org prices: numbers, machine strings, and local spellings some sites put there", () => {
    assert.equal(parseSchemaPrice(1250, "USD"), "1250");
    assert.equal(parseSchemaPrice(12.5, "EUR"), "12.5");
    assert.equal(parseSchemaPrice("2500000.00", "VND"), "2500000");
    assert.equal(parseSchemaPrice("1.500", "VND"), "1500");
    assert.equal(parseSchemaPrice("1.500", "EUR"), "1.5");
    assert.equal(parseSchemaPrice("1.234,56", "EUR"), "1234.56");
    assert.equal(parseSchemaPrice(-1, "EUR"), undefined);
    assert.equal(parseSchemaPrice(1e21, "EUR"), undefined);
    assert.equal(parseSchemaPrice({}, "EUR"), undefined);
  });

  it("never throws and always answers a decimal string or nothing, on any text", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.constantFrom(undefined, "USD", "VND", "KWD"),
        (text, currency) => {
          const price = parsePrice(text, currency ? { currency } : {});
          if (price?.amount !== undefined) assert.match(price.amount, /^\d+(\.\d+)?$/);
          if (price?.maxAmount !== undefined) assert.match(price.maxAmount, /^\d+(\.\d+)?$/);
          if (price) assert.ok(price.raw.length <= 200);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it("reads any grouped amount back exactly, in either convention", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.integer({ min: 0, max: 99 }),
        (whole, cents) => {
          const grouped = (separator: string) => whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, separator);
          const fraction = String(cents).padStart(2, "0");
          const expected = cents === 0 ? whole.toString() : `${whole}.${fraction.replace(/0$/, "")}`;
          assert.equal(parsePrice(`${grouped(".")},${fraction} €`)?.amount, expected);
          assert.equal(parsePrice(`US$${grouped(",")}.${fraction}`)?.amount, expected);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
