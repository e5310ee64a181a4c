import { it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { defaultCuratedDataDir, defaultReferenceDataPath } from "../config.ts";
import { importReferenceData } from "./import-reference.ts";
import { serializeReferenceData } from "./reference-file.ts";

const shippedExport = new URL(
  "../../data/sources/Index_of_CITES_Species_2017-04-21_17-27.csv.gz",
  import.meta.url,
).pathname;

it("the shipped reference data is exactly what the import makes of its sources (npm run data:build)", async () => {
  const rebuilt = serializeReferenceData(
    await importReferenceData({ exportFile: shippedExport, curatedDir: defaultCuratedDataDir }),
  );
  const shipped = gunzipSync(await readFile(defaultReferenceDataPath)).toString("utf8");
  assert.ok(
    rebuilt === shipped,
    "data/species.json.gz is stale: run `npm run data:build` and commit the result",
  );
});
