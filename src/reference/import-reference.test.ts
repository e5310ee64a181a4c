import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, readFile, rm, writeFile, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { InvalidInputError } from "../core/errors.ts";
import { SpeciesIndex } from "../core/species/species-index.ts";
import { taxonReport, unnamedTaxonReport } from "../core/species/taxon-report.ts";
import { importReferenceData } from "./import-reference.ts";
import { loadSpeciesIndex } from "./reference-file.ts";

const fixtureExport = new URL(
  "../../test/fixtures/speciesplus/Index_of_CITES_Species_2017-04-21_mini.csv",
  import.meta.url,
).pathname;

const supplement = `# source: test supplement
# licence: CC0-1.0
scientific_name\trank\tkingdom\tphylum\tclass\torder\tfamily\tgenus\tlisting\tpopulations\tannotation_symbol\tcop\tproposal\tin_force\tcommon_name_en\tevidence
Isurus oxyrinchus\tSPECIES\tAnimalia\tChordata\tElasmobranchii\tLamniformes\tLamnidae\tIsurus\tII\t\t\tCoP18\tProp. 42\t2019-11-26\tShortfin mako\ttest
Carcharhinidae\tFAMILY\tAnimalia\tChordata\tElasmobranchii\tCarcharhiniformes\tCarcharhinidae\t\tII\t\t\tCoP19\tProp. 37\t2023-11-25\tRequiem sharks\ttest
Aonyx cinereus\tSPECIES\tAnimalia\tChordata\tMammalia\tCarnivora\tMustelidae\tAonyx\tI\t\t\tCoP18\tProp. 9\t2019-11-26\tAsian small-clawed otter\ttest
Python regius\tSPECIES\tAnimalia\tChordata\tReptilia\tSerpentes\tPythonidae\tPython\tDELETED\t\t\tCoP20\tProp. 99\t2026-03-01\t\ttest
`;

const parents = `# source: test
name\trank\tparent\tparent_rank
Aonyx\tGENUS\tLutrinae\tSUBFAMILY
`;

const names = `# source: test names
# date: 2026-11-23
# licence: CC0-1.0
scientific_name\tlang\tname
Manis pentadactyla\tzh-Hans\t中华穿山甲
Manis\tzh-Hans\t穿山甲
Manis javanica\tvi\tTê tê Java
Loxodonta africana\tru\tАфриканский слон
Loxodonta africana\tar\tفيل أفريقي
Elephas maximus\tth\tช้างเอเชีย
Aonyx cinereus\tja\tコツメカワウソ
`;

