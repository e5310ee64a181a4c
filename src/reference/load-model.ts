import { readFile, writeFile, rename } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../core/errors.ts";
import { validateModel, type DetectionModel } from "../core/detect/model.ts";

/** Reads the detection weights written by `wildtrawl model train`; a clear error if absent or malformed. */
export async function readDetectionModel(file: string): Promise<DetectionModel> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new UsageError("model_missing", `no detection model at ${file}: run "npm run model:train"`);
    }
    throw error;
  }
  try {
    return validateModel(JSON.parse(text));
  } catch (error) {
    throw new UsageError("model_invalid", `${file}: ${(error as Error).message}`);
  }
}

/** The model as JSON with one line per n-gram row of 16 weights, so that diffs of a retrained file stay readable. */
export function serializeDetectionModel(model: DetectionModel): string {
  const { ngrams, ...rest } = model;
  const rows: string[] = [];
  for (let at = 0; at < ngrams.weights.length; at += 16)
    rows.push(`      ${JSON.stringify(ngrams.weights.slice(at, at + 16)).slice(1, -1)}`);
  const head = JSON.stringify(
    { ...rest, ngrams: { size: ngrams.size, buckets: ngrams.buckets, weights: [] } },
    null,
    2,
  );
  return `${head.replace('"weights": []', `"weights": [\n${rows.join(",\n")}\n    ]`)}\n`;
}

export async function writeDetectionModel(file: string, model: DetectionModel): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(temporary, serializeDetectionModel(model));
  await rename(temporary, file);
}
