import { NotFoundError } from "../core/errors.ts";
import type { Case, CaseListing, Listing, NewCase } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";

/** The organisation and the actor the audit log names; the CLI and the API each make one. */
export interface CaseCaller {
  readonly organisationId: number;
  readonly actor: string;
}

/** A case's listing, with what an analyst needs to recognise it and whether evidence exists. */
export interface CaseListingDetail extends CaseListing {
  readonly listing: Pick<Listing, "id" | "title" | "url" | "verdict" | "lastSeenAt" | "removedAt">;
  readonly captures: number;
}

/**
 * Cases as a use case, shared by `wildtrawl case …` and the API: always inside the caller's organisation, where
 * another organisation's case answers exactly as a missing one (RELIABILITY A6).
 */
export function createCaseService(store: Store) {
  const ownCase = async (caller: CaseCaller, reference: string): Promise<Case> => {
    const found = await store.cases.get(caller.organisationId, reference);
    if (found === null) throw new NotFoundError("case_not_found", `no case "${reference}"`);
    return found;
  };

  return {
    ownCase,

    create(caller: CaseCaller, newCase: Omit<NewCase, "organisationId">): Promise<Case> {
      return store.cases.create({ ...newCase, organisationId: caller.organisationId }, caller.actor);
    },

    list(caller: CaseCaller): Promise<Case[]> {
      return store.cases.list(caller.organisationId);
    },

    async addListings(
      caller: CaseCaller,
      reference: string,
      listingIds: readonly number[],
      note: string | null = null,
    ): Promise<{ case: Case; added: CaseListing[] }> {
      const found = await ownCase(caller, reference);
      return { case: found, added: await store.cases.addListings(found.id, listingIds, caller.actor, note) };
    },

    async show(
      caller: CaseCaller,
      reference: string,
    ): Promise<{ case: Case; listings: CaseListingDetail[] }> {
      const found = await ownCase(caller, reference);
      const listings: CaseListingDetail[] = [];
      for (const entry of await store.cases.listings(found.id)) {
        const listing = await store.listings.get(entry.listingId);
        if (listing === null) continue;
        const { id, title, url, verdict, lastSeenAt, removedAt } = listing;
        listings.push({
          ...entry,
          listing: { id, title, url, verdict, lastSeenAt, removedAt },
          captures: (await store.evidence.listCaptures(entry.listingId)).length,
        });
      }
      return { case: found, listings };
    },
  };
}

export type CaseService = ReturnType<typeof createCaseService>;
