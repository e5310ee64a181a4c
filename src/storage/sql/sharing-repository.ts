import { UsageError } from "../../core/errors.ts";
import type {
  Case,
  CaseShare,
  HandlingCode,
  NewCaseShare,
  NewSharingGroup,
  ShareProfile,
  SharingGroup,
  TlpMarking,
  UserClearance,
} from "../records.ts";
import { ConflictError } from "../storage-errors.ts";
import type { SharingRepository } from "../store.ts";
import { caseFromRow } from "./case-repository.ts";
import { toDate, toNumber, toNumberOrNull, toText } from "./rows.ts";
import { auditIn, type SqlContext } from "./sql-context.ts";
import { isRaceLost } from "./sql-errors.ts";
import { placeholders, type SqlExecutor, type SqlRow } from "./sql-executor.ts";

function shareFromRow(row: SqlRow): CaseShare {
  return {
    id: toNumber(row.id),
    caseId: toNumber(row.case_id),
    organisationId: toNumberOrNull(row.organisation_id),
    sharingGroupId: toNumberOrNull(row.sharing_group_id),
    profile: toText(row.profile) as ShareProfile,
    marking: toText(row.marking) as TlpMarking,
    handling: toText(row.handling) as HandlingCode,
    onwardHops: toNumber(row.onward_hops),
    parentShareId: toNumberOrNull(row.parent_share_id),
    grantedByOrganisationId: toNumber(row.granted_by_organisation_id),
    createdBy: toText(row.created_by),
    createdAt: toDate(row.created_at),
  };
}

