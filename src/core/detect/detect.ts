import { normalizeText } from "../text/normalize.ts";
import type { Appendix, Rank } from "../species/reference-data.ts";
import type { SpeciesIndex, TaxonName } from "../species/species-index.ts";
import type { Lexicon, LexiconMatch } from "../lexicon/lexicon.ts";
import { prepareMatchText, type MatchText } from "../lexicon/match-text.ts";
import type { ProductType, Strength, TermKind, VocabularyEntry } from "../lexicon/vocabulary.ts";
import {
  featureNames,
  forEachNgramBucket,
  priorModel,
  type DetectionModel,
  type FeatureName,
  type FeatureValues,
} from "./model.ts";
import { findPatternSignals, type PatternSignal } from "./signals.ts";

export const detectorVersion = "wildtrawl-detect/1.0.0";

/** An advert as the trawler extracts it or a platform submits it; every field is optional but one. */
export interface Advert {
  readonly title?: string;
  readonly text?: string;
  readonly price?: string;
  readonly seller?: string;
  readonly site?: string;
  /** BCP-47 language of the advert, when known: names in that language weigh more. */
  readonly language?: string;
  /**
   * Where the text was published: a marketplace "listing" (a classified ad or shop item, whose page is itself an
   * offer) or a "post" (social media, forums), which must show its intent in words. Unknown: treated as a post.
   */
  readonly context?: "listing" | "post";
}

export type AdvertField = "title" | "text" | "price" | "seller";
export type Verdict = "offer" | "mention" | "none";
export type MatchKind = TaxonName["kind"] | "abbreviation" | TermKind | "price" | "contact" | "link";

export interface DetectionMatch {
  /** The characters as the advert wrote them. */
  readonly text: string;
  /** The name or term they were recognised as. */
  readonly term: string;
  readonly kind: MatchKind;
  readonly lang?: string;
  readonly field: AdvertField;
  /** UTF-16 offsets within the field. */
  readonly start: number;
  readonly end: number;
  /** Ids of the taxa the match points to. */
  readonly taxa: readonly string[];
  readonly product?: ProductType;
  readonly strength?: Strength;
  readonly source?: string;
  /** Edit distance of a misspelt match. */
  readonly distance?: number;
  /** Written to dodge filters: leetspeak, look-alike letters, spaced or repeated letters. */
  readonly evasive?: boolean;
  /** Set when a longer phrase (a look-alike or claimed substitute) overrides this match. */
  readonly suppressedBy?: string;
}

export interface DetectedTaxon {
  readonly id: string;
  readonly name: string;
  readonly rank: Rank;
  readonly listed: boolean;
  readonly appendices: readonly Appendix[];
  /** The listing that applies: the taxon's own, an ancestor's ("Dalbergia spp.") or its members'. */
  readonly listedThrough?: string;
  readonly listingSource?: { readonly id: string; readonly date: string };
  readonly evidence: number;
  readonly terms: readonly string[];
}

export interface ScorePart {
  readonly label: string;
  readonly points: number;
}

export interface Detection {
  readonly detectorVersion: string;
  readonly verdict: Verdict;
  /** Calibrated probability that the advert offers a CITES-listed taxon. */
  readonly score: number;
  readonly taxa: readonly DetectedTaxon[];
  readonly products: readonly ProductType[];
  readonly matches: readonly DetectionMatch[];
  /** Every point of the score, the bias included: their sum, through the calibration, is the score. */
  readonly scoreParts: readonly ScorePart[];
  readonly reasons: readonly string[];
  /** Things a person should look at whatever the verdict (claimed substitutes, appendix splits). */
  readonly review: readonly string[];
}

export interface DetectOptions {
  /** The weights; without one, the hand-set prior (`wildtrawl model train` fits a better one). */
  readonly model?: DetectionModel;
  /** Minimum score for an offer verdict. */
  readonly offerThreshold?: number;
}

/** How much each match is worth before any training: picks the strongest evidence and scales features. */
const priorPoints = {
  name: {
    scientificBinomial: 3,
    scientificHigher: 1.5,
    everydayGenus: 0.3,
    commonPhrase: 2.5,
    commonWord: 1.6,
    shortWord: 0.5,
  },
  abbreviation: 2.4,
  fuzzyFactor: 0.75,
  otherLanguageFactor: 0.7,
  taxonTerm: { strong: 2.2, medium: 1.4, weak: 0.6 },
  corroborationFactor: 0.3,
  corroborationCap: 1,
  product: 0.4,
  intent: { strong: 1.6, medium: 1.1, weak: 0.5 },
  price: 1.4,
  contact: 1,
  link: 0.4,
  wanted: -2.5,
  news: { strong: -1.8, medium: -1.2, weak: -0.6 },
  negative: { strong: -2.5, medium: -1.5, weak: -0.7 },
  substitute: -1,
} as const;

