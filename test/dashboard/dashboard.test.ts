import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { dashboardCsp } from "../../src/api/dashboard-routes.ts";
import { hashPassword, totpCode } from "../../src/services/authentication.ts";
import {
  ingestAdverts,
  launchChromium,
  seedPeople,
  signInThroughForm,
  startDashboardServer,
  type DashboardServer,
  type Person,
} from "./dashboard-server.ts";

// The README's screenshot is taken again only when asked, so a test run leaves the working tree as it was.
const screenshotPath = process.env.UPDATE_SCREENSHOT
  ? path.join(import.meta.dirname, "..", "..", "docs", "dashboard-listing.png")
  : undefined;

const adverts = [
  {
    key: "parrot-1",
    url: "https://market.example/ads/parrot-1",
    title: "African grey parrot chicks, hand-reared",
    text:
      "Hand-reared African grey parrot (Psittacus erithacus) chicks for sale, 450 EUR each.\n" +
      "Also carved ivory bangles from an old collection. WhatsApp +33 6 12 34 56 78",
    seller: "birds_and_more",
    priceText: "€ 450",
    priceAmount: 450,
    priceCurrency: "EUR",
    language: "en",
    country: "FR",
  },
  {
    key: "pangolin-2",
    url: "https://market.example/ads/pangolin-2",
    title: "Pangolin scales, 1 kg",
    text: "Pangolin scales for sale, 1 kg, price 300 USD, contact on WhatsApp. Shipping worldwide.",
    seller: "trader88",
    priceText: "300 USD",
    priceAmount: 300,
    priceCurrency: "USD",
    language: "en",
    country: "GB",
  },
  {
    key: "tortoise-3",
    url: "https://market.example/ads/tortoise-3",
    title: "Tortue radiée (Astrochelys radiata) à vendre",
    text: "Tortue radiée Astrochelys radiata à vendre, jeune, 900 €. Livraison possible.",
    seller: "reptiles_fr",
    priceText: "900 €",
    priceAmount: 900,
    priceCurrency: "EUR",
    language: "fr",
    country: "FR",
  },
];

let server: DashboardServer;
let browser: Browser;
let analyst: Person;
let officer: Person;
let reviewer: Person;
let adminKey: string;
let organisationId: number;
let listingIds: number[];

before(async () => {
  server = await startDashboardServer();
  const seeded = await seedPeople(server.store, ["analyst", "platform_officer", "reviewer"]);
  analyst = seeded.people.analyst!;
  officer = seeded.people.platform_officer!;
  reviewer = seeded.people.reviewer!;
  adminKey = seeded.adminKey;
  organisationId = seeded.organisationId;
  listingIds = await ingestAdverts(server.store, seeded.organisationId, adverts, server.now());
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function signIn(person: Person): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-GB" });
  const page = await context.newPage();
  await page.goto(`${server.origin}/`);
  await signInThroughForm(page, server.store, person);
  await page.locator("nav.main-nav").waitFor();
  return { context, page };
}

async function apiGet<T>(url: string): Promise<T> {
  const response = await fetch(`${server.origin}${url}`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  const body = await response.text();
  assert.equal(response.status, 200, `${url}: ${body}`);
  return JSON.parse(body) as T;
}

test("the dashboard is served with its security headers; client routes get index.html, the API keeps its 404s", async () => {
  const home = await fetch(`${server.origin}/`);
  assert.equal(home.status, 200);
  const html = await home.text();
  for (const response of [home, await fetch(`${server.origin}/listings/12`)]) {
    assert.equal(response.headers.get("content-security-policy"), dashboardCsp);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("referrer-policy"), "no-referrer");
    assert.equal(response.headers.get("cross-origin-opener-policy"), "same-origin");
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
  }
  assert.match(dashboardCsp, /script-src 'self'; style-src 'self';/);
  assert.match(dashboardCsp, /report-uri \/v1\/csp-reports/);
  // Nothing inline that the policy would block: every script and style is a file.
  assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/i);
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
  const script = /<script[^>]*\ssrc="([^"]+)"/.exec(html)?.[1];
  assert.ok(script, "index.html loads its script from a file");
  const asset = await fetch(`${server.origin}${script}`);
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get("content-type") ?? "", /javascript/);
  assert.match(asset.headers.get("cache-control") ?? "", /immutable/);

  const unknownApi = await fetch(`${server.origin}/v1/no-such-route`);
  assert.equal(unknownApi.status, 404);
  assert.equal(((await unknownApi.json()) as { error: { code: string } }).error.code, "route_not_found");
  assert.equal((await fetch(`${server.origin}/assets/missing.js`)).status, 404);
});

