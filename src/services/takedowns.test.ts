import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { UsageError, WildtrawlError } from "../core/errors.ts";
import { ConflictError } from "../storage/storage-errors.ts";
import { createSmtpMailer, type NoticeMailer } from "./takedown-mailer.ts";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { defaultTakedownTemplateDir } from "../config.ts";
import {
  createTakedownService,
  loadNoticeTemplates,
  parseTakedownState,
  platformSlugOf,
  type TakedownService,
} from "./takedowns.ts";
import {
  openTakedownWorld,
  startSmtpSink,
  type SmtpSink,
  type TakedownWorld,
} from "./testing/takedown-world.ts";

describe("takedown notices", () => {
  let world: TakedownWorld;
  let sink: SmtpSink;
  let mailer: NoticeMailer;
  let service: TakedownService;
  let caller: { organisationId: number; actor: string };

  beforeEach(async () => {
    world = await openTakedownWorld();
    sink = await startSmtpSink();
    mailer = createSmtpMailer(sink.url, { timeoutMs: 5_000 });
    service = createTakedownService({
      store: world.store,
      templates: world.templates,
      mailer,
      from: "Wildlife Unit <notices@unit.example>",
      clock: world.now,
    });
    caller = { organisationId: world.org.id, actor: "user:1" };
    await service.createPlatform(caller, {
      slug: "example-market",
      name: "Example Market",
      countries: ["FR"],
      channels: { email: "abuse@market.example" },
      legalBases: {
        nationalLaw: "Code de l'environnement, art. L. 415-3",
        dsaArticle16: true,
        trustedFlagger: "ARCOM, TF-2025-014",
      },
      defaultLanguage: "fr",
    });
  });
  afterEach(async () => {
    mailer.close();
    await sink.close();
    await world.close();
  });

  it("drafts notices only for illegal offers, grouped per platform, and the same request thrice drafts once", async () => {
    const illegal = await world.listing("881", "illegal_offer");
    const legal = await world.listing("882", "legal_offer");
    const unjudged = await world.listing("883", null);
    const souk = await world.store.sources.upsert({
      organisationId: world.org.id,
      slug: "souk",
      name: "Souk",
      platform: "Souk",
    });
    const unknownPlatform = await world.listing("884", "illegal_offer", { sourceId: souk.id });
    const request = { listingIds: [illegal, legal, unjudged, unknownPlatform, 9999] };

    const first = await service.draft(caller, request);
    assert.equal(first.created, 1);
    assert.deepEqual(
      first.items.map((n) => [
        n.listingId,
        n.platform,
        n.state,
        n.stateName,
        n.channel,
        n.language,
        n.recipient,
      ]),
      [[illegal, "example-market", "draft", "drafted", "email", "fr", "abuse@market.example"]],
    );
    assert.deepEqual(first.groups, [{ platform: "example-market", noticeIds: [first.items[0]!.id] }]);
    assert.deepEqual(
      first.rejected.map((r) => [r.listingId, r.code]),
      [
        [legal, "listing_not_illegal_offer"],
        [unjudged, "listing_not_illegal_offer"],
        [unknownPlatform, "platform_not_found"],
        [9999, "listing_not_found"],
      ],
    );
    for (let i = 0; i < 3; i++) {
      const replay = await service.draft(caller, request);
      assert.equal(replay.created, 0);
      assert.deepEqual(
        replay.items.map((n) => n.id),
        [first.items[0]!.id],
      );
    }
    assert.equal((await world.database.rows("takedown_notices")).length, 1);

    const shown = await service.show(caller, first.items[0]!.id);
    assert.match(shown.subject, /^Signalement d'une annonce illégale .* Example Market : 881/);
    assert.match(shown.text, /Loxodonta africana : CITES, annexe I/);
    assert.match(shown.text, /article 16 du règlement \(UE\) 2022\/2065/);
    assert.match(shown.text, /TF-2025-014/);
    const json = shown.json as { listing: { platformListingId: string }; taxa: unknown[]; sender: unknown };
    assert.equal(json.listing.platformListingId, "881");
    assert.deepEqual(json.taxa, [
      { taxonId: 4521, scientificName: "Loxodonta africana", citesAppendix: "I" },
    ]);
    assert.deepEqual(json.sender, {
      organisation: "Wildlife Unit",
      contact: "Wildlife Unit <notices@unit.example>",
    });

    const english = await service.draft(caller, {
      listingIds: [await world.listing("885", "illegal_offer")],
      language: "en",
    });
    assert.equal(english.items[0]!.language, "en");
    await assert.rejects(
      service.draft(caller, { listingIds: [illegal], language: "xx" }),
      (e: unknown) => e instanceof UsageError && e.code === "language_unsupported",
    );
    await assert.rejects(
      service.show({ organisationId: world.org.id + 1, actor: "x" }, first.items[0]!.id),
      (e: unknown) => (e as WildtrawlError).code === "takedown_not_found",
    );
  });

  it("e-mails a notice through SMTP with its JSON attached, and never twice", async () => {
    const listingId = await world.listing("881", "illegal_offer");
    const { items } = await service.draft(caller, { listingIds: [listingId] });
    const id = items[0]!.id;
    world.setNow("2026-03-02T10:00:00.000Z");
    const sent = await service.send(caller, id);
    assert.equal(sent.state, "sent");
    assert.equal(sink.messages.length, 1);
    const mail = sink.messages[0]!;
    assert.deepEqual(sink.recipients[0], ["abuse@market.example"]);
    assert.equal(mail.messageId, `<takedown-${id}-1@unit.example>`);
    assert.match(mail.subject ?? "", /Example Market : 881/);
    assert.match(mail.text ?? "", /https:\/\/market\.example\/item\/881/);
    const attachment = mail.attachments[0]!;
    assert.equal(attachment.contentType, "application/json");
    assert.equal(
      (JSON.parse(attachment.content.toString("utf8")) as { listing: { url: string } }).listing.url,
      "https://market.example/item/881",
    );
    await assert.rejects(
      service.send(caller, id),
      (e: unknown) => e instanceof ConflictError && e.code === "takedown_not_sendable",
    );
    assert.equal(sink.messages.length, 1, "a sent notice is not sent again");
    const events = await world.store.takedowns.events(id);
    assert.deepEqual(
      events.map((e) => e.toState),
      ["draft", "queued", "sent"],
    );
    assert.equal(events[2]!.details.messageId, `<takedown-${id}-1@unit.example>`);
    const audit = await world.store.audit.list({ subjectType: "takedown_notice", subjectId: String(id) });
    assert.deepEqual(
      audit.map((e) => e.action),
      ["takedown.created", "takedown.transitioned", "takedown.transitioned"],
    );
  });

  it("sends a notice once when two senders race for it", async () => {
    const listingId = await world.listing("881", "illegal_offer");
    const id = (await service.draft(caller, { listingIds: [listingId] })).items[0]!.id;
    const outcomes = await Promise.allSettled([service.send(caller, id), service.send(caller, id)]);
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ["fulfilled", "rejected"]);
    const refused = outcomes.find((o) => o.status === "rejected")!.reason as ConflictError;
    assert.equal(refused.code, "takedown_state_changed");
    assert.equal(sink.messages.length, 1);
  });

  it("keeps a notice queued when the SMTP server refuses it, and sends it on the next try", async () => {
    const listingId = await world.listing("881", "illegal_offer");
    const id = (await service.draft(caller, { listingIds: [listingId] })).items[0]!.id;
    sink.refuse(true);
    await assert.rejects(
      service.send(caller, id),
      (e: unknown) =>
        e instanceof WildtrawlError && e.code === "takedown_send_failed" && /550|unavailable/.test(e.message),
    );
    assert.equal((await world.store.takedowns.get(id))!.state, "queued");
    assert.equal(
      (await world.store.audit.list({ subjectType: "takedown_notice" })).at(-1)!.action,
      "takedown.send_failed",
    );
    sink.refuse(false);
    assert.equal((await service.send(caller, id)).state, "sent");
    assert.equal(sink.messages.length, 1);
    assert.equal(
      sink.messages[0]!.messageId,
      `<takedown-${id}-1@unit.example>`,
      "the retry keeps the Message-ID",
    );
  });

  it("records a notice sent by hand through a web form: who, when, reference", async () => {
    await service.savePlatform(caller, {
      slug: "example-market",
      name: "Example Market",
      channels: { webFormUrl: "https://market.example/report" },
      defaultLanguage: "es",
    });
    const listingId = await world.listing("881", "illegal_offer");
    const drafted = (await service.draft(caller, { listingIds: [listingId] })).items[0]!;
    assert.equal(drafted.channel, "web_form");
    assert.equal(drafted.recipient, "https://market.example/report");
    await assert.rejects(
      service.send(caller, drafted.id),
      (e: unknown) => e instanceof UsageError && e.code === "send_reference_missing",
    );
    world.setNow("2026-03-03T12:00:00.000Z");
    const sent = await service.send(caller, drafted.id, {
      reference: "CASE-77812",
      sentAt: new Date("2026-03-03T08:30:00.000Z"),
      by: "analyst@unit.example",
    });
    assert.equal(sent.state, "sent");
    assert.equal(sink.messages.length, 0, "nothing e-mailed");
    const event = (await world.store.takedowns.events(drafted.id)).at(-1)!;
    assert.equal(event.observedAt?.toISOString(), "2026-03-03T08:30:00.000Z");
    assert.deepEqual(event.details, {
      channel: "web_form",
      byHand: true,
      reference: "CASE-77812",
      by: "analyst@unit.example",
    });
  });

  it("moves notices through every state the issue names, refusing the rest", async () => {
    const ids: number[] = [];
    for (const key of ["1", "2", "3", "4"]) {
      const listingId = await world.listing(key, "illegal_offer");
      const id = (await service.draft(caller, { listingIds: [listingId] })).items[0]!.id;
      await service.send(caller, id);
      ids.push(id);
    }
    const [a, b, c, d] = ids as [number, number, number, number];
    world.setNow("2026-03-05T09:00:00.000Z");
    assert.equal(
      (await service.transition(caller, a, { from: "sent", to: "acknowledged" })).stateName,
      "acknowledged",
    );
    const removed = await service.transition(caller, a, {
      from: "acknowledged",
      to: "removed",
      note: "platform e-mail 4 March",
      observedAt: new Date("2026-03-04T16:00:00.000Z"),
    });
    assert.equal(removed.state, "removed");
    assert.equal((await service.transition(caller, b, { from: "sent", to: "refused" })).state, "rejected");
    const expired = await service.transition(caller, c, { from: "sent", to: "expired" });
    assert.deepEqual([expired.state, expired.stateName], ["no_response", "expired"]);
    // An expired notice may be sent again: a reminder with its own Message-ID.
    assert.equal((await service.send(caller, c)).state, "sent");
    assert.equal(sink.messages.length, 5);
    assert.notEqual(sink.messages[4]!.messageId, sink.messages[2]!.messageId);
    assert.equal((await service.transition(caller, d, { from: "sent", to: "withdrawn" })).state, "withdrawn");

    await assert.rejects(
      service.transition(caller, a, { from: "removed", to: "sent" }),
      (e: unknown) => e instanceof UsageError && e.code === "takedown_use_send",
    );
    await assert.rejects(
      service.transition(caller, b, { from: "rejected", to: "removed" }),
      (e: unknown) => e instanceof ConflictError && e.code === "takedown_transition_invalid",
    );
    await assert.rejects(
      service.transition(caller, c, { from: "acknowledged", to: "removed" }),
      (e: unknown) => e instanceof ConflictError && e.code === "takedown_state_changed",
    );
    await assert.rejects(
      service.transition(caller, c, { from: "sent", to: "gone" }),
      (e: unknown) => e instanceof UsageError && e.code === "takedown_state_invalid",
    );
    // A listing whose notice was withdrawn may get a new one.
    const redraft = await service.draft(caller, {
      listingIds: [(await world.store.takedowns.get(d))!.listingId],
    });
    assert.equal(redraft.created, 1);
    assert.match(redraft.items[0]!.reference ?? "", /-2$/);

    assert.deepEqual(
      (await service.list(caller, { state: "refused" })).map((n) => n.id),
      [b],
    );
    assert.deepEqual(
      (await service.list(caller, { platform: "example-market", state: "sent" })).map((n) => n.id),
      [c],
    );
  });

  it("maps names and slugs", () => {
    assert.equal(parseTakedownState("Expired"), "no_response");
    assert.equal(parseTakedownState("drafted"), "draft");
    assert.equal(platformSlugOf("Mercado Libre (México)"), "mercado-libre-mexico");
  });
  it("uses a platform's own wording in a language where it has one, the common template elsewhere", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "wildtrawl-templates-"));
    try {
      await cp(defaultTakedownTemplateDir, dir, { recursive: true });
      await mkdir(path.join(dir, "example-market"));
      // The platform's wording: the common French notice with its own subject and an opening line for its form.
      const french = await readFile(path.join(defaultTakedownTemplateDir, "fr.txt"), "utf8");
      await writeFile(
        path.join(dir, "example-market", "fr.txt"),
        french
          .replace(
            /== subject ==\n.*\n/,
            "== subject ==\nSignalement pour le formulaire DSA d'Example Market : {{listingRef}}\n",
          )
          .replace("== body ==\n", "== body ==\nFormulaire « contenu illicite » d'Example Market.\n"),
      );
      const templates = await loadNoticeTemplates(dir);
      assert.ok(templates.has("example-market/fr") && templates.has("fr"));
      const own = createTakedownService({
        store: world.store,
        templates,
        mailer,
        from: null,
        clock: world.now,
      });
      const illegal = await world.listing("881", "illegal_offer");
      const drafted = await own.draft(caller, { listingIds: [illegal] });
      const shown = await own.show(caller, drafted.items[0]!.id);
      assert.match(shown.subject, /^Signalement pour le formulaire DSA d'Example Market : 881/);
      assert.match(shown.text, /^Formulaire « contenu illicite » d'Example Market\./);
      assert.match(shown.text, /Loxodonta africana : CITES, annexe I/);

      const other = await world.listing("884", "illegal_offer");
      const english = await own.draft(caller, { listingIds: [other], language: "en" });
      const common = await own.show(caller, english.items[0]!.id);
      assert.match(common.subject, /^Notice of an illegal wildlife advert on Example Market/);
      await assert.rejects(
        own.draft(caller, { listingIds: [other], language: "example-market/fr" }),
        UsageError,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
