import { randomBytes } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Config } from "../config.ts";
import { NotFoundError, UsageError, WildtrawlError } from "../core/errors.ts";
import type { Advert, Detection } from "../core/detect/detect.ts";
import { sha256Hex } from "../evidence/atomic-files.ts";
import {
  captureAdvert,
  type CaptureDeps,
  type CaptureOutcome,
  type CaptureRequest,
} from "../evidence/capture.ts";
import { recordCustody } from "../evidence/custody.ts";
import {
  EvidenceIntegrityError,
  exportPackage,
  type ExportRequest,
  type ExportResult,
  type TsaConfig,
} from "../evidence/package-export.ts";
import { gitCommitOf, type SoftwareIdentity } from "../evidence/provenance.ts";
import { ensureSigningKey } from "../evidence/signing-keys.ts";
import type { Capture, CustodyEntry, JsonObject, Listing } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import type { AccessService, Principal } from "./access.ts";
import type { CaseView } from "./cases.ts";

/**
 * Evidence as a use case, shared by `wildtrawl capture` / `evidence export` and the API: where captures and keys
 * live under the data directory, how a capture drives the fetcher and Chromium, how a package is signed; and, for
 * the API, the same inside the caller's organisation, with every view and export in the custody log.
 */

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export const evidenceDirOf = (dataDir: string) => path.join(dataDir, "evidence");
export const keysDirOf = (dataDir: string) => path.join(dataDir, "keys");
/** Packages exported through the API are kept here, under the name the client was given. */
export const exportsDirOf = (dataDir: string) => path.join(dataDir, "exports");

let gitSha: Promise<string | null> | undefined;

/** The software named in provenance and manifests: wildtrawl, its version, and the commit it runs from. */
export async function softwareIdentity(version: string): Promise<SoftwareIdentity> {
  gitSha ??= gitCommitOf(projectRoot);
  return { name: "wildtrawl", version, gitSha: await gitSha };
}

/** The configured time-stamping authorities, each with the configured CA file's certificates. */
export async function configuredTsas(config: Pick<Config, "tsaUrls" | "tsaCaFile">): Promise<TsaConfig[]> {
  if (config.tsaUrls.length === 0 || config.tsaCaFile === null) return [];
  let caPem: string;
  try {
    caPem = await readFile(config.tsaCaFile, "utf8");
  } catch (error) {
    throw new UsageError(
      "config_invalid",
      `WILDTRAWL_TSA_CA: cannot read ${config.tsaCaFile}: ${(error as Error).message}`,
    );
  }
  return config.tsaUrls.map((url) => ({ url, caPem }));
}

export interface EvidenceDeps {
  readonly store: Store;
  readonly now: () => Date;
  readonly version: string;
  /** Evidence under `evidence/`, the signing key under `keys/`, API exports under `exports/`. */
  readonly dataDir: string;
  /** The Chromium that renders captures; null captures without a browser (labelled partial). */
  readonly chromiumPath: string | null;
  /** The detector for a capture's analysis layer; without it a capture holds no detection. */
  readonly detect?: (advert: Advert) => Detection;
  /** Time-stamping authorities for captures and exports. */
  readonly tsa?: readonly TsaConfig[];
  /** Security audit (RELIABILITY A9): evidence views and exports are written there as well as to custody. */
  readonly audit?: AccessService["audit"];
  /** Captures at once in this process: each drives a browser. */
  readonly maxConcurrentCaptures?: number;
}

export interface CaptureOptions {
  /** Lets the fetcher reach private and loopback addresses (tests, intranets). */
  readonly allowPrivateNetwork?: boolean;
  /** False: no screenshot or rendered DOM (the capture is then labelled partial). */
  readonly browser?: boolean;
  /** Overrides the configured Chromium. */
  readonly chromiumPath?: string;
}

/** A capture's screenshot, checked against its recorded hash before it is served. */
export interface CaptureScreenshot {
  readonly capture: Capture;
  readonly png: Buffer;
}

