import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import type { Config } from "../config.ts";
import { UsageError, WildtrawlError } from "../core/errors.ts";
import { detect, type Advert } from "../core/detect/detect.ts";
import { recordCustody, verifyCustodyLog } from "../evidence/custody.ts";
import type { TsaConfig } from "../evidence/package-export.ts";
import { verifyPackage } from "../evidence/package-verify.ts";
import { anchorCustodyHead, verifyCustodyAnchors } from "../evidence/custody-anchor.ts";
import { ensureSigningKey, loadSigningKey } from "../evidence/signing-keys.ts";
import { loadLexicon } from "../reference/load-lexicon.ts";
import { readDetectionModel } from "../reference/load-model.ts";
import { loadSpeciesIndex } from "../reference/reference-file.ts";
import { createCaseService } from "../services/cases.ts";
import { configuredTsas, createEvidenceService, keysDirOf } from "../services/evidence.ts";
import { openStore } from "../storage/open-store.ts";
import { custodyActions, type CustodyAction } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import type { CliContext } from "./cli-context.ts";
import { organisationFor } from "./cli-organisation.ts";
import { printable } from "./terminal-text.ts";
import { collect, oneOf, positiveInteger } from "./argument-parsers.ts";

interface CommonOptions {
  dataDir?: string;
  operator?: string;
  purpose?: string;
}

/**
 * `wildtrawl capture`, `wildtrawl custody verify|record` and `wildtrawl evidence export|verify|keys`: captures that
 * stand in court, their chain of custody, and self-verifying packages.
 */
/** Time-stamping authorities for captures, custody anchors and exports (RELIABILITY E5). */
const tsaOption = () =>
  new Option("--tsa <url>", "an RFC 3161 time-stamping authority (repeat for more)")
    .argParser(collect)
    .default([]);
const tsaCaOption = () =>
  new Option("--tsa-ca <file>", "the CA certificate(s) of the TSAs, PEM (one file per --tsa, or one for all)")
    .argParser(collect)
    .default([]);

