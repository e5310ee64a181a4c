import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import yazl from "yazl";
import { NotFoundError, UsageError, WildtrawlError } from "../core/errors.ts";
import type { Capture, Case } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import { fsyncDirectory, jsonBytes, sha256Hex } from "./atomic-files.ts";
import { captureRecordName, checkCaptureFiles, type CaptureRecord } from "./capture.ts";
import { custodyEntryJson, custodyExcerpt, recordCustody } from "./custody.ts";
import {
  custodyName,
  manifestName,
  manifestSignatureName,
  maxClockSkewMs,
  packageFormat,
  publicKeyName,
  sumsName,
  sumsSignatureName,
  sumsText,
  tokenName,
  tsaCaName,
  verifyTextName,
  type ManifestFile,
  type PackageCase,
  type PackageManifest,
} from "./package-layout.ts";
import type { SoftwareIdentity } from "./provenance.ts";
import { reportHtml, reportPdf, type ReportCapture } from "./report.ts";
import { signDigest, type SigningKey } from "./signing-keys.ts";
import { requestTimestamp, verifyTimestamp } from "./timestamp.ts";

export interface TsaConfig {
  readonly url: string;
  /** The CA certificate(s) the TSA's certificate chains to, PEM. */
  readonly caPem: string;
}

export interface ExportDeps {
  readonly store: Store;
  readonly evidenceRoot: string;
  readonly signingKey: SigningKey;
  readonly software: SoftwareIdentity;
  readonly now: () => Date;
  /** Time-stamping authorities; each gives a token over the manifest (production should name at least two). */
  readonly tsa?: readonly TsaConfig[];
}

export interface ExportRequest {
  /** A case: its listings' captures go in, and its reference and TLP marking head the package and report. */
  readonly case?: Case;
  readonly listingIds?: readonly number[];
  readonly captureIds?: readonly number[];
  readonly out: string;
  readonly actor: string;
  readonly purpose?: string;
}

export interface ExportResult {
  readonly file: string;
  readonly case: PackageCase | null;
  readonly sha256: string;
  readonly captures: number;
  readonly files: number;
  readonly manifestSha256: string;
  readonly fingerprint: string;
  readonly timestamps: ReadonlyArray<{
    readonly tsaUrl: string;
    readonly genTime: string;
    readonly clockSkewFlagged: boolean;
  }>;
}

/** A capture's stored files no longer match their hashes: it is not exported, and a person must look. */
export class EvidenceIntegrityError extends WildtrawlError {}

/**
 * Writes one self-verifying package (RELIABILITY E8): the captures, the custody excerpt, the prosecutor's report
 * (HTML and PDF), plain-language verification steps, `manifest.json` with every file's size and SHA-256, an Ed25519
 * signature over the manifest's digest and the public key, RFC 3161 tokens over the same digest when TSAs are
 * configured, and `SHA256SUMS` (with its own signature) so `sha256sum -c` checks every file including the tokens.
 * The ZIP is written aside and renamed into place.
 */
