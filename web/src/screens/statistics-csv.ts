/**
 * CSV for the statistics screen's downloads, built in the browser from the data the charts show. Free of React and
 * the DOM so that node can test it.
 */

export type CsvCell = string | number | null | undefined;

// A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); advert-derived labels
// such as seller names or taxon names typed by a trader reach these files, so they are defused with a quote.
const formulaStart = /^[=+\-@\t\r]/;

/** One cell as RFC 4180 text, defused against formula injection. Numbers are written as numbers. */
export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  const text = formulaStart.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A whole file: a header row, then the rows, CRLF line ends as RFC 4180 asks. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

/** A file name safe on every system: letters, digits, dots and dashes. */
export function csvFileName(...parts: readonly string[]): string {
  const name = parts
    .map((part) => part.replace(/[^A-Za-z0-9.-]+/g, "-").replace(/^-+|-+$/g, ""))
    .filter((part) => part.length > 0)
    .join("-");
  return `${name || "export"}.csv`;
}