// Genus names that are everyday words in the languages of the trade: alone they say almost nothing.
const everydayGenera = new Set([
  "python",
  "boa",
  "puma",
  "lynx",
  "lama",
  "bos",
  "ara",
  "eos",
  "naja",
  "aloe",
  "canis",
  "equus",
  "capra",
  "ovis",
  "panthera",
  "amazona",
  "cactus",
  "orchis",
  "mantella",
  "morelia",
  "saiga",
  "manta",
  "nautilus",
  "tridacna",
  "hippocampus",
  "corallium",
  "euphorbia",
  "cyclamen",
  "galanthus",
  "pachypodium",
  "dracaena",
  "vanilla",
]);

interface Candidate extends DetectionMatch {
  readonly points: number;
  readonly taxonIndices: readonly number[];
  readonly originalStart: number;
  readonly originalEnd: number;
}

/** What an advert contains, before any weight is applied: what training learns from and scoring weighs. */
export interface Analysis {
  readonly taxa: readonly DetectedTaxon[];
  readonly products: readonly ProductType[];
  readonly matches: readonly DetectionMatch[];
  readonly features: FeatureValues;
  /** For each feature present, the words of the advert behind it. */
  readonly featureLabels: Partial<Record<FeatureName, string>>;
  /** The normalised words, for the n-gram part of the score. */
  readonly words: readonly string[];
  readonly reasons: readonly string[];
  readonly review: readonly string[];
  readonly gates: { readonly listedTaxon: boolean; readonly intent: boolean; readonly buyer: boolean };
}

