import { createHash } from "node:crypto";
import { access, readFile } from "node:fs/promises";
import { isIP } from "node:net";
import os from "node:os";
import path from "node:path";
import { UsageError } from "../core/errors.ts";
import type { JsonObject, JsonValue } from "../storage/records.ts";
import type { FetchResult } from "../trawl/fetcher.ts";
import type { PeerCertificate, TlsPeer } from "../trawl/tls-peer.ts";

/** Who and what made a capture, known at capture time (RELIABILITY E2). */
export interface SoftwareIdentity {
  readonly name: string;
  readonly version: string;
  /** The commit the running code came from, or null when it does not run from a git checkout. */
  readonly gitSha: string | null;
}

/**
 * The provenance of a capture. Every key is required (a value may be null, with the reason beside it), and no other
 * key is allowed: inferred or enriched data (species, places, sellers) never enters the evidentiary record
 * (RELIABILITY E12); it lives in the capture's `analysis/` files, which name the hash they were derived from.
 */
export const provenanceKeys = [
  "software",
  "browser",
  "browserUnavailableReason",
  "userAgent",
  "os",
  "node",
  "serverIp",
  "egressIp",
  "egressIpNote",
  "tlsCertificates",
  "tlsCertificatesNote",
  "effectiveOptions",
  "blockedRequests",
  "operator",
  "purpose",
  "clock",
] as const;

export type Provenance = Readonly<Record<(typeof provenanceKeys)[number], JsonValue>>;

/** An entry of `tlsCertificates`: one host of the redirect chain reached over HTTPS, and what it presented. */
export interface TlsHostRecord extends TlsPeer {
  /** `host[:port]` as in the URL. */
  readonly host: string;
  readonly serverIp: string;
}

/**
 * Refuses a provenance with a key missing or one too many, or whose connection facts do not match the exchange:
 * `fetchedUrls` are the URLs that answered (redirects, then the final URL; none when the fetch failed), and each
 * HTTPS host among them needs its certificate chain, every certificate well formed and matching its fingerprint.
 */
export function validateProvenance(value: JsonObject, fetchedUrls: readonly string[]): Provenance {
  const problems: string[] = [];
  for (const key of provenanceKeys) if (!(key in value)) problems.push(`missing "${key}"`);
  for (const key of Object.keys(value)) {
    if (!(provenanceKeys as readonly string[]).includes(key)) {
      problems.push(`"${key}" is not capture-time provenance (enrichment belongs in the analysis layer)`);
    }
  }
  const software = value.software as { name?: unknown; version?: unknown } | null;
  if (!software || typeof software.name !== "string" || typeof software.version !== "string") {
    problems.push("software needs a name and a version");
  }
  if (typeof value.operator !== "string" || value.operator === "") problems.push("operator is required");
  problems.push(...connectionProblems(value, fetchedUrls));
  if (problems.length > 0)
    throw new UsageError("provenance_invalid", `capture provenance: ${problems.join("; ")}`);
  return value as Provenance;
}

/** The URLs of a capture record that answered: what `validateProvenance` checks the connection facts against. */
export function fetchedUrlsOf(record: {
  readonly finalUrl: string | null;
  readonly redirects: ReadonlyArray<{ readonly url: string }>;
}): string[] {
  return record.finalUrl === null ? [] : [...record.redirects.map((hop) => hop.url), record.finalUrl];
}

/** The provenance keys that describe the connections: addresses and, per HTTPS host, the certificate chain. */
export function connectionProvenance(
  result: FetchResult | undefined,
  failureReason: string | null,
): JsonObject {
  if (!result) {
    const why = `the fetch did not complete (${failureReason ?? "no exchange"})`;
    return {
      serverIp: null,
      egressIp: null,
      egressIpNote: why,
      tlsCertificates: null,
      tlsCertificatesNote: why,
    };
  }
  const finalHop = { url: result.finalUrl, remoteAddress: result.remoteAddress, tlsPeer: result.tlsPeer };
  const hops = [...result.redirects, finalHop];
  const tlsHosts = new Map<string, TlsHostRecord>();
  const plainHosts = new Set<string>();
  for (const hop of hops) {
    const { host, protocol } = new URL(hop.url);
    if (protocol !== "https:") plainHosts.add(host);
    else if (hop.tlsPeer && !tlsHosts.has(host)) {
      tlsHosts.set(host, { host, serverIp: hop.remoteAddress, ...hop.tlsPeer });
    }
  }
  return {
    serverIp: result.remoteAddress,
    egressIp: result.localAddress ?? null,
    egressIpNote:
      "the local address of the connection that fetched the page, as this host sees it: behind NAT or a proxy the " +
      "site saw another address, which wildtrawl does not ask any outside service for",
    tlsCertificates: tlsHosts.size === 0 ? null : ([...tlsHosts.values()] as unknown as JsonValue),
    tlsCertificatesNote:
      plainHosts.size === 0 ? null : `plain HTTP, no certificates: ${[...plainHosts].join(", ")}`,
  };
}

