import type { ExtractionRules, LinkRules } from "../extract/extraction-rules.ts";

/**
 * A site to trawl, as declared in a YAML or JSON file and validated by `loadSource`. Plain data (it is stored as a
 * source's configuration): patterns and selectors stay strings and are compiled where they are used.
 *
 * The file has these fields; what differs once loaded: `revisitEvery` ("12h", "7d", default "7d") becomes
 * `revisitIntervalMs`, `links` gains `allowedHosts`, field rules take their one object form, and a single-language
 * source's language becomes `extraction.language`. Defaults: `name` the platform's name, `search` and `seeds` empty
 * (but not both), `politeness` 1 request a second and 2 at once per host, `allowPrivateNetwork` false.
 */
export interface SourceDeclaration {
  /** Lower case, digits and hyphens: the source's key in storage and on the command line. */
  readonly id: string;
  /** What people call it; defaults to the platform's name. */
  readonly name: string;
  readonly platform: {
    readonly name: string;
    /** ISO 3166-1 alpha-2 of the country the site serves (for a global platform, the country version trawled). */
    readonly country: string;
  };
  /** BCP 47 tags of the languages its adverts are written in: search queries are drawn from these. */
  readonly languages: readonly string[];
  /**
   * How detection reads its pages: "listing" for marketplaces and classifieds (a page is itself an offer), "post"
   * for forums and social media (a post must say it sells).
   */
  readonly context: "listing" | "post";
  /** Where a trawl starts: home pages, category pages, forum boards. */
  readonly seeds: readonly string[];
  /** Search URLs with `{query}` where the URL-encoded search term goes. */
  readonly search: readonly string[];
  /** Host names the trawl may visit; "*.example.com" for every subdomain. */
  readonly allowedHosts: readonly string[];
  /** Which links are listings and which are further pages (`allowedHosts` repeated, so `links` stands alone). */
  readonly links: LinkRules;
  /** CSS selectors and defaults, used after JSON-LD, microdata and meta tags. */
  readonly extraction: ExtractionRules;
  readonly politeness: {
    readonly requestsPerSecondPerHost: number;
    readonly maxConcurrentPerHost: number;
    /** Sent instead of the trawler's default User-Agent. */
    readonly userAgent?: string;
  };
  /** How long after a visit a listing is visited again, to record changes and removals. */
  readonly revisitIntervalMs: number;
  /** Lets the trawl reach loopback and private addresses: for tests and the demo only. */
  readonly allowPrivateNetwork: boolean;
}

/** One thing wrong with a declaration, at a field path like `extraction.fields.price[1]`. */
export interface SourceProblem {
  readonly path: string;
  readonly message: string;
}