export function analyseAdvert(advert: Advert, lexicon: Lexicon): Analysis {
  const fields = composeFields(advert);
  const matchText = prepareMatchText(fields.text);
  const candidates = [
    ...lexicon
      .scan(matchText, fields.text)
      .flatMap((match) => toCandidates(match, matchText, fields, lexicon, advert.language)),
    ...findPatternSignals(fields.text).map((signal) => signalCandidate(signal, fields)),
  ];
  const resolved = requireContextForAmbiguousNames(resolveOverlaps(candidates));
  const active = resolved.filter((candidate) => !candidate.suppressedBy);
  const features: FeatureValues = {};
  const featureLabels: Partial<Record<FeatureName, string>> = {};
  const set = (name: FeatureName, value: number, label: string) => {
    if (value === 0) return;
    features[name] = round(value, 3);
    featureLabels[name] = label;
  };
  const reasons: string[] = [];
  const review: string[] = [];

  const taxa = aggregateTaxa(active, lexicon);
  const listedTaxa = taxa.filter((taxon) => taxon.listed);
  const bestListed = listedTaxa[0];
  if (bestListed) {
    const supporting = active.filter((candidate) =>
      candidate.taxa.some((id) => listedTaxa.some((taxon) => taxon.id === id)),
    );
    const strongest = [...supporting].sort((a, b) => b.points - a.points)[0] as Candidate;
    const { feature, factor } = evidenceFeature(strongest);
    set(
      feature,
      factor,
      `listed taxon ${bestListed.listedThrough ?? bestListed.name} via '${strongest.text}'`,
    );
    if (bestListed.listedThrough?.includes("members listed"))
      set("taxon.members-only", 1, `${bestListed.name} is listed through its members`);
    set(
      "taxon.corroboration",
      Math.min(3, supporting.length - 1),
      `more words for the same taxa ${quoteList(supporting.filter((candidate) => candidate !== strongest))}`,
    );
  } else if (taxa.length > 0) {
    set(
      "taxon.unlisted-only",
      1,
      `only taxa that are not CITES-listed (${taxa
        .map((taxon) => taxon.name)
        .slice(0, 3)
        .join(", ")})`,
    );
  }
  for (const taxon of listedTaxa.slice(0, 4)) {
    const via = active
      .filter((candidate) => candidate.taxa.includes(taxon.id))
      .map(
        (candidate) =>
          `'${candidate.text}' (${[candidate.lang, kindLabel(candidate)].filter(Boolean).join(", ")})`,
      );
    reasons.push(
      `Appendix ${taxon.appendices.join("/")}: ${taxon.listedThrough ?? taxon.name} via ${[...new Set(via)].join(", ")}`,
    );
  }
  for (const taxon of taxa.filter((candidate) => !candidate.listed).slice(0, 2)) {
    reasons.push(`not CITES-listed: ${taxon.name} via ${taxon.terms.map((term) => `'${term}'`).join(", ")}`);
  }

  const products = [
    ...new Set(
      active.flatMap((candidate) =>
        ["product", "code", "substitute"].includes(candidate.kind) &&
        candidate.product &&
        candidate.product !== ("*" as ProductType)
          ? [candidate.product]
          : [],
      ),
    ),
  ];
  const plainProducts = active.filter(
    (candidate) => candidate.kind === "product" && candidate.taxonIndices.length === 0,
  );
  set("product.plain", Math.min(2, plainProducts.length), `product words ${quoteList(plainProducts)}`);
  if (products.length > 0) reasons.push(`product: ${products.join(", ")}`);

  const intentSignals = active.filter((candidate) =>
    ["intent", "price", "contact", "link"].includes(candidate.kind),
  );
  for (const strength of ["strong", "medium", "weak"] as const) {
    const words = intentSignals.filter(
      (candidate) => candidate.kind === "intent" && candidate.strength === strength,
    );
    set(`intent.${strength}`, Math.min(2, words.length), `sale words ${quoteList(words)}`);
  }
  for (const kind of ["price", "contact", "link"] as const) {
    const found = intentSignals.filter((candidate) => candidate.kind === kind);
    set(`intent.${kind}`, found.length > 0 ? 1 : 0, `${kind} ${quoteList(found)}`);
  }
  const listing = advert.context === "listing";
  set("intent.listing", listing ? 1 : 0, "published as a marketplace listing");
  if (listing) reasons.push("published as a marketplace listing: the page itself offers the item");
  if (intentSignals.length > 0) {
    const prices = intentSignals.filter((candidate) => candidate.kind === "price");
    const others = intentSignals.filter((candidate) => candidate.kind !== "price");
    reasons.push(
      `sale intent: ${[prices.length ? `price ${quoteList(prices)}` : "", others.length ? quoteList(others) : ""].filter(Boolean).join("; ")}`,
    );
  }

  const wanted = active.filter((candidate) => candidate.kind === "wanted");
  set("wanted", wanted.length > 0 ? 1 : 0, `buyer, not seller ${quoteList(wanted)}`);
  if (wanted.length > 0) reasons.push(`buyer, not seller: ${quoteList(wanted)}`);
  const news = active.filter((candidate) => candidate.kind === "news");
  for (const strength of ["strong", "medium", "weak"] as const) {
    const words = news.filter((candidate) => candidate.strength === strength);
    set(`news.${strength}`, Math.min(2, words.length), `reads as news or advocacy ${quoteList(words)}`);
  }
  if (news.length > 0) reasons.push(`reads as news or advocacy: ${quoteList(news)}`);
  const negatives = active.filter(
    (candidate) =>
      candidate.kind === "negative" &&
      (candidate.product === undefined ||
        candidate.product === ("*" as ProductType) ||
        products.includes(candidate.product) ||
        listedTaxa.length > 0),
  );
  const strongestNegative = (["strong", "medium", "weak"] as const).find((strength) =>
    negatives.some((candidate) => candidate.strength === strength),
  );
  if (strongestNegative) {
    set(`negative.${strongestNegative}`, 1, `not the real thing ${quoteList(negatives)}`);
    reasons.push(`against: ${quoteList(negatives)} (imitation, depiction or other meaning)`);
  }
  for (const suppressed of resolved.filter((candidate) => candidate.suppressedBy)) {
    reasons.push(
      suppressed.suppressedBy?.includes("an ambiguous name")
        ? `ignored '${suppressed.text}': ${suppressed.suppressedBy.slice(suppressed.text.length + 2)}`
        : `ignored '${suppressed.text}' inside '${suppressed.suppressedBy}'`,
    );
  }
  const substitutes = active.filter((candidate) => candidate.kind === "substitute");
  set("substitute", substitutes.length > 0 ? 1 : 0, `claimed legal substitute ${quoteList(substitutes)}`);
  if (substitutes.length > 0)
    review.push(`claimed legal substitute ${quoteList(substitutes)}: check the material and its documents`);
  const claims = active.filter((candidate) => candidate.kind === "claim");
  set("claim", claims.length > 0 ? 1 : 0, `claims of legality ${quoteList(claims)}`);
  if (claims.length > 0) review.push(`claims of legality to check: ${quoteList(claims)}`);
  const evasive = active.filter((candidate) => candidate.evasive && candidate.taxonIndices.length > 0);
  set("evasive", evasive.length > 0 ? 1 : 0, `evasive spelling ${quoteList(evasive)}`);
  if (evasive.length > 0) reasons.push(`evasive spelling: ${quoteList(evasive)}`);
  for (const taxon of listedTaxa) {
    if (taxon.appendices.length > 1)
      review.push(
        `${taxon.name} is split-listed (Appendix ${taxon.appendices.join("/")}): the origin decides which applies`,
      );
  }

  return {
    taxa,
    products,
    matches: resolved
      .map(stripInternals)
      .sort((a, b) => fieldOrder(a.field) - fieldOrder(b.field) || a.start - b.start),
    features,
    featureLabels,
    words: matchText.wordTexts(),
    reasons,
    review,
    gates: {
      listedTaxon: listedTaxa.length > 0,
      intent: intentSignals.length > 0 || listing,
      buyer: wanted.length > 0,
    },
  };
}

/**
 * Finds the CITES taxa an advert refers to and whether it offers them for sale, with every reason and every
 * point of the score. Deterministic: the same advert, lexicon and model give the same answer.
 */
