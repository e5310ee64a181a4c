import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openStore } from "../storage/open-store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { registerListingsCommands } from "./listings-command.ts";
import { exitCodes } from "./program.ts";
import { runCli } from "./testing/run-cli.ts";

describe("wildtrawl listings search", () => {
  let databaseUrl: string;
  let drop: () => Promise<void>;

  before(async () => {
    const database = await newSqliteDatabase();
    databaseUrl = database.url;
    drop = database.drop;
    const store = await openStore(databaseUrl);
    const org = await store.organisations.create({ slug: "unit", name: "Unit" }, "system:test");
    const source = await store.sources.upsert({ organisationId: org.id, slug: "market", name: "Market" });
    const detection = (appendix: "I" | "II", verdict: "offer" | "mention") => ({
      taxa: [
        {
          taxonId: appendix === "I" ? 4521 : 7000,
          scientificName: appendix === "I" ? "Loxodonta africana" : "Python regius",
          appendix,
        },
      ],
      score: 0.8,
      verdict,
      reasons: ["test"],
      detectorVersion: "d1",
    });
    await store.listings.ingest([
      ...Array.from({ length: 3 }, (_, i) => ({
        sourceId: source.id,
        listingKey: `ivory-${i}`,
        observedAt: new Date("2026-03-01T00:00:00Z"),
        url: `https://market.example/${i}`,
        title: `Ivory bangle ${i}\u001b[31m`,
        text: "old ivory, ship worldwide",
        priceAmount: 100 + i,
        priceCurrency: "USD",
        detection: detection("I", "offer"),
      })),
      {
        sourceId: source.id,
        listingKey: "python",
        observedAt: new Date("2026-03-02T00:00:00Z"),
        url: "https://market.example/python",
        title: "Python skin belt",
        text: "genuine python leather",
        detection: detection("II", "mention"),
      },
    ]);
    await store.close();
  });
  after(() => drop());

  const run = (...argv: string[]) =>
    runCli(registerListingsCommands, argv, { env: { WILDTRAWL_DATABASE_URL: databaseUrl } });

  it("prints JSON pages and follows the cursor", async () => {
    const first = await run("listings", "search", "ivory", "--appendix", "I", "--limit", "2", "--json");
    assert.equal(first.code, exitCodes.ok);
    const page = JSON.parse(first.stdout) as {
      items: { listingKey: string; taxa: unknown[] }[];
      nextCursor: string;
    };
    assert.deepEqual(
      page.items.map((l) => l.listingKey),
      ["ivory-2", "ivory-1"],
    );
    assert.deepEqual(page.items[0]!.taxa, [
      { taxonId: 4521, scientificName: "Loxodonta africana", appendix: "I" },
    ]);
    const second = await run(
      "listings",
      "search",
      "ivory",
      "--limit",
      "2",
      "--cursor",
      page.nextCursor,
      "--json",
    );
    const next = JSON.parse(second.stdout) as { items: { listingKey: string }[]; nextCursor: string | null };
    assert.deepEqual(
      next.items.map((l) => l.listingKey),
      ["ivory-0"],
    );
    assert.equal(next.nextCursor, null);
  });

  it("filters by taxon and verdict and prints a readable, terminal-safe list", async () => {
    const { code, stdout } = await run("listings", "search", "--taxon", "Python", "--verdict", "mention");
    assert.equal(code, exitCodes.ok);
    assert.match(
      stdout,
      /^#4 {2}Python skin belt\n {4}mention 0\.80 · Python regius \(II\) · seen 2026-03-02–2026-03-02\n/,
    );
    const ivory = await run("listings", "search", "bangle", "--limit", "1");
    assert.ok(!ivory.stdout.includes("\u001b"), "escape sequences from scraped titles are not printed");
    assert.match(ivory.stdout, /More: --cursor \S+/);
    assert.equal((await run("listings", "search", "rhino")).stdout, "No listings match.\n");
  });

  it("refuses bad arguments with a usage error", async () => {
    assert.equal((await run("listings", "search", "--appendix", "IV")).code, exitCodes.usage);
    assert.equal((await run("listings", "search", "--limit", "0")).code, exitCodes.usage);
    assert.equal((await run("listings", "search", "--since", "yesterday")).code, exitCodes.usage);
    const badCursor = await run("listings", "search", "--cursor", "garbage");
    assert.equal(badCursor.code, exitCodes.usage);
    assert.match(badCursor.stderr, /cursor_invalid/);
  });
});
