import { InvalidInputError, type InputProblem } from "../errors.ts";

/**
 * Notice templates, one file per language (data/takedown/<language>.txt). A file is a set of sections, each opened
 * by a line `== name ==`; lines starting with `#` outside a section are comments. Sections hold plain text with
 * `{{placeholder}}`s. The body and subject use the whole notice's placeholders; the small sections (one taxon, one
 * legal basis, one capture…) are filled per item and joined into the body's lists.
 *
 * Filling is one pass over the template: a value is inserted as it is and never read again as a template, so an
 * advert that contains `{{sender}}` stays that text. Advert text is hostile: it is quoted, kept on one line, stripped
 * of control and bidirectional-override characters (which could make a URL read as another) and cut short.
 */

export const noticeSections = {
  subject: ["platform", "listingRef", "reference"],
  body: [
    "platform",
    "listingUrl",
    "listingRef",
    "platformListingId",
    "quotedTitle",
    "quotedExcerpt",
    "seller",
    "firstSeen",
    "taxa",
    "legalBases",
    "evidence",
    "sender",
    "senderContact",
    "reference",
    "date",
  ],
  taxon: ["scientificName", "appendix"],
  "national-law": ["nationalLaw"],
  "platform-policy": ["policyUrl"],
  "dsa-article-16": [],
  "trusted-flagger": ["trustedFlagger"],
  capture: ["capturedAt", "sha256", "captureId"],
  "no-capture": [],
  quote: ["text"],
  unknown: [],
} as const satisfies Record<string, readonly string[]>;

export type NoticeSection = keyof typeof noticeSections;

export interface NoticeTemplate {
  readonly language: string;
  readonly sections: Readonly<Record<NoticeSection, string>>;
}

/** What a notice says, as plain values: the service gathers them from the store. */
export interface NoticeFacts {
  readonly reference: string;
  /** The day the notice was drafted, YYYY-MM-DD (UTC). */
  readonly date: string;
  readonly platform: { readonly slug: string; readonly name: string };
  readonly listing: {
    readonly url: string;
    readonly platformListingId: string | null;
    readonly title: string | null;
    readonly text: string;
    readonly seller: string | null;
    readonly firstSeenAt: string;
  };
  readonly taxa: readonly {
    readonly taxonId: number;
    readonly scientificName: string;
    readonly appendix: string;
  }[];
  readonly legalBases: {
    readonly nationalLaw: string | null;
    readonly policyUrl: string | null;
    readonly dsaArticle16: boolean;
    readonly trustedFlagger: string | null;
  };
  readonly evidence: readonly {
    readonly captureId: number;
    readonly capturedAt: string;
    readonly sha256: string;
    readonly status: string;
  }[];
  readonly sender: { readonly organisation: string; readonly contact: string | null };
}

const sectionLine = /^==\s*([a-z0-9-]+)\s*==\s*$/;
const placeholder = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;

export function parseNoticeTemplate(text: string, file: string, language: string): NoticeTemplate {
  const problems: InputProblem[] = [];
  const found = new Map<string, { lines: string[]; line: number }>();
  let current: { lines: string[]; line: number } | undefined;
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((line, index) => {
    const header = sectionLine.exec(line);
    if (header) {
      const name = header[1]!;
      if (!(name in noticeSections)) {
        problems.push({ file, line: index + 1, message: `unknown section "${name}"` });
        current = undefined;
      } else if (found.has(name)) {
        problems.push({ file, line: index + 1, message: `section "${name}" appears twice` });
        current = undefined;
      } else {
        current = { lines: [], line: index + 1 };
        found.set(name, current);
      }
      return;
    }
    if (current === undefined) {
      if (line.trim() !== "" && !line.startsWith("#"))
        problems.push({
          file,
          line: index + 1,
          message: "text outside a section: start one with == name ==",
        });
      return;
    }
    current.lines.push(line);
  });
  const sections = {} as Record<NoticeSection, string>;
  for (const [name, allowed] of Object.entries(noticeSections) as [NoticeSection, readonly string[]][]) {
    const section = found.get(name);
    if (section === undefined) {
      problems.push({ file, line: lines.length, message: `section "${name}" is missing` });
      continue;
    }
    const body = section.lines.join("\n").trim();
    section.lines.forEach((line, offset) => {
      for (const match of line.matchAll(placeholder)) {
        if (!allowed.includes(match[1]!))
          problems.push({
            file,
            line: section.line + 1 + offset,
            message: `section "${name}" has no placeholder {{${match[1]}}} (it has: ${allowed.join(", ") || "none"})`,
          });
      }
    });
    sections[name] = body;
  }
  if (problems.length > 0) throw new InvalidInputError("notice_template_invalid", problems);
  return { language, sections };
}

/** Fills `template` in one pass: values are never read again as templates. Unknown names stay as written. */
function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(placeholder, (whole, name: string) => values[name] ?? whole);
}

