import type { InputProblem } from "../errors.ts";

/**
 * The curated vocabularies of the trade (data/lexicon/*.tsv): words for products and parts, slang and code
 * words, sale intent, buyers, negatives, look-alikes, substitute materials ("mammoth ivory"), claims of legality
 * that need checking ("antique", "pre-ban", "with CITES certificate"), news, and ambiguous names ("python",
 * "jaguar", "tiger") that count only where the advert also speaks of an animal, a part or a product, and colours
 * and things sold by colour, beside which a product word that is also a colour ("ivory") means the colour. Each
 * entry records its language and where it comes from.
 */
export const termKinds = [
  "product",
  "code",
  "intent",
  "wanted",
  "negative",
  "lookalike",
  "substitute",
  "claim",
  "news",
  "ambiguous",
  "colour",
] as const;
export type TermKind = (typeof termKinds)[number];

export const productTypes = [
  "live",
  "ivory",
  "horn",
  "scales",
  "skin",
  "shell",
  "fin",
  "bone",
  "carving",
  "jewellery",
  "medicine",
  "timber",
  "plant",
  "meat",
  "other",
] as const;
export type ProductType = (typeof productTypes)[number];

export const strengths = ["strong", "medium", "weak"] as const;
export type Strength = (typeof strengths)[number];

export interface VocabularyEntry {
  readonly term: string;
  readonly lang: string;
  readonly kind: TermKind;
  /** The product the term concerns; "*" (any) for negatives that apply to every product. */
  readonly product?: ProductType | "*";
  /** Scientific names of the taxa the term implies ("ivory" → the elephants). */
  readonly taxa: readonly string[];
  readonly strength: Strength;
  readonly source: string;
  readonly note?: string;
}

export interface VocabularyRow {
  readonly file: string;
  readonly line: number;
  readonly lang: string;
  readonly cells: Readonly<Record<string, string>>;
}

export const vocabularyColumns = ["term", "kind", "product", "taxa", "strength", "source"] as const;

const kindSet = new Set<string>(termKinds);
const productSet = new Set<string>([...productTypes, "*"]);
const strengthSet = new Set<string>(strengths);

/** Turns table rows into entries, reporting each bad cell with its file, line and column. */
export function vocabularyFromRows(
  rows: Iterable<VocabularyRow>,
  knownSources: ReadonlySet<string>,
): { entries: VocabularyEntry[]; problems: InputProblem[] } {
  const entries: VocabularyEntry[] = [];
  const problems: InputProblem[] = [];
  for (const row of rows) {
    const cell = (column: string) => (row.cells[column] ?? "").trim();
    const problem = (column: string, message: string) =>
      problems.push({ file: row.file, line: row.line, column, message });
    const term = cell("term");
    const kind = cell("kind");
    const product = cell("product");
    const strength = cell("strength");
    const source = cell("source");
    if (term === "") problem("term", "empty");
    else if (!kindSet.has(kind)) problem("kind", `unknown kind "${kind}" (expected ${termKinds.join(", ")})`);
    else if (product !== "" && !productSet.has(product))
      problem("product", `unknown product type "${product}"`);
    else if (!strengthSet.has(strength))
      problem("strength", `expected strong, medium or weak, got "${strength}"`);
    else if (!knownSources.has(source)) problem("source", `"${source}" is not in SOURCES.tsv`);
    else {
      entries.push({
        term,
        lang: row.lang,
        kind: kind as TermKind,
        ...(product ? { product: product as ProductType | "*" } : {}),
        taxa: cell("taxa")
          .split("|")
          .map((name) => name.trim())
          .filter(Boolean),
        strength: strength as Strength,
        source,
        ...(cell("note") ? { note: cell("note") } : {}),
      });
    }
  }
  return { entries, problems };
}
