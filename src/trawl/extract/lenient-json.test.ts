import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseLenientJson } from "./lenient-json.ts";

describe("parseLenientJson", () => {
  it("reads valid JSON as JSON.parse does", () => {
    assert.deepEqual(parseLenientJson('{"a":[1,2,{"b":null}],"c":"x"}'), { a: [1, 2, { b: null }], c: "x" });
  });

  it("keeps every member it can read from the JSON sites actually ship", () => {
    const text = `<!--
      {
        "@type": 'Product', name: "Line one
line two", // a comment
        "offers": {"price": "85", "priceCurrency": "EUR",},
        "bad": undefined-thing here,
        "image": ["a.jpg", "b.jpg",],
        "cut": {"short": "value"
    -->`;
    assert.deepEqual(parseLenientJson(text), {
      "@type": "Product",
      name: "Line one\nline two",
      offers: { price: "85", priceCurrency: "EUR" },
      image: ["a.jpg", "b.jpg"],
      cut: { short: "value" },
    });
  });

  it("reads objects written one after another as a list, and survives a trailing semicolon", () => {
    assert.deepEqual(parseLenientJson('{"a":1}\n{"b":2};'), [{ a: 1 }, { b: 2 }]);
  });

  it("skips nesting past its depth limit instead of recursing into it", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const value = parseLenientJson(`{"x": ${deep}, "y": 1`) as { x: unknown; y: number };
    assert.equal(value.y, 1);
    let depth = 0;
    for (let current: unknown = value.x; Array.isArray(current); current = current[0]) depth++;
    assert.ok(depth <= 64, `kept ${depth} levels`);
  });

  it("never throws on any text", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.json().map((json) => json.slice(0, -1)),
        ),
        (text) => {
          parseLenientJson(text);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
