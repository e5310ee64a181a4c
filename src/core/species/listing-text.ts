import type { Appendix, PopulationListing, PopulationScope } from "./reference-data.ts";

/**
 * Parsers for the listing fields of a Species+ export. Pure string work: the importer feeds them cells and
 * reports what they reject with the line and column.
 */

const listingParts = new Set(["I", "II", "III", "NC"]);

/** "I/II/NC" → appendices I and II, some populations not listed. Returns undefined for a malformed value. */
export function parseCurrentListing(raw: string) {
  const value = raw.trim();
  if (value === "") return { appendices: [] as Appendix[], someNotListed: true };
  const parts = value.split("/").map((part) => part.trim());
  if (!parts.every((part) => listingParts.has(part))) return undefined;
  const appendices = (["I", "II", "III"] as const).filter((appendix) => parts.includes(appendix));
  return { appendices, someNotListed: parts.includes("NC") };
}

/** Simple HTML as the export uses it (<i>, <p>, &amp;) → plain text with paragraph breaks. */
export function stripExportHtml(text: string): string {
  return (
    text
      .replace(/<p>\s*/gi, "\n")
      .replace(/<br\s*\/?>/gi, "\n")
      // A tag ends before the next "<": a stray "<" with no ">" after it would otherwise be rescanned to the end.
      .replace(/<[^<>]*>/g, "")
      .replace(/&nbsp;/g, " ")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, "&")
      .replace(/\u00A0/g, " ")
      .replace(/\r\n?/g, "\n")
      .replace(/[ \t]+/g, " ")
      .replace(/\n\s*\n+/g, "\n")
      .trim()
  );
}

export interface AnnotationSegment {
  readonly appendix: Appendix;
  readonly text: string;
}

/** "Appendix I:text \nAppendix II:text" → one segment per appendix mention, text stripped of HTML. */
export function splitAppendixSegments(annotation: string): AnnotationSegment[] {
  const segments: AnnotationSegment[] = [];
  const pattern = /Appendix (III|II|I)\s*:/g;
  const starts = [...annotation.matchAll(pattern)];
  starts.forEach((match, index) => {
    const next = starts[index + 1];
    const body = annotation.slice(match.index + match[0].length, next ? next.index : undefined);
    segments.push({ appendix: match[1] as Appendix, text: stripExportHtml(body) });
  });
  return segments;
}

const countryCode = /\b[A-Z]{2}\b/g;
const exceptWords = /\b(except|excluding|excludes|all other|other than)\b/i;

/** Reads which populations an English segment covers: "Popns of BT, CN" / "All populations except those of BW". */
export function scopeOfSegment(text: string): PopulationScope {
  // "Appendix II" inside the text would otherwise read as the country code II.
  const countries = [...new Set(text.replace(/\bAppendi(x|ces) [IV]+\b/g, "").match(countryCode) ?? [])];
  if (exceptWords.test(text)) return { kind: "except", countries };
  if (countries.length > 0 && /\b(popns?|populations?|population of|populations of)\b/i.test(text)) {
    return { kind: "only", countries };
  }
  return { kind: "all" };
}

/**
 * Builds the population listings of one taxon from its short annotations in up to three languages. Segments
 * with no text and no population split collapse to one entry per appendix.
 */
export function populationListings(
  appendicesListed: readonly Appendix[],
  annotation: { en: string; es?: string; fr?: string },
): PopulationListing[] {
  const en = splitAppendixSegments(annotation.en);
  const es = annotation.es ? splitAppendixSegments(annotation.es) : [];
  const fr = annotation.fr ? splitAppendixSegments(annotation.fr) : [];
  const byAppendix = new Map<Appendix, PopulationListing>();
  en.forEach((segment, index) => {
    const previous = byAppendix.get(segment.appendix);
    if (previous && previous.text.en !== "" && segment.text === "") return;
    const esText = es[index]?.appendix === segment.appendix ? es[index]?.text : undefined;
    const frText = fr[index]?.appendix === segment.appendix ? fr[index]?.text : undefined;
    byAppendix.set(segment.appendix, {
      appendix: segment.appendix,
      scope: scopeOfSegment(segment.text),
      text: {
        en: segment.text,
        ...(esText ? { es: esText } : {}),
        ...(frText ? { fr: frText } : {}),
      },
    });
  });
  for (const appendix of appendicesListed) {
    if (!byAppendix.has(appendix))
      byAppendix.set(appendix, { appendix, scope: { kind: "all" }, text: { en: "" } });
  }
  const listed = [...byAppendix.values()].filter((population) =>
    appendicesListed.includes(population.appendix),
  );
  return resolveBareExcepts(listed);
}

// "All populations except those included in Appendix II" names no country: it means every country that another
// segment names.
function resolveBareExcepts(populations: PopulationListing[]): PopulationListing[] {
  const namedElsewhere = (self: PopulationListing) =>
    populations.flatMap((other) =>
      other !== self && other.scope.kind === "only" ? other.scope.countries : [],
    );
  return populations.map((population) =>
    population.scope.kind === "except" && population.scope.countries.length === 0
      ? { ...population, scope: { kind: "except", countries: [...new Set(namedElsewhere(population))] } }
      : population,
  );
}

const authorParticles = new Set([
  "de",
  "da",
  "del",
  "della",
  "der",
  "di",
  "du",
  "la",
  "le",
  "van",
  "von",
  "ex",
  "in",
  "et",
  "y",
  "zu",
]);
const infraspecificMarker = /^(var|subsp|ssp|f|forma)\.$/;

/**
 * "Ornismya abeillei Lesson & DeLattre, 1839, Bathypathes lyra Brook, 1889" → the names without authors. Authors
 * start with a capital, a parenthesis or a particle; epithets are lower case.
 */
export function parseSynonyms(raw: string): string[] {
  const tokens = raw.replace(/\s+/g, " ").trim().split(" ");
  const names: string[] = [];
  let index = 0;
  while (index < tokens.length) {
    const genus = tokens[index] ?? "";
    const epithet = tokens[index + 1] ?? "";
    if (/^[A-Z][a-z]+$/.test(genus) && /^[a-z][a-z-]+$/.test(epithet) && !authorParticles.has(epithet)) {
      const parts = [genus, epithet];
      index += 2;
      const next = tokens[index] ?? "";
      if (infraspecificMarker.test(next) && /^[a-z][a-z-]+$/.test(tokens[index + 1] ?? "")) {
        parts.push(next, tokens[index + 1] ?? "");
        index += 2;
      } else if (/^[a-z][a-z-]+,?$/.test(next) && !authorParticles.has(next.replace(/,$/, ""))) {
        parts.push(next.replace(/,$/, ""));
        index += 1;
      }
      names.push(parts.join(" "));
      continue;
    }
    index += 1;
  }
  return [...new Set(names)];
}

/** "African Elephant, African Savannah Elephant" → two names. */
export function splitCommonNames(raw: string): string[] {
  return [
    ...new Set(
      raw
        .split(/,\s+/)
        .map((name) => name.trim())
        .filter((name) => name !== ""),
    ),
  ];
}
