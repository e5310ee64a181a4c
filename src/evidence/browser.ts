import { access } from "node:fs/promises";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Fetch } from "../trawl/fetcher.ts";

/** How captures drive Chromium. Scraped pages are hostile: the browser reaches nothing except through our fetcher. */
export interface BrowserOptions {
  /** Debian's Chromium by default. */
  readonly executablePath?: string;
  readonly navigationTimeoutMs?: number;
  /** Images, styles and scripts fetched for the rendering (through the project fetcher, so SSRF-vetted). */
  readonly maxSubresources?: number;
  readonly viewport?: { readonly width: number; readonly height: number };
}

export interface RenderInput {
  readonly url: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** Label drawn on the screenshot, e.g. "wildtrawl 0.1.0". */
  readonly software: string;
}

export interface RenderedPage {
  readonly screenshot: Buffer;
  /** The DOM after scripts ran, serialized, before our banner went in. */
  readonly dom: string;
  /** The banner's text as rendered when the screenshot was taken (it carries the UTC time). */
  readonly bannerText: string;
  readonly screenshotAt: Date;
  readonly browserVersion: string;
  readonly userAgent: string;
  readonly subresources: ReadonlyArray<{ readonly url: string; readonly status: number }>;
  readonly blockedRequests: ReadonlyArray<{ readonly url: string; readonly reason: string }>;
}

export type RenderOutcome =
  { readonly ok: true; readonly page: RenderedPage } | { readonly ok: false; readonly reason: string };

export const defaultChromiumPath = "/usr/bin/chromium";
export const bannerId = "wildtrawl-capture-banner";

const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];
// Set by us, or meaningless once the body is handed over decoded.
const droppedHeaders = new Set(["content-encoding", "content-length", "transfer-encoding", "connection"]);

/**
 * Renders a fetched page in headless Chromium: the document is the body we fetched (not a second download), every
 * other request goes through `fetch` or is refused and listed. Draws a banner with the UTC time at the top, then
 * takes a full-page screenshot. Never throws for the page's sake: a failure is an outcome with a reason.
 */
export async function renderPage(
  input: RenderInput,
  fetch: Fetch | undefined,
  options: BrowserOptions,
  now: () => Date,
): Promise<RenderOutcome> {
  const executablePath = options.executablePath ?? defaultChromiumPath;
  try {
    await access(executablePath);
  } catch {
    return { ok: false, reason: `chromium_not_found: no browser at ${executablePath}` };
  }
  let playwright: typeof import("playwright-core");
  try {
    playwright = await import("playwright-core");
  } catch (error) {
    return { ok: false, reason: `playwright_unavailable: ${String(error)}` };
  }
  const userDataDir = await mkdtemp(path.join(tmpdir(), "wildtrawl-chromium-"));
  let context: import("playwright-core").BrowserContext | undefined;
  try {
    context = await playwright.chromium.launchPersistentContext(userDataDir, {
      executablePath,
      args: chromiumArgs,
      headless: true,
      viewport: options.viewport ?? { width: 1280, height: 900 },
      serviceWorkers: "block",
      bypassCSP: true,
      acceptDownloads: false,
    });
    const browserVersion = context.browser()?.version() ?? "unknown";
    const page = context.pages()[0] ?? (await context.newPage());
    const subresources: Array<{ url: string; status: number }> = [];
    const blockedRequests: Array<{ url: string; reason: string }> = [];
    const maxSubresources = options.maxSubresources ?? 50;
    let served = false;
    await context.route("**/*", async (route) => {
      const request = route.request();
      const url = request.url();
      if (!served && request.isNavigationRequest() && url === input.url) {
        served = true;
        const headers = Object.fromEntries(
          Object.entries(input.headers).filter(([name]) => !droppedHeaders.has(name)),
        );
        return route.fulfill({ status: input.status, headers, body: Buffer.from(input.body) });
      }
      const refuse = (reason: string) => {
        blockedRequests.push({ url: url.slice(0, 2000), reason });
        return route.abort("blockedbyclient");
      };
      if (request.isNavigationRequest()) return refuse("navigation_away");
      if (request.method() !== "GET") return refuse(`method_${request.method().toLowerCase()}`);
      if (!fetch) return refuse("subresources_off");
      if (subresources.length >= maxSubresources) return refuse("subresource_cap");
      try {
        const result = await fetch(new URL(url), { headers: { Referer: input.url } });
        subresources.push({ url, status: result.status });
        const headers = Object.fromEntries(
          Object.entries(result.headers).filter(([name]) => !droppedHeaders.has(name)),
        );
        return route.fulfill({ status: result.status, headers, body: Buffer.from(result.body) });
      } catch (error) {
        return refuse((error as { code?: string }).code ?? "fetch_failed");
      }
    });
    await page.goto(input.url, { waitUntil: "load", timeout: options.navigationTimeoutMs ?? 30_000 });
    const dom = await page.content();
    const userAgent = await page.evaluate(() => navigator.userAgent);
    const screenshotAt = now();
    const label = `Captured by ${input.software} at ${screenshotAt.toISOString()} (UTC) from ${input.url}`;
    const bannerText = await page.evaluate(
      ({ id, text }) => {
        // Runs in the page: the DOM types are not part of this Node project, so the few used are named here.
        type El = {
          id: string;
          textContent: string | null;
          firstChild: unknown;
          style: { setProperty(n: string, v: string, p: string): void };
          insertBefore(a: El, b: unknown): void;
          appendChild(a: El): El;
        };
        const document = (
          globalThis as unknown as {
            document: { createElement(tag: string): El; body: El | null; documentElement: El };
          }
        ).document;
        const banner = document.createElement("div");
        banner.id = id;
        banner.textContent = text;
        const style = banner.style;
        style.setProperty("all", "initial", "important");
        style.setProperty("display", "block", "important");
        style.setProperty("background", "#ffeb3b", "important");
        style.setProperty("color", "#000", "important");
        style.setProperty("font", "bold 16px/1.4 monospace", "important");
        style.setProperty("padding", "8px 12px", "important");
        style.setProperty("border-bottom", "3px solid #000", "important");
        style.setProperty("word-break", "break-all", "important");
        const body = document.body ?? document.documentElement.appendChild(document.createElement("body"));
        body.insertBefore(banner, body.firstChild);
        return banner.textContent ?? "";
      },
      { id: bannerId, text: label },
    );
    const screenshot = await page.screenshot({ fullPage: true, type: "png", animations: "disabled" });
    return {
      ok: true,
      page: {
        screenshot,
        dom,
        bannerText,
        screenshotAt,
        browserVersion,
        userAgent,
        subresources,
        blockedRequests,
      },
    };
  } catch (error) {
    return { ok: false, reason: `render_failed: ${(error as Error).message.split("\n")[0]}` };
  } finally {
    await context?.close().catch(() => undefined);
    await rm(userDataDir, { recursive: true, force: true });
  }
}
