import { lazy, type ComponentType } from "react";
import type { Translated } from "./i18n/messages.ts";
import { everyone, listingReaders, type Role } from "./roles.ts";

// Each screen is its own chunk, loaded when first opened: the first page downloads and parses only the shell and
// the screen it shows (the charts library, for one, only with the statistics).
const ReviewQueueScreen = lazy(() =>
  import("./screens/review-queue.tsx").then((m) => ({ default: m.ReviewQueueScreen })),
);
const ListingScreen = lazy(() => import("./screens/listing.tsx").then((m) => ({ default: m.ListingScreen })));
const SpeciesScreen = lazy(() => import("./screens/species.tsx").then((m) => ({ default: m.SpeciesScreen })));
const TaxonScreen = lazy(() => import("./screens/taxon.tsx").then((m) => ({ default: m.TaxonScreen })));
const SourcesScreen = lazy(() => import("./screens/sources.tsx").then((m) => ({ default: m.SourcesScreen })));
const TakedownsScreen = lazy(() =>
  import("./screens/takedowns.tsx").then((m) => ({ default: m.TakedownsScreen })),
);
const StatisticsScreen = lazy(() =>
  import("./screens/statistics.tsx").then((m) => ({ default: m.StatisticsScreen })),
);

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
 * web/src/screens/<name>.messages.ts, see docs/dashboard.md), declare it lazily above, and add one line below.
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
