import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  parseCurrentListing,
  parseSynonyms,
  populationListings,
  scopeOfSegment,
  splitAppendixSegments,
  stripExportHtml,
} from "./listing-text.ts";

describe("parseCurrentListing", () => {
  it("reads appendices and the NC marker", () => {
    assert.deepEqual(parseCurrentListing("I/II/NC"), { appendices: ["I", "II"], someNotListed: true });
    assert.deepEqual(parseCurrentListing("III"), { appendices: ["III"], someNotListed: false });
    assert.deepEqual(parseCurrentListing(""), { appendices: [], someNotListed: true });
  });
  it("rejects anything else", () => {
    assert.equal(parseCurrentListing("IV"), undefined);
    assert.equal(parseCurrentListing("I//II"), undefined);
    assert.equal(parseCurrentListing("Appendix I"), undefined);
  });
});

describe("annotations", () => {
  it("splits per appendix and strips the export's HTML", () => {
    const segments = splitAppendixSegments(
      "Appendix I:All populations except those of BW, NA, ZA, and ZW. \nAppendix II:Populations of <i>BW</i> &amp; NA ",
    );
    assert.deepEqual(segments, [
      { appendix: "I", text: "All populations except those of BW, NA, ZA, and ZW." },
      { appendix: "II", text: "Populations of BW & NA" },
    ]);
    assert.equal(stripExportHtml("a<p>b<p><p>c"), "a\nb\nc");
  });

  it("reads which populations a segment covers", () => {
    assert.deepEqual(scopeOfSegment("All populations except those of BW, NA, ZA, and ZW."), {
      kind: "except",
      countries: ["BW", "NA", "ZA", "ZW"],
    });
    assert.deepEqual(scopeOfSegment("Popns of BT, CN, MN, MX."), {
      kind: "only",
      countries: ["BT", "CN", "MN", "MX"],
    });
    assert.deepEqual(scopeOfSegment("Included in Ursidae spp."), { kind: "all" });
  });

  it("turns a bare 'except those in Appendix II' into the countries Appendix II names", () => {
    const populations = populationListings(["I", "II"], {
      en: "Appendix I:All populations except those included in Appendix II. \nAppendix II:Parts of populations of AR and CL, and the populations of BO, PE and EC. ",
    });
    assert.deepEqual(populations[0]?.scope, { kind: "except", countries: ["AR", "CL", "BO", "PE", "EC"] });
    assert.deepEqual(populations[1]?.scope, { kind: "only", countries: ["AR", "CL", "BO", "PE", "EC"] });
  });
});

describe("parseSynonyms", () => {
  it("drops authors, years and particles", () => {
    assert.deepEqual(parseSynonyms("Ornismya abeillei Lesson & DeLattre, 1839"), ["Ornismya abeillei"]);
    assert.deepEqual(
      parseSynonyms("Loxodonta cyclotis (Matschie, 1900), Elephas africanus Blumenbach, 1797"),
      ["Loxodonta cyclotis", "Elephas africanus"],
    );
    assert.deepEqual(parseSynonyms("Python regius de Vis, 1888"), ["Python regius"]);
    assert.deepEqual(parseSynonyms("Cattleya labiata var. autumnalis Hort."), [
      "Cattleya labiata var. autumnalis",
    ]);
    assert.deepEqual(parseSynonyms("Ursus arctos pruinosus Blyth, 1854"), ["Ursus arctos pruinosus"]);
  });
});