export function registerEvidenceCommands(program: Command, context: CliContext): void {
  const write = (text: string): void => void context.stdout.write(`${text}\n`);
  const dataDir = (options: CommonOptions) => path.resolve(options.dataDir ?? context.config.dataDir);
  const operator = (options: CommonOptions) => options.operator ?? `cli:${os.userInfo().username}`;
  const withStore = async <T>(work: (store: Store) => Promise<T>): Promise<T> => {
    const store = await openStore(context.config.databaseUrl);
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  };

  program
    .command("capture")
    .description(
      "capture an advert as evidence: WARC, HTML, rendered DOM, dated screenshot, provenance, custody",
    )
    .argument("<url-or-listing-id>", "the advert's URL, or the id of a stored listing")
    .option("--source <id>", "for a new URL: the source its listing belongs to", positiveInteger)
    .option("--org <slug>", "for a new URL without --source: the organisation whose 'manual' source to use")
    .option("--operator <who>", "who is capturing, for the custody log (default: cli:<login name>)")
    .option("--purpose <why>", "why, for the custody log")
    .option("--no-browser", "no screenshot or rendered DOM (the capture is then labelled PARTIAL)")
    .option(
      "--chromium <path>",
      "the Chromium to drive (default: WILDTRAWL_CHROMIUM, else /usr/bin/chromium)",
    )
    .option(
      "--allow-private-network",
      "let the fetcher reach private and loopback addresses (tests, intranets)",
    )
    .addOption(tsaOption())
    .addOption(tsaCaOption())
    .option("--data-dir <dir>", "where evidence and keys are kept")
    .option("--json", "print the capture record as JSON")
    .action(
      async (
        target: string,
        options: CommonOptions & {
          source?: number;
          org?: string;
          browser: boolean;
          chromium?: string;
          allowPrivateNetwork?: boolean;
          tsa: string[];
          tsaCa: string[];
          json?: boolean;
        },
      ) => {
        const detector = await loadDetector(context.config);
        const tsa = await tsaConfigs(options);
        await withStore(async (store) => {
          const evidence = createEvidenceService({
            store,
            now: context.now,
            version: context.version,
            dataDir: dataDir(options),
            chromiumPath: options.chromium ?? context.config.chromiumPath,
            ...(detector ? { detect: detector } : {}),
            tsa,
          });
          const isListing = /^\d+$/.test(target);
          const sourceId = isListing
            ? undefined
            : (options.source ?? (await manualSource(store, options.org)));
          const outcome = await evidence.capture(
            {
              ...(isListing ? { listingId: Number(target) } : { url: target, sourceId }),
              actor: operator(options),
              ...(options.purpose ? { purpose: options.purpose } : {}),
            },
            { allowPrivateNetwork: options.allowPrivateNetwork ?? false, browser: options.browser },
          );
          const { capture, record, timestamps } = outcome;
          if (options.json) return write(JSON.stringify({ capture, record, timestamps }, null, 2));
          write(
            `Capture #${capture.id} of listing #${capture.listingId}: ${capture.status.toUpperCase()}` +
              `${capture.failureReason ? ` (${capture.failureReason})` : ""}${outcome.created ? "" : " (already recorded)"}`,
          );
          write(
            `  ${record.requestedUrl}${record.finalUrl && record.finalUrl !== record.requestedUrl ? ` → ${record.finalUrl}` : ""}`,
          );
          write(`  ${record.startedAt} – ${record.finishedAt} (UTC)`);
          write(`  sha256 ${capture.sha256}`);
          write(`  ${outcome.directory}`);
          for (const missing of record.missing) write(`  missing ${missing.role}: ${missing.reason}`);
          for (const stamp of timestamps)
            write(
              "error" in stamp
                ? `  time-stamp from ${stamp.tsaUrl} FAILED: ${stamp.error.code}: ${stamp.error.message}`
                : `  time-stamped by ${stamp.tsaUrl} at ${stamp.genTime}` +
                    (stamp.clockSkewFlagged ? ` CLOCK SKEW: ours is ${stamp.skewSeconds} s off` : ""),
            );
        });
      },
    );

  /** The --tsa flags' authorities, or else those configured (WILDTRAWL_TSA_URLS and WILDTRAWL_TSA_CA). */
  const tsaConfigs = async (options: { tsa: string[]; tsaCa: string[] }): Promise<TsaConfig[]> => {
    if (options.tsa.length === 0) return configuredTsas(context.config);
    if (options.tsaCa.length === 0) {
      throw new UsageError("tsa_ca_missing", "--tsa needs --tsa-ca: the CA its certificate must chain to");
    }
    const caPems = await Promise.all(options.tsaCa.map((file) => readFile(file, "utf8")));
    return options.tsa.map((url, i) => ({ url, caPem: caPems[i] ?? caPems[0]! }));
  };

  const custody = program.command("custody").description("the chain of custody of captures");
  custody
    .command("verify")
    .description("walk the whole hash-chained custody log and name the first broken entry")
    .option("--json", "machine-readable output")
    .option(
      "--anchors <dir>",
      "also check the log against the signed heads in this folder (default: the configured one)",
    )
    .option("--data-dir <dir>", "where evidence and keys are kept")
    .action(async (options: CommonOptions & { json?: boolean; anchors?: string }) => {
      const anchorsDir = path.resolve(options.anchors ?? context.config.custodyAnchorDir);
      const result = await withStore(async (store) => {
        const walked = await verifyCustodyLog(store);
        const key = await loadSigningKey(keysDirOf(dataDir(options)));
        const anchors = key ? await verifyCustodyAnchors(store, anchorsDir, key.publicKeyPem) : null;
        return { ...walked, anchors, refusedChanges: await store.audit.refusedChanges({ limit: 10_000 }) };
      });
      if (options.json) write(JSON.stringify(result, null, 2));
      if (result.break) throw new WildtrawlError("custody_broken", result.break.message);
      if (result.anchors?.problem)
        throw new WildtrawlError("custody_anchor_mismatch", result.anchors.problem);
      if (!options.json) {
        write(`Custody log intact: ${result.entries} entries, head ${result.head}`);
        write(
          result.anchors && result.anchors.anchors > 0
            ? `Matches all ${result.anchors.anchors} anchored heads in ${anchorsDir} (newest: entry ${result.anchors.newest?.headId}, ${result.anchors.newest?.anchoredAt})`
            : `No anchored heads in ${anchorsDir}: a cut-off tail of the log could not be noticed (run \`wildtrawl custody anchor\`)`,
        );
        // The attempts changed nothing, but someone with the application's login tried: a person must look.
        const refused = result.refusedChanges;
        if (refused.length > 0) {
          write(
            `${refused.length} attempt(s) to change evidence, custody or audit rows were refused; the newest:`,
          );
          for (const attempt of refused.slice(-10).reverse())
            write(
              `  ${attempt.at.toISOString()}  ${attempt.operation} ${attempt.table} row ${attempt.rowId}${attempt.databaseUser ? ` by ${attempt.databaseUser}` : ""}`,
            );
        }
      }
    });
  custody
    .command("anchor")
    .description(
      "sign and time-stamp the log's head into the anchors folder (wildtrawl serve does it every 15 minutes)",
    )
    .option(
      "--anchors <dir>",
      "where anchors go (default: the configured folder; keep it off the database host)",
    )
    .addOption(tsaOption())
    .addOption(tsaCaOption())
    .option("--data-dir <dir>", "where evidence and keys are kept")
    .option("--json", "machine-readable output")
    .action(
      async (
        options: CommonOptions & { anchors?: string; tsa: string[]; tsaCa: string[]; json?: boolean },
      ) => {
        const tsa = await tsaConfigs(options);
        const anchorsDir = path.resolve(options.anchors ?? context.config.custodyAnchorDir);
        const signingKey = await ensureSigningKey(keysDirOf(dataDir(options)));
        const result = await withStore((store) =>
          anchorCustodyHead({ store, signingKey, anchorsDir, tsa, clock: context.now }),
        );
        if (options.json) return write(JSON.stringify(result, null, 2));
        write(
          result.created
            ? `Anchored entry ${result.anchor.headId} (${result.anchor.entries} entries) in ${result.file}`
            : `Nothing new since the last anchor (${result.file})`,
        );
      },
    );
  custody
    .command("record")
    .description("record a view, share, hand-over (transfer), verification or deletion request of a capture")
    .argument("<capture-id>", "the capture", positiveInteger)
    .requiredOption(
      "--action <action>",
      custodyActions.filter((a) => a !== "capture" && a !== "export").join(", "),
      oneOf(custodyActions),
    )
    .option("--operator <who>", "who (default: cli:<login name>)")
    .option("--purpose <why>", "why")
    .option("--to <recipient>", "for share or transfer: to whom")
    .action(async (captureId: number, options: CommonOptions & { action: CustodyAction; to?: string }) => {
      if (options.action === "capture" || options.action === "export") {
        throw new UsageError(
          "custody_action_reserved",
          `"${options.action}" is recorded by wildtrawl itself`,
        );
      }
      const entry = await withStore((store) =>
        recordCustody(store, {
          captureId,
          actor: operator(options),
          action: options.action,
          purpose: options.purpose ?? null,
          ...(options.to ? { details: { to: options.to } } : {}),
        }),
      );
      write(
        `Custody entry #${entry.id}: ${entry.action} of capture #${captureId} by ${entry.actor}, ${entry.entryHash}`,
      );
    });

  const evidence = program.command("evidence").description("evidence packages: export, verify, signing keys");
  evidence
    .command("export")
    .description(
      "write one signed, self-verifying ZIP package of the captures of a case's listings, or of these listings",
    )
    .argument(
      "<case-or-listing...>",
      "a case reference (its listings and TLP marking go in) and/or listing ids",
      (value, previous: ExportTarget = { listingIds: [] }) => exportTarget(value, previous),
    )
    .requiredOption("--out <file>", "the package to write (.zip)")
    .option("--org <slug>", "the organisation whose case it is (needed when there are several)")
    .addOption(tsaOption())
    .addOption(tsaCaOption())
    .option("--operator <who>", "who is exporting (default: cli:<login name>)")
    .option("--purpose <why>", "why, for the custody log")
    .option("--data-dir <dir>", "where evidence and keys are kept")
    .option("--json", "machine-readable output")
    .action(
      async (
        target: ExportTarget,
        options: CommonOptions & {
          out: string;
          org?: string;
          tsa: string[];
          tsaCa: string[];
          json?: boolean;
        },
      ) => {
        const tsa = await tsaConfigs(options);
        const result = await withStore(async (store) => {
          const organisation =
            target.caseReference === undefined
              ? undefined
              : await organisationFor(store, options.org, "which organisation's case");
          const exported = organisation
            ? await createCaseService(store).ownCase(
                { organisationId: organisation.id, actor: operator(options) },
                target.caseReference!,
              )
            : undefined;
          return createEvidenceService({
            store,
            now: context.now,
            version: context.version,
            dataDir: dataDir(options),
            chromiumPath: null,
            tsa,
          }).exportTo({
            ...(exported ? { case: exported } : {}),
            listingIds: target.listingIds,
            out: options.out,
            actor: operator(options),
            ...(options.purpose ? { purpose: options.purpose } : {}),
          });
        });
        if (options.json) return write(JSON.stringify(result, null, 2));
        write(`Wrote ${result.file}: ${result.captures} capture(s), ${result.files} files`);
        if (result.case)
          write(
            `  case ${printable(result.case.reference)}, TLP:${result.case.marking}: ${printable(result.case.title)}`,
          );
        write(`  package sha256 ${result.sha256}`);
        write(`  manifest sha256 ${result.manifestSha256}`);
        write(`  signed by ${result.fingerprint}`);
        for (const stamp of result.timestamps) {
          write(
            `  time-stamped ${stamp.genTime} by ${stamp.tsaUrl}${stamp.clockSkewFlagged ? " — CLOCK SKEW over 10 minutes" : ""}`,
          );
        }
      },
    );
  evidence
    .command("verify")
    .description(
      "check a package (ZIP or unpacked folder) with no database: hashes, signatures, time-stamps, custody",
    )
    .argument("<package>", "the package")
    .option("--fingerprint <fingerprint>", "the signing key fingerprint its issuer publishes (SHA256:…)")
    .option("--tsa-ca <file>", "trust this CA for time-stamps instead of the one in the package")
    .option("--json", "machine-readable output")
    .action(async (location: string, options: { fingerprint?: string; tsaCa?: string; json?: boolean }) => {
      const result = await verifyPackage(path.resolve(location), {
        ...(options.fingerprint ? { expectedFingerprint: options.fingerprint } : {}),
        ...(options.tsaCa ? { tsaCaPem: await readFile(options.tsaCa, "utf8") } : {}),
      });
      if (options.json) write(JSON.stringify(result, null, 2));
      else {
        for (const warning of result.warnings)
          write(`warning: ${warning.file}: ${warning.message} [${warning.code}]`);
        if (result.ok) {
          write(`Package verified: ${result.captures} capture(s), signed by ${result.fingerprint}`);
          for (const stamp of result.timestamps) write(`  time-stamp ${stamp.token}: ${stamp.genTime}`);
          for (const stamp of result.captureTimestamps)
            write(`  capture #${stamp.capture} time-stamp ${stamp.token}: ${stamp.genTime}`);
          if (!options.fingerprint)
            write("  Compare the fingerprint with the one the issuer publishes (or pass --fingerprint).");
        }
      }
      const first = result.failures[0];
      if (first) {
        const more = result.failures.length > 1 ? ` (and ${result.failures.length - 1} more problem(s))` : "";
        throw new WildtrawlError("package_invalid", `${first.file}: ${first.message}${more}`);
      }
    });
  evidence
    .command("keys")
    .description(
      "create the platform's Ed25519 signing key if there is none, and print its fingerprint to publish",
    )
    .option("--data-dir <dir>", "where evidence and keys are kept")
    .action(async (options: CommonOptions) => {
      const key = await ensureSigningKey(keysDirOf(dataDir(options)));
      write(`${key.created ? "Created" : "Signing key"} ${keysDirOf(dataDir(options))}: ${key.fingerprint}`);
      write(key.publicKeyPem.trimEnd());
    });
}