export function detect(advert: Advert, lexicon: Lexicon, options: DetectOptions = {}): Detection {
  const model = options.model ?? priorModel;
  const analysis = analyseAdvert(advert, lexicon);
  const scoreParts: ScorePart[] = [
    { label: "base rate (most adverts offer no CITES taxon)", points: round(model.bias) },
  ];
  // Only the few features present, in the model's order: looking up every name costs more than the scoring.
  const present = (Object.keys(analysis.features) as FeatureName[]).sort(
    (a, b) => featureIndex(a) - featureIndex(b),
  );
  for (const name of present) {
    const value = analysis.features[name] as number;
    const pointsForFeature = round(model.weights[name] * value);
    if (pointsForFeature !== 0)
      scoreParts.push({ label: analysis.featureLabels[name] ?? name, points: pointsForFeature });
  }
  const wording = ngramContribution(analysis.words, model);
  if (wording.points !== 0) scoreParts.push(wording);
  const total = scoreParts.reduce((sum, part) => sum + part.points, 0);
  const score = round(1 / (1 + Math.exp(-total)), 4);
  const offerThreshold = options.offerThreshold ?? 0.5;
  const { listedTaxon, intent, buyer } = analysis.gates;
  const verdict: Verdict =
    listedTaxon && intent && !buyer && score >= offerThreshold ? "offer" : listedTaxon ? "mention" : "none";
  return {
    detectorVersion,
    verdict,
    score,
    taxa: analysis.taxa,
    products: analysis.products,
    matches: analysis.matches,
    scoreParts,
    reasons: [verdictSentence(verdict, score), ...new Set(analysis.reasons)],
    review: analysis.review,
  };
}

let seenStamps = new Uint32Array(0);
let seenStamp = 0;

/** The n-gram part of the score, labelled with the n-grams that weigh most, so that it too is explained. */
function ngramContribution(words: readonly string[], model: DetectionModel): ScorePart {
  const { size, buckets, weights } = model.ngrams;
  let total = 0;
  // The three n-grams that weigh most, kept as (word, start) so that only they become strings.
  const strongest: Array<{ word: string; start: number; weight: number }> = [];
  // Each bucket counts once per advert: a bucket is seen when it holds this call's stamp.
  if (seenStamps.length < buckets) seenStamps = new Uint32Array(buckets);
  const stamp = (seenStamp = seenStamp === 0xffffffff ? 1 : seenStamp + 1);
  if (stamp === 1) seenStamps.fill(0);
  forEachNgramBucket(words, size, buckets, (bucket, word, start) => {
    if (seenStamps[bucket] === stamp) return;
    seenStamps[bucket] = stamp;
    const weight = weights[bucket] ?? 0;
    if (weight === 0) return;
    total += weight;
    if (strongest.length < 3 || Math.abs(weight) > Math.abs(strongest[2]?.weight ?? 0)) {
      strongest.push({ word, start, weight });
      strongest.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
      strongest.length = Math.min(strongest.length, 3);
    }
  });
  if (total === 0) return { label: "wording", points: 0 };
  const shown = strongest.map(
    ({ word, start, weight }) =>
      `'${` ${word} `.slice(start, start + size).trim()}' ${weight >= 0 ? "+" : ""}${round(weight)}`,
  );
  return { label: `wording like the training adverts (${shown.join(", ")})`, points: round(total) };
}

const featureOrder = new Map<FeatureName, number>(featureNames.map((name, index) => [name, index]));

function featureIndex(name: FeatureName): number {
  return featureOrder.get(name) ?? featureNames.length;
}

function evidenceFeature(candidate: Candidate): { feature: FeatureName; factor: number } {
  const p = priorPoints;
  if (candidate.kind === "abbreviation") return { feature: "taxon.abbreviation", factor: 1 };
  if (candidate.kind === "scientific" || candidate.kind === "synonym") {
    if (candidate.distance) return { feature: "taxon.misspelt-name", factor: 1 };
    if (candidate.points >= p.name.scientificBinomial)
      return { feature: "taxon.scientific-binomial", factor: 1 };
    if (candidate.points <= p.name.everydayGenus) return { feature: "taxon.everyday-genus", factor: 1 };
    return { feature: "taxon.scientific-higher", factor: 1 };
  }
  if (candidate.kind === "common") {
    const phrase =
      candidate.points >= p.name.commonPhrase * p.otherLanguageFactor && candidate.term.includes(" ");
    const base = phrase ? p.name.commonPhrase : p.name.commonWord;
    return {
      feature: phrase ? "taxon.common-phrase" : "taxon.common-word",
      factor: Math.min(1, candidate.points / base),
    };
  }
  const strength = candidate.strength ?? "weak";
  const factor = candidate.distance ? p.fuzzyFactor : 1;
  return { feature: `taxon.term-${strength}`, factor };
}

