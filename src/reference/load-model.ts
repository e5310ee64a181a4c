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

/**
 * The model as JSON with one line per row of 16 n-gram weights (of each score), so that diffs of a retrained file
 * stay readable.
 */
export function serializeDetectionModel(model: DetectionModel): string {
  const { ngrams, wildlifeOffer, ...rest } = model;
  const rows = (weights: readonly number[], indent: string) => {
    const lines: string[] = [];
    for (let at = 0; at < weights.length; at += 16)
      lines.push(`${indent}  ${JSON.stringify(weights.slice(at, at + 16)).slice(1, -1)}`);
    return `[\n${lines.join(",\n")}\n${indent}]`;
  };
  const head = JSON.stringify(
    {
      ...rest,
      ngrams: { size: ngrams.size, buckets: ngrams.buckets, weights: "@citesOffer" },
      // The table last, after the small parts a reader looks for.
      wildlifeOffer: {
        bias: wildlifeOffer.bias,
        weights: wildlifeOffer.weights,
        training: wildlifeOffer.training,
        ngramWeights: "@wildlifeOffer",
      },
    },
    null,
    2,
  );
  return `${head
    .replace('"@citesOffer"', rows(ngrams.weights, "    "))
    .replace('"@wildlifeOffer"', rows(wildlifeOffer.ngramWeights, "    "))}\n`;
}

export async function writeDetectionModel(file: string, model: DetectionModel): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(temporary, serializeDetectionModel(model));
  await rename(temporary, file);
}
