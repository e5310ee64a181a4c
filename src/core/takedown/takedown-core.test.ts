import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { InvalidInputError } from "../errors.ts";
import {
  noticeDocument,
  parseNoticeTemplate,
  plainLine,
  renderNotice,
  type NoticeFacts,
} from "./notice-template.ts";
import { measureTakedowns, percentile, periodOf, type NoticeOutcome } from "./takedown-measures.ts";
import { reportCsv, reportHtml, type TakedownReport } from "./takedown-report-format.ts";

const templateDir = new URL("../../../data/takedown/", import.meta.url);
const template = (language: string) =>
  parseNoticeTemplate(
    readFileSync(new URL(`${language}.txt`, templateDir), "utf8"),
    `${language}.txt`,
    language,
  );

const hostileTitle =
  "IVORY bangle {{sender}}\r\nBcc: victim@example.com\u202Egnp.exe\u0007 " + "x".repeat(400);

const facts: NoticeFacts = {
  reference: "WT-unit-listing-7-1",
  date: "2026-04-03",
  platform: { slug: "example-market", name: "Example Market" },
  listing: {
    url: "https://market.example/item/881",
    platformListingId: "881",
    title: hostileTitle,
    text: "Genuine old ivory, ship worldwide. DM me.",
    seller: "tusk_trader",
    firstSeenAt: "2026-03-30T08:00:00.000Z",
  },
  taxa: [{ taxonId: 4521, scientificName: "Loxodonta africana", appendix: "I" }],
  legalBases: {
    nationalLaw: "Code de l'environnement, art. L. 415-3",
    policyUrl: "https://market.example/policies/animals",
    dsaArticle16: true,
    trustedFlagger: "ARCOM, TF-2025-014",
  },
  evidence: [
    { captureId: 3, capturedAt: "2026-03-30T08:05:00.000Z", sha256: "ab".repeat(32), status: "complete" },
  ],
  sender: { organisation: "Wildlife Unit", contact: "notices@unit.example" },
};

