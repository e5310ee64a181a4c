/**
 * Who may read, change and pass on a shared object (RELIABILITY A1–A3, docs/sharing.md). Pure: every read, list,
 * search, export and share of a shared object asks these functions, so the rule lives in this one place.
 *
 * Deny by default: an object is readable only through a grant whose readers include the user's organisation (the
 * owner's own grant, the object's sharing group, or a share) and whose markings the user holds, all of them. A share
 * never carries weaker markings than the object, so holding a grant's markings means holding the object's.
 */

/** Traffic Light Protocol 2.0, least to most restrictive. */
export const tlpMarkings = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"] as const;
export type TlpMarking = (typeof tlpMarkings)[number];

/**
 * Handling codes after Europol's, least to most restrictive: H0 none, H1 not as evidence in court without the
 * provider's permission, H2 not to be disseminated without it, H3 other restrictions.
 */
export const handlingCodes = ["H0", "H1", "H2", "H3"] as const;
export type HandlingCode = (typeof handlingCodes)[number];

/** What a share lets its readers do besides read: "write" adds listings; neither widens the role's own rights. */
export const shareProfiles = ["read", "write"] as const;
export type ShareProfile = (typeof shareProfiles)[number];

/** At most this many onward hops: the owner's share may allow two, a recipient's one, its recipient's none. */
export const maxOnwardHops = 2;

export interface Markings {
  readonly marking: TlpMarking;
  readonly handling: HandlingCode;
}

/**
 * The most restrictive marking and handling code a user holds; holding one level holds every less restrictive one
 * (OpenCTI's "maximum marking" per type).
 */
export type Clearance = Markings;

export interface SharedObject extends Markings {
  readonly ownerOrganisationId: number;
  /** Its members read the object under its own markings and may not pass it on. */
  readonly sharingGroupId: number | null;
}

/**
 * A distribution of the object. Readers: the organisation if one is named, else the sharing group's members. The
 * group is also the scope inside which readers may pass it on while `onwardHops` remains.
 */
export interface Share extends Markings {
  readonly id: number;
  readonly organisationId: number | null;
  readonly sharingGroupId: number | null;
  readonly profile: ShareProfile;
  readonly onwardHops: number;
  readonly parentShareId: number | null;
  readonly grantedByOrganisationId: number;
}

/** One way a user may reach the object: the owner's own, the object's sharing group, or a share. */
export interface Grant extends Markings {
  readonly share: Share | null;
  readonly readers: { readonly organisationId: number } | { readonly sharingGroupId: number };
  readonly profile: ShareProfile;
  readonly onwardHops: number;
  /** Where its readers may pass the object on: "anyone" for the owner, else a group (or nowhere). */
  readonly onwardScope: "anyone" | { readonly sharingGroupId: number } | null;
}

export interface Subject {
  readonly organisationId: number;
  /** The sharing groups the user's organisation belongs to. */
  readonly sharingGroupIds: readonly number[];
  readonly clearance: Clearance;
  /** What the user's role allows on cases in general; a grant can only narrow it (A2). */
  readonly role: { readonly write: boolean; readonly share: boolean };
}

export interface AccessDecision {
  readonly read: boolean;
  /** Role ∩ share profile (A2). */
  readonly write: boolean;
  readonly share: boolean;
  /** The markings the user sees the object under: the least restrictive grant that reaches them. */
  readonly markings: Markings | null;
  /** The grants that reach the user and whose markings they hold, least restrictive first. */
  readonly grants: readonly Grant[];
}

const rank = <T extends string>(levels: readonly T[], level: T): number => levels.indexOf(level);
export const tlpRank = (marking: TlpMarking): number => rank(tlpMarkings, marking);
export const handlingRank = (code: HandlingCode): number => rank(handlingCodes, code);

/** True if `a` is at least as restrictive as `b` in both marking and handling. */
export function atLeastAsStrict(a: Markings, b: Markings): boolean {
  return tlpRank(a.marking) >= tlpRank(b.marking) && handlingRank(a.handling) >= handlingRank(b.handling);
}

export function holds(clearance: Clearance, markings: Markings): boolean {
  return atLeastAsStrict(clearance, markings);
}

/** TLP:RED is for named recipients only and AMBER+STRICT for the recipient organisation only: no onward hop. */
export function onwardHopsAllowed(markings: Markings, requested: number): number {
  return markings.marking === "RED" || markings.marking === "AMBER+STRICT" ? 0 : requested;
}

/** Every grant of the object: the owner's, the object's sharing group's, then each share's. */
export function grantsOf(object: SharedObject, shares: readonly Share[]): Grant[] {
  const own = { marking: object.marking, handling: object.handling };
  const grants: Grant[] = [
    {
      ...own,
      share: null,
      readers: { organisationId: object.ownerOrganisationId },
      profile: "write",
      onwardHops: maxOnwardHops,
      onwardScope: "anyone",
    },
  ];
  if (object.sharingGroupId !== null)
    grants.push({
      ...own,
      share: null,
      readers: { sharingGroupId: object.sharingGroupId },
      profile: "read",
      onwardHops: 0,
      onwardScope: null,
    });
  for (const share of shares)
    grants.push({
      marking: share.marking,
      handling: share.handling,
      share,
      readers:
        share.organisationId !== null
          ? { organisationId: share.organisationId }
          : { sharingGroupId: share.sharingGroupId! },
      profile: share.profile,
      onwardHops: share.onwardHops,
      onwardScope: share.sharingGroupId !== null ? { sharingGroupId: share.sharingGroupId } : null,
    });
  return grants;
}

