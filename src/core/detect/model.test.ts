import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  fnv1a,
  ngramBuckets,
  priorModel,
  trainModel,
  validateModel,
  wordNgramBuckets,
  type TrainingExample,
} from "./model.ts";

describe("hashed n-grams", () => {
  it("hash stably (FNV-1a), so a weights file means the same on every machine", () => {
    assert.equal(fnv1a(""), 0x811c9dc5);
    assert.equal(fnv1a("a"), 0xe40c292c);
    assert.equal(fnv1a("foobar"), 0xbf9cf968);
  });
  it("give the distinct buckets of each padded word's n-grams", () => {
    const buckets = ngramBuckets(["sale", "sale"], 4, 4096);
    assert.deepEqual(
      buckets,
      [...new Set(buckets)].sort((a, b) => a - b),
    );
    assert.equal(buckets.length, 3); // " sal", "sale", "ale "
  });
  it("hash each four-unit window of a padded word as FNV-1a of that substring, in place", () => {
    for (const word of ["a", "ab", "abc", "sale", "ivory", "tê tê", "穿山甲片", "слона", "🐘ivory🐘"]) {
      const padded = ` ${word} `;
      for (const buckets of [4096, 1000]) {
        const expected = Array.from({ length: Math.max(1, padded.length - 3) }, (_, start) => {
          const hash = fnv1a(padded.slice(start, start + 4));
          return buckets === 4096 ? hash & 4095 : hash % buckets;
        });
        const units = Array.from({ length: word.length + 4 }, (_, at) =>
          at < 2 || at >= word.length + 2 ? 0x7f : word.charCodeAt(at - 2),
        );
        const into = new Int32Array(word.length + 2);
        const count = wordNgramBuckets(units, 2, word.length + 2, 4, buckets, into);
        assert.deepEqual([...into.subarray(0, count)], expected, `${word} in ${buckets}`);
      }
    }
  });
});

describe("training", () => {
  // Adverts where a price decides the label, and where a claim never appears.
  const examples: TrainingExample[] = Array.from({ length: 80 }, (_, index) => ({
    features: { "taxon.term-strong": 1, ...(index % 2 === 0 ? { "intent.price": 1 } : {}) },
    ngrams: index % 2 === 0 ? [7] : [9],
    citesOffer: index % 2 === 0,
    // The wildlife-offer score learns its own label: here every advert offers wildlife.
    wildlifeOffer: true,
    source: "made-up",
  }));

  it("learns the weight of evidence that separates the labels", () => {
    const model = trainModel(examples);
    assert.ok(
      model.weights["intent.price"] > priorModel.weights["intent.price"],
      String(model.weights["intent.price"]),
    );
    const offer =
      model.bias +
      model.weights["taxon.term-strong"] +
      model.weights["intent.price"] +
      (model.ngrams.weights[7] ?? 0);
    const mention = model.bias + model.weights["taxon.term-strong"] + (model.ngrams.weights[9] ?? 0);
    assert.ok(1 / (1 + Math.exp(-offer)) > 0.8 && 1 / (1 + Math.exp(-mention)) < 0.2, `${offer} ${mention}`);
  });

  it("keeps the prior for evidence it never saw, and is deterministic", () => {
    const model = trainModel(examples);
    assert.equal(model.weights.claim, priorModel.weights.claim);
    assert.equal(model.weights.wanted, priorModel.weights.wanted);
    assert.deepEqual(trainModel(examples), model);
    assert.equal(model.training?.examples, 80);
    assert.equal(model.training?.positives, 40);
  });

  it("rejects a weights file that is not whole", () => {
    assert.throws(
      () => validateModel({ ...priorModel, weights: { ...priorModel.weights, wanted: "x" } }),
      /weight "wanted"/,
    );
    assert.throws(
      () => validateModel({ ...priorModel, ngrams: { size: 4, buckets: 8, weights: [1] } }),
      /n-gram weights/,
    );
    assert.throws(() => validateModel({ format: "other" }), /format/);
  });
});

describe("the wildlife-offer score", () => {
  // A claimed substitute with a price offers wildlife but no CITES taxon, a listed product with a price offers both,
  // a price alone neither.
  const examples: TrainingExample[] = Array.from({ length: 90 }, (_, index) => {
    const kind = index % 3;
    return {
      features:
        kind === 0
          ? { substitute: 1, "intent.price": 1 }
          : kind === 1
            ? { "taxon.term-strong": 1, "intent.price": 1 }
            : { "intent.price": 1 },
      ngrams: [],
      citesOffer: kind === 1,
      wildlifeOffer: kind !== 2,
      source: "made-up",
    };
  });

  it("is fit to its own label, from its own prior", () => {
    const model = trainModel(examples);
    assert.ok(
      model.wildlifeOffer.weights.substitute > priorModel.wildlifeOffer.weights.substitute &&
        model.weights.substitute < priorModel.weights.substitute,
      `${model.wildlifeOffer.weights.substitute} ${model.weights.substitute}`,
    );
    assert.equal(model.wildlifeOffer.training?.positives, 60);
    assert.equal(model.training?.positives, 30);
    assert.equal(model.wildlifeOffer.ngramWeights.length, model.ngrams.buckets);
  });

  it("must be in a weights file: one without it names what is missing", () => {
    const { wildlifeOffer: _dropped, ...withoutIt } = priorModel;
    assert.throws(() => validateModel(withoutIt), /wildlifeOffer\.bias is not a number/);
    assert.throws(() => validateModel(withoutIt), /wildlifeOffer\.weight "substitute" is missing/);
    assert.throws(
      () => validateModel({ ...priorModel, format: "wildtrawl-detection-model/1" }),
      /expected "wildtrawl-detection-model\/2" \(fit one with "wildtrawl model train"\)/,
    );
  });
});