describe("notice templates", () => {
  it("ships at least English, French and Spanish, every file complete and valid", () => {
    const languages = readdirSync(templateDir)
      .filter((f) => f.endsWith(".txt"))
      .map((f) => f.slice(0, -4));
    for (const language of ["en", "fr", "es"]) assert.ok(languages.includes(language), language);
    for (const language of languages) {
      const rendered = renderNotice(template(language), {
        ...facts,
        listing: { ...facts.listing, title: "Ivory" },
      });
      assert.ok(rendered.text.includes("https://market.example/item/881"), `${language}: URL`);
      assert.ok(rendered.text.includes("Loxodonta africana"), `${language}: taxon`);
      assert.ok(rendered.text.includes("2022/2065"), `${language}: DSA`);
      assert.ok(rendered.text.includes("TF-2025-014"), `${language}: trusted flagger`);
      assert.ok(rendered.text.includes("ab".repeat(32)), `${language}: capture hash`);
      assert.doesNotMatch(rendered.text, /\{\{/, `${language}: every placeholder filled`);
    }
  });

  it("quotes hostile advert text on one line, never reading it as a template", () => {
    const { subject, text } = renderNotice(template("en"), facts);
    const titleLine = text.split("\n").find((line) => line.startsWith("Title as published:"))!;
    assert.match(
      titleLine,
      /^Title as published: “IVORY bangle \{\{sender\}\} Bcc: victim@example\.comgnp\.exe x+…”$/,
    );
    assert.ok([...titleLine].length < 240, "cut short");
    assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u202e]/, "no control or bidi characters");
    assert.ok(!text.includes("\nBcc:"), "no line of the advert's making");
    assert.doesNotMatch(subject, /[\r\n]/);
    assert.equal(
      subject,
      "Notice of an illegal wildlife advert on Example Market: 881 (ref. WT-unit-listing-7-1)",
    );
    assert.equal(plainLine("a\u200bb\u2066c\n\nd"), "abc d");
  });

  it("cites only the legal bases a platform has, and says so when nothing was captured", () => {
    const bare = renderNotice(template("fr"), {
      ...facts,
      legalBases: { nationalLaw: null, policyUrl: null, dsaArticle16: false, trustedFlagger: "ARCOM" },
      evidence: [],
      listing: { ...facts.listing, platformListingId: null, seller: null },
    });
    assert.doesNotMatch(bare.text, /2022\/2065|signaleur de confiance/, "no DSA without Article 16");
    assert.match(bare.text, /Aucune capture pour l'instant/);
    assert.match(bare.text, /Vendeur : \(non indiqué\)/);
    assert.match(bare.subject, /https:\/\/market\.example\/item\/881/);
  });

  it("refuses a template with unknown sections or placeholders, naming the line", () => {
    const text = "# comment\n== subject ==\n{{platfrom}}\n== bogus ==\nx\n";
    assert.throws(
      () => parseNoticeTemplate(text, "xx.txt", "xx"),
      (e: unknown) =>
        e instanceof InvalidInputError &&
        e.problems.some((p) => p.line === 3 && p.message.includes("{{platfrom}}")) &&
        e.problems.some((p) => p.line === 4 && p.message.includes('"bogus"')) &&
        e.problems.some((p) => p.message.includes('section "body" is missing')),
    );
  });

  it("gives the notice as data: listing, platform id, taxa with appendix, legal bases, evidence, sender", () => {
    const document = noticeDocument(facts, "en");
    assert.equal(document.listing.platformListingId, "881");
    assert.deepEqual(document.taxa, [
      { taxonId: 4521, scientificName: "Loxodonta africana", citesAppendix: "I" },
    ]);
    assert.deepEqual(
      document.legalBases.map((b) => b.kind),
      ["national_law", "platform_policy", "eu_dsa_article_16", "eu_dsa_article_22_trusted_flagger"],
    );
    assert.equal(document.evidence[0]!.sha256, "ab".repeat(32));
    assert.equal(document.listing.title, hostileTitle, "the data keeps the advert's exact text");
  });
});

describe("takedown measures", () => {
  const day = 86_400_000;
  const sent = new Date("2026-03-02T10:00:00Z"); // a Monday, ISO week 10
  const outcome = (
    platform: string,
    sentAt: Date,
    removedAfterDays: number | null,
    relisted: boolean | null = null,
  ) =>
    ({
      platform,
      sentAt,
      removedAt: removedAfterDays === null ? null : new Date(sentAt.getTime() + removedAfterDays * day),
      relisted,
    }) satisfies NoticeOutcome;

  it("uses nearest-rank percentiles", () => {
    assert.equal(percentile([10, 1, 3, 2, 4], 50), 3);
    assert.equal(percentile([1, 2, 3, 4, 10], 90), 10);
    assert.equal(percentile([1, 2, 3, 4], 50), 2);
    assert.equal(percentile([], 50), null);
    assert.throws(() => percentile([1], 0), RangeError);
  });

  it("names ISO weeks and months in UTC", () => {
    assert.equal(periodOf(new Date("2026-01-01T00:00:00Z"), "week"), "2026-W01");
    assert.equal(periodOf(new Date("2027-01-01T12:00:00Z"), "week"), "2026-W53");
    assert.equal(periodOf(new Date("2026-03-08T23:59:59Z"), "week"), "2026-W10");
    assert.equal(periodOf(new Date("2026-03-09T00:00:00Z"), "week"), "2026-W11");
    assert.equal(periodOf(new Date("2026-03-31T23:00:00Z"), "month"), "2026-03");
  });

  it("measures a made-up history with known answers", () => {
    const history: NoticeOutcome[] = [
      ...[1, 2, 3, 4, 10].map((d, i) =>
        outcome("market", new Date(sent.getTime() + i * 3_600_000), d, d === 10),
      ),
      outcome("market", sent, null),
      outcome("market", new Date("2026-04-01T10:00:00Z"), 0.5, false),
      outcome("souk", sent, null),
      { platform: "souk", sentAt: null, removedAt: null, relisted: null },
    ];
    const rows = measureTakedowns(history, "month");
    assert.deepEqual(
      rows.map((r) => [
        r.platform,
        r.period,
        r.noticesSent,
        r.removed,
        r.removalRate,
        r.medianDaysToRemoval,
        r.p90DaysToRemoval,
        r.relisted,
        r.relistingRate,
      ]),
      [
        ["market", "2026-03", 6, 5, 0.8333, 3, 10, 1, 0.2],
        ["market", "2026-04", 1, 1, 1, 0.5, 0.5, 0, 0],
        ["souk", "2026-03", 1, 0, 0, null, null, 0, null],
        ["all", "2026-03", 7, 5, 0.7143, 3, 10, 1, 0.2],
        ["all", "2026-04", 1, 1, 1, 0.5, 0.5, 0, 0],
      ],
    );
    const weekly = measureTakedowns(history, "week");
    assert.deepEqual(
      weekly.filter((r) => r.platform === "all").map((r) => [r.period, r.noticesSent]),
      [
        ["2026-W10", 7],
        ["2026-W14", 1],
      ],
    );
    const unmeasured = measureTakedowns([outcome("market", sent, 2, null)], "all");
    assert.equal(unmeasured[0]!.relisted, null, "re-listing not measured is not zero");
    assert.equal(unmeasured[0]!.relistingRate, null);
  });

  it("writes CSV safe for spreadsheets and HTML with everything escaped", () => {
    const report: TakedownReport = {
      generatedAt: "2026-04-10T00:00:00.000Z",
      interval: "month",
      definitions: {
        timeToRemoval: "sent → removed",
        percentiles: "nearest rank",
        relisting: "<not measured>",
      },
      rows: [
        { ...measureTakedowns([outcome("market", sent, 1)], "month")[0]!, platform: '=HYPERLINK("x"),<b>' },
      ],
    };
    const csv = reportCsv(report);
    assert.equal(csv.split("\r\n")[1], `"'=HYPERLINK(""x""),<b>",2026-03,1,1,1,1,1,,`);
    const html = reportHtml(report);
    assert.ok(html.includes("=HYPERLINK(&quot;x&quot;),&lt;b&gt;"));
    assert.ok(html.includes("&lt;not measured&gt;"));
    assert.doesNotMatch(html, /<script|<link|src=/);
  });
});
