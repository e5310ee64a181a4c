/**
 * RELIABILITY A3: onward distribution only narrows. Random sequences of shares and re-shares by random
 * organisations, through the real case service over a real SQLite store, are compared with a model of the rule
 * written here: each attempt is allowed or refused (403) as the model says, and along every chain of shares the
 * audience never grows, the markings never weaken, the profile never widens and the onward hops fall.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import fc from "fast-check";
import { WildtrawlError } from "../core/errors.ts";
import { openStore } from "../storage/open-store.ts";
import { handlingCodes, tlpMarkings, type CaseShare, type Organisation } from "../storage/records.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { createCaseService } from "./cases.ts";

const organisations = 5;
const rankOf = <T extends string>(levels: readonly T[], value: T) => levels.indexOf(value);

// Most attempts leave the markings, profile and hops to their narrowing defaults, so that chains grow long enough.
const often = { nil: undefined, freq: 2 } as const;
const attempt = fc.record({
  // Mostly an organisation the case has reached (the model's readers, by index); sometimes any organisation.
  by: fc.nat(1000),
  anyone: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  // Two attempts in three come from an organisation holding a share it may pass on, when there is one: re-shares
  // are what A3 is about, and picking among every holder left too few of them (8 in 150 runs at worst).
  onward: fc.integer({ min: 0, max: 2 }).map((n) => n > 0),
  organisation: fc.option(fc.nat(organisations - 1), often),
  group: fc.option(fc.nat(2), { nil: undefined, freq: 3 }),
  profile: fc.option(fc.constantFrom("read" as const, "write" as const), often),
  marking: fc.option(fc.constantFrom(...tlpMarkings), often),
  handling: fc.option(fc.constantFrom(...handlingCodes), often),
  onwardHops: fc.option(fc.nat(2), often),
});

const scenario = fc.record({
  // Onward hops need a marking that allows them (not AMBER+STRICT or RED) most of the time.
  marking: fc.constantFrom("CLEAR" as const, "GREEN" as const, "AMBER" as const, ...tlpMarkings),
  handling: fc.constantFrom(...handlingCodes),
  groups: fc.array(fc.uniqueArray(fc.nat(organisations - 1), { minLength: 1, maxLength: 4 }), {
    minLength: 3,
    maxLength: 3,
  }),
  attempts: fc.array(attempt, { minLength: 1, maxLength: 40 }),
});

it("A3: random share and re-share sequences only narrow; every widening answers 403", async () => {
  let refused = 0;
  let reshared = 0;
  await fc.assert(
    fc.asyncProperty(scenario, async ({ marking, handling, groups, attempts }) => {
      const database = await newSqliteDatabase();
      const store = await openStore(database.url);
      try {
        const orgs: Organisation[] = [];
        for (let o = 0; o < organisations; o++)
          orgs.push(await store.organisations.create({ slug: `org-${o}`, name: `Org ${o}` }, "system:test"));
        // Group g is owned by its first member; the owner is always a member.
        const members = groups.map((g) => [...new Set(g)]);
        for (const [g, group] of members.entries())
          await store.sharing.createGroup(
            {
              organisationId: orgs[group[0]!]!.id,
              slug: `group-${g}`,
              name: `Group ${g}`,
              memberIds: group.map((m) => orgs[m]!.id),
            },
            "system:test",
          );
        const idOf = new Map(orgs.map((o, n) => [o.id, n]));
        const cases = createCaseService(store);
        await cases.create(
          { organisationId: orgs[0]!.id, actor: "user:1" },
          {
            reference: "OP-1",
            title: "Shared",
            marking,
            handling,
          },
        );

        // The model: each share as organisation indexes, with its readers and its scope.
        interface ModelShare {
          id: number;
          readers: number[];
          scope: number[] | "anyone" | null;
          marking: number;
          handling: number;
          write: boolean;
          hops: number;
        }
        const owner: ModelShare = {
          id: 0,
          readers: [0],
          scope: "anyone",
          marking: rankOf(tlpMarkings, marking),
          handling: rankOf(handlingCodes, handling),
          write: true,
          hops: 2,
        };
        const shares: ModelShare[] = [owner];
        let runRefused = 0;
        const audience = (s: ModelShare) =>
          s.scope === "anyone" ? null : new Set([...s.readers, ...(s.scope ?? [])]);

        for (const generated of attempts) {
          const holders = [...new Set(shares.flatMap((s) => s.readers))];
          const passers = [
            ...new Set(
              shares.filter((s) => s !== owner && s.hops > 0 && s.scope !== null).flatMap((s) => s.readers),
            ),
          ];
          const from = generated.onward && passers.length > 0 ? passers : holders;
          const a = {
            ...generated,
            by: generated.anyone ? generated.by % organisations : from[generated.by % from.length]!,
          };
          const target = a.organisation;
          const groupMembers = a.group !== undefined ? members[a.group]! : [];
          const requested = [...(target !== undefined ? [target] : []), ...groupMembers];
          const held = shares.filter((s) => s.readers.includes(a.by));
          let expected:
            "allowed" | "case_not_found" | "share_target_invalid" | "share_not_permitted" | "share_widens";
          if (held.length === 0) expected = "case_not_found";
          else if ((target === undefined && a.group === undefined) || target === 0)
            expected = "share_target_invalid";
          else {
            const parents = held.filter((s) => s.hops > 0 && s.scope !== null);
            if (parents.length === 0) expected = "share_not_permitted";
            else {
              const fits = parents.some((p) => {
                const m = a.marking !== undefined ? rankOf(tlpMarkings, a.marking) : p.marking;
                const h = a.handling !== undefined ? rankOf(handlingCodes, a.handling) : p.handling;
                const write = (a.profile ?? (p === owner ? "read" : p.write ? "write" : "read")) === "write";
                // TLP:RED and AMBER+STRICT allow no onward hop.
                const cap = m >= rankOf(tlpMarkings, "AMBER+STRICT") ? 0 : 2;
                const hops = a.onwardHops ?? Math.min(cap, p.hops - 1);
                const inScope =
                  p.scope === "anyone" || requested.every((o) => (p.scope as number[]).includes(o));
                return (
                  inScope &&
                  m >= p.marking &&
                  h >= p.handling &&
                  (!write || p.write) &&
                  hops < p.hops &&
                  hops <= cap
                );
              });
              expected = fits ? "allowed" : "share_widens";
            }
          }

          let made: CaseShare | null = null;
          let code = "allowed";
          try {
            made = await cases.share(
              { organisationId: orgs[a.by]!.id, actor: `user:${a.by}`, role: "admin" },
              "OP-1",
              {
                ...(target !== undefined ? { organisation: `org-${target}` } : {}),
                ...(a.group !== undefined ? { sharingGroup: `group-${a.group}` } : {}),
                ...(a.profile !== undefined ? { profile: a.profile } : {}),
                ...(a.marking !== undefined ? { marking: a.marking } : {}),
                ...(a.handling !== undefined ? { handling: a.handling } : {}),
                ...(a.onwardHops !== undefined ? { onwardHops: a.onwardHops } : {}),
              },
              "org-0",
            );
          } catch (error) {
            if (!(error instanceof WildtrawlError)) throw error;
            code = error.code;
          }
          assert.equal(code, expected, JSON.stringify(a));
          if (code === "share_widens" || code === "share_not_permitted") {
            refused++;
            runRefused++;
          }
          if (made === null) continue;

          const parent =
            made.parentShareId === null ? owner : shares.find((s) => s.id === made.parentShareId)!;
          const child: ModelShare = {
            id: made.id,
            readers: made.organisationId !== null ? [idOf.get(made.organisationId)!] : groupMembers,
            scope: made.sharingGroupId !== null ? groupMembers : null,
            marking: rankOf(tlpMarkings, made.marking),
            handling: rankOf(handlingCodes, made.handling),
            write: made.profile === "write",
            hops: made.onwardHops,
          };
          if (parent !== owner) reshared++;
          const parentAudience = audience(parent);
          const childAudience = audience(child)!;
          if (parentAudience !== null) {
            assert.ok(childAudience.size <= parentAudience.size, "the audience never grows along a chain");
            for (const o of childAudience)
              assert.ok(parentAudience.has(o), `org ${o} is outside the parent's audience`);
          }
          assert.ok(
            child.marking >= parent.marking && child.handling >= parent.handling,
            "markings never weaken",
          );
          assert.ok(!child.write || parent.write, "the profile never widens");
          assert.ok(child.hops < parent.hops, "each hop has fewer onward hops");
          shares.push(child);
        }
        // Every share and every refusal is in the audit log: one "case.shared" for the owner per share, one
        // "case.unauthorized" per refusal.
        const audited = await store.audit.list({ limit: 10_000 });
        const count = (action: string, organisationId?: number) =>
          audited.filter(
            (e) =>
              e.action === action && (organisationId === undefined || e.organisationId === organisationId),
          ).length;
        assert.equal(count("case.shared", orgs[0]!.id), shares.length - 1);
        assert.equal(count("case.unauthorized"), runRefused);
      } finally {
        await store.close();
        await database.drop();
      }
    }),
    { numRuns: 150 },
  );
  // 150 runs make 16-32 re-shares and 350-470 refusals: the floors prove both were exercised without flaking.
  assert.ok(
    refused > 100 && reshared >= 5,
    `the runs exercised refusals (${refused}) and re-shares (${reshared})`,
  );
});
