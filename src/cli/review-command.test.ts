import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openStore } from "../storage/open-store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { registerDetectionCommands } from "./detect-command.ts";
import { exitCodes } from "./program.ts";
import { registerReviewCommands } from "./review-command.ts";
import { runCli } from "./testing/run-cli.ts";

describe("wildtrawl review", () => {
  let databaseUrl: string;
  let drop: () => Promise<void>;
  const ids: Record<string, number> = {};

  before(async () => {
    const database = await newSqliteDatabase();
    databaseUrl = database.url;
    drop = database.drop;
    const store = await openStore(databaseUrl);
    const org = await store.organisations.create({ slug: "unit", name: "Unit" }, "system:test");
    await store.organisations.create({ slug: "elsewhere", name: "Elsewhere" }, "system:test");
    for (const [email, role] of [
      ["rev@unit.example", "reviewer"],
      ["ana@unit.example", "analyst"],
      ["plat@unit.example", "platform_officer"],
    ] as const)
      await store.users.create(
        { organisationId: org.id, email, displayName: email.split("@")[0]!, role },
        "t",
      );
    const source = await store.sources.upsert({ organisationId: org.id, slug: "market", name: "Market" });
    const listings = [
      ["ivory", 0.9, "Loxodonta africana", "I"],
      ["python", 0.9, "Python regius", "II"],
      ["quiet", 0.2, "Python regius", "II"],
    ] as const;
    for (const [key, score, name, appendix] of listings) {
      const [result] = await store.listings.ingest([
        {
          sourceId: source.id,
          listingKey: key,
          observedAt: new Date("2026-03-03T00:00:00Z"),
          url: `https://market.example/${key}`,
          title: `${key} for sale\u001b[31m`,
          text: `${key}, ship worldwide`,
          seller: "trader",
          priceAmount: 250,
          priceCurrency: "EUR",
          language: "en",
          country: "DE",
          detection: {
            taxa: [{ taxonId: name.length, scientificName: name, appendix }],
            score,
            verdict: "mention",
            reasons: ["test"],
            detectorVersion: "d1",
          },
        },
      ]);
      ids[key] = result!.listingId;
    }
    await store.close();
  });
  after(() => drop());

  const run = (...argv: string[]) =>
    runCli(registerReviewCommands, ["review", ...argv], { env: { WILDTRAWL_DATABASE_URL: databaseUrl } });

  it("shows the queue to a person, highest score and appendix first, and as JSON", async () => {
    const shown = await run("queue", "--as", "rev@unit.example");
    assert.equal(shown.code, exitCodes.ok, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^#${ids.ivory}  0\\.90  ivory for sale \\[31m\\n`));
    assert.match(shown.stdout, /Loxodonta africana \(I\) · market · seller trader · 250 EUR · en DE/);
    assert.doesNotMatch(shown.stdout, /\u001b/, "scraped titles cannot drive the terminal");
    const json = await run("queue", "--org", "unit", "--json", "--limit", "1");
    const page = JSON.parse(json.stdout);
    assert.deepEqual(
      page.items.map((item: { listingId: number }) => item.listingId),
      [ids.ivory],
    );
    const next = JSON.parse(
      (await run("queue", "--org", "unit", "--json", "--cursor", page.nextCursor)).stdout,
    );
    assert.deepEqual(
      next.items.map((item: { listingId: number }) => item.listingId),
      [ids.python],
    );
    const ambiguous = await run("queue");
    assert.equal(ambiguous.code, exitCodes.usage);
    assert.match(ambiguous.stderr, /--as <email> or --org <slug>.*\[organisation_missing\]/);
    const mine = await run("queue", "--org", "unit", "--assignee", "me");
    assert.equal(mine.code, exitCodes.usage);
    assert.match(mine.stderr, /\[review_needs_user\]/);
  });

  it("assigns, filters by assignee and clears", async () => {
    const assigned = await run("assign", String(ids.python), "rev@unit.example", "--as", "ana@unit.example");
    assert.equal(assigned.code, exitCodes.ok, assigned.stderr);
    assert.match(assigned.stdout, new RegExp(`Listing #${ids.python} assigned to rev \\(user \\d+\\)`));
    const mine = JSON.parse(
      (await run("queue", "--as", "rev@unit.example", "--assignee", "me", "--json")).stdout,
    );
    assert.deepEqual(
      mine.items.map((item: { listingId: number; assignee: { displayName: string } }) => [
        item.listingId,
        item.assignee.displayName,
      ]),
      [[ids.python, "rev"]],
    );
    const refused = await run("assign", String(ids.ivory), "plat@unit.example", "--as", "ana@unit.example");
    assert.equal(refused.code, exitCodes.usage);
    assert.match(refused.stderr, /\[assignee_cannot_review\]/);
    const byOfficer = await run("assign", String(ids.ivory), "rev@unit.example", "--as", "plat@unit.example");
    assert.equal(byOfficer.code, exitCodes.usage);
    const cleared = await run("assign", String(ids.python), "none", "--as", "ana@unit.example");
    assert.match(cleared.stdout, /assigned to nobody/);
    assert.equal((await run("assign", "99999", "none", "--as", "ana@unit.example")).code, exitCodes.notFound);
  });

  it("records verdicts, which leave the queue and make the precision report", async () => {
    const bad = await run("verdict", String(ids.ivory), "offer", "--as", "rev@unit.example");
    assert.equal(bad.code, exitCodes.usage);
    const noPerson = await run("verdict", String(ids.ivory), "illegal_offer", "--org", "unit");
    assert.equal(noPerson.code, exitCodes.usage);
    const recorded = await run(
      "verdict",
      String(ids.ivory),
      "illegal_offer",
      "--note",
      "price and WhatsApp number",
      "--as",
      "rev@unit.example",
      "--json",
    );
    assert.equal(recorded.code, exitCodes.ok, recorded.stderr);
    assert.deepEqual((({ verdict, note }) => ({ verdict, note }))(JSON.parse(recorded.stdout)), {
      verdict: "illegal_offer",
      note: "price and WhatsApp number",
    });
    const second = await run("verdict", String(ids.python), "not_wildlife", "--as", "rev@unit.example");
    assert.match(second.stdout, /listing #\d+ is not wildlife/);
    await run("verdict", String(ids.quiet), "unsure", "--as", "ana@unit.example");
    assert.match((await run("queue", "--org", "unit")).stdout, /Nothing to review\./);

    const report = JSON.parse((await run("precision", "--org", "unit", "--by", "taxon", "--json")).stdout);
    assert.deepEqual(
      {
        reviewed: report.reviewed,
        precision: report.precision,
        notFlagged: report.notFlagged,
        groups: report.groups.map((g: { key: string; precision: number }) => [g.key, g.precision]),
      },
      {
        reviewed: 2,
        precision: 0.5,
        notFlagged: 1,
        groups: [
          ["Loxodonta africana", 1],
          ["Python regius", 0],
        ],
      },
    );
    const shown = await run("precision", "--as", "ana@unit.example");
    assert.equal(shown.code, exitCodes.ok, shown.stderr);
    assert.match(shown.stdout, /Flag precision by verdict/);
    assert.match(shown.stdout, /all reviewed flags\s+50\.0%\s+2\s+1\s+0\s+1\s+0/);
    assert.match(shown.stdout, /1 verdict\(s\) on listings that were not flagged/);
    const elsewhere = JSON.parse((await run("precision", "--org", "elsewhere", "--json")).stdout);
    assert.equal(elsewhere.reviewed, 0);
    assert.equal((await run("precision", "--org", "unit", "--by", "colour")).code, exitCodes.usage);
  });

  it("feeds verdicts to `model train --reviews`: offers teach an offer, not wildlife none, unsure nothing", async () => {
    const out = path.join(path.dirname(databaseUrl), "model.json");
    const trained = await runCli(registerDetectionCommands, ["model", "train", "--reviews", "--out", out], {
      env: { WILDTRAWL_DATABASE_URL: databaseUrl },
    });
    assert.equal(trained.code, exitCodes.ok, trained.stderr);
    assert.match(trained.stderr, /^2 reviewed listings from the database/);
    assert.match(trained.stdout, /fit on 2 adverts \(0 held out\)/);
    assert.match(await readFile(out, "utf8"), /"format": "wildtrawl-detection-model\/2"/);
    const nothing = await runCli(registerDetectionCommands, ["model", "train", "--out", out], {
      env: { WILDTRAWL_DATABASE_URL: databaseUrl },
    });
    assert.equal(nothing.code, exitCodes.usage);
    assert.match(nothing.stderr, /--reviews/);
  });
});
