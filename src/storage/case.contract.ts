/**
 * The Store's contract for cases (issue 6): an organisation's investigations, their TLP marking and the listings
 * they gather. Called from store.contract.ts, so both databases keep it.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { NotFoundError, UsageError } from "../core/errors.ts";
import { openStore } from "./open-store.ts";
import type { Organisation, Source } from "./records.ts";
import { ConflictError } from "./storage-errors.ts";
import type { ContractDatabase } from "./store.contract.ts";
import type { Store } from "./store.ts";

const actor = "user:7";

export function caseContract(newDatabase: () => Promise<ContractDatabase>): void {
  describe("cases: references, markings and listings", () => {
    let database: ContractDatabase;
    let store: Store;
    let org: Organisation;
    let other: Organisation;
    let source: Source;
    let now = new Date("2026-06-01T08:00:00.000Z");

    const listing = async (key: string, sourceId = source.id) => {
      const [result] = await store.listings.ingest([
        {
          sourceId,
          listingKey: key,
          observedAt: now,
          url: `https://market.example/item/${key}`,
          title: `Item ${key}`,
          text: `Listing ${key}`,
        },
      ]);
      return result!.listingId;
    };

    beforeEach(async () => {
      now = new Date("2026-06-01T08:00:00.000Z");
      database = await newDatabase();
      store = await openStore(database.url, { clock: () => now });
      org = await store.organisations.create({ slug: "unit", name: "Unit" }, actor);
      other = await store.organisations.create({ slug: "other", name: "Other" }, actor);
      source = await store.sources.upsert({
        organisationId: org.id,
        slug: "a",
        name: "A",
        platform: "market",
      });
    });
    afterEach(async () => {
      await store.close();
      await database.drop();
    });

    it("creates a case under the agency's reference, AMBER unless marked, and refuses the reference twice", async () => {
      const created = await store.cases.create(
        { organisationId: org.id, reference: "OP-TUSK-2026/14", title: "  Ivory carvings, Lyon  " },
        actor,
      );
      assert.equal(created.reference, "OP-TUSK-2026/14");
      assert.equal(created.title, "Ivory carvings, Lyon");
      assert.equal(created.marking, "AMBER");
      assert.equal(created.createdBy, actor);
      assert.deepEqual(created.createdAt, now);
      await assert.rejects(
        store.cases.create({ organisationId: org.id, reference: "OP-TUSK-2026/14", title: "again" }, actor),
        (e: unknown) => e instanceof ConflictError && e.code === "case_exists",
      );
      // Another organisation may use the same reference: references are the agency's own.
      const theirs = await store.cases.create(
        { organisationId: other.id, reference: "OP-TUSK-2026/14", title: "theirs", marking: "RED" },
        actor,
      );
      assert.equal(theirs.marking, "RED");
      assert.deepEqual(await store.cases.get(org.id, "OP-TUSK-2026/14"), created);
      assert.equal(await store.cases.get(org.id, "OP-NONE"), null);
      assert.deepEqual(
        (await store.cases.list(org.id)).map((c) => c.id),
        [created.id],
      );
      const audit = await store.audit.list({ subjectType: "case", subjectId: String(created.id) });
      assert.deepEqual(
        audit.map((entry) => [entry.action, entry.actor, entry.details.marking]),
        [["case.created", actor, "AMBER"]],
      );
    });

    it("names every problem with a new case at once", async () => {
      await assert.rejects(
        store.cases.create(
          { organisationId: org.id, reference: "1234", title: " ", marking: "PINK" as never },
          actor,
        ),
        (e: unknown) =>
          e instanceof UsageError &&
          e.code === "case_invalid" &&
          /reference "1234": all digits/.test(e.message) &&
          /title: 1–300/.test(e.message) &&
          /marking "PINK"/.test(e.message),
      );
      for (const reference of ["", " OP-1", "OP-1 ", "OP\u00001", "x".repeat(101)]) {
        await assert.rejects(
          store.cases.create({ organisationId: org.id, reference, title: "t" }, actor),
          (e: unknown) => e instanceof UsageError && e.code === "case_invalid",
          JSON.stringify(reference),
        );
      }
      assert.deepEqual(await store.cases.list(org.id), []);
    });

    it("adds the organisation's listings once each, audited, and refuses another's as missing", async () => {
      const ivory = await store.cases.create(
        { organisationId: org.id, reference: "OP-1", title: "t" },
        actor,
      );
      const [a, b, c] = [await listing("a"), await listing("b"), await listing("c")];
      const added = await store.cases.addListings(ivory.id, [b, a, a], actor, "same seller");
      assert.deepEqual(
        added.map((entry) => [entry.listingId, entry.note, entry.addedBy]),
        [
          [b, "same seller", actor],
          [a, "same seller", actor],
        ],
      );
      now = new Date("2026-06-02T08:00:00.000Z");
      const again = await store.cases.addListings(ivory.id, [a, c], "user:8");
      assert.deepEqual(
        again.map((entry) => entry.listingId),
        [c],
      );
      assert.deepEqual(
        (await store.cases.listings(ivory.id)).map((entry) => [entry.listingId, entry.addedBy]),
        [
          [a, actor],
          [b, actor],
          [c, "user:8"],
        ],
      );
      const theirSource = await store.sources.upsert({
        organisationId: other.id,
        slug: "b",
        name: "B",
        platform: "market",
      });
      const theirs = await listing("theirs", theirSource.id);
      await assert.rejects(
        store.cases.addListings(ivory.id, [c, theirs, 987654], actor),
        (e: unknown) =>
          e instanceof NotFoundError &&
          e.code === "listing_not_found" &&
          e.message === `no listing ${theirs}, 987654`,
      );
      await assert.rejects(
        store.cases.addListings(424242, [a], actor),
        (e: unknown) => e instanceof NotFoundError && e.code === "case_not_found",
      );
      assert.equal((await store.cases.listings(ivory.id)).length, 3);
      const audit = await store.audit.list({ subjectType: "case", subjectId: String(ivory.id) });
      assert.deepEqual(
        audit.map((entry) => [entry.action, entry.details.listingIds]),
        [
          ["case.created", undefined],
          ["case.listings_added", [b, a]],
          ["case.listings_added", [c]],
        ],
      );
    });
  });
}
