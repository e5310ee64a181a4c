/**
 * The Store's contract for sharing between organisations (docs/sharing.md): sharing groups, shares of cases, the
 * candidates a share makes reach an organisation, and clearances. Called from store.contract.ts, so both databases
 * keep it.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { UsageError } from "../core/errors.ts";
import { openStore } from "./open-store.ts";
import type { Case, Organisation } from "./records.ts";
import { ConflictError } from "./storage-errors.ts";
import type { ContractDatabase } from "./store.contract.ts";
import type { Store } from "./store.ts";

const actor = "user:7";

export function sharingContract(newDatabase: () => Promise<ContractDatabase>): void {
  describe("sharing: groups, shares and clearances", () => {
    let database: ContractDatabase;
    let store: Store;
    let a: Organisation;
    let b: Organisation;
    let c: Organisation;
    let theCase: Case;
    const now = new Date("2026-06-01T08:00:00.000Z");

    beforeEach(async () => {
      database = await newDatabase();
      store = await openStore(database.url, { clock: () => now });
      [a, b, c] = [
        await store.organisations.create({ slug: "a", name: "A" }, actor),
        await store.organisations.create({ slug: "b", name: "B" }, actor),
        await store.organisations.create({ slug: "c", name: "C" }, actor),
      ];
      theCase = await store.cases.create(
        { organisationId: a.id, reference: "OP-1", title: "t", marking: "AMBER", handling: "H2" },
        actor,
      );
    });
    afterEach(async () => {
      await store.close();
      await database.drop();
    });

    it("creates a group with its owner as a member, refuses its slug twice and a bad one", async () => {
      const group = await store.sharing.createGroup(
        { organisationId: b.id, slug: "wen", name: " WEN ", memberIds: [c.id, c.id] },
        actor,
      );
      assert.deepEqual(
        [group.slug, group.name, group.memberIds],
        ["wen", "WEN", [b.id, c.id].sort((x, y) => x - y)],
      );
      assert.deepEqual(await store.sharing.getGroup("wen"), group);
      assert.deepEqual(await store.sharing.groups([group.id, 999]), [group]);
      assert.deepEqual(
        (await store.sharing.groupsOf(c.id)).map((g) => g.id),
        [group.id],
      );
      assert.deepEqual(await store.sharing.groupsOf(a.id), []);
      await assert.rejects(
        store.sharing.createGroup({ organisationId: a.id, slug: "wen", name: "x", memberIds: [] }, actor),
        (e: unknown) => e instanceof ConflictError && e.code === "sharing_group_exists",
      );
      await assert.rejects(
        store.sharing.createGroup({ organisationId: a.id, slug: "Bad Slug", name: "", memberIds: [] }, actor),
        (e: unknown) => e instanceof UsageError && e.code === "sharing_group_invalid",
      );
      const audit = await store.audit.list({ subjectType: "sharing_group" });
      assert.deepEqual(
        audit.map((e) => [e.action, e.organisationId]),
        [["sharing_group.created", b.id]],
      );
    });

    it("adds and removes members, keeps the owner, and audits only what changed", async () => {
      const group = await store.sharing.createGroup(
        { organisationId: a.id, slug: "pair", name: "Pair", memberIds: [b.id] },
        actor,
      );
      const changed = await store.sharing.changeMembers(
        group.id,
        { add: [c.id, b.id], remove: [b.id] },
        "user:3",
      );
      assert.deepEqual(
        changed.memberIds,
        [a.id, c.id].sort((x, y) => x - y),
      );
      assert.deepEqual(
        (await store.sharing.groupsOf(b.id)).map((g) => g.id),
        [],
      );
      assert.deepEqual(
        (await store.sharing.groupsOf(c.id)).map((g) => g.id),
        [group.id],
      );
      assert.deepEqual(
        await store.sharing.changeMembers(group.id, { add: [c.id] }, "user:3"),
        changed,
        "no change",
      );
      await assert.rejects(
        store.sharing.changeMembers(group.id, { remove: [a.id] }, "user:3"),
        (e: unknown) => e instanceof UsageError && e.code === "sharing_group_owner",
      );
      assert.deepEqual(
        (await store.sharing.getGroup("pair"))!.memberIds,
        changed.memberIds,
        "nothing half-done",
      );
      const audit = await store.audit.list({ subjectType: "sharing_group" });
      assert.deepEqual(
        audit.map((e) => [e.action, e.actor, e.details.added ?? null, e.details.removed ?? null]),
        [
          ["sharing_group.created", actor, null, null],
          ["sharing_group.members_changed", "user:3", [c.id], [b.id]],
        ],
      );
    });

    it("records shares with their audit, and finds the cases they reach", async () => {
      assert.equal(theCase.handling, "H2");
      assert.equal(theCase.sharingGroupId, null);
      const group = await store.sharing.createGroup(
        { organisationId: b.id, slug: "bc", name: "B and C", memberIds: [c.id] },
        actor,
      );
      assert.deepEqual(await store.sharing.casesReaching(b.id, [group.id]), []);
      const toB = await store.sharing.share(
        {
          caseId: theCase.id,
          organisationId: b.id,
          sharingGroupId: group.id,
          profile: "read",
          marking: "AMBER",
          handling: "H2",
          onwardHops: 1,
          parentShareId: null,
          grantedByOrganisationId: a.id,
        },
        actor,
      );
      assert.deepEqual(
        [toB.caseId, toB.organisationId, toB.sharingGroupId, toB.profile, toB.onwardHops, toB.createdBy],
        [theCase.id, b.id, group.id, "read", 1, actor],
      );
      assert.deepEqual(toB.createdAt, now);
      const onward = await store.sharing.share(
        {
          ...toB,
          organisationId: null,
          marking: "RED",
          onwardHops: 0,
          parentShareId: toB.id,
          grantedByOrganisationId: b.id,
        },
        "user:8",
      );
      assert.deepEqual(await store.sharing.sharesOf([theCase.id]), [toB, onward]);
      // Candidates only: the access decision (core/sharing) says who reads them.
      assert.deepEqual(
        (await store.sharing.casesReaching(b.id, [])).map((x) => x.id),
        [theCase.id],
      );
      assert.deepEqual(
        (await store.sharing.casesReaching(c.id, [group.id])).map((x) => x.id),
        [theCase.id],
      );
      assert.deepEqual(
        (await store.sharing.casesReaching(c.id, [group.id], "OP-2")).map((x) => x.id),
        [],
      );
      assert.deepEqual(await store.sharing.casesReaching(a.id, []), [], "the owner's own are not candidates");
      const audit = await store.audit.list({ subjectType: "case", subjectId: String(theCase.id) });
      assert.deepEqual(
        audit.filter((e) => e.action === "case.shared").map((e) => [e.organisationId, e.details.shareId]),
        [
          [a.id, toB.id],
          [b.id, onward.id],
          [a.id, onward.id],
        ],
      );
      // A share names an organisation, a group or both; never neither.
      await assert.rejects(
        database.exec(
          `INSERT INTO case_shares (case_id, profile, marking, handling, onward_hops, granted_by_organisation_id,
             created_by, created_at) VALUES (${theCase.id}, 'read', 'AMBER', 'H0', 0, ${a.id}, 'x', ${
               store.dialect === "sqlite" ? 0 : "now()"
             })`,
        ),
      );
    });

    it("withdraws a share with every share passed on from it, audited, and then it reaches no one", async () => {
      const base = {
        caseId: theCase.id,
        sharingGroupId: null,
        profile: "read" as const,
        marking: "AMBER" as const,
        handling: "H2" as const,
      };
      const toB = await store.sharing.share(
        { ...base, organisationId: b.id, onwardHops: 2, parentShareId: null, grantedByOrganisationId: a.id },
        actor,
      );
      const toC = await store.sharing.share(
        {
          ...base,
          organisationId: c.id,
          onwardHops: 1,
          parentShareId: toB.id,
          grantedByOrganisationId: b.id,
        },
        actor,
      );
      const toBAgain = await store.sharing.share(
        {
          ...base,
          organisationId: b.id,
          onwardHops: 0,
          parentShareId: toC.id,
          grantedByOrganisationId: c.id,
        },
        actor,
      );
      const direct = await store.sharing.share(
        { ...base, organisationId: c.id, onwardHops: 0, parentShareId: null, grantedByOrganisationId: a.id },
        actor,
      );

      assert.deepEqual(await store.sharing.withdraw(theCase.id, toC.id, "user:9", b.id), [
        toC.id,
        toBAgain.id,
      ]);
      assert.deepEqual(await store.sharing.sharesOf([theCase.id]), [toB, direct]);
      assert.deepEqual(
        await store.sharing.withdraw(theCase.id, toC.id, "user:9", b.id),
        [],
        "already withdrawn",
      );
      assert.deepEqual(
        await store.sharing.withdraw(theCase.id + 1000, toB.id, "user:9", a.id),
        [],
        "another case",
      );

      assert.deepEqual(await store.sharing.withdraw(theCase.id, toB.id, actor, a.id), [toB.id]);
      assert.deepEqual(await store.sharing.withdraw(theCase.id, direct.id, actor, a.id), [direct.id]);
      assert.deepEqual(await store.sharing.sharesOf([theCase.id]), []);
      assert.deepEqual(await store.sharing.casesReaching(b.id, []), [], "a withdrawn share reaches no one");
      assert.deepEqual(await store.sharing.casesReaching(c.id, []), []);

      const audit = await store.audit.list({ subjectType: "case", subjectId: String(theCase.id) });
      assert.deepEqual(
        audit
          .filter((e) => e.action === "case.share_withdrawn")
          .map((e) => [e.organisationId, e.actor, e.details.withdrawnShareIds]),
        [
          [b.id, "user:9", [toC.id, toBAgain.id]],
          [a.id, "user:9", [toC.id, toBAgain.id]],
          [a.id, actor, [toB.id]],
          [a.id, actor, [direct.id]],
        ],
      );
      const row = (await database.rows("case_shares")).find((r) => Number(r.id) === toC.id);
      assert.equal(row?.withdrawn_by, "user:9", "the row stays, with who withdrew it");
    });

    it("distributes a case to its sharing group", async () => {
      const group = await store.sharing.createGroup(
        { organisationId: a.id, slug: "ac", name: "A, C", memberIds: [c.id] },
        actor,
      );
      const grouped = await store.cases.create(
        { organisationId: a.id, reference: "OP-G", title: "t", sharingGroupId: group.id },
        actor,
      );
      assert.equal(grouped.sharingGroupId, group.id);
      assert.deepEqual(
        (await store.sharing.casesReaching(c.id, [group.id])).map((x) => x.id),
        [grouped.id],
      );
      assert.deepEqual(await store.sharing.casesReaching(b.id, []), []);
    });

    it("sets and replaces a clearance, audited with what it was", async () => {
      const user = await store.users.create(
        { organisationId: b.id, email: "o@b.example", displayName: "O", role: "analyst" },
        actor,
      );
      assert.equal(await store.sharing.clearanceOf(user.id), null);
      await store.sharing.setClearance({ userId: user.id, marking: "GREEN", handling: "H0" }, actor, b.id);
      const replaced = await store.sharing.setClearance(
        { userId: user.id, marking: "AMBER", handling: "H1" },
        "user:9",
        b.id,
      );
      assert.deepEqual(replaced, {
        userId: user.id,
        marking: "AMBER",
        handling: "H1",
        setBy: "user:9",
        setAt: now,
      });
      assert.deepEqual(await store.sharing.clearanceOf(user.id), replaced);
      const audit = await store.audit.list({ subjectType: "user", subjectId: String(user.id) });
      assert.deepEqual(
        audit.filter((e) => e.action === "user.clearance_set").map((e) => e.details.before),
        [null, { marking: "GREEN", handling: "H0" }],
      );
    });
  });
}
