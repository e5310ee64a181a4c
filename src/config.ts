import { fileURLToPath } from "node:url";
import path from "node:path";
import { UsageError } from "./core/errors.ts";

/** Everything wildtrawl reads from the environment, validated once and frozen. */
export interface Config {
  /** `sqlite:` URL or file path (the embedded default), or a `postgres://` URL. */
  readonly databaseUrl: string;
  /** The compiled CITES reference data loaded at start-up. */
  readonly referenceDataPath: string;
  /** Folder of curated inputs (supplement, names, lexicon) that `species import` merges. */
  readonly curatedDataDir: string;
  /** The vocabularies of the trade that detection matches. */
  readonly lexiconDir: string;
  /** The detection weights fit by `wildtrawl model train`. */
  readonly detectionModelPath: string;
}

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const defaultReferenceDataPath = path.join(projectRoot, "data", "species.json.gz");
export const defaultCuratedDataDir = path.join(projectRoot, "data");
export const defaultLexiconDir = path.join(projectRoot, "data", "lexicon");
export const defaultDetectionModelPath = path.join(projectRoot, "data", "model", "detection-model.json");

export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const databaseUrl = env.WILDTRAWL_DATABASE_URL?.trim() || "./wildtrawl.db";
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl) && databaseUrl.includes("://")) {
    throw new UsageError(
      "config_invalid",
      `WILDTRAWL_DATABASE_URL: expected a file path, a sqlite: URL or a postgres:// URL, got "${databaseUrl}"`,
    );
  }
  return Object.freeze({
    databaseUrl,
    referenceDataPath: env.WILDTRAWL_REFERENCE_DATA?.trim() || defaultReferenceDataPath,
    curatedDataDir: defaultCuratedDataDir,
    lexiconDir: env.WILDTRAWL_LEXICON_DIR?.trim() || defaultLexiconDir,
    detectionModelPath: env.WILDTRAWL_DETECTION_MODEL?.trim() || defaultDetectionModelPath,
  });
}