interface ComposedFields {
  readonly text: string;
  readonly spans: ReadonlyArray<{
    readonly field: AdvertField;
    readonly start: number;
    readonly end: number;
  }>;
}

// One text for one scan; a line break between fields keeps a title's last word from joining the body's first.
function composeFields(advert: Advert): ComposedFields {
  let text = "";
  const spans: Array<{ field: AdvertField; start: number; end: number }> = [];
  for (const field of ["title", "text", "price", "seller"] as const) {
    const value = advert[field];
    if (!value) continue;
    if (text) text += "\n";
    spans.push({ field, start: text.length, end: text.length + value.length });
    text += value;
  }
  return { text, spans };
}

function locate(fields: ComposedFields, start: number, end: number) {
  const span =
    fields.spans.find((candidate) => start >= candidate.start && start < candidate.end) ?? fields.spans[0];
  const offset = span?.start ?? 0;
  return {
    field: span?.field ?? "text",
    start: start - offset,
    end: Math.min(end, span?.end ?? end) - offset,
  };
}

function toCandidates(
  match: LexiconMatch,
  matchText: MatchText,
  fields: ComposedFields,
  lexicon: Lexicon,
  language: string | undefined,
): Candidate[] {
  const originalStart = match.inOriginal ? match.start : (matchText.originalStart[match.start] ?? 0);
  const originalEnd = match.inOriginal ? match.end : (matchText.originalEnd[match.end - 1] ?? originalStart);
  const written = fields.text.slice(originalStart, originalEnd);
  const evasive = !match.inOriginal && matchText.hasDeobfuscatedWordIn(match.start, match.end);
  const where = locate(fields, originalStart, originalEnd);
  const base = { text: written, ...where, originalStart, originalEnd, ...(evasive ? { evasive: true } : {}) };
  const species = lexicon.species;
  const hit = match.hit;

  if (hit.type === "name") {
    // Accents the advert wrote must be the name's; computed once for all the names sharing this key.
    const writtenUnfolded = latinDiacritic.test(written) ? unfoldAccents(written) : undefined;
    const names: TaxonName[] = [];
    const traits = nameTraitsOf(species);
    for (const nameIndex of hit.names) {
      const name = species.names[nameIndex] as TaxonName;
      const nameTraits = traitsOfName(traits, nameIndex, name);
      // One short Latin word ("ship", "kea", "lory") is an everyday word far more often than an animal's name.
      if (name.kind === "common" && nameTraits & NameTrait.shortLatinWord) continue;
      const accentsFit =
        writtenUnfolded === undefined
          ? !(nameTraits & NameTrait.latinDiacritic) || accentsDroppedPlausibly(written, name, language)
          : writtenUnfolded === unfoldAccents(name.text);
      if (!accentsFit) continue;
      if (
        nameTraits & NameTrait.katakana &&
        !fitsScriptBoundary(fields.text, originalStart, originalEnd, name.text)
      )
        continue;
      names.push(name);
    }
    if (names.length === 0) return [];
    // The first of the heaviest names, as a stable sort by weight would give.
    let best = names[0] as TaxonName;
    let bestWeight = nameWeight(best, match, language);
    for (let index = 1; index < names.length; index++) {
      const weight = nameWeight(names[index] as TaxonName, match, language);
      if (weight > bestWeight) [best, bestWeight] = [names[index] as TaxonName, weight];
    }
    const taxonIndices = [
      ...new Set(names.filter((name) => name.kind === best.kind).map((name) => name.taxon)),
    ].slice(0, 6);
    return [
      {
        ...base,
        term: best.text,
        kind: best.kind,
        lang: best.lang,
        taxa: taxonIndices.map((taxon) => species.taxon(taxon).id),
        taxonIndices,
        points: bestWeight,
        ...(best.source !== undefined ? { source: species.source(best.source).id } : {}),
      },
    ];
  }
  if (hit.type === "abbreviation") {
    const taxonIndices = hit.taxa.slice(0, 6);
    return [
      {
        ...base,
        term: taxonIndices.map((taxon) => species.taxon(taxon).name).join(" | "),
        kind: "abbreviation",
        lang: "la",
        taxa: taxonIndices.map((taxon) => species.taxon(taxon).id),
        taxonIndices,
        points: priorPoints.abbreviation,
      },
    ];
  }
  if (hit.type === "fuzzy-name") {
    const taxon = species.taxon(hit.taxon);
    return [
      {
        ...base,
        term: taxon.name,
        kind: "scientific",
        lang: "la",
        taxa: [taxon.id],
        taxonIndices: [hit.taxon],
        distance: hit.distance,
        points: priorPoints.name.scientificBinomial * priorPoints.fuzzyFactor,
      },
    ];
  }
  const entries = hit.entries;
  const distance = hit.type === "fuzzy-vocabulary" ? hit.distance : undefined;
  // One advert word can be an entry in several languages; the advert's language, then English, wins.
  const byKind = new Map<TermKind, number>();
  for (const entryIndex of entries) {
    const entry = lexicon.vocabulary[entryIndex] as VocabularyEntry;
    if (distance === undefined && !sameAccents(written, entry.term)) continue;
    const previous = byKind.get(entry.kind);
    if (
      previous === undefined ||
      entryPreference(entry, language) >
        entryPreference(lexicon.vocabulary[previous] as VocabularyEntry, language)
    ) {
      byKind.set(entry.kind, entryIndex);
    }
  }
  return [...byKind.values()].map((entryIndex) => {
    const entry = lexicon.vocabulary[entryIndex] as VocabularyEntry;
    const taxonIndices = lexicon.vocabularyTaxa[entryIndex] ?? [];
    const product = entry.product && entry.product !== "*" ? entry.product : undefined;
    return {
      ...base,
      term: entry.term,
      kind: entry.kind,
      lang: entry.lang,
      taxa: taxonIndices.map((taxon) => species.taxon(taxon).id),
      taxonIndices,
      ...(product ? { product } : entry.product === "*" ? { product: "*" as ProductType } : {}),
      strength: entry.strength,
      source: entry.source,
      ...(distance !== undefined ? { distance } : {}),
      points:
        termPoints(entry, taxonIndices.length > 0) * (distance !== undefined ? priorPoints.fuzzyFactor : 1),
    };
  });
}

