import { access } from "node:fs/promises";
import PDFDocument from "pdfkit";
import type { Capture, Detection, Listing } from "../storage/records.ts";
import type { CaptureRecord } from "./capture.ts";
import type { CustodyEntryJson } from "./custody.ts";
import type { PackageCase } from "./package-layout.ts";

/** One capture as the prosecutor's report shows it. */
export interface ReportCapture {
  readonly capture: Capture;
  readonly record: CaptureRecord;
  readonly listing: Listing | null;
  readonly detections: readonly Detection[];
  readonly custody: readonly CustodyEntryJson[];
  /** Where the capture's files are inside the package. */
  readonly folder: string;
  readonly screenshot: Buffer | null;
}

export interface ReportData {
  readonly title: string;
  readonly case: PackageCase | null;
  readonly createdAt: string;
  readonly generator: string;
  readonly signingKeyFingerprint: string;
  readonly captures: readonly ReportCapture[];
}

/** What each TLP 2.0 label allows, in its own short words, for a reader who has not met TLP. */
const tlpMeanings: Record<string, string> = {
  CLEAR: "no limit on disclosure",
  GREEN: "limited disclosure: the recipient's community, not public channels",
  AMBER: "limited disclosure: the recipient's organisation and its clients, on a need-to-know basis",
  "AMBER+STRICT": "limited disclosure: the recipient's organisation only",
  RED: "for the eyes and ears of the named recipients only",
};
const tlpMeaning = (marking: string) => tlpMeanings[marking] ?? "handling restricted";

const escapeHtml = (text: unknown): string =>
  String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Scraped text shown as text: control characters out, length capped. */
const plain = (text: string | null | undefined, max = 2000): string =>
  (text ?? "").replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, " ").slice(0, max);

function latestDetection(item: ReportCapture): Detection | undefined {
  return [...item.detections].sort((a, b) => b.detectedAt.getTime() - a.detectedAt.getTime())[0];
}

