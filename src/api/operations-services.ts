import path from "node:path";
import { detect } from "../core/detect/detect.ts";
import type { DetectionModel } from "../core/detect/model.ts";
import type { Lexicon } from "../core/lexicon/lexicon.ts";
import type { AccessService } from "../services/access.ts";
import { createEvidenceService, type EvidenceService } from "../services/evidence.ts";
import { createStatisticsService, type StatisticsService } from "../services/statistics.ts";
import { createTrawlControl, type TrawlControl, type TrawlControlDeps } from "../services/trawl-control.ts";
import { createRelistingService } from "../services/relisting.ts";
import { createTrawlingService } from "../services/trawling.ts";
import type { TsaConfig } from "../evidence/package-export.ts";
import type { Store } from "../storage/store.ts";

/** Where the server keeps evidence and trawl WARC files, and how much of either it does at once. */
export interface ApiOperations {
  /** Evidence, signing key and exported packages (config.dataDir). */
  readonly dataDir: string;
  /** WARC files of the visits the server runs (config.warcDir). */
  readonly warcDir: string;
  /** Null: captures without a browser (labelled partial). */
  readonly chromiumPath: string | null;
  /** Time-stamping authorities for captures and exports (config.tsaUrls). */
  readonly tsa?: readonly TsaConfig[];
  readonly maxConcurrentVisits?: number;
  readonly maxConcurrentCaptures?: number;
  readonly visitOptions?: TrawlControlDeps["visitOptions"];
  /** The clock visits and captures run on; the API's own clock unless given (tests fix that one). */
  readonly now?: () => Date;
}

export interface OperationsServices {
  readonly trawlControl: TrawlControl;
  readonly evidence: EvidenceService;
  readonly statistics: StatisticsService;
}

/** The services behind the dashboard's operations screens: trawl runs, evidence, statistics. */
export function createOperationsServices(deps: {
  readonly store: Store;
  readonly lexicon: Lexicon;
  readonly model: DetectionModel;
  readonly clock: () => Date;
  readonly version: string;
  readonly access: AccessService;
  readonly operations?: ApiOperations;
  readonly onVisitError?: (error: unknown) => void;
}): OperationsServices {
  const operations = deps.operations ?? {
    dataDir: path.resolve("wildtrawl-data"),
    warcDir: path.resolve("warc"),
    chromiumPath: null,
  };
  const now = operations.now ?? deps.clock;
  const trawling = createTrawlingService({
    store: deps.store,
    lexicon: deps.lexicon,
    model: deps.model,
    now,
    warcDirectory: operations.warcDir,
    userAgent: `wildtrawl/${deps.version} (+https://github.com/wildtrawl/wildtrawl)`,
    software: `wildtrawl/${deps.version}`,
    checkRelistings: createRelistingService({ store: deps.store }).checkRelistings,
  });
  return {
    trawlControl: createTrawlControl({
      store: deps.store,
      trawling,
      now,
      ...(operations.maxConcurrentVisits !== undefined
        ? { maxConcurrentVisits: operations.maxConcurrentVisits }
        : {}),
      ...(operations.visitOptions ? { visitOptions: operations.visitOptions } : {}),
      ...(deps.onVisitError ? { onVisitError: deps.onVisitError } : {}),
    }),
    evidence: createEvidenceService({
      store: deps.store,
      now,
      version: deps.version,
      dataDir: operations.dataDir,
      chromiumPath: operations.chromiumPath,
      ...(operations.tsa ? { tsa: operations.tsa } : {}),
      detect: (advert) => detect(advert, deps.lexicon, { model: deps.model }),
      audit: deps.access.audit,
      ...(operations.maxConcurrentCaptures !== undefined
        ? { maxConcurrentCaptures: operations.maxConcurrentCaptures }
        : {}),
    }),
    statistics: createStatisticsService({ store: deps.store }),
  };
}
