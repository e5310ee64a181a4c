import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { captureAdvert } from "./capture.ts";
import {
  custodyEntryJson,
  recordCustody,
  verifyCustodyExcerpt,
  verifyCustodyLog,
  type CustodyEntryJson,
} from "./custody.ts";
import { newEvidenceWorld, type EvidenceWorld } from "./testing/evidence-world.ts";
import { startFixtureSite, type FixtureSite } from "./testing/fixture-site.ts";
import { postgresSkipReason } from "../storage/testing/test-databases.ts";

describe("chain of custody (RELIABILITY E6, E7)", () => {
  let site: FixtureSite;
  let world: EvidenceWorld;
  let entries: CustodyEntryJson[];

  before(async () => {
    [site, world] = await Promise.all([startFixtureSite(), newEvidenceWorld()]);
    const deps = world.deps({ browser: null });
    const { capture } = await captureAdvert(deps, {
      url: `${site.origin}/notes.txt`,
      sourceId: world.source.id,
      actor: "user:1",
    });
    const actions = ["view", "share", "transfer", "view", "verify"] as const;
    for (const [i, action] of actions.entries()) {
      await recordCustody(world.store, {
        captureId: capture.id,
        actor: `user:${i + 2}`,
        action,
        purpose: `step ${i}`,
      });
    }
    entries = (await world.store.evidence.custodyOf(capture.id)).map(custodyEntryJson);
  });
  after(async () => {
    await Promise.all([site.close(), world.close()]);
  });

  it("walks an intact log", async () => {
    const result = await verifyCustodyLog(world.store, 2);
    assert.equal(result.break, null);
    assert.equal(result.entries, 6);
    assert.equal(result.head, entries.at(-1)!.entryHash);
  });

  it("refuses UPDATE and DELETE of evidence and custody rows from the application's login, and records each (E6)", async () => {
    const captures = await world.store.evidence.listCaptures(entries[0]!.captureId);
    const before = (await world.store.audit.refusedChanges()).length;
    for (const sql of [
      "UPDATE captures SET url = 'x'",
      "DELETE FROM captures",
      "UPDATE custody_log SET actor = 'x'",
      "DELETE FROM custody_log",
    ]) {
      await world.exec(sql);
    }
    assert.deepEqual(await world.store.evidence.listCaptures(entries[0]!.captureId), captures);
    const walked = await verifyCustodyLog(world.store);
    assert.equal(walked.break, null);
    assert.equal(walked.entries, 6);
    const refused = (await world.store.audit.refusedChanges()).slice(before);
    // One record per row each statement tried to change.
    const totalCaptures = (await world.store.evidence.custodyLog()).filter(
      (e) => e.action === "capture",
    ).length;
    assert.deepEqual(
      refused.map((r) => `${r.operation} ${r.table}`),
      [
        ...Array<string>(totalCaptures).fill("UPDATE captures"),
        ...Array<string>(totalCaptures).fill("DELETE captures"),
        ...Array<string>(6).fill("UPDATE custody_log"),
        ...Array<string>(6).fill("DELETE custody_log"),
      ],
    );
  });

  it("detects an edit, insertion, deletion or reordering in an excerpt at the right entry (property)", () => {
    const edits = fc.oneof(
      fc.record({
        kind: fc.constant("edit" as const),
        at: fc.nat(),
        field: fc.constantFrom("actor", "purpose", "at", "action", "details"),
      }),
      fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("swap" as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(edits, (edit) => {
        const copy = entries.map((entry) => ({ ...entry }));
        const at = edit.at % (copy.length - 1);
        let expectedId: number;
        if (edit.kind === "edit") {
          const target = copy[at]!;
          const changed: Record<string, unknown> = { ...target };
          changed[edit.field] =
            edit.field === "at"
              ? new Date(Date.parse(target.at) + 1000).toISOString()
              : edit.field === "details"
                ? { forged: true }
                : `${String(target[edit.field])}x`;
          copy[at] = changed as unknown as CustodyEntryJson;
          expectedId = target.id;
        } else if (edit.kind === "delete") {
          // Dropping the excerpt's first or last entry leaves a shorter run that still links: the package signature
          // covers that, as the genesis hash and anchored heads do for the whole log.
          const inner = 1 + (edit.at % (copy.length - 2));
          copy.splice(inner, 1);
          expectedId = copy[inner]!.id;
        } else {
          [copy[at], copy[at + 1]] = [copy[at + 1]!, copy[at]!];
          // The first entry has nothing before it to disagree with: the break shows at the second.
          expectedId = at === 0 ? copy[1]!.id : copy[at]!.id;
        }
        const found = verifyCustodyExcerpt(copy);
        assert.ok(found, `${JSON.stringify(edit)} went unnoticed`);
        assert.match(found, new RegExp(`entry ${expectedId}\\b`), `${JSON.stringify(edit)}: ${found}`);
      }),
      { numRuns: 1000, seed: 7 },
    );
  });

  it("names the first broken entry when someone with the owner's rights edits the log", async () => {
    // Only an owner can drop the append-only trigger; the chain still gives the edit away.
    await world.exec("DROP TRIGGER custody_log_no_update");
    await world.exec(`UPDATE custody_log SET purpose = 'rewritten' WHERE id = ${entries[2]!.id}`);
    const result = await verifyCustodyLog(world.store);
    assert.equal(result.break?.id, entries[2]!.id);
    assert.equal(result.break?.reason, "entry_hash");
    assert.match(result.break?.message ?? "", /was altered/);
  });
});

describe("custody and evidence on PostgreSQL", { skip: postgresSkipReason() }, () => {
  it("captures, refuses changes to evidence rows, and walks the chain", async () => {
    const [site, world] = await Promise.all([startFixtureSite(), newEvidenceWorld({ postgres: true })]);
    try {
      const { capture } = await captureAdvert(world.deps({ browser: null }), {
        url: `${site.origin}/item/1001`,
        sourceId: world.source.id,
        actor: "user:1",
      });
      await recordCustody(world.store, {
        captureId: capture.id,
        actor: "user:2",
        action: "view",
        purpose: "review",
      });
      for (const sql of ["UPDATE captures SET url = 'x'", "DELETE FROM custody_log"]) await world.exec(sql);
      assert.equal((await world.store.evidence.getCapture(capture.id))?.url, capture.url);
      assert.deepEqual(
        (await world.store.audit.refusedChanges()).map((r) => `${r.operation} ${r.table}`),
        ["UPDATE captures", "DELETE custody_log", "DELETE custody_log"],
      );
      const result = await verifyCustodyLog(world.store);
      assert.equal(result.break, null);
      assert.equal(result.entries, 2);
    } finally {
      await Promise.all([site.close(), world.close()]);
    }
  });
});
