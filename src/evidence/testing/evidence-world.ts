import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { detect, type Advert } from "../../core/detect/detect.ts";
import { defaultDetectionModelPath, defaultLexiconDir, defaultReferenceDataPath } from "../../config.ts";
import { loadLexicon } from "../../reference/load-lexicon.ts";
import { readDetectionModel } from "../../reference/load-model.ts";
import { loadSpeciesIndex } from "../../reference/reference-file.ts";
import { openStore } from "../../storage/open-store.ts";
import type { Organisation, Source } from "../../storage/records.ts";
import type { Store } from "../../storage/store.ts";
import { newPostgresDatabase, newSqliteDatabase } from "../../storage/testing/test-databases.ts";
import type { BrowserOptions } from "../browser.ts";
import type { CaptureDeps } from "../capture.ts";

/** A store with one organisation and source, an evidence folder, and capture dependencies for tests. */
export interface EvidenceWorld {
  readonly store: Store;
  readonly databaseUrl: string;
  readonly dataDir: string;
  readonly evidenceRoot: string;
  readonly organisation: Organisation;
  readonly source: Source;
  /** SQL straight to the database, as someone holding the application's login could. */
  exec(sql: string): Promise<void>;
  deps(overrides?: {
    browser?: BrowserOptions | null;
    detect?: boolean;
    idleTimeoutMs?: number;
    /** A test CA the fetcher trusts, for fixture sites over HTTPS. */
    caPem?: string;
  }): CaptureDeps;
  close(): Promise<void>;
}

let detector: Promise<(advert: Advert) => ReturnType<typeof detect>> | undefined;

/** The real detector with the shipped data (loaded once per test process: it takes a couple of seconds). */
export function shippedDetector() {
  detector ??= (async () => {
    const species = await loadSpeciesIndex(defaultReferenceDataPath);
    const lexicon = await loadLexicon(species, defaultLexiconDir);
    const model = await readDetectionModel(defaultDetectionModelPath);
    return (advert: Advert) => detect(advert, lexicon, { model });
  })();
  return detector;
}

export async function newEvidenceWorld(options: { postgres?: boolean } = {}): Promise<EvidenceWorld> {
  const database = options.postgres ? await newPostgresDatabase() : await newSqliteDatabase();
  const store = await openStore(database.url);
  const dataDir = await mkdtemp(path.join(tmpdir(), "wildtrawl-evidence-"));
  const evidenceRoot = path.join(dataDir, "evidence");
  const organisation = await store.organisations.create(
    { slug: "unit", name: "Wildlife Crime Unit" },
    "system:test",
  );
  const source = await store.sources.upsert({
    organisationId: organisation.id,
    slug: "manual",
    name: "Manual captures",
  });
  const detectFn = await shippedDetector();
  return {
    store,
    databaseUrl: database.url,
    dataDir,
    evidenceRoot,
    organisation,
    source,
    exec: (sql) => database.exec(sql),
    deps: (overrides = {}) => ({
      store,
      evidenceRoot,
      fetcherOptions: {
        userAgent: "wildtrawl-test/0.0 (+https://example.org/wildtrawl)",
        allowPrivateNetwork: true,
        respectRobotsTxt: false,
        requestsPerSecondPerHost: 1000,
        maxConcurrentPerHost: 8,
        maxAttempts: 1,
        idleTimeoutMs: overrides.idleTimeoutMs ?? 30_000,
        ...(overrides.caPem ? { ca: [overrides.caPem] } : {}),
      },
      browser: overrides.browser === undefined ? {} : overrides.browser,
      ...(overrides.detect === false ? {} : { detect: detectFn }),
      software: { name: "wildtrawl", version: "0.0.0-test", gitSha: "0".repeat(40) },
      now: () => new Date(),
    }),
    close: async () => {
      await store.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