interface ExportTarget {
  readonly caseReference?: string;
  readonly listingIds: readonly number[];
}

/** A bare number is a listing (case references are never all digits); anything else names the one case. */
function exportTarget(value: string, previous: ExportTarget): ExportTarget {
  if (/^\d+$/.test(value))
    return { ...previous, listingIds: [...previous.listingIds, positiveInteger(value)] };
  if (previous.caseReference !== undefined && previous.caseReference !== value)
    throw new InvalidArgumentError(
      `one case per package: "${previous.caseReference}" and "${value}" (a package carries one TLP marking)`,
    );
  return { ...previous, caseReference: value };
}

/** A source named "manual" in the organisation, for captures of URLs no trawl has found. */
async function manualSource(store: Store, orgSlug: string | undefined): Promise<number> {
  const organisation = await organisationFor(store, orgSlug, "which organisation the capture is for");
  const source = await store.sources.upsert({
    organisationId: organisation.id,
    slug: "manual",
    name: "Manual captures",
  });
  return source.id;
}

async function loadDetector(
  config: Config,
): Promise<((advert: Advert) => ReturnType<typeof detect>) | undefined> {
  try {
    const species = await loadSpeciesIndex(config.referenceDataPath);
    const [lexicon, model] = await Promise.all([
      loadLexicon(species, config.lexiconDir),
      readDetectionModel(config.detectionModelPath),
    ]);
    return (advert) => detect(advert, lexicon, { model });
  } catch {
    // Without reference data the capture is still evidence; it only lacks the analysis.
    return undefined;
  }
}
