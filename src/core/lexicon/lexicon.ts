import { isUnspacedScript, nameKey, normalizeText } from "../text/normalize.ts";
import { editDistance, type SpeciesIndex, type TaxonName } from "../species/species-index.ts";
import { KeyTrie } from "./key-trie.ts";
import { prepareMatchText, splitWords, textOf, WordFlag, type MatchText } from "./match-text.ts";
import type { TermKind, VocabularyEntry } from "./vocabulary.ts";

/** What a stretch of advert text was recognised as. */
export type LexiconHit =
  | { readonly type: "name"; readonly names: readonly number[] }
  | { readonly type: "abbreviation"; readonly taxa: readonly number[] }
  | { readonly type: "vocabulary"; readonly entries: readonly number[] }
  /** A misspelt scientific binomial, genus or term, within `distance` edits. */
  | { readonly type: "fuzzy-name"; readonly taxon: number; readonly distance: number }
  | { readonly type: "fuzzy-vocabulary"; readonly entries: readonly number[]; readonly distance: number };

export interface LexiconMatch {
  /** Offsets in `MatchText.text`, or (for emoji) in the original text when `inOriginal` is set. */
  readonly start: number;
  readonly end: number;
  readonly hit: LexiconHit;
  readonly words: number;
  readonly inOriginal?: boolean;
}

const maxWordsInTerm = 6;
const minimumFuzzyLength = 5;
const space = 0x20;
// Read once: compiled code folds module constants, where it loads and checks a property at every use.
const { root, dead } = KeyTrie;
const { unspaced: unspacedWord, latinOnly: latinOnlyWord } = WordFlag;

// Compounds: which keys may be read as a part of a longer word (see `splitCompounds`).
/** Languages that write compounds as one word: "Elfenbeinfigur" is an ivory figurine, 상아팔찌 an ivory bangle. */
const compoundingLanguages: ReadonlySet<string> = new Set([
  "de",
  "nl",
  "sv",
  "da",
  "nb",
  "no",
  "fi",
  "is",
  "ko",
]);
/** The kinds of term that name a thing, and so make compounds; "zu verkaufen" or "gesucht" make none. */
const compoundKinds: ReadonlySet<TermKind> = new Set([
  "product",
  "code",
  "substitute",
  "negative",
  "lookalike",
  "claim",
  "colour",
  "ambiguous",
]);
/** The key may begin a compound… */
const beginsCompound = 1;
/** …and end one ("Mammutelfenbein"): only curated terms (and Hangul names) do, as the end of a word is where a
 *  name's letters are most often another word's ("lanner" in "planner"). */
const endsCompound = 2;
/**
 * The shortest key read inside a word, and the shortest rest beside it, in letters (in Hangul syllables: 2 and
 * 2). Shorter parts are too often plain letters of other words: "Wolf" in "Wolfgang", 상아 in 상아탑 (ivory
 * tower); common names, which are many and collide more with words of other languages, need 6.
 */
const minimumTermPart = 5;
const minimumNamePart = 6;
const minimumRest = 3;
const minimumHangulPart = 2;
const hangulFirst = 0xac00;
const hangulLast = 0xd7a3;

/**
 * Every name of every taxon, every curated term and every abbreviated binomial ("M. javanica"), compiled for
 * matching adverts: one double-array trie of all their keys (see `KeyTrie`), walked over the prepared text.
 *
 * In scripts with spaces a key matches whole words only, so the walk starts at each word and reports a key
 * where a word ends: up to six words, in one walk. A word with a case ending, a particle or a plural "-s" the
 * key lacks (слона, 천산갑을, pangolins) is looked up without it, from the states the walk passed through;
 * Russian keys are held by their stems too, for the endings that replace their own (попугая → попуга). In
 * scripts without spaces (Chinese, Japanese, Thai) a key matches anywhere inside a word, so the walk starts at
 * every character.
 * Misspellings are looked for only in words nothing else matched, through a deletion index behind a hash filter.
 */
