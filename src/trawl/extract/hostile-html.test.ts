import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { extractListing } from "./extract-listing.ts";
import { extractPage } from "./extract-page.ts";
import { limitNesting } from "./html-document.ts";
import { fieldLimits } from "./field-values.ts";

const url = "https://hostile.example/item/1";
const rules = { links: { allowedHosts: ["hostile.example"], listings: { patterns: ["^/item/"] } } };

/**
 * RELIABILITY H3: hostile pages end in a bounded result, never a crash or a hang. (How long each takes is printed
 * by `bench/`-style runs, not asserted here: the limits are what make it fast.)
 */
describe("extraction on hostile pages", () => {
  it("a 10 MB attribute: the input is cut at its cap and the title survives", () => {
    const html = `<html><body><h1>Ivory bangle</h1><div data-x="${"a".repeat(10_000_000)}">text</div></body></html>`;
    const listing = extractListing({ url, html });
    assert.equal(listing.title, "Ivory bangle");
    assert.deepEqual(listing.truncated, { input: true, nesting: false });
  });

  it("100,000 nested elements: tags past the depth limit are dropped, their text kept", () => {
    const html = `<html><body><h1>Deep</h1>${"<div>".repeat(100_000)}deep text${"</div>".repeat(100_000)}</body></html>`;
    const listing = extractListing({ url, html });
    assert.equal(listing.truncated.nesting, true);
    assert.match(listing.description ?? "", /deep text/);
  });

  it("100,000 unclosed elements then 100,000 unmatched end tags", () => {
    const html = "<div><span>".repeat(50_000) + "x" + "</b></i>".repeat(50_000);
    const page = extractPage({ url, html }, rules);
    assert.equal(page.classification.kind, "listing");
  });

  it("an entity flood: decoded, and the title capped", () => {
    const html = `<html><body><h1>${"&amp;&#x41;&eacute;&#128024;".repeat(500_000)}</h1></body></html>`;
    const listing = extractListing({ url, html });
    assert.ok((listing.title?.length ?? 0) <= fieldLimits.title);
    assert.match(listing.title ?? "", /^&Aé🐘&Aé/);
  });

  it("JSON-LD nested a million deep, cut short, or repeated 50,000 times", () => {
    const deep = `<script type="application/ld+json">${"[".repeat(500_000)}${"]".repeat(500_000)}</script><h1>a</h1>`;
    const cut = `<script type="application/ld+json">{"@type":"Product","name":"Cut","a":${'{"b":'.repeat(150_000)}</script>`;
    const many = `<script type="application/ld+json">{"@type":"Product","name":"Many"}</script>`.repeat(
      50_000,
    );
    assert.equal(extractListing({ url, html: deep }).title, "a");
    assert.equal(extractListing({ url, html: cut }).title, "Cut");
    assert.equal(extractListing({ url, html: many }).title, "Many");
  });

  it("an unclosed comment, an unclosed script, and a page that is only a '<'", () => {
    assert.equal(extractListing({ url, html: `<h1>Before</h1><!-- ${"x".repeat(100_000)}` }).title, "Before");
    assert.equal(
      extractListing({ url, html: `<h1>Before</h1><script>${"x".repeat(100_000)}` }).title,
      "Before",
    );
    assert.equal(extractListing({ url, html: "<" }).title, undefined);
  });

  it("a page of 100,000 links gives at most the link cap, deduplicated", () => {
    const html = Array.from({ length: 100_000 }, (_, i) => `<a href="/item/${i % 20_000}">i</a>`).join("");
    const page = extractPage({ url: "https://hostile.example/search", html }, rules);
    assert.equal(page.links.listings.length, 10_000);
    assert.equal(new Set(page.links.listings).size, 10_000);
  });

  it("limitNesting leaves a page within the limit as the same string, and keeps scripts' text out of the body", () => {
    const page = "<html><body><div><p>a<p>b</div><script>if (a < b) x()</script></body></html>";
    assert.equal(limitNesting(page, 256).html, page);
    const deep = `${"<div>".repeat(10)}<script>var x = "<div>";</script>text${"</div>".repeat(10)}`;
    const limited = limitNesting(deep, 5);
    assert.equal(limited.dropped, 10);
    assert.match(limited.html, /<script>var x = "<div>";<\/script>text/);
  });

  it("never throws on random markup, and every field stays within its cap (fast-check)", () => {
    const fragment = fc.oneof(
      fc.constantFrom(
        "<div>",
        "</div>",
        "<p>",
        "<li>",
        "<table><tr><td>",
        "</td>",
        "<script>",
        "</script>",
        "<!--",
        "-->",
        '<meta property="og:title" content="',
        '<script type="application/ld+json">{"@type":"Product","name":"',
        '"offers":{"price":"1.234,5',
        "<h1>",
        "&amp;",
        "&#x1F418;",
        "&#99999999;",
        '<a href="javascript:alert(1)">',
        '<img src="//x.example/a.png">',
        "<span itemscope itemprop=offers itemtype=http://schema.org/Offer>",
        "<meta itemprop=price content=",
        "<base href=data:x>",
        "\u0000",
        "\ud800",
      ),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 60 }), (parts) => {
        const html = parts.join("");
        const listing = extractListing({ url, html, source: { fields: { price: "h1", images: "img" } } });
        assert.ok((listing.title?.length ?? 0) <= fieldLimits.title);
        assert.ok((listing.description?.length ?? 0) <= fieldLimits.description);
        for (const image of listing.imageUrls) assert.match(image, /^https?:\/\//);
        extractPage({ url, html }, rules);
      }),
      { numRuns: 2_000 },
    );
  });
});