function signalCandidate(signal: PatternSignal, fields: ComposedFields): Candidate {
  return {
    text: signal.text,
    term: signal.kind,
    kind: signal.kind,
    ...locate(fields, signal.start, signal.end),
    taxa: [],
    taxonIndices: [],
    originalStart: signal.start,
    originalEnd: signal.end,
    points: priorPoints[signal.kind],
  };
}

function termPoints(entry: VocabularyEntry, impliesTaxa: boolean): number {
  switch (entry.kind) {
    case "product":
    case "code":
      return impliesTaxa ? priorPoints.taxonTerm[entry.strength] : priorPoints.product;
    case "intent":
      return priorPoints.intent[entry.strength];
    case "news":
      return priorPoints.news[entry.strength];
    case "negative":
      return priorPoints.negative[entry.strength];
    case "wanted":
      return priorPoints.wanted;
    case "substitute":
      return priorPoints.substitute;
    case "lookalike":
    case "claim":
    case "ambiguous":
      return 0;
  }
}

function nameWeight(name: TaxonName, match: LexiconMatch, language: string | undefined): number {
  const key = name.key;
  const words = key.split(" ").length;
  let weight: number;
  if (name.kind !== "common") {
    if (words >= 2) weight = priorPoints.name.scientificBinomial;
    else
      weight = everydayGenera.has(key) ? priorPoints.name.everydayGenus : priorPoints.name.scientificHigher;
  } else if (words >= 2 || match.words >= 2) {
    weight = priorPoints.name.commonPhrase;
  } else {
    const unspaced =
      /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u.test(key);
    const long = unspaced ? key.length >= 2 : key.length >= 5;
    weight = long ? priorPoints.name.commonWord : priorPoints.name.shortWord;
  }
  const otherLanguage =
    language !== undefined &&
    name.kind === "common" &&
    !sameLanguage(name.lang, language) &&
    !sameLanguage(name.lang, "en");
  return otherLanguage ? weight * priorPoints.otherLanguageFactor : weight;
}

function isShortLatinWord(key: string): boolean {
  return !key.includes(" ") && key.length < 5 && /^\p{Script=Latin}+$/u.test(key);
}

function entryPreference(entry: VocabularyEntry, language: string | undefined): number {
  return (language && sameLanguage(entry.lang, language) ? 2 : 0) + (entry.lang === "en" ? 1 : 0);
}

function sameLanguage(tag: string, other: string): boolean {
  return tag.split("-")[0]?.toLowerCase() === other.split("-")[0]?.toLowerCase();
}

const latinDiacritic = /[\u00C0-\u024F\u1E00-\u1EFF]/u;

/**
 * Keys fold accents so that "vay te te" finds "vảy tê tê"; but where the advert did write accents they must be
 * the name's: Vietnamese "hồ" (lake) is not "hổ" (tiger).
 */
function sameAccents(written: string, name: string): boolean {
  if (!latinDiacritic.test(written)) return true;
  return unfoldAccents(written) === unfoldAccents(name);
}

function unfoldAccents(text: string): string {
  return normalizeText(text)
    .replace(/[\p{P}\p{S}\p{Z}\s]+/gu, " ")
    .trim();
}

/**
 * Sellers type "te te" for "tê tê", but an accent-less word that only matches a foreign name by dropping its
 * accents is usually a word of another language: English "store" is not German "Störe" (sturgeons). Such a
 * match needs the advert's language to be the name's, or a name long enough to be unambiguous.
 */
