import { normalizeText } from "../text/normalize.ts";
import type { Appendix, Rank } from "../species/reference-data.ts";
import type { SpeciesIndex, TaxonName } from "../species/species-index.ts";
import type { Lexicon, LexiconHit, LexiconMatch } from "../lexicon/lexicon.ts";
import { prepareMatchText, type MatchText } from "../lexicon/match-text.ts";
import {
  termKinds,
  type ProductType,
  type Strength,
  type TermKind,
  type VocabularyEntry,
} from "../lexicon/vocabulary.ts";
import {
  featureNames,
  fnv1aOfFour,
  wordNgramBuckets,
  priorModel,
  type DetectionModel,
  type FeatureName,
  type FeatureValues,
  type ScoreWeights,
} from "./model.ts";
import { findDatings, findPatternSignals, patternStarts, type PatternSignal } from "./signals.ts";

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
  /**
   * Whether the advert offers wildlife, CITES-listed or not: every `offer`, and an offer of an unlisted animal or
   * plant or a product of one (mammoth ivory, a budgerigar), which the wildlife-offer score decides.
   */
  readonly offersWildlife: boolean;
  /**
   * The wildlife-offer score and every point of it, for an advert that is no CITES offer but names wildlife (a
   * taxon, listed or not, a product such as a live animal or a skin, or a claimed substitute) with signs of a sale
   * and no buyer: the only adverts it decides.
   */
  readonly wildlifeScore?: number;
  readonly wildlifeScoreParts?: readonly ScorePart[];
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
  "ada",
  "dama",
  "manta",
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

// Everyday genera spelt like a common word of a trade language that is not the animal or plant: in lower case
// they are the word.
const wordGenera = new Set(["lama", "ada", "dama", "bos", "ara", "capra", "manta", "aloe", "vanilla"]);

/**
 * A match as detection weighs it, with what only detection needs (its points, taxa as indices, offsets in the
 * composed text). Every candidate is this one class with every field (absent ones undefined): the many passes
 * below read candidates of one shape, which V8 compiles to plain loads, where matches made by spreading
 * optional fields come in a dozen shapes and make every read megamorphic (a look-up in a shared cache).
 * `toMatch` reports one.
 */
class Candidate {
  // Declared rather than defined: a defined field is first set to undefined by an initialiser on every `new`.
  declare text: string;
  declare term: string;
  declare kind: MatchKind;
  declare lang: string | undefined;
  declare field: AdvertField;
  declare start: number;
  declare end: number;
  declare taxa: readonly string[];
  /** "*" (as the vocabulary writes it) for negatives that apply to every product. */
  declare product: ProductType | undefined;
  declare strength: Strength | undefined;
  declare source: string | undefined;
  declare distance: number | undefined;
  declare evasive: boolean;
  declare suppressedBy: string | undefined;
  declare points: number;
  declare taxonIndices: readonly number[];
  declare originalStart: number;
  declare originalEnd: number;

  /** `span`: the field the match lies in, whose offsets it reports relative to. */
  constructor(
    text: string,
    span: FieldSpan | undefined,
    originalStart: number,
    originalEnd: number,
    evasive: boolean,
    template: CandidateTemplate,
  ) {
    const offset = span?.start ?? 0;
    this.text = text;
    this.term = template.term;
    this.kind = template.kind;
    this.lang = template.lang;
    this.field = span?.field ?? "text";
    this.start = originalStart - offset;
    this.end = Math.min(originalEnd, span?.end ?? originalEnd) - offset;
    this.taxa = template.taxa;
    this.product = template.product;
    this.strength = template.strength;
    this.source = template.source;
    this.distance = template.distance;
    this.evasive = evasive;
    this.suppressedBy = undefined;
    this.points = template.points;
    this.taxonIndices = template.taxonIndices;
    this.originalStart = originalStart;
    this.originalEnd = originalEnd;
  }

  /** The same candidate, overridden by `by`. */
  suppressed(by: string): Candidate {
    const copy = this.#copy();
    copy.suppressedBy = by;
    return copy;
  }

  /** The same word for a thing, without the taxa a claimed substitute takes from it ("mammoth ivory carving"). */
  withoutTaxa(): Candidate {
    const copy = this.#copy();
    copy.taxa = [];
    copy.taxonIndices = [];
    copy.points = priorPoints.product;
    return copy;
  }

  #copy(): Candidate {
    return Object.assign(
      new Candidate(this.text, undefined, this.originalStart, this.originalEnd, this.evasive, this),
      this,
    );
  }

  get isSignal(): boolean {
    return this.kind === "price" || this.kind === "contact" || this.kind === "link";
  }
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
  readonly gates: {
    readonly listedTaxon: boolean;
    readonly intent: boolean;
    readonly buyer: boolean;
    /** A taxon, listed or not, a product of wildlife or a claimed substitute: what an offer of wildlife needs. */
    readonly wildlife: boolean;
  };
}

export function analyseAdvert(advert: Advert, lexicon: Lexicon): Analysis {
  const { matchText, analysis } = analyse(advert, lexicon);
  const { taxa, products, matches, evidence, reasons, review, gates } = analysis;
  const features: FeatureValues = {};
  const featureLabels: Partial<Record<FeatureName, string>> = {};
  for (const { feature, value, label } of evidence) {
    features[feature] = value;
    featureLabels[feature] = label;
  }
  return {
    taxa,
    products,
    matches,
    features,
    featureLabels,
    words: matchText.wordTexts(),
    reasons,
    review,
    gates,
  };
}

/** One feature present in an advert: its value and the words behind it. */
interface Evidence {
  readonly feature: FeatureName;
  /** The feature's place in the model's order. */
  readonly index: number;
  readonly value: number;
  readonly label: string;
}

/**
 * The analysis, with the features present as a list (in the order found) rather than as objects keyed by name,
 * and the prepared text whose words the n-gram part of the score reads.
 */
