import { analyseAdvert } from "../core/detect/detect.ts";
import {
  ngramBuckets,
  priorModel,
  trainModel,
  type DetectionModel,
  type TrainingExample,
} from "../core/detect/model.ts";
import type { Lexicon } from "../core/lexicon/lexicon.ts";
import { isCitesOffer, isHeldOut, type LabelledSet } from "./labelled-adverts.ts";

export interface TrainingResult {
  readonly model: DetectionModel;
  readonly trainedOn: number;
  readonly heldOut: number;
}

/**
 * Fits the detection weights to labelled sets, leaving out the held-out quarter (ids divisible by four) and
 * unsure labels. The first score learns CITES-relevant offers, the second any offer of wildlife (`label_offer`).
 */
export function trainDetectionModel(sets: readonly LabelledSet[], lexicon: Lexicon): TrainingResult {
  const examples: TrainingExample[] = [];
  let heldOut = 0;
  const { size, buckets } = priorModel.ngrams;
  for (const set of sets) {
    for (const advert of set.adverts) {
      if (advert.label_offer === null) continue;
      if (isHeldOut(advert)) {
        heldOut++;
        continue;
      }
      const analysis = analyseAdvert(
        {
          text: advert.text,
          ...(advert.title ? { title: advert.title } : {}),
          ...(advert.lang && !advert.lang.startsWith("und") ? { language: advert.lang } : {}),
          ...(advert.context ? { context: advert.context } : {}),
        },
        lexicon,
      );
      examples.push({
        features: analysis.features,
        ngrams: ngramBuckets(analysis.words, size, buckets),
        citesOffer: isCitesOffer(advert),
        wildlifeOffer: advert.label_offer,
        source: set.file,
      });
    }
  }
  return { model: trainModel(examples), trainedOn: examples.length, heldOut };
}
