import { UsageError } from "../errors.ts";

/**
 * The detection model: one weight per kind of evidence, plus weights over hashed character n-grams of the
 * advert's wording. Scores are logistic, so every point of a score is a weight times a feature value that a
 * reason names. `trainModel` fits the weights to labelled adverts; `priorModel` holds the starting values that
 * training regularises towards, so evidence rarely seen in training keeps a sensible weight.
 */

export const featureNames = [
  "taxon.scientific-binomial",
  "taxon.scientific-higher",
  "taxon.everyday-genus",
  "taxon.common-phrase",
  "taxon.common-word",
  "taxon.abbreviation",
  "taxon.misspelt-name",
  "taxon.term-strong",
  "taxon.term-medium",
  "taxon.term-weak",
  "taxon.members-only",
  "taxon.corroboration",
  "taxon.unlisted-only",
  "product.plain",
  "intent.strong",
  "intent.medium",
  "intent.weak",
  "intent.price",
  "intent.contact",
  "intent.link",
  "intent.listing",
  "wanted",
  "news.strong",
  "news.medium",
  "news.weak",
  "negative.strong",
  "negative.medium",
  "negative.weak",
  "substitute",
  "claim",
  "evasive",
] as const;
export type FeatureName = (typeof featureNames)[number];
export type FeatureValues = Partial<Record<FeatureName, number>>;

export const detectionModelFormat = "wildtrawl-detection-model/2";

/** What a score's weights were fit on and how, for whoever inspects the file. */
export interface ModelTraining {
  readonly examples: number;
  readonly positives: number;
  readonly sources: ReadonlyArray<{ readonly name: string; readonly examples: number }>;
  readonly iterations: number;
  readonly l2: { readonly features: number; readonly ngrams: number };
  readonly logLoss: number;
}

export interface DetectionModel {
  readonly format: typeof detectionModelFormat;
  /** The score of an offer of a CITES-listed taxon: its bias, evidence weights and n-gram weights. */
  readonly bias: number;
  readonly weights: Readonly<Record<FeatureName, number>>;
  /** Character n-grams of the normalised text, hashed into `buckets`; `weights` is dense, one per bucket. */
  readonly ngrams: { readonly size: number; readonly buckets: number; readonly weights: readonly number[] };
  readonly training?: ModelTraining;
  /**
   * The second score, over the same evidence and n-grams: whether the advert offers wildlife at all, listed or
   * not (mammoth ivory, a budgerigar), fit to the labels' `label_offer` rather than to CITES-relevant offers.
   */
  readonly wildlifeOffer: ScoreWeights;
}

/** One logistic score's weights: its bias, one weight per kind of evidence, one per n-gram bucket. */
export interface ScoreWeights {
  readonly bias: number;
  readonly weights: Readonly<Record<FeatureName, number>>;
  /** One per bucket of the model's `ngrams`. */
  readonly ngramWeights: readonly number[];
  readonly training?: ModelTraining;
}

/** The first score's hand-set starting weights, in the units of the score (log-odds). */
const citesOfferPriorWeights: Readonly<Record<FeatureName, number>> = {
  "taxon.scientific-binomial": 3,
  "taxon.scientific-higher": 1.5,
  "taxon.everyday-genus": 0.3,
  "taxon.common-phrase": 2.5,
  "taxon.common-word": 1.6,
  "taxon.abbreviation": 2.4,
  "taxon.misspelt-name": 2.25,
  "taxon.term-strong": 2.2,
  "taxon.term-medium": 1.4,
  "taxon.term-weak": 0.6,
  "taxon.members-only": 0,
  "taxon.corroboration": 0.3,
  "taxon.unlisted-only": -0.5,
  "product.plain": 0.4,
  "intent.strong": 1.6,
  "intent.medium": 1.1,
  "intent.weak": 0.5,
  "intent.price": 1.4,
  "intent.contact": 1,
  "intent.link": 0.4,
  "intent.listing": 1.2,
  wanted: -2.5,
  "news.strong": -1.8,
  "news.medium": -1.2,
  "news.weak": -0.6,
  "negative.strong": -2.5,
  "negative.medium": -1.5,
  "negative.weak": -0.7,
  substitute: -1,
  claim: 0,
  evasive: 0.3,
};