/** The report as a self-contained HTML page (no scripts; images from the package's own folders). */
export function reportHtml(data: ReportData): string {
  const sections = data.captures.map((item) => {
    const { capture, record } = item;
    const detection = latestDetection(item);
    const rows: Array<[string, string]> = [
      [
        "Capture",
        `#${capture.id} · ${capture.status.toUpperCase()}${capture.failureReason ? ` (${capture.failureReason})` : ""}`,
      ],
      ["Requested URL", record.requestedUrl],
      ["Final URL", record.finalUrl ?? "—"],
      [
        "Redirects",
        record.redirects.map((hop) => `${hop.status} ${hop.url} → ${hop.location}`).join("\n") || "none",
      ],
      ["Capture started (UTC)", record.startedAt],
      ["Capture finished (UTC)", record.finishedAt],
      ["Screenshot taken (UTC)", record.screenshotAt ?? "no screenshot"],
      ["Server address", String(record.provenance.serverIp ?? "—")],
      ["Operator", String(record.provenance.operator)],
      ["Capture record SHA-256", capture.sha256],
    ];
    const files = record.files
      .map(
        (file) =>
          `<tr><td>${escapeHtml(file.path)}</td><td>${file.byteLength}</td><td class="hash">${file.sha256}</td></tr>`,
      )
      .join("");
    const missing = record.missing
      .map((m) => `<li>${escapeHtml(m.role)}: ${escapeHtml(m.reason)}</li>`)
      .join("");
    const taxa = (detection?.taxa ?? [])
      .map(
        (taxon) =>
          `<li><i>${escapeHtml(taxon.scientificName)}</i> — CITES Appendix ${escapeHtml(taxon.appendix)}</li>`,
      )
      .join("");
    const reasons = (detection?.reasons ?? [])
      .map((reason) => `<li>${escapeHtml(plain(reason))}</li>`)
      .join("");
    const custody = item.custody
      .map(
        (entry) =>
          `<tr><td>${escapeHtml(entry.at)}</td><td>${escapeHtml(entry.action)}</td><td>${escapeHtml(entry.actor)}</td>` +
          `<td>${escapeHtml(entry.purpose ?? "")}</td><td class="hash">${entry.entryHash}</td></tr>`,
      )
      .join("");
    return `<section>
<h2>Capture #${capture.id}: ${escapeHtml(plain(item.listing?.title ?? record.finalUrl ?? record.requestedUrl, 200))}</h2>
<table class="facts">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("")}</table>
${item.screenshot ? `<p><img src="${escapeHtml(`${item.folder}/screenshot.png`)}" alt="Full-page screenshot, UTC capture time drawn at the top"></p>` : "<p><strong>No screenshot.</strong></p>"}
${missing ? `<h3>Not captured</h3><ul>${missing}</ul>` : ""}
<h3>Automated detection (analysis, not independently verified)</h3>
${detection ? `<p>Verdict: <strong>${escapeHtml(detection.verdict)}</strong>, score ${detection.score.toFixed(2)} (${escapeHtml(detection.detectorVersion)})</p><ul>${taxa || "<li>no listed taxon</li>"}</ul><h4>Reasons</h4><ul>${reasons}</ul>` : "<p>No detection recorded.</p>"}
<h3>Files and SHA-256</h3><table><tr><th>File</th><th>Bytes</th><th>SHA-256</th></tr>${files}</table>
<h3>Chain of custody</h3><table><tr><th>When (UTC)</th><th>Action</th><th>Who</th><th>Why</th><th>Entry hash</th></tr>${custody}</table>
</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(data.title)}</title>
<style>body{font:14px/1.45 "Noto Sans","Noto Sans CJK SC",sans-serif;margin:2em;max-width:70em}
th{text-align:left;vertical-align:top;padding-right:1em}td{vertical-align:top;white-space:pre-wrap;word-break:break-all}
.hash{font-family:monospace;font-size:12px}.tlp{font-size:16px;border:2px solid #000;padding:.3em .6em}img{max-width:100%;border:1px solid #888}section{page-break-before:always}</style>
</head><body>
${data.case ? `<p class="tlp"><strong>TLP:${escapeHtml(data.case.marking)}</strong> · ${escapeHtml(tlpMeaning(data.case.marking))}</p>` : ""}
<h1>${escapeHtml(data.title)}</h1>
<p>Package created ${escapeHtml(data.createdAt)} (UTC) by ${escapeHtml(data.generator)}.
Signed with the Ed25519 key <span class="hash">${escapeHtml(data.signingKeyFingerprint)}</span>.
How to check this package without wildtrawl: VERIFY.txt.</p>
${sections.join("\n")}
</body></html>
`;
}

const fontCandidates = [
  "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
  "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
];

/** The report as PDF, with a Noto font embedded so Chinese, Cyrillic and Latin all print. */
export async function reportPdf(data: ReportData, fixedDate: Date): Promise<Buffer> {
  let font: string | undefined;
  for (const candidate of fontCandidates) {
    if (
      await access(candidate).then(
        () => true,
        () => false,
      )
    ) {
      font = candidate;
      break;
    }
  }
  const doc = new PDFDocument({
    size: "A4",
    margin: 48,
    info: { Title: data.title, Creator: data.generator, CreationDate: fixedDate, ModDate: fixedDate },
  });
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  if (font) doc.font(font, "NotoSansCJKsc-Regular");
  const width = doc.page.width - 96;
  if (data.case)
    doc
      .fontSize(12)
      .text(`TLP:${data.case.marking} · ${tlpMeaning(data.case.marking)}`)
      .moveDown(0.5);
  doc.fontSize(18).text(data.title).moveDown(0.5);
  doc.fontSize(9).text(`Package created ${data.createdAt} (UTC) by ${data.generator}.`);
  doc.text(
    `Signed with the Ed25519 key ${data.signingKeyFingerprint}. How to check it without wildtrawl: VERIFY.txt.`,
  );
  for (const item of data.captures) {
    const { capture, record } = item;
    const detection = latestDetection(item);
    doc
      .addPage()
      .fontSize(14)
      .text(`Capture #${capture.id}: ${plain(item.listing?.title ?? record.finalUrl, 200)}`);
    doc.moveDown(0.5).fontSize(9);
    const fact = (label: string, value: string) => doc.text(`${label}: ${plain(value, 4000)}`, { width });
    fact(
      "Status",
      `${capture.status.toUpperCase()}${capture.failureReason ? ` (${capture.failureReason})` : ""}`,
    );
    fact("Requested URL", record.requestedUrl);
    fact("Final URL", record.finalUrl ?? "—");
    for (const hop of record.redirects) fact("Redirect", `${hop.status} ${hop.url} → ${hop.location}`);
    fact("Capture started (UTC)", record.startedAt);
    fact("Capture finished (UTC)", record.finishedAt);
    fact("Screenshot taken (UTC)", record.screenshotAt ?? "no screenshot");
    fact("Operator", String(record.provenance.operator));
    fact("Capture record SHA-256", capture.sha256);
    for (const m of record.missing) fact("Not captured", `${m.role}: ${m.reason}`);
    doc
      .moveDown(0.5)
      .fontSize(11)
      .text("Automated detection (analysis, not independently verified)")
      .fontSize(9);
    if (detection) {
      fact(
        "Verdict",
        `${detection.verdict}, score ${detection.score.toFixed(2)} (${detection.detectorVersion})`,
      );
      for (const taxon of detection.taxa)
        fact("Taxon", `${taxon.scientificName}, CITES Appendix ${taxon.appendix}`);
      for (const reason of detection.reasons) doc.text(`• ${plain(reason, 500)}`, { width });
    } else doc.text("No detection recorded.");
    doc.moveDown(0.5).fontSize(11).text("Files and SHA-256").fontSize(8);
    for (const file of record.files)
      doc.text(`${file.path}  ${file.byteLength} bytes  ${file.sha256}`, { width });
    doc.moveDown(0.5).fontSize(11).text("Chain of custody").fontSize(8);
    for (const entry of item.custody) {
      doc.text(
        `${entry.at}  ${entry.action}  ${entry.actor}${entry.purpose ? `  "${plain(entry.purpose, 300)}"` : ""}  ${entry.entryHash}`,
        { width },
      );
    }
    if (item.screenshot) {
      doc.addPage().fontSize(9).text(`Screenshot of capture #${capture.id} (UTC time drawn at the top)`);
      doc.image(item.screenshot, { fit: [width, doc.page.height - 140] });
    }
  }
  doc.end();
  return done;
}
