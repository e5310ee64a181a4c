import { mkdtemp, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Secret } from "otpauth";
import { chromium, type Browser, type Page } from "playwright-core";
import { createApi, type ApiApp } from "../../src/api/create-api.ts";
import { serveDashboard } from "../../src/api/dashboard-routes.ts";
import { loadReference } from "../../src/api/testing/api-fixture.ts";
import { detect } from "../../src/core/detect/detect.ts";
import { hashPassword, totpCode } from "../../src/services/authentication.ts";
import { keyScopes, type ApiRole } from "../../src/services/access.ts";
import { toDetectionInput } from "../../src/storage/detection-input.ts";
import { openStore } from "../../src/storage/open-store.ts";
import type { Store } from "../../src/storage/store.ts";
import { newSqliteDatabase } from "../../src/storage/testing/test-databases.ts";

/** The dashboard's browser tests: a built dashboard, an API over a fresh SQLite database, and Chromium. */

const webRoot = path.join(import.meta.dirname, "..", "..", "web");
const builtDist = path.join(webRoot, "dist");

async function newestSourceMs(): Promise<number> {
  let newest = 0;
  const visit = async (file: string) => {
    newest = Math.max(newest, (await stat(file)).mtimeMs);
  };
  for (const entry of await readdir(path.join(webRoot, "src"), { recursive: true }))
    await visit(path.join(webRoot, "src", entry));
  for (const file of ["index.html", "vite.config.ts"]) await visit(path.join(webRoot, file));
  return newest;
}

let dist: Promise<string> | undefined;

/**
 * web/dist when it is newer than every source file; otherwise a fresh build in a temporary folder (so tests never
 * race each other, or a developer's build, over web/dist).
 */
export function dashboardDist(): Promise<string> {
  return (dist ??= (async () => {
    const built = await stat(path.join(builtDist, "index.html")).catch(() => null);
    if (built && built.mtimeMs > (await newestSourceMs())) return builtDist;
    const outDir = await mkdtemp(path.join(tmpdir(), "wildtrawl-dashboard-"));
    const vite = await import("vite");
    await vite.build({ root: webRoot, logLevel: "warn", build: { outDir, emptyOutDir: true } });
    return outDir;
  })());
}

export interface DashboardServer {
  readonly app: ApiApp;
  readonly store: Store;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  now(): Date;
  close(): Promise<void>;
}

/** The API with the dashboard, listening on 127.0.0.1 over a fresh database, with a clock the test can read. */
export async function startDashboardServer(): Promise<DashboardServer> {
  const [reference, distDir] = await Promise.all([loadReference(), dashboardDist()]);
  const database = await newSqliteDatabase();
  // The real clock: sessions and CSP report windows run on it while the browser works.
  const clock = () => new Date();
  const store = await openStore(database.url, { clock });
  const app = createApi({ store, ...reference, clock, version: "test", limits: { keyCacheMs: 0 } });
  await serveDashboard(app, { distDir });
  const origin = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    app,
    store,
    origin,
    now: clock,
    async close() {
      await app.close();
      await store.close();
      await database.drop();
    },
  };
}

/** Debian's Chromium, headless. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.WILDTRAWL_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

export interface Person {
  readonly id: number;
  readonly email: string;
  readonly password: string;
  /** The base32 secret of the person's authenticator (every person has one: RELIABILITY A7). */
  readonly totpSecret: string;
}

/**
 * An organisation with one person per role, each with a password and an enrolled authenticator (as if they had set
 * it up at their first sign-in, which a test of its own walks through), and an admin API key for the test's checks.
 */
export async function seedPeople(
  store: Store,
  roles: readonly ApiRole[],
): Promise<{ organisationId: number; people: Partial<Record<ApiRole, Person>>; adminKey: string }> {
  const organisation = await store.organisations.create({ slug: "ngo", name: "Wildlife NGO" }, "system:test");
  const people: Partial<Record<ApiRole, Person>> = {};
  for (const role of roles) {
    const email = `${role}@ngo.example`;
    const user = await store.users.create(
      { organisationId: organisation.id, email, displayName: `Alex ${role.replace("_", " ")}`, role },
      "system:test",
    );
    const password = `correct horse ${role} staple`;
    await store.users.setPasswordHash(user.id, await hashPassword(password), "system:test");
    const totpSecret = new Secret({ size: 20 }).base32;
    await store.users.setMfaSecret(user.id, totpSecret, "system:test");
    people[role] = { id: user.id, email, password, totpSecret };
  }
  const admin = await store.users.create(
    { organisationId: organisation.id, email: "keys@ngo.example", displayName: "Key holder", role: "admin" },
    "system:test",
  );
  const key = await store.apiKeys.create(
    { organisationId: organisation.id, userId: admin.id, name: "test", scopes: keyScopes("admin", null) },
    "system:test",
  );
  return { organisationId: organisation.id, people, adminKey: key.secret };
}

/**
 * The code the person's authenticator shows now. Each code is accepted once, and tests sign the same person in
 * several times within its 30 s: so the server's record of the last code used is forgotten first (re-storing the
 * same secret does that), a shortcut for tests only.
 */
export async function authenticatorCode(store: Store, person: Person): Promise<string> {
  await store.users.setMfaSecret(person.id, person.totpSecret, "system:test");
  return totpCode(person.totpSecret, new Date());
}

/** Signs the person in through the form as they would: e-mail and password, then the code the form asks for. */
export async function signInThroughForm(page: Page, store: Store, person: Person): Promise<void> {
  await page.getByLabel("E-mail").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  const code = page.getByLabel("One-time code");
  await code.waitFor();
  await code.fill(await authenticatorCode(store, person));
  await page.getByRole("button", { name: "Sign in" }).click();
}

export interface SeedAdvert {
  readonly key: string;
  readonly url: string;
  readonly title: string;
  readonly text: string;
  readonly seller: string;
  /** The price as the advert wrote it (kept where the trawler keeps it: attributes.price.raw). */
  readonly priceText: string;
  readonly priceAmount?: number;
  readonly priceCurrency?: string;
  readonly language?: string;
  readonly country?: string;
}

/** Stores adverts as the trawler would: detected by the real detector, then ingested. Returns their listing ids. */
export async function ingestAdverts(
  store: Store,
  organisationId: number,
  adverts: readonly SeedAdvert[],
  observedAt: Date,
): Promise<number[]> {
  const { lexicon, model } = await loadReference();
  const source = await store.sources.upsert({
    organisationId,
    slug: "fixture-market",
    name: "Fixture market",
    platform: "Fixture market",
    baseUrl: "https://market.example/",
  });
  const results = await store.listings.ingest(
    adverts.map((advert) => ({
      sourceId: source.id,
      listingKey: advert.key,
      observedAt,
      url: advert.url,
      title: advert.title,
      text: advert.text,
      seller: advert.seller,
      priceAmount: advert.priceAmount ?? null,
      priceCurrency: advert.priceCurrency ?? null,
      language: advert.language ?? null,
      country: advert.country ?? null,
      attributes: { price: { raw: advert.priceText, kind: "fixed" } },
      detection: toDetectionInput(
        detect(
          {
            title: advert.title,
            text: advert.text,
            price: advert.priceText,
            seller: advert.seller,
            ...(advert.language ? { language: advert.language } : {}),
            context: "listing",
          },
          lexicon,
          { model },
        ),
      ),
    })),
  );
  return results.map((result) => result.listingId);
}
