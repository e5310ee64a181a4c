import type { ComponentType } from "preact/compat";
import { prefetch, type ApiRequest } from "./api.ts";
import type { Translated } from "./i18n/messages.ts";
import { matchPath } from "./paths.ts";
import { everyone, listingReaders, type Role } from "./roles.ts";
import { reviewFilters, reviewQueueRequest } from "./screens/review-queue-requests.ts";
import { initialStatisticsChoice, statisticsRequests } from "./screens/statistics-requests.ts";

// The dashboard's screens, free of Preact at run time: main.ts runs this before loading Preact, so that the opened
// screen's chunk and first API requests (`preloadScreen`) start while the app's own code is still on its way.
// Each screen is its own chunk, loaded when first opened: the first page downloads and parses only the shell and
// the screen it shows (the charts library, for one, only with the statistics).

export interface ScreenProps {
  /** The path's `:name` parameters, decoded. */
  readonly params: Readonly<Record<string, string>>;
}

export type Screen = ComponentType<ScreenProps>;

export interface Route {
  /** "/listings/:id": matched segment by segment; the first matching route wins. */
  readonly path: string;
  /** Fetches the screen's chunk (once) and gives its component. */
  readonly load: () => Promise<Screen>;
  /** The component, once `load` has given it; null before. */
  readonly loaded: () => Screen | null;
  /** The GETs the screen makes first, given the page's query string: prefetched when the dashboard opens on it. */
  readonly requests?: (search: URLSearchParams) => readonly ApiRequest[];
  /** Who may open it; the API still decides what each request may do. */
  readonly roles: readonly Role[];
  /** Its entry in the navigation, in table order; routes without one are reached by links. */
  readonly nav?: Translated;
}

function screen(importScreen: () => Promise<Screen>): Pick<Route, "load" | "loaded"> {
  let loading: Promise<Screen> | null = null;
  let loaded: Screen | null = null;
  return {
    load: () =>
      (loading ??= importScreen()
        .then((component) => (loaded = component))
        .catch((error: unknown) => {
          loading = null; // a failed download is tried again next time
          throw error;
        })),
    loaded: () => loaded,
  };
}

/**
 * Every screen of the dashboard. To add one: write web/src/screens/<name>.tsx (its words in
 * web/src/screens/<name>.messages.ts, see docs/dashboard.md) and add its entry below with `screen`.
 * "/" opens the first navigation entry the user's role may see.
 */
export const routes: readonly Route[] = [
  {
    path: "/review",
    ...screen(() => import("./screens/review-queue.tsx").then((m) => m.ReviewQueueScreen)),
    requests: (search) => [reviewQueueRequest(reviewFilters(search), null)],
    roles: listingReaders,
    nav: { en: "Review", fr: "Vérification", es: "Revisión" },
  },
  {
    path: "/listings/:id",
    ...screen(() => import("./screens/listing.tsx").then((m) => m.ListingScreen)),
    roles: listingReaders,
  },
  {
    path: "/species",
    ...screen(() => import("./screens/species.tsx").then((m) => m.SpeciesScreen)),
    roles: everyone,
    nav: { en: "Species", fr: "Espèces", es: "Especies" },
  },
  {
    path: "/species/:id",
    ...screen(() => import("./screens/taxon.tsx").then((m) => m.TaxonScreen)),
    roles: everyone,
  },
  {
    path: "/sources",
    ...screen(() => import("./screens/sources.tsx").then((m) => m.SourcesScreen)),
    roles: listingReaders,
    nav: { en: "Sources", fr: "Sources", es: "Fuentes" },
  },
  {
    path: "/takedowns",
    ...screen(() => import("./screens/takedowns.tsx").then((m) => m.TakedownsScreen)),
    roles: listingReaders,
    nav: { en: "Takedowns", fr: "Retraits", es: "Retiradas" },
  },
  {
    path: "/statistics",
    ...screen(() => import("./screens/statistics.tsx").then((m) => m.StatisticsScreen)),
    requests: () => Object.values(statisticsRequests(initialStatisticsChoice)),
    roles: listingReaders,
    nav: { en: "Statistics", fr: "Statistiques", es: "Estadísticas" },
  },
];

/**
 * Starts loading the chunk of the screen at `pathname`, if any, and its first API requests, so that both arrive
 * while the session is checked.
 */
export function preloadScreen(pathname: string, search: URLSearchParams): void {
  const route = routes.find((candidate) => matchPath(candidate.path, pathname) !== null);
  if (!route) return;
  void route.load().catch(() => {});
  for (const request of route.requests?.(search) ?? []) prefetch(request.path, request.query);
}
