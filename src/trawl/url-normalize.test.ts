import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { normalizeUrl, normalizePercentEncoding } from "./url-normalize.ts";

describe("normalizeUrl", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["HTTP://Shop.EXAMPLE.com/Item", "http://shop.example.com/Item"],
    ["http://example.com:80/a", "http://example.com/a"],
    ["https://example.com:443/a", "https://example.com/a"],
    ["https://example.com:8443/a", "https://example.com:8443/a"],
    ["http://example.com", "http://example.com/"],
    ["http://example.com/a#reviews", "http://example.com/a"],
    ["http://example.com/a/./b/../c/", "http://example.com/a/c/"],
    ["http://example.com/a/%2e%2E/b", "http://example.com/b"],
    ["http://example.com/?b=2&a=1", "http://example.com/?a=1&b=2"],
    ["http://example.com/?a=2&a=1", "http://example.com/?a=1&a=2"],
    ["http://example.com/?utm_source=fb&utm_medium=social&id=7", "http://example.com/?id=7"],
    ["http://example.com/?UTM_Campaign=x&id=7", "http://example.com/?id=7"],
    ["http://example.com/?id=7&fbclid=abc&gclid=def&msclkid=1", "http://example.com/?id=7"],
    ["http://example.com/?utm_source=x", "http://example.com/"],
    ["http://example.com/?", "http://example.com/"],
    ["http://example.com/?&&a=1&", "http://example.com/?a=1"],
    ["http://example.com/%7euser/%41", "http://example.com/~user/A"],
    ["http://example.com/a%2fb", "http://example.com/a%2Fb"],
    ["http://example.com/?q=%e8%b1%a1%e7%89%99", "http://example.com/?q=%E8%B1%A1%E7%89%99"],
    ["http://example.com/象牙", "http://example.com/%E8%B1%A1%E7%89%99"],
    ["http://BÜCHER.example/", "http://xn--bcher-kva.example/"],
    ["http://example.com./a", "http://example.com/a"],
    ["http://0x7f000001/", "http://127.0.0.1/"],
    ["http://example.com/?q=a+b&flag", "http://example.com/?flag&q=a+b"],
    ["http://example.com/100%", "http://example.com/100%"],
  ];

  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => assert.equal(normalizeUrl(input), expected));
  }

  it("keeps reserved characters as given: they can change what the server sends", () => {
    assert.notEqual(normalizeUrl("http://example.com/a%2Fb"), normalizeUrl("http://example.com/a/b"));
    assert.notEqual(normalizeUrl("http://example.com/?a=b%26c"), normalizeUrl("http://example.com/?a=b&c"));
  });

  it("takes a source's own list of tracking parameters", () => {
    assert.equal(
      normalizeUrl("http://example.com/?sid=123&ref=home&id=1", { trackingParameters: ["sid", /^ref$/] }),
      "http://example.com/?id=1",
    );
  });

  it("is idempotent and always yields a parseable URL", () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        const once = normalizeUrl(url);
        assert.equal(normalizeUrl(once), once);
        assert.doesNotThrow(() => new URL(once));
      }),
      { numRuns: 2000 },
    );
  });

  it("gives one spelling for reordered queries and differently cased escapes", () => {
    const query = fc.array(
      fc.tuple(fc.constantFrom("a", "b", "id", "page"), fc.stringMatching(/^[a-z0-9%]{0,5}$/)),
      {
        maxLength: 5,
      },
    );
    fc.assert(
      fc.property(query, (pairs) => {
        const forward = pairs.map(([k, v]) => `${k}=${v}`).join("&");
        const backward = [...pairs]
          .reverse()
          .map(([k, v]) => `${k}=${v.replace(/%[0-9a-f]{2}/gi, (escape) => escape.toUpperCase())}`)
          .join("&");
        const a = normalizeUrl(`http://example.com/p?${forward}`);
        const b = normalizeUrl(`http://example.com/p?${backward}`);
        // Only the escapes change case: letters elsewhere are data, and upper-casing them would reorder "a=B&a=a".
        assert.equal(a, b);
      }),
    );
  });

  it("normalises percent-encoding alone", () => {
    assert.equal(normalizePercentEncoding("%7e%7E%2f%41%zz"), "~~%2FA%zz");
  });
});