export interface ExportedPackage {
  readonly filename: string;
  readonly result: ExportResult;
  readonly open: () => ReadStream;
}

export function createEvidenceService(deps: EvidenceDeps) {
  const { store } = deps;
  const evidenceRoot = evidenceDirOf(deps.dataDir);
  const maxConcurrentCaptures = deps.maxConcurrentCaptures ?? 2;
  let capturesRunning = 0;

  async function captureDeps(options: CaptureOptions = {}): Promise<CaptureDeps> {
    const chromiumPath = options.chromiumPath ?? deps.chromiumPath;
    return {
      store,
      evidenceRoot,
      fetcherOptions: {
        userAgent: `wildtrawl/${deps.version} (evidence capture)`,
        allowPrivateNetwork: options.allowPrivateNetwork ?? false,
        // An analyst's capture of one advert is a person's visit, not a crawl: robots.txt is recorded, not obeyed.
        respectRobotsTxt: false,
        maxAttempts: 2,
      },
      browser: options.browser === false || chromiumPath === null ? null : { executablePath: chromiumPath },
      ...(deps.detect ? { detect: deps.detect } : {}),
      software: await softwareIdentity(deps.version),
      now: deps.now,
      tsa: deps.tsa ?? [],
    };
  }

  /** Captures an advert (by URL or stored listing), for callers that decide access themselves (the CLI). */
  async function capture(request: CaptureRequest, options: CaptureOptions = {}): Promise<CaptureOutcome> {
    return captureAdvert(await captureDeps(options), request);
  }

  /** Writes one signed package of the captures asked for, making the signing key on first use. */
  async function exportTo(request: ExportRequest): Promise<ExportResult> {
    const signingKey = await ensureSigningKey(keysDirOf(deps.dataDir));
    return exportPackage(
      {
        store,
        evidenceRoot,
        signingKey,
        software: await softwareIdentity(deps.version),
        now: deps.now,
        tsa: deps.tsa ?? [],
      },
      request,
    );
  }

  // ── Inside the caller's organisation (the API) ──────────────────────────────────────────────────────────────

  /** Another organisation's listing or capture answers exactly as a missing one (RELIABILITY A6). */
  const ownListing = async (principal: Principal, listingId: number): Promise<Listing> => {
    const listing = await store.listings.get(listingId);
    if (listing === null || listing.organisationId !== principal.organisationId)
      throw new NotFoundError("listing_not_found", `no listing ${listingId}`);
    return listing;
  };

  const ownCapture = async (principal: Principal, captureId: number): Promise<Capture> => {
    const found = await store.evidence.getCapture(captureId);
    if (found === null || found.organisationId !== principal.organisationId)
      throw new NotFoundError("capture_not_found", `no capture ${captureId}`);
    return found;
  };

  const audit = (principal: Principal, action: string, captureId: number, details: JsonObject = {}) =>
    deps.audit?.({
      organisationId: principal.organisationId,
      actor: principal.actor,
      action,
      subjectType: "capture",
      subjectId: captureId,
      details,
    });

  /** Writes a package under a generated, unguessable name in `exports/`, to be streamed from there. */
  async function exportNamed(
    principal: Principal,
    name: string,
    what: Pick<ExportRequest, "captureIds" | "case">,
    request: { purpose?: string },
  ): Promise<ExportedPackage> {
    const stamp = deps
      .now()
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z");
    const filename = `wildtrawl-${name}-${stamp}-${randomBytes(3).toString("hex")}.zip`;
    const out = path.join(exportsDirOf(deps.dataDir), filename);
    const result = await exportTo({
      ...what,
      out,
      actor: principal.actor,
      ...(request.purpose !== undefined ? { purpose: request.purpose } : {}),
    });
    return { filename, result, open: () => createReadStream(out) };
  }

  return {
    captureDeps,
    capture,
    exportTo,
    /** Throws `listing_not_found` unless the listing is the caller's organisation's. */
    ownListing,

    /**
     * Captures a stored listing of the caller's organisation. The fetcher may reach private addresses only if the
     * listing's source was declared to (the fixture web, an intranet), as its trawls do.
     */
    async captureListing(principal: Principal, listingId: number, request: { purpose?: string } = {}) {
      const listing = await ownListing(principal, listingId);
      if (capturesRunning >= maxConcurrentCaptures)
        throw new WildtrawlError(
          "captures_busy",
          `${capturesRunning} captures are running, the most this server runs at once: try again shortly`,
        );
      capturesRunning++;
      try {
        const source = await store.sources.get(listing.sourceId);
        const outcome = await capture(
          {
            listingId,
            actor: principal.actor,
            ...(request.purpose !== undefined ? { purpose: request.purpose } : {}),
          },
          { allowPrivateNetwork: source?.config["allowPrivateNetwork"] === true },
        );
        return { capture: outcome.capture, created: outcome.created };
      } finally {
        capturesRunning--;
      }
    },

    async listCaptures(principal: Principal, listingId: number): Promise<Capture[]> {
      await ownListing(principal, listingId);
      return store.evidence.listCaptures(listingId);
    },

    async getCapture(
      principal: Principal,
      captureId: number,
    ): Promise<{ capture: Capture; custody: CustodyEntry[] }> {
      const found = await ownCapture(principal, captureId);
      return { capture: found, custody: await store.evidence.custodyOf(captureId) };
    },

    /** The screenshot's bytes, checked against the hash taken at capture; the view goes in the custody log. */
    async screenshot(principal: Principal, captureId: number): Promise<CaptureScreenshot> {
      const found = await ownCapture(principal, captureId);
      const file = found.files.find((candidate) => candidate.role === "screenshot");
      if (!file)
        throw new NotFoundError(
          "screenshot_missing",
          `capture ${captureId} has no screenshot (${found.status}${found.failureReason ? `: ${found.failureReason}` : ""})`,
        );
      const png = await readFile(path.join(evidenceRoot, file.path)).catch(() => null);
      if (png === null || sha256Hex(png) !== file.sha256) {
        await audit(principal, "capture.integrity_failed", captureId, { files: [file.path] });
        throw new EvidenceIntegrityError(
          "capture_integrity_failed",
          `capture ${captureId}: the stored screenshot no longer matches its hash`,
        );
      }
      await recordCustody(store, {
        captureId,
        actor: principal.actor,
        action: "view",
        details: { file: "screenshot", sha256: file.sha256 },
      });
      await audit(principal, "capture.viewed", captureId, { file: "screenshot" });
      return { capture: found, png };
    },

    /**
     * Exports one capture as a signed package under a generated name (custody "export"); the package is kept in
     * the data directory's `exports/` and streamed from there.
     */
    async exportCapture(
      principal: Principal,
      captureId: number,
      request: { purpose?: string } = {},
    ): Promise<ExportedPackage> {
      const found = await ownCapture(principal, captureId);
      const exported = await exportNamed(
        principal,
        `capture-${found.id}`,
        { captureIds: [found.id] },
        request,
      );
      await audit(principal, "capture.exported", captureId, {
        package: exported.filename,
        sha256: exported.result.sha256,
      });
      return exported;
    },

    /**
     * Exports the captures of a case's listings as one signed package under the case's TLP marking (custody
     * "export" for each, and "case.exported" in the audit log); as exportCapture, kept in `exports/`.
     */
    async exportCase(
      principal: Principal,
      found: CaseView,
      request: { purpose?: string } = {},
    ): Promise<ExportedPackage> {
      // `found` is the case service's answer for this principal: the access decision made it, under the markings
      // the principal sees it with, which are the ones the package carries.
      // The reference is the agency's own text: only its safe characters go into a file name.
      const name = `case-${found.reference.replace(/[^A-Za-z0-9-]+/g, "_").slice(0, 60)}`;
      return exportNamed(principal, name, { case: found }, request);
    },
  };
}

export type EvidenceService = ReturnType<typeof createEvidenceService>;
