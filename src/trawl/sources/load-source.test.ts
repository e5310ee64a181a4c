import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidInputError } from "../../core/errors.ts";
import { parseSource, pathSegments } from "./load-source.ts";
import { searchQueries } from "./search-queries.ts";
import { validateSource } from "./validate-source.ts";

const minimal = `
id: reptile-bazaar
platform: { name: Reptile Bazaar, country: th }
languages: [th]
context: listing
allowedHosts: [www.reptiles.example, "*.img.reptiles.example"]
search: ["https://www.reptiles.example/search?q={query}&sort=new"]
links:
  listings: { patterns: ["^/item/\\\\d+"], selectors: ["a.item-card"] }
`;

describe("loadSource", () => {
  it("fills defaults and normalises: name, politeness, revisit, links.allowedHosts, a single language", () => {
    const source = parseSource(minimal, "reptiles.yaml");
    assert.deepEqual(source, {
      id: "reptile-bazaar",
      name: "Reptile Bazaar",
      platform: { name: "Reptile Bazaar", country: "TH" },
      languages: ["th"],
      context: "listing",
      seeds: [],
      search: ["https://www.reptiles.example/search?q={query}&sort=new"],
      allowedHosts: ["www.reptiles.example", "*.img.reptiles.example"],
      links: {
        allowedHosts: ["www.reptiles.example", "*.img.reptiles.example"],
        listings: { patterns: ["^/item/\\d+"], selectors: ["a.item-card"] },
      },
      extraction: { language: "th" },
      politeness: { requestsPerSecondPerHost: 1, maxConcurrentPerHost: 2 },
      revisitIntervalMs: 7 * 86_400_000,
      allowPrivateNetwork: false,
    });
    assert.ok(Object.isFrozen(source.links.allowedHosts), "the loaded declaration is frozen");
  });

  it("reads JSON too, and every way of writing a field rule", () => {
    const json = JSON.stringify({
      id: "shop",
      platform: { name: "Shop", country: "VN" },
      languages: ["vi", "en"],
      context: "listing",
      allowedHosts: ["shop.example"],
      seeds: "https://shop.example/",
      links: { listings: { patterns: ["/p/"] } },
      extraction: {
        fields: {
          title: "h1",
          price: [".price-now", ".price"],
          images: { selector: ".gallery img", attribute: "data-zoom" },
          sellerId: { selectors: ["a.shop@href"], pattern: "/shop/(\\w+)" },
        },
        preferSelectors: ["description"],
        currency: "vnd",
      },
      revisitEvery: "12h",
      politeness: {
        requestsPerSecondPerHost: 0.5,
        maxConcurrentPerHost: 1,
        userAgent: "wildtrawl/1.0 (+https://x.example)",
      },
    });
    const source = parseSource(json, "shop.json");
    assert.deepEqual(source.extraction, {
      fields: {
        title: { selectors: ["h1"] },
        price: { selectors: [".price-now", ".price"] },
        images: { selectors: [".gallery img"], attribute: "data-zoom" },
        sellerId: { selectors: ["a.shop@href"], pattern: "/shop/(\\w+)" },
      },
      preferSelectors: ["description"],
      currency: "VND",
    });
    assert.deepEqual(source.seeds, ["https://shop.example/"]);
    assert.equal(source.revisitIntervalMs, 12 * 3_600_000);
    assert.equal(source.politeness.userAgent, "wildtrawl/1.0 (+https://x.example)");
  });

  it("names the line and path of each problem", () => {
    const text = minimal.replace("country: th", "country: thailand").replace("^/item/\\\\d+", "^/item/(");
    try {
      parseSource(text, "reptiles.yaml");
      assert.fail("expected problems");
    } catch (error) {
      assert.ok(error instanceof InvalidInputError);
      assert.equal(error.code, "source_invalid");
      assert.deepEqual(
        error.problems.map((problem) => [problem.line, problem.message.split(":")[0]]),
        [
          [3, "platform.country"],
          [9, "links.listings.patterns[0]"],
        ],
      );
    }
  });

  it("refuses a pattern that can backtrack catastrophically, saying on what text (H3), and keeps linear ones", () => {
    const withPatterns = (listing: string, sellerId: string) => ({
      id: "x",
      platform: { name: "X", country: "GB" },
      languages: ["en"],
      context: "listing",
      allowedHosts: ["x.example"],
      seeds: ["https://x.example/"],
      links: { listings: { patterns: [listing] } },
      extraction: { fields: { sellerId: { selectors: ["a.shop@href"], pattern: sellerId } } },
    });
    const { problems } = validateSource(withPatterns(String.raw`^/item/(\w+-?)*$`, String.raw`(\d+)\s*\s*$`));
    assert.deepEqual(
      problems.map((problem) => problem.path),
      ["links.listings.patterns[0]", "extraction.fields.sellerId.pattern"],
    );
    assert.match(problems[0]!.message, /can backtrack catastrophically \(exponential\) on text such as '/);
    assert.match(problems[1]!.message, /can backtrack catastrophically \(3rd degree polynomial\)/);

    // Linear, and quadratic (every unanchored "(\d+)$" is) on the capped field: both let through.
    const bounded = validateSource(withPatterns(String.raw`^/item/[\w-]+$`, String.raw`(\d+)\s*$`));
    assert.deepEqual(bounded.problems, []);
  });

  it("refuses a search template without {query}, hosts with ports or schemes, and a source with nowhere to start", () => {
    const { problems } = validateSource({
      id: "x",
      platform: { name: "X", country: "GB" },
      languages: ["en"],
      context: "post",
      allowedHosts: ["https://x.example", "x.example:8080"],
      links: { listings: {} },
    });
    assert.deepEqual(
      problems.map((problem) => problem.path),
      ["allowedHosts[0]", "allowedHosts[1]", "seeds", "links.listings"],
    );
  });

  it("splits field paths into the segments YAML looks up", () => {
    assert.deepEqual(pathSegments("extraction.fields.price[1]"), ["extraction", "fields", "price", 1]);
    assert.deepEqual(pathSegments("seeds[0]"), ["seeds", 0]);
  });
});

describe("searchQueries", () => {
  const source = {
    search: ["https://s.example/q?k={query}", "https://s.example/c/all?search={query}&p=1"],
    languages: ["vi", "en"],
  };

  it("fills every template with every term, URL-encoded, each URL once", () => {
    assert.deepEqual(
      searchQueries(source, ["vảy tê tê", "ivory & bone", "vảy  tê tê ", ""]).map((query) => query.url),
      [
        "https://s.example/q?k=v%E1%BA%A3y%20t%C3%AA%20t%C3%AA",
        "https://s.example/c/all?search=v%E1%BA%A3y%20t%C3%AA%20t%C3%AA&p=1",
        "https://s.example/q?k=ivory%20%26%20bone",
        "https://s.example/c/all?search=ivory%20%26%20bone&p=1",
      ],
    );
  });

  it("skips terms in languages the source does not use", () => {
    const queries = searchQueries(source, [
      { text: "ngà voi", language: "vi" },
      { text: "象牙", language: "zh" },
      { text: "ivory", language: "en-GB" },
    ]);
    assert.deepEqual([...new Set(queries.map((query) => query.query))], ["ngà voi", "ivory"]);
  });
});
