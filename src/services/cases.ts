import { NotFoundError, UsageError } from "../core/errors.ts";
import {
  decideAccess,
  decideShare,
  type AccessDecision,
  type Markings,
  type ShareProfile,
  type Subject,
} from "../core/sharing/access-decision.ts";
import { ConflictError } from "../storage/storage-errors.ts";
import type {
  Case,
  CaseListing,
  CaseShare,
  HandlingCode,
  Listing,
  NewCase,
  TlpMarking,
} from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import { PermissionError } from "./access.ts";
import { subjectOf, type SharingCaller } from "./sharing.ts";

/** The organisation, the actor the audit log names, and when known the role and person (services/sharing.ts). */
export type CaseCaller = SharingCaller;

/**
 * A case as one caller may see it: under the markings of the grant it reached them through (never weaker than the
 * case's own), with the owning organisation, and what the caller may do with it (role ∩ share, RELIABILITY A2).
 */
export interface CaseView extends Case {
  readonly owner: string;
  readonly access: { readonly write: boolean; readonly share: boolean };
}

/** A case's listing, with what an analyst needs to recognise it and whether evidence exists. */
export interface CaseListingDetail extends CaseListing {
  readonly listing: Pick<Listing, "id" | "title" | "url" | "verdict" | "lastSeenAt" | "removedAt">;
  readonly captures: number;
}

/** A share as asked for; organisations and groups by slug, what is left out narrowed from the grant passed on. */
export interface ShareCaseRequest {
  readonly organisation?: string;
  readonly sharingGroup?: string;
  readonly profile?: ShareProfile;
  readonly marking?: TlpMarking;
  readonly handling?: HandlingCode;
  readonly onwardHops?: number;
}

const notFound = (reference: string) => new NotFoundError("case_not_found", `no case "${reference}"`);

/**
 * Cases as a use case, shared by `wildtrawl case …` and the API. Every read, list, search, export and share goes
 * through `decideAccess` (core/sharing): a case that is neither the caller's organisation's nor distributed to it
 * under markings the caller holds answers exactly as a missing one (RELIABILITY A1, A6).
 */