function analyse(
  advert: Advert,
  lexicon: Lexicon,
): {
  matchText: MatchText;
  analysis: Omit<Analysis, "words" | "features" | "featureLabels"> & { evidence: Evidence[] };
} {
  const fields = composeFields(advert);
  // The n-gram part of the score reads the words as written: how the lexicon cuts compounds, which changes with
  // its vocabulary, then never changes the wording the model learned.
  const written = prepareMatchText(fields.text);
  const matchText = lexicon.splitCompounds(written);
  const candidates: Candidate[] = [];
  for (const match of lexicon.scan(matchText, fields.text))
    toCandidates(match, matchText, fields, lexicon, advert.language, candidates);
  const starts = patternStarts(fields.text);
  for (const signal of findPatternSignals(fields.text, starts))
    candidates.push(signalCandidate(signal, fields));
  for (const dating of findDatings(fields.text, starts.digitRuns)) {
    const span = spanAt(fields, dating.start);
    candidates.push(new Candidate(dating.text, span, dating.start, dating.end, false, datingTemplate));
  }
  const resolved = requireContextForAmbiguousNames(
    readOtherAnimalsIvory(
      readDepictedAnimals(
        readImitations(readColourUses(resolveOverlaps(candidates), fields.text), fields.text),
        fields.text,
      ),
      fields.text,
      lexicon,
    ),
  );
  const active = resolved.filter((candidate) => !candidate.suppressedBy);
  const evidence: Evidence[] = [];
  // A label is worked out only for a feature that is present: most are absent from most adverts.
  const set = (feature: FeatureName, value: number, label: () => string) => {
    if (value === 0) return;
    const found = { feature, index: featureIndex(feature), value: round(value, 3), label: label() };
    const again = evidence.findIndex((other) => other.feature === feature);
    if (again >= 0) evidence[again] = found;
    else evidence.push(found);
  };
  const reasons: string[] = [];
  const review: string[] = [];

  const { taxa, indices } = aggregateTaxa(active, lexicon);
  const listedTaxa = taxa.filter((taxon) => taxon.listed);
  // The listed taxa's indices, in the same order: the candidates name their taxa by index.
  const listedIndices = indices.filter((_, at) => (taxa[at] as DetectedTaxon).listed);
  const bestListed = listedTaxa[0];
  if (bestListed) {
    const supporting = active.filter((candidate) =>
      candidate.taxonIndices.some((taxon) => listedIndices.includes(taxon)),
    );
    // The first of the heaviest, as a stable sort by points would give.
    let strongest = supporting[0] as Candidate;
    for (const candidate of supporting) if (candidate.points > strongest.points) strongest = candidate;
    const { feature, factor } = evidenceFeature(strongest);
    set(
      feature,
      factor,
      () => `listed taxon ${bestListed.listedThrough ?? bestListed.name} via '${strongest.text}'`,
    );
    if (bestListed.listedThrough?.includes("members listed"))
      set("taxon.members-only", 1, () => `${bestListed.name} is listed through its members`);
    set(
      "taxon.corroboration",
      Math.min(3, supporting.length - 1),
      () =>
        `more words for the same taxa ${quoteList(supporting.filter((candidate) => candidate !== strongest))}`,
    );
  } else if (taxa.length > 0) {
    set(
      "taxon.unlisted-only",
      1,
      () =>
        `only taxa that are not CITES-listed (${taxa
          .map((taxon) => taxon.name)
          .slice(0, 3)
          .join(", ")})`,
    );
  }
  for (let at = 0; at < Math.min(4, listedTaxa.length); at++) {
    const taxon = listedTaxa[at] as DetectedTaxon;
    const via: string[] = [];
    for (const candidate of active) {
      if (!candidate.taxonIndices.includes(listedIndices[at] as number)) continue;
      const label = kindLabel(candidate);
      via.push(`'${candidate.text}' (${candidate.lang ? `${candidate.lang}, ${label}` : label})`);
    }
    reasons.push(
      `Appendix ${taxon.appendices.join("/")}: ${taxon.listedThrough ?? taxon.name} via ${distinct(via).join(", ")}`,
    );
  }
  for (const taxon of taxa.filter((candidate) => !candidate.listed).slice(0, 2)) {
    reasons.push(`not CITES-listed: ${taxon.name} via ${taxon.terms.map((term) => `'${term}'`).join(", ")}`);
  }

  const products: ProductType[] = [];
  for (const { kind, product } of active) {
    const named = (kind === "product" || kind === "code" || kind === "substitute") && product;
    if (named && product !== ("*" as ProductType) && !products.includes(product)) products.push(product);
  }
  const plainProducts = active.filter(
    (candidate) => candidate.kind === "product" && candidate.taxonIndices.length === 0,
  );
  set("product.plain", Math.min(2, plainProducts.length), () => `product words ${quoteList(plainProducts)}`);
  if (products.length > 0) reasons.push(`product: ${products.join(", ")}`);

  // The signs of a sale, sorted once by kind and strength (each list in the advert's order).
  const intentSignals: Candidate[] = [];
  const saleWords = { strong: [] as Candidate[], medium: [] as Candidate[], weak: [] as Candidate[] };
  const saleSignals = { price: [] as Candidate[], contact: [] as Candidate[], link: [] as Candidate[] };
  const notPrices: Candidate[] = [];
  for (const candidate of active) {
    const { kind } = candidate;
    if (kind === "intent") {
      const strength = candidate.strength;
      if (strength !== undefined) saleWords[strength].push(candidate);
    } else if (kind === "price" || kind === "contact" || kind === "link") {
      saleSignals[kind].push(candidate);
    } else {
      continue;
    }
    intentSignals.push(candidate);
    if (kind !== "price") notPrices.push(candidate);
  }
  for (const strength of ["strong", "medium", "weak"] as const) {
    const words = saleWords[strength];
    set(`intent.${strength}`, Math.min(2, words.length), () => `sale words ${quoteList(words)}`);
  }
  for (const kind of ["price", "contact", "link"] as const) {
    const found = saleSignals[kind];
    set(`intent.${kind}`, found.length > 0 ? 1 : 0, () => `${kind} ${quoteList(found)}`);
  }
  const listing = advert.context === "listing";
  set("intent.listing", listing ? 1 : 0, () => "published as a marketplace listing");
  if (listing) reasons.push("published as a marketplace listing: the page itself offers the item");
  if (intentSignals.length > 0) {
    const prices = saleSignals.price;
    const pricePart = prices.length > 0 ? `price ${quoteList(prices)}` : "";
    const otherPart = notPrices.length > 0 ? quoteList(notPrices) : "";
    reasons.push(
      `sale intent: ${pricePart && otherPart ? `${pricePart}; ${otherPart}` : pricePart || otherPart}`,
    );
  }

  // The words against a sale or for review, sorted in one pass (each list in the advert's order).
  const wanted: Candidate[] = [];
  const news: Candidate[] = [];
  const newsWords = { strong: [] as Candidate[], medium: [] as Candidate[], weak: [] as Candidate[] };
  const negatives: Candidate[] = [];
  const substitutes: Candidate[] = [];
  const claims: Candidate[] = [];
  const evasive: Candidate[] = [];
  for (const candidate of active) {
    const { kind } = candidate;
    if (kind === "wanted") {
      // A weak buyer's word ("want", "buying", "ISO", Vietnamese "ai có") marks a buyer only as the advert's
      // opening: "Want: galah, tame" is a buyer, "ai có nhu cầu liên hệ" (whoever needs one, call) a seller.
      if (candidate.strength !== "weak" || opensItsField(candidate, fields.text)) wanted.push(candidate);
    } else if (kind === "news") {
      news.push(candidate);
      if (candidate.strength !== undefined) newsWords[candidate.strength].push(candidate);
    } else if (kind === "negative") {
      const product = candidate.product;
      if (
        product === undefined ||
        product === ("*" as ProductType) ||
        products.includes(product) ||
        listedTaxa.length > 0
      )
        negatives.push(candidate);
    } else if (kind === "substitute") {
      substitutes.push(candidate);
    } else if (kind === "claim") {
      claims.push(candidate);
    }
    if (candidate.evasive && candidate.taxonIndices.length > 0) evasive.push(candidate);
  }
  set("wanted", wanted.length > 0 ? 1 : 0, () => `buyer, not seller ${quoteList(wanted)}`);
  if (wanted.length > 0) reasons.push(`buyer, not seller: ${quoteList(wanted)}`);
  for (const strength of ["strong", "medium", "weak"] as const) {
    const words = newsWords[strength];
    set(
      `news.${strength}`,
      Math.min(2, words.length),
      () => `reads as news, advocacy or a display ${quoteList(words)}`,
    );
  }
  if (news.length > 0) reasons.push(`reads as news, advocacy or a display: ${quoteList(news)}`);
  const strongestNegative = (["strong", "medium", "weak"] as const).find((strength) =>
    negatives.some((candidate) => candidate.strength === strength),
  );
  if (strongestNegative) {
    set(`negative.${strongestNegative}`, 1, () => `not the real thing ${quoteList(negatives)}`);
    reasons.push(`against: ${quoteList(negatives)} (imitation, depiction or other meaning)`);
  }
  for (const suppressed of resolved.filter((candidate) => candidate.suppressedBy)) {
    reasons.push(
      suppressed.suppressedBy?.startsWith(`${suppressed.text}, `)
        ? `ignored '${suppressed.text}': ${suppressed.suppressedBy.slice(suppressed.text.length + 2)}`
        : `ignored '${suppressed.text}' inside '${suppressed.suppressedBy}'`,
    );
  }
  set(
    "substitute",
    substitutes.length > 0 ? 1 : 0,
    () => `claimed legal substitute ${quoteList(substitutes)}`,
  );
  if (substitutes.length > 0)
    review.push(`claimed legal substitute ${quoteList(substitutes)}: check the material and its documents`);
  set("claim", claims.length > 0 ? 1 : 0, () => `claims of legality ${quoteList(claims)}`);
  if (claims.length > 0) review.push(`claims of legality to check: ${quoteList(claims)}`);
  set("evasive", evasive.length > 0 ? 1 : 0, () => `evasive spelling ${quoteList(evasive)}`);
  if (evasive.length > 0) reasons.push(`evasive spelling: ${quoteList(evasive)}`);
  for (const taxon of listedTaxa) {
    if (taxon.appendices.length > 1)
      review.push(
        `${taxon.name} is split-listed (Appendix ${taxon.appendices.join("/")}): the origin decides which applies`,
      );
  }

  // A report or a campaign shows a price or a link as often as an advert does ("Shop Caught With $4.5 Million in
  // Ivory {{URL}}"): with news words, only a word of selling or a contact shows intent.
  const saysSelling = saleWords.strong.length + saleWords.medium.length + saleSignals.contact.length > 0;
  const readsAsNews = newsWords.strong.length + newsWords.medium.length > 0;
  const intent = listing || saysSelling || (intentSignals.length > 0 && !readsAsNews);
  if (!intent && intentSignals.length > 0)
    reasons.push(
      "read as a report: news words, and the signs of a sale are only a price, a link or weak words",
    );
  const analysis = {
    taxa,
    products,
    // Sorted as candidates, all of one shape, rather than as matches, of a dozen.
    matches: sortFew(resolved, (a, b) => fieldOrder(a.field) - fieldOrder(b.field) || a.start - b.start).map(
      toMatch,
    ),
    evidence,
    reasons,
    review,
    gates: {
      listedTaxon: listedTaxa.length > 0,
      intent,
      buyer: wanted.length > 0,
      wildlife: taxa.length > 0 || products.length > 0 || substitutes.length > 0,
    },
  };
  return { matchText: written, analysis };
}

/**
 * Finds the CITES taxa an advert refers to and whether it offers them for sale, with every reason and every
 * point of the score. Deterministic: the same advert, lexicon and model give the same answer.
 */
export function detect(advert: Advert, lexicon: Lexicon, options: DetectOptions = {}): Detection {
  const model = options.model ?? priorModel;
  const { matchText, analysis } = analyse(advert, lexicon);
  // Only the few features present, in the model's order.
  const present = sortFew(analysis.evidence, (a, b) => a.index - b.index);
  const { score, scoreParts } = logisticScore(
    present,
    matchText,
    model.ngrams,
    { bias: model.bias, weights: model.weights, ngramWeights: model.ngrams.weights },
    "CITES taxon",
  );
  const offerThreshold = options.offerThreshold ?? 0.5;
  const { listedTaxon, intent, buyer, wildlife } = analysis.gates;
  const verdict: Verdict =
    listedTaxon && intent && !buyer && score >= offerThreshold ? "offer" : listedTaxon ? "mention" : "none";
  const wildlifeOffer =
    verdict !== "offer" && wildlife && intent && !buyer
      ? logisticScore(present, matchText, model.ngrams, model.wildlifeOffer, "wildlife")
      : undefined;
  const offersWildlife =
    verdict === "offer" || (wildlifeOffer !== undefined && wildlifeOffer.score >= offerThreshold);
  return {
    detectorVersion,
    verdict,
    score,
    taxa: analysis.taxa,
    products: analysis.products,
    matches: analysis.matches,
    scoreParts,
    offersWildlife,
    ...(wildlifeOffer && {
      wildlifeScore: wildlifeOffer.score,
      wildlifeScoreParts: wildlifeOffer.scoreParts,
    }),
    reasons: [
      verdictSentence(verdict, score),
      ...(wildlifeOffer ? [wildlifeSentence(offersWildlife, wildlifeOffer.score)] : []),
      ...distinct(analysis.reasons),
    ],
    review: analysis.review,
  };
}

