import { fileURLToPath } from "node:url";
import path from "node:path";
import { UsageError } from "./core/errors.ts";
import { defaultChromiumPath } from "./evidence/browser.ts";
import { parseDatabaseUrl } from "./storage/open-store.ts";

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
  /** Evidence (`evidence/`) and the signing key (`keys/`): beside a SQLite file, else `./wildtrawl-data`. */
  readonly dataDir: string;
  /** WARC files of trawls started by the server: beside a SQLite file, else `./warc`. */
  readonly warcDir: string;
  /** The Chromium that renders captures. */
  readonly chromiumPath: string;
  /**
   * Where the custody log's signed, time-stamped heads are written (RELIABILITY E7): mount a folder that lives off
   * the database host here. Default: custody-anchors/ in the data folder.
   */
  readonly custodyAnchorDir: string;
  /** Where takedown notices are e-mailed through (`smtp://` or `smtps://`, credentials in the URL); null: not set. */
  readonly smtpUrl: string | null;
  /** The From address of takedown notices, e.g. "Wildlife Unit <notices@unit.example>"; null: not set. */
  readonly smtpFrom: string | null;
  /** The takedown notice templates, one file per language. */
  readonly takedownTemplateDir: string;
  /**
   * RFC 3161 time-stamping authorities for every capture, custody anchor and export (RELIABILITY E5: two or more
   * in production), from `WILDTRAWL_TSA_URLS` (separated by spaces or commas); empty: none.
   */
  readonly tsaUrls: readonly string[];
  /** `WILDTRAWL_TSA_CA`: a PEM file of the CA certificate(s) the TSAs' certificates chain to; null: not set. */
  readonly tsaCaFile: string | null;
}

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const defaultReferenceDataPath = path.join(projectRoot, "data", "species.json.gz");
export const defaultCuratedDataDir = path.join(projectRoot, "data");
export const defaultLexiconDir = path.join(projectRoot, "data", "lexicon");
export const defaultTakedownTemplateDir = path.join(projectRoot, "data", "takedown");
export const defaultDetectionModelPath = path.join(projectRoot, "data", "model", "detection-model.json");

export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const databaseUrl = env.WILDTRAWL_DATABASE_URL?.trim() || "./wildtrawl.db";
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl) && databaseUrl.includes("://")) {
    throw new UsageError(
      "config_invalid",
      `WILDTRAWL_DATABASE_URL: expected a file path, a sqlite: URL or a postgres:// URL, got "${databaseUrl}"`,
    );
  }
  const dataDir = path.resolve(
    env.WILDTRAWL_DATA_DIR?.trim() || besideDatabase(databaseUrl, "wildtrawl-data"),
  );
  return Object.freeze({
    databaseUrl,
    referenceDataPath: env.WILDTRAWL_REFERENCE_DATA?.trim() || defaultReferenceDataPath,
    curatedDataDir: defaultCuratedDataDir,
    lexiconDir: env.WILDTRAWL_LEXICON_DIR?.trim() || defaultLexiconDir,
    detectionModelPath: env.WILDTRAWL_DETECTION_MODEL?.trim() || defaultDetectionModelPath,
    dataDir,
    warcDir: path.resolve(env.WILDTRAWL_WARC_DIR?.trim() || besideDatabase(databaseUrl, "warc")),
    chromiumPath: env.WILDTRAWL_CHROMIUM?.trim() || defaultChromiumPath,
    custodyAnchorDir: path.resolve(
      env.WILDTRAWL_CUSTODY_ANCHOR_DIR?.trim() || path.join(dataDir, "custody-anchors"),
    ),
    ...smtpConfig(env),
    takedownTemplateDir: env.WILDTRAWL_TAKEDOWN_TEMPLATES?.trim() || defaultTakedownTemplateDir,
    ...tsaConfig(env),
  });
}

function tsaConfig(env: Readonly<Record<string, string | undefined>>) {
  const tsaUrls = (env.WILDTRAWL_TSA_URLS ?? "").split(/[\s,]+/).filter(Boolean);
  for (const url of tsaUrls)
    if (!/^https?:\/\/[^/\s]+/.test(url))
      throw new UsageError("config_invalid", `WILDTRAWL_TSA_URLS: "${url}" is not an http(s) URL`);
  const tsaCaFile = env.WILDTRAWL_TSA_CA?.trim() ? path.resolve(env.WILDTRAWL_TSA_CA.trim()) : null;
  if (tsaUrls.length > 0 && tsaCaFile === null)
    throw new UsageError(
      "config_invalid",
      "WILDTRAWL_TSA_URLS needs WILDTRAWL_TSA_CA: the CA certificate file the TSAs' certificates must chain to",
    );
  return { tsaUrls: Object.freeze(tsaUrls), tsaCaFile };
}

/** A folder beside the SQLite file (`./warc` for `./wildtrawl.db`), or in the working directory for PostgreSQL. */
function besideDatabase(databaseUrl: string, name: string): string {
  const target = parseDatabaseUrl(databaseUrl);
  return target.kind === "sqlite" && target.file !== ":memory:"
    ? path.join(path.dirname(path.resolve(target.file)), name)
    : path.resolve(name);
}

function smtpConfig(env: Readonly<Record<string, string | undefined>>) {
  const smtpUrl = env.WILDTRAWL_SMTP_URL?.trim() || null;
  const smtpFrom = env.WILDTRAWL_SMTP_FROM?.trim() || null;
  if (smtpUrl !== null && !/^smtps?:\/\/[^/\s]+/.test(smtpUrl))
    throw new UsageError(
      "config_invalid",
      // Never echo the URL: it may carry the SMTP password.
      "WILDTRAWL_SMTP_URL: expected smtp://[user:password@]host[:port] or smtps://…",
    );
  if (smtpFrom !== null && !/^([^<>\r\n]*<)?[^\s@<>]+@[^\s@<>]+>?$/.test(smtpFrom))
    throw new UsageError(
      "config_invalid",
      `WILDTRAWL_SMTP_FROM: expected an address such as notices@unit.example or "Unit <notices@unit.example>", got "${smtpFrom}"`,
    );
  return { smtpUrl, smtpFrom };
}