async function curatedDir(root: string, files: Record<string, string>): Promise<string> {
  for (const [relative, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await writeFile(path.join(root, relative), content);
  }
  return root;
}

describe("species import", () => {
  let work: string;
  let index: SpeciesIndex;
  const find = (name: string) => {
    const resolution = index.resolve(name);
    assert.equal(resolution.kind, "taxon", `${name} should resolve to a taxon`);
    return resolution.kind === "taxon" ? (resolution.taxa[0] as number) : -1;
  };

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), "wildtrawl-import-"));
    const curated = await curatedDir(path.join(work, "data"), {
      "supplement/cop.tsv": supplement,
      "taxonomy/subfamilies.tsv": parents,
      "names/test.tsv": names,
    });
    const outFile = path.join(work, "species.json.gz");
    await importReferenceData({ exportFile: fixtureExport, curatedDir: curated, outFile });
    index = await loadSpeciesIndex(outFile);
  });
  after(() => rm(work, { recursive: true, force: true }));

  it("keeps every row, and synthesises the ranks the export leaves implicit", () => {
    assert.equal(index.data.taxa.filter((taxon) => /^\d+$/.test(taxon.id)).length, 23);
    const lineage = index.lineage(find("Ursus arctos isabellinus")).map((at) => index.taxon(at).name);
    assert.deepEqual(lineage, [
      "Ursus arctos isabellinus",
      "Ursus arctos",
      "Ursus",
      "Ursidae",
      "Carnivora",
      "Mammalia",
      "Chordata",
      "Animalia",
    ]);
  });

  it("gives the appendix per population of a split listing", () => {
    const elephant = find("Loxodonta africana");
    assert.deepEqual(index.appendicesFor(elephant, "BW"), ["II"]);
    assert.deepEqual(index.appendicesFor(elephant, "ZW"), ["II"]);
    assert.deepEqual(index.appendicesFor(elephant, "KE"), ["I"]);
    const bear = find("Ursus arctos isabellinus");
    assert.deepEqual(index.appendicesFor(bear, "CN"), ["I"]);
    assert.deepEqual(index.appendicesFor(bear, "IN"), ["II"]);
  });

  it("finds a species the export does not name through its listed genus, family or subfamily", () => {
    const cases = [
      ["Dalbergia novospecies", "Dalbergia", ["II"]],
      ["Cattleya novospecies", "Orchidaceae", ["II"]],
      ["Aonyx novospecies", "Lutrinae", ["II"]],
      ["Carcharhinus novospecies", "Carcharhinidae", ["II"]],
    ] as const;
    for (const [name, viaName, appendices] of cases) {
      const resolution = index.resolve(name);
      assert.equal(resolution.kind, "unnamed", name);
      if (resolution.kind !== "unnamed") continue;
      const report = unnamedTaxonReport(index, name, resolution.nearestKnown, "2026-11-23");
      assert.equal(report.inReferenceData, false);
      assert.equal(report.status.via?.name, viaName, name);
      assert.deepEqual(report.status.appendices, appendices, name);
      assert.match(report.status.why, new RegExp(`not named in the reference data.*${viaName} spp\\.`));
    }
  });

  it("reports a higher taxon listed only through its members, such as the pangolin family", () => {
    const pangolins = index.resolve("Manidae");
    assert.equal(pangolins.kind, "taxon");
    const family = pangolins.kind === "taxon" ? (pangolins.taxa[0] as number) : -1;
    assert.equal(index.listingStatus(family).listed, false);
    const members = index.memberListings(family);
    assert.deepEqual(members.appendices, ["I", "II"]);
    assert.deepEqual(
      members.members.map((member) => index.taxon(member).name),
      ["Manis"],
    );
    assert.match(
      taxonReport(index, family, "2026-11-23").status.why,
      /not listed as a whole, but its members Manis spp\. are/,
    );
  });

  it("stops inheritance at a taxon the export names as not listed", () => {
    const budgie = index.listingStatus(find("Melopsittacus undulatus"));
    assert.equal(budgie.listed, false);
    assert.equal(budgie.listed === false && budgie.reason, "excluded");
    const greyParrot = index.listingStatus(find("Psittacus erithacus"));
    assert.equal(greyParrot.listed && greyParrot.inherited, false);
  });

  it("applies the supplement: new taxa, transfers through synonyms, deletions, each citing its CoP", () => {
    const mako = taxonReport(index, find("Isurus oxyrinchus"), "2026-11-23");
    assert.deepEqual(mako.status.appendices, ["II"]);
    assert.equal(mako.status.source?.cop, "CoP18");
    assert.equal(mako.status.source?.proposal, "Prop. 42");
    assert.equal(mako.status.source?.date, "2019-11-26");
    assert.equal(mako.status.source?.ageYears, 6, "2019-11-26 to 2026-11-23 is six whole years");
    assert.deepEqual(
      mako.hierarchy.map((ancestor) => ancestor.name),
      ["Animalia", "Chordata", "Elasmobranchii", "Lamniformes", "Lamnidae", "Isurus", "Isurus oxyrinchus"],
    );

    const otter = find("Aonyx cinerea");
    assert.equal(find("Aonyx cinereus"), otter, "the supplement's name is the export's synonym");
    const otterStatus = index.listingStatus(otter);
    assert.ok(otterStatus.listed);
    assert.deepEqual(otterStatus.listed && otterStatus.appendices, ["I"]);
    assert.deepEqual(otterStatus.listed && otterStatus.listing.supersedes?.appendices, ["II"]);

    const oceanicWhitetip = index.listingStatus(find("Carcharhinus longimanus"));
    assert.equal(oceanicWhitetip.listed && oceanicWhitetip.inherited, false, "its own listing wins");

    const royalPython = index.listingStatus(find("Python regius"));
    assert.equal(royalPython.listed, false);
    assert.equal(royalPython.listed === false && royalPython.reason, "deleted");
  });

  it("finds taxa by names in several scripts, with the source of each name", () => {
    for (const [query, expected] of [
      ["中华穿山甲", "Manis pentadactyla"],
      ["穿山甲", "Manis"],
      ["te te java", "Manis javanica"],
      ["африканский слон", "Loxodonta africana"],
      ["فيل أفريقي", "Loxodonta africana"],
      ["ช้างเอเชีย", "Elephas maximus"],
      ["コツメカワウソ", "Aonyx cinerea"],
      ["ELEPHANT D'AFRIQUE", "Loxodonta africana"],
      ["Loxodonta africanna", "Loxodonta africana"],
      ["Psitacus erithacus", "Psittacus erithacus"],
    ] as const) {
      const hit = index.search(query, 1)[0];
      assert.equal(hit && index.taxon(hit.taxon).name, expected, query);
    }
    const chinese = index.search("穿山甲", 5).map((hit) => index.taxon(hit.taxon).name);
    assert.ok(
      chinese.includes("Manis pentadactyla"),
      "a longer Chinese name containing the query is found too",
    );
    const nameSource = index.namesByKey("中华穿山甲")[0]?.source;
    assert.equal(nameSource !== undefined && index.source(nameSource).title, "test names");
  });

  it("answers not found with the nearest names", () => {
    const misspelt = index.resolve("Loxodontta africana");
    assert.equal(misspelt.kind, "not-found");
    assert.deepEqual(
      misspelt.kind === "not-found" && misspelt.suggestions.map((hit) => index.taxon(hit.taxon).name),
      ["Loxodonta africana"],
    );
    const unknown = index.resolve("Zzyzx");
    assert.deepEqual(unknown, { kind: "not-found", suggestions: [] });
  });
});