test("signing in shows what the role allows: an analyst reviews, a platform officer does not", async () => {
  const { context, page } = await signIn(analyst);
  try {
    const nav = await page.locator("nav.main-nav a").allTextContents();
    assert.ok(nav.includes("Review") && nav.includes("Species"), `analyst navigation: ${nav.join(", ")}`);
    assert.equal(new URL(page.url()).pathname, "/review");
    const cookies = await context.cookies();
    const session = cookies.find((cookie) => cookie.name === "__Host-wildtrawl_session");
    assert.ok(session?.httpOnly && session.secure, "the session cookie is __Host-, HttpOnly and Secure");
  } finally {
    await context.close();
  }

  const officerView = await signIn(officer);
  try {
    const nav = await officerView.page.locator("nav.main-nav a").allTextContents();
    assert.ok(!nav.includes("Review"), `platform officer navigation: ${nav.join(", ")}`);
    assert.ok(nav.includes("Species"));
    await officerView.page.goto(`${server.origin}/review`);
    await officerView.page.getByRole("heading", { name: "Not available to your role" }).waitFor();
  } finally {
    await officerView.context.close();
  }
});

test("opened on a screen, the dashboard asks for the session and that screen's data once each, before Preact starts", async () => {
  const { context } = await signIn(analyst);
  try {
    for (const screen of [
      { path: "/review?assignee=none", ready: "table.queue tbody tr" },
      { path: "/statistics", ready: '.statistics[data-ready="true"]' },
    ]) {
      const page = await context.newPage();
      const asked: string[] = [];
      page.on("request", (request) => {
        const url = new URL(request.url());
        if (url.pathname.startsWith("/v1/")) asked.push(`${request.method()} ${url.pathname}${url.search}`);
      });
      await page.goto(`${server.origin}${screen.path}`);
      await page.locator(screen.ready).first().waitFor();
      const sessionChecks = asked.filter((request) => request === "GET /v1/session");
      assert.equal(sessionChecks.length, 1, `${screen.path}: ${asked.join(", ")}`);
      assert.equal(
        new Set(asked).size,
        asked.length,
        `${screen.path}: no request made twice: ${asked.join(", ")}`,
      );
      if (screen.path.startsWith("/review"))
        assert.deepEqual(
          asked.filter((request) => request.includes("/review-queue")),
          ["GET /v1/review-queue?assignee=none&limit=50"],
        );
      else assert.equal(asked.filter((request) => !request.endsWith("/session")).length, 4, asked.join(", "));
      await page.close();
    }
  } finally {
    await context.close();
  }

  // Signed out, the prefetched answers are 401s: the sign-in form shows (not "session expired"), and after signing
  // in the screen asks again and shows its data.
  const context2 = await browser.newContext();
  try {
    const page = await context2.newPage();
    await page.goto(`${server.origin}/review`);
    await page.getByLabel("E-mail").waitFor();
    assert.equal(await page.locator(".notice").count(), 0, "no message about an ended session");
    await signInThroughForm(page, server.store, analyst);
    await page.locator("table.queue tbody tr").first().waitFor();
  } finally {
    await context2.close();
  }
});