export async function exportPackage(deps: ExportDeps, request: ExportRequest): Promise<ExportResult> {
  const { store } = deps;
  const captures = await selectCaptures(store, request);
  if (captures.length === 0) throw new UsageError("nothing_to_export", "no captures to export");
  for (const capture of captures) {
    const broken = await checkCaptureFiles(deps.evidenceRoot, capture);
    if (broken.length > 0) {
      await store.audit.append({
        organisationId: capture.organisationId,
        actor: request.actor,
        action: "capture.integrity_failed",
        subjectType: "capture",
        subjectId: capture.id,
        details: { files: broken },
      });
      throw new EvidenceIntegrityError(
        "capture_integrity_failed",
        `capture ${capture.id}: stored files no longer match their hashes: ${broken.join(", ")}`,
      );
    }
  }
  const createdAt = deps.now();
  const packageName = path.basename(request.out);
  for (const capture of captures) {
    await recordCustody(store, {
      captureId: capture.id,
      actor: request.actor,
      action: "export",
      purpose: request.purpose ?? null,
      details: {
        package: packageName,
        packageCreatedAt: createdAt.toISOString(),
        ...(request.case ? { case: request.case.reference } : {}),
      },
    });
  }

  // name → bytes or a path on disk, every entry of the package.
  const entries = new Map<string, Buffer | { disk: string; sha256: string; size: number }>();
  const reportItems: ReportCapture[] = [];
  const manifestCaptures: Array<PackageManifest["captures"][number]> = [];
  for (const capture of captures) {
    const folder = `captures/${capture.id}-${capture.sha256.slice(0, 12)}`;
    let record: CaptureRecord | undefined;
    let screenshot: Buffer | null = null;
    for (const file of capture.files) {
      const disk = path.join(deps.evidenceRoot, file.path);
      const relative = relativeInCapture(file.path, capture.sha256);
      entries.set(`${folder}/${relative}`, { disk, sha256: file.sha256, size: file.byteLength });
      if (relative === captureRecordName) record = JSON.parse(await readFile(disk, "utf8")) as CaptureRecord;
      if (file.role === "screenshot") screenshot = await readFile(disk);
    }
    if (!record)
      throw new EvidenceIntegrityError(
        "capture_record_missing",
        `capture ${capture.id} has no ${captureRecordName}`,
      );
    const custody = (await store.evidence.custodyOf(capture.id)).map(custodyEntryJson);
    reportItems.push({
      capture,
      record,
      listing: await store.listings.get(capture.listingId),
      detections: await store.listings.detections(capture.listingId),
      custody,
      folder,
      screenshot,
    });
    manifestCaptures.push({
      id: capture.id,
      listingId: capture.listingId,
      sha256: capture.sha256,
      status: capture.status,
      folder,
    });
  }
  const caseHeading = request.case
    ? { reference: request.case.reference, title: request.case.title, marking: request.case.marking }
    : null;
  const title = caseHeading
    ? `Evidence package for case ${caseHeading.reference}: ${caseHeading.title}`
    : `Evidence package: ${captures.length} capture${captures.length === 1 ? "" : "s"} of listing${new Set(captures.map((c) => c.listingId)).size === 1 ? "" : "s"} ${[...new Set(captures.map((c) => c.listingId))].join(", ")}`;
  const generator = `${deps.software.name} ${deps.software.version}${deps.software.gitSha ? ` (${deps.software.gitSha.slice(0, 12)})` : ""}`;
  const reportData = {
    title,
    case: caseHeading,
    createdAt: createdAt.toISOString(),
    generator,
    signingKeyFingerprint: deps.signingKey.fingerprint,
    captures: reportItems,
  };
  entries.set(
    custodyName,
    jsonBytes({
      format: "wildtrawl-custody-excerpt/1",
      note: "A contiguous run of the custody log; entries of other captures appear only as their hashes.",
      entries: await custodyExcerpt(store, new Set(captures.map((capture) => capture.id))),
    }),
  );
  entries.set("report.html", Buffer.from(reportHtml(reportData), "utf8"));
  entries.set("report.pdf", await reportPdf(reportData, createdAt));
  entries.set(publicKeyName, Buffer.from(deps.signingKey.publicKeyPem, "utf8"));
  const tsas = deps.tsa ?? [];
  const timestamps = tsas.map((tsa, i) => ({
    token: tokenName(i + 1),
    ca: tsaCaName(i + 1),
    tsaUrl: tsa.url,
    nonce: randomBytes(8),
  }));
  tsas.forEach((tsa, i) => entries.set(tsaCaName(i + 1), Buffer.from(tsa.caPem, "utf8")));
  entries.set(
    verifyTextName,
    Buffer.from(
      verifyText(deps.signingKey.fingerprint, generator, createdAt, timestamps.length, [...entries.keys()]),
      "utf8",
    ),
  );

  const files: ManifestFile[] = [...entries].map(([name, entry]) =>
    Buffer.isBuffer(entry)
      ? { path: name, size: entry.length, sha256: sha256Hex(entry) }
      : { path: name, size: entry.size, sha256: entry.sha256 },
  );
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest: PackageManifest = {
    format: packageFormat,
    createdAt: createdAt.toISOString(),
    generator: { ...deps.software },
    createdBy: request.actor,
    purpose: request.purpose ?? null,
    case: caseHeading,
    signingKey: { algorithm: "Ed25519", path: publicKeyName, fingerprint: deps.signingKey.fingerprint },
    captures: manifestCaptures,
    timestamps: timestamps.map((t) => ({
      token: t.token,
      ca: t.ca,
      tsaUrl: t.tsaUrl,
      nonce: stripZeros(t.nonce),
    })),
    files,
  };
  const manifestBytes = jsonBytes(manifest);
  const manifestDigest = Buffer.from(sha256Hex(manifestBytes), "hex");
  entries.set(manifestName, manifestBytes);
  entries.set(manifestSignatureName, signDigest(deps.signingKey, manifestDigest));
  const stamped: Array<ExportResult["timestamps"][number]> = [];
  for (const [i, tsa] of tsas.entries()) {
    const { token, nonce } = await requestTimestamp(tsa.url, manifestDigest, { nonce: timestamps[i]!.nonce });
    const verified = verifyTimestamp(token, { digest: manifestDigest, trustedCaPem: tsa.caPem, nonce });
    entries.set(timestamps[i]!.token, token);
    stamped.push({
      tsaUrl: tsa.url,
      genTime: verified.genTime.toISOString(),
      clockSkewFlagged: Math.abs(verified.genTime.getTime() - createdAt.getTime()) > maxClockSkewMs,
    });
  }
  const sums = Buffer.from(
    sumsText(
      [...entries].map(([name, entry]) => ({
        path: name,
        sha256: Buffer.isBuffer(entry) ? sha256Hex(entry) : entry.sha256,
      })),
    ),
    "utf8",
  );
  entries.set(sumsName, sums);
  entries.set(sumsSignatureName, signDigest(deps.signingKey, Buffer.from(sha256Hex(sums), "hex")));

  const out = path.resolve(request.out);
  await mkdir(path.dirname(out), { recursive: true });
  const temp = `${out}.${process.pid}.${randomBytes(4).toString("hex")}.part`;
  try {
    await writeZip(temp, entries, createdAt);
    await rename(temp, out);
    await fsyncDirectory(path.dirname(out));
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  const packageSha256 = sha256Hex(await readFile(out));
  if (request.case)
    await store.audit.append({
      organisationId: request.case.organisationId,
      actor: request.actor,
      action: "case.exported",
      subjectType: "case",
      subjectId: request.case.id,
      details: { reference: request.case.reference, package: packageName, sha256: packageSha256 },
    });
  return {
    file: out,
    case: caseHeading,
    sha256: packageSha256,
    captures: captures.length,
    files: entries.size,
    manifestSha256: manifestDigest.toString("hex"),
    fingerprint: deps.signingKey.fingerprint,
    timestamps: stamped,
  };
}

function relativeInCapture(filePath: string, sha256: string): string {
  const parts = filePath.split(path.sep);
  const at = parts.indexOf(sha256);
  return parts.slice(at + 1).join("/");
}

async function selectCaptures(store: Store, request: ExportRequest): Promise<Capture[]> {
  const byId = new Map<number, Capture>();
  const inCase = request.case ? (await store.cases.listings(request.case.id)).map((e) => e.listingId) : [];
  if (request.case && inCase.length === 0)
    throw new UsageError("case_empty", `case ${request.case.reference} has no listings yet`);
  for (const listingId of [...inCase, ...(request.listingIds ?? [])]) {
    const listing = await store.listings.get(listingId);
    // A case's package holds its own listings (a share to write may have added the recipient's) and, named beside
    // them, only the case organisation's.
    const inThisCase = request.case !== undefined && inCase.includes(listingId);
    if (!listing || (request.case && !inThisCase && listing.organisationId !== request.case.organisationId))
      throw new NotFoundError("listing_not_found", `no listing ${listingId}`);
    const captures = await store.evidence.listCaptures(listingId);
    if (captures.length === 0) {
      const of = request.case ? ` (in case ${request.case.reference})` : "";
      throw new NotFoundError(
        "capture_not_found",
        `listing ${listingId}${of} has no capture yet: run "wildtrawl capture ${listingId}"`,
      );
    }
    for (const capture of captures) byId.set(capture.id, capture);
  }
  for (const captureId of request.captureIds ?? []) {
    const capture = await store.evidence.getCapture(captureId);
    if (!capture) throw new NotFoundError("capture_not_found", `no capture ${captureId}`);
    byId.set(capture.id, capture);
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

async function writeZip(
  file: string,
  entries: Map<string, Buffer | { disk: string }>,
  mtime: Date,
): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, entry] of [...entries].sort(([a], [b]) => (a < b ? -1 : 1))) {
    // Already-compressed files are stored as they are.
    const compress = !/\.(png|gz|pdf|tsr|sig)$/.test(name);
    if (Buffer.isBuffer(entry)) zip.addBuffer(entry, name, { mtime, compress });
    else zip.addFile(entry.disk, name, { mtime, compress });
  }
  zip.end();
  await new Promise<void>((resolve, reject) => {
    const output = createWriteStream(file, { flags: "wx" });
    zip.outputStream.on("error", reject).pipe(output).on("error", reject).on("finish", resolve);
  });
  const handle = await open(file, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function stripZeros(nonce: Buffer): string {
  let start = 0;
  while (start < nonce.length - 1 && nonce[start] === 0) start++;
  return nonce.subarray(start).toString("hex");
}

/**
 * VERIFY.txt: every check as a command a reader can paste, with nothing but sha256sum and openssl. `packageFiles`
 * are the names in the package so far: each capture's own tokens get a line of their own.
 */
export function verifyText(
  fingerprint: string,
  generator: string,
  createdAt: Date,
  tokens: number,
  packageFiles: readonly string[],
): string {
  const tokenSteps = Array.from({ length: tokens }, (_, i) => {
    const n = i + 1;
    return `     openssl ts -verify -in ${tokenName(n)} -data ${manifestName} -CAfile ${tsaCaName(n)}
   It must say "Verification: OK". To see the time the authority vouches for:
     openssl ts -reply -in ${tokenName(n)} -text | grep "Time stamp"`;
  }).join("\n\n");
  const captureTokenSteps = packageFiles
    .map((name) => /^(captures\/[^/]+)\/timestamps\/tsa-(\d+)\.tsr$/.exec(name))
    .filter((match) => match !== null)
    .sort((a, b) => a[0].localeCompare(b[0], "en", { numeric: true }))
    .map(([token, folder, n]) => {
      const ca = `${folder}/${tsaCaName(Number(n))}`;
      return `     openssl ts -verify -in ${token} -data ${folder}/${captureRecordName} -CAfile ${ca}`;
    })
    .join("\n");
  return `HOW TO CHECK THIS EVIDENCE PACKAGE WITHOUT WILDTRAWL

This package was made by ${generator} at ${createdAt.toISOString()} (UTC).
It is signed with the Ed25519 key whose fingerprint is

  ${fingerprint}

Compare that with the fingerprint the issuing organisation publishes: the signature only
proves something if the key is theirs. You need two standard tools: sha256sum (GNU coreutils)
and openssl (version 3 or later).

1. Unpack the ZIP into an empty folder and open a terminal in that folder. (Steps 3 and 4 write
   a small digest file into the folder above it, so the package folder itself stays unchanged.)

2. Check that no file was changed. SHA256SUMS lists the SHA-256 of every file in the package
   except itself and its signature:
     sha256sum -c ${sumsName}
   Every line must end in "OK". A line saying FAILED names the file that was changed.

3. Check that SHA256SUMS is the list the key holder signed:
     openssl dgst -sha256 -binary -out ../sums.digest ${sumsName}
     openssl pkeyutl -verify -pubin -inkey ${publicKeyName} -rawin -in ../sums.digest -sigfile ${sumsSignatureName}
   It must say "Signature Verified Successfully".

4. Check the signature on the manifest (manifest.json lists every file with its size and
   SHA-256, and which captures the package holds):
     openssl dgst -sha256 -binary -out ../manifest.digest ${manifestName}
     openssl pkeyutl -verify -pubin -inkey ${publicKeyName} -rawin -in ../manifest.digest -sigfile ${manifestSignatureName}
   It must say "Signature Verified Successfully".

5. Check the key's fingerprint matches the one above:
     openssl pkey -pubin -in ${publicKeyName} -outform DER | sha256sum

${
  tokens > 0
    ? `6. Check the trusted time. An independent time-stamping authority signed the manifest's digest:
${tokenSteps}

`
    : "6. This package carries no RFC 3161 time-stamp (no authority was configured).\n\n"
}${
    captureTokenSteps
      ? `7. Check when each capture was taken. As it was made, each capture's capture.json (which
   holds the SHA-256 of the capture's evidence files) was time-stamped by an independent
   authority. One line per token:
${captureTokenSteps}
   Each must say "Verification: OK". The time the authority vouches for is "genTime" in the
   tsa-N.json beside each token (or run "openssl ts -reply -text -in" with the token's name);
   it should be within 10 minutes of "finishedAt" in capture.json. A tsa-N.json with an
   "error" instead of a token says why that authority gave none.

`
      : `7. The captures carry no RFC 3161 time-stamps of their own (a capture's
   timestamps/tsa-N.json, where there is one, says why).

`
  }What the package holds: captures/<id>-<hash>/ has, for each capture, capture.json (its
record: URLs, redirects, times in UTC, request and response headers, provenance, and the
SHA-256 of each of its files), the raw HTTP exchange in WARC (*.warc.gz), the page as the
server sent it (page.html), the page as the browser rendered it (dom.html) and a full-page
screenshot with the UTC capture time drawn at the top (screenshot.png), and its
time-stamps (timestamps/, step 7). Files under analysis/ are automated analysis derived
from page.html, not evidence in themselves.
custody.json is the chain-of-custody record of these captures; report.html and report.pdf
summarise everything for a reader. "wildtrawl evidence verify" runs all of these checks and
also re-checks the custody chain and each capture record.
`;
}