// C0/C1 controls, zero-width and bidirectional formatting characters.
const unsafeCharacters =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** One line of plain text, at most `maxLength` characters: how any value enters a notice. */
export function plainLine(value: string, maxLength = 300): string {
  const line = value.replace(unsafeCharacters, "").replace(/\s+/g, " ").trim();
  const chars = [...line];
  return chars.length > maxLength
    ? `${chars
        .slice(0, maxLength - 1)
        .join("")
        .trimEnd()}…`
    : line;
}

export interface RenderedNotice {
  readonly subject: string;
  readonly text: string;
}

export function renderNotice(template: NoticeTemplate, facts: NoticeFacts): RenderedNotice {
  const { sections } = template;
  const unknown = sections.unknown;
  const quote = (value: string | null, maxLength: number) =>
    value === null || plainLine(value) === ""
      ? unknown
      : fill(sections.quote, { text: plainLine(value, maxLength) });
  const listingRef = facts.listing.platformListingId
    ? plainLine(facts.listing.platformListingId, 100)
    : plainLine(facts.listing.url, 500);
  const legal = facts.legalBases;
  const legalBases = [
    legal.nationalLaw
      ? fill(sections["national-law"], { nationalLaw: plainLine(legal.nationalLaw, 500) })
      : null,
    legal.policyUrl
      ? fill(sections["platform-policy"], { policyUrl: plainLine(legal.policyUrl, 500) })
      : null,
    legal.dsaArticle16 ? sections["dsa-article-16"] : null,
    legal.dsaArticle16 && legal.trustedFlagger
      ? fill(sections["trusted-flagger"], { trustedFlagger: plainLine(legal.trustedFlagger, 300) })
      : null,
  ].filter((line) => line !== null);
  const taxa = facts.taxa.map((taxon) =>
    fill(sections.taxon, {
      scientificName: plainLine(taxon.scientificName, 200),
      appendix: plainLine(taxon.appendix, 5),
    }),
  );
  const evidence =
    facts.evidence.length === 0
      ? [sections["no-capture"]]
      : facts.evidence.map((capture) =>
          fill(sections.capture, {
            capturedAt: plainLine(capture.capturedAt, 40),
            sha256: plainLine(capture.sha256, 64),
            captureId: String(capture.captureId),
          }),
        );
  const values: Record<string, string> = {
    platform: plainLine(facts.platform.name, 200),
    listingUrl: plainLine(facts.listing.url, 2000),
    listingRef,
    platformListingId: facts.listing.platformListingId
      ? plainLine(facts.listing.platformListingId, 100)
      : unknown,
    quotedTitle: quote(facts.listing.title, 200),
    quotedExcerpt: quote(facts.listing.text, 300),
    seller: facts.listing.seller ? quote(facts.listing.seller, 100) : unknown,
    firstSeen: plainLine(facts.listing.firstSeenAt, 40),
    taxa: taxa.length > 0 ? taxa.join("\n") : unknown,
    legalBases: legalBases.join("\n"),
    evidence: evidence.join("\n"),
    sender: plainLine(facts.sender.organisation, 200),
    senderContact: facts.sender.contact ? plainLine(facts.sender.contact, 200) : unknown,
    reference: plainLine(facts.reference, 200),
    date: plainLine(facts.date, 20),
  };
  return {
    // A subject is one header line: nothing in it may start another.
    subject: plainLine(fill(sections.subject, values), 250),
    text: `${fill(sections.body, values).replace(/\n{3,}/g, "\n\n")}\n`,
  };
}

/**
 * The notice as data, for platforms that read notices by machine and for the record: what the text says, without
 * the words around it.
 */
export function noticeDocument(facts: NoticeFacts, language: string) {
  const legal = facts.legalBases;
  return {
    schema: "wildtrawl.takedown-notice/1",
    reference: facts.reference,
    date: facts.date,
    language,
    platform: { slug: facts.platform.slug, name: facts.platform.name },
    listing: {
      url: facts.listing.url,
      platformListingId: facts.listing.platformListingId,
      title: facts.listing.title,
      seller: facts.listing.seller,
      firstSeenAt: facts.listing.firstSeenAt,
    },
    taxa: facts.taxa.map((t) => ({
      taxonId: t.taxonId,
      scientificName: t.scientificName,
      citesAppendix: t.appendix,
    })),
    legalBases: [
      ...(legal.nationalLaw ? [{ kind: "national_law", text: legal.nationalLaw }] : []),
      ...(legal.policyUrl ? [{ kind: "platform_policy", url: legal.policyUrl }] : []),
      ...(legal.dsaArticle16
        ? [{ kind: "eu_dsa_article_16", text: "Regulation (EU) 2022/2065, Article 16 (notice and action)" }]
        : []),
      ...(legal.dsaArticle16 && legal.trustedFlagger
        ? [{ kind: "eu_dsa_article_22_trusted_flagger", text: legal.trustedFlagger }]
        : []),
    ],
    evidence: facts.evidence.map((c) => ({
      captureId: c.captureId,
      capturedAt: c.capturedAt,
      sha256: c.sha256,
      status: c.status,
    })),
    sender: { organisation: facts.sender.organisation, contact: facts.sender.contact },
  };
}

export type NoticeDocument = ReturnType<typeof noticeDocument>;
