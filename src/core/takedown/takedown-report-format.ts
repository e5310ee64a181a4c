import type { ReportInterval, TakedownMeasure } from "./takedown-measures.ts";

/** The takedown report as a file: CSV (RFC 4180), JSON, or one self-contained HTML page (no scripts, no links). */

export const reportFormats = ["json", "csv", "html"] as const;
export type ReportFormat = (typeof reportFormats)[number];

export interface TakedownReport {
  readonly generatedAt: string;
  readonly interval: ReportInterval;
  readonly definitions: {
    readonly timeToRemoval: string;
    readonly percentiles: string;
    readonly relisting: string;
  };
  readonly rows: readonly TakedownMeasure[];
}

const columns = [
  ["platform", "platform"],
  ["period", "period"],
  ["notices_sent", "noticesSent"],
  ["removed", "removed"],
  ["removal_rate", "removalRate"],
  ["median_days_to_removal", "medianDaysToRemoval"],
  ["p90_days_to_removal", "p90DaysToRemoval"],
  ["relisted", "relisted"],
  ["relisting_rate", "relistingRate"],
] as const satisfies readonly (readonly [string, keyof TakedownMeasure])[];

function csvCell(value: string | number | null): string {
  if (value === null) return "";
  let text = String(value);
  // A cell a spreadsheet would run as a formula is made text (OWASP CSV injection).
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function reportCsv(report: TakedownReport): string {
  const lines = [columns.map(([header]) => header).join(",")];
  for (const row of report.rows) lines.push(columns.map(([, field]) => csvCell(row[field])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

const percent = (value: number | null) => (value === null ? "—" : `${(value * 100).toFixed(1)} %`);
const days = (value: number | null) => (value === null ? "—" : value.toFixed(2));

export function reportHtml(report: TakedownReport): string {
  const header = [
    "Platform",
    "Period",
    "Notices sent",
    "Removed",
    "Removal rate",
    "Median days to removal",
    "90th percentile days",
    "Re-listed",
    "Re-listing rate",
  ];
  const body = report.rows
    .map((row) => {
      const cells = [
        row.platform === "all" ? "All platforms" : row.platform,
        row.period,
        String(row.noticesSent),
        String(row.removed),
        percent(row.removalRate),
        days(row.medianDaysToRemoval),
        days(row.p90DaysToRemoval),
        row.relisted === null ? "not measured" : String(row.relisted),
        row.relisted === null ? "not measured" : percent(row.relistingRate),
      ];
      const cls = row.platform === "all" ? ' class="total"' : "";
      return `<tr${cls}>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Takedown report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:nth-child(-n+2),td:nth-child(-n+2){text-align:left}tr.total{font-weight:bold;background:#f4f4f4}
dt{font-weight:bold}
</style>
</head>
<body>
<h1>Takedown report</h1>
<p>Generated ${escapeHtml(report.generatedAt)}, by ${escapeHtml(report.interval === "all" ? "all time" : report.interval)} of sending.</p>
<table>
<thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead>
<tbody>
${body || `<tr><td colspan="${header.length}">No notices sent.</td></tr>`}
</tbody>
</table>
<dl>
<dt>Time to removal</dt><dd>${escapeHtml(report.definitions.timeToRemoval)}</dd>
<dt>Percentiles</dt><dd>${escapeHtml(report.definitions.percentiles)}</dd>
<dt>Re-listing</dt><dd>${escapeHtml(report.definitions.relisting)}</dd>
</dl>
</body>
</html>
`;
}

export function formatReport(report: TakedownReport, format: ReportFormat): string {
  if (format === "csv") return reportCsv(report);
  if (format === "html") return reportHtml(report);
  return `${JSON.stringify(report, null, 2)}\n`;
}
