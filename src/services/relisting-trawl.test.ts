import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { loadFixtureSource } from "../../test/fixtures/web/fixture-sources.ts";
import { startFixtureWeb, type FixtureWeb } from "../../test/fixtures/web/server.ts";
import { sites } from "../../test/fixtures/web/generate.ts";
import { defaultDetectionModelPath, defaultLexiconDir, defaultReferenceDataPath } from "../config.ts";
import { loadLexicon } from "../reference/load-lexicon.ts";
import { readDetectionModel } from "../reference/load-model.ts";
import { loadSpeciesIndex } from "../reference/reference-file.ts";
import { openStore } from "../storage/open-store.ts";
import type { Store } from "../storage/store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { createRelistingService } from "./relisting.ts";
import { createTrawlingService } from "./trawling.ts";

describe("re-listing detection after a trawl", () => {
  let web: FixtureWeb;
  let store: Store;
  let warcDir: string;
  let drop: () => Promise<void>;

  before(async () => {
    web = await startFixtureWeb({ port: 0, slowPageDelayMs: 0 });
    const database = await newSqliteDatabase();
    drop = database.drop;
    store = await openStore(database.url);
    warcDir = await mkdtemp(path.join(tmpdir(), "wildtrawl-relisting-warc-"));
  });
  after(async () => {
    await store?.close();
    await web?.close();
    await drop?.();
    if (warcDir) await rm(warcDir, { recursive: true, force: true });
  });

  it("fingerprints every listing the run added, through the trawl's hook", async () => {
    const species = await loadSpeciesIndex(defaultReferenceDataPath);
    const [lexicon, model] = await Promise.all([
      loadLexicon(species, defaultLexiconDir),
      readDetectionModel(defaultDetectionModelPath),
    ]);
    const relistings = createRelistingService({ store });
    const checked: number[][] = [];
    const trawling = createTrawlingService({
      store,
      lexicon,
      model,
      now: () => new Date(),
      warcDirectory: warcDir,
      userAgent: "wildtrawl-test/1.0",
      software: "wildtrawl/test",
      checkRelistings: async (listingIds) => {
        checked.push([...listingIds]);
        return relistings.checkRelistings(listingIds);
      },
    });
    const source = await loadFixtureSource(sites[0]!, web.origin());
    // Index pages come first: enough pages to reach listings past them.
    const summary = await trawling.trawl({ sources: [source], maxPages: 80, maxSearchQueries: 1 });
    assert.equal(checked.length, 1, "one check after the pages are worked");
    const stored = (await store.listings.search({ limit: 500 })).items.map((listing) => listing.id);
    assert.ok(stored.length > 0 && stored.length === summary.listings);
    assert.deepEqual(
      [...checked[0]!].sort((a, b) => a - b),
      [...stored].sort((a, b) => a - b),
    );
    for (const id of stored) assert.ok(await store.relistings.fingerprint(id), `listing ${id} fingerprinted`);
  });
});
