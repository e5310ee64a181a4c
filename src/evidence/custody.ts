import { chainHash, genesisHash, verifyChain, type ChainBreak } from "../storage/hash-chain.ts";
import type { CustodyAction, CustodyEntry, JsonObject } from "../storage/records.ts";
import { custodyHashedFields } from "../storage/sql/evidence-repository.ts";
import type { Store } from "../storage/store.ts";

/**
 * The chain of custody (RELIABILITY E7): every capture, view, export, hand-over and annotation, with who, when and
 * why, in the storage layer's append-only, hash-chained log. Here: recording, walking and excerpting it.
 */

export interface CustodyVerification {
  readonly entries: number;
  /** `entryHash` of the last entry: what an anchor records. */
  readonly head: string;
  /** The first entry that does not fit, or null when the whole chain holds. */
  readonly break: (ChainBreak & { readonly message: string }) | null;
}

/** Walks the whole custody log, a page at a time, and names the first broken entry. */
export async function verifyCustodyLog(store: Store, pageSize = 1000): Promise<CustodyVerification> {
  let afterId = 0;
  let head = genesisHash;
  let count = 0;
  for (;;) {
    const page = await store.evidence.custodyLog({ afterId, limit: pageSize });
    if (page.length === 0) return { entries: count, head, break: null };
    const found = verifyChain(page, custodyHashedFields, head);
    if (found) {
      const entry = page[found.index]!;
      return {
        entries: count + found.index,
        head,
        break: {
          ...found,
          index: count + found.index,
          message:
            found.reason === "prev_hash"
              ? `custody entry ${entry.id} does not link to the entry before it (one was removed, inserted or reordered)`
              : `custody entry ${entry.id} was altered: its contents no longer match its hash`,
        },
      };
    }
    count += page.length;
    head = page[page.length - 1]!.entryHash;
    afterId = page[page.length - 1]!.id;
  }
}

/** A custody entry as it travels in an export: plain JSON, times as ISO 8601 UTC. */
export interface CustodyEntryJson {
  readonly id: number;
  readonly captureId: number;
  readonly organisationId: number;
  readonly actor: string;
  readonly action: CustodyAction;
  readonly purpose: string | null;
  readonly at: string;
  readonly details: JsonObject;
  readonly prevHash: string;
  readonly entryHash: string;
}

export function custodyEntryJson(entry: CustodyEntry): CustodyEntryJson {
  return {
    id: entry.id,
    captureId: entry.captureId,
    organisationId: entry.organisationId,
    actor: entry.actor,
    action: entry.action,
    purpose: entry.purpose,
    at: entry.at.toISOString(),
    details: entry.details,
    prevHash: entry.prevHash,
    entryHash: entry.entryHash,
  };
}

/** An entry of another capture inside an excerpt's range: only what links the chain, nothing about the entry. */
export interface HiddenCustodyEntry {
  readonly id: number;
  readonly redacted: true;
  readonly prevHash: string;
  readonly entryHash: string;
}

export type CustodyExcerptEntry = CustodyEntryJson | HiddenCustodyEntry;

const isHidden = (entry: CustodyExcerptEntry): entry is HiddenCustodyEntry =>
  "redacted" in entry && entry.redacted === true;

/**
 * A contiguous run of the custody log, from the first entry of `captureIds` to the last: their entries in full,
 * every other entry in between by its hashes alone, so that a removed, inserted or reordered entry breaks the links.
 */
export async function custodyExcerpt(
  store: Store,
  captureIds: ReadonlySet<number>,
): Promise<CustodyExcerptEntry[]> {
  const own = (await Promise.all([...captureIds].map((id) => store.evidence.custodyOf(id)))).flat();
  if (own.length === 0) return [];
  const firstId = Math.min(...own.map((entry) => entry.id));
  const lastId = Math.max(...own.map((entry) => entry.id));
  const excerpt: CustodyExcerptEntry[] = [];
  let afterId = firstId - 1;
  while (afterId < lastId) {
    const page = await store.evidence.custodyLog({ afterId, limit: 1000 });
    if (page.length === 0) break;
    for (const entry of page) {
      if (entry.id > lastId) break;
      excerpt.push(
        captureIds.has(entry.captureId)
          ? custodyEntryJson(entry)
          : { id: entry.id, redacted: true, prevHash: entry.prevHash, entryHash: entry.entryHash },
      );
    }
    afterId = page[page.length - 1]!.id;
  }
  return excerpt;
}

/**
 * Checks an excerpt of the custody log with no database: each full entry's hash matches its contents, and each
 * entry links to the one before it. Returns what is wrong with the first entry that does not fit, or null.
 */
export function verifyCustodyExcerpt(entries: readonly CustodyExcerptEntry[]): string | null {
  for (const [index, entry] of entries.entries()) {
    const previous = entries[index - 1];
    if (previous && entry.id !== previous.id + 1) {
      return `custody entry ${entry.id} does not follow entry ${previous.id} (entries removed, inserted or reordered)`;
    }
    if (previous && entry.prevHash !== previous.entryHash)
      return `custody entry ${entry.id} does not link to entry ${previous.id}`;
    if (!isHidden(entry)) {
      const fields = custodyHashedFields({ ...entry, at: new Date(entry.at) });
      if (chainHash(entry.prevHash, fields) !== entry.entryHash) {
        return `custody entry ${entry.id} (#${index + 1} in the excerpt) does not match its hash`;
      }
    }
  }
  return null;
}

/** Records a view, export, hand-over or annotation of a capture (who, why), in the chain. */
export async function recordCustody(
  store: Store,
  entry: {
    captureId: number;
    actor: string;
    action: CustodyAction;
    purpose?: string | null;
    details?: JsonObject;
  },
): Promise<CustodyEntry> {
  const capture = await store.evidence.getCapture(entry.captureId);
  if (!capture) throw new Error(`no capture ${entry.captureId}`);
  return store.evidence.appendCustody({ ...entry, organisationId: capture.organisationId });
}
