import { isUnspacedScript, nameKey } from "../text/normalize.ts";
import {
  populationsOf,
  type Appendix,
  type DataSource,
  type Listing,
  type ReferenceData,
  type TaxonRecord,
} from "./reference-data.ts";

export type NameKind = "scientific" | "synonym" | "common";

/** One name by which a taxon can be found. */
export interface TaxonName {
  readonly taxon: number;
  readonly text: string;
  readonly kind: NameKind;
  /** BCP-47 tag; "la" for scientific names and synonyms. */
  readonly lang: string;
  readonly source?: number;
  /** `nameKey(text)`, computed once: detection compares it for every match. */
  readonly key: string;
}

/** Why a taxon is or is not in the Appendices. */
export type ListingStatus =
  | {
      readonly listed: true;
      readonly appendices: readonly Appendix[];
      /** The taxon whose listing applies: the taxon itself, or the ancestor that lists it (Dalbergia spp.). */
      readonly via: number;
      readonly inherited: boolean;
      readonly listing: Listing;
      readonly source: DataSource;
    }
  | {
      readonly listed: false;
      /** "excluded": named but not listed (NC); "deleted": removed by an amendment; "unlisted": no listing. */
      readonly reason: "excluded" | "deleted" | "unlisted";
      readonly via?: number;
      readonly source?: DataSource;
    };

export type MatchQuality = "exact" | "prefix" | "contains" | "fuzzy";

export interface SearchHit {
  readonly taxon: number;
  readonly name: TaxonName;
  readonly quality: MatchQuality;
  /** Edit distance for fuzzy hits, 0 otherwise. */
  readonly distance: number;
}

export type Resolution =
  | { readonly kind: "taxon"; readonly taxa: readonly number[]; readonly matchedBy: string }
  /** A binomial the data does not name whose genus (or species, for a trinomial) it knows. */
  | {
      readonly kind: "unnamed";
      readonly name: string;
      readonly nearestKnown: number;
      /** Close names the data does have: the binomial may be a misspelling of one. */
      readonly suggestions: readonly SearchHit[];
    }
  | { readonly kind: "not-found"; readonly suggestions: readonly SearchHit[] };

const qualityOrder: Record<MatchQuality, number> = { exact: 0, prefix: 1, contains: 2, fuzzy: 3 };

/**
 * The reference data, indexed for look-ups by id, by any name in any language, and by listing. Built once at
 * start-up; the expensive fuzzy index is built on the first fuzzy query only.
 */
export class SpeciesIndex {
  readonly data: ReferenceData;
  readonly names: readonly TaxonName[];
  readonly #byId = new Map<string, number>();
  readonly #byKey = new Map<string, number[]>();
  readonly #children: number[][];
  #sortedKeys: string[] | undefined;
  #fuzzy: BigramIndex | undefined;
  #words: { byWord: Map<string, string[]>; unspaced: string[] } | undefined;
  readonly #memberListings = new Map<
    number,
    { appendices: readonly Appendix[]; members: readonly number[] }
  >();

  constructor(data: ReferenceData) {
    this.data = data;
    const names: TaxonName[] = [];
    this.#children = data.taxa.map(() => []);
    data.taxa.forEach((taxon, index) => {
      this.#byId.set(taxon.id, index);
      if (taxon.parent !== undefined) this.#children[taxon.parent]?.push(index);
      names.push({
        taxon: index,
        text: taxon.name,
        kind: "scientific",
        lang: "la",
        key: nameKey(taxon.name),
      });
      for (const synonym of taxon.synonyms ?? []) {
        names.push({ taxon: index, text: synonym, kind: "synonym", lang: "la", key: nameKey(synonym) });
      }
      for (const [lang, text, source] of taxon.commonNames ?? []) {
        names.push({ taxon: index, text, kind: "common", lang, source, key: nameKey(text) });
      }
    });
    this.names = names;
    names.forEach((name, nameIndex) => {
      const key = name.key;
      if (key === "") return;
      const entries = this.#byKey.get(key);
      if (entries) entries.push(nameIndex);
      else this.#byKey.set(key, [nameIndex]);
    });
  }

  get size(): number {
    return this.data.taxa.length;
  }

  taxon(index: number): TaxonRecord {
    const taxon = this.data.taxa[index];
    if (!taxon) throw new RangeError(`no taxon at index ${index}`);
    return taxon;
  }

  byId(id: string): number | undefined {
    return this.#byId.get(id);
  }

  children(index: number): readonly number[] {
    return this.#children[index] ?? [];
  }

