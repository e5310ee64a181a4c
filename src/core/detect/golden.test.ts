import { before, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { defaultDetectionModelPath, defaultLexiconDir, defaultReferenceDataPath } from "../../config.ts";
import { loadLexicon } from "../../reference/load-lexicon.ts";
import { readDetectionModel } from "../../reference/load-model.ts";
import { loadSpeciesIndex } from "../../reference/reference-file.ts";
import type { DetectionModel } from "./model.ts";
import type { Lexicon } from "../lexicon/lexicon.ts";
import { detect, type Advert, type Detection } from "./detect.ts";

// Whole adverts and what detection says of them: verdict, taxa, products, reasons and review lines. Scores move
// whenever the weights are refit, so they are left out; everything a person reads is compared.
// Regenerate after an intended change with: UPDATE_GOLDEN=1 node --test src/core/detect/golden.test.ts
const adverts = new URL("../../../test/fixtures/detection/golden/adverts.jsonl", import.meta.url);
const expected = new URL("../../../test/fixtures/detection/golden/expected.json", import.meta.url);

let lexicon: Lexicon;
let model: DetectionModel;
before(async () => {
  lexicon = await loadLexicon(await loadSpeciesIndex(defaultReferenceDataPath), defaultLexiconDir);
  model = await readDetectionModel(defaultDetectionModelPath);
});

function readable(detection: Detection) {
  return {
    verdict: detection.verdict,
    offersWildlife: detection.offersWildlife,
    taxa: detection.taxa.map(
      (taxon) =>
        `${taxon.name} [${taxon.listed ? `Appendix ${taxon.appendices.join("/")} via ${taxon.listedThrough}` : "not listed"}]`,
    ),
    products: detection.products,
    reasons: detection.reasons.map((reason) =>
      reason.replace(/\((wildlife-offer )?score \d+%\)/, "($1score …)"),
    ),
    review: detection.review,
  };
}

it("whole adverts read as the golden file says", async () => {
  const cases = (await readFile(adverts, "utf8"))
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { id: string; advert: Advert });
  const actual = Object.fromEntries(
    cases.map(({ id, advert }) => [id, readable(detect(advert, lexicon, { model }))]),
  );
  if (process.env.UPDATE_GOLDEN) await writeFile(expected, `${JSON.stringify(actual, null, 2)}\n`);
  const golden = JSON.parse(await readFile(expected, "utf8")) as Record<string, unknown>;
  for (const { id } of cases) assert.deepEqual(actual[id], golden[id], id);
});
