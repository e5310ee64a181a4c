import robotsParserModule from "robots-parser";
import { CircuitOpenError, FetchAbortedError, QueueFullError } from "./fetch-errors.ts";

/** What robots.txt says for one origin, as far as our user agent is concerned. */
export interface RobotsRules {
  isAllowed(url: URL): boolean;
  /** Crawl-delay for our user agent (or `*`), in milliseconds. */
  readonly crawlDelayMs: number | undefined;
  /** "fetched" rules, "missing" (4xx: everything allowed), "unreachable" (5xx or no answer: nothing allowed). */
  readonly kind: "fetched" | "missing" | "unreachable";
}

/** Fetches `/robots.txt`; returns the final status and body text, or throws a FetchError when no answer came. */
export type RobotsLoader = (robotsUrl: URL) => Promise<{ status: number; text: string }>;

export interface RobotsCacheOptions {
  /** The product token robots.txt groups are matched against ("wildtrawl"), or a full User-Agent. */
  readonly userAgent: string;
  /** RFC 9309 §2.4: cached rules should not be used for more than 24 hours. */
  readonly ttlMs: number;
  /** How soon to ask again after robots.txt could not be read. */
  readonly failureTtlMs: number;
  readonly maxOrigins: number;
  readonly now: () => number;
  readonly load: RobotsLoader;
}

interface Entry {
  readonly rules: RobotsRules;
  readonly expiresAtMs: number;
}

// robots-parser is CommonJS exporting the function itself, while its typings declare an ES default export.
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default;

const allowAll: RobotsRules = { isAllowed: () => true, crawlDelayMs: undefined, kind: "missing" };
const disallowAll: RobotsRules = { isAllowed: () => false, crawlDelayMs: undefined, kind: "unreachable" };

export class RobotsCache {
  readonly #options: RobotsCacheOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #pending = new Map<string, Promise<RobotsRules>>();

  constructor(options: RobotsCacheOptions) {
    this.#options = options;
  }

  /**
   * The rules for the URL's origin: from the cache, or fetched once however many callers ask at the same time.
   * The shared fetch is not tied to any one caller's signal; an aborted caller only stops waiting for it.
   */
  async rulesFor(url: URL, signal?: AbortSignal): Promise<RobotsRules> {
    const origin = url.origin;
    const cached = this.#entries.get(origin);
    if (cached && cached.expiresAtMs > this.#options.now()) return cached.rules;
    let pending = this.#pending.get(origin);
    if (!pending) {
      pending = this.#refresh(origin, cached).finally(() => this.#pending.delete(origin));
      this.#pending.set(origin, pending);
    }
    if (!signal) return pending;
    return new Promise<RobotsRules>((resolve, reject) => {
      const onAbort = () =>
        reject(new FetchAbortedError("aborted", url.href, "fetch aborted while reading robots.txt"));
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      pending.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  async #refresh(origin: string, stale: Entry | undefined): Promise<RobotsRules> {
    const robotsUrl = new URL("/robots.txt", origin);
    let rules: RobotsRules;
    let ttlMs = this.#options.ttlMs;
    try {
      const { status, text } = await this.#options.load(robotsUrl);
      if (status >= 200 && status < 300) {
        rules = parseRobots(robotsUrl, text, this.#options.userAgent);
      } else if (status >= 400 && status < 500 && status !== 429) {
        // RFC 9309 §2.3.1.3: "unavailable" means no restrictions.
        rules = allowAll;
      } else {
        // §2.3.1.4: a server error means "unreachable": assume complete disallow, or keep the last good copy.
        rules = stale?.rules ?? disallowAll;
        ttlMs = this.#options.failureTtlMs;
      }
    } catch (error) {
      // Our own back-pressure says nothing about the site's robots.txt: let it through uncached.
      if (error instanceof CircuitOpenError || error instanceof QueueFullError) throw error;
      if (error instanceof FetchAbortedError) throw error;
      rules = stale?.rules ?? disallowAll;
      ttlMs = this.#options.failureTtlMs;
    }
    this.#entries.delete(origin);
    this.#entries.set(origin, { rules, expiresAtMs: this.#options.now() + ttlMs });
    if (this.#entries.size > this.#options.maxOrigins) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return rules;
  }
}

export function parseRobots(robotsUrl: URL, text: string, userAgent: string): RobotsRules {
  const robots = robotsParser(robotsUrl.href, text);
  const delaySeconds = robots.getCrawlDelay(userAgent);
  return {
    // robots-parser answers undefined for a URL of another origin; the cache never asks that, so treat it as allowed.
    isAllowed: (url) => robots.isAllowed(url.href, userAgent) !== false,
    crawlDelayMs:
      typeof delaySeconds === "number" && Number.isFinite(delaySeconds) && delaySeconds > 0
        ? delaySeconds * 1000
        : undefined,
    kind: "fetched",
  };
}
