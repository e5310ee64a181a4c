import * as cheerio from "cheerio";
import { checkSync } from "recheck";
import { listingFields } from "../extract/extracted-listing.ts";
import {
  isAllowedHost,
  normalizeFieldRule,
  selectorFields,
  splitSelectorAttribute,
  type CommentRules,
  type ExtractionRules,
  type FieldRule,
  type LinkKindRules,
  type LinkRules,
  type RemovalRules,
  type SelectorField,
} from "../extract/extraction-rules.ts";
import { normalizeLanguage } from "../extract/field-values.ts";
import type { SourceDeclaration, SourceProblem } from "./source-declaration.ts";

/**
 * Checks a parsed source file against the declaration's shape, collecting every problem with its field path rather
 * than stopping at the first, and returns the declaration in its loaded form (defaults filled, rules normalised).
 * A small hand-written validator: the shape is fixed and the messages should read like advice.
 */
export function validateSource(raw: unknown): { source?: SourceDeclaration; problems: SourceProblem[] } {
  const problems: SourceProblem[] = [];
  const check = new Checker(problems);
  const root = check.object(raw, "");
  if (!root) return { problems };
  check.knownKeys(root, "", [
    "id",
    "name",
    "platform",
    "languages",
    "context",
    "seeds",
    "search",
    "allowedHosts",
    "links",
    "extraction",
    "politeness",
    "revisitEvery",
    "allowPrivateNetwork",
  ]);

  const id = check.string(root["id"], "id", {
    pattern: /^[a-z0-9][a-z0-9-]{0,62}$/,
    hint: "lower case, digits and hyphens",
  });
  const platformRaw = check.object(root["platform"], "platform");
  let platform: SourceDeclaration["platform"] | undefined;
  if (platformRaw) {
    check.knownKeys(platformRaw, "platform", ["name", "country"]);
    const name = check.string(platformRaw["name"], "platform.name");
    const country = check.country(platformRaw["country"], "platform.country");
    if (name && country) platform = { name, country };
  }
  const name = root["name"] === undefined ? platform?.name : check.string(root["name"], "name");
  const languages = check.list(root["languages"], "languages", (value, path) => check.language(value, path), {
    nonEmpty: true,
  });
  const context = check.oneOf(root["context"], "context", ["listing", "post"] as const);
  const allowedHosts = check.list(
    root["allowedHosts"],
    "allowedHosts",
    (value, path) => check.host(value, path),
    {
      nonEmpty: true,
    },
  );
  const hosts = allowedHosts ?? [];
  const seeds =
    root["seeds"] === undefined
      ? []
      : check.list(root["seeds"], "seeds", (value, path) => check.url(value, path, hosts));
  const search =
    root["search"] === undefined
      ? []
      : check.list(root["search"], "search", (value, path) => check.searchTemplate(value, path, hosts));
  if (seeds && search && seeds.length === 0 && search.length === 0) {
    problems.push({ path: "seeds", message: "give at least one seed URL or one search template" });
  }
  const links = check.links(root["links"], "links", hosts);
  const extraction =
    root["extraction"] === undefined ? {} : check.extraction(root["extraction"], "extraction", languages);
  const politeness = check.politeness(root["politeness"], "politeness");
  const revisitIntervalMs =
    root["revisitEvery"] === undefined
      ? 7 * 86_400_000
      : check.duration(root["revisitEvery"], "revisitEvery");
  const allowPrivateNetwork =
    root["allowPrivateNetwork"] === undefined
      ? false
      : check.boolean(root["allowPrivateNetwork"], "allowPrivateNetwork");

  if (problems.length > 0) return { problems };
  const source: SourceDeclaration = {
    id: id as string,
    name: name as string,
    platform: platform as SourceDeclaration["platform"],
    languages: languages as string[],
    context: context as SourceDeclaration["context"],
    seeds: seeds as string[],
    search: search as string[],
    allowedHosts: hosts,
    links: links as LinkRules,
    extraction: withDefaultLanguage(extraction as ExtractionRules, languages as string[]),
    politeness: politeness as SourceDeclaration["politeness"],
    revisitIntervalMs: revisitIntervalMs as number,
    allowPrivateNetwork: allowPrivateNetwork as boolean,
  };
  return { source: deepFreeze(source), problems };
}

