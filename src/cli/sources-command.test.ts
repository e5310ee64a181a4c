import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { runCli } from "./testing/run-cli.ts";
import { registerSourcesCommands } from "./sources-command.ts";

const run = (args: string[]) =>
  runCli(registerSourcesCommands, args, { now: () => new Date("2024-03-07T10:00:00Z") });

const fixtureSources = ["shop.yaml", "ads.yaml", "forum.json"].map((name) =>
  fileURLToPath(new URL(`../../test/fixtures/web/sources/${name}`, import.meta.url)),
);

describe("wildtrawl sources check", () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), "wildtrawl-sources-"));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("says OK for each valid declaration (the fixture web's three)", async () => {
    const result = await run(["sources", "check", ...fixtureSources]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split("\n");
    assert.equal(lines.length, 3);
    for (const line of lines) assert.match(line, /^OK {2}\S+ {2}fixture-/);
  });

  it("lists every problem with its file, line and field path, and exits 2", async () => {
    const file = path.join(directory, "broken.yaml");
    await writeFile(
      file,
      [
        "id: Bad Id",
        "platform:",
        "  name: Reptile Bazaar",
        "  country: XX",
        "languages: [th, klingon-xx-yy-zz-aa]",
        "context: marketplace",
        "allowedHosts: [reptiles.example]",
        "seeds:",
        "  - https://reptiles.example/",
        "  - https://elsewhere.example/",
        "search: [https://reptiles.example/search?q=]",
        "links:",
        "  listings: { patterns: ['^/item/(\\d+'] }",
        "extraction:",
        "  fields:",
        "    title: 'h1[unclosed'",
        "    prize: .price",
        "  currency: BAHT",
        "politeness: { requestsPerSecondPerHost: 0 }",
        "revisitEvery: weekly",
        "",
      ].join("\n"),
    );
    const result = await run(["sources", "check", file, ...fixtureSources.slice(0, 1)]);
    assert.equal(result.code, 2);
    assert.match(result.stdout, /^OK {2}.*shop\.yaml/m, "the valid file is still reported");
    const expected = [
      [1, "id: "],
      [4, 'platform.country: "XX" is not an ISO 3166-1 alpha-2 country code'],
      [5, "languages[1]: "],
      [6, "context: expected one of listing, post"],
      [10, "seeds[1]: host elsewhere.example is not in allowedHosts"],
      [11, 'search[0]: "https://reptiles.example/search?q=" has no {query} placeholder'],
      [13, "links.listings.patterns[0]: not a regular expression"],
      [16, 'extraction.fields.title[0]: "h1[unclosed" is not a CSS selector'],
      [17, 'extraction.fields.prize: unknown field (did you mean "price"?)'],
      [18, 'extraction.currency: "BAHT" is not an ISO 4217 currency code'],
      [19, "politeness.requestsPerSecondPerHost: expected a number from 0.001 to 1000, got 0"],
      [20, "revisitEvery: expected a duration"],
    ] as const;
    for (const [line, text] of expected) {
      assert.ok(
        result.stderr.includes(`${file}:${line}: ${text}`),
        `missing ${line}: ${text}\n${result.stderr}`,
      );
    }
    assert.match(result.stderr, /\[source_invalid\]/);
  });

  it("reports YAML syntax errors and unreadable files the same way", async () => {
    const file = path.join(directory, "syntax.yaml");
    await writeFile(file, "id: x\nplatform: { name: a\n");
    const missing = path.join(directory, "missing.yaml");
    const result = await run(["sources", "check", file, missing]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /syntax\.yaml:\d+: not valid YAML/);
    assert.match(result.stderr, /missing\.yaml:0: cannot read: ENOENT/);
  });
});
