import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { sha256Hex } from "./atomic-files.ts";
import { timestampReportName, type CaptureTimestamp } from "./capture-timestamps.ts";
import type { CaptureRecord } from "./capture.ts";
import { verifyCustodyExcerpt, type CustodyEntryJson, type CustodyExcerptEntry } from "./custody.ts";
import {
  custodyName,
  manifestName,
  manifestSignatureName,
  maxClockSkewMs,
  publicKeyName,
  sumsName,
  sumsSignatureName,
  sumsText,
  tokenName,
  tsaCaName,
  type PackageManifest,
} from "./package-layout.ts";
import { publicKeyFingerprint, verifyDigest } from "./signing-keys.ts";
import { TimestampError, verifyTimestamp, type VerifiedTimestamp } from "./timestamp.ts";
import { readZip, ZipFormatError } from "./zip-reader.ts";

export interface VerifyProblem {
  /** The file inside the package that fails (or the package itself, "."). */
  readonly file: string;
  readonly code: string;
  readonly message: string;
}

export interface PackageVerification {
  readonly ok: boolean;
  /** In the order found; the first names the file to look at. */
  readonly failures: readonly VerifyProblem[];
  /** Not failures, but a reader should know: a TSA clock far from ours (E5), a capture labelled PARTIAL. */
  readonly warnings: readonly VerifyProblem[];
  readonly fingerprint: string | null;
  readonly manifestSha256: string | null;
  readonly captures: number;
  readonly timestamps: ReadonlyArray<{ readonly token: string; readonly genTime: string }>;
  /** The tokens each capture got when it was taken, re-verified against its `capture.json`. */
  readonly captureTimestamps: ReadonlyArray<{
    readonly capture: number;
    readonly token: string;
    readonly genTime: string;
  }>;
}

export interface VerifyOptions {
  /** The fingerprint the key holder publishes; without it the package's own key is checked for consistency only. */
  readonly expectedFingerprint?: string;
  /** CA certificates to trust for time-stamps instead of those shipped in the package. */
  readonly tsaCaPem?: string;
}

const readsInFlight = 8;

