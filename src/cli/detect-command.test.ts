import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { defaultDetectionModelPath } from "../config.ts";

const main = fileURLToPath(new URL("../main.ts", import.meta.url));
const wildtrawl = (args: string[], input?: string) =>
  spawnSync(process.execPath, [main, ...args], { input, encoding: "utf8", timeout: 60_000 });

describe("wildtrawl detect", () => {
  it("explains one advert", () => {
    const result = wildtrawl(["detect", "Bán vảy tê tê, giá 2.500.000₫, ship toàn quốc"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^Offer of a CITES-listed taxon/);
    assert.match(result.stdout, /Appendix I\/II: Manis spp\. via 'vảy tê tê'/);
    assert.match(result.stdout, /score:\n  -\d\.\d\d  base rate/);
  });

  it("reads JSON Lines and answers each line, reporting a bad line without stopping", () => {
    const input = [
      JSON.stringify({ id: "a", text: "Selling elephant ivory bangle, DM for price" }),
      "{not json",
      JSON.stringify({ id: "c", title: "Tiger balm", text: "for sale $5" }),
    ].join("\n");
    const result = wildtrawl(["detect", "--jsonl"], input);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, 3);
    assert.equal(lines[0]?.id, "a");
    assert.equal(lines[0]?.verdict, "offer");
    assert.deepEqual((lines[0]?.taxa as Array<{ name: string }>).map((taxon) => taxon.name).sort(), [
      "Elephas maximus",
      "Loxodonta africana",
    ]);
    assert.deepEqual(lines[1], {
      line: 2,
      error: { code: "advert_invalid", message: lines[1] && (lines[1].error as { message: string }).message },
    });
    assert.match((lines[1]?.error as { message: string }).message, /line 2: not JSON/);
    assert.equal(lines[2]?.verdict, "none");
  });

  it("says what is missing when given nothing", () => {
    const result = wildtrawl(["detect"]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /give the advert text/);
  });
});

describe("wildtrawl eval and model train", () => {
  it("measure and fit on a labelled file, naming a malformed line", async () => {
    const cases = fileURLToPath(new URL("../../test/fixtures/detection/cases.jsonl", import.meta.url));
    const evaluation = wildtrawl(["eval", cases, "--split", "holdout", "--json"]);
    assert.equal(evaluation.status, 0, evaluation.stderr);
    const report = (
      JSON.parse(evaluation.stdout) as Record<string, { citesOffer: { f1: number }; byLanguage: unknown[] }>
    )[cases];
    assert.ok((report?.citesOffer.f1 ?? 0) > 0.9, JSON.stringify(report?.citesOffer));
    assert.ok((report?.byLanguage.length ?? 0) >= 12);
    assert.ok(
      (await readFile(defaultDetectionModelPath, "utf8")).includes('"format": "wildtrawl-detection-model/2"'),
    );
  });
});