function reaches(grant: Grant, subject: Subject): boolean {
  return "organisationId" in grant.readers
    ? grant.readers.organisationId === subject.organisationId
    : subject.sharingGroupIds.includes(grant.readers.sharingGroupId);
}

/** The one access decision for a shared object (A1, A2). */
export function decideAccess(
  subject: Subject,
  object: SharedObject,
  shares: readonly Share[],
): AccessDecision {
  const grants = grantsOf(object, shares)
    .filter((grant) => reaches(grant, subject) && holds(subject.clearance, grant))
    .sort(
      (a, b) =>
        tlpRank(a.marking) - tlpRank(b.marking) || handlingRank(a.handling) - handlingRank(b.handling),
    );
  const first = grants[0];
  return {
    read: first !== undefined,
    write: subject.role.write && grants.some((grant) => grant.profile === "write"),
    share: subject.role.share && grants.some((grant) => grant.onwardHops > 0 && grant.onwardScope !== null),
    markings: first ? { marking: first.marking, handling: first.handling } : null,
    grants,
  };
}

/** A share someone asks to make; what is left out is inherited from the grant it passes on (MISP's downgrade). */
export interface ShareRequest {
  readonly organisationId: number | null;
  readonly sharingGroupId: number | null;
  readonly profile?: ShareProfile;
  readonly marking?: TlpMarking;
  readonly handling?: HandlingCode;
  readonly onwardHops?: number;
}

export type ShareDecision =
  | {
      readonly allowed: true;
      /** The grant passed on: its share becomes the new share's parent (null: the owner's own). */
      readonly parent: Grant;
      readonly share: Omit<Share, "id" | "grantedByOrganisationId">;
    }
  | {
      readonly allowed: false;
      readonly code: "share_not_permitted" | "share_widens";
      readonly reason: string;
    };

/**
 * May the subject make this share (A3)? Only through a grant it holds with an onward hop left, to readers inside
 * that grant's scope, with markings at least as strict, a profile no wider and fewer hops left. Defaults narrow:
 * the markings and profile of the grant passed on, one hop fewer.
 */
export function decideShare(
  subject: Subject,
  object: SharedObject,
  shares: readonly Share[],
  request: ShareRequest,
  membersOf: (sharingGroupId: number) => readonly number[],
): ShareDecision {
  const access = decideAccess(subject, object, shares);
  const parents = access.grants.filter((grant) => grant.onwardHops > 0 && grant.onwardScope !== null);
  if (!access.share || parents.length === 0)
    return { allowed: false, code: "share_not_permitted", reason: "you may not pass this case on" };
  const audience = new Set<number>([
    ...(request.organisationId !== null ? [request.organisationId] : []),
    ...(request.sharingGroupId !== null ? membersOf(request.sharingGroupId) : []),
  ]);
  let reason = "";
  for (const parent of parents) {
    const markings: Markings = {
      marking: request.marking ?? parent.marking,
      handling: request.handling ?? parent.handling,
    };
    const profile = request.profile ?? (parent.share === null ? "read" : parent.profile);
    const hops = onwardHopsAllowed(markings, request.onwardHops ?? parent.onwardHops - 1);
    const scope = parent.onwardScope;
    const inScope =
      scope === "anyone" ||
      [...audience].every((id) => scope !== null && membersOf(scope.sharingGroupId).includes(id));
    if (!inScope) reason = "the audience is wider than the one you received";
    else if (!atLeastAsStrict(markings, parent)) reason = "the marking is weaker than the one you received";
    else if (profile === "write" && parent.profile !== "write")
      reason = "the profile is wider than the one you received";
    else if (hops >= parent.onwardHops || hops < 0 || (request.onwardHops ?? hops) !== hops)
      reason = "the onward hops are more than the one you received allows";
    else
      return {
        allowed: true,
        parent,
        share: {
          ...markings,
          organisationId: request.organisationId,
          sharingGroupId: request.sharingGroupId,
          profile,
          onwardHops: hops,
          parentShareId: parent.share?.id ?? null,
        },
      };
  }
  return { allowed: false, code: "share_widens", reason };
}

/** The organisations a share may ever reach: its readers and the scope they may pass it on in. */
export function audienceOf(
  share: Pick<Share, "organisationId" | "sharingGroupId">,
  membersOf: (sharingGroupId: number) => readonly number[],
): Set<number> {
  return new Set([
    ...(share.organisationId !== null ? [share.organisationId] : []),
    ...(share.sharingGroupId !== null ? membersOf(share.sharingGroupId) : []),
  ]);
}
