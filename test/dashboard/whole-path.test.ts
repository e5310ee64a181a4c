// The whole path an analyst walks, in headless Chromium against the real API, the built dashboard and the fixture
// web on 127.0.0.1: sign in, run a trawl from the Sources screen, review a flagged listing, capture its evidence
// and export the package, draft a takedown notice, and see the offer and the notice in the statistics.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createApi, type ApiApp } from "../../src/api/create-api.ts";
import { serveDashboard } from "../../src/api/dashboard-routes.ts";
import { loadReference } from "../../src/api/testing/api-fixture.ts";
import { verifyPackage } from "../../src/evidence/package-verify.ts";
import { platformSlugOf } from "../../src/services/takedowns.ts";
import type { JsonObject } from "../../src/storage/records.ts";
import { openStore } from "../../src/storage/open-store.ts";
import type { Store } from "../../src/storage/store.ts";
import { loadFixtureSource } from "../fixtures/web/fixture-sources.ts";
import { startFixtureWeb, type FixtureWeb } from "../fixtures/web/server.ts";
import {
  dashboardDist,
  launchChromium,
  seedPeople,
  signInThroughForm,
  type Person,
} from "./dashboard-server.ts";

let dir: string;
let store: Store;
let app: ApiApp;
let web: FixtureWeb;
let browser: Browser;
let origin: string;
let analyst: Person;
let sourceId: number;
const problems: string[] = [];

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "wildtrawl-whole-path-"));
  const [reference, distDir] = await Promise.all([loadReference(), dashboardDist()]);
  store = await openStore(path.join(dir, "wildtrawl.db"));
  const seeded = await seedPeople(store, ["analyst"]);
  analyst = seeded.people.analyst!;

  web = await startFixtureWeb({ port: 0 });
  const shop = await loadFixtureSource("shop", web.origin());
  const source = await store.sources.upsert({
    organisationId: seeded.organisationId,
    slug: shop.id,
    name: shop.name,
    platform: shop.platform.name,
    baseUrl: shop.seeds[0] ?? null,
    config: JSON.parse(JSON.stringify(shop)) as JsonObject,
  });
  sourceId = source.id;
  // Where notices for this marketplace go: without a profile a takedown cannot be drafted.
  await store.platforms.create(
    {
      organisationId: seeded.organisationId,
      slug: platformSlugOf(shop.platform.name),
      name: shop.platform.name,
      channels: { email: "abuse@shop.example" },
    },
    "system:test",
  );

  app = createApi({
    store,
    ...reference,
    clock: () => new Date(),
    version: "test",
    operations: {
      dataDir: path.join(dir, "data"),
      warcDir: path.join(dir, "warc"),
      chromiumPath: process.env.WILDTRAWL_CHROMIUM ?? "/usr/bin/chromium",
      visitOptions: { maxSearchQueries: 0 },
    },
  });
  await serveDashboard(app, { distDir });
  origin = await app.listen({ host: "127.0.0.1", port: 0 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await app?.close();
  await store?.close();
  await web?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function signedIn(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: origin, acceptDownloads: true, locale: "en-GB" });
  const page = await context.newPage();
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  await page.goto("/");
  await signInThroughForm(page, store, analyst);
  await page.locator("nav.main-nav").waitFor();
  return { context, page };
}

/** Polls until `check` holds, for at most a minute: a trawl over the fixture web takes seconds. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; tries < 240; tries++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.fail(`${what} never happened`);
}

test("sign in, trawl, review, capture and export, draft a takedown, see it in the statistics", async () => {
  const { context, page } = await signedIn();
  try {
    // Trawl: started and stopped from the Sources screen once a few offers are flagged.
    await page.goto(`/sources?source=${sourceId}`);
    await page.getByRole("button", { name: "Start a run" }).click();
    await eventually("three flagged offers", async () => {
      const flagged = await page.locator('[data-figure="flagged"]').textContent();
      return Number(flagged?.replace(/\D/g, "")) >= 3;
    });
    await page.getByRole("button", { name: "Stop the run" }).click();
    await page.waitForSelector('.run-progress[data-run-state="cancelled"]', { timeout: 60_000 });

    // Review: the queue lists what the trawl flagged; open the first and judge it an illegal offer.
    await page.locator("nav.main-nav").getByRole("link", { name: "Review" }).click();
    const first = page.locator("[data-listing-id]").first();
    await first.waitFor();
    const listingId = Number(await first.getAttribute("data-listing-id"));
    await first.locator("td").first().click();
    await page.keyboard.press("Enter");
    await page.waitForURL(`**/listings/${listingId}`);
    await page.locator("article.advert mark.term").first().waitFor();
    await page.getByRole("button", { name: "Illegal offer" }).click();
    await eventually("the verdict stored", async () => {
      const reviews = await context.request.get(`/v1/listings/${listingId}/reviews`);
      const items = ((await reviews.json()) as { items: Array<{ verdict: string }> }).items;
      return items.some((review) => review.verdict === "illegal_offer");
    });

    // Evidence: captured through Chromium from the fixture web, then exported as a package that verifies.
    await page.getByRole("button", { name: "Capture evidence" }).click();
    await page.getByRole("status").filter({ hasText: "Evidence captured" }).waitFor({ timeout: 90_000 });
    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: "Export evidence package" }).click();
    const zip = path.join(dir, "package.zip");
    await (await download).saveAs(zip);
    const verified = await verifyPackage(zip);
    assert.equal(verified.ok, true, JSON.stringify(verified));
    assert.ok((await readFile(zip)).byteLength > 1_000);

    // Takedown: drafted from the listing view, then listed on the Takedowns screen as a draft.
    await page.getByRole("button", { name: "Draft a takedown notice" }).click();
    await page.getByRole("status").filter({ hasText: "drafted" }).waitFor();
    await page.locator("nav.main-nav").getByRole("link", { name: "Takedowns" }).click();
    await page.waitForSelector("[data-ready=true]");
    const drafted = page.locator('[data-notice-id][data-state="draft"]');
    assert.ok((await drafted.count()) >= 1, "the drafted notice is waiting to be sent");

    // Statistics: the flagged offers of the trawl are counted.
    await page.locator("nav.main-nav").getByRole("link", { name: "Statistics" }).click();
    await page.waitForSelector("[data-ready=true]");
    const bars = page.locator('[data-chart="offers-totals"] [data-key]');
    assert.ok((await bars.count()) >= 1, "the offers found appear in the totals");
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
