import type { ComponentType } from "react";
import type { Translated } from "./i18n/messages.ts";
import { everyone, listingReaders, type Role } from "./roles.ts";
import { ListingScreen } from "./screens/listing.tsx";
import { ReviewQueueScreen } from "./screens/review-queue.tsx";
import { SourcesScreen } from "./screens/sources.tsx";
import { SpeciesScreen } from "./screens/species.tsx";
import { StatisticsScreen } from "./screens/statistics.tsx";
import { TakedownsScreen } from "./screens/takedowns.tsx";
import { TaxonScreen } from "./screens/taxon.tsx";

export interface ScreenProps {
  /** The path's `:name` parameters, decoded. */
  readonly params: Readonly<Record<string, string>>;
}

export interface Route {
  /** "/listings/:id": matched segment by segment; the first matching route wins. */
  readonly path: string;
  readonly screen: ComponentType<ScreenProps>;
  /** Who may open it; the API still decides what each request may do. */
  readonly roles: readonly Role[];
  /** Its entry in the navigation, in table order; routes without one are reached by links. */
  readonly nav?: Translated;
}

/**
 * Every screen of the dashboard. To add one: write web/src/screens/<name>.tsx (its words in
 * web/src/screens/<name>.messages.ts, see docs/dashboard.md), import it above, and add one line below.
 * "/" opens the first navigation entry the user's role may see.
 */
export const routes: readonly Route[] = [
  {
    path: "/review",
    screen: ReviewQueueScreen,
    roles: listingReaders,
    nav: { en: "Review", fr: "Vérification", es: "Revisión" },
  },
  { path: "/listings/:id", screen: ListingScreen, roles: listingReaders },
  {
    path: "/species",
    screen: SpeciesScreen,
    roles: everyone,
    nav: { en: "Species", fr: "Espèces", es: "Especies" },
  },
  { path: "/species/:id", screen: TaxonScreen, roles: everyone },
  {
    path: "/sources",
    screen: SourcesScreen,
    roles: listingReaders,
    nav: { en: "Sources", fr: "Sources", es: "Fuentes" },
  },
  {
    path: "/takedowns",
    screen: TakedownsScreen,
    roles: listingReaders,
    nav: { en: "Takedowns", fr: "Retraits", es: "Retiradas" },
  },
  {
    path: "/statistics",
    screen: StatisticsScreen,
    roles: listingReaders,
    nav: { en: "Statistics", fr: "Statistiques", es: "Estadísticas" },
  },
];
