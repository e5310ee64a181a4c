import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openStore } from "../storage/open-store.ts";
import { newSqliteDatabase } from "../storage/testing/test-databases.ts";
import { exitCodes } from "./program.ts";
import { registerRelistingCommands } from "./relisting-command.ts";
import { runCli } from "./testing/run-cli.ts";

describe("wildtrawl relistings", () => {
  let databaseUrl: string;
  let drop: () => Promise<void>;
  const ids: Record<string, number> = {};

  before(async () => {
    const database = await newSqliteDatabase();
    databaseUrl = database.url;
    drop = database.drop;
    const store = await openStore(databaseUrl);
    const org = await store.organisations.create({ slug: "unit", name: "Unit" }, "system:test");
    const a = await store.sources.upsert({ organisationId: org.id, slug: "a", name: "A", platform: "a" });
    const b = await store.sources.upsert({ organisationId: org.id, slug: "b", name: "B", platform: "b" });
    const ingest = async (sourceId: number, key: string, day: number, title: string, text: string) => {
      const [result] = await store.listings.ingest([
        {
          sourceId,
          listingKey: key,
          observedAt: new Date(Date.UTC(2026, 2, day)),
          url: `https://x.example/${key}`,
          title,
          text,
        },
      ]);
      ids[key] = result!.listingId;
    };
    await ingest(
      a.id,
      "horn",
      1,
      "Nashorn Horn aus Nachlass",
      "Verkaufe ein echtes Nashorn Horn aus einem Nachlass, ohne Papiere. Kontakt über Signal 0151 23456789.",
    );
    await ingest(
      a.id,
      "cup",
      2,
      "Old libation cup",
      "Carved cup from an old collection, family estate, collection only",
    );
    await store.listings.markRemoved([ids.horn!], new Date(Date.UTC(2026, 2, 3)));
    await ingest(
      b.id,
      "horn-again",
      5,
      "Horn vom Nashorn aus Nachlass",
      "Verkaufe ein echtes Horn vom Nashorn aus einem Nachlass, keine Papiere. Signal 0151 23456789.",
    );
    await store.close();
  });
  after(() => drop());

  const run = (...argv: string[]) =>
    runCli(registerRelistingCommands, argv, { env: { WILDTRAWL_DATABASE_URL: databaseUrl } });

  it("checks every listing, prints what it found, and finds nothing new the second time", async () => {
    const first = await run("relistings", "check");
    assert.equal(first.code, exitCodes.ok, first.stderr);
    assert.match(first.stdout, /Checked 3 listing\(s\), 3 fingerprinted: 1 new re-listing\(s\)\./);
    assert.match(
      first.stdout,
      new RegExp(
        `#${ids.horn} → #${ids["horn-again"]}  same words \\d+% \\(SimHash \\d+ bits apart\\); same seller phone:123456789`,
      ),
    );
    const second = await run("relistings", "check", String(ids["horn-again"]), "--json");
    assert.deepEqual(JSON.parse(second.stdout), {
      checked: 1,
      fingerprinted: 0,
      relistings: [],
      imageFailures: [],
    });
  });

  it("lists re-listings as text and JSON, by listing and by date", async () => {
    const json = JSON.parse((await run("relistings", "list", "--json")).stdout) as {
      items: { originalListingId: number; newListingId: number; reasons: { kind: string }[] }[];
    };
    assert.deepEqual(
      json.items.map((r) => [r.originalListingId, r.newListingId, r.reasons.map((reason) => reason.kind)]),
      [[ids.horn, ids["horn-again"], ["text", "seller"]]],
    );
    assert.match((await run("relistings", "list", "--listing", String(ids["horn-again"]))).stdout, /→/);
    assert.equal((await run("relistings", "list", "--listing", String(ids.cup))).stdout, "No re-listings.\n");
    assert.equal((await run("relistings", "list", "--until", "2000-01-01")).stdout, "No re-listings.\n");
  });

  it("with --images, fetches photos through the vetted fetcher: an internal address is refused, not fetched", async () => {
    const store = await openStore(databaseUrl);
    const source = (await store.sources.list())[0]!;
    const [photo] = await store.listings.ingest([
      {
        sourceId: source.id,
        listingKey: "photo",
        observedAt: new Date(Date.UTC(2026, 2, 6)),
        url: "https://x.example/photo",
        title: "Carved figure",
        text: "Carved figure, see the photo",
        attributes: { imageUrls: ["http://127.0.0.1/photo.jpg"] },
      },
    ]);
    await store.close();
    const checked = JSON.parse(
      (await run("relistings", "check", String(photo!.listingId), "--images", "--json")).stdout,
    ) as { imageFailures: { listingId: number; url: string; code: string }[] };
    assert.equal(checked.imageFailures.length, 1);
    assert.equal(checked.imageFailures[0]!.url, "http://127.0.0.1/photo.jpg");
    assert.match(checked.imageFailures[0]!.code, /address|private|blocked|loopback|special/);
  });

  it("refuses bad arguments and names a missing listing", async () => {
    assert.equal((await run("relistings", "check", "abc")).code, exitCodes.usage);
    assert.equal((await run("relistings", "list", "--since", "yesterday")).code, exitCodes.usage);
    const missing = await run("relistings", "list", "--listing", "424242");
    assert.equal(missing.code, exitCodes.notFound);
    assert.match(missing.stderr, /no listing 424242/);
  });
});
