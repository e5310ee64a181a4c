import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { classifyPage } from "./classify-page.ts";
import { extractLinks } from "./extract-links.ts";
import { extractPage } from "./extract-page.ts";
import type { LinkRules } from "./extraction-rules.ts";

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/pages/${name}`, import.meta.url), "utf8");

const ebay: LinkRules = {
  allowedHosts: ["www.ebay.example"],
  listings: { patterns: ["^/itm/\\d+"] },
  pagination: { patterns: ["^/sch/i\\.html\\?.*_pgn=\\d+"] },
  index: { patterns: ["^/sch/"] },
};
const phpbb: LinkRules = {
  allowedHosts: ["forum.tortoise.example"],
  listings: { selectors: ["a.topictitle"] },
  pagination: { selectors: [".action-bar .pagination a"] },
  ignoreParameters: ["sid"],
};

describe("extractLinks", () => {
  it("finds listings and further pages by URL pattern: absolute, deduplicated, own hosts, http(s) only", () => {
    const links = extractLinks(
      {
        url: "https://www.ebay.example/sch/i.html?_nkw=netsuke+elephant&_pgn=1",
        html: fixture("ebay-search.en.html"),
      },
      ebay,
    );
    assert.deepEqual(links, {
      // The same item twice (once with a fragment and tracking), a relative link; no other hosts, no mailto:.
      listings: [
        "https://www.ebay.example/itm/186012345678?hash=item2b4f0c1a2e:g:AbCdEf",
        "https://www.ebay.example/itm/186099887766",
      ],
      // Page 1 is the page itself; <link rel=next> and the "Next" button are page 2 again.
      pagination: [
        "https://www.ebay.example/sch/i.html?_nkw=netsuke+elephant&_pgn=2",
        "https://www.ebay.example/sch/i.html?_nkw=netsuke+elephant&_pgn=3",
      ],
    });
  });

  it("finds them by selector, resolving ./relative links and dropping the session parameter", () => {
    const links = extractLinks(
      { url: "https://forum.tortoise.example/viewforum.php?f=14", html: fixture("phpbb-forum.en.html") },
      phpbb,
    );
    assert.deepEqual(links, {
      listings: [
        "https://forum.tortoise.example/viewtopic.php?t=8812",
        "https://forum.tortoise.example/viewtopic.php?t=8790",
        "https://forum.tortoise.example/viewtopic.php?t=8775",
      ],
      pagination: [
        "https://forum.tortoise.example/viewforum.php?f=14&start=25",
        "https://forum.tortoise.example/viewforum.php?f=14&start=50",
      ],
    });
  });

  it("takes the links inside a selected card, and wildcard hosts", () => {
    const html = `<div class="card"><a href="https://m.shop.example/p/1">one</a></div>
      <div class="card"><a href="https://shop.example/p/2">apex</a><a href="https://evil.example/p/3">x</a></div>`;
    const links = extractLinks(
      { url: "https://www.shop.example/", html },
      { allowedHosts: ["*.shop.example"], listings: { selectors: [".card"] } },
    );
    assert.deepEqual(links.listings, ["https://m.shop.example/p/1"]);
  });
});

describe("classifyPage", () => {
  const page = (file: string, url = "https://www.ebay.example/itm/1") => ({ url, html: fixture(file) });

  it("recognises removal notices in several languages", () => {
    for (const file of ["ebay-ended.en.html", "craigslist-deleted.en.html", "shopee-removed.vi.html"]) {
      assert.equal(classifyPage(page(file)).kind, "removed", file);
    }
    assert.match(classifyPage(page("ebay-ended.en.html")).reason, /no longer available/);
  });

  it("treats 404 and 410 as removed, and a listing redirected to search as removed", () => {
    assert.deepEqual(classifyPage({ ...page("ebay-item.en.html"), status: 410 }), {
      kind: "removed",
      reason: "HTTP 410",
    });
    const redirected = classifyPage(
      {
        url: "https://www.ebay.example/sch/i.html?_nkw=netsuke",
        requestedUrl: "https://www.ebay.example/itm/186099887766",
        html: fixture("ebay-search.en.html"),
      },
      { links: ebay },
    );
    assert.equal(redirected.kind, "removed");
  });

  it("uses the source's own removal markers and phrases", () => {
    const html = `<html><body><h1>Kakatua</h1><div class="state-x">Iklan ini sudah laku</div></body></html>`;
    assert.equal(classifyPage({ url: "https://x.example/1", html }).kind, "other");
    assert.equal(
      classifyPage(
        { url: "https://x.example/1", html },
        { extraction: { removed: { phrases: ["sudah laku"] } } },
      ).kind,
      "other",
      "phrases are looked for in titles, headings and notices only",
    );
    assert.equal(
      classifyPage(
        { url: "https://x.example/1", html },
        { extraction: { removed: { selectors: [".state-x"] } } },
      ).kind,
      "removed",
    );
  });

  it("tells listings from index pages by URL, by structured data, and by their links", () => {
    assert.equal(classifyPage(page("ebay-item.en.html")).kind, "listing");
    assert.equal(classifyPage(page("discourse-topic.pt.html")).kind, "listing");
    assert.equal(
      classifyPage(
        { url: "https://www.ebay.example/sch/i.html?_nkw=x&_pgn=1", html: fixture("ebay-search.en.html") },
        { links: ebay },
      ).kind,
      "index",
    );
    assert.equal(
      classifyPage(
        { url: "https://forum.tortoise.example/viewforum.php?f=14", html: fixture("phpbb-forum.en.html") },
        { links: phpbb },
      ).kind,
      "index",
    );
    assert.equal(classifyPage({ url: "https://x.example/about", html: "<h1>About us</h1>" }).kind, "other");
  });

  it("extractPage does all three from one parse, and extracts only listings", () => {
    const listing = extractPage(
      { url: "https://www.ebay.example/itm/186012345678", html: fixture("ebay-item.en.html") },
      { links: ebay },
    );
    assert.equal(listing.classification.kind, "listing");
    assert.equal(listing.listing?.title, "Antique Japanese Netsuke Carved Elephant Figure 19th C");
    const index = extractPage(
      { url: "https://www.ebay.example/sch/i.html?_nkw=x&_pgn=1", html: fixture("ebay-search.en.html") },
      { links: ebay },
    );
    assert.equal(index.classification.kind, "index");
    assert.equal(index.listing, undefined);
    assert.equal(index.links.listings.length, 2);
  });
});