/** A logistic score over the features present and the advert's n-grams, with every point of it labelled. */
function logisticScore(
  present: readonly Evidence[],
  matchText: MatchText,
  ngrams: DetectionModel["ngrams"],
  { bias, weights, ngramWeights }: ScoreWeights,
  offerOf: string,
): { score: number; scoreParts: ScorePart[] } {
  const scoreParts: ScorePart[] = [
    { label: `base rate (most adverts offer no ${offerOf})`, points: round(bias) },
  ];
  for (const { feature, value, label } of present) {
    const pointsForFeature = round(weights[feature] * value);
    if (pointsForFeature !== 0) scoreParts.push({ label, points: pointsForFeature });
  }
  const wording = ngramContribution(matchText, ngrams, ngramWeights);
  if (wording.points !== 0) scoreParts.push(wording);
  const total = scoreParts.reduce((sum, part) => sum + part.points, 0);
  return { score: round(1 / (1 + Math.exp(-total)), 4), scoreParts };
}

let seenStamps = new Uint32Array(0);
let seenStamp = 0;
let wordBuckets = new Int32Array(64);
// The three n-grams that weigh most so far, heaviest first (the earlier first among equals): where each is (its
// word and start) and its weight, in slots rather than objects, as most n-grams are compared and few kept.
const strongestWord = new Int32Array(3);
const strongestStart = new Int32Array(3);
const strongestWeight = new Float64Array(3);

/**
 * The n-gram part of the score, labelled with the n-grams that weigh most, so that it too is explained. Reads
 * the words straight from the prepared text: only the three n-grams shown ever become strings.
 */