const slugShape = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export class SqlSharingRepository implements SharingRepository {
  readonly #db: SqlExecutor;
  readonly #context: SqlContext;

  constructor(db: SqlExecutor, context: SqlContext) {
    this.#db = db;
    this.#context = context;
  }

  async #groupsWhere(where: string, params: readonly (number | string)[]): Promise<SharingGroup[]> {
    const rows = await this.#db.all(`SELECT * FROM sharing_groups WHERE ${where} ORDER BY slug`, params);
    if (rows.length === 0) return [];
    const ids = rows.map((row) => toNumber(row.id));
    const members = await this.#db.all(
      `SELECT sharing_group_id, organisation_id FROM sharing_group_members
       WHERE sharing_group_id IN (${placeholders(ids.length)}) ORDER BY organisation_id`,
      ids,
    );
    return rows.map((row) => ({
      id: toNumber(row.id),
      organisationId: toNumber(row.organisation_id),
      slug: toText(row.slug),
      name: toText(row.name),
      memberIds: members
        .filter((member) => toNumber(member.sharing_group_id) === toNumber(row.id))
        .map((member) => toNumber(member.organisation_id)),
      createdBy: toText(row.created_by),
      createdAt: toDate(row.created_at),
    }));
  }

  async createGroup(group: NewSharingGroup, actor: string): Promise<SharingGroup> {
    const problems: string[] = [];
    if (!slugShape.test(group.slug)) problems.push(`slug "${group.slug}": a-z, 0-9 and -, at most 64`);
    if (group.name.trim() === "" || group.name.length > 200) problems.push("name: 1–200 characters");
    if (problems.length > 0)
      throw new UsageError("sharing_group_invalid", `sharing group: ${problems.join("; ")}`);
    const exists = () => new ConflictError("sharing_group_exists", `a sharing group "${group.slug}" exists`);
    const memberIds = [...new Set([group.organisationId, ...group.memberIds])].sort((a, b) => a - b);
    try {
      return await this.#db.transaction(async (tx) => {
        const row = await tx.get(
          `INSERT INTO sharing_groups (organisation_id, slug, name, created_by, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (slug) DO NOTHING RETURNING id`,
          [group.organisationId, group.slug, group.name.trim(), actor, this.#context.clock()],
        );
        if (row === undefined) throw exists();
        const id = toNumber(row.id);
        for (const organisationId of memberIds)
          await tx.run(
            "INSERT INTO sharing_group_members (sharing_group_id, organisation_id) VALUES (?, ?)",
            [id, organisationId],
          );
        await auditIn(tx, this.#context, {
          organisationId: group.organisationId,
          actor,
          action: "sharing_group.created",
          subjectType: "sharing_group",
          subjectId: id,
          details: { slug: group.slug, memberIds },
        });
        const [created] = await new SqlSharingRepository(tx, this.#context).groups([id]);
        return created!;
      });
    } catch (error) {
      if (isRaceLost(error)) throw exists();
      throw error;
    }
  }

  async getGroup(slug: string): Promise<SharingGroup | null> {
    return (await this.#groupsWhere("slug = ?", [slug]))[0] ?? null;
  }

  async groups(ids: readonly number[]): Promise<SharingGroup[]> {
    if (ids.length === 0) return [];
    return this.#groupsWhere(`id IN (${placeholders(ids.length)})`, ids);
  }

  async groupsOf(organisationId: number): Promise<SharingGroup[]> {
    return this.#groupsWhere(
      "id IN (SELECT sharing_group_id FROM sharing_group_members WHERE organisation_id = ?)",
      [organisationId],
    );
  }

  async changeMembers(
    groupId: number,
    change: { add?: readonly number[]; remove?: readonly number[] },
    actor: string,
  ): Promise<SharingGroup> {
    return this.#db.transaction(async (tx) => {
      const inTx = new SqlSharingRepository(tx, this.#context);
      const [group] = await inTx.groups([groupId]);
      if (group === undefined) throw new UsageError("sharing_group_not_found", `no sharing group ${groupId}`);
      if (change.remove?.includes(group.organisationId))
        throw new UsageError(
          "sharing_group_owner",
          `the owner of sharing group "${group.slug}" stays a member`,
        );
      const members = new Set(group.memberIds);
      const added = [...new Set(change.add ?? [])].filter((id) => !members.has(id));
      const removed = [...new Set(change.remove ?? [])].filter((id) => members.has(id));
      for (const organisationId of added)
        await tx.run("INSERT INTO sharing_group_members (sharing_group_id, organisation_id) VALUES (?, ?)", [
          groupId,
          organisationId,
        ]);
      for (const organisationId of removed)
        await tx.run("DELETE FROM sharing_group_members WHERE sharing_group_id = ? AND organisation_id = ?", [
          groupId,
          organisationId,
        ]);
      if (added.length > 0 || removed.length > 0)
        await auditIn(tx, this.#context, {
          organisationId: group.organisationId,
          actor,
          action: "sharing_group.members_changed",
          subjectType: "sharing_group",
          subjectId: groupId,
          details: { slug: group.slug, added, removed },
        });
      return (await inTx.groups([groupId]))[0]!;
    });
  }

  async share(share: NewCaseShare, actor: string): Promise<CaseShare> {
    return this.#db.transaction(async (tx) => {
      const caseRow = await tx.get("SELECT organisation_id, reference FROM cases WHERE id = ?", [
        share.caseId,
      ]);
      if (caseRow === undefined) throw new UsageError("case_not_found", `no case ${share.caseId}`);
      const row = await tx.get(
        `INSERT INTO case_shares (case_id, organisation_id, sharing_group_id, profile, marking, handling, onward_hops,
           parent_share_id, granted_by_organisation_id, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [
          share.caseId,
          share.organisationId,
          share.sharingGroupId,
          share.profile,
          share.marking,
          share.handling,
          share.onwardHops,
          share.parentShareId,
          share.grantedByOrganisationId,
          actor,
          this.#context.clock(),
        ],
      );
      const created = shareFromRow(row!);
      const ownerId = toNumber(caseRow.organisation_id);
      for (const organisationId of new Set([share.grantedByOrganisationId, ownerId]))
        await auditIn(tx, this.#context, {
          organisationId,
          actor,
          action: "case.shared",
          subjectType: "case",
          subjectId: share.caseId,
          details: {
            reference: toText(caseRow.reference),
            shareId: created.id,
            organisationId: created.organisationId,
            sharingGroupId: created.sharingGroupId,
            profile: created.profile,
            marking: created.marking,
            handling: created.handling,
            onwardHops: created.onwardHops,
            parentShareId: created.parentShareId,
            grantedByOrganisationId: created.grantedByOrganisationId,
          },
        });
      return created;
    });
  }

  async sharesOf(caseIds: readonly number[]): Promise<CaseShare[]> {
    const shares: CaseShare[] = [];
    for (let start = 0; start < caseIds.length; start += 500) {
      const chunk = caseIds.slice(start, start + 500);
      const rows = await this.#db.all(
        `SELECT * FROM case_shares WHERE case_id IN (${placeholders(chunk.length)}) AND withdrawn_at IS NULL
         ORDER BY id`,
        chunk,
      );
      shares.push(...rows.map(shareFromRow));
    }
    return shares.sort((a, b) => a.id - b.id);
  }

  async withdraw(caseId: number, shareId: number, actor: string, organisationId: number): Promise<number[]> {
    return this.#db.transaction(async (tx) => {
      const caseRow = await tx.get("SELECT organisation_id, reference FROM cases WHERE id = ?", [caseId]);
      if (caseRow === undefined) return [];
      const shares = await new SqlSharingRepository(tx, this.#context).sharesOf([caseId]);
      if (!shares.some((share) => share.id === shareId)) return [];
      // Shares are passed on only from older ones, so one pass in id order finds every descendant.
      const withdrawn = new Set([shareId]);
      for (const share of shares)
        if (share.parentShareId !== null && withdrawn.has(share.parentShareId)) withdrawn.add(share.id);
      const ids = [...withdrawn];
      await tx.run(
        `UPDATE case_shares SET withdrawn_at = ?, withdrawn_by = ? WHERE id IN (${placeholders(ids.length)})`,
        [this.#context.clock(), actor, ...ids],
      );
      for (const auditedFor of new Set([organisationId, toNumber(caseRow.organisation_id)]))
        await auditIn(tx, this.#context, {
          organisationId: auditedFor,
          actor,
          action: "case.share_withdrawn",
          subjectType: "case",
          subjectId: caseId,
          details: { reference: toText(caseRow.reference), shareId, withdrawnShareIds: ids },
        });
      return ids;
    });
  }

  async casesReaching(
    organisationId: number,
    groupIds: readonly number[],
    reference?: string,
  ): Promise<Case[]> {
    const inGroups = groupIds.length > 0 ? `IN (${placeholders(groupIds.length)})` : "IN (NULL)";
    const rows = await this.#db.all(
      `SELECT * FROM cases c
       WHERE c.organisation_id <> ? ${reference !== undefined ? "AND c.reference = ?" : ""}
         AND (c.sharing_group_id ${inGroups}
           OR EXISTS (SELECT 1 FROM case_shares s WHERE s.case_id = c.id AND s.withdrawn_at IS NULL
                      AND (s.organisation_id = ? OR s.sharing_group_id ${inGroups})))
       ORDER BY c.id DESC`,
      [
        organisationId,
        ...(reference !== undefined ? [reference] : []),
        ...groupIds,
        organisationId,
        ...groupIds,
      ],
    );
    return rows.map(caseFromRow);
  }

  async clearanceOf(userId: number): Promise<UserClearance | null> {
    const row = await this.#db.get("SELECT * FROM user_clearances WHERE user_id = ?", [userId]);
    return row
      ? {
          userId: toNumber(row.user_id),
          marking: toText(row.marking) as TlpMarking,
          handling: toText(row.handling) as HandlingCode,
          setBy: toText(row.set_by),
          setAt: toDate(row.set_at),
        }
      : null;
  }

  async setClearance(
    clearance: Pick<UserClearance, "userId" | "marking" | "handling">,
    actor: string,
    organisationId: number,
  ): Promise<UserClearance> {
    return this.#db.transaction(async (tx) => {
      const before = await new SqlSharingRepository(tx, this.#context).clearanceOf(clearance.userId);
      await tx.run(
        `INSERT INTO user_clearances (user_id, marking, handling, set_by, set_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET marking = excluded.marking, handling = excluded.handling,
           set_by = excluded.set_by, set_at = excluded.set_at`,
        [clearance.userId, clearance.marking, clearance.handling, actor, this.#context.clock()],
      );
      await auditIn(tx, this.#context, {
        organisationId,
        actor,
        action: "user.clearance_set",
        subjectType: "user",
        subjectId: clearance.userId,
        details: {
          marking: clearance.marking,
          handling: clearance.handling,
          before: before ? { marking: before.marking, handling: before.handling } : null,
        },
      });
      return (await new SqlSharingRepository(tx, this.#context).clearanceOf(clearance.userId))!;
    });
  }
}