/** Reads a package as a ZIP file or an unpacked folder. */
export async function readPackage(location: string): Promise<Map<string, Buffer>> {
  if (!(await stat(location)).isDirectory()) return readZip(await readFile(location));
  const names = (await readdir(location, { recursive: true, withFileTypes: true }))
    .filter((entry) => !entry.isDirectory())
    .map((entry) =>
      path.relative(location, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"),
    )
    .sort();
  // Several reads in flight: a package is hundreds of small files, and one at a time waits on each in turn.
  const contents: Buffer[] = [];
  let next = 0;
  const reader = async () => {
    for (let i = next++; i < names.length; i = next++) {
      contents[i] = await readFile(path.join(location, names[i]!));
    }
  };
  await Promise.all(Array.from({ length: readsInFlight }, reader));
  return new Map(names.map((name, i) => [name, contents[i]!]));
}

/**
 * Checks a package with nothing but the package (no database, no network): every file's SHA-256 against
 * SHA256SUMS and the manifest, both signatures, the public key's fingerprint, each time-stamp token (the package's
 * and each capture's own), the custody excerpt, and each capture's record. Names the file that fails.
 */
export async function verifyPackage(
  location: string,
  options: VerifyOptions = {},
): Promise<PackageVerification> {
  let files: Map<string, Buffer>;
  try {
    files = await readPackage(location);
  } catch (error) {
    const file = error instanceof ZipFormatError ? (error.entry ?? ".") : ".";
    return result([{ file, code: "package_unreadable", message: (error as Error).message }]);
  }
  return verifyPackageFiles(files, options);
}

export function verifyPackageFiles(
  files: ReadonlyMap<string, Buffer>,
  options: VerifyOptions = {},
): PackageVerification {
  const failures: VerifyProblem[] = [];
  const warnings: VerifyProblem[] = [];
  const fail = (file: string, code: string, message: string) => failures.push({ file, code, message });
  const hashes = new Map([...files].map(([name, bytes]) => [name, sha256Hex(bytes)]));

  // 1. The two lists (SHA256SUMS and manifest.json), the key and the two signatures. Which of them can be trusted
  // decides which file a mismatch is blamed on: a list that fails its signature is not used to judge other files.
  const sums = files.get(sumsName);
  const manifestBytes = files.get(manifestName);
  const keyPem = files.get(publicKeyName)?.toString("utf8");
  for (const [name, present] of [
    [sumsName, sums],
    [manifestName, manifestBytes],
    [publicKeyName, keyPem],
  ] as const) {
    if (present === undefined) fail(name, "file_missing", `${name} is missing`);
  }
  let fingerprint: string | null = null;
  if (keyPem !== undefined) {
    try {
      fingerprint = publicKeyFingerprint(keyPem);
    } catch {
      fail(publicKeyName, "key_malformed", "the public key cannot be read");
    }
  }
  const manifestSha256 = manifestBytes ? sha256Hex(manifestBytes) : null;
  const signatureHolds = (digestHex: string | null, signatureName: string): boolean => {
    const signature = files.get(signatureName);
    if (!signature) {
      fail(signatureName, "file_missing", `${signatureName} is missing`);
      return false;
    }
    return (
      keyPem !== undefined &&
      fingerprint !== null &&
      digestHex !== null &&
      verifyDigest(keyPem, Buffer.from(digestHex, "hex"), signature)
    );
  };
  const manifestSigned = signatureHolds(manifestSha256, manifestSignatureName);
  const sumsSigned = signatureHolds(sums ? sha256Hex(sums) : null, sumsSignatureName);

  const listed = new Map<string, string>();
  for (const [index, line] of (sums?.toString("utf8") ?? "").split("\n").entries()) {
    if (line === "") continue;
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (match) listed.set(match[2]!, match[1]!);
    else if (sumsSigned) fail(sumsName, "sums_malformed", `line ${index + 1} is not "<sha256>  <file>"`);
  }
  let manifest: PackageManifest | undefined;
  try {
    manifest = manifestBytes ? (JSON.parse(manifestBytes.toString("utf8")) as PackageManifest) : undefined;
  } catch {
    manifest = undefined;
  }
  const manifestListed = new Map((manifest?.files ?? []).map((file) => [file.path, file]));

  if (!manifestSigned && !sumsSigned && keyPem !== undefined && manifestBytes && sums) {
    // Both signatures fail: the key itself was changed (or replaced).
    fail(
      publicKeyName,
      "signature_invalid",
      "neither signature verifies with the package's public key: the key was changed",
    );
  } else if (!sumsSigned && sums) {
    // The manifest stands; the list or its signature was changed. A list rebuilt from the files tells which.
    const rebuilt = sumsText(
      [...files.keys()]
        .filter((name) => name !== sumsName && name !== sumsSignatureName)
        .map((name) => ({ path: name, sha256: hashes.get(name)! })),
    );
    if (rebuilt !== sums.toString("utf8"))
      fail(sumsName, "sums_changed", `${sumsName} was changed after it was signed`);
    else fail(sumsSignatureName, "signature_invalid", `the signature over ${sumsName} does not verify`);
  } else if (!manifestSigned && manifestBytes) {
    // The list stands and names which of the manifest and its signature changed.
    if (listed.get(manifestName) !== manifestSha256)
      fail(manifestName, "hash_mismatch", `${manifestName} was changed after it was signed`);
    else
      fail(manifestSignatureName, "signature_invalid", `the signature over ${manifestName} does not verify`);
  }
  if (manifestSigned && !manifest) fail(manifestName, "manifest_malformed", `${manifestName} is not JSON`);
  if (fingerprint && manifest && manifestSigned && manifest.signingKey?.fingerprint !== fingerprint) {
    fail(publicKeyName, "key_mismatch", "the public key is not the one the manifest names");
  }
  if (fingerprint && options.expectedFingerprint && fingerprint !== options.expectedFingerprint) {
    fail(
      publicKeyName,
      "key_not_expected",
      `the package is signed with ${fingerprint}, not ${options.expectedFingerprint}`,
    );
  }

  // 2. Every file against the lists that hold.
  if (sumsSigned) {
    for (const [name, expected] of listed) {
      const actual = hashes.get(name);
      if (actual === undefined) fail(name, "file_missing", `${name} is listed in ${sumsName} but missing`);
      else if (actual !== expected)
        fail(name, "hash_mismatch", `${name} was changed: its SHA-256 is not the one listed`);
    }
  }
  if (manifestSigned && manifest) {
    for (const file of manifestListed.values()) {
      const bytes = files.get(file.path);
      if (!bytes) fail(file.path, "file_missing", `${file.path} is listed in the manifest but missing`);
      else if (bytes.length !== file.size || hashes.get(file.path) !== file.sha256) {
        fail(file.path, "hash_mismatch", `${file.path} does not match the manifest's size and SHA-256`);
      }
    }
  }
  const known = new Set([
    ...(sumsSigned ? listed.keys() : []),
    ...(manifestSigned ? manifestListed.keys() : []),
    ...(manifestSigned ? (manifest?.timestamps ?? []).map((t) => t.token) : []),
    manifestName,
    manifestSignatureName,
    sumsName,
    sumsSignatureName,
  ]);
  if (sumsSigned || manifestSigned) {
    for (const name of files.keys()) {
      if (!known.has(name)) fail(name, "file_unlisted", `${name} is not part of the signed package`);
    }
  }
  if (!manifestSigned) manifest = undefined;

  // 4. Trusted time (RELIABILITY E5): the package's own tokens over the manifest here, each capture's below.
  const checking: Checking = {
    files,
    options,
    fail,
    warn: (file, code, message) => warnings.push({ file, code, message }),
  };
  const timestamps: Array<{ token: string; genTime: string }> = [];
  for (const stamp of manifest?.timestamps ?? []) {
    const verified = checkToken(
      checking,
      { file: stamp.token, ca: stamp.ca, digestHex: manifestSha256 ?? "", nonce: stamp.nonce },
      { label: "package time", time: manifest!.createdAt },
    );
    if (verified) timestamps.push({ token: stamp.token, genTime: verified.genTime.toISOString() });
  }

  // 5. The custody excerpt and each capture's record.
  const custodyBytes = files.get(custodyName);
  if (manifest && custodyBytes) {
    try {
      const excerpt = JSON.parse(custodyBytes.toString("utf8")) as { entries: CustodyExcerptEntry[] };
      const broken = verifyCustodyExcerpt(excerpt.entries);
      if (broken) fail(custodyName, "custody_broken", broken);
      for (const capture of manifest.captures ?? []) {
        const captured = excerpt.entries.find(
          (entry): entry is CustodyEntryJson =>
            "captureId" in entry && entry.captureId === capture.id && entry.action === "capture",
        );
        if (captured?.details.sha256 !== capture.sha256) {
          fail(
            custodyName,
            "custody_incomplete",
            `no custody entry records capture ${capture.id} being taken`,
          );
        }
      }
    } catch {
      fail(custodyName, "custody_malformed", `${custodyName} is not a custody excerpt`);
    }
  }
  const captureTimestamps: Array<PackageVerification["captureTimestamps"][number]> = [];
  for (const capture of manifest?.captures ?? []) {
    const recordName = `${capture.folder}/capture.json`;
    const recordBytes = files.get(recordName);
    if (!recordBytes) continue;
    if (sha256Hex(recordBytes) !== capture.sha256) {
      fail(recordName, "hash_mismatch", `${recordName} is not the record of capture ${capture.id}`);
      continue;
    }
    const record = JSON.parse(recordBytes.toString("utf8")) as CaptureRecord;
    for (const file of record.files) {
      const name = `${capture.folder}/${file.path}`;
      if (hashes.get(name) !== file.sha256)
        fail(name, "hash_mismatch", `${name} does not match its capture record`);
    }
    captureTimestamps.push(...checkCaptureTokens(checking, capture, record));
    if (record.status !== "complete") {
      warnings.push({
        file: recordName,
        code: `capture_${record.status}`,
        message: `capture ${capture.id} is ${record.status.toUpperCase()}: ${record.failureReason}`,
      });
    }
  }
  return result(failures, {
    warnings,
    fingerprint,
    manifestSha256,
    captures: manifest?.captures?.length ?? 0,
    timestamps,
    captureTimestamps,
  });
}

/** What the checks below read, and where they report. */
interface Checking {
  readonly files: ReadonlyMap<string, Buffer>;
  readonly options: VerifyOptions;
  fail(file: string, code: string, message: string): void;
  warn(file: string, code: string, message: string): void;
}

/** Verifies one token; a TSA time more than 10 minutes from what our clock said (`madeAt`) is a warning. */
function checkToken(
  checking: Checking,
  token: { readonly file: string; readonly ca: string; readonly digestHex: string; readonly nonce?: string },
  madeAt: { readonly label: string; readonly time: string },
): VerifiedTimestamp | undefined {
  const bytes = checking.files.get(token.file);
  if (!bytes) {
    checking.fail(token.file, "file_missing", `the time-stamp token ${token.file} is missing`);
    return undefined;
  }
  const caPem = checking.options.tsaCaPem ?? checking.files.get(token.ca)?.toString("utf8") ?? "";
  try {
    const verified = verifyTimestamp(bytes, {
      digest: Buffer.from(token.digestHex, "hex"),
      trustedCaPem: caPem,
      nonce: token.nonce,
    });
    if (Math.abs(verified.genTime.getTime() - Date.parse(madeAt.time)) > maxClockSkewMs) {
      checking.warn(
        token.file,
        "clock_skew",
        `the TSA's time ${verified.genTime.toISOString()} differs from the ${madeAt.label} ${madeAt.time} by more than 10 minutes`,
      );
    }
    return verified;
  } catch (error) {
    const message = error instanceof TimestampError ? error.message : String(error);
    checking.fail(token.file, "timestamp_invalid", `${token.file}: ${message}`);
    return undefined;
  }
}

/**
 * A capture's tokens (`timestamps/tsa-N.tsr`, asked for when it was taken) over the SHA-256 of its `capture.json`,
 * each with the report beside it, which must say what the token says. A TSA that gave no token is a warning: the
 * capture was kept without it on purpose.
 */
function checkCaptureTokens(
  checking: Checking,
  capture: PackageManifest["captures"][number],
  record: CaptureRecord,
): Array<PackageVerification["captureTimestamps"][number]> {
  const { files, fail } = checking;
  const prefix = `${capture.folder}/timestamps/`;
  const numbers = new Set<number>();
  for (const name of files.keys()) {
    const match = name.startsWith(prefix)
      ? /^tsa-(\d+)\.(?:tsr|json)$/.exec(name.slice(prefix.length))
      : null;
    if (match) numbers.add(Number(match[1]));
  }
  const stamped: Array<PackageVerification["captureTimestamps"][number]> = [];
  for (const n of [...numbers].sort((a, b) => a - b)) {
    const tokenFile = `${capture.folder}/${tokenName(n)}`;
    const reportFile = `${capture.folder}/${timestampReportName(n)}`;
    let report: CaptureTimestamp | undefined;
    try {
      const bytes = files.get(reportFile);
      report = bytes ? (JSON.parse(bytes.toString("utf8")) as CaptureTimestamp) : undefined;
    } catch {
      fail(reportFile, "timestamp_report_malformed", `${reportFile} is not JSON`);
      continue;
    }
    if (report && "error" in report && !files.has(tokenFile)) {
      checking.warn(
        reportFile,
        "timestamp_missing",
        `${report.tsaUrl} gave capture ${capture.id} no time-stamp: ${report.error.message}`,
      );
      continue;
    }
    const nonce = report && !("error" in report) ? report.nonce : undefined;
    const verified = checkToken(
      checking,
      { file: tokenFile, ca: `${capture.folder}/${tsaCaName(n)}`, digestHex: capture.sha256, nonce },
      { label: "capture's finish", time: record.finishedAt },
    );
    if (!verified) continue;
    const genTime = verified.genTime.toISOString();
    if (!report) fail(reportFile, "file_missing", `${reportFile}, the report of ${tokenFile}, is missing`);
    else if (
      "error" in report ||
      Date.parse(report.genTime) !== verified.genTime.getTime() ||
      report.serialNumber !== verified.serialNumber
    ) {
      fail(
        reportFile,
        "timestamp_report_mismatch",
        `${reportFile} does not say what ${tokenFile} says (genTime ${genTime}, serial ${verified.serialNumber})`,
      );
    }
    stamped.push({ capture: capture.id, token: tokenFile, genTime });
  }
  return stamped;
}

function result(
  failures: VerifyProblem[],
  found: Partial<Omit<PackageVerification, "ok" | "failures">> = {},
): PackageVerification {
  // One problem can show up in two checks; report each file and code once.
  const seen = new Set<string>();
  const unique = failures.filter((problem) => {
    const key = `${problem.file}\n${problem.code}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  return {
    ok: unique.length === 0,
    failures: unique,
    warnings: found.warnings ?? [],
    fingerprint: found.fingerprint ?? null,
    manifestSha256: found.manifestSha256 ?? null,
    captures: found.captures ?? 0,
    timestamps: found.timestamps ?? [],
    captureTimestamps: found.captureTimestamps ?? [],
  };
}
