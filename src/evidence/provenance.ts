import { access, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { UsageError } from "../core/errors.ts";
import type { JsonObject, JsonValue } from "../storage/records.ts";

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

export function validateProvenance(value: JsonObject): Provenance {
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
  if (problems.length > 0)
    throw new UsageError("provenance_invalid", `capture provenance: ${problems.join("; ")}`);
  return value as Provenance;
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