/** Hand-set starting weights, in the units of the score (log-odds). */
export const priorModel: DetectionModel = {
  format: detectionModelFormat,
  bias: -3,
  weights: citesOfferPriorWeights,
  ngrams: { size: 4, buckets: 4096, weights: new Array<number>(4096).fill(0) },
  wildlifeOffer: {
    bias: -3,
    // Unlisted wildlife and a claimed substitute (mammoth ivory, ox bone) are what this score adds to the first.
    weights: { ...citesOfferPriorWeights, "taxon.unlisted-only": 1.5, substitute: 1 },
    ngramWeights: new Array<number>(4096).fill(0),
  },
};

/**
 * Writes to `into` the bucket of every character n-gram of the word `units[from…to)` padded with a space at both
 * ends (a word shorter than the n-gram gives one, the whole padded word), in order, and returns how many: at most
 * the padded length. The hash is FNV-1a computed in place over UTF-16 units: no substring is made, which matters
 * on the hot path of detection, where the words are read straight from the prepared text.
 */
export function wordNgramBuckets(
  units: ArrayLike<number>,
  from: number,
  to: number,
  size: number,
  buckets: number,
  into: Int32Array,
): number {
  const length = to - from + 2;
  // Bucket counts are powers of two, where the remainder is a mask: `%` of an unsigned 32-bit hash is a
  // floating-point remainder.
  const mask = buckets > 0 && buckets <= 0x40000000 && (buckets & (buckets - 1)) === 0 ? buckets - 1 : -1;
  // The padded word, read once from `units` into a typed array that every window then reads.
  if (paddedWord.length < length) paddedWord = new Int32Array(2 * length);
  const padded = paddedWord;
  padded[0] = 32;
  for (let at = from; at < to; at++) padded[at - from + 1] = units[at] as number;
  padded[length - 1] = 32;
  const windows = Math.max(1, length - size + 1);
  for (let start = 0; start < windows; start++) {
    let hash = 0x811c9dc5;
    const end = Math.min(start + size, length);
    for (let at = start; at < end; at++) hash = Math.imul(hash ^ (padded[at] as number), 0x01000193);
    into[start] = mask >= 0 ? hash & mask : (hash >>> 0) % buckets;
  }
  return windows;
}

let paddedWord = new Int32Array(64);

/** FNV-1a (as `fnv1a`, before `>>> 0`) of four UTF-16 units: one n-gram of the size every model has. */
export function fnv1aOfFour(first: number, second: number, third: number, fourth: number): number {
  const prime = 0x01000193;
  return Math.imul(
    Math.imul(Math.imul(Math.imul(0x811c9dc5 ^ first, prime) ^ second, prime) ^ third, prime) ^ fourth,
    prime,
  );
}

/** Calls `visit` with the bucket of every character n-gram of every word (see `wordNgramBuckets`). */
export function forEachNgramBucket(
  words: readonly string[],
  size: number,
  buckets: number,
  visit: (bucket: number, word: string, start: number) => void,
): void {
  for (const word of words) {
    const units = Array.from({ length: word.length }, (_, at) => word.charCodeAt(at));
    const found = new Int32Array(word.length + 2);
    const count = wordNgramBuckets(units, 0, units.length, size, buckets, found);
    for (let start = 0; start < count; start++) visit(found[start] as number, word, start);
  }
}

/** Bucket ids (sorted, distinct) of the character n-grams of each word, padded with spaces at both ends. */
export function ngramBuckets(words: readonly string[], size: number, buckets: number): number[] {
  const found = new Set<number>();
  forEachNgramBucket(words, size, buckets, (bucket) => found.add(bucket));
  return [...found].sort((a, b) => a - b);
}

