/**
 * RELIABILITY A1: 0 leaks in 10,000 generated access cases. Each run builds one random world (organisations,
 * sharing groups, people with roles and clearances, cases with markings, handling codes and sharing groups, shares)
 * in a real SQLite store, then checks a batch of random reads, lists, searches and exports by its people through the
 * real case service against a reference model written here, independently of core/sharing. Building a store per
 * access case would take minutes; 20 worlds × 500 queries keep the 10,000 cases in seconds while every world is new.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import fc from "fast-check";
import { NotFoundError } from "../core/errors.ts";
import { openStore } from "../storage/open-store.ts";
import {
  handlingCodes,
  tlpMarkings,
  type HandlingCode,
  type Organisation,
  type TlpMarking,
  type UserRole,
} from "../storage/records.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import type { ApiRole } from "./access.ts";
import { createCaseService, type CaseCaller } from "./cases.ts";

const worlds = 20;
const queriesPerWorld = 500;

const level = <T extends string>(levels: readonly T[], value: T) => levels.indexOf(value);
const stricter = <T extends string>(levels: readonly T[], base: T) =>
  fc.constantFrom(...levels.slice(level(levels, base)));

// The reference model's own table of what each role holds by default (docs/sharing.md), not the service's.
const ceilings: Record<ApiRole, [TlpMarking, HandlingCode]> = {
  admin: ["RED", "H3"],
  analyst: ["RED", "H3"],
  reviewer: ["RED", "H3"],
  ncb_officer: ["RED", "H3"],
  interpol_analyst: ["RED", "H3"],
  platform_officer: ["CLEAR", "H0"],
  secretariat: ["GREEN", "H0"],
};
const roles = Object.keys(ceilings) as ApiRole[];
const words = ["ivory", "pangolin", "rosewood", "parrot", "tortoise"];

const worldArbitrary = fc
  .record({
    organisations: fc.integer({ min: 2, max: 4 }),
    groupSeeds: fc.array(fc.array(fc.nat(3), { maxLength: 4 }), { maxLength: 3 }),
  })
  .chain(({ organisations, groupSeeds }) => {
    const groups = groupSeeds.map((seed, g) => ({
      owner: g % organisations,
      members: [...new Set([g % organisations, ...seed.filter((m) => m < organisations)])],
    }));
    const org = fc.nat(organisations - 1);
    const user = fc
      .record({ organisation: org, role: fc.constantFrom(...roles), cleared: fc.boolean() })
      .chain((u) =>
        fc.record({
          organisation: fc.constant(u.organisation),
          role: fc.constant(u.role),
          clearance: u.cleared
            ? fc.record({
                marking: fc.constantFrom(
                  ...tlpMarkings.slice(0, level(tlpMarkings, ceilings[u.role][0]) + 1),
                ),
                handling: fc.constantFrom(
                  ...handlingCodes.slice(0, level(handlingCodes, ceilings[u.role][1]) + 1),
                ),
              })
            : fc.constant(null),
        }),
      );
    const caseArbitrary = fc
      .record({
        owner: org,
        marking: fc.constantFrom(...tlpMarkings),
        handling: fc.constantFrom(...handlingCodes),
        word: fc.constantFrom(...words),
        group: fc.option(fc.nat(Math.max(0, groups.length - 1)), { nil: null }),
      })
      .map((c) => ({
        ...c,
        // A case's sharing group is one its owner belongs to, as the service requires.
        group: c.group !== null && groups[c.group]?.members.includes(c.owner) ? c.group : null,
      }));
    return fc.record({
      organisations: fc.constant(organisations),
      groups: fc.constant(groups),
      users: fc.array(user, { minLength: 2, maxLength: 8 }),
      cases: fc.array(caseArbitrary, { minLength: 1, maxLength: 8 }),
    });
  })
  .chain((world) => {
    const share = fc
      .record({ case: fc.nat(world.cases.length - 1), organisation: fc.nat(world.organisations - 1) })
      .chain(({ case: c, organisation }) =>
        fc.record({
          case: fc.constant(c),
          organisation: fc.option(fc.constant(organisation), { nil: null }),
          group: fc.option(fc.nat(Math.max(0, world.groups.length - 1)), { nil: null }),
          profile: fc.constantFrom("read" as const, "write" as const),
          marking: stricter(tlpMarkings, world.cases[c]!.marking),
          handling: stricter(handlingCodes, world.cases[c]!.handling),
          hops: fc.nat(2),
        }),
      )
      .map((s) => ({ ...s, group: world.groups.length > 0 ? s.group : null }))
      .filter((s) => s.organisation !== null || s.group !== null);
    const query = fc.record({
      user: fc.nat(world.users.length - 1),
      op: fc.constantFrom("read" as const, "list" as const, "search" as const, "export" as const),
      case: fc.nat(world.cases.length - 1),
      word: fc.constantFrom(...words),
    });
    return fc.record({
      world: fc.constant(world),
      shares: fc.array(share, { maxLength: 12 }),
      queries: fc.array(query, { minLength: queriesPerWorld, maxLength: queriesPerWorld }),
    });
  });

type Generated = typeof worldArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** The reference model: which cases a person reads, and under which marking (least restrictive grant they hold). */
function model({ world, shares }: Generated) {
  const member = (group: number | null, organisation: number) =>
    group !== null && world.groups[group]!.members.includes(organisation);
  return (u: number, c: number): { marking: TlpMarking; handling: HandlingCode } | null => {
    const user = world.users[u]!;
    const theCase = world.cases[c]!;
    const [maxMarking, maxHandling] = user.clearance
      ? [user.clearance.marking, user.clearance.handling]
      : ceilings[user.role];
    const grants: Array<{ marking: TlpMarking; handling: HandlingCode; reaches: boolean }> = [
      {
        ...theCase,
        reaches: theCase.owner === user.organisation || member(theCase.group, user.organisation),
      },
      ...shares
        .filter((s) => s.case === c)
        .map((s) => ({
          marking: s.marking,
          handling: s.handling,
          reaches:
            s.organisation !== null
              ? s.organisation === user.organisation
              : member(s.group, user.organisation),
        })),
    ];
    const held = grants.filter(
      (g) =>
        g.reaches &&
        level(tlpMarkings, g.marking) <= level(tlpMarkings, maxMarking) &&
        level(handlingCodes, g.handling) <= level(handlingCodes, maxHandling),
    );
    if (held.length === 0) return null;
    const best = held.reduce((a, b) =>
      level(tlpMarkings, b.marking) < level(tlpMarkings, a.marking) ||
      (b.marking === a.marking && level(handlingCodes, b.handling) < level(handlingCodes, a.handling))
        ? b
        : a,
    );
    return { marking: best.marking, handling: best.handling };
  };
}

