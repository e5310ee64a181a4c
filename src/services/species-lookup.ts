import { NotFoundError } from "../core/errors.ts";
import type { SpeciesIndex } from "../core/species/species-index.ts";
import { taxonReport, type TaxonReport } from "../core/species/taxon-report.ts";

export interface SpeciesHit {
  readonly id: string;
  readonly name: string;
  readonly rank: string;
  readonly listed: boolean;
  readonly appendices: readonly string[];
  /** The name that matched, when it is not the scientific name. */
  readonly matchedName?: { readonly text: string; readonly kind: string; readonly lang: string };
  readonly quality: string;
}

/** Species look-up for the API: search by any name, and the full report of one taxon by its Species+ id. */
export function createSpeciesLookup(deps: { species: SpeciesIndex; clock: () => Date }) {
  const { species, clock } = deps;
  return {
    search(query: string, limit: number): SpeciesHit[] {
      return species.search(query, limit).map((hit) => {
        const taxon = species.taxon(hit.taxon);
        const status = species.listingStatus(hit.taxon);
        return {
          id: taxon.id,
          name: taxon.name,
          rank: taxon.rank,
          listed: status.listed,
          appendices: status.listed ? status.appendices : [],
          ...(hit.name.text === taxon.name
            ? {}
            : { matchedName: { text: hit.name.text, kind: hit.name.kind, lang: hit.name.lang } }),
          quality: hit.quality,
        };
      });
    },
    show(id: string): TaxonReport {
      const index = species.byId(id);
      if (index === undefined) throw new NotFoundError("taxon_not_found", `no taxon with id ${id}`);
      return taxonReport(species, index, clock().toISOString().slice(0, 10));
    },
  };
}

export type SpeciesLookup = ReturnType<typeof createSpeciesLookup>;