/** 32-bit FNV-1a over UTF-16 code units: stable across runs and platforms, which a weights file needs. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let at = 0; at < text.length; at++) {
    hash ^= text.charCodeAt(at);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export interface TrainingExample {
  readonly features: FeatureValues;
  readonly ngrams: readonly number[];
  /** Offers a CITES-listed taxon: what the first score learns. */
  readonly citesOffer: boolean;
  /** Offers wildlife, listed or not: what the wildlife-offer score learns. */
  readonly wildlifeOffer: boolean;
  readonly source: string;
}

export interface TrainingOptions {
  readonly iterations?: number;
  readonly learningRate?: number;
  /** L2 pull of the evidence weights towards the prior, and of n-gram weights towards zero. */
  readonly l2?: { readonly features: number; readonly ngrams: number };
  readonly prior?: DetectionModel;
}

/**
 * Fits both scores' weights, each by full-batch gradient descent (Adam) on the mean log-loss plus L2 penalties,
 * each from its prior. Deterministic: the same examples in the same order give the same file.
 */
export function trainModel(
  examples: readonly TrainingExample[],
  options: TrainingOptions = {},
): DetectionModel {
  const prior = options.prior ?? priorModel;
  const settings = {
    iterations: options.iterations ?? 1500,
    learningRate: options.learningRate ?? 0.05,
    l2: options.l2 ?? { features: 0.02, ngrams: 0.05 },
    buckets: prior.ngrams.buckets,
  };
  const citesOffer = fitScore(examples, (example) => example.citesOffer, prior, settings);
  const wildlifeOffer = fitScore(
    examples,
    (example) => example.wildlifeOffer,
    { bias: prior.wildlifeOffer.bias, weights: prior.wildlifeOffer.weights },
    settings,
  );
  return {
    format: detectionModelFormat,
    bias: citesOffer.bias,
    weights: citesOffer.weights,
    ngrams: { size: prior.ngrams.size, buckets: settings.buckets, weights: citesOffer.ngramWeights },
    training: citesOffer.training,
    wildlifeOffer,
  };
}

interface FitSettings {
  readonly iterations: number;
  readonly learningRate: number;
  readonly l2: { readonly features: number; readonly ngrams: number };
  readonly buckets: number;
}

