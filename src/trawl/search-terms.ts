import type { Lexicon } from "../core/lexicon/lexicon.ts";
import type { SearchTerm } from "./sources/search-queries.ts";

const appendixRank: Readonly<Record<string, number>> = { I: 0, II: 1, III: 2 };
const strengthRank: Readonly<Record<string, number>> = { strong: 0, medium: 1, weak: 2 };

/**
 * What to type into a site's search box, most wanted first: the trade's product words and code words that imply
 * listed taxa (`ivory`, `象牙`, `vảy tê tê`), in the source's languages, ordered by the strictest appendix of the
 * taxa they imply and then by how surely they mean the trade, the languages taking turns so that a short list
 * still covers every language of the site.
 */
export function searchTerms(lexicon: Lexicon, languages: readonly string[]): SearchTerm[] {
  const wanted = new Set(languages.map((language) => primary(language)));
  const candidates: Array<{ text: string; language: string; rank: number }> = [];
  const seen = new Set<string>();
  lexicon.vocabulary.forEach((entry, index) => {
    if (entry.kind !== "product" && entry.kind !== "code") return;
    const language = primary(entry.lang);
    if (!wanted.has(language)) return;
    const taxa = lexicon.vocabularyTaxa[index] ?? [];
    if (taxa.length === 0) return;
    let strictest = 3;
    for (const taxon of taxa) {
      const status = lexicon.species.listingStatus(taxon);
      if (!status.listed) continue;
      for (const appendix of status.appendices) strictest = Math.min(strictest, appendixRank[appendix] ?? 3);
    }
    if (strictest === 3) return;
    const key = `${language}\u0000${entry.term.toLowerCase()}`;
    if (seen.has(key)) return;
    seen.add(key);
    candidates.push({
      text: entry.term,
      language,
      rank: strictest * 3 + (strengthRank[entry.strength] ?? 2),
    });
  });
  const byLanguage = new Map<string, typeof candidates>();
  for (const candidate of candidates.sort((a, b) => a.rank - b.rank || compare(a.text, b.text))) {
    const list = byLanguage.get(candidate.language) ?? [];
    list.push(candidate);
    byLanguage.set(candidate.language, list);
  }
  const lists = [...byLanguage.keys()].sort().map((language) => byLanguage.get(language) ?? []);
  const terms: SearchTerm[] = [];
  for (let turn = 0; lists.some((list) => turn < list.length); turn++) {
    for (const list of lists) {
      const candidate = list[turn];
      if (candidate) terms.push({ text: candidate.text, language: candidate.language });
    }
  }
  return terms;
}

function primary(language: string): string {
  return language.toLowerCase().split("-")[0] as string;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