function connectionProblems(value: JsonObject, fetchedUrls: readonly string[]): string[] {
  const problems: string[] = [];
  if (fetchedUrls.length > 0 && (typeof value.egressIp !== "string" || isIP(value.egressIp) === 0)) {
    problems.push("egressIp: the local address of the connection that fetched the page is required");
  }
  const entries = value.tlsCertificates ?? [];
  if (!Array.isArray(entries)) return [...problems, "tlsCertificates: expected a list of hosts, or null"];
  entries.forEach((entry, index) => problems.push(...tlsHostProblems(entry, `tlsCertificates[${index}]`)));
  const recorded = new Set(entries.map((entry) => (isObject(entry) ? entry.host : undefined)));
  for (const url of fetchedUrls) {
    const { host, protocol } = new URL(url);
    if (protocol === "https:" && !recorded.has(host)) {
      problems.push(`tlsCertificates: no certificate chain for the HTTPS host ${host}`);
      recorded.add(host);
    }
  }
  return problems;
}

const isoUtc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function tlsHostProblems(entry: JsonValue, at: string): string[] {
  if (!isObject(entry)) return [`${at}: expected a host with its certificate chain`];
  const problems = (["host", "protocol", "cipher"] as const)
    .filter((field) => !isText(entry[field]))
    .map((field) => `${at}.${field} is required`);
  if (typeof entry.serverIp !== "string" || isIP(entry.serverIp) === 0) {
    problems.push(`${at}.serverIp: expected an IP address`);
  }
  const certificates = entry.certificates;
  if (!Array.isArray(certificates) || certificates.length === 0) {
    return [...problems, `${at}.certificates: expected the chain, leaf first`];
  }
  certificates.forEach((certificate, index) =>
    problems.push(...certificateProblems(certificate, `${at}.certificates[${index}]`)),
  );
  return problems;
}

function certificateProblems(certificate: JsonValue, at: string): string[] {
  if (!isObject(certificate)) return [`${at}: expected a certificate`];
  const fields: Record<keyof PeerCertificate, (field: JsonValue | undefined) => boolean> = {
    subject: isText,
    issuer: isText,
    serialNumber: isText,
    validFrom: (field) => typeof field === "string" && isoUtc.test(field),
    validTo: (field) => typeof field === "string" && isoUtc.test(field),
    sha256Fingerprint: isText,
    derBase64: isText,
  };
  const problems = Object.entries(fields)
    .filter(([field, isValid]) => !isValid(certificate[field]))
    .map(([field]) => `${at}.${field} is missing or malformed`);
  if (problems.length > 0) return problems;
  const der = Buffer.from(certificate.derBase64 as string, "base64");
  const fingerprint = createHash("sha256")
    .update(der)
    .digest("hex")
    .toUpperCase()
    .replace(/..(?!$)/g, "$&:");
  if (fingerprint !== certificate.sha256Fingerprint) {
    problems.push(`${at}.sha256Fingerprint does not match the certificate's DER`);
  }
  return problems;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isText(value: JsonValue | undefined): boolean {
  return typeof value === "string" && value !== "";
}

/** Reads the commit from `.git` without running git: HEAD, then the ref it names (loose or packed). */
export async function gitCommitOf(projectRoot: string): Promise<string | null> {
  try {
    const gitDir = path.join(projectRoot, ".git");
    const head = (await readFile(path.join(gitDir, "HEAD"), "utf8")).trim();
    if (/^[0-9a-f]{40}$/.test(head)) return head;
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    if (!ref) return null;
    const loose = await readFile(path.join(gitDir, ref), "utf8").catch(() => undefined);
    if (loose) return loose.trim();
    const packed = await readFile(path.join(gitDir, "packed-refs"), "utf8");
    return (
      packed
        .split("\n")
        .find((line) => line.endsWith(` ${ref}`))
        ?.slice(0, 40) ?? null
    );
  } catch {
    return null;
  }
}

/** What is known about the host clock's synchronisation (RELIABILITY E10): recorded, never assumed. */
export async function clockSource(): Promise<JsonObject> {
  const synchronised = await access("/run/systemd/timesync/synchronized").then(
    () => true,
    () => false,
  );
  return {
    source: "system clock",
    timeZoneOfRecord: "UTC",
    ntp: synchronised
      ? "systemd-timesyncd reports synchronised"
      : "unknown: no NTP status readable on this host",
  };
}

export function hostDescription(): JsonObject {
  return { platform: os.platform(), release: os.release(), arch: os.arch(), hostname: os.hostname() };
}