function accentsDroppedPlausibly(written: string, name: TaxonName, language: string | undefined): boolean {
  if (name.kind !== "common" || latinDiacritic.test(written) || !latinDiacritic.test(name.text)) return true;
  if (language !== undefined && sameLanguage(name.lang, language)) return true;
  return name.key.replace(/ /g, "").length >= 8;
}

const katakana = /\p{Script=Katakana}/u;

/** What the name filters ask of a name's spelling, worked out once per name rather than once per match. */
const NameTrait = { known: 1, latinDiacritic: 2, shortLatinWord: 4, katakana: 8 } as const;
const nameTraits = new WeakMap<SpeciesIndex, Uint8Array>();

function nameTraitsOf(species: SpeciesIndex): Uint8Array {
  let traits = nameTraits.get(species);
  if (traits === undefined) {
    traits = new Uint8Array(species.names.length);
    nameTraits.set(species, traits);
  }
  return traits;
}

function traitsOfName(traits: Uint8Array, nameIndex: number, name: TaxonName): number {
  const known = traits[nameIndex] as number;
  if (known & NameTrait.known) return known;
  const worked =
    NameTrait.known |
    (latinDiacritic.test(name.text) ? NameTrait.latinDiacritic : 0) |
    (isShortLatinWord(name.key) ? NameTrait.shortLatinWord : 0) |
    (katakana.test(name.text) ? NameTrait.katakana : 0);
  traits[nameIndex] = worked;
  return worked;
}

// A katakana name inside a longer katakana word is another word: カバ (hippo) in カバン (bag).
function fitsScriptBoundary(text: string, start: number, end: number, name: string): boolean {
  if (!katakana.test(name)) return true;
  return !katakana.test(text[start - 1] ?? "") && !katakana.test(text[end] ?? "");
}

/**
 * Look-alike phrases and claimed substitutes override the words inside them ("tiger" in "tiger balm", "ivory" in
 * "mammoth ivory"); a taxon name inside a longer name of the same taxon adds nothing.
 */
function resolveOverlaps(candidates: Candidate[]): Candidate[] {
  const result: Candidate[] = [];
  const length = (candidate: Candidate) => candidate.originalEnd - candidate.originalStart;
  const contains = (outer: Candidate, inner: Candidate) =>
    outer !== inner &&
    outer.originalStart <= inner.originalStart &&
    outer.originalEnd >= inner.originalEnd &&
    length(outer) > length(inner);
  const overlaps = (a: Candidate, b: Candidate) =>
    a !== b && a.originalStart < b.originalEnd && b.originalStart < a.originalEnd;
  const bearsTaxa = (candidate: Candidate) => candidate.taxonIndices.length > 0;
  const everydayMeaning = new Set<MatchKind>([
    "intent",
    "wanted",
    "news",
    "negative",
    "lookalike",
    "substitute",
    "claim",
  ]);
  for (const candidate of candidates) {
    const isName = ["scientific", "synonym", "common", "abbreviation"].includes(candidate.kind);
    // A look-alike overrides what it contains; a claimed substitute overrides the taxa it overlaps.
    const overrider = candidates.find(
      (outer) =>
        (outer.kind === "lookalike" &&
          contains(outer, candidate) &&
          !["intent", "price", "contact", "link"].includes(candidate.kind)) ||
        (outer.kind === "substitute" &&
          bearsTaxa(candidate) &&
          overlaps(outer, candidate) &&
          length(outer) >= length(candidate)),
    );
    if (overrider) {
      result.push({ ...candidate, suppressedBy: overrider.text });
      continue;
    }
    // Once an advert says what its material is ("mammoth ivory"), its other bare "ivory" words mean that too.
    const namedSubstitute = candidates.find(
      (other) =>
        other.kind === "substitute" &&
        other.product !== undefined &&
        other.product === candidate.product &&
        (candidate.kind === "product" || candidate.kind === "code") &&
        bearsTaxa(candidate),
    );
    if (namedSubstitute) {
      result.push({ ...candidate, suppressedBy: namedSubstitute.text });
      continue;
    }
    // A common name that is also an everyday trade word ("ship", "ban") means the word here.
    if (
      isName &&
      candidate.kind === "common" &&
      candidates.some(
        (other) =>
          everydayMeaning.has(other.kind) &&
          other.originalStart <= candidate.originalStart &&
          other.originalEnd >= candidate.originalEnd,
      )
    ) {
      continue;
    }
    // A shorter match inside a longer one of the same kind, or a taxon name inside a longer taxon name, adds
    // nothing: 穿山甲 inside 穿山甲片, "Loxodonta" inside "Loxodonta africana".
    const redundant = candidates.some(
      (outer) =>
        contains(outer, candidate) &&
        (outer.kind === candidate.kind || (isName && bearsTaxa(outer) && bearsTaxa(candidate))),
    );
    if (redundant) continue;
    result.push(candidate);
  }
  return result;
}

