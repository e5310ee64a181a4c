import type { SourceDeclaration } from "./source-declaration.ts";

/** A search term, optionally with its language: terms in languages the source does not use are skipped. */
export type SearchTerm = string | { readonly text: string; readonly language?: string };

export interface SearchQuery {
  readonly url: string;
  /** The term as given, before encoding. */
  readonly query: string;
  /** The template it filled. */
  readonly template: string;
}

/**
 * The source's search URLs for a list of terms: every template filled with every term, URL-encoded, each URL once,
 * in term order (the trawler orders terms by priority: appendix, how traded a taxon is).
 */
export function searchQueries(
  source: Pick<SourceDeclaration, "search" | "languages">,
  terms: readonly SearchTerm[],
): SearchQuery[] {
  const languages = new Set(source.languages.map((language) => primary(language)));
  const seen = new Set<string>();
  const queries: SearchQuery[] = [];
  for (const term of terms) {
    const text = (typeof term === "string" ? term : term.text).normalize("NFC").replace(/\s+/g, " ").trim();
    if (text === "") continue;
    const language = typeof term === "string" ? undefined : term.language;
    if (language !== undefined && !languages.has(primary(language))) continue;
    for (const template of source.search) {
      const url = template.replaceAll("{query}", encodeURIComponent(text));
      if (seen.has(url)) continue;
      seen.add(url);
      queries.push({ url, query: text, template });
    }
  }
  return queries;
}

/** "pt-BR" → "pt": a Brazilian site searches Portuguese terms. */
function primary(language: string): string {
  return language.toLowerCase().split("-")[0] as string;
}
