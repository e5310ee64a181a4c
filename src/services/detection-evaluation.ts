import { detect, type Detection } from "../core/detect/detect.ts";
import type { DetectionModel } from "../core/detect/model.ts";
import type { Lexicon } from "../core/lexicon/lexicon.ts";
import { isCitesOffer, type LabelledAdvert } from "./labelled-adverts.ts";

export interface Rates {
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  readonly trueNegatives: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface EvaluationReport {
  readonly adverts: number;
  readonly leftOutUnsure: number;
  readonly citesOffer: Rates;
  readonly anyOffer: Rates;
  readonly taxa: {
    readonly precision: number;
    readonly recall: number;
    readonly predicted: number;
    readonly labelled: number;
  };
  readonly byLanguage: ReadonlyArray<{
    readonly lang: string;
    readonly adverts: number;
    readonly citesOffer: Rates;
  }>;
  readonly brier: number;
  readonly calibration: ReadonlyArray<{
    readonly from: number;
    readonly to: number;
    readonly adverts: number;
    readonly offerShare: number;
  }>;
  /** The misclassified adverts, most confidently wrong first. */
  readonly errors: ReadonlyArray<{
    readonly id: string;
    readonly expected: boolean;
    readonly verdict: Detection["verdict"];
    readonly score: number;
    readonly text: string;
    readonly reasons: readonly string[];
  }>;
}

/** Runs detection over labelled adverts and measures it the way issue 3 asks. */
export function evaluateDetection(
  adverts: readonly LabelledAdvert[],
  lexicon: Lexicon,
  model: DetectionModel | undefined,
): EvaluationReport {
  const labelled = adverts.filter((advert) => advert.label_offer !== null);
  const results = labelled.map((advert) => ({
    advert,
    detection: detect(
      {
        text: advert.text,
        ...(advert.title ? { title: advert.title } : {}),
        ...(advert.lang && !advert.lang.startsWith("und") ? { language: advert.lang } : {}),
        ...(advert.context ? { context: advert.context } : {}),
      },
      lexicon,
      model ? { model } : {},
    ),
  }));
  const offer = (detection: Detection) => detection.verdict === "offer";
  const languages = [...new Set(results.map((result) => baseLanguage(result.advert.lang)))].sort();
  let taxaPredicted = 0;
  let taxaPredictedRight = 0;
  let taxaLabelled = 0;
  let taxaLabelledFound = 0;
  for (const { advert, detection } of results) {
    const labelledTaxa = advert.taxa.flatMap((name) =>
      lexicon.species
        .namesByKey(name)
        .filter((found) => found.kind !== "common")
        .map((found) => found.taxon),
    );
    const predicted = detection.taxa
      .filter((taxon) => taxon.listed)
      .flatMap((taxon) => lexicon.species.byId(taxon.id) ?? []);
    const related = (a: number, b: number) =>
      lexicon.species.lineage(a).includes(b) || lexicon.species.lineage(b).includes(a);
    taxaPredicted += predicted.length;
    taxaPredictedRight += predicted.filter((taxon) =>
      labelledTaxa.some((label) => related(taxon, label)),
    ).length;
    // Plain "ivory" lists both elephants; finding either counts, so recall is per advert.
    if (labelledTaxa.length > 0) {
      taxaLabelled += 1;
      if (predicted.some((taxon) => labelledTaxa.some((label) => related(taxon, label))))
        taxaLabelledFound += 1;
    }
  }
  const errors = results
    .filter((result) => isCitesOffer(result.advert) !== offer(result.detection))
    .sort(
      (a, b) =>
        Math.abs(b.detection.score - (isCitesOffer(b.advert) ? 1 : 0)) -
        Math.abs(a.detection.score - (isCitesOffer(a.advert) ? 1 : 0)),
    )
    .map(({ advert, detection }) => ({
      id: advert.id,
      expected: isCitesOffer(advert),
      verdict: detection.verdict,
      score: detection.score,
      text: advert.text,
      reasons: detection.reasons,
    }));
  return {
    adverts: labelled.length,
    leftOutUnsure: adverts.length - labelled.length,
    citesOffer: rates(results.map((result) => [isCitesOffer(result.advert), offer(result.detection)])),
    anyOffer: rates(
      results.map((result) => [result.advert.label_offer === true, result.detection.offersWildlife]),
    ),
    taxa: {
      precision: ratio(taxaPredictedRight, taxaPredicted),
      recall: ratio(taxaLabelledFound, taxaLabelled),
      predicted: taxaPredicted,
      labelled: taxaLabelled,
    },
    byLanguage: languages.map((lang) => {
      const inLanguage = results.filter((result) => baseLanguage(result.advert.lang) === lang);
      return {
        lang,
        adverts: inLanguage.length,
        citesOffer: rates(inLanguage.map((result) => [isCitesOffer(result.advert), offer(result.detection)])),
      };
    }),
    brier: ratio(
      results.reduce(
        (sum, result) => sum + (result.detection.score - (isCitesOffer(result.advert) ? 1 : 0)) ** 2,
        0,
      ),
      results.length,
    ),
    calibration: [0, 0.2, 0.4, 0.6, 0.8].map((from) => {
      const to = from + 0.2;
      const inBin = results.filter(
        (result) => result.detection.score >= from && (result.detection.score < to || to >= 1),
      );
      return {
        from,
        to,
        adverts: inBin.length,
        offerShare: ratio(inBin.filter((result) => isCitesOffer(result.advert)).length, inBin.length),
      };
    }),
    errors,
  };
}

function baseLanguage(lang: string | undefined): string {
  return (lang ?? "und").split("-")[0] ?? "und";
}

function ratio(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10000) / 10000;
}

function rates(pairs: ReadonlyArray<readonly [truth: boolean, predicted: boolean]>): Rates {
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  let trueNegatives = 0;
  for (const [truth, predicted] of pairs) {
    if (truth && predicted) truePositives++;
    else if (predicted) falsePositives++;
    else if (truth) falseNegatives++;
    else trueNegatives++;
  }
  const precision = ratio(truePositives, truePositives + falsePositives);
  const recall = ratio(truePositives, truePositives + falseNegatives);
  const f1 =
    precision + recall === 0
      ? 0
      : Math.round(((2 * precision * recall) / (precision + recall)) * 10000) / 10000;
  return { truePositives, falsePositives, falseNegatives, trueNegatives, precision, recall, f1 };
}
