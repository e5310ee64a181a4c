import assert from "node:assert/strict";
import { test } from "node:test";
import { csvCell, csvFileName, toCsv } from "./statistics-csv.ts";

test("cells that a spreadsheet would run as a formula are defused with a leading quote", () => {
  for (const hostile of ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"])
    assert.equal(csvCell(hostile).replace(/^"/, "").startsWith("'"), true, hostile);
  assert.equal(csvCell("=1+1"), "'=1+1");
  assert.equal(csvCell("Panthera pardus"), "Panthera pardus");
  assert.equal(csvCell("a=b"), "a=b");
});

test("numbers stay numbers, including negative ones, and missing values are empty", () => {
  assert.equal(csvCell(-3), "-3");
  assert.equal(csvCell(0.25), "0.25");
  assert.equal(csvCell(Number.NaN), "");
  assert.equal(csvCell(null), "");
  assert.equal(csvCell(undefined), "");
});

test("quotes, commas and line breaks are quoted as RFC 4180 asks", () => {
  assert.equal(csvCell('Ivory "antique", carved'), '"Ivory ""antique"", carved"');
  assert.equal(csvCell("two\nlines"), '"two\nlines"');
  assert.equal(csvCell('=cmd|" /C calc"!A0'), `"'=cmd|"" /C calc""!A0"`);
});

test("a file is a header and rows with CRLF line ends", () => {
  assert.equal(
    toCsv(
      ["month", "taxon", "offers"],
      [
        ["2026-05", "Psittacus erithacus", 12],
        ["2026-06", "-x", 0],
      ],
    ),
    "month,taxon,offers\r\n2026-05,Psittacus erithacus,12\r\n2026-06,'-x,0\r\n",
  );
});

test("file names keep letters, digits, dots and dashes only", () => {
  assert.equal(csvFileName("offers", "taxon", "month"), "offers-taxon-month.csv");
  assert.equal(csvFileName("../../etc/passwd", ""), "..-..-etc-passwd.csv");
  assert.equal(csvFileName("", "///"), "export.csv");
});