/**
 * Names that are also brands, colours or other things ("jaguar", "python", "tiger", "eagle") count only when the
 * advert also speaks of an animal, a part or a product: "jaguar pelt" is wildlife, "Jaguar XF" is a car.
 */
function requireContextForAmbiguousNames(candidates: Candidate[]): Candidate[] {
  const ambiguousSpans = candidates.filter((candidate) => candidate.kind === "ambiguous");
  if (ambiguousSpans.length === 0) return candidates;
  const isAmbiguous = (candidate: Candidate) =>
    candidate.taxonIndices.length > 0 &&
    ambiguousSpans.some(
      (span) => span.originalStart === candidate.originalStart && span.originalEnd === candidate.originalEnd,
    );
  const context = candidates.some(
    (candidate) =>
      !candidate.suppressedBy &&
      !isAmbiguous(candidate) &&
      candidate.kind !== "ambiguous" &&
      (((candidate.kind === "product" || candidate.kind === "code") &&
        candidate.product !== undefined &&
        candidate.product !== ("*" as ProductType)) ||
        (candidate.taxonIndices.length > 0 && candidate.kind !== "product")),
  );
  if (context) return candidates;
  return candidates.map((candidate) =>
    isAmbiguous(candidate) && !candidate.suppressedBy
      ? {
          ...candidate,
          suppressedBy: `${candidate.text}, an ambiguous name, with nothing else about an animal or its parts`,
        }
      : candidate,
  );
}

function aggregateTaxa(active: readonly Candidate[], lexicon: Lexicon): DetectedTaxon[] {
  const species = lexicon.species;
  const byTaxon = new Map<number, { best: number; others: number; terms: Set<string> }>();
  for (const candidate of active) {
    for (const taxon of candidate.taxonIndices) {
      const entry = byTaxon.get(taxon) ?? { best: 0, others: 0, terms: new Set<string>() };
      if (candidate.points > entry.best) {
        entry.others += entry.best;
        entry.best = candidate.points;
      } else {
        entry.others += candidate.points;
      }
      entry.terms.add(candidate.text);
      byTaxon.set(taxon, entry);
    }
  }
  const taxa: DetectedTaxon[] = [];
  for (const [taxonIndex, entry] of byTaxon) {
    const taxon = species.taxon(taxonIndex);
    const status = species.listingStatus(taxonIndex);
    const evidence =
      entry.best + Math.min(priorPoints.corroborationCap, entry.others * priorPoints.corroborationFactor);
    const common = {
      id: taxon.id,
      name: taxon.name,
      rank: taxon.rank,
      evidence: round(evidence),
      terms: [...entry.terms],
    };
    if (status.listed) {
      const via = species.taxon(status.via);
      taxa.push({
        ...common,
        listed: true,
        appendices: status.appendices,
        listedThrough:
          status.inherited || !["SPECIES", "SUBSPECIES", "VARIETY"].includes(via.rank)
            ? `${via.name} spp.`
            : taxon.name,
        listingSource: { id: status.source.id, date: status.source.date },
      });
      continue;
    }
    const members = status.reason === "unlisted" ? species.memberListings(taxonIndex) : undefined;
    if (members && members.members.length > 0) {
      const named = members.members.slice(0, 3).map((member) => species.taxon(member).name);
      taxa.push({
        ...common,
        listed: true,
        appendices: members.appendices,
        listedThrough: `${taxon.name} (members listed: ${named.join(", ")}${members.members.length > 3 ? "…" : ""})`,
      });
      continue;
    }
    taxa.push({ ...common, listed: false, appendices: [] });
  }
  return taxa.sort((a, b) => b.evidence - a.evidence || a.name.localeCompare(b.name));
}

function kindLabel(candidate: DetectionMatch): string {
  const labels: Partial<Record<MatchKind, string>> = {
    scientific: "scientific name",
    synonym: "synonym",
    common: "common name",
    abbreviation: "abbreviated name",
    product: "product term",
    code: "code word",
  };
  const label = labels[candidate.kind] ?? candidate.kind;
  return candidate.distance ? `${label}, misspelt` : label;
}

function quoteList(candidates: readonly DetectionMatch[]): string {
  return [...new Set(candidates.map((candidate) => `'${candidate.text}'`))].join(", ");
}

function verdictSentence(verdict: Verdict, score: number): string {
  const percent = Math.round(score * 100);
  if (verdict === "offer") return `Offer of a CITES-listed taxon (score ${percent}%)`;
  if (verdict === "mention") return `Mentions a CITES-listed taxon without a sale offer (score ${percent}%)`;
  return `No CITES-listed taxon found (score ${percent}%)`;
}

function fieldOrder(field: AdvertField): number {
  return ["title", "text", "price", "seller"].indexOf(field);
}

function stripInternals(candidate: Candidate): DetectionMatch {
  const {
    points: _points,
    taxonIndices: _taxa,
    originalStart: _start,
    originalEnd: _end,
    ...match
  } = candidate;
  return match;
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