/** A site in one language says so once: its pages need not. */
function withDefaultLanguage(extraction: ExtractionRules, languages: readonly string[]): ExtractionRules {
  if (extraction.language !== undefined || languages.length !== 1) return extraction;
  return { ...extraction, language: languages[0] as string };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

type Json = Record<string, unknown>;

const countryNames = new Intl.DisplayNames(["en"], { type: "region" });
const currencies = new Set(Intl.supportedValuesOf("currency"));
const durationUnits: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const hostPattern =
  /^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$|^\[[0-9a-f:.]+\]$/;
const probeDocument = cheerio.load("<html><body></body></html>");

class Checker {
  private readonly problems: SourceProblem[];

  constructor(problems: SourceProblem[]) {
    this.problems = problems;
  }

  problem(path: string, message: string): undefined {
    this.problems.push({ path: path || "(file)", message });
    return undefined;
  }

  object(value: unknown, path: string): Json | undefined {
    if (value === undefined) return this.problem(path, "is missing");
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return this.problem(path, `expected a mapping of fields, got ${describe(value)}`);
    }
    return value as Json;
  }

  knownKeys(value: Json, path: string, known: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const nearest = closest(key, known);
      this.problem(join(path, key), `unknown field${nearest ? ` (did you mean "${nearest}"?)` : ""}`);
    }
  }

  string(
    value: unknown,
    path: string,
    options: { pattern?: RegExp; hint?: string; maxLength?: number } = {},
  ) {
    if (value === undefined) return this.problem(path, "is missing");
    if (typeof value !== "string" || value.trim() === "") {
      return this.problem(path, `expected text, got ${describe(value)}`);
    }
    if (value.length > (options.maxLength ?? 500))
      return this.problem(path, `is longer than ${options.maxLength ?? 500} characters`);
    if (options.pattern && !options.pattern.test(value)) {
      return this.problem(path, `"${value}" is not valid${options.hint ? `: ${options.hint}` : ""}`);
    }
    return value;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (typeof value !== "boolean")
      return this.problem(path, `expected true or false, got ${describe(value)}`);
    return value;
  }

  number(
    value: unknown,
    path: string,
    { min, max, integer }: { min: number; max: number; integer?: boolean },
  ) {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      return this.problem(path, `expected a number, got ${describe(value)}`);
    }
    if (value < min || value > max)
      return this.problem(path, `expected a number from ${min} to ${max}, got ${value}`);
    if (integer && !Number.isInteger(value))
      return this.problem(path, `expected a whole number, got ${value}`);
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T | undefined {
    if (value === undefined) return this.problem(path, `is missing: one of ${allowed.join(", ")}`);
    if (typeof value !== "string" || !allowed.includes(value as T)) {
      return this.problem(path, `expected one of ${allowed.join(", ")}, got ${describe(value)}`);
    }
    return value as T;
  }

  list<T>(
    value: unknown,
    path: string,
    item: (value: unknown, path: string) => T | undefined,
    options: { nonEmpty?: boolean; max?: number } = {},
  ): T[] | undefined {
    if (value === undefined) return this.problem(path, "is missing");
    const list = typeof value === "string" ? [value] : value;
    if (!Array.isArray(list)) return this.problem(path, `expected a list, got ${describe(value)}`);
    if (options.nonEmpty && list.length === 0) return this.problem(path, "must not be empty");
    if (list.length > (options.max ?? 1_000))
      return this.problem(path, `has more than ${options.max ?? 1_000} entries`);
    const before = this.problems.length;
    const result = list.map((entry, index) => item(entry, `${path}[${index}]`));
    return this.problems.length === before ? (result as T[]) : undefined;
  }

  country(value: unknown, path: string): string | undefined {
    const text = this.string(value, path);
    if (text === undefined) return undefined;
    const code = text.toUpperCase();
    const known =
      /^[A-Z]{2}$/.test(code) && countryNames.of(code) !== code && countryNames.of(code) !== "Unknown Region";
    return known
      ? code
      : this.problem(path, `"${text}" is not an ISO 3166-1 alpha-2 country code (GB, TH, VN…)`);
  }

  language(value: unknown, path: string): string | undefined {
    const text = this.string(value, path);
    if (text === undefined) return undefined;
    return (
      normalizeLanguage(text) ??
      this.problem(path, `"${text}" is not a BCP 47 language tag (en, pt-BR, zh-Hant…)`)
    );
  }

  currency(value: unknown, path: string): string | undefined {
    const text = this.string(value, path);
    if (text === undefined) return undefined;
    const code = text.toUpperCase();
    return currencies.has(code)
      ? code
      : this.problem(path, `"${text}" is not an ISO 4217 currency code (EUR, VND…)`);
  }

  host(value: unknown, path: string): string | undefined {
    const text = this.string(value, path);
    if (text === undefined) return undefined;
    const host = text.toLowerCase();
    if (!hostPattern.test(host)) {
      return this.problem(path, `"${text}" is not a host name (no scheme, port or path: "www.example.com")`);
    }
    return host;
  }

  url(value: unknown, path: string, hosts: readonly string[]): string | undefined {
    const text = this.string(value, path, { maxLength: 2_048 });
    if (text === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return this.problem(path, `"${text}" is not an absolute URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      return this.problem(path, `"${text}" is not http(s)`);
    if (hosts.length > 0 && !isAllowedHost(url.hostname, hosts)) {
      return this.problem(path, `host ${url.hostname} is not in allowedHosts`);
    }
    return text;
  }

  searchTemplate(value: unknown, path: string, hosts: readonly string[]): string | undefined {
    const text = this.string(value, path, { maxLength: 2_048 });
    if (text === undefined) return undefined;
    if (!text.includes("{query}")) return this.problem(path, `"${text}" has no {query} placeholder`);
    const before = this.problems.length;
    this.url(text.replaceAll("{query}", "test"), path, hosts);
    return this.problems.length === before ? text : undefined;
  }

  selector(value: unknown, path: string): string | undefined {
    const text = this.string(value, path, { maxLength: 1_000 });
    if (text === undefined) return undefined;
    const { selector } = splitSelectorAttribute(text);
    try {
      probeDocument(selector);
    } catch (error) {
      return this.problem(path, `"${text}" is not a CSS selector: ${(error as Error).message}`);
    }
    return text;
  }

  pattern(value: unknown, path: string): string | undefined {
    const text = this.string(value, path, { maxLength: 1_000 });
    if (text === undefined) return undefined;
    try {
      new RegExp(text, "i");
    } catch (error) {
      return this.problem(path, `not a regular expression: ${(error as Error).message}`);
    }
    const backtracking = catastrophicBacktracking(text);
    return backtracking === null ? text : this.problem(path, backtracking);
  }

  duration(value: unknown, path: string): number | undefined {
    const match = typeof value === "string" ? /^(\d{1,6})\s*([mhdw])$/.exec(value.trim()) : null;
    if (!match)
      return this.problem(
        path,
        `expected a duration like "30m", "12h", "7d" or "2w", got ${describe(value)}`,
      );
    const ms = Number(match[1]) * (durationUnits[match[2] as string] as number);
    return ms >= 60_000 ? ms : this.problem(path, "must be at least a minute");
  }

  linkKind(value: unknown, path: string): LinkKindRules | undefined {
    const object = this.object(value, path);
    if (!object) return undefined;
    this.knownKeys(object, path, ["patterns", "selectors"]);
    const patterns =
      object["patterns"] === undefined
        ? []
        : this.list(object["patterns"], join(path, "patterns"), (v, p) => this.pattern(v, p));
    const selectors =
      object["selectors"] === undefined
        ? []
        : this.list(object["selectors"], join(path, "selectors"), (v, p) => this.selector(v, p));
    if (patterns && selectors && patterns.length === 0 && selectors.length === 0) {
      return this.problem(path, "give patterns, selectors or both");
    }
    return { ...(patterns?.length ? { patterns } : {}), ...(selectors?.length ? { selectors } : {}) };
  }

  links(value: unknown, path: string, allowedHosts: readonly string[]): LinkRules | undefined {
    const object = this.object(value, path);
    if (!object) return undefined;
    this.knownKeys(object, path, ["listings", "pagination", "index", "ignoreParameters"]);
    const listings = this.linkKind(object["listings"], join(path, "listings"));
    const pagination =
      object["pagination"] === undefined
        ? undefined
        : this.linkKind(object["pagination"], join(path, "pagination"));
    const index =
      object["index"] === undefined ? undefined : this.linkKind(object["index"], join(path, "index"));
    const ignoreParameters =
      object["ignoreParameters"] === undefined
        ? undefined
        : this.list(object["ignoreParameters"], join(path, "ignoreParameters"), (v, p) => this.string(v, p));
    return {
      allowedHosts,
      ...(listings ? { listings } : {}),
      ...(pagination ? { pagination } : {}),
      ...(index ? { index } : {}),
      ...(ignoreParameters ? { ignoreParameters } : {}),
    };
  }

  fieldRule(value: unknown, path: string): FieldRule | undefined {
    if (typeof value === "string" || Array.isArray(value)) {
      const selectors = this.list(value, path, (v, p) => this.selector(v, p), { nonEmpty: true });
      return selectors ? { selectors } : undefined;
    }
    const object = this.object(value, path);
    if (!object) return undefined;
    this.knownKeys(object, path, ["selector", "selectors", "attribute", "pattern"]);
    const before = this.problems.length;
    if (object["selector"] !== undefined)
      this.list(object["selector"], join(path, "selector"), (v, p) => this.selector(v, p));
    if (object["selectors"] !== undefined)
      this.list(object["selectors"], join(path, "selectors"), (v, p) => this.selector(v, p));
    if (object["selector"] === undefined && object["selectors"] === undefined)
      this.problem(join(path, "selector"), "is missing");
    if (object["attribute"] !== undefined) {
      this.string(object["attribute"], join(path, "attribute"), {
        pattern: /^[A-Za-z_:][-A-Za-z0-9_:.]*$/,
        hint: "an attribute name",
      });
    }
    if (object["pattern"] !== undefined) this.pattern(object["pattern"], join(path, "pattern"));
    if (this.problems.length !== before) return undefined;
    return normalizeFieldRule(object as Parameters<typeof normalizeFieldRule>[0]);
  }

  extraction(
    value: unknown,
    path: string,
    languages: readonly string[] | undefined,
  ): ExtractionRules | undefined {
    const object = this.object(value, path);
    if (!object) return undefined;
    this.knownKeys(object, path, [
      "fields",
      "remove",
      "preferSelectors",
      "currency",
      "language",
      "dateOrder",
      "listingIdPattern",
      "comments",
      "removed",
    ]);
    const result: Record<string, unknown> = {};
    if (object["fields"] !== undefined) {
      const fields = this.object(object["fields"], join(path, "fields"));
      if (fields) {
        this.knownKeys(fields, join(path, "fields"), selectorFields);
        const normalized: Partial<Record<SelectorField, FieldRule>> = {};
        for (const field of selectorFields) {
          if (fields[field] === undefined) continue;
          const rule = this.fieldRule(fields[field], join(path, "fields", field));
          if (rule) normalized[field] = rule;
        }
        result["fields"] = normalized;
      }
    }
    if (object["remove"] !== undefined) {
      result["remove"] = this.list(object["remove"], join(path, "remove"), (v, p) => this.selector(v, p));
    }
    if (object["preferSelectors"] !== undefined) {
      result["preferSelectors"] = this.list(
        object["preferSelectors"],
        join(path, "preferSelectors"),
        (v, p) => this.oneOf(v, p, listingFields),
      );
    }
    if (object["currency"] !== undefined)
      result["currency"] = this.currency(object["currency"], join(path, "currency"));
    if (object["language"] !== undefined) {
      const language = this.language(object["language"], join(path, "language"));
      if (language && languages && !languages.includes(language)) {
        this.problem(
          join(path, "language"),
          `"${language}" is not one of the source's languages (${languages.join(", ")})`,
        );
      }
      result["language"] = language;
    }
    if (object["dateOrder"] !== undefined) {
      result["dateOrder"] = this.oneOf(object["dateOrder"], join(path, "dateOrder"), [
        "dmy",
        "mdy",
        "ymd",
      ] as const);
    }
    if (object["listingIdPattern"] !== undefined) {
      result["listingIdPattern"] = this.pattern(object["listingIdPattern"], join(path, "listingIdPattern"));
    }
    if (object["comments"] !== undefined)
      result["comments"] = this.comments(object["comments"], join(path, "comments"));
    if (object["removed"] !== undefined)
      result["removed"] = this.removed(object["removed"], join(path, "removed"));
    return Object.fromEntries(
      Object.entries(result).filter(([, entry]) => entry !== undefined),
    ) as ExtractionRules;
  }

  comments(value: unknown, path: string): CommentRules | undefined {
    const object = this.object(value, path);
    if (!object) return undefined;
    this.knownKeys(object, path, ["container", "author", "text", "postedAt"]);
    const container = this.selector(object["container"], join(path, "container"));
    const optional = (key: string) =>
      object[key] === undefined ? undefined : this.selector(object[key], join(path, key));
    const author = optional("author");
    const text = optional("text");
    const postedAt = optional("postedAt");
    if (!container) return undefined;
    return {
      container,
      ...(author ? { author } : {}),
      ...(text ? { text } : {}),
      ...(postedAt ? { postedAt } : {}),
    };
  }

  removed(value: unknown, path: string): RemovalRules | undefined {
    const object = this.object(value, path);
    if (!object) return undefined;
    this.knownKeys(object, path, ["selectors", "phrases"]);
    const selectors =
      object["selectors"] === undefined
        ? undefined
        : this.list(object["selectors"], join(path, "selectors"), (v, p) => this.selector(v, p));
    const phrases =
      object["phrases"] === undefined
        ? undefined
        : this.list(object["phrases"], join(path, "phrases"), (v, p) => this.string(v, p));
    return { ...(selectors ? { selectors } : {}), ...(phrases ? { phrases } : {}) };
  }

  politeness(value: unknown, path: string): SourceDeclaration["politeness"] | undefined {
    if (value === undefined) return { requestsPerSecondPerHost: 1, maxConcurrentPerHost: 2 };
    const object = this.object(value, path);
    if (!object) return undefined;
    this.knownKeys(object, path, ["requestsPerSecondPerHost", "maxConcurrentPerHost", "userAgent"]);
    const rate =
      object["requestsPerSecondPerHost"] === undefined
        ? 1
        : this.number(object["requestsPerSecondPerHost"], join(path, "requestsPerSecondPerHost"), {
            min: 0.001,
            max: 1_000,
          });
    const concurrency =
      object["maxConcurrentPerHost"] === undefined
        ? 2
        : this.number(object["maxConcurrentPerHost"], join(path, "maxConcurrentPerHost"), {
            min: 1,
            max: 256,
            integer: true,
          });
    const userAgent =
      object["userAgent"] === undefined
        ? undefined
        : this.string(object["userAgent"], join(path, "userAgent"), {
            pattern: /^[^\r\n]+$/,
            hint: "one line",
          });
    if (rate === undefined || concurrency === undefined) return undefined;
    return {
      requestsPerSecondPerHost: rate,
      maxConcurrentPerHost: concurrency,
      ...(userAgent ? { userAgent } : {}),
    };
  }
}

