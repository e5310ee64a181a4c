import { it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { defaultDetectionModelPath, defaultLexiconDir, defaultReferenceDataPath } from "../config.ts";
import { loadLexicon } from "../reference/load-lexicon.ts";
import { serializeDetectionModel } from "../reference/load-model.ts";
import { loadSpeciesIndex } from "../reference/reference-file.ts";
import { trainDetectionModel } from "./detection-training.ts";
import { readLabelledAdverts } from "./labelled-adverts.ts";

// The same inputs as `npm run model:train`: our own cases and the MIT-licensed bird ads, never the research-only
// ivory posts.
it("the shipped detection weights are what `npm run model:train` fits today", async () => {
  const lexicon = await loadLexicon(await loadSpeciesIndex(defaultReferenceDataPath), defaultLexiconDir);
  const sets = [
    await readLabelledAdverts("test/fixtures/detection/cases.jsonl"),
    await readLabelledAdverts("../shared/eval/dev.jsonl", {
      excludeSources: ["WLT-OSN"],
      listingsFrom: ["text_classification_wildlife_trade"],
    }),
  ];
  const { model } = trainDetectionModel(sets, lexicon);
  const shipped = await readFile(defaultDetectionModelPath, "utf8");
  assert.ok(
    serializeDetectionModel(model) === shipped,
    "data/model/detection-model.json is stale: run `npm run model:train`",
  );
});
