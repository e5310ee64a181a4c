/**
 * The Store's contract for takedown (issue 8): platform profiles, listing notices by platform and state, and the
 * events that record when a change happened in the world. Called from store.contract.ts, so both databases keep it.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { UsageError } from "../core/errors.ts";
import { openStore } from "./open-store.ts";
import type { Organisation, PlatformInput } from "./records.ts";
import { ConflictError } from "./storage-errors.ts";
import type { ContractDatabase } from "./store.contract.ts";
import type { Store } from "./store.ts";

const actor = "system:contract";

export function takedownContract(newDatabase: () => Promise<ContractDatabase>): void {
  describe("takedown: platforms and notices", () => {
    let database: ContractDatabase;
    let store: Store;
    let org: Organisation;
    let other: Organisation;
    let now = new Date("2026-04-01T09:00:00.000Z");

    const market: PlatformInput = {
      organisationId: 0,
      slug: "example-market",
      name: "Example Market",
      countries: ["FR", "BE"],
      channels: { email: "abuse@market.example", webFormUrl: "https://market.example/report" },
      legalBases: {
        nationalLaw: "Code de l'environnement, art. L. 415-3",
        policyUrl: "https://market.example/policies/animals",
        dsaArticle16: true,
        trustedFlagger: "ARCOM, TF-2025-014",
      },
      defaultLanguage: "fr",
    };

    beforeEach(async () => {
      database = await newDatabase();
      store = await openStore(database.url, { clock: () => now });
      org = await store.organisations.create({ slug: "unit", name: "Unit" }, actor);
      other = await store.organisations.create({ slug: "other", name: "Other" }, actor);
    });
    afterEach(async () => {
      await store.close();
      await database.drop();
    });

    it("keeps platform profiles per organisation, refuses a duplicate slug and replaces on save", async () => {
      const created = await store.platforms.create({ ...market, organisationId: org.id }, actor);
      assert.deepEqual(
        { ...created, id: 0 },
        {
          id: 0,
          organisationId: org.id,
          slug: "example-market",
          name: "Example Market",
          countries: ["FR", "BE"],
          channels: {
            email: "abuse@market.example",
            webFormUrl: "https://market.example/report",
            apiEndpoint: null,
          },
          legalBases: {
            nationalLaw: "Code de l'environnement, art. L. 415-3",
            policyUrl: "https://market.example/policies/animals",
            dsaArticle16: true,
            trustedFlagger: "ARCOM, TF-2025-014",
          },
          defaultLanguage: "fr",
          createdAt: now,
          updatedAt: now,
        },
      );
      await assert.rejects(
        store.platforms.create({ ...market, organisationId: org.id }, actor),
        (e: unknown) => e instanceof ConflictError && e.code === "platform_exists",
      );
      // The same slug in another organisation is another platform profile.
      await store.platforms.create({ ...market, organisationId: other.id, defaultLanguage: "en" }, actor);

      now = new Date("2026-04-02T09:00:00.000Z");
      const saved = await store.platforms.save(
        { organisationId: org.id, slug: "example-market", name: "Example Market FR", channels: {} },
        actor,
      );
      assert.equal(saved.created, false);
      assert.equal(saved.platform.name, "Example Market FR");
      assert.equal(saved.platform.channels.email, null, "save replaces the whole profile");
      assert.equal(saved.platform.legalBases.dsaArticle16, false);
      assert.deepEqual(saved.platform.createdAt, created.createdAt);
      assert.deepEqual(saved.platform.updatedAt, now);
      const fresh = await store.platforms.save({ organisationId: org.id, slug: "souk", name: "Souk" }, actor);
      assert.equal(fresh.created, true);
      assert.equal(fresh.platform.defaultLanguage, "en");

      assert.deepEqual(
        (await store.platforms.list(org.id)).map((p) => p.slug),
        ["example-market", "souk"],
      );
      assert.equal((await store.platforms.get(other.id, "example-market"))?.defaultLanguage, "en");
      assert.equal(await store.platforms.get(org.id, "missing"), null);
      const audited = await store.audit.list({ subjectType: "platform" });
      assert.deepEqual(
        audited.map((e) => e.action),
        ["platform.created", "platform.created", "platform.updated", "platform.created"],
      );
    });

    it("names every problem of a bad profile", async () => {
      await assert.rejects(
        store.platforms.create(
          {
            organisationId: org.id,
            slug: "Bad Slug",
            name: "x",
            countries: ["France"],
            channels: { email: "not-an-address", webFormUrl: "javascript:alert(1)" },
            defaultLanguage: "French",
          },
          actor,
        ),
        (e: unknown) =>
          e instanceof UsageError &&
          e.code === "platform_invalid" &&
          ["slug", "countries", "channels.email", "channels.webFormUrl", "defaultLanguage"].every((field) =>
            e.message.includes(field),
          ),
      );
      assert.equal((await database.rows("platforms")).length, 0);
    });

    it("lists notices by platform and state, and records when a change was observed", async () => {
      const source = await store.sources.upsert({
        organisationId: org.id,
        slug: "market",
        name: "Market",
        platform: "example-market",
      });
      const [a, b] = await store.listings.ingest(
        ["1", "2"].map((key) => ({
          sourceId: source.id,
          listingKey: `id:${key}`,
          observedAt: now,
          url: `https://market.example/item/${key}`,
          text: `Ivory ${key}`,
        })),
      );
      const draft = async (listingId: number, platform: string, key: string) =>
        (
          await store.takedowns.create(
            { organisationId: org.id, listingId, platform, idempotencyKey: key, details: { language: "fr" } },
            actor,
          )
        ).notice;
      const first = await draft(a!.listingId, "example-market", "k1");
      const second = await draft(b!.listingId, "example-market", "k2");
      const third = await draft(b!.listingId, "souk", "k3");

      now = new Date("2026-04-03T09:00:00.000Z");
      await store.takedowns.transition(first.id, { from: "draft", to: "queued" }, actor);
      await store.takedowns.transition(
        first.id,
        { from: "queued", to: "sent", details: { channel: "email", messageId: "<m1@wildtrawl>" } },
        actor,
      );
      now = new Date("2026-04-06T09:00:00.000Z");
      const removedAt = new Date("2026-04-05T18:30:00.000Z");
      await assert.rejects(
        store.takedowns.transition(
          first.id,
          { from: "sent", to: "removed", observedAt: new Date("2026-04-07T00:00:00.000Z") },
          actor,
        ),
        (e: unknown) => e instanceof UsageError && e.code === "observed_in_future",
      );
      await store.takedowns.transition(
        first.id,
        { from: "sent", to: "removed", observedAt: removedAt, note: "revisit: HTTP 404" },
        actor,
      );

      const events = await store.takedowns.events(first.id);
      assert.deepEqual(
        events.map((e) => [e.toState, e.observedAt?.toISOString() ?? null, e.details]),
        [
          ["draft", null, {}],
          ["queued", null, {}],
          ["sent", null, { channel: "email", messageId: "<m1@wildtrawl>" }],
          ["removed", removedAt.toISOString(), {}],
        ],
      );
      assert.deepEqual(events[3]!.at, now, "the event keeps when it was recorded too");

      const ids = async (filter: Omit<Parameters<Store["takedowns"]["list"]>[0], "organisationId">) =>
        (await store.takedowns.list({ organisationId: org.id, ...filter })).map((n) => n.id);
      assert.deepEqual(await ids({}), [first.id, second.id, third.id]);
      assert.deepEqual(await ids({ platform: "example-market" }), [first.id, second.id]);
      assert.deepEqual(await ids({ states: ["draft"] }), [second.id, third.id]);
      assert.deepEqual(await ids({ platform: "example-market", states: ["removed", "sent"] }), [first.id]);
      assert.deepEqual(await ids({ listingIds: [b!.listingId] }), [second.id, third.id]);
      assert.deepEqual(await ids({ afterId: first.id, limit: 1 }), [second.id]);
      assert.deepEqual(await ids({ states: [] }), []);
      assert.deepEqual(await store.takedowns.list({ organisationId: other.id }), []);
      await assert.rejects(
        ids({ states: ["refused" as never] }),
        (e: unknown) => e instanceof UsageError && e.code === "takedown_state_invalid",
      );

      const all = await store.takedowns.eventsOf([third.id, first.id]);
      assert.deepEqual(
        all.map((e) => [e.noticeId, e.toState]),
        [
          [first.id, "draft"],
          [first.id, "queued"],
          [first.id, "sent"],
          [first.id, "removed"],
          [third.id, "draft"],
        ],
      );
      const audit = await store.audit.list({ subjectType: "takedown_notice", subjectId: String(first.id) });
      assert.deepEqual(audit.at(-1)?.details, {
        from: "sent",
        to: "removed",
        observedAt: removedAt.toISOString(),
      });
    });
  });
}
