import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { WildtrawlError } from "../core/errors.ts";
import { genesisHash } from "../storage/hash-chain.ts";
import type { Store } from "../storage/store.ts";
import { fsyncDirectory, sha256Hex } from "./atomic-files.ts";
import { verifyCustodyLog } from "./custody.ts";
import type { TsaConfig } from "./package-export.ts";
import { publicKeyFingerprint, signDigest, verifyDigest, type SigningKey } from "./signing-keys.ts";
import { requestTimestamp, verifyTimestamp } from "./timestamp.ts";

/**
 * Anchors of the custody log (RELIABILITY E7). The hash chain shows an edit, an insertion or a reordering, but not
 * the loss of the newest entries: a truncated chain is still a valid chain. So every few minutes the head (the last
 * entry's id and hash) is signed, time-stamped by the configured TSAs, and written as files to a folder that should
 * live off the database host (a mounted share, a bucket synced by the operator). Verification then checks the log
 * against every anchor: an anchored entry that is gone or changed means the log lost or rewrote entries.
 */

export const anchorFormat = "wildtrawl-custody-anchor/1";

/** At most this long between anchors while the log changes (E7: "every ≤ 15 min"). */
export const anchorIntervalMs = 15 * 60_000;

export interface CustodyAnchor {
  readonly format: typeof anchorFormat;
  /** The last entry's id when anchored; 0 for an empty log. */
  readonly headId: number;
  readonly headHash: string;
  readonly entries: number;
  readonly anchoredAt: string;
  readonly signingKey: { readonly algorithm: "Ed25519"; readonly fingerprint: string };
  /** Tokens over the SHA-256 of this file's signed bytes, stored beside it. */
  readonly timestamps: ReadonlyArray<{
    readonly tsaUrl: string;
    readonly genTime: string;
    readonly file: string;
  }>;
}

export class CustodyAnchorError extends WildtrawlError {}

export interface AnchorDeps {
  readonly store: Store;
  readonly signingKey: SigningKey;
  readonly anchorsDir: string;
  readonly tsa?: readonly TsaConfig[];
  readonly clock?: () => Date;
}

/**
 * Signs and stamps the current head unless the newest anchor already holds it. Refuses to anchor a broken chain:
 * that would vouch for a log that was tampered with.
 */
export async function anchorCustodyHead(
  deps: AnchorDeps,
): Promise<{ anchor: CustodyAnchor; file: string; created: boolean }> {
  const clock = deps.clock ?? (() => new Date());
  const walked = await verifyCustodyLog(deps.store);
  if (walked.break) {
    throw new CustodyAnchorError(
      "custody_broken",
      `will not anchor a broken custody log: ${walked.break.message}`,
    );
  }
  const headId = walked.entries === 0 ? 0 : await lastEntryId(deps.store);
  const newest = (await readAnchors(deps.anchorsDir)).at(-1);
  if (newest && newest.anchor.headId === headId && newest.anchor.headHash === walked.head) {
    return { anchor: newest.anchor, file: newest.file, created: false };
  }

  await mkdir(deps.anchorsDir, { recursive: true });
  const anchoredAt = clock();
  const base = `custody-anchor-${String(headId).padStart(12, "0")}-${compactUtc(anchoredAt)}`;
  const unstamped = {
    format: anchorFormat,
    headId,
    headHash: walked.head,
    entries: walked.entries,
    anchoredAt: anchoredAt.toISOString(),
    signingKey: { algorithm: "Ed25519", fingerprint: deps.signingKey.fingerprint },
  } as const;
  // The tokens cover the head itself; the anchor file then names them and is signed as a whole.
  const headDigest = Buffer.from(sha256Hex(JSON.stringify(unstamped)), "hex");
  const files = new Map<string, Buffer>();
  const timestamps: Array<CustodyAnchor["timestamps"][number]> = [];
  for (const [index, tsa] of (deps.tsa ?? []).entries()) {
    const { token, nonce } = await requestTimestamp(tsa.url, headDigest);
    const verified = verifyTimestamp(token, { digest: headDigest, trustedCaPem: tsa.caPem, nonce });
    const file = `${base}.${index + 1}.tsr`;
    files.set(file, token);
    timestamps.push({ tsaUrl: tsa.url, genTime: verified.genTime.toISOString(), file });
  }
  const anchor: CustodyAnchor = { ...unstamped, timestamps };
  const bytes = Buffer.from(`${JSON.stringify(anchor, null, 2)}\n`, "utf8");
  files.set(`${base}.json.sig`, signDigest(deps.signingKey, Buffer.from(sha256Hex(bytes), "hex")));
  // The JSON goes last: an anchor is read only through its JSON, so a crash leaves no half anchor behind.
  files.set(`${base}.json`, bytes);
  for (const [name, content] of files) await writeDurably(path.join(deps.anchorsDir, name), content);
  await fsyncDirectory(deps.anchorsDir);
  return { anchor, file: path.join(deps.anchorsDir, `${base}.json`), created: true };
}

/** The JSON of the anchor a head was recorded in; verifying it needs the digest the tokens cover. */
export function anchoredHeadDigest(anchor: CustodyAnchor): Buffer {
  const { timestamps: _timestamps, ...unstamped } = anchor;
  return Buffer.from(sha256Hex(JSON.stringify(unstamped)), "hex");
}

export interface AnchorCheck {
  readonly anchors: number;
  /** The newest anchor that holds, or null. */
  readonly newest: CustodyAnchor | null;
  /** The first problem, in words that name the anchor and the entry; null when the log matches every anchor. */
  readonly problem: string | null;
}