test("A7: a new person is walked through setting up an authenticator before the app opens, then needs its code", async () => {
  // As `wildtrawl admin user add` leaves them: a password, no authenticator.
  const email = "newcomer@ngo.example";
  const password = "kingfisher over the weir";
  const user = await server.store.users.create(
    { organisationId, email, displayName: "Sam Newcomer", role: "analyst" },
    "system:test",
  );
  await server.store.users.setPasswordHash(user.id, await hashPassword(password), "system:test");
  const context = await browser.newContext({ locale: "en-GB" });
  try {
    const page = await context.newPage();
    await page.goto(`${server.origin}/review`);
    await page.getByLabel("E-mail").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Set up two-step verification" }).waitFor();
    assert.equal(await page.locator("nav.main-nav").count(), 0, "nothing of the app before enrolment");
    const qr = page.getByRole("img", { name: "QR code for adding wildtrawl to an authenticator app" });
    await qr.waitFor();
    assert.ok((await qr.locator("path").getAttribute("d"))!.length > 1000, "the QR code is drawn");
    const uri = await page.locator("code.mfa-uri").textContent();
    assert.match(uri ?? "", /^otpauth:\/\/totp\/wildtrawl:newcomer%40ngo\.example\?/);
    const secret = await page.locator("code[data-secret]").getAttribute("data-secret");
    assert.match(secret ?? "", /^[A-Z2-7]{32}$/);
    assert.ok(uri?.includes(`secret=${secret}`), "the text key is the QR code's");
    // The API refuses this session everything else meanwhile.
    const refused = await page.evaluate(async () => (await fetch("/v1/listings")).status);
    assert.equal(refused, 403);

    const code = page.getByLabel("Code from the app");
    const right = totpCode(secret!, new Date());
    await code.fill(right === "000000" ? "111111" : "000000");
    await page.getByRole("button", { name: "Confirm and continue" }).click();
    await page.getByText("That code is not right.", { exact: false }).waitFor();
    await code.fill(totpCode(secret!, new Date()));
    await page.getByRole("button", { name: "Confirm and continue" }).click();
    await page.locator("section.review-queue[data-ready]").waitFor();
    assert.equal((await server.store.users.credentials(user.id))?.mfaSecret, secret);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Password").fill(password);
    await page.getByLabel("E-mail").fill(email);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Enter the one-time code from your authenticator app.").waitFor();
    assert.equal(await page.locator("nav.main-nav").count(), 0, "the password alone no longer opens the app");
  } finally {
    await context.close();
  }
});

test("the review queue is walked with the keyboard: move, help, note, verdict, open", async () => {
  const { context, page } = await signIn(analyst);
  try {
    await page.locator("section.review-queue[data-ready]").waitFor();
    const rows = page.locator("table.queue tbody tr");
    assert.equal(await rows.count(), adverts.length);
    const selectedId = () =>
      page.locator('table.queue tbody tr[aria-selected="true"]').getAttribute("data-listing-id");
    const first = await selectedId();
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    await page.keyboard.press("k");
    const second = await rows.nth(1).getAttribute("data-listing-id");
    assert.equal(await selectedId(), second);
    await page.keyboard.press("ArrowUp");
    assert.equal(await selectedId(), first);

    await page.keyboard.press("?");
    await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "hidden" });

    // n goes to the note; keys typed there are text, Escape leaves it; then 1 gives "illegal offer".
    await page.keyboard.press("n");
    await page.keyboard.type("Seller offers 1 kg j k 2");
    await page.keyboard.press("Escape");
    await page.keyboard.press("1");
    await page.getByText(`Verdict “Illegal offer” recorded for listing ${first}.`).waitFor();
    assert.equal(await rows.count(), adverts.length - 1);
    const reviews = await apiGet<{ items: { verdict: string; note: string | null }[] }>(
      `/v1/listings/${first}/reviews`,
    );
    assert.deepEqual(
      reviews.items.map((review) => [review.verdict, review.note]),
      [["illegal_offer", "Seller offers 1 kg j k 2"]],
    );

    const next = await selectedId();
    await page.keyboard.press("Enter");
    await page.waitForURL(`${server.origin}/listings/${next}`);
    await page.locator("section.listing-view[data-ready] article.advert").waitFor();
  } finally {
    await context.close();
  }
});

test("the listing view shows the advert as text with every matched term highlighted and explained", async () => {
  const { context, page } = await signIn(analyst);
  try {
    const parrot = listingIds[0]!;
    await page.goto(`${server.origin}/listings/${parrot}`);
    const marks = page.locator("article.advert mark.term");
    await marks.first().waitFor();
    const marked = await marks.allTextContents();
    for (const term of ["Psittacus erithacus", "ivory", "for sale"])
      assert.ok(marked.includes(term), `"${term}" is highlighted (marked: ${marked.join(" | ")})`);
    // The text around the marks is all there, in order: highlighting added no character and lost none.
    assert.equal(await page.locator("p.advert-text").textContent(), adverts[0]!.text);

    await page.locator("article.advert mark.term", { hasText: "Psittacus erithacus" }).focus();
    const explanation = await page.getByTestId("term-explanation").textContent();
    assert.match(explanation ?? "", /“Psittacus erithacus” read as “Psittacus erithacus” \(scientific\)/);

    const taxa = await page.locator("#taxa-title + ul").textContent();
    assert.match(taxa ?? "", /Psittacus erithacus.*Appendix I/);
    assert.match((await page.locator('[data-field="price"]').textContent()) ?? "", /€ 450/);
    assert.equal(await page.locator('[data-field="url"] a').getAttribute("href"), adverts[0]!.url);
    await page.locator("article.advert").hover({ position: { x: 5, y: 5 } });
    const shot = await page.screenshot({
      ...(screenshotPath ? { path: screenshotPath } : {}),
      fullPage: false,
    });
    assert.ok(shot.byteLength > 10_000, "the listing view renders");
  } finally {
    await context.close();
  }
});