export class Lexicon {
  readonly species: SpeciesIndex;
  readonly vocabulary: readonly VocabularyEntry[];
  /** Which taxa each vocabulary entry implies, resolved once. */
  readonly vocabularyTaxa: ReadonlyArray<readonly number[]>;
  readonly #trie: KeyTrie;
  /** For each key of the trie, what it names: names (never empty), vocabulary entries, abbreviated taxa. */
  readonly #keyNames: Array<readonly number[] | undefined>;
  readonly #keyEntries: Array<readonly number[] | undefined>;
  readonly #keyAbbreviations: Array<readonly number[] | undefined>;
  /** 1 for the keys that are stems of Russian keys (see the constructor), looked up only without an ending. */
  readonly #stemKeys: Uint8Array;
  /** The hits reported for each key, made on first use and shared by every match of that key. */
  readonly #nameHits: Array<LexiconHit | undefined>;
  readonly #entryHits: Array<LexiconHit | undefined>;
  readonly #abbreviationHits: Array<LexiconHit | undefined>;
  /** The hits of a key read from a plural ("pangolins"): its common names and words for things only, or null. */
  readonly #pluralNameHits: Array<LexiconHit | null | undefined>;
  readonly #pluralEntryHits: Array<LexiconHit | null | undefined>;
  /** Lengths at which keys are looked for inside words of unspaced scripts (1 = yes), by length. */
  readonly #unspacedLength: Uint8Array;
  readonly #emoji: Array<{ text: string; entry: number; lead: number }> = [];
  /** The distinct first UTF-16 units of the emoji terms (`lead` above indexes them), and which a text holds. */
  readonly #emojiLeads: string[] = [];
  readonly #emojiLeadFound: Uint8Array;
  /** The first UTF-16 unit of each emoji term: a text with none of them has no emoji to look for. */
  #emojiMask = 0;
  /** Set when some emoji term begins with a character `symbolMask` may not record (ASCII, or a letter). */
  #emojiNeedsFullSearch = false;
  readonly #fuzzyWords: DeletionIndex;
  /** Single words that are spelling targets for fuzzy matching: genus → taxon, term → entries. */
  readonly #fuzzyGenus = new Map<string, number>();
  readonly #fuzzyTerm = new Map<string, number[]>();
  readonly #epithets = new Map<number, ReadonlyArray<{ taxon: number; childEpithet: string }>>();
  /** The first word of every key: a walk from a word that is none of them (nor one inflected) is skipped. */
  readonly #firstWords = new BloomFilter(18);
  /** For each key, whether it may be read as a part of a compound: bits `beginsCompound`, `endsCompound`. */
  readonly #compoundRole: Uint8Array;
  /** The last two units of every key that may end a word of a compounding language, hashed: a word that ends in
   *  none of them needs no walk from each of its units. */
  readonly #compoundEnds = new Uint32Array(1 << 7);
  /** Cuts found by `splitCompounds`. */
  #cuts: number[] = [];
  // Working memory for one scan, reused: found keys, and which words exact keys covered.
  readonly #found: Int32Array;
  readonly #foundEnds: Int32Array;
  #covered = new Uint8Array(64);