export function createCaseService(store: Store) {
  const slugs = new Map<number, string>();
  const slugOf = async (organisationId: number): Promise<string> => {
    let slug = slugs.get(organisationId);
    if (slug === undefined) {
      slug = (await store.organisations.get(organisationId))?.slug ?? String(organisationId);
      slugs.set(organisationId, slug);
    }
    return slug;
  };

  const decide = (subject: Subject, found: Case, shares: readonly CaseShare[]): AccessDecision =>
    decideAccess(
      subject,
      { ...found, ownerOrganisationId: found.organisationId },
      shares.filter((share) => share.caseId === found.id),
    );

  const viewOf = async (found: Case, decision: AccessDecision): Promise<CaseView> => ({
    ...found,
    ...(decision.markings as Markings),
    owner: await slugOf(found.organisationId),
    access: { write: decision.write, share: decision.share },
  });

  /** The candidates (own, and others' distributed to the caller), each decided; only the readable come back. */
  const visible = async (
    caller: CaseCaller,
    reference?: string,
  ): Promise<Array<{ view: CaseView; found: Case; decision: AccessDecision; subject: Subject }>> => {
    const subject = await subjectOf(store, caller);
    const own =
      reference === undefined
        ? await store.cases.list(caller.organisationId)
        : [await store.cases.get(caller.organisationId, reference)].filter((c): c is Case => c !== null);
    const others = await store.sharing.casesReaching(
      caller.organisationId,
      subject.sharingGroupIds,
      reference,
    );
    const candidates = [...own, ...others];
    const shares = await store.sharing.sharesOf(candidates.map((c) => c.id));
    const readable = [];
    for (const found of candidates) {
      const decision = decide(subject, found, shares);
      if (decision.read) readable.push({ view: await viewOf(found, decision), found, decision, subject });
    }
    return readable;
  };

  /** The one case the reference names for the caller: their own first, else the one shared (`owner` to choose). */
  const resolve = async (caller: CaseCaller, reference: string, owner?: string) => {
    const found = (await visible(caller, reference)).filter(
      (entry) => owner === undefined || entry.view.owner === owner,
    );
    const own = found.find((entry) => entry.found.organisationId === caller.organisationId);
    if (own && owner === undefined) return own;
    if (found.length === 0) throw notFound(reference);
    if (found.length > 1)
      throw new ConflictError(
        "case_ambiguous",
        `several organisations share a case "${reference}" with you: name its owner (${found.map((e) => e.view.owner).join(", ")})`,
      );
    return found[0]!;
  };

  /** A refused attempt, audited for the caller's organisation before the refusal is thrown. */
  const refuse = async (
    caller: CaseCaller,
    found: Case,
    attempted: string,
    error: PermissionError,
  ): Promise<never> => {
    await store.audit.append({
      organisationId: caller.organisationId,
      actor: caller.actor,
      action: "case.unauthorized",
      subjectType: "case",
      subjectId: found.id,
      details: { outcome: "unauthorized", attempted, code: error.code, reason: error.message },
    });
    throw error;
  };

  return {
    /** The case for the caller, under the markings they see it with; `case_not_found` otherwise. */
    async ownCase(caller: CaseCaller, reference: string, owner?: string): Promise<CaseView> {
      return (await resolve(caller, reference, owner)).view;
    },

    /** Opens a case; `sharingGroup` names a group the organisation belongs to, whose members will read it. */
    async create(
      caller: CaseCaller,
      newCase: Omit<NewCase, "organisationId" | "sharingGroupId"> & { sharingGroup?: string },
    ): Promise<Case> {
      const { sharingGroup, ...rest } = newCase;
      const group =
        sharingGroup === undefined
          ? null
          : (await store.sharing.groupsOf(caller.organisationId)).find((g) => g.slug === sharingGroup);
      if (group === undefined)
        throw new NotFoundError("sharing_group_not_found", `no sharing group "${sharingGroup}" of yours`);
      return store.cases.create(
        { ...rest, sharingGroupId: group?.id ?? null, organisationId: caller.organisationId },
        caller.actor,
      );
    },

    /** The caller's organisation's cases and those shared with it that the caller may read, newest first. */
    async list(caller: CaseCaller, search: { text?: string } = {}): Promise<CaseView[]> {
      const needle = search.text?.trim().toLowerCase() ?? "";
      return (await visible(caller))
        .map((entry) => entry.view)
        .filter(
          (view) =>
            needle === "" ||
            view.reference.toLowerCase().includes(needle) ||
            view.title.toLowerCase().includes(needle),
        )
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id);
    },

    /**
     * Adds listings: the owner's, or the caller's own organisation's when the case was shared to it to write. A
     * share to read only refuses it, whatever the caller's role (`case_read_only`, audited, RELIABILITY A2).
     */
    async addListings(
      caller: CaseCaller,
      reference: string,
      listingIds: readonly number[],
      note: string | null = null,
      owner?: string,
    ): Promise<{ case: CaseView; added: CaseListing[] }> {
      const { view, found, decision } = await resolve(caller, reference, owner);
      if (!decision.write)
        await refuse(
          caller,
          found,
          "add listings",
          new PermissionError("case_read_only", `case "${reference}" is shared with you to read only`),
        );
      const added = await store.cases.addListings(found.id, listingIds, caller.actor, note, {
        listingOrganisationIds: [...new Set([found.organisationId, caller.organisationId])],
        organisationId: caller.organisationId,
      });
      return { case: view, added };
    },

    async show(
      caller: CaseCaller,
      reference: string,
      owner?: string,
    ): Promise<{ case: CaseView; listings: CaseListingDetail[] }> {
      const { view, found } = await resolve(caller, reference, owner);
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
      return { case: view, listings };
    },

    /**
     * Shares the case onward (RELIABILITY A3): decided and written in one transaction, so that a refusal is audited
     * beside what it was refused against; `share_widens` or `share_not_permitted` (403) when it would widen.
     */
    async share(
      caller: CaseCaller,
      reference: string,
      request: ShareCaseRequest,
      owner?: string,
    ): Promise<CaseShare> {
      const { found, subject } = await resolve(caller, reference, owner);
      const target =
        request.organisation !== undefined ? await store.organisations.getBySlug(request.organisation) : null;
      if (request.organisation !== undefined && target === null)
        throw new NotFoundError("organisation_not_found", `no organisation "${request.organisation}"`);
      const group =
        request.sharingGroup !== undefined ? await store.sharing.getGroup(request.sharingGroup) : null;
      if (request.sharingGroup !== undefined && group === null)
        throw new NotFoundError("sharing_group_not_found", `no sharing group "${request.sharingGroup}"`);
      if (target === null && group === null)
        throw new UsageError("share_target_invalid", "share with an organisation, a sharing group or both");
      if (target?.id === found.organisationId)
        throw new UsageError("share_target_invalid", "the case is that organisation's own");
      const outcome = await store.transaction(async (tx) => {
        const shares = await tx.sharing.sharesOf([found.id]);
        const groupIds = [
          ...new Set([
            ...(group ? [group.id] : []),
            ...shares.flatMap((share) => (share.sharingGroupId !== null ? [share.sharingGroupId] : [])),
          ]),
        ];
        const members = new Map((await tx.sharing.groups(groupIds)).map((g) => [g.id, g.memberIds]));
        const decision = decideShare(
          subject,
          { ...found, ownerOrganisationId: found.organisationId },
          shares,
          {
            organisationId: target?.id ?? null,
            sharingGroupId: group?.id ?? null,
            ...request,
          },
          (id) => members.get(id) ?? [],
        );
        if (!decision.allowed) {
          await tx.audit.append({
            organisationId: caller.organisationId,
            actor: caller.actor,
            action: "case.unauthorized",
            subjectType: "case",
            subjectId: found.id,
            details: {
              outcome: "unauthorized",
              attempted: "share",
              code: decision.code,
              reason: decision.reason,
              organisationId: target?.id ?? null,
              sharingGroupId: group?.id ?? null,
            },
          });
          return decision;
        }
        return tx.sharing.share(
          {
            ...decision.share,
            caseId: found.id,
            grantedByOrganisationId: caller.organisationId,
          },
          caller.actor,
        );
      });
      if ("allowed" in outcome)
        throw new PermissionError(outcome.code, `${outcome.reason} (case "${reference}")`);
      return outcome;
    },

    /**
     * Withdraws a share and every share passed on from it (audited). Only the case's owner and the organisation that
     * granted the share may: anyone else who reads the case gets `share_not_permitted`, audited; a share that is
     * not one in force of this case is `share_not_found`.
     */
    async withdrawShare(
      caller: CaseCaller,
      reference: string,
      shareId: number,
      owner?: string,
    ): Promise<{ withdrawn: number[] }> {
      const { found } = await resolve(caller, reference, owner);
      const share = (await store.sharing.sharesOf([found.id])).find((s) => s.id === shareId);
      if (share === undefined)
        throw new NotFoundError("share_not_found", `case "${reference}" has no share ${shareId} in force`);
      if (
        caller.organisationId !== found.organisationId &&
        caller.organisationId !== share.grantedByOrganisationId
      )
        await refuse(
          caller,
          found,
          "withdraw_share",
          new PermissionError(
            "share_not_permitted",
            `only the case's owner or the organisation that granted share ${shareId} can withdraw it`,
          ),
        );
      const withdrawn = await store.sharing.withdraw(found.id, shareId, caller.actor, caller.organisationId);
      // Withdrawn meanwhile by someone else: as if it had never been in force.
      if (withdrawn.length === 0)
        throw new NotFoundError("share_not_found", `case "${reference}" has no share ${shareId} in force`);
      return { withdrawn };
    },

    /** The shares the caller may see: all of them for the owner; else those made by or reaching the organisation. */
    async shares(caller: CaseCaller, reference: string, owner?: string): Promise<CaseShare[]> {
      const { found, decision, subject } = await resolve(caller, reference, owner);
      const shares = await store.sharing.sharesOf([found.id]);
      if (found.organisationId === caller.organisationId) return shares;
      const reaching = new Set(decision.grants.flatMap((grant) => (grant.share ? [grant.share.id] : [])));
      return shares.filter(
        (share) => share.grantedByOrganisationId === subject.organisationId || reaching.has(share.id),
      );
    },
  };
}

export type CaseService = ReturnType<typeof createCaseService>;