test("the language is the user's choice, kept across visits", async () => {
  const { context, page } = await signIn(analyst);
  try {
    await page.getByRole("combobox", { name: "Language" }).selectOption("fr");
    await page.locator("nav.main-nav a", { hasText: "Vérification" }).waitFor();
    await page.reload();
    await page.locator("nav.main-nav a", { hasText: "Vérification" }).waitFor();
    assert.equal(await page.evaluate("document.documentElement.lang"), "fr");
    await page.getByRole("combobox", { name: "Langue" }).selectOption("es");
    await page.getByRole("button", { name: "Cerrar sesión" }).waitFor();
  } finally {
    await context.close();
  }
});

test("the species browser finds a taxon by a name in another language and shows what was found of it", async () => {
  const { context, page } = await signIn(analyst);
  try {
    await page.locator("nav.main-nav a", { hasText: "Species" }).click();
    await page.getByRole("searchbox").fill("perroquet gris");
    await page.keyboard.press("Enter");
    const hit = page.locator("ul.results a", { hasText: "Psittacus erithacus" });
    await hit.first().click();
    await page.getByRole("heading", { name: "Psittacus erithacus", level: 1 }).waitFor();
    assert.match((await page.locator(".screen-header").textContent()) ?? "", /Appendix I/);
    const found = page.locator("table a", { hasText: adverts[0]!.title });
    await found.waitFor();
    await found.click();
    await page.waitForURL(`${server.origin}/listings/${listingIds[0]}`);
  } finally {
    await context.close();
  }
});

test("A8: when the account is disabled, the next request ends the session and the sign-in form says so", async () => {
  const { context, page } = await signIn(reviewer);
  try {
    await page.locator("section.review-queue[data-ready]").waitFor();
    const disabled = await fetch(`${server.origin}/v1/users/${reviewer.id}/disable`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(disabled.status, 200, await disabled.text());
    await page.locator("nav.main-nav a", { hasText: "Species" }).click();
    await page.getByRole("searchbox").fill("pangolin");
    await page.keyboard.press("Enter");
    await page.getByText("Your session has ended. Please sign in again.").waitFor();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === "__Host-wildtrawl_session");
    const replay = await fetch(`${server.origin}/v1/session`, {
      headers: { cookie: `${cookie?.name}=${cookie?.value}` },
    });
    assert.equal(replay.status, 401, "the old cookie is refused at once");
  } finally {
    await context.close();
  }
});

test("a takedown notice is drafted from the listing view once the listing is judged an illegal offer", async () => {
  const { context, page } = await signIn(analyst);
  try {
    // A listing of its own, so that no other test has judged it yet.
    const [pangolin] = await ingestAdverts(
      server.store,
      organisationId,
      [{ ...adverts[1]!, key: "pangolin-takedown", url: "https://market.example/ads/pangolin-takedown" }],
      server.now(),
    );
    await page.goto(`${server.origin}/listings/${pangolin}`);
    const draft = page.getByRole("button", { name: "Draft a takedown notice" });
    await draft.click();
    // The API refuses a notice for a listing nobody has judged yet, and the view says why.
    await page
      .getByRole("alert")
      .getByText(/latest review verdict is missing/)
      .waitFor();
    await page.locator("[data-complete]").waitFor();
    await page.keyboard.press("1");
    await page.getByText(`Verdict “Illegal offer” recorded for listing ${pangolin}.`).waitFor();
    // Notices go to a platform the organisation has described: the fixture market.
    const platform = await fetch(`${server.origin}/v1/platforms`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        slug: "fixture-market",
        name: "Fixture market",
        channels: { email: "abuse@market.example" },
      }),
    });
    assert.equal(platform.status, 201, await platform.text());
    await draft.click();
    await page.getByText("Takedown notice drafted.").waitFor();
    assert.equal(await page.getByRole("alert").count(), 0, "the earlier refusal is gone");
    const takedowns = await apiGet<{
      items: { listingIds?: number[]; listings?: { listingId: number }[] }[];
    }>("/v1/takedowns");
    assert.ok(JSON.stringify(takedowns).includes(String(pangolin)), JSON.stringify(takedowns).slice(0, 400));
  } finally {
    await context.close();
  }
});