  constructor(species: SpeciesIndex, vocabulary: readonly VocabularyEntry[]) {
    this.species = species;
    this.vocabulary = vocabulary;
    const unresolved: string[] = [];
    this.vocabularyTaxa = vocabulary.map((entry) =>
      entry.taxa.flatMap((name) => {
        const found = species.namesByKey(name).filter((candidate) => candidate.kind !== "common");
        if (found.length === 0) unresolved.push(`${entry.term} → ${name}`);
        return [...new Set(found.map((candidate) => candidate.taxon))].slice(0, 1);
      }),
    );
    if (unresolved.length > 0) {
      throw new RangeError(
        `vocabulary names taxa the reference data lacks: ${unresolved.slice(0, 10).join("; ")}`,
      );
    }
    const vocabularyByKey = new Map<string, number[]>();
    const unspacedLengths = new Set<number>();
    vocabulary.forEach((entry, entryIndex) => {
      const key = nameKey(entry.term);
      if (key === "") {
        const text = normalizeText(entry.term);
        const lead = text.charAt(0);
        if (!this.#emojiLeads.includes(lead)) this.#emojiLeads.push(lead);
        this.#emoji.push({ text, entry: entryIndex, lead: this.#emojiLeads.indexOf(lead) });
        const first = text.codePointAt(0) ?? 0;
        if (first < 0x80 || prepareMatchText(String.fromCodePoint(first)).wordCount > 0) {
          this.#emojiNeedsFullSearch = true;
        }
        this.#emojiMask |= 1 << (first & 31);
        return;
      }
      push(vocabularyByKey, key, entryIndex);
      if (isUnspacedScript(key)) unspacedLengths.add(key.length);
      // Only words for products and taxa are spelling targets: a near-miss of "preis" is rarely a price.
      const fuzzyKind = entry.kind === "product" || entry.kind === "code";
      if (fuzzyKind && !key.includes(" ") && key.length >= minimumFuzzyLength && /^[a-z]+$/.test(key)) {
        push(this.#fuzzyTerm, key, entryIndex);
      }
    });
    for (const key of species.nameKeys()) {
      if (key.length >= 2 && isUnspacedScript(key)) unspacedLengths.add(key.length);
    }
    // An abbreviated binomial is two words ("m javanica"); longer ones could never be looked up.
    const abbreviations = new Map<string, number[]>();
    species.data.taxa.forEach((taxon, taxonIndex) => {
      const words = taxon.name.split(" ");
      if ((taxon.rank === "SPECIES" || taxon.rank === "SUBSPECIES") && words.length >= 2) {
        const epithets = words.slice(1).filter((word) => !word.endsWith("."));
        if ((epithets[0]?.length ?? 0) >= 4) {
          const key = nameKey(`${words[0]?.[0]} ${epithets.join(" ")}`);
          if (key.indexOf(" ") === key.lastIndexOf(" ") && key.includes(" "))
            push(abbreviations, key, taxonIndex);
        }
      }
      if (taxon.rank === "GENUS" && taxon.name.length >= minimumFuzzyLength) {
        this.#fuzzyGenus.set(nameKey(taxon.name), taxonIndex);
      }
    });
    this.#emojiLeadFound = new Uint8Array(this.#emojiLeads.length);
    this.#fuzzyWords = new DeletionIndex([...this.#fuzzyGenus.keys(), ...this.#fuzzyTerm.keys()]);

    // The stems of Russian keys, for the forms whose ending replaces the key's own: попугая and попугаи are
    // попугай's (stem попуга), черепаху черепаха's (stem черепах). The text's word, its ending cut, finds them.
    const stemSources = new Map<string, string[]>();
    for (const key of concat(species.nameKeys(), vocabularyByKey.keys())) {
      const stem = russianStem(key);
      if (stem === undefined || vocabularyByKey.has(stem) || species.nameIndicesForKey(stem).length > 0)
        continue;
      push(stemSources, stem, key);
    }
    this.#trie = new KeyTrie(
      concat(species.nameKeys(), vocabularyByKey.keys(), abbreviations.keys(), stemSources.keys()),
    );
    const keys = this.#trie.keys;
    const union = (sources: readonly string[], of: (key: string) => readonly number[] | undefined) => {
      const all = [...new Set(sources.flatMap((source) => of(source) ?? []))].sort((a, b) => a - b);
      return all.length > 0 ? all : undefined;
    };
    this.#keyNames = keys.map((key) => {
      const sources = stemSources.get(key);
      if (sources !== undefined) return union(sources, (source) => species.nameIndicesForKey(source));
      const names = species.nameIndicesForKey(key);
      return names.length > 0 ? names : undefined;
    });
    this.#stemKeys = Uint8Array.from(keys, (key) => (stemSources.has(key) ? 1 : 0));
    this.#keyEntries = keys.map((key) => {
      const sources = stemSources.get(key);
      return sources !== undefined
        ? union(sources, (source) => vocabularyByKey.get(source))
        : vocabularyByKey.get(key);
    });
    this.#keyAbbreviations = keys.map((key) => abbreviations.get(key));
    this.#compoundRole = Uint8Array.from(keys, (key, index) => {
      if (key.includes(" ")) return 0;
      const hangul = isHangul(key.charCodeAt(0));
      let role = 0;
      for (const entry of this.#keyEntries[index] ?? []) {
        const { lang, kind, strength } = vocabulary[entry] as VocabularyEntry;
        if (!compoundingLanguages.has(lang) || !compoundKinds.has(kind) || strength === "weak") continue;
        if (key.length >= (hangul ? minimumHangulPart : minimumTermPart))
          role |= beginsCompound | endsCompound;
      }
      for (const name of this.#keyNames[index] ?? []) {
        const { lang, kind } = species.names[name] as TaxonName;
        if (kind !== "common" || !compoundingLanguages.has(lang)) continue;
        if (hangul) role |= key.length >= minimumHangulPart ? beginsCompound | endsCompound : 0;
        else if (key.length >= minimumNamePart) role |= beginsCompound;
      }
      if (role & endsCompound) {
        const bit = pairHash(key.charCodeAt(key.length - 2), key.charCodeAt(key.length - 1));
        this.#compoundEnds[bit >>> 5] = (this.#compoundEnds[bit >>> 5] as number) | (1 << (bit & 31));
      }
      return role;
    });
    // Filled in as keys are found; made by `map` so that they are dense arrays, not dictionaries.
    this.#nameHits = keys.map(() => undefined);
    this.#entryHits = keys.map(() => undefined);
    this.#abbreviationHits = keys.map(() => undefined);
    this.#pluralNameHits = keys.map(() => undefined);
    this.#pluralEntryHits = keys.map(() => undefined);
    this.#unspacedLength = new Uint8Array(this.#trie.longestKey + 1);
    for (const length of unspacedLengths) this.#unspacedLength[length] = 1;
    this.#found = new Int32Array(this.#trie.longestKey + 2);
    this.#foundEnds = new Int32Array(this.#trie.longestKey + 2);
    for (const key of keys) {
      const space = key.indexOf(" ");
      this.#firstWords.add(key, 0, space < 0 ? key.length : space);
    }
  }

  /**
   * The text with its compounds cut into the words they are made of, where a part is a curated term or a common
   * name of a language that compounds: "Elfenbeinfigur" → "elfenbein figur", 상아팔찌 → 상아 팔찌. Then every
   * rule that reads words (colours, imitations, look-alikes) reads a compound as the words written apart:
   * "elfenbeinfarbene" stays a colour, "Schildpattoptik" a look. Only words that are no key (nor the first word
   * of one) are cut. Returns `matchText` itself when nothing is cut.
   */
  splitCompounds(matchText: MatchText): MatchText {
    const { codes, wordData } = matchText;
    const trie = this.#trie;
    const cuts = this.#cuts;
    cuts.length = 0;
    for (let word = 0; word < wordData.length; word += 3) {
      const start = wordData[word] as number;
      const end = wordData[word + 1] as number;
      const hangul = isHangul(codes[start] as number);
      if (!hangul && !((wordData[word + 2] as number) & latinOnlyWord)) continue;
      const shortest = hangul ? 2 * minimumHangulPart : minimumTermPart + minimumRest;
      if (end - start < shortest) continue;
      // A key, or the start of one, is read whole by `scan`; so is a word that is one without its ending.
      const whole = trie.walk(root, codes, start, end);
      if (whole !== dead && (trie.keyAt(whole) >= 0 || trie.next(whole, space) !== dead)) continue;
      const ending = inflectionCut(codes, start, end);
      if (ending > 0) {
        const lemma = trie.walk(root, codes, start, end - ending);
        if (lemma !== dead && trie.keyAt(lemma) >= 0) continue;
      }
      this.#cutCompound(codes, start, end, hangul ? minimumHangulPart : minimumRest, 0);
    }
    return cuts.length === 0
      ? matchText
      : splitWords(
          matchText,
          cuts.sort((a, b) => a - b),
        );
  }

  /**
   * Cuts codes[start…end) after the longest key it begins with, or else before the longest it ends with, each
   * leaving at least `rest` units beside it; then cuts the rest again.
   */
  #cutCompound(codes: readonly number[], start: number, end: number, rest: number, depth: number): void {
    if (depth > 3 || end - start < rest) return;
    const prefix = this.#compoundPart(codes, start, end, beginsCompound, rest);
    if (prefix > start) {
      if (prefix < end) {
        this.#cuts.push(prefix);
        this.#cutCompound(codes, prefix, end, rest, depth + 1);
      }
      return;
    }
    const bit = pairHash(codes[end - 2] as number, codes[end - 1] as number);
    if (!((this.#compoundEnds[bit >>> 5] as number) & (1 << (bit & 31)))) return;
    for (let from = start + rest; from < end; from++) {
      if (this.#compoundPart(codes, from, end, endsCompound, 0) !== end) continue;
      this.#cuts.push(from);
      this.#cutCompound(codes, start, from, rest, depth + 1);
      return;
    }
  }

  /**
   * Where the longest key with the `role` bit that begins at `from` ends, leaving `rest` units or more before
   * `end` (or none); `from` when there is none.
   */
  #compoundPart(codes: readonly number[], from: number, end: number, role: number, rest: number): number {
    const trie = this.#trie;
    const roles = this.#compoundRole;
    let found = from;
    let state = root;
    for (let at = from; at < end;) {
      state = trie.next(state, codes[at] as number);
      if (state === dead) break;
      at++;
      const key = trie.keyAt(state);
      if (key >= 0 && (roles[key] as number) & role && (at === end || end - at >= rest)) found = at;
    }
    return found;
  }

  /**
   * Every name, term and abbreviation in the text, longest first at each word; overlaps are the caller's call.
   * `original` is the text `matchText` was prepared from (emoji are looked for in it).
   */
  scan(matchText: MatchText, original: string): LexiconMatch[] {
    const matches: LexiconMatch[] = [];
    const { codes, wordData, wordCount } = matchText;
    if (this.#covered.length < wordCount) this.#covered = new Uint8Array(2 * wordCount);
    const covered = this.#covered;
    covered.fill(0, 0, wordCount);
    const firstWords = this.#firstWords;
    for (let first = 0; first < wordCount; first++) {
      if ((wordData[3 * first + 2] as number) & unspacedWord) {
        this.#scanUnspaced(matchText, first, matches);
        continue;
      }
      // Every key found from here begins with this very word, or (when it is alone) is this word without its
      // inflection: most words of an advert begin no key at all, and cost no walk.
      const start = wordData[3 * first] as number;
      const end = wordData[3 * first + 1] as number;
      const cut = inflectionCut(codes, start, end);
      if (firstWords.mayHave(codes, start, end, cut)) {
        this.#scanSpaced(matchText, first, covered, matches);
        if (cut > 0 && codes[end - 1] === latinS) this.#scanPluralPhrase(matchText, first, covered, matches);
      }
    }
    this.#scanFuzzy(matchText, covered, matches);
    this.#scanEmoji(matchText, original, matches);
    return matches;
  }

  /**
   * Walks the trie from the start of word `first` through up to six words of spaced scripts, reporting the keys
   * that end where a word ends, or else (слона → слон) where a word's inflection begins.
   */
  #scanSpaced(matchText: MatchText, first: number, covered: Uint8Array, matches: LexiconMatch[]): void {
    const { codes, wordData, wordCount } = matchText;
    const trie = this.#trie;
    const origin = wordData[3 * first] as number;
    let state = root;
    let at = origin;
    let last = first;
    for (;;) {
      const wordEnd = wordData[3 * last + 1] as number;
      state = trie.walk(state, codes, at, wordEnd);
      if (state === dead) {
        this.#lookUpLemma(matchText, first, last, covered, matches);
        return;
      }
      const key = trie.keyAt(state);
      const words = last - first + 1;
      // A stem is found only through a word's ending: as a word of its own it is most often another ("как").
      if (
        key < 0 ||
        this.#stemKeys[key] ||
        !this.#reportWords(key, first, last, matchText, covered, matches, false)
      ) {
        this.#lookUpLemma(matchText, first, last, covered, matches);
      }
      if (words === maxWordsInTerm || last + 1 >= wordCount) return;
      if ((wordData[3 * (last + 1) + 2] as number) & unspacedWord) return;
      state = trie.next(state, space);
      if (state === dead) return;
      at = wordEnd + 1;
      last++;
    }
  }

  /**
   * Dictionary forms: 천산갑을 is 천산갑 with a particle, слона is слон in the genitive. The key of words
   * `first`…`last` had no entry; without its ending it may. Few words have an ending, so the walk to the lemma is
   * made again here (over the text's single spaces, as `#scanSpaced` walked them) rather than remembered at every
   * unit of every walk.
   */
  #lookUpLemma(
    matchText: MatchText,
    first: number,
    last: number,
    covered: Uint8Array,
    matches: LexiconMatch[],
  ): void {
    const { codes, wordData } = matchText;
    const origin = wordData[3 * first] as number;
    const end = wordData[3 * last + 1] as number;
    const cut = inflectionCut(codes, origin, end);
    if (cut === 0) return;
    const lemma = this.#trie.walk(root, codes, origin, end - cut);
    if (lemma === dead) return;
    const key = this.#trie.keyAt(lemma);
    if (key >= 0) this.#reportWords(key, first, last, matchText, covered, matches, codes[end - 1] === latinS);
  }

  /**
   * Reports key `key` found at [start, end) over `words` words; returns how many matches that made. A key read
   * from a plural reports only what a plural can be of (see `#pluralHits`).
   */
  #report(
    key: number,
    start: number,
    end: number,
    words: number,
    matches: LexiconMatch[],
    plural = false,
  ): number {
    let made = 0;
    const names = this.#keyNames[key];
    if (names !== undefined) {
      const hit = plural ? this.#pluralHits(key).names : (this.#nameHits[key] ??= { type: "name", names });
      if (hit !== null) {
        matches.push({ start, end, words, hit });
        made++;
      }
    }
    const entries = this.#keyEntries[key];
    if (entries !== undefined) {
      const hit = plural
        ? this.#pluralHits(key).entries
        : (this.#entryHits[key] ??= { type: "vocabulary", entries });
      if (hit !== null) {
        matches.push({ start, end, words, hit });
        made++;
      }
    }
    const taxa = words === 2 && names === undefined && !plural ? this.#keyAbbreviations[key] : undefined;
    if (taxa !== undefined) {
      const hit = (this.#abbreviationHits[key] ??= { type: "abbreviation", taxa });
      matches.push({ start, end, words, hit });
      made++;
    }
    return made;
  }

  /**
   * What a key read from a plural names: its common names ("pangolins", "tortugas") and its words for things
   * ("tusks", "shark fins", "toys"), never a scientific name ("pans" are no *Pan*) nor a word of selling, news or
   * claims, whose "-s" is most often a verb's ("ships", "bans", "lots").
   */
  #pluralHits(key: number): { names: LexiconHit | null; entries: LexiconHit | null } {
    let names = this.#pluralNameHits[key];
    if (names === undefined) {
      const common = (this.#keyNames[key] ?? []).filter(
        (name) => (this.species.names[name] as TaxonName).kind === "common",
      );
      names = this.#pluralNameHits[key] = common.length > 0 ? { type: "name", names: common } : null;
    }
    let entries = this.#pluralEntryHits[key];
    if (entries === undefined) {
      const things = (this.#keyEntries[key] ?? []).filter((entry) =>
        pluralKinds.has((this.vocabulary[entry] as VocabularyEntry).kind),
      );
      entries = this.#pluralEntryHits[key] =
        things.length > 0 ? { type: "vocabulary", entries: things } : null;
    }
    return { names, entries };
  }

  /**
   * Phrases whose first word is a plural the key lacks, as Romance languages write them, the noun first:
   * "aletas de tiburón" is "aleta de tiburón", and "tortue marines" or "tortues marines" (its last word a plural
   * too) is "tortue marine". Only phrases of two words or more that are no key as written: the first word alone
   * is `#lookUpLemma`'s, the phrase as written `#scanSpaced`'s.
   */
  #scanPluralPhrase(matchText: MatchText, first: number, covered: Uint8Array, matches: LexiconMatch[]): void {
    const { codes, wordData, wordCount } = matchText;
    const trie = this.#trie;
    const origin = wordData[3 * first] as number;
    let state = trie.walk(root, codes, origin, (wordData[3 * first + 1] as number) - 1);
    for (let last = first + 1; state !== dead && last < wordCount && last - first < maxWordsInTerm; last++) {
      if ((wordData[3 * last + 2] as number) & unspacedWord) return;
      state = trie.next(state, space);
      if (state === dead) return;
      const start = wordData[3 * last] as number;
      const end = wordData[3 * last + 1] as number;
      const singular = codes[end - 1] === latinS && inflectionCut(codes, start, end) > 0;
      const lemma = singular ? trie.walk(state, codes, start, end - 1) : dead;
      state = trie.walk(state, codes, start, end);
      const key = state === dead ? -1 : trie.keyAt(state);
      const lemmaKey = lemma === dead ? -1 : trie.keyAt(lemma);
      if (key < 0 && lemmaKey < 0) continue;
      // The phrase as written, over single spaces as the walks read them, is `#scanSpaced`'s.
      const asWritten = trie.walk(root, codes, origin, end);
      if (asWritten !== dead && trie.keyAt(asWritten) >= 0) continue;
      if (key >= 0) this.#reportWords(key, first, last, matchText, covered, matches, true);
      if (lemmaKey >= 0) this.#reportWords(lemmaKey, first, last, matchText, covered, matches, true);
    }
  }

  /** Reports key `key` found over words `first`…`last` and marks them covered; whether it made a match. */
  #reportWords(
    key: number,
    first: number,
    last: number,
    { wordData }: MatchText,
    covered: Uint8Array,
    matches: LexiconMatch[],
    plural: boolean,
  ): boolean {
    const start = wordData[3 * first] as number;
    const end = wordData[3 * last + 1] as number;
    if (this.#report(key, start, end, last - first + 1, matches, plural) === 0) return false;
    for (let word = first; word <= last; word++) covered[word] = 1;
    return true;
  }

  /** Keys anywhere inside a word of an unspaced script: a walk from every character, longest key first. */
  #scanUnspaced(matchText: MatchText, word: number, matches: LexiconMatch[]): void {
    const { codes, wordData } = matchText;
    const trie = this.#trie;
    const unspacedLength = this.#unspacedLength;
    const found = this.#found;
    const foundEnds = this.#foundEnds;
    const wordStart = wordData[3 * word] as number;
    const wordEnd = wordData[3 * word + 1] as number;
    for (let start = wordStart; start < wordEnd; start++) {
      let state = root;
      let count = 0;
      for (let at = start; at < wordEnd;) {
        state = trie.next(state, codes[at] as number);
        if (state === dead) break;
        at++;
        const key = trie.keyAt(state);
        if (key >= 0 && unspacedLength[at - start] === 1) {
          found[count] = key;
          foundEnds[count++] = at;
        }
      }
      while (count-- > 0) this.#report(found[count] as number, start, foundEnds[count] as number, 1, matches);
    }
  }

  // Misspelt binomials ("Psitacus erithacus") and terms ("pangolinn") that no exact look-up found.
  #scanFuzzy(matchText: MatchText, covered: Uint8Array, matches: LexiconMatch[]): void {
    const { codes, wordData, wordCount } = matchText;
    for (let at = 0; at < wordCount; at++) {
      const start = wordData[3 * at] as number;
      const end = wordData[3 * at + 1] as number;
      const flags = wordData[3 * at + 2] as number;
      if (covered[at] || flags & unspacedWord || end - start < minimumFuzzyLength) continue;
      if (!(flags & latinOnlyWord)) continue;
      if (!this.#fuzzyWords.mayBeNear(codes, start, end - start)) continue;
      const value = textOf(codes, start, end);
      for (const { key, distance } of this.#fuzzyWords.near(value)) {
        const genus = this.#fuzzyGenus.get(key);
        if (genus !== undefined && at + 1 < wordCount) {
          const nextStart = wordData[3 * (at + 1)] as number;
          const nextEnd = wordData[3 * (at + 1) + 1] as number;
          const nextUnspaced = ((wordData[3 * (at + 1) + 2] as number) & unspacedWord) !== 0;
          const binomial = nextUnspaced
            ? undefined
            : this.#fuzzyEpithet(genus, textOf(codes, nextStart, nextEnd));
          if (binomial) {
            matches.push({
              start,
              end: nextEnd,
              words: 2,
              hit: { type: "fuzzy-name", taxon: binomial.taxon, distance: distance + binomial.distance },
            });
            covered[at + 1] = 1;
          }
        }
        const entries = this.#fuzzyTerm.get(key);
        if (entries) {
          matches.push({ start, end, words: 1, hit: { type: "fuzzy-vocabulary", entries, distance } });
        }
      }
    }
  }

  #fuzzyEpithet(genus: number, epithet: string) {
    if (epithet.length < 4) return undefined;
    let best: { taxon: number; distance: number } | undefined;
    for (const { taxon, childEpithet } of this.#epithetsOf(genus)) {
      const distance = editDistance(epithet, childEpithet, 2);
      if (distance <= (childEpithet.length >= 8 ? 2 : 1) && (!best || distance < best.distance)) {
        best = { taxon, distance };
      }
    }
    return best;
  }

  /** The species of a genus with their epithets as keys, worked out once per genus. */
  #epithetsOf(genus: number): ReadonlyArray<{ taxon: number; childEpithet: string }> {
    let epithets = this.#epithets.get(genus);
    if (epithets === undefined) {
      epithets = this.species.children(genus).map((taxon) => ({
        taxon,
        childEpithet: nameKey(this.species.taxon(taxon).name).split(" ")[1] ?? "",
      }));
      this.#epithets.set(genus, epithets);
    }
    return epithets;
  }

  #scanEmoji(matchText: MatchText, original: string, matches: LexiconMatch[]): void {
    if (this.#emoji.length === 0) return;
    if (!this.#emojiNeedsFullSearch) {
      if ((matchText.symbolMask & this.#emojiMask) === 0) return;
    } else if (/^[\x00-\x7F]*$/.test(original)) {
      return;
    }
    // Most texts that get this far hold no emoji at all (CJK punctuation and currency signs share the mask's bits):
    // one search for each first unit rules out every term that begins with it.
    const leads = this.#emojiLeads;
    const leadFound = this.#emojiLeadFound;
    let anyFound = false;
    for (let index = 0; index < leads.length; index++) {
      const found = original.includes(leads[index] as string);
      leadFound[index] = found ? 1 : 0;
      anyFound ||= found;
    }
    if (!anyFound) return;
    for (const { text, entry, lead } of this.#emoji) {
      if (leadFound[lead] === 0) continue;
      for (let at = original.indexOf(text); at >= 0; at = original.indexOf(text, at + text.length)) {
        matches.push({
          start: at,
          end: at + text.length,
          words: 1,
          inOriginal: true,
          hit: { type: "vocabulary", entries: [entry] },
        });
      }
    }
  }

  /** Bytes held by the trie's typed arrays. */
  get automatonBytes(): number {
    return this.#trie.byteLength;
  }

  /** How many distinct keys the trie holds. */
  get keyCount(): number {
    return this.#trie.keys.length;
  }

  /**
   * Every key the trie holds, sorted: names, terms, two-word abbreviated binomials and the stems of Russian keys,
   * as `nameKey` gives them.
   */
  get keys(): readonly string[] {
    return this.#trie.keys;
  }
}

function* concat<T>(...iterables: Array<Iterable<T>>): Iterable<T> {
  for (const iterable of iterables) yield* iterable;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

// Case endings (Russian) and particles (Korean) a word may carry that the dictionary form lacks, with the
// shortest form left once one is cut: слона → слон, 천산갑을 → 천산갑, longest ending first.
const russianEndings = "ами ями ого его ому ему ой ей ом ем ов ев ам ям ах ях а я у ю е ы и ь".split(" ");
const koreanParticles =
  "으로 에서 에게 까지 부터 처럼 이랑 하고 을 를 이 가 은 는 의 도 에 로 와 과 만 랑".split(" ");
const latinS = 0x73;
const minimumPluralStem = 3;
// The kinds of term a plural can be of: things, and the names and colours whose meaning their context decides.
const pluralKinds: ReadonlySet<TermKind> = new Set<TermKind>([
  "product",
  "code",
  "negative",
  "lookalike",
  "substitute",
  "ambiguous",
  "colour",
]);
const inflections = new Map<number, number>([
  ...russianEndings.map((ending) => [suffixCode(ending), 3] as const),
  ...koreanParticles.map((particle) => [suffixCode(particle), 2] as const),
]);

// The endings a Russian key loses to its stem: those of the text and the й of попугай (попугая, попугаи).
const russianKeyEndings = [...russianEndings, "й"].sort((a, b) => b.length - a.length);

/** The stem of a Russian key that its inflected forms share once their endings are cut, or undefined. */
function russianStem(key: string): string | undefined {
  const last = key.charCodeAt(key.length - 1);
  if (!(last >= 0x430 && last <= 0x44f)) return undefined;
  const ending = russianKeyEndings.find((candidate) => key.endsWith(candidate));
  return ending !== undefined && key.length - ending.length >= 3 ? key.slice(0, -ending.length) : undefined;
}

function suffixCode(suffix: string): number {
  let code = suffix.length;
  for (let at = 0; at < suffix.length; at++) code = code * 65536 + suffix.charCodeAt(at);
  return code;
}

function isHangul(unit: number): boolean {
  return unit >= hangulFirst && unit <= hangulLast;
}

/** A hash of two UTF-16 units to 12 bits. */
function pairHash(first: number, second: number): number {
  return Math.imul(first * 65599 + second, 0x9e3779b1) >>> 20;
}

/**
 * How many units of the key in [start, end) of the text are its inflection: the longest ending or particle it
 * ends with, when what is left is long enough (the same rule as `withoutInflection`). 0 when none.
 */
function inflectionCut(codes: readonly number[], start: number, end: number): number {
  const last = codes[end - 1] as number;
  // A plural in "-s" (English, French, Spanish, Portuguese): "pangolins", "tortugas"; not "-ss" ("glass").
  if (last === latinS) return end - 1 - start >= minimumPluralStem && codes[end - 2] !== latinS ? 1 : 0;
  // Every ending is Cyrillic, every particle a Hangul syllable.
  if (!((last >= 0x430 && last <= 0x44f) || isHangul(last))) return 0;
  for (let length = 3; length >= 1; length--) {
    if (end - length < start) continue;
    let code = length;
    for (let at = end - length; at < end; at++) code = code * 65536 + (codes[at] as number);
    const shortest = inflections.get(code);
    if (shortest !== undefined) return end - length - start >= shortest ? length : 0;
  }
  return 0;
}

/**
 * A Bloom filter of 32-bit hashes of strings: no false "no", about 1 % false "maybe" at 12 bits a string, and
 * small enough to stay in the processor's cache. `add` and `mayHave` hash strings with FNV-1a, which is built a
 * unit at a time, so one pass over a word also hashes the word without its last units.
 */
class BloomFilter {
  readonly #bits: Int32Array;
  readonly #mask: number;

  constructor(log2Bits: number) {
    this.#bits = new Int32Array(1 << (log2Bits - 5));
    this.#mask = (1 << log2Bits) - 1;
  }

  add(text: string, from: number, to: number): void {
    let hash = fnvOffset;
    for (let at = from; at < to; at++) hash = Math.imul(hash ^ text.charCodeAt(at), fnvPrime);
    this.addHash(hash);
  }

  addHash(hash: number): void {
    for (let probe = 0; probe < 3; probe++) {
      const bit = probeBit(hash, probe) & this.#mask;
      this.#bits[bit >>> 5] = (this.#bits[bit >>> 5] as number) | (1 << (bit & 31));
    }
  }

  hasHash(hash: number): boolean {
    for (let probe = 0; probe < 3; probe++) {
      const bit = probeBit(hash, probe) & this.#mask;
      if (((this.#bits[bit >>> 5] as number) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  /** Whether codes[from…to) may have been added, or, when `cut` > 0, codes[from…to − cut). */
  mayHave(codes: readonly number[], from: number, to: number, cut: number): boolean {
    let hash = fnvOffset;
    let shorter = 0;
    for (let at = from; at < to; at++) {
      if (at === to - cut) shorter = hash;
      hash = Math.imul(hash ^ (codes[at] as number), fnvPrime);
    }
    return this.hasHash(hash) || (cut > 0 && this.hasHash(shorter));
  }
}

const fnvOffset = 0x811c9dc5 | 0;
const fnvPrime = 0x01000193;

function probeBit(hash: number, probe: number): number {
  // Three bit positions from one hash (double hashing: h1 + i · h2).
  const second = Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d) | 1;
  return (hash + Math.imul(probe, second)) >>> 0;
}

/**
 * Words within one or two edits of a query, found by shared single-character deletions (SymSpell's idea). A
 * Bloom filter of the hash of every deletion lets `mayBeNear` rule out almost every word of an advert without
 * building a string. Exported for its test, which holds `mayBeNear`'s remembered answers to fresh ones.
 */
export class DeletionIndex {
  readonly #byDeletion = new Map<string, string[]>();
  readonly #answers = new Map<string, ReadonlyArray<{ key: string; distance: number }>>();
  readonly #deletions = new BloomFilter(19);
  readonly #shortest: number;
  readonly #longest: number;
  /**
   * `mayBeNear`'s answers for recent words, one word a slot chosen by its hash: the same everyday words come back
   * advert after advert, and comparing a word with the one in its slot costs far less than taking it apart. A
   * slot holds the word's units, its length (0: empty) and the answer.
   */
  readonly #recentUnits = new Uint16Array(recentSlots * longestRecentWord);
  readonly #recentLengths = new Uint8Array(recentSlots);
  readonly #recentAnswers = new Uint8Array(recentSlots);

  constructor(words: Iterable<string>) {
    const unique = [...new Set(words)];
    for (const word of unique) {
      for (const variant of deletions(word)) push(this.#byDeletion, variant, word);
    }
    for (const variant of this.#byDeletion.keys()) {
      const codes = Int32Array.from({ length: variant.length }, (_, at) => variant.charCodeAt(at));
      this.#deletions.addHash(hashOf(codes, 0, codes.length));
    }
    this.#shortest = unique.reduce((shortest, word) => Math.min(shortest, word.length), Infinity);
    this.#longest = unique.reduce((longest, word) => Math.max(longest, word.length), 0);
  }

  /**
   * False when no word shares a deletion with the query `codes[from…from + length)`, so `near` would find
   * nothing; true when one may (hashes can collide: `near` decides).
   */
  mayBeNear(codes: readonly number[], from: number, length: number): boolean {
    if (length > this.#longest + 1 || length < this.#shortest - 1) return false;
    // (A length of 0 would match an empty slot.)
    if (length === 0 || length > longestRecentWord) return this.#sharesDeletion(codes, from, length);
    let hash = fnvOffset;
    for (let at = 0; at < length; at++) hash = Math.imul(hash ^ (codes[from + at] as number), fnvPrime);
    const slot = hash >>> (32 - log2RecentSlots);
    const units = this.#recentUnits;
    const offset = slot * longestRecentWord;
    if (this.#recentLengths[slot] === length) {
      let same = true;
      for (let at = 0; at < length && same; at++) same = units[offset + at] === codes[from + at];
      if (same) return this.#recentAnswers[slot] === 1;
    }
    const answer = this.#sharesDeletion(codes, from, length);
    for (let at = 0; at < length; at++) units[offset + at] = codes[from + at] as number;
    this.#recentLengths[slot] = length;
    this.#recentAnswers[slot] = answer ? 1 : 0;
    return answer;
  }

  #sharesDeletion(codes: readonly number[], from: number, length: number): boolean {
    // Polynomial hashes of every prefix and suffix give the hash of the query without any one character.
    let suffix = 0;
    let power = 1;
    const suffixes =
      suffixScratch.length > length ? suffixScratch : (suffixScratch = new Int32Array(2 * length + 2));
    suffixes[length] = 0;
    for (let at = length - 1; at >= 0; at--) {
      suffix = (suffix + Math.imul(codes[from + at] as number, power)) | 0;
      suffixes[at] = suffix;
      power = Math.imul(power, hashBase);
    }
    if (this.#deletions.hasHash(suffixes[0] as number)) return true;
    let prefix = 0;
    let tailPower = powerOf(length - 1);
    for (let at = 0; at < length; at++) {
      // Without character `at`: the prefix before it, shifted over what follows, plus that suffix.
      const hash = (Math.imul(prefix, tailPower) + (suffixes[at + 1] as number)) | 0;
      if (this.#deletions.hasHash(hash)) return true;
      prefix = (Math.imul(prefix, hashBase) + (codes[from + at] as number)) | 0;
      tailPower = powerOf(length - 2 - at);
    }
    return false;
  }

  /** Words near `query`; answers are remembered, as the same everyday words come back in advert after advert. */
  near(query: string): ReadonlyArray<{ key: string; distance: number }> {
    let found = this.#answers.get(query);
    if (found === undefined) {
      if (this.#answers.size >= 50_000) this.#answers.clear();
      found = this.#search(query);
      this.#answers.set(query, found);
    }
    return found;
  }

  #search(query: string): Array<{ key: string; distance: number }> {
    const maxEdits = query.length >= 9 ? 2 : 1;
    const candidates = new Set<string>();
    for (const variant of deletions(query))
      for (const word of this.#byDeletion.get(variant) ?? []) candidates.add(word);
    const found: Array<{ key: string; distance: number }> = [];
    for (const key of candidates) {
      if (key === query) continue;
      const distance = editDistance(query, key, maxEdits);
      if (distance <= maxEdits && key[0] === query[0]) found.push({ key, distance });
    }
    return found;
  }
}

const log2RecentSlots = 11;
const recentSlots = 1 << log2RecentSlots;
const longestRecentWord = 16;
const hashBase = 0x01000193;
let suffixScratch = new Int32Array(64);
const powers: number[] = [1];

function powerOf(exponent: number): number {
  if (exponent < 0) return 0;
  while (powers.length <= exponent) powers.push(Math.imul(powers[powers.length - 1] as number, hashBase));
  return powers[exponent] as number;
}

/** Σ codes[i] · base^(length − 1 − i), modulo 2³²: the same polynomial `mayBeNear` takes apart. */
function hashOf(codes: ArrayLike<number>, from: number, length: number): number {
  let hash = 0;
  for (let at = 0; at < length; at++) hash = (Math.imul(hash, hashBase) + (codes[from + at] as number)) | 0;
  return hash;
}

function deletions(word: string): string[] {
  const variants = [word];
  for (let at = 0; at < word.length; at++) variants.push(word.slice(0, at) + word.slice(at + 1));
  return variants;
}