/** One logistic score fit to one label, its evidence weights pulled towards the prior's. */
function fitScore(
  examples: readonly TrainingExample[],
  label: (example: TrainingExample) => boolean,
  prior: { readonly bias: number; readonly weights: Readonly<Record<FeatureName, number>> },
  { iterations, learningRate, l2, buckets }: FitSettings,
): Required<ScoreWeights> {
  const featureCount = featureNames.length;
  // Parameters: [bias, features…, n-grams…].
  const size = 1 + featureCount + buckets;
  const parameters = new Float64Array(size);
  const target = new Float64Array(size);
  parameters[0] = prior.bias;
  featureNames.forEach((name, index) => {
    parameters[1 + index] = prior.weights[name];
    target[1 + index] = prior.weights[name];
  });
  const rows = examples.map((example) => ({
    features: featureNames.map((name) => example.features[name] ?? 0),
    ngrams: example.ngrams,
    label: label(example) ? 1 : 0,
  }));
  const gradient = new Float64Array(size);
  const firstMoment = new Float64Array(size);
  const secondMoment = new Float64Array(size);
  const count = Math.max(1, rows.length);
  let logLoss = 0;
  for (let step = 1; step <= iterations; step++) {
    gradient.fill(0);
    logLoss = 0;
    for (const row of rows) {
      let logit = parameters[0] as number;
      row.features.forEach((value, index) => (logit += value * (parameters[1 + index] as number)));
      for (const bucket of row.ngrams) logit += parameters[1 + featureCount + bucket] as number;
      const probability = 1 / (1 + Math.exp(-logit));
      const error = probability - row.label;
      logLoss -= row.label
        ? Math.log(Math.max(probability, 1e-12))
        : Math.log(Math.max(1 - probability, 1e-12));
      gradient[0] = (gradient[0] as number) + error;
      row.features.forEach(
        (value, index) => (gradient[1 + index] = (gradient[1 + index] as number) + error * value),
      );
      for (const bucket of row.ngrams)
        gradient[1 + featureCount + bucket] = (gradient[1 + featureCount + bucket] as number) + error;
    }
    for (let index = 0; index < size; index++) {
      const penalty =
        index === 0
          ? 0
          : index <= featureCount
            ? l2.features * ((parameters[index] as number) - (target[index] as number))
            : l2.ngrams * (parameters[index] as number);
      const g = (gradient[index] as number) / count + penalty;
      firstMoment[index] = 0.9 * (firstMoment[index] as number) + 0.1 * g;
      secondMoment[index] = 0.999 * (secondMoment[index] as number) + 0.001 * g * g;
      const corrected = (firstMoment[index] as number) / (1 - 0.9 ** step);
      const scale = Math.sqrt((secondMoment[index] as number) / (1 - 0.999 ** step)) + 1e-8;
      parameters[index] = (parameters[index] as number) - (learningRate * corrected) / scale;
    }
  }
  const round = (value: number) => Math.round(value * 1e4) / 1e4;
  const weights = Object.fromEntries(
    featureNames.map((name, index) => [name, round(parameters[1 + index] as number)]),
  ) as Record<FeatureName, number>;
  const sources = new Map<string, number>();
  for (const example of examples) sources.set(example.source, (sources.get(example.source) ?? 0) + 1);
  return {
    bias: round(parameters[0] as number),
    weights,
    ngramWeights: Array.from(parameters.subarray(1 + featureCount), round),
    training: {
      examples: examples.length,
      positives: rows.filter((row) => row.label === 1).length,
      sources: [...sources].map(([name, examplesFromSource]) => ({ name, examples: examplesFromSource })),
      iterations,
      l2,
      logLoss: round(logLoss / count),
    },
  };
}

/** Checks a model read from a file: the right format, every weight a finite number, the n-gram tables whole. */
export function validateModel(value: unknown): DetectionModel {
  const model = value as DetectionModel;
  const problems: string[] = [];
  if (model?.format !== detectionModelFormat)
    problems.push(
      `format is "${String(model?.format)}", expected "${detectionModelFormat}" (fit one with "wildtrawl model train")`,
    );
  const buckets = model?.ngrams?.buckets;
  checkScore("", model?.bias, model?.weights, model?.ngrams?.weights, buckets, problems);
  const wildlifeOffer = model?.wildlifeOffer;
  checkScore(
    "wildlifeOffer.",
    wildlifeOffer?.bias,
    wildlifeOffer?.weights,
    wildlifeOffer?.ngramWeights,
    buckets,
    problems,
  );
  if (problems.length > 0)
    throw new UsageError("model_invalid", `invalid detection model: ${problems.join("; ")}`);
  return model;
}

function checkScore(
  prefix: string,
  bias: unknown,
  weights: Partial<Record<FeatureName, unknown>> | undefined,
  ngramWeights: unknown,
  buckets: unknown,
  problems: string[],
): void {
  if (!Number.isFinite(bias)) problems.push(`${prefix}bias is not a number`);
  for (const name of featureNames)
    if (!Number.isFinite(weights?.[name]))
      problems.push(`${prefix}weight "${name}" is missing or not a number`);
  if (
    !Array.isArray(ngramWeights) ||
    ngramWeights.length !== buckets ||
    !ngramWeights.every((weight) => Number.isFinite(weight))
  )
    problems.push(`${prefix}n-gram weights do not match their bucket count`);
}
