import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { defaultDetectionModelPath, defaultLexiconDir, defaultReferenceDataPath } from "../config.ts";
import { loadLexicon } from "../reference/load-lexicon.ts";
import { readDetectionModel } from "../reference/load-model.ts";
import { loadSpeciesIndex } from "../reference/reference-file.ts";
import { analysePage, type PageAnalysisRequest } from "./page-analysis.ts";
import { createPageAnalysisPool, PageAnalysisError, type PageAnalysisPool } from "./page-analysis-pool.ts";

const paths = {
  referenceDataPath: defaultReferenceDataPath,
  lexiconDir: defaultLexiconDir,
  detectionModelPath: defaultDetectionModelPath,
};

function request(url: string, html: string): PageAnalysisRequest {
  return {
    page: { url, html, status: 200 },
    rules: { links: { allowedHosts: ["shop.example"] } },
    advert: { site: "Example shop", context: "listing", language: "en" },
  };
}

const listingPage = `<!doctype html><html lang="en"><head><title>Carved ivory bangle</title>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Product","name":"Antique carved ivory bangle",
"description":"Heavy old ivory bangle from my grandfather, real elephant ivory. £180, can post.",
"offers":{"@type":"Offer","price":"180","priceCurrency":"GBP"}}</script></head>
<body><h1>Antique carved ivory bangle</h1><p>Heavy old ivory bangle, real elephant ivory. £180, can post.</p></body></html>`;

// 150,000 links, each resolved, normalised and checked against the source's hosts: within the parser's limits, yet
// seconds of work (about 2 s of CPU here), where a real page takes milliseconds.
const hostilePage = `<html><body>${Array.from({ length: 150_000 }, (_, i) => `<a href="/item/${i}">x</a>`).join("")}</body></html>`;

describe("page analysis in worker threads (RELIABILITY H3)", () => {
  let pool: PageAnalysisPool;
  before(() => {
    pool = createPageAnalysisPool({ ...paths, workers: 1, pageTimeoutMs: 300 });
  });
  after(async () => {
    await pool.close();
  });

  it("is ready once its worker has loaded", async () => {
    await pool.ready();
  });

  it("gives the same analysis as the trawler's own thread", async () => {
    const species = await loadSpeciesIndex(defaultReferenceDataPath);
    const [lexicon, model] = await Promise.all([
      loadLexicon(species, defaultLexiconDir),
      readDetectionModel(defaultDetectionModelPath),
    ]);
    const page = request("https://shop.example/item/1", listingPage);
    const inWorker = await pool.analyse(page);
    assert.deepEqual(inWorker, analysePage(page, { lexicon, model }));
    assert.equal(inWorker.detection?.verdict, "offer");
  });

  it("fails a page that runs past its time with analysis_timeout, and goes on with the next page", async () => {
    const [hostile, next] = await Promise.allSettled([
      pool.analyse(request("https://shop.example/item/bomb", hostilePage)),
      pool.analyse(request("https://shop.example/item/2", listingPage)),
    ]);
    assert.equal(hostile.status, "rejected");
    assert.ok(hostile.reason instanceof PageAnalysisError);
    assert.equal(hostile.reason.code, "analysis_timeout");
    assert.match(hostile.reason.message, /item\/bomb/);
    assert.equal(next.status, "fulfilled", "the page queued behind it is analysed by the replacement worker");
    assert.equal(next.value.page.classification.kind, "listing");
    assert.equal(pool.replacedWorkers(), 1);
  });

  it("analyses the real marketplace fixtures like the trawler's own thread would", async () => {
    for (const name of ["ebay-item.en.html", "craigslist-deleted.en.html"]) {
      const html = await readFile(new URL(`../../test/fixtures/pages/${name}`, import.meta.url), "utf8");
      const analysis = await pool.analyse(request(`https://shop.example/${name}`, html));
      assert.ok(analysis.page.classification.kind, name);
    }
  });

  it("says so when the workers cannot load what detection needs", async () => {
    const broken = createPageAnalysisPool({ ...paths, lexiconDir: "/nonexistent/lexicon" });
    try {
      await assert.rejects(
        broken.ready(),
        (error: unknown) => error instanceof PageAnalysisError && error.code === "analysis_unavailable",
      );
      await assert.rejects(
        broken.analyse(request("https://shop.example/item/3", listingPage)),
        (error: unknown) => error instanceof PageAnalysisError && error.code === "analysis_unavailable",
      );
    } finally {
      await broken.close();
    }
  });
});