function ngramContribution(
  matchText: MatchText,
  { size, buckets }: DetectionModel["ngrams"],
  weights: readonly number[],
): ScorePart {
  const { codes, wordData } = matchText;
  let total = 0;
  let strongestCount = 0;
  // The weakest of those kept once there are three: an n-gram no heavier than it is not kept.
  let keptAbove = -1;
  // Each bucket counts once per advert: a bucket is seen when it holds this call's stamp.
  if (seenStamps.length < buckets) seenStamps = new Uint32Array(buckets);
  const stamp = (seenStamp = seenStamp === 0xffffffff ? 1 : seenStamp + 1);
  if (stamp === 1) seenStamps.fill(0);
  const seen = seenStamps;
  // The model's size of n-gram over a power of two of buckets (every shipped model): the windows of
  // `wordNgramBuckets` are hashed here as the word is read, rather than written to an array and read back (a test
  // holds the two to training's buckets).
  const mask = buckets > 0 && buckets <= 0x40000000 && (buckets & (buckets - 1)) === 0 ? buckets - 1 : -1;
  const sliding = size === 4 && mask >= 0;
  for (let word = 0; word < wordData.length; word += 3) {
    const from = wordData[word] as number;
    const to = wordData[word + 1] as number;
    // A word of one unit has one window of three, the whole padded word (of two, one window of four).
    const viaArray = !sliding || to - from < 2;
    let count = to - from - 1;
    if (viaArray) {
      if (wordBuckets.length < to - from + 2) wordBuckets = new Int32Array(2 * (to - from + 2));
      count = wordNgramBuckets(codes, from, to, size, buckets, wordBuckets);
    }
    const found = wordBuckets;
    let first = 32;
    let second = viaArray ? 0 : (codes[from] as number);
    let third = viaArray ? 0 : (codes[from + 1] as number);
    for (let start = 0; start < count; start++) {
      let bucket: number;
      if (viaArray) {
        bucket = found[start] as number;
      } else {
        const fourth = start === count - 1 ? 32 : (codes[from + start + 2] as number);
        bucket = fnv1aOfFour(first, second, third, fourth) & mask;
        first = second;
        second = third;
        third = fourth;
      }
      if (seen[bucket] === stamp) continue;
      seen[bucket] = stamp;
      const weight = weights[bucket] ?? 0;
      if (weight === 0) continue;
      total += weight;
      const strength = Math.abs(weight);
      if (strength <= keptAbove) continue;
      let at = 0;
      while (at < strongestCount && Math.abs(strongestWeight[at] as number) >= strength) at++;
      for (let moved = Math.min(strongestCount, 2); moved > at; moved--) {
        strongestWord[moved] = strongestWord[moved - 1] as number;
        strongestStart[moved] = strongestStart[moved - 1] as number;
        strongestWeight[moved] = strongestWeight[moved - 1] as number;
      }
      strongestWord[at] = word;
      strongestStart[at] = start;
      strongestWeight[at] = weight;
      if (strongestCount < 3) strongestCount++;
      if (strongestCount === 3) keptAbove = Math.abs(strongestWeight[2] as number);
    }
  }
  if (total === 0) return { label: "wording", points: 0 };
  const shown: string[] = [];
  for (let rank = 0; rank < strongestCount; rank++) {
    const word = strongestWord[rank] as number;
    const start = strongestStart[rank] as number;
    const weight = strongestWeight[rank] as number;
    // The n-gram as it reads in the word padded with spaces, without them.
    const from = wordData[word] as number;
    const padded = (wordData[word + 1] as number) - from + 2;
    let gram = "";
    for (let at = start; at < Math.min(start + size, padded); at++)
      gram += at === 0 || at === padded - 1 ? " " : String.fromCharCode(codes[from + at - 1] as number);
    shown.push(`'${gram.trim()}' ${weight >= 0 ? "+" : ""}${round(weight)}`);
  }
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

interface FieldSpan {
  readonly field: AdvertField;
  readonly start: number;
  readonly end: number;
}

interface ComposedFields {
  readonly text: string;
  readonly spans: readonly FieldSpan[];
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

/** The field a composed offset falls in (the first field when none holds it). */
function spanAt(fields: ComposedFields, start: number): FieldSpan | undefined {
  for (const span of fields.spans) if (start >= span.start && start < span.end) return span;
  return fields.spans[0];
}

/**
 * What a match becomes apart from where it is: the name or term it was recognised as, with its taxa and points.
 * Every template has the same fields in the same order, so that `Candidate`'s constructor reads one shape.
 */
interface CandidateTemplate {
  readonly term: string;
  readonly kind: MatchKind;
  readonly lang: string | undefined;
  readonly taxa: readonly string[];
  readonly taxonIndices: readonly number[];
  readonly product: ProductType | undefined;
  readonly strength: Strength | undefined;
  readonly source: string | undefined;
  readonly distance: number | undefined;
  readonly points: number;
}

/** What the advert wrote where a key matched: the few matches whose outcome depends on more than the key read it. */
interface WrittenMatch {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** `unfoldAccents` of the words matched, when the advert wrote a Latin diacritic there. */
  readonly unfolded: string | undefined;
}

/**
 * A key's templates in adverts of one language, for a match of one word and of several (a common name weighs
 * more as a phrase); `readsText` when some of its names must be checked against the text around the match.
 */
interface KeyTemplates {
  language: string | undefined;
  oneWord: readonly CandidateTemplate[] | undefined;
  severalWords: readonly CandidateTemplate[] | undefined;
  readsText: boolean;
}

/**
 * The templates of the keys matched so far. A key's hit is one object shared by all its matches, and without
 * accents written in the advert (or katakana names to check) its templates depend on the key and the advert's
 * language alone: each advert then only places them. The candidates share the templates' arrays, which nothing
 * changes.
 */
const keyTemplates = new WeakMap<LexiconHit, KeyTemplates>();

function toCandidates(
  match: LexiconMatch,
  matchText: MatchText,
  fields: ComposedFields,
  lexicon: Lexicon,
  language: string | undefined,
  into: Candidate[],
): void {
  const originalStart = match.inOriginal ? match.start : (matchText.originalStart[match.start] ?? 0);
  const originalEnd = match.inOriginal ? match.end : (matchText.originalEnd[match.end - 1] ?? originalStart);
  const written = fields.text.slice(originalStart, originalEnd);
  const evasive = !match.inOriginal && matchText.hasDeobfuscatedWordIn(match.start, match.end);
  const span = spanAt(fields, originalStart);
  const hit = match.hit;
  const severalWords = match.words >= 2;
  // Accents the advert wrote must be the name's or the term's; worked out once for all that share this key.
  const unfolded = hasLatinDiacritic(written) ? unfoldAccents(written) : undefined;
  // Fuzzy hits and emoji hits are made afresh for each match: remembering them would gain nothing.
  const shared =
    unfolded === undefined &&
    !match.inOriginal &&
    hit.type !== "fuzzy-name" &&
    hit.type !== "fuzzy-vocabulary";
  let templates = shared ? knownTemplates(hit, severalWords, lexicon, language) : undefined;
  if (templates === undefined)
    templates = templatesOf(hit, severalWords, lexicon, language, {
      text: fields.text,
      start: originalStart,
      end: originalEnd,
      unfolded,
    }) as readonly CandidateTemplate[];
  // A handle names an account, not what the advert offers; its other words still say who speaks ("_Editorial").
  let inHandle: boolean | undefined;
  for (const template of templates) {
    if (template.taxonIndices.length > 0 && (inHandle ??= insideHandle(fields.text, originalStart))) continue;
    into.push(new Candidate(written, span, originalStart, originalEnd, evasive, template));
  }
}

/** Whether nothing but punctuation, symbols or spaces comes before the candidate in its field. */
function opensItsField(candidate: Candidate, text: string): boolean {
  return !letterOrDigit.test(text.slice(candidate.originalStart - candidate.start, candidate.originalStart));
}

/**
 * Whether the word at `start` is part of an account's handle: "@ivory_carver", or a masked mention's tail
 * ("{{MENTION}}_Ivory").
 */
function insideHandle(text: string, start: number): boolean {
  let at = start;
  while (at > 0 && handleCharacter(text.charCodeAt(at - 1))) at--;
  return text.charCodeAt(at - 1) === 0x40 || (at < start && text.startsWith("}}", at - 2));
}

function handleCharacter(unit: number): boolean {
  return (
    (unit >= 0x30 && unit <= 0x39) ||
    (unit >= 0x41 && unit <= 0x5a) ||
    (unit >= 0x61 && unit <= 0x7a) ||
    unit === 0x5f ||
    unit === 0x2e
  );
}

/** The key's templates for adverts in `language`, remembered; undefined when the text around the match decides. */
function knownTemplates(
  hit: LexiconHit,
  severalWords: boolean,
  lexicon: Lexicon,
  language: string | undefined,
): readonly CandidateTemplate[] | undefined {
  let known = keyTemplates.get(hit);
  if (known === undefined) {
    known = { language, oneWord: undefined, severalWords: undefined, readsText: false };
    keyTemplates.set(hit, known);
  } else if (known.readsText) {
    return undefined;
  } else if (known.language !== language) {
    // Adverts of one language at a time keep one set per key; a mixed stream works them out again.
    known.language = language;
    known.oneWord = undefined;
    known.severalWords = undefined;
  }
  // Only a name's weight depends on how many words matched.
  const phrase = severalWords && hit.type === "name";
  let templates = phrase ? known.severalWords : known.oneWord;
  if (templates === undefined) {
    templates = templatesOf(hit, phrase, lexicon, language, undefined);
    if (templates === undefined) known.readsText = true;
    else if (phrase) known.severalWords = templates;
    else known.oneWord = templates;
  }
  return templates;
}

/**
 * What a match of the key becomes, one template per candidate. Without `written`, as for a match without accents
 * written: then undefined when a name must be checked against the text around the match.
 */
function templatesOf(
  hit: LexiconHit,
  severalWords: boolean,
  lexicon: Lexicon,
  language: string | undefined,
  written: WrittenMatch | undefined,
): CandidateTemplate[] | undefined {
  const species = lexicon.species;
  const facts = referenceFactsOf(species);
  const unfolded = written?.unfolded;

  if (hit.type === "name") {
    // The first of the heaviest names that pass, as a stable sort by weight would give, and the taxa of the
    // names of its kind (at most six). Most names are judged from their facts alone; the few with accents or
    // katakana are read themselves.
    let best = -1;
    let bestWeight = 0;
    const passing: number[] = [];
    for (const nameIndex of hit.names) {
      const traits = facts.traitsOf(nameIndex);
      // One short Latin word ("ship", "kea", "lory") is an everyday word far more often than an animal's name.
      if (traits & NameTrait.common && traits & NameTrait.shortLatinWord) continue;
      if (unfolded !== undefined || traits & (NameTrait.latinDiacritic | NameTrait.katakana)) {
        const name = species.names[nameIndex] as TaxonName;
        const accentsFit =
          unfolded === undefined
            ? !(traits & NameTrait.latinDiacritic) || accentsDroppedPlausibly(name, language)
            : writtenWithAccentsOf(unfolded, name.text);
        if (!accentsFit) continue;
        if (traits & NameTrait.katakana) {
          if (written === undefined) return undefined;
          if (!fitsScriptBoundary(written.text, written.start, written.end, name.text)) continue;
        }
      }
      // A genus spelt like a word of a trade language, written in lower case, is the word: Malay "ada" (there is)
      // and "lama" (old), Spanish "dama" (lady), not the orchids, llamas and deer. Capitalised it counts, a little.
      if (traits & NameTrait.wordGenus) {
        if (written === undefined) return undefined;
        if (!startsUpperCase(written.text, written.start)) continue;
      }
      passing.push(nameIndex);
      const weight = nameWeight(species, nameIndex, traits, severalWords, language);
      if (best < 0 || weight > bestWeight) {
        best = nameIndex;
        bestWeight = weight;
      }
    }
    if (best < 0) return [];
    const bestKind = facts.traitsOf(best) & NameTrait.kind;
    const taxonIndices: number[] = [];
    for (const nameIndex of passing) {
      const taxon = facts.taxon[nameIndex] as number;
      if ((facts.traitsOf(nameIndex) & NameTrait.kind) === bestKind && !taxonIndices.includes(taxon))
        taxonIndices.push(taxon);
    }
    taxonIndices.length = Math.min(taxonIndices.length, 6);
    const name = species.names[best] as TaxonName;
    return [
      {
        term: name.text,
        kind: name.kind,
        lang: name.lang,
        taxa: taxonIndices.map((taxon) => facts.taxonId(taxon)),
        taxonIndices,
        product: undefined,
        strength: undefined,
        source: name.source === undefined ? undefined : species.source(name.source).id,
        distance: undefined,
        points: bestWeight,
      },
    ];
  }
  if (hit.type === "abbreviation") {
    const taxonIndices = hit.taxa.slice(0, 6);
    return [
      {
        term: taxonIndices.map((taxon) => species.taxon(taxon).name).join(" | "),
        kind: "abbreviation",
        lang: "la",
        taxa: taxonIndices.map((taxon) => species.taxon(taxon).id),
        taxonIndices,
        product: undefined,
        strength: undefined,
        source: undefined,
        distance: undefined,
        points: priorPoints.abbreviation,
      },
    ];
  }
  if (hit.type === "fuzzy-name") {
    const taxon = species.taxon(hit.taxon);
    return [
      {
        term: taxon.name,
        kind: "scientific",
        lang: "la",
        taxa: [taxon.id],
        taxonIndices: [hit.taxon],
        product: undefined,
        strength: undefined,
        source: undefined,
        distance: hit.distance,
        points: priorPoints.name.scientificBinomial * priorPoints.fuzzyFactor,
      },
    ];
  }
  const entries = hit.entries;
  const distance = hit.type === "fuzzy-vocabulary" ? hit.distance : undefined;
  // One advert word can be an entry in several languages; the advert's language, then English, wins. The
  // entries chosen, one per kind, in the order their kinds first came.
  const chosen: number[] = [];
  for (const entryIndex of entries) {
    const entry = lexicon.vocabulary[entryIndex] as VocabularyEntry;
    if (distance === undefined && unfolded !== undefined && !writtenWithAccentsOf(unfolded, entry.term))
      continue;
    if (unfolded === undefined && !termAccentsDroppedPlausibly(entry, language)) continue;
    if (distance !== undefined && !termFitsLanguage(entry, language)) continue;
    let sameKind = chosen.length - 1;
    while (sameKind >= 0 && lexicon.vocabulary[chosen[sameKind] as number]?.kind !== entry.kind) sameKind--;
    if (sameKind < 0) {
      chosen.push(entryIndex);
    } else if (
      entryPreference(entry, language) >
      entryPreference(lexicon.vocabulary[chosen[sameKind] as number] as VocabularyEntry, language)
    ) {
      chosen[sameKind] = entryIndex;
    }
  }
  return chosen.map((entryIndex) => {
    const entry = lexicon.vocabulary[entryIndex] as VocabularyEntry;
    const taxonIndices = lexicon.vocabularyTaxa[entryIndex] ?? [];
    return {
      term: entry.term,
      kind: entry.kind,
      lang: entry.lang,
      taxa: taxonIndices.length === 0 ? [] : taxonIndices.map((taxon) => facts.taxonId(taxon)),
      taxonIndices,
      product: (entry.product || undefined) as ProductType | undefined,
      strength: entry.strength,
      source: entry.source,
      distance,
      points:
        termPoints(entry, taxonIndices.length > 0) * (distance !== undefined ? priorPoints.fuzzyFactor : 1),
    };
  });
}

function signalCandidate(signal: PatternSignal, fields: ComposedFields): Candidate {
  return new Candidate(
    signal.text,
    spanAt(fields, signal.start),
    signal.start,
    signal.end,
    false,
    signalTemplates[signal.kind],
  );
}

const signalTemplates: Readonly<Record<PatternSignal["kind"], CandidateTemplate>> = {
  price: patternTemplate("price", "price", priorPoints.price),
  contact: patternTemplate("contact", "contact", priorPoints.contact),
  link: patternTemplate("link", "link", priorPoints.link),
};

/** A dating ("c.1890", "19th century") claims the age that antique exemptions ask for: a claim to check. */
const datingTemplate = patternTemplate("dating", "claim", 0);

/** What a match found by pattern, not by a key, becomes: no taxa, no language. */
function patternTemplate(term: string, kind: MatchKind, points: number): CandidateTemplate {
  return {
    term,
    kind,
    lang: undefined,
    taxa: [],
    taxonIndices: [],
    product: undefined,
    strength: undefined,
    source: undefined,
    distance: undefined,
    points,
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
    case "colour":
      return 0;
  }
}

function nameWeight(
  species: SpeciesIndex,
  nameIndex: number,
  traits: number,
  severalWordsMatched: boolean,
  language: string | undefined,
): number {
  const common = (traits & NameTrait.common) !== 0;
  const severalWords = (traits & NameTrait.severalWords) !== 0;
  let weight: number;
  if (!common) {
    if (severalWords) weight = priorPoints.name.scientificBinomial;
    else
      weight =
        traits & NameTrait.everydayGenus ? priorPoints.name.everydayGenus : priorPoints.name.scientificHigher;
  } else if (severalWords || severalWordsMatched) {
    weight = priorPoints.name.commonPhrase;
  } else {
    weight = traits & NameTrait.longWord ? priorPoints.name.commonWord : priorPoints.name.shortWord;
  }
  if (language === undefined || !common) return weight;
  const lang = (species.names[nameIndex] as TaxonName).lang;
  const otherLanguage = !sameLanguage(lang, language) && !sameLanguage(lang, "en");
  return otherLanguage ? weight * priorPoints.otherLanguageFactor : weight;
}

function startsUpperCase(text: string, at: number): boolean {
  const first = text[at] as string;
  return first !== first.toLowerCase();
}

function isShortLatinWord(key: string): boolean {
  return !key.includes(" ") && key.length < 5 && /^\p{Script=Latin}+$/u.test(key);
}

function entryPreference(entry: VocabularyEntry, language: string | undefined): number {
  return (language && sameLanguage(entry.lang, language) ? 2 : 0) + (entry.lang === "en" ? 1 : 0);
}

function sameLanguage(tag: string, other: string): boolean {
  return primarySubtag(tag) === primarySubtag(other);
}

// Asked for every name and term matched in an advert with a language, of a handful of tags: each is split once.
const primarySubtags = new Map<string, string>();

function primarySubtag(tag: string): string {
  let primary = primarySubtags.get(tag);
  if (primary === undefined) {
    // Adverts bring any tag they like: a full cache starts again rather than grow.
    if (primarySubtags.size >= 1024) primarySubtags.clear();
    primary = (tag.split("-")[0] as string).toLowerCase();
    primarySubtags.set(tag, primary);
  }
  return primary;
}

/**
 * Whether `text` has a Latin letter with a diacritic (U+00C0–U+024F, U+1E00–U+1EFF). A loop: a regular
 * expression cost a call for every match of every advert.
 */
function hasLatinDiacritic(text: string): boolean {
  for (let at = 0; at < text.length; at++) {
    const unit = text.charCodeAt(at);
    if (unit < 0xc0) continue;
    if (unit <= 0x24f || (unit >= 0x1e00 && unit <= 0x1eff)) return true;
  }
  return false;
}

/**
 * Keys fold accents so that "vay te te" finds "vảy tê tê"; but where the advert did write accents they must be
 * the name's or the term's: Vietnamese "hồ" (lake) is not "hổ" (tiger). This is the form they are compared in.
 */
function unfoldAccents(text: string): string {
  let unfolded = unfoldedTexts.get(text);
  if (unfolded === undefined) {
    // Adverts bring any words they like: a full cache starts again rather than grow.
    if (unfoldedTexts.size >= 4096) unfoldedTexts.clear();
    unfolded = normalizeText(text)
      .replace(/[\p{P}\p{S}\p{Z}\s]+/gu, " ")
      .trim();
    unfoldedTexts.set(text, unfolded);
  }
  return unfolded;
}

/**
 * Whether the advert's words, unfolded, are the name or term with its accents, or its plural: a word may end in an
 * "s" the name's lacks ("défenses", "aletas de tiburón").
 */
function writtenWithAccentsOf(unfolded: string, nameOrTerm: string): boolean {
  const form = unfoldAccents(nameOrTerm);
  if (unfolded === form) return true;
  let at = 0;
  for (let written = 0; written < unfolded.length; written++) {
    const unit = unfolded.charCodeAt(written);
    if (at < form.length && unit === form.charCodeAt(at)) at++;
    else if (unit !== 0x73 || (written + 1 < unfolded.length && unfolded.charCodeAt(written + 1) !== 0x20))
      return false;
  }
  return at === form.length;
}

// The same few accented words and the names and terms they are compared with come back advert after advert:
// unfolding one costs a normalisation and a regular expression, looking it up a hash.
const unfoldedTexts = new Map<string, string>();

/**
 * Sellers type "te te" for "tê tê", but an accent-less word that only matches a foreign name by dropping its
 * accents is usually a word of another language: English "store" is not German "Störe" (sturgeons). Such a
 * match needs the advert's language to be the name's, or a name long enough to be unambiguous.
 */
function accentsDroppedPlausibly(name: TaxonName, language: string | undefined): boolean {
  if (name.kind !== "common" || !hasLatinDiacritic(name.text)) return true;
  if (language !== undefined && sameLanguage(name.lang, language)) return true;
  return name.key.replace(/ /g, "").length >= 8;
}

/** The same for a vocabulary term: English "ban" is a news word, not Vietnamese "bán" (sell). */
function termAccentsDroppedPlausibly(entry: VocabularyEntry, language: string | undefined): boolean {
  return !hasLatinDiacritic(entry.term) || termFitsLanguage(entry, language);
}

/**
 * A term met other than as written (its accents dropped, or misspelt within one or two edits) counts only in its
 * own language, or when it is long enough to be unambiguous: English "single" is not French "singe" (monkey), nor
 * "carry" Spanish "carey" (hawksbill).
 */
function termFitsLanguage(entry: VocabularyEntry, language: string | undefined): boolean {
  if (language !== undefined && sameLanguage(entry.lang, language)) return true;
  return entry.term.replace(/[\s\p{P}]/gu, "").length >= 8;
}

const katakana = /\p{Script=Katakana}/u;

/** What detection asks of a name, as bits. */
const NameTrait = {
  known: 1,
  latinDiacritic: 2,
  shortLatinWord: 4,
  katakana: 8,
  /** The key has a space. */
  severalWords: 16,
  /** A single word long enough to weigh as a name: two characters of Han, kana, Hangul or Thai, else five. */
  longWord: 32,
  /** A genus that is an everyday word (`everydayGenera`). */
  everydayGenus: 64,
  /** The kind of name: neither bit for a scientific name. */
  synonym: 128,
  common: 256,
  kind: 128 | 256,
  /** A genus spelt like a common word (`wordGenera`), which counts only capitalised. */
  wordGenus: 512,
} as const;
const cjkOrThai = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u;

/**
 * What detection asks of every name (worked out on its first match) and the id and listing of every taxon, in
 * dense arrays: the loop over a key's names reads these rather than each name or taxon object and its strings,
 * scattered over the heap.
 */
class ReferenceFacts {
  readonly #species: SpeciesIndex;
  readonly #traits: Uint16Array;
  /** The taxon of each name (valid once its traits are known). */
  readonly taxon: Int32Array;
  /** The id of each taxon (by taxon index), so that reporting taxa reads no taxon record. */
  readonly #taxonIds: readonly string[];
  /** How each taxon is listed (by taxon index), worked out when first asked. */
  readonly #listings: Array<TaxonListing | undefined>;

  constructor(species: SpeciesIndex) {
    this.#species = species;
    this.#traits = new Uint16Array(species.names.length);
    this.taxon = new Int32Array(species.names.length);
    this.#taxonIds = species.data.taxa.map((taxon) => taxon.id);
    this.#listings = this.#taxonIds.map(() => undefined);
  }

  listing(taxonIndex: number): TaxonListing {
    let listing = this.#listings[taxonIndex];
    if (listing === undefined) {
      listing = workOutListing(this.#species, taxonIndex);
      this.#listings[taxonIndex] = listing;
    }
    return listing;
  }

  taxonId(taxonIndex: number): string {
    const id = this.#taxonIds[taxonIndex];
    if (id === undefined) throw new RangeError(`no taxon at index ${taxonIndex}`);
    return id;
  }

  traitsOf(nameIndex: number): number {
    const known = this.#traits[nameIndex] as number;
    if (known & NameTrait.known) return known;
    const name = this.#species.names[nameIndex] as TaxonName;
    const key = name.key;
    const unspaced = cjkOrThai.test(key);
    const worked =
      NameTrait.known |
      (hasLatinDiacritic(name.text) ? NameTrait.latinDiacritic : 0) |
      (isShortLatinWord(key) ? NameTrait.shortLatinWord : 0) |
      (katakana.test(name.text) ? NameTrait.katakana : 0) |
      (key.includes(" ") ? NameTrait.severalWords : 0) |
      ((unspaced ? key.length >= 2 : key.length >= 5) ? NameTrait.longWord : 0) |
      (everydayGenera.has(key) ? NameTrait.everydayGenus : 0) |
      (name.kind !== "common" && wordGenera.has(key) ? NameTrait.wordGenus : 0) |
      (name.kind === "synonym" ? NameTrait.synonym : name.kind === "common" ? NameTrait.common : 0);
    this.#traits[nameIndex] = worked;
    this.taxon[nameIndex] = name.taxon;
    return worked;
  }
}

const referenceFacts = new WeakMap<SpeciesIndex, ReferenceFacts>();

function referenceFactsOf(species: SpeciesIndex): ReferenceFacts {
  let facts = referenceFacts.get(species);
  if (facts === undefined) {
    facts = new ReferenceFacts(species);
    referenceFacts.set(species, facts);
  }
  return facts;
}

// A katakana name inside a longer katakana word is another word: カバ (hippo) in カバン (bag).
function fitsScriptBoundary(text: string, start: number, end: number, name: string): boolean {
  if (!katakana.test(name)) return true;
  return !katakana.test(text[start - 1] ?? "") && !katakana.test(text[end] ?? "");
}

const nameKinds = new Set<MatchKind>(["scientific", "synonym", "common", "abbreviation"]);
const saleKinds = new Set<MatchKind>(["intent", "price", "contact", "link"]);
// The kinds of the vocabularies' terms, as against names and what patterns find (prices, contacts, links).
const vocabularyKinds = new Set<MatchKind>(termKinds);
const everydayMeaning = new Set<MatchKind>([
  "intent",
  "wanted",
  "news",
  "negative",
  "lookalike",
  "substitute",
  "claim",
]);

/** What `resolveOverlaps` asks of a candidate's kind and taxa, as bits; the kind's own number above them. */
const OverlapTrait = {
  name: 1,
  sale: 2,
  everydayMeaning: 4,
  bearsTaxa: 8,
  vocabulary: 16,
  kindShift: 5,
} as const;
const kindTraits = new Map<MatchKind, number>();

function kindTraitsOf(kind: MatchKind): number {
  let traits = kindTraits.get(kind);
  if (traits === undefined) {
    traits =
      ((kindTraits.size + 1) << OverlapTrait.kindShift) |
      (nameKinds.has(kind) ? OverlapTrait.name : 0) |
      (saleKinds.has(kind) ? OverlapTrait.sale : 0) |
      (everydayMeaning.has(kind) ? OverlapTrait.everydayMeaning : 0) |
      (vocabularyKinds.has(kind) ? OverlapTrait.vocabulary : 0);
    kindTraits.set(kind, traits);
  }
  return traits;
}

// The candidates' spans and traits for `resolveOverlaps`, whose pairwise loops read these rather than objects.
let overlapStarts = new Int32Array(64);
let overlapEnds = new Int32Array(64);
let overlapTraits = new Int32Array(64);
// By original offset: the furthest end of a candidate starting there, and of any starting before it.
let furthestEndAt = new Int32Array(512);
let furthestEndBefore = new Int32Array(512);

/**
 * Look-alike phrases, strong negative phrases and claimed substitutes override the words inside them ("tiger" in
 * "tiger balm", "ivoire" in "couleur ivoire", "ivory" in "mammoth ivory"); a taxon name inside a longer name of the
 * same taxon adds nothing.
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
  const count = candidates.length;
  if (overlapStarts.length < count) {
    overlapStarts = new Int32Array(2 * count);
    overlapEnds = new Int32Array(2 * count);
    overlapTraits = new Int32Array(2 * count);
  }
  const starts = overlapStarts;
  const ends = overlapEnds;
  const traits = overlapTraits;
  // Look-alikes and substitutes, in order: the only candidates that can override others, and few.
  const overriders: number[] = [];
  for (let index = 0; index < count; index++) {
    const candidate = candidates[index] as Candidate;
    starts[index] = candidate.originalStart;
    ends[index] = candidate.originalEnd;
    traits[index] = kindTraitsOf(candidate.kind) | (bearsTaxa(candidate) ? OverlapTrait.bearsTaxa : 0);
    if (
      candidate.kind === "lookalike" ||
      candidate.kind === "substitute" ||
      (candidate.kind === "negative" && candidate.strength === "strong")
    )
      overriders.push(index);
  }
  // A substitute inside a longer word for a thing of listed taxa is part of that word, and overrides nothing:
  // 牛角 (ox horn) in 犀牛角 (rhino horn).
  for (let at = overriders.length - 1; at >= 0; at--) {
    const outer = candidates[overriders[at] as number] as Candidate;
    if (
      outer.kind === "substitute" &&
      candidates.some(
        (other) =>
          (other.kind === "product" || other.kind === "code") && bearsTaxa(other) && contains(other, outer),
      )
    )
      overriders.splice(at, 1);
  }
  // The taxa of the product words that a claimed substitute stands over ("ivory" in "mammoth ivory").
  const substitutedTaxa: number[] = [];
  for (const at of overriders) {
    const outer = candidates[at] as Candidate;
    if (outer.kind !== "substitute") continue;
    for (const candidate of candidates) {
      if ((candidate.kind === "product" || candidate.kind === "code") && overlaps(outer, candidate))
        for (const taxon of candidate.taxonIndices)
          if (!substitutedTaxa.includes(taxon)) substitutedTaxa.push(taxon);
    }
  }
  // A candidate lies inside a longer one exactly when one that starts before it ends at or after its end, or one
  // that starts with it ends after it: most lie inside none, and need no look at the others.
  let startsEnd = 0;
  for (let index = 0; index < count; index++) startsEnd = Math.max(startsEnd, (starts[index] as number) + 1);
  if (furthestEndAt.length <= startsEnd) {
    furthestEndAt = new Int32Array(2 * startsEnd);
    furthestEndBefore = new Int32Array(2 * startsEnd);
  }
  const endAt = furthestEndAt;
  const endBefore = furthestEndBefore;
  endAt.fill(-1, 0, startsEnd);
  for (let index = 0; index < count; index++) {
    const start = starts[index] as number;
    endAt[start] = Math.max(endAt[start] as number, ends[index] as number);
  }
  let furthest = -1;
  for (let offset = 0; offset < startsEnd; offset++) {
    endBefore[offset] = furthest;
    furthest = Math.max(furthest, endAt[offset] as number);
  }
  for (let index = 0; index < count; index++) {
    const candidate = candidates[index] as Candidate;
    // A look-alike overrides what it contains; a claimed substitute overrides the taxa it overlaps.
    let overrider: Candidate | undefined;
    for (let at = 0; at < overriders.length && overrider === undefined; at++) {
      const outer = candidates[overriders[at] as number] as Candidate;
      if (
        (outer.kind === "lookalike" && contains(outer, candidate) && !saleKinds.has(candidate.kind)) ||
        (outer.kind === "negative" && bearsTaxa(candidate) && contains(outer, candidate)) ||
        (outer.kind === "substitute" &&
          bearsTaxa(candidate) &&
          overlaps(outer, candidate) &&
          length(outer) >= length(candidate))
      )
        overrider = outer;
    }
    if (overrider) {
      // A word for another thing that runs on past the substitute ("ivory carving" in "mammoth ivory carving")
      // still names that thing, of the substitute's material.
      const runsOn =
        overrider.kind === "substitute" &&
        namesOtherThing(candidate, overrider) &&
        !contains(overrider, candidate);
      result.push(runsOn ? candidate.withoutTaxa() : candidate.suppressed(overrider.text));
      continue;
    }
    // Once an advert says what its material is ("mammoth ivory"), its other bare "ivory" words mean that too,
    // and so do its other words for things of the same taxa ("#ivory #carving").
    let namedSubstitute: Candidate | undefined;
    if ((candidate.kind === "product" || candidate.kind === "code") && bearsTaxa(candidate)) {
      for (let at = 0; at < overriders.length && namedSubstitute === undefined; at++) {
        const other = candidates[overriders[at] as number] as Candidate;
        if (
          other.kind === "substitute" &&
          other.product !== undefined &&
          (other.product === candidate.product ||
            candidate.taxonIndices.every((taxon) => substitutedTaxa.includes(taxon)))
        )
          namedSubstitute = other;
      }
    }
    if (namedSubstitute) {
      result.push(
        namesOtherThing(candidate, namedSubstitute)
          ? candidate.withoutTaxa()
          : candidate.suppressed(namedSubstitute.text),
      );
      continue;
    }
    const start = starts[index] as number;
    const end = ends[index] as number;
    const own = traits[index] as number;
    // A common name that is also an everyday trade word ("ship", "ban") means the word here.
    if (candidate.kind === "common") {
      let everyday = false;
      for (let other = 0; other < count && !everyday; other++) {
        everyday =
          ((traits[other] as number) & OverlapTrait.everydayMeaning) !== 0 &&
          (starts[other] as number) <= start &&
          (ends[other] as number) >= end;
      }
      if (everyday) continue;
    }
    // A shorter match inside a longer one of the same kind, or a taxon name inside a longer taxon name, adds
    // nothing: 穿山甲 inside 穿山甲片, "Loxodonta" inside "Loxodonta africana". Nor does an everyday word inside
    // a longer vocabulary phrase, which says what it means there: "museum" in "museum quality".
    const nameWithTaxa = OverlapTrait.name | OverlapTrait.bearsTaxa;
    const takesPhraseMeaning =
      (own & (OverlapTrait.everydayMeaning | OverlapTrait.bearsTaxa)) === OverlapTrait.everydayMeaning;
    let redundant = false;
    const inside = (endBefore[start] as number) >= end || (endAt[start] as number) > end;
    for (let outer = 0; inside && outer < count && !redundant; outer++) {
      const outerStart = starts[outer] as number;
      const outerEnd = ends[outer] as number;
      if (outerStart > start || outerEnd < end || outerEnd - outerStart <= end - start) continue;
      const outerTraits = traits[outer] as number;
      redundant =
        outerTraits >> OverlapTrait.kindShift === own >> OverlapTrait.kindShift ||
        ((own & nameWithTaxa) === nameWithTaxa && (outerTraits & OverlapTrait.bearsTaxa) !== 0) ||
        (takesPhraseMeaning && (outerTraits & OverlapTrait.vocabulary) !== 0);
    }
    if (redundant) continue;
    result.push(candidate);
  }
  return result;
}

/** Whether a word for a thing names another thing than the substitute's ("carving" beside "mammoth ivory"). */
function namesOtherThing(candidate: Candidate, substitute: Candidate): boolean {
  return (
    (candidate.kind === "product" || candidate.kind === "code") &&
    candidate.product !== undefined &&
    candidate.product !== substitute.product
  );
}

// Words that join a colour to the next in a list ("black and ivory", "blanc et ivoire"); "in" also joins a
// thing to its colour ("dress in ivory", "Kleid in Elfenbein").
const colourListWords = new Set(["and", "or", "et", "ou", "y", "o", "e", "und", "oder"]);
// Words that end the noun phrase a colour stands in: "ivory netsuke in a velvet box" is not velvet of ivory.
const phraseEnds = new Set(
  [
    "in on with of for from by to at a an the is are was",
    "avec dans sur pour de du des en le la les un une",
    "con para del el los las una di da il per com em do",
    "mit von für auf im der die das ein eine",
  ].flatMap((words) => words.split(" ")),
);
const clauseBreaks = /[.!?;:|()[\]{}\n]/;
const letterOrDigit = /[\p{L}\p{N}]/u;

/**
 * The words between `from` and `to` in `text`, lower-cased, or undefined when a clause ends between them or
 * there are more than `most`. Punctuation inside a list (",", "/", "&", "-") is no word.
 */
function wordsBetween(text: string, from: number, to: number, most: number): string[] | undefined {
  const between = text.slice(from, to);
  if (clauseBreaks.test(between)) return undefined;
  const words: string[] = [];
  let word = "";
  for (const character of between) {
    if (letterOrDigit.test(character)) {
      word += character;
      continue;
    }
    if (character === "&") {
      if (word) words.push(word.toLowerCase());
      word = "";
      words.push("and");
      continue;
    }
    if (word) words.push(word.toLowerCase());
    word = "";
  }
  if (word) words.push(word.toLowerCase());
  return words.length > most ? undefined : words;
}

/**
 * A product word that is also a colour ("ivory", "ivoire", "marfil": the vocabulary lists it as a `colour` too)
 * means the colour beside another colour or a thing sold by its colour: "blush ivory", "black and ivory",
 * "ivory ladies gloves", "robe ivoire", "dress in ivory", "Ellesmere Ivory set 2 fruit bowl". A colour (`strong`)
 * must touch it or be joined to it in a list; a thing (`medium`, and the product's own negatives such as
 * "sweater") may stand up to five words after it or three before it, with no word ending the noun phrase and no
 * other product word between ("ivory netsuke signed, in a box" keeps its ivory); a maker of coloured goods
 * (`weak`: "Royal Doulton", "Rosenthal") anywhere in the same clause. The colour words themselves are context
 * only and are not reported.
 */
function readColourUses(candidates: Candidate[], text: string): Candidate[] {
  let colours = 0;
  for (const candidate of candidates) if (candidate.kind === "colour") colours++;
  if (colours === 0) return candidates;
  const result: Candidate[] = [];
  for (const candidate of candidates) {
    if (candidate.kind === "colour") continue;
    const colourCapable =
      (candidate.kind === "product" || candidate.kind === "code") &&
      !candidate.suppressedBy &&
      candidate.taxonIndices.length > 0 &&
      candidates.some(
        (other) =>
          other.kind === "colour" &&
          other.originalStart === candidate.originalStart &&
          other.originalEnd === candidate.originalEnd,
      );
    const partner = colourCapable ? colourPartner(candidate, candidates, text) : undefined;
    result.push(
      partner === undefined
        ? candidate
        : candidate.suppressed(`${candidate.text}, a colour here beside '${partner.text}'`),
    );
  }
  return result;
}

/** How far a colour's partner may stand, in words: a colour, a thing after or before it, a maker. */
const colourReach = { colour: 1, thingAfter: 5, thingBefore: 3, maker: 12 } as const;

function colourPartner(
  term: Candidate,
  candidates: readonly Candidate[],
  text: string,
): Candidate | undefined {
  for (const other of candidates) {
    const maker = other.kind === "colour" && other.strength === "weak";
    const thing =
      (other.kind === "colour" && other.strength === "medium") ||
      (other.kind === "negative" && other.product !== undefined && other.product === term.product);
    if (!thing && other.kind !== "colour") continue;
    if (other.originalStart === term.originalStart && other.originalEnd === term.originalEnd) continue;
    // The same word again is no partner: "#ivory #IvoryBan" is not a list of colours.
    if (other.kind === "colour" && other.term === term.term) continue;
    // Another language's colour is another word: French "rose" is no colour beside English "ivory". A maker's
    // name is the same in every language: "Rosenthal Kaffeeservice Elfenbein".
    if (other.product !== term.product || (other.lang !== term.lang && !maker)) continue;
    const after = other.originalStart >= term.originalEnd;
    const before = other.originalEnd <= term.originalStart;
    if (!after && !before) continue;
    const [from, to] = after
      ? [term.originalEnd, other.originalStart]
      : [other.originalEnd, term.originalStart];
    const reach = maker
      ? colourReach.maker
      : !thing
        ? colourReach.colour
        : after
          ? colourReach.thingAfter
          : colourReach.thingBefore;
    const words = wordsBetween(text, from, to, reach);
    if (words === undefined) continue;
    if (maker) return other;
    if (words.every((word) => colourListWords.has(word))) return other;
    // "in" joins a thing to its colour: "dress in ivory", "cup and saucer set in ivory".
    const joinedByIn = before && thing && words.at(-1) === "in";
    const phrase = joinedByIn ? words.slice(0, -1) : words;
    if (thing && !phrase.some((word) => phraseEnds.has(word)) && !madeIntoBetween(term, candidates, from, to))
      return other;
  }
  return undefined;
}

/**
 * Whether a word for what the term's material is made into stands between `from` and `to`: in "ivory netsuke,
 * signed, box" the box holds a netsuke of ivory; another material ("ivory leather gloves") is no such word.
 */
function madeIntoBetween(
  term: Candidate,
  candidates: readonly Candidate[],
  from: number,
  to: number,
): boolean {
  return candidates.some(
    (candidate) =>
      (candidate.kind === "product" || candidate.kind === "code") &&
      (candidate.product === term.product ||
        candidate.product === "carving" ||
        candidate.product === "jewellery") &&
      candidate.originalStart >= from &&
      candidate.originalEnd <= to,
  );
}

// For each lexicon: the taxa whose teeth or tusks its vocabulary calls ivory (elephants, walrus, hippopotamus,
// sperm whale, narwhal…), and which of the taxa asked about are elephants.
interface IvoryTaxa {
  readonly bearers: Set<number>;
  readonly elephant: Map<number, boolean>;
}
const ivoryTaxa = new WeakMap<Lexicon, IvoryTaxa>();

function ivoryTaxaOf(lexicon: Lexicon): IvoryTaxa {
  let known = ivoryTaxa.get(lexicon);
  if (known === undefined) {
    const bearers = new Set<number>();
    lexicon.vocabulary.forEach((entry, index) => {
      if (entry.product === "ivory")
        for (const taxon of lexicon.vocabularyTaxa[index] ?? []) bearers.add(taxon);
    });
    known = { bearers, elephant: new Map() };
    ivoryTaxa.set(lexicon, known);
  }
  return known;
}

function isElephant(taxon: number, lexicon: Lexicon, known: IvoryTaxa): boolean {
  let elephant = known.elephant.get(taxon);
  if (elephant === undefined) {
    elephant = lexicon.species.lineage(taxon).some((at) => lexicon.species.taxon(at).name === "Elephantidae");
    known.elephant.set(taxon, elephant);
  }
  return elephant;
}

/**
 * "Ivory" means elephant ivory unless the advert names another animal whose teeth are ivory just before it:
 * "walrus tusk ivory", "hippo tooth ivory", "narwhal ivory" are not the elephants'. A list is not: "elephant
 * ivory and walrus tusk" has both. (A claimed substitute, "mammoth ivory", is read by `resolveOverlaps`.)
 */
function readOtherAnimalsIvory(candidates: Candidate[], text: string, lexicon: Lexicon): Candidate[] {
  const known = ivoryTaxaOf(lexicon);
  const others: Candidate[] = [];
  for (const candidate of candidates) {
    if (candidate.suppressedBy || candidate.taxonIndices.length === 0) continue;
    let bearer = false;
    let elephant = false;
    for (const taxon of candidate.taxonIndices) {
      bearer ||= known.bearers.has(taxon);
      elephant ||= isElephant(taxon, lexicon, known);
    }
    if (bearer && !elephant) others.push(candidate);
  }
  if (others.length === 0) return candidates;
  let result: Candidate[] | undefined;
  candidates.forEach((candidate, index) => {
    if (candidate.suppressedBy || !(candidate.kind === "product" || candidate.kind === "code")) return;
    if (candidate.taxonIndices.length === 0) return;
    if (!candidate.taxonIndices.every((taxon) => isElephant(taxon, lexicon, known))) return;
    const animal = others.find((other) => {
      // Just before: the gap is a few words at most, and none ends the phrase or lists another thing.
      if (other.originalEnd > candidate.originalStart || candidate.originalStart - other.originalEnd > 40)
        return false;
      const between = text.slice(other.originalEnd, candidate.originalStart);
      if (between.includes(",") || between.includes("/")) return false;
      const words = wordsBetween(text, other.originalEnd, candidate.originalStart, 2);
      return words !== undefined && !words.some((word) => phraseEnds.has(word) || colourListWords.has(word));
    });
    if (animal !== undefined)
      (result ??= candidates.slice())[index] = candidate.suppressed(
        `${candidate.text}, the ivory of '${animal.text}' named before it`,
      );
  });
  return result ?? candidates;
}

// Words that join a depiction to what it depicts: "peluche de tigre", "toy of a tiger" has "a" too.
const depictionLinks = new Set(["of", "a", "an", "de", "du", "des", "d", "di", "da", "do", "del", "von"]);

/**
 * A name or product word that an imitation or depiction word touches ("faux ivory", "ivory resin", "plush
 * pangolin", "Plüschtier Schuppentier", "peluche de tigre", "仿真象牙") names what is imitated or depicted, not a
 * specimen: its taxa are not the advert's. The imitation word still counts against a sale. Only the strong,
 * generic ones ("figurine" is weak: "ivory figurine" is ivory), and beside a product word only in its language
 * (a name is often written alike in many: "pangolin").
 */
function readImitations(candidates: Candidate[], text: string): Candidate[] {
  const imitations: Candidate[] = [];
  for (const candidate of candidates)
    if (candidate.kind === "negative" && candidate.strength === "strong" && !candidate.suppressedBy)
      imitations.push(candidate);
  if (imitations.length === 0) return candidates;
  let result: Candidate[] | undefined;
  candidates.forEach((candidate, index) => {
    if (candidate.suppressedBy || candidate.taxonIndices.length === 0 || saleKinds.has(candidate.kind))
      return;
    const term = candidate.kind === "product" || candidate.kind === "code";
    const imitation = imitations.find(
      (other) =>
        (other.product === ("*" as ProductType) || other.product === candidate.product) &&
        (!term ||
          other.lang === undefined ||
          candidate.lang === undefined ||
          sameLanguage(other.lang, candidate.lang)) &&
        touches(other, candidate, text),
    );
    if (imitation !== undefined)
      (result ??= candidates.slice())[index] = candidate.suppressed(
        `${candidate.text}, an imitation or depiction here beside '${imitation.text}'`,
      );
  });
  return result ?? candidates;
}

/**
 * An animal named as what a carving shows ("mammoth ivory carving of a bear family", "netsuke of a rat",
 * "statuette de tigre") is the carving's subject, not its material: its taxa are not the advert's. A name that a
 * part or product word follows is the material still ("carving of elephant tusk").
 */
function readDepictedAnimals(candidates: Candidate[], text: string): Candidate[] {
  // A carving word whose taxa a claimed substitute overrode ("mammoth ivory carving") is a carving still.
  const carvings = candidates.filter(
    (candidate) =>
      candidate.product === "carving" && (candidate.kind === "product" || candidate.kind === "code"),
  );
  if (carvings.length === 0) return candidates;
  let result: Candidate[] | undefined;
  candidates.forEach((candidate, index) => {
    if (candidate.suppressedBy || candidate.taxonIndices.length === 0 || !nameKinds.has(candidate.kind))
      return;
    const carving = carvings.find((other) => joined(other, candidate, text, 3, linksCarvingToSubject));
    if (carving === undefined) return;
    const material = candidates.some(
      (other) =>
        !other.suppressedBy &&
        (other.kind === "product" || other.kind === "code") &&
        other !== carving &&
        other.originalEnd > candidate.originalStart &&
        (other.originalStart < candidate.originalEnd ||
          wordsBetween(text, candidate.originalEnd, other.originalStart, 0) !== undefined),
    );
    if (!material)
      (result ??= candidates.slice())[index] = candidate.suppressed(
        `${candidate.text}, what the '${carving.text}' shows rather than its material`,
      );
  });
  return result ?? candidates;
}

// How many a carving shows: "netsuke of three monkeys", "Schnitzerei von zwei Tigern".
const depictedCounts = new Set(
  [
    "two three four five six seven eight nine ten pair",
    "deux trois quatre cinq dos tres cuatro cinco",
    "zwei drei vier fünf due tre quattro cinque",
  ].flatMap((words) => words.split(" ")),
);

const linksDepictionToSubject = (word: string) => depictionLinks.has(word);
// "carving of a", "netsuke of three", "Schnitzerei von 2".
const linksCarvingToSubject = (word: string) =>
  depictionLinks.has(word) || depictedCounts.has(word) || /^\d+$/.test(word);

/** Whether `later` follows `earlier` closely, with at most `words` words between, each one that `links` allows. */
function joined(
  earlier: Candidate,
  later: Candidate,
  text: string,
  words: number,
  links: (word: string) => boolean,
): boolean {
  // A few short words and their spaces at most: most pairs are farther apart than that.
  if (earlier.originalEnd > later.originalStart || earlier.originalEnd + 30 < later.originalStart)
    return false;
  const between = wordsBetween(text, earlier.originalEnd, later.originalStart, words);
  return between !== undefined && between.every(links);
}

/**
 * Whether an imitation or depiction word touches the term: just before it ("plush pangolin", "peluche de tigre")
 * or right after it ("ivory resin").
 */
function touches(word: Candidate, term: Candidate, text: string): boolean {
  if (word.originalEnd <= term.originalStart) return joined(word, term, text, 2, linksDepictionToSubject);
  if (word.originalStart >= term.originalEnd)
    return (
      word.originalStart <= term.originalEnd + 3 &&
      wordsBetween(text, term.originalEnd, word.originalStart, 0) !== undefined
    );
  return false;
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
      ? candidate.suppressed(
          `${candidate.text}, an ambiguous name, with nothing else about an animal or its parts`,
        )
      : candidate,
  );
}

/**
 * The taxa the candidates point to, the strongest first, and the index of each (in the same order): the
 * candidates name their taxa by index.
 */
function aggregateTaxa(
  active: readonly Candidate[],
  lexicon: Lexicon,
): { taxa: DetectedTaxon[]; indices: number[] } {
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
  const facts = referenceFactsOf(species);
  const taxa: DetectedTaxon[] = [];
  const indices: number[] = [];
  for (const [taxonIndex, entry] of byTaxon) {
    const taxon = species.taxon(taxonIndex);
    const listing = facts.listing(taxonIndex);
    const evidence =
      entry.best + Math.min(priorPoints.corroborationCap, entry.others * priorPoints.corroborationFactor);
    const detected: Mutable<DetectedTaxon> = {
      id: taxon.id,
      name: taxon.name,
      rank: taxon.rank,
      evidence: round(evidence),
      terms: [...entry.terms],
      listed: listing.listed,
      appendices: listing.listed ? listing.appendices : [],
    };
    if (listing.listedThrough !== undefined) detected.listedThrough = listing.listedThrough;
    if (listing.listingSource !== undefined) detected.listingSource = { ...listing.listingSource };
    taxa.push(detected);
    indices.push(taxonIndex);
  }
  const order = sortFew(
    indices.map((_, at) => at),
    (a, b) => {
      const first = taxa[a] as DetectedTaxon;
      const second = taxa[b] as DetectedTaxon;
      return second.evidence - first.evidence || collator.compare(first.name, second.name);
    },
  );
  return {
    taxa: order.map((at) => taxa[at] as DetectedTaxon),
    indices: order.map((at) => indices[at] as number),
  };
}

// What `localeCompare` does with no arguments, made once rather than for every comparison.
const collator = new Intl.Collator();

/** How a taxon is listed, as detection reports it: the same for every advert, so worked out once per taxon. */
interface TaxonListing {
  readonly listed: boolean;
  readonly appendices: readonly Appendix[];
  readonly listedThrough?: string;
  readonly listingSource?: { readonly id: string; readonly date: string };
}
function workOutListing(species: SpeciesIndex, taxonIndex: number): TaxonListing {
  const taxon = species.taxon(taxonIndex);
  const status = species.listingStatus(taxonIndex);
  if (status.listed) {
    const via = species.taxon(status.via);
    return {
      listed: true,
      appendices: status.appendices,
      listedThrough:
        status.inherited || !["SPECIES", "SUBSPECIES", "VARIETY"].includes(via.rank)
          ? `${via.name} spp.`
          : taxon.name,
      listingSource: { id: status.source.id, date: status.source.date },
    };
  }
  const members = status.reason === "unlisted" ? species.memberListings(taxonIndex) : undefined;
  if (members && members.members.length > 0) {
    const named = members.members.slice(0, 3).map((member) => species.taxon(member).name);
    return {
      listed: true,
      appendices: members.appendices,
      listedThrough: `${taxon.name} (members listed: ${named.join(", ")}${members.members.length > 3 ? "…" : ""})`,
    };
  }
  return { listed: false, appendices: [] };
}

const kindLabels: Partial<Record<MatchKind, string>> = {
  scientific: "scientific name",
  synonym: "synonym",
  common: "common name",
  abbreviation: "abbreviated name",
  product: "product term",
  code: "code word",
};

function kindLabel(candidate: DetectionMatch): string {
  const label = kindLabels[candidate.kind] ?? candidate.kind;
  return candidate.distance ? `${label}, misspelt` : label;
}

/** The strings in order, each once. */
function distinct(strings: readonly string[]): string[] {
  // Lists are short: looking back through what is kept costs less than a set.
  if (strings.length > 16) return [...new Set(strings)];
  const kept: string[] = [];
  for (const string of strings) if (!kept.includes(string)) kept.push(string);
  return kept;
}

function quoteList(candidates: readonly DetectionMatch[]): string {
  // Most lists hold one candidate or none.
  if (candidates.length <= 1) return candidates.length === 0 ? "" : `'${candidates[0]?.text}'`;
  return distinct(candidates.map((candidate) => `'${candidate.text}'`)).join(", ");
}

function verdictSentence(verdict: Verdict, score: number): string {
  const percent = Math.round(score * 100);
  if (verdict === "offer") return `Offer of a CITES-listed taxon (score ${percent}%)`;
  if (verdict === "mention") return `Mentions a CITES-listed taxon without a sale offer (score ${percent}%)`;
  return `No CITES-listed taxon found (score ${percent}%)`;
}

function wildlifeSentence(offersWildlife: boolean, wildlifeScore: number): string {
  const percent = Math.round(wildlifeScore * 100);
  return offersWildlife
    ? `Offers wildlife, though not as a CITES offer (wildlife-offer score ${percent}%)`
    : `Offers no wildlife either (wildlife-offer score ${percent}%)`;
}

const fieldOrders: Readonly<Record<AdvertField, number>> = { title: 0, text: 1, price: 2, seller: 3 };

function fieldOrder(field: AdvertField): number {
  return fieldOrders[field];
}

/**
 * The match as reported: only the fields that apply, in the order they have always had (JSON output and the
 * golden files compare them as text).
 */
function toMatch(candidate: Candidate): DetectionMatch {
  const { text, term, kind, lang, field, start, end, taxa } = candidate;
  let match: Mutable<DetectionMatch>;
  if (candidate.isSignal) {
    match = { text, term, kind, field, start, end, taxa };
  } else {
    match = candidate.evasive
      ? { text, field, start, end, evasive: true, term, kind, lang, taxa }
      : { text, field, start, end, term, kind, lang, taxa };
    if (candidate.product !== undefined) match.product = candidate.product;
    if (candidate.strength !== undefined) match.strength = candidate.strength;
    if (candidate.source !== undefined) match.source = candidate.source;
    if (candidate.distance !== undefined) match.distance = candidate.distance;
  }
  if (candidate.suppressedBy !== undefined) match.suppressedBy = candidate.suppressedBy;
  return match;
}

/**
 * Sorts in place, stable as `sort` is (so in the same order), by insertion: an advert's lists are short, and
 * `sort` costs a set-up and a call for each comparison.
 */
function sortFew<T>(items: T[], order: (a: T, b: T) => number): T[] {
  if (items.length > 32) return items.sort(order);
  for (let next = 1; next < items.length; next++) {
    const item = items[next] as T;
    let at = next;
    for (; at > 0 && order(item, items[at - 1] as T) < 0; at--) items[at] = items[at - 1] as T;
    items[at] = item;
  }
  return items;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