function join(...parts: string[]): string {
  return parts.filter(Boolean).join(".");
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `"${value.length > 60 ? `${value.slice(0, 60)}…` : value}"`;
  return `${typeof value} ${String(value)}`;
}

/** The known name nearest a misspelt one, when it is close enough to be the likely intent. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** How long recheck may take to prove one pattern safe: a source file has a handful, read by an operator's command. */
const backtrackingCheckMs = 2_000;
/**
 * Quadratic backtracking is let through: patterns run over at most 5,000 characters (selector-rules.ts) or a URL,
 * where n² is some milliseconds, and a plain unanchored `(\d+)$` is already quadratic. From n³ on it is minutes.
 */
const maxPolynomialDegree = 2;

/**
 * Why a source's pattern is refused for backtracking (RELIABILITY H3), or null. Patterns run over text the adverts'
 * authors wrote, so one that backtracks exponentially, or polynomially beyond the square, would let an advert stall
 * the trawler; one that recheck cannot decide in time is refused too.
 */
function catastrophicBacktracking(pattern: string): string | null {
  const diagnostics = checkSync(pattern, "i", { timeout: backtrackingCheckMs });
  if (diagnostics.status === "safe") return null;
  if (diagnostics.status === "unknown")
    return `could not be proved free of catastrophic backtracking (${diagnostics.error.kind}): simplify it`;
  const { complexity, attack } = diagnostics;
  if (complexity.type === "polynomial" && complexity.degree <= maxPolynomialDegree) return null;
  return (
    `can backtrack catastrophically (${complexity.summary}) on text such as ${attack.pattern}: ` +
    "rewrite it so that no two parts can match the same characters"
  );
}