describe("species import of bad input", () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), "wildtrawl-import-bad-"));
  });
  after(() => rm(work, { recursive: true, force: true }));

  async function exportWith(transform: (lines: string[]) => string[]): Promise<string> {
    const text = await readFile(fixtureExport, "utf8");
    const file = path.join(
      work,
      `Index_of_CITES_Species_2017-04-21_${Math.random().toString(36).slice(2)}.csv`,
    );
    await writeFile(file, transform(text.split("\r\n")).join("\r\n"));
    return file;
  }

  it("names the line and column of each malformed row, and leaves the existing data untouched", async () => {
    const outFile = path.join(work, "species.json.gz");
    await importReferenceData({ exportFile: fixtureExport, curatedDir: path.join(work, "none"), outFile });
    const before = await readFile(outFile);
    const broken = await exportWith((lines) =>
      lines.map((line, index) => {
        if (index === 2) return line.replace(/^\d+,/, "x12,");
        if (index === 3) return line.replace(/,SPECIES,(I|II|I\/II),/, ",SPECIES,IV,");
        if (index === 4) return line.replace(/,SPECIES,/, ",SPECIMEN,");
        return line;
      }),
    );
    await assert.rejects(
      importReferenceData({ exportFile: broken, curatedDir: path.join(work, "none"), outFile }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidInputError);
        const where = error.problems.map((problem) => `${problem.line}:${problem.column}`);
        assert.ok(where.includes("3:TaxonId"), where.join(" "));
        assert.ok(
          where.some((at) => at.endsWith(":CurrentListing")),
          where.join(" "),
        );
        assert.ok(
          where.some((at) => at.endsWith(":RankName")),
          where.join(" "),
        );
        assert.match(error.message, /x12/);
        return true;
      },
    );
    assert.deepEqual(await readFile(outFile), before, "a failed import writes nothing");
  });

  it("reports a missing column by name", async () => {
    const broken = await exportWith((lines) => [
      (lines[0] ?? "").replace("CurrentListing", "Listing"),
      ...lines.slice(1),
    ]);
    await assert.rejects(
      importReferenceData({ exportFile: broken, curatedDir: path.join(work, "none") }),
      /line 1|:1 \(column CurrentListing\): missing from the header/,
    );
  });

  it("reports a name for a taxon the data does not have, with its file and line", async () => {
    const curated = await curatedDir(path.join(work, "bad-names"), {
      "names/bad.tsv": `# source: x\n# date: 2026-11-23\n# licence: CC0-1.0\nscientific_name\tlang\tname\nManis javanica\tvi\ttê tê\nManis fantastica\tvi\ttê tê giả\n`,
    });
    await assert.rejects(
      importReferenceData({ exportFile: fixtureExport, curatedDir: curated }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidInputError);
        assert.deepEqual(
          error.problems.map((problem) => [path.basename(problem.file), problem.line, problem.column]),
          [["bad.tsv", 6, "scientific_name"]],
        );
        return true;
      },
    );
  });

  it("rejects a supplement row without its proposal", async () => {
    const curated = await curatedDir(path.join(work, "bad-supplement"), {
      "supplement/bad.tsv": supplement.replace("Prop. 42", ""),
    });
    await assert.rejects(
      importReferenceData({ exportFile: fixtureExport, curatedDir: curated }),
      /bad\.tsv:4 \(column proposal\): empty/,
    );
  });

  it("reads a gzip'd export the same as the plain one", async () => {
    const { gzipSync } = await import("node:zlib");
    const gzipped = path.join(work, "Index_of_CITES_Species_2017-04-21_copy.csv.gz");
    await writeFile(gzipped, gzipSync(await readFile(fixtureExport)));
    const plainCopy = path.join(work, "Index_of_CITES_Species_2017-04-21_copy.csv");
    await copyFile(fixtureExport, plainCopy);
    const none = path.join(work, "none");
    assert.deepEqual(
      await importReferenceData({ exportFile: gzipped, curatedDir: none }),
      await importReferenceData({ exportFile: plainCopy, curatedDir: none }),
    );
  });
});
