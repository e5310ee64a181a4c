import { createHash } from "node:crypto";
import { access, readFile } from "node:fs/promises";
import { isIP } from "node:net";
import os from "node:os";
import path from "node:path";
import { Type, type TSchema } from "@sinclair/typebox";
import { Value, ValueErrorType } from "@sinclair/typebox/value";
import { UsageError } from "../core/errors.ts";
import type { JsonObject, JsonValue } from "../storage/records.ts";
import type { ConnectionFacts } from "../trawl/fetch-errors.ts";
import type { FetchResult } from "../trawl/fetcher.ts";
import type { TlsPeer } from "../trawl/tls-peer.ts";

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

const text = Type.String({ minLength: 1 });
const textOrNull = Type.Union([Type.String(), Type.Null()]);
const isoUtcTime = Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$" });
const certificateSchema = Type.Object(
  {
    subject: text,
    issuer: text,
    serialNumber: text,
    validFrom: isoUtcTime,
    validTo: isoUtcTime,
    sha256Fingerprint: Type.String({ pattern: "^[0-9A-F]{2}(:[0-9A-F]{2}){31}$" }),
    derBase64: text,
  },
  { additionalProperties: false },
);
const tlsHostSchema = Type.Object(
  {
    host: text,
    serverIp: text,
    protocol: text,
    cipher: text,
    certificates: Type.Array(certificateSchema, { minItems: 1, description: "leaf first" }),
  },
  { additionalProperties: false },
);
const openObject = Type.Object({}, { additionalProperties: true });

/**
 * The provenance of a capture as a JSON Schema (draft 2020-12 subset): the shape of every key. Published as
 * docs/provenance.schema.json so that anyone can check a capture.json with their own validator; what a schema
 * cannot say (a chain for each HTTPS host, fingerprints that match their DER) `validateProvenance` adds.
 */
export const provenanceSchema = Type.Object(
  {
    software: Type.Object(
      {
        name: text,
        version: text,
        gitSha: Type.Union([Type.String({ pattern: "^[0-9a-f]{40}$" }), Type.Null()]),
      },
      { additionalProperties: false },
    ),
    browser: Type.Union([openObject, Type.Null()]),
    browserUnavailableReason: textOrNull,
    userAgent: text,
    os: openObject,
    node: text,
    serverIp: textOrNull,
    egressIp: textOrNull,
    egressIpNote: textOrNull,
    tlsCertificates: Type.Union([Type.Array(tlsHostSchema), Type.Null()]),
    tlsCertificatesNote: textOrNull,
    effectiveOptions: openObject,
    blockedRequests: Type.Array(Type.Unknown()),
    operator: text,
    purpose: textOrNull,
    clock: openObject,
  },
  {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "urn:wildtrawl:capture-provenance:1",
    title: "wildtrawl capture provenance (RELIABILITY E2, E12)",
    additionalProperties: false,
  },
);

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
  // Missing and extra keys are named above, in words that say why; the schema judges the rest.
  const present = Object.fromEntries(
    provenanceKeys.filter((key) => key in value).map((key) => [key, value[key]]),
  );
  const shapeSchema = Type.Pick(provenanceSchema, Object.keys(present) as Array<keyof Provenance>);
  problems.push(...new Set(schemaProblems(shapeSchema, present)));
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

/**
 * The provenance keys that describe the connections: addresses and, per HTTPS host, the certificate chain. A fetch
 * that failed part-way (a body that stalled, a server error to the last attempt) still gives the connection it was
 * on, `failed`: the server did answer, and who answered is evidence.
 */
export function connectionProvenance(
  result: FetchResult | undefined,
  failureReason: string | null,
  failed?: { readonly url: string; readonly connection: ConnectionFacts | undefined },
): JsonObject {
  if (!result) {
    const why = `the fetch did not complete (${failureReason ?? "no exchange"})`;
    const connection = failed?.connection;
    if (!connection) {
      return {
        serverIp: null,
        egressIp: null,
        egressIpNote: why,
        tlsCertificates: null,
        tlsCertificatesNote: why,
      };
    }
    const { host, protocol } = new URL(failed.url);
    return {
      serverIp: connection.remoteAddress,
      egressIp: connection.localAddress ?? null,
      egressIpNote: `${why}: the local address of the connection it was on, as this host sees it`,
      tlsCertificates: connection.tlsPeer
        ? ([{ host, serverIp: connection.remoteAddress, ...connection.tlsPeer }] as unknown as JsonValue)
        : null,
      tlsCertificatesNote: protocol === "https:" ? why : `${why}; plain HTTP, no certificates: ${host}`,
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
  if (!Array.isArray(entries)) return problems;
  entries.forEach((entry, index) =>
    problems.push(...fingerprintProblems(entry, `tlsCertificates[${index}]`)),
  );
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

/**
 * A schema's complaints, each with the path to the value as a reader writes it (`tlsCertificates[0].host`). A value
 * that may be null but is not is judged against its other form, so the message says what is wrong with it.
 */
function schemaProblems(schema: TSchema, value: unknown, at = ""): string[] {
  const missing = new Set<string>();
  return [...Value.Errors(schema, value)].flatMap((error) => {
    const path = `${at}${error.path}`;
    if (missing.has(path)) return [];
    const otherForm = (error.schema.anyOf as TSchema[] | undefined)?.find((form) => form.type !== "null");
    if (otherForm && error.value !== null && error.value !== undefined)
      return schemaProblems(otherForm, error.value, path);
    const readable = path
      .split("/")
      .slice(1)
      .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
      .join("");
    if (error.type === ValueErrorType.ObjectRequiredProperty) {
      missing.add(path);
      return [`${readable} is missing`];
    }
    return [`${readable}: ${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}`];
  });
}

/** The DER of each certificate must hash to the fingerprint recorded beside it (the schema checked the shapes). */
function fingerprintProblems(entry: JsonValue, at: string): string[] {
  if (!isObject(entry) || !Array.isArray(entry.certificates)) return [];
  return entry.certificates.flatMap((certificate, index) => {
    if (!isObject(certificate) || typeof certificate.derBase64 !== "string") return [];
    const fingerprint = createHash("sha256")
      .update(Buffer.from(certificate.derBase64, "base64"))
      .digest("hex")
      .toUpperCase()
      .replace(/..(?!$)/g, "$&:");
    return fingerprint === certificate.sha256Fingerprint
      ? []
      : [`${at}.certificates[${index}].sha256Fingerprint does not match the certificate's DER`];
  });
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
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