  source(index: number): DataSource {
    const source = this.data.sources[index];
    if (!source) throw new RangeError(`no source at index ${index}`);
    return source;
  }

  text(index: number | undefined): string | undefined {
    return index === undefined ? undefined : this.data.texts[index];
  }

  /** The taxon, then its parent, up to the kingdom. */
  lineage(index: number): number[] {
    const chain: number[] = [];
    for (let at: number | undefined = index; at !== undefined; at = this.data.taxa[at]?.parent) {
      chain.push(at);
      if (chain.length > 32) break; // The builder forbids cycles; this only bounds a corrupt file.
    }
    return chain;
  }

  /** Indices into `names` of the names whose key is exactly `key` (already normalised by `nameKey`). */
  nameIndicesForKey(key: string): readonly number[] {
    return this.#byKey.get(key) ?? [];
  }

  /** Every distinct name key, for building matchers over all names. */
  nameKeys(): IterableIterator<string> {
    return this.#byKey.keys();
  }

  /** Names whose normalised key equals the key of `text`. */
  namesByKey(text: string): readonly TaxonName[] {
    return (this.#byKey.get(nameKey(text)) ?? []).map((nameIndex) => this.names[nameIndex] as TaxonName);
  }

  /**
   * Whether the taxon is in the Appendices, and through which listing. A taxon's own listing wins; a taxon the
   * export names as not listed (NC) or that an amendment deleted stops the inheritance from its ancestors.
   */
  listingStatus(index: number, options: { asUnnamedMember?: boolean } = {}): ListingStatus {
    for (const at of this.lineage(index)) {
      const listing = this.data.taxa[at]?.listing;
      if (!listing) continue;
      const source = this.source(listing.source);
      if (listing.appendices.length === 0) {
        return { listed: false, reason: listing.deleted ? "deleted" : "excluded", via: at, source };
      }
      const inherited = at !== index || options.asUnnamedMember === true;
      return {
        listed: true,
        appendices: inherited ? inheritedAppendices(listing.appendices) : listing.appendices,
        via: at,
        inherited,
        listing,
        source,
      };
    }
    return { listed: false, reason: "unlisted" };
  }

  /**
   * For a higher taxon that is not listed as a whole, the listings of its members: "pangolin" names the family
   * Manidae, which the data lists only through its genus Manis. Empty when no member is listed.
   */
  memberListings(index: number): {
    readonly appendices: readonly Appendix[];
    readonly members: readonly number[];
  } {
    const cached = this.#memberListings.get(index);
    if (cached) return cached;
    const appendicesFound = new Set<Appendix>();
    const members: number[] = [];
    const stack = [...this.children(index)];
    while (stack.length > 0) {
      const at = stack.pop() as number;
      const listing = this.data.taxa[at]?.listing;
      if (listing && listing.appendices.length > 0) {
        members.push(at);
        for (const appendix of listing.appendices) appendicesFound.add(appendix);
        continue; // Its own listing covers everything below it.
      }
      if (!listing) stack.push(...this.children(at));
    }
    const result = {
      appendices: (["I", "II", "III"] as const).filter((appendix) => appendicesFound.has(appendix)),
      members,
    };
    this.#memberListings.set(index, result);
    return result;
  }

  /**
   * The appendices that apply to specimens from one country (ISO 3166 alpha-2), using the population split of
   * the applicable listing: Loxodonta africana from BW is Appendix II, from KE Appendix I.
   */
  appendicesFor(index: number, country: string): readonly Appendix[] {
    const status = this.listingStatus(index);
    if (!status.listed) return [];
    const code = country.toUpperCase();
    const populations = populationsOf(this.data, status.listing).filter((population) =>
      status.appendices.includes(population.appendix),
    );
    const named = populations.filter(
      (population) => population.scope.kind === "only" && population.scope.countries.includes(code),
    );
    if (named.length > 0) return named.map((population) => population.appendix);
    const rest = populations.filter(
      (population) =>
        population.scope.kind === "all" ||
        (population.scope.kind === "except" && !population.scope.countries.includes(code)),
    );
    const appendicesForRest = [...new Set(rest.map((population) => population.appendix))];
    return appendicesForRest.length > 0 ? appendicesForRest : status.appendices;
  }

  /**
   * Finds taxa by any name, tolerating case, accents, punctuation and small misspellings. One hit per taxon,
   * best first: exact, then prefix, then contained (for scripts written without spaces), then fuzzy.
   */
  search(query: string, limit = 10): SearchHit[] {
    const key = nameKey(query);
    if (key === "") return [];
    const best = new Map<number, SearchHit>();
    const offer = (nameIndex: number, quality: MatchQuality, distance: number) => {
      const name = this.names[nameIndex] as TaxonName;
      const previous = best.get(name.taxon);
      if (previous && compareHits(previous, { taxon: name.taxon, name, quality, distance }, this) <= 0)
        return;
      best.set(name.taxon, { taxon: name.taxon, name, quality, distance });
    };
    for (const nameIndex of this.#byKey.get(key) ?? []) offer(nameIndex, "exact", 0);
    if (best.size < limit && key.length >= 3) {
      for (const prefixed of this.#keysWithPrefix(key, limit * 4)) {
        if (prefixed === key) continue;
        for (const nameIndex of this.#byKey.get(prefixed) ?? []) offer(nameIndex, "prefix", 0);
      }
    }
    if (best.size < limit && [...key].length >= 2) {
      for (const candidate of this.#keysContaining(key)) {
        if (candidate === key) continue;
        for (const nameIndex of this.#byKey.get(candidate) ?? []) offer(nameIndex, "contains", 0);
      }
    }
    if (best.size < limit && [...key].length >= 4) {
      this.#fuzzy ??= new BigramIndex([...this.#byKey.keys()]);
      for (const { key: candidate, distance } of this.#fuzzy.near(key, maxEditsFor(key))) {
        for (const nameIndex of this.#byKey.get(candidate) ?? []) offer(nameIndex, "fuzzy", distance);
      }
    }
    return [...best.values()].sort((a, b) => compareHits(a, b, this)).slice(0, limit);
  }

  /**
   * Resolves what a person typed to taxa: an id, a name in any language, or a binomial the data does not name
   * whose genus it knows (which the answer then reports through the genus and its listed ancestors).
   */
  resolve(text: string): Resolution {
    const trimmed = text.trim();
    const byId = this.#byId.get(trimmed);
    if (byId !== undefined) return { kind: "taxon", taxa: [byId], matchedBy: "id" };
    const exact = this.namesByKey(trimmed);
    if (exact.length > 0) {
      const taxa = [...new Set(exact.map((name) => name.taxon))];
      return { kind: "taxon", taxa, matchedBy: exact[0]?.kind ?? "scientific" };
    }
    const words = trimmed.split(/\s+/);
    if (/^[A-Z][a-z-]+$/.test(words[0] ?? "") && words.length >= 2 && words.length <= 4) {
      for (let length = words.length - 1; length >= 1; length--) {
        const known = this.namesByKey(words.slice(0, length).join(" ")).filter(
          (name) => name.kind === "scientific" && ["GENUS", "SPECIES"].includes(this.taxon(name.taxon).rank),
        );
        if (known[0]) {
          const suggestions = this.search(trimmed, 3).filter((hit) => hit.quality === "fuzzy");
          return { kind: "unnamed", name: trimmed, nearestKnown: known[0].taxon, suggestions };
        }
      }
    }
    return { kind: "not-found", suggestions: this.search(trimmed, 5) };
  }

  /**
   * Keys that hold the query as whole words ("pangolin" in "chinese pangolin"), or, in scripts written without
   * spaces, anywhere ("穿山甲" in "中华穿山甲").
   */
  #keysContaining(key: string): string[] {
    if (!this.#words) {
      const byWord = new Map<string, string[]>();
      const unspaced: string[] = [];
      for (const candidate of this.#byKey.keys()) {
        if (isUnspacedScript(candidate)) unspaced.push(candidate);
        for (const word of new Set(candidate.split(" "))) {
          const list = byWord.get(word);
          if (list) list.push(candidate);
          else byWord.set(word, [candidate]);
        }
      }
      this.#words = { byWord, unspaced };
    }
    if (isUnspacedScript(key)) return this.#words.unspaced.filter((candidate) => candidate.includes(key));
    const [first, ...rest] = key.split(" ");
    const withFirst = this.#words.byWord.get(first ?? "") ?? [];
    if (rest.length === 0) return withFirst;
    const phrase = ` ${key} `;
    return withFirst.filter((candidate) => ` ${candidate} `.includes(phrase));
  }

  #keysWithPrefix(prefix: string, limit: number): string[] {
    this.#sortedKeys ??= [...this.#byKey.keys()].sort();
    const keys = this.#sortedKeys;
    let low = 0;
    let high = keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((keys[middle] as string) < prefix) low = middle + 1;
      else high = middle;
    }
    const found: string[] = [];
    for (let at = low; at < keys.length && found.length < limit; at++) {
      const candidate = keys[at] as string;
      if (!candidate.startsWith(prefix)) break;
      found.push(candidate);
    }
    return found;
  }
}

// A higher taxon listed in several appendices names its Appendix I members one by one; a member the data does
// not name falls under the residual listing, which is Appendix II wherever the higher taxon has one.
function inheritedAppendices(listed: readonly Appendix[]): readonly Appendix[] {
  return listed.includes("II") ? ["II"] : listed;
}

function compareHits(a: SearchHit, b: SearchHit, index: SpeciesIndex): number {
  return (
    qualityOrder[a.quality] - qualityOrder[b.quality] ||
    a.distance - b.distance ||
    Number(index.listingStatus(b.taxon).listed) - Number(index.listingStatus(a.taxon).listed) ||
    kindOrder(a.name.kind) - kindOrder(b.name.kind) ||
    a.name.text.length - b.name.text.length ||
    a.name.text.localeCompare(b.name.text)
  );
}

function kindOrder(kind: NameKind): number {
  return kind === "scientific" ? 0 : kind === "common" ? 1 : 2;
}

function maxEditsFor(key: string): number {
  const length = [...key].length;
  return length >= 9 ? 2 : 1;
}

/** Candidate keys within a few edits of a query, found through shared character bigrams. */
class BigramIndex {
  readonly #keys: string[];
  readonly #postings = new Map<string, number[]>();
  #counts: Uint16Array | undefined;

  constructor(keys: string[]) {
    this.#keys = keys;
    keys.forEach((key, keyIndex) => {
      for (const bigram of new Set(bigramsOf(key))) {
        const list = this.#postings.get(bigram);
        if (list) list.push(keyIndex);
        else this.#postings.set(bigram, [keyIndex]);
      }
    });
  }

  near(query: string, maxEdits: number): Array<{ key: string; distance: number }> {
    const queryBigrams = [...new Set(bigramsOf(query))];
    const queryLength = [...query].length;
    // Each edit destroys at most two bigrams, so a key within maxEdits shares at least this many.
    const needed = Math.max(1, queryBigrams.length - 2 * maxEdits);
    // A typed counter reused across queries: common bigrams have posting lists of tens of thousands of keys.
    const counts = (this.#counts ??= new Uint16Array(this.#keys.length));
    const touched: number[] = [];
    for (const bigram of queryBigrams) {
      for (const keyIndex of this.#postings.get(bigram) ?? []) {
        if (counts[keyIndex] === 0) touched.push(keyIndex);
        counts[keyIndex] = (counts[keyIndex] as number) + 1;
      }
    }
    const found: Array<{ key: string; distance: number }> = [];
    for (const keyIndex of touched) {
      const shared = counts[keyIndex] as number;
      counts[keyIndex] = 0;
      if (shared < needed) continue;
      const key = this.#keys[keyIndex] as string;
      if (Math.abs([...key].length - queryLength) > maxEdits) continue;
      const distance = editDistance(query, key, maxEdits);
      if (distance <= maxEdits) found.push({ key, distance });
    }
    return found.sort((a, b) => a.distance - b.distance);
  }
}

function bigramsOf(key: string): string[] {
  const characters = [" ", ...key, " "];
  const bigrams: string[] = [];
  for (let at = 0; at + 1 < characters.length; at++) bigrams.push(`${characters[at]}${characters[at + 1]}`);
  return bigrams;
}

/** Optimal-string-alignment distance (adjacent swaps count as one edit), cut off above `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  const left = [...a];
  const right = [...b];
  if (Math.abs(left.length - right.length) > limit) return limit + 1;
  let previousPrevious: number[] = [];
  let previous = Array.from({ length: right.length + 1 }, (_, column) => column);
  for (let row = 1; row <= left.length; row++) {
    const current = [row];
    let rowMinimum = row;
    for (let column = 1; column <= right.length; column++) {
      const cost = left[row - 1] === right[column - 1] ? 0 : 1;
      let value = Math.min(
        (previous[column] as number) + 1,
        (current[column - 1] as number) + 1,
        (previous[column - 1] as number) + cost,
      );
      if (
        row > 1 &&
        column > 1 &&
        left[row - 1] === right[column - 2] &&
        left[row - 2] === right[column - 1]
      ) {
        value = Math.min(value, (previousPrevious[column - 2] as number) + 1);
      }
      current.push(value);
      rowMinimum = Math.min(rowMinimum, value);
    }
    if (rowMinimum > limit) return limit + 1;
    previousPrevious = previous;
    previous = current;
  }
  return previous[right.length] as number;
}