it(`A1: ${worlds * queriesPerWorld} generated reads, lists, searches and exports equal the reference model (0 leaks)`, async () => {
  let checked = 0;
  await fc.assert(
    fc.asyncProperty(worldArbitrary, async (generated) => {
      const { world, shares, queries } = generated;
      const database = await newSqliteDatabase();
      const store = await openStore(database.url);
      try {
        const orgs: Organisation[] = [];
        for (let o = 0; o < world.organisations; o++)
          orgs.push(await store.organisations.create({ slug: `org-${o}`, name: `Org ${o}` }, "system:test"));
        const groupIds: number[] = [];
        for (const [g, group] of world.groups.entries())
          groupIds.push(
            (
              await store.sharing.createGroup(
                {
                  organisationId: orgs[group.owner]!.id,
                  slug: `group-${g}`,
                  name: `Group ${g}`,
                  memberIds: group.members.map((m) => orgs[m]!.id),
                },
                "system:test",
              )
            ).id,
          );
        const userIds: number[] = [];
        for (const [u, user] of world.users.entries()) {
          const created = await store.users.create(
            {
              organisationId: orgs[user.organisation]!.id,
              email: `u${u}@test.example`,
              displayName: `U${u}`,
              role: user.role as UserRole,
            },
            "system:test",
          );
          if (user.clearance)
            await store.sharing.setClearance(
              { userId: created.id, ...user.clearance },
              "system:test",
              orgs[user.organisation]!.id,
            );
          userIds.push(created.id);
        }
        const caseIds: number[] = [];
        for (const [c, theCase] of world.cases.entries())
          caseIds.push(
            (
              await store.cases.create(
                {
                  organisationId: orgs[theCase.owner]!.id,
                  reference: `OP-${c}`,
                  title: `Case ${c}: ${theCase.word}`,
                  marking: theCase.marking,
                  handling: theCase.handling,
                  sharingGroupId: theCase.group !== null ? groupIds[theCase.group]! : null,
                },
                "system:test",
              )
            ).id,
          );
        for (const s of shares)
          await store.sharing.share(
            {
              caseId: caseIds[s.case]!,
              organisationId: s.organisation !== null ? orgs[s.organisation]!.id : null,
              sharingGroupId: s.group !== null ? groupIds[s.group]! : null,
              profile: s.profile,
              marking: s.marking,
              handling: s.handling,
              onwardHops: s.hops,
              parentShareId: null,
              grantedByOrganisationId: orgs[world.cases[s.case]!.owner]!.id,
            },
            "system:test",
          );

        const decide = model(generated);
        const cases = createCaseService(store);
        const byReference = new Map(world.cases.map((_, c) => [`OP-${c}`, c]));
        for (const query of queries) {
          const user = world.users[query.user]!;
          const caller: CaseCaller = {
            organisationId: orgs[user.organisation]!.id,
            actor: `user:${userIds[query.user]}`,
            role: user.role,
            userId: userIds[query.user]!,
          };
          const visibleTo = (text?: string) =>
            world.cases
              .map((theCase, c) => ({ c, expected: decide(query.user, c), word: theCase.word }))
              .filter((entry) => entry.expected !== null && (text === undefined || entry.word === text))
              .map((entry) => `OP-${entry.c} ${entry.expected!.marking} ${entry.expected!.handling}`)
              .sort();
          const seen = (views: Array<{ reference: string; marking: string; handling: string }>) =>
            views.map((v) => `${v.reference} ${v.marking} ${v.handling}`).sort();
          const what = `${query.op} by user ${query.user} (${JSON.stringify(user)}) of case ${query.case}`;
          if (query.op === "list") assert.deepEqual(seen(await cases.list(caller)), visibleTo(), what);
          else if (query.op === "search")
            assert.deepEqual(
              seen(await cases.list(caller, { text: query.word })),
              visibleTo(query.word),
              what,
            );
          else {
            const expected = decide(query.user, query.case);
            const owner = `org-${world.cases[query.case]!.owner}`;
            const reference = `OP-${query.case}`;
            const answer =
              query.op === "read"
                ? cases.show(caller, reference, owner).then((shown) => shown.case)
                : cases.ownCase(caller, reference, owner);
            if (expected === null)
              await assert.rejects(
                answer,
                (e: unknown) => e instanceof NotFoundError && e.code === "case_not_found",
                what,
              );
            else {
              const found = await answer;
              assert.equal(byReference.get(found.reference), query.case, what);
              assert.deepEqual({ marking: found.marking, handling: found.handling }, expected, what);
            }
          }
          checked++;
        }
      } finally {
        await store.close();
        await database.drop();
      }
    }),
    // A failure names its query in the message; shrinking 500-query worlds would take minutes.
    { numRuns: worlds, endOnFailure: true },
  );
  assert.equal(checked, 10_000);
});
