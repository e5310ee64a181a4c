import { NotFoundError, UsageError } from "../core/errors.ts";
import { holds, type Clearance, type Subject } from "../core/sharing/access-decision.ts";
import type {
  HandlingCode,
  SharingGroup,
  TlpMarking,
  User,
  UserClearance,
  UserRole,
} from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import { rolePermissions, type ApiRole } from "./access.ts";

/**
 * Who is asking about a shared object: the organisation and the actor the audit log names, and, when known, the
 * role and the person (for their clearance). The CLI acts for the organisation as its admin would.
 */
export interface SharingCaller {
  readonly organisationId: number;
  readonly actor: string;
  readonly role?: ApiRole;
  readonly userId?: number | null;
}

/**
 * What each role holds unless an admin sets less (docs/sharing.md): the organisation's own investigators hold every
 * marking, so an organisation's cases stay readable by its own people as before sharing existed; roles outside
 * investigations hold only what may be published.
 */
export const roleClearances: Readonly<Record<UserRole, Clearance>> = {
  admin: { marking: "RED", handling: "H3" },
  analyst: { marking: "RED", handling: "H3" },
  reviewer: { marking: "RED", handling: "H3" },
  ncb_officer: { marking: "RED", handling: "H3" },
  interpol_analyst: { marking: "RED", handling: "H3" },
  platform_officer: { marking: "CLEAR", handling: "H0" },
  secretariat: { marking: "GREEN", handling: "H0" },
  public: { marking: "CLEAR", handling: "H0" },
};

/** The markings the caller holds: the person's clearance if an admin set one, never beyond the role's. */
export async function clearanceOf(store: Pick<Store, "sharing">, caller: SharingCaller): Promise<Clearance> {
  const ceiling = roleClearances[caller.role ?? "admin"];
  const stored = caller.userId != null ? await store.sharing.clearanceOf(caller.userId) : null;
  return stored !== null && holds(ceiling, stored)
    ? { marking: stored.marking, handling: stored.handling }
    : ceiling;
}

/** The caller as the access decision sees them. */
export async function subjectOf(store: Pick<Store, "sharing">, caller: SharingCaller): Promise<Subject> {
  const role = caller.role ?? "admin";
  const groups = await store.sharing.groupsOf(caller.organisationId);
  return {
    organisationId: caller.organisationId,
    sharingGroupIds: groups.map((group) => group.id),
    clearance: await clearanceOf(store, caller),
    role: {
      write: rolePermissions["cases.write"].includes(role),
      share: rolePermissions["cases.share"].includes(role),
    },
  };
}

/** Sharing groups and clearances, for an organisation's admins (the API) and the command line. */
export function createSharingService(store: Store) {
  const organisationIds = async (slugs: readonly string[]): Promise<number[]> => {
    const ids: number[] = [];
    for (const slug of slugs) {
      const organisation = await store.organisations.getBySlug(slug);
      if (organisation === null)
        throw new NotFoundError("organisation_not_found", `no organisation "${slug}"`);
      ids.push(organisation.id);
    }
    return ids;
  };
  const userOf = async (caller: SharingCaller, userId: number): Promise<User> => {
    const user = await store.users.get(userId);
    if (user === null || user.organisationId !== caller.organisationId)
      throw new NotFoundError("user_not_found", `no user ${userId}`);
    return user;
  };

  return {
    async createGroup(
      caller: SharingCaller,
      group: { slug: string; name: string; members: readonly string[] },
    ): Promise<SharingGroup> {
      return store.sharing.createGroup(
        {
          organisationId: caller.organisationId,
          slug: group.slug,
          name: group.name,
          memberIds: await organisationIds(group.members),
        },
        caller.actor,
      );
    },

    /**
     * Adds and removes member organisations of a group the caller's organisation owns (audited). Access follows
     * membership as it is now: a removed member stops reading what the group reaches; a share made to it by name
     * stays until withdrawn.
     */
    async changeMembers(
      caller: SharingCaller,
      slug: string,
      change: { add?: readonly string[]; remove?: readonly string[] },
    ): Promise<SharingGroup> {
      const group = await store.sharing.getGroup(slug);
      if (group === null || group.organisationId !== caller.organisationId)
        throw new NotFoundError("sharing_group_not_found", `no sharing group "${slug}" of yours`);
      return store.sharing.changeMembers(
        group.id,
        { add: await organisationIds(change.add ?? []), remove: await organisationIds(change.remove ?? []) },
        caller.actor,
      );
    },

    /** The groups the caller's organisation belongs to. */
    listGroups(caller: SharingCaller): Promise<SharingGroup[]> {
      return store.sharing.groupsOf(caller.organisationId);
    },

    /** A person's clearance: as set, or their role's (`setBy` null). */
    async clearance(
      caller: SharingCaller,
      userId: number,
    ): Promise<Clearance & { userId: number; setBy: string | null; setAt: Date | null }> {
      const user = await userOf(caller, userId);
      const held = await clearanceOf(store, { ...caller, role: user.role as ApiRole, userId });
      const stored = await store.sharing.clearanceOf(userId);
      return { userId, ...held, setBy: stored?.setBy ?? null, setAt: stored?.setAt ?? null };
    },

    /** Sets what a person of the caller's organisation holds, never beyond their role's (audited). */
    async setClearance(
      caller: SharingCaller,
      userId: number,
      clearance: { marking: TlpMarking; handling: HandlingCode },
    ): Promise<UserClearance> {
      const user = await userOf(caller, userId);
      const ceiling = roleClearances[user.role];
      if (!holds(ceiling, clearance))
        throw new UsageError(
          "clearance_above_role",
          `a ${user.role} holds at most TLP:${ceiling.marking} and ${ceiling.handling}`,
        );
      return store.sharing.setClearance({ userId, ...clearance }, caller.actor, caller.organisationId);
    },

    /** For the command line: a person by email. */
    async userByEmail(email: string): Promise<User> {
      const user = await store.users.getByEmail(email);
      if (user === null) throw new NotFoundError("user_not_found", `no user "${email}"`);
      return user;
    },
  };
}

export type SharingService = ReturnType<typeof createSharingService>;