/**
 * Checks the custody log against every anchor in `anchorsDir`: each anchor's signature (by `publicKeyPem`), its
 * time-stamps (when `trustedCaPem` is given), and that the entry it anchored is still in the log with the same
 * hash. The chain itself is walked too, so a log that passes is intact up to its newest anchor and beyond.
 */
export async function verifyCustodyAnchors(
  store: Store,
  anchorsDir: string,
  publicKeyPem: string,
  options: { readonly trustedCaPem?: string } = {},
): Promise<AnchorCheck> {
  const anchors = await readAnchors(anchorsDir);
  const walked = await verifyCustodyLog(store);
  if (walked.break) return { anchors: anchors.length, newest: null, problem: walked.break.message };
  const fingerprint = publicKeyFingerprint(publicKeyPem);
  const hashes = await entryHashes(store, new Set(anchors.map(({ anchor }) => anchor.headId)));
  let newest: CustodyAnchor | null = null;
  for (const { anchor, file, bytes } of anchors) {
    const name = path.basename(file);
    const signature = await readFile(`${file}.sig`).catch(() => null);
    if (signature === null)
      return { anchors: anchors.length, newest, problem: `${name}: its signature file is missing` };
    if (anchor.signingKey.fingerprint !== fingerprint) {
      return {
        anchors: anchors.length,
        newest,
        problem: `${name} was signed by another key (${anchor.signingKey.fingerprint})`,
      };
    }
    if (!verifyDigest(publicKeyPem, Buffer.from(sha256Hex(bytes), "hex"), signature)) {
      return {
        anchors: anchors.length,
        newest,
        problem: `${name}: the signature does not match (the anchor was changed)`,
      };
    }
    if (options.trustedCaPem !== undefined) {
      for (const stamp of anchor.timestamps) {
        const token = await readFile(path.join(anchorsDir, stamp.file)).catch(() => null);
        if (token === null)
          return { anchors: anchors.length, newest, problem: `${name}: time-stamp ${stamp.file} is missing` };
        try {
          verifyTimestamp(token, { digest: anchoredHeadDigest(anchor), trustedCaPem: options.trustedCaPem });
        } catch (error) {
          return { anchors: anchors.length, newest, problem: `${name}: ${(error as Error).message}` };
        }
      }
    }
    if (anchor.headId !== 0) {
      const hash = hashes.get(anchor.headId);
      if (hash === undefined) {
        return {
          anchors: anchors.length,
          newest,
          problem:
            `custody entry ${anchor.headId}, anchored at ${anchor.anchoredAt} (${name}), is missing from the log: ` +
            `entries were removed (the log now has ${walked.entries})`,
        };
      }
      if (hash !== anchor.headHash) {
        return {
          anchors: anchors.length,
          newest,
          problem: `custody entry ${anchor.headId} differs from the hash anchored at ${anchor.anchoredAt} (${name})`,
        };
      }
    } else if (anchor.headHash !== genesisHash) {
      return {
        anchors: anchors.length,
        newest,
        problem: `${name}: an empty log's anchor must hold the genesis hash`,
      };
    }
    newest = anchor;
  }
  return { anchors: anchors.length, newest, problem: null };
}

/**
 * Anchors now, then every `intervalMs`, until stopped. A failure (TSA down, folder unwritable) is reported and
 * retried at the next tick: the log itself is never held up by its anchoring.
 */
export function startCustodyAnchoring(
  deps: AnchorDeps,
  options: { readonly intervalMs?: number; readonly onError: (error: unknown) => void },
): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = running.then(() => anchorCustodyHead(deps)).catch(options.onError);
  };
  tick();
  const timer = setInterval(tick, options.intervalMs ?? anchorIntervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

async function readAnchors(
  anchorsDir: string,
): Promise<Array<{ anchor: CustodyAnchor; file: string; bytes: Buffer }>> {
  const names = await readdir(anchorsDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [] as string[];
    throw error;
  });
  const anchors: Array<{ anchor: CustodyAnchor; file: string; bytes: Buffer }> = [];
  for (const name of names.filter((n) => /^custody-anchor-\d{12}-\d{8}T\d{6}Z\.json$/.test(n)).sort()) {
    const file = path.join(anchorsDir, name);
    const bytes = await readFile(file);
    let anchor: CustodyAnchor;
    try {
      anchor = JSON.parse(bytes.toString("utf8")) as CustodyAnchor;
    } catch (error) {
      throw new CustodyAnchorError(
        "anchor_unreadable",
        `${file} is not valid JSON: ${(error as Error).message}`,
      );
    }
    if (
      anchor.format !== anchorFormat ||
      !Number.isSafeInteger(anchor.headId) ||
      typeof anchor.headHash !== "string"
    ) {
      throw new CustodyAnchorError("anchor_unreadable", `${file} is not a ${anchorFormat} file`);
    }
    anchors.push({ anchor, file, bytes });
  }
  return anchors;
}

async function lastEntryId(store: Store): Promise<number> {
  let afterId = 0;
  for (;;) {
    const page = await store.evidence.custodyLog({ afterId, limit: 1000 });
    if (page.length === 0) return afterId;
    afterId = page[page.length - 1]!.id;
  }
}

async function entryHashes(store: Store, ids: ReadonlySet<number>): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  let afterId = 0;
  for (;;) {
    const page = await store.evidence.custodyLog({ afterId, limit: 1000 });
    if (page.length === 0) return found;
    for (const entry of page) if (ids.has(entry.id)) found.set(entry.id, entry.entryHash);
    afterId = page[page.length - 1]!.id;
  }
}

async function writeDurably(file: string, content: Buffer): Promise<void> {
  const temp = `${file}.${randomBytes(4).toString("hex")}.part`;
  const handle = await open(temp, "wx");
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function compactUtc(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
}
