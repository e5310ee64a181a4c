import { lazy, type ComponentType } from "react";
import { prefetch, type ApiRequest } from "./api.ts";
import type { Translated } from "./i18n/messages.ts";
import { everyone, listingReaders, type Role } from "./roles.ts";
import { matchPath } from "./router.tsx";
import { reviewFilters, reviewQueueRequest } from "./screens/review-queue-requests.ts";
import { initialStatisticsChoice, statisticsRequests } from "./screens/statistics-requests.ts";

// Each screen is its own chunk, loaded when first opened: the first page downloads and parses only the shell and
// the screen it shows (the charts library, for one, only with the statistics). `preloadScreen` starts that download
// at once, beside the session check, instead of after it, and with it the screen's first API requests.
//
// A screen whose chunk has already arrived renders directly, not through `lazy`: `lazy` suspends on its first
// render even then, and React holds back the content that replaces a Suspense fallback for up to 300 ms.
function lazyScreen(importScreen: () => Promise<{ default: ComponentType<ScreenProps> }>) {
  let loaded: ComponentType<ScreenProps> | null = null;
  const load = () =>
    importScreen().then((module) => {
      loaded = module.default;
      return module;
    });
  const Lazy = lazy(load);
  function Screen(props: ScreenProps) {
    const Loaded = loaded ?? Lazy;
    return <Loaded {...props} />;
  }
  return { screen: Screen, load };
}

export interface ScreenProps {
  /** The path's `:name` parameters, decoded. */
  readonly params: Readonly<Record<string, string>>;
}

export interface Route {
  /** "/listings/:id": matched segment by segment; the first matching route wins. */
  readonly path: string;
  readonly screen: ComponentType<ScreenProps>;
  /** Fetches the screen's chunk; `screen` renders once it has. */
  readonly load: () => Promise<unknown>;
  /** The GETs the screen makes first, given the page's query string: prefetched when the dashboard opens on it. */
  readonly requests?: (search: URLSearchParams) => readonly ApiRequest[];
  /** Who may open it; the API still decides what each request may do. */
  readonly roles: readonly Role[];
  /** Its entry in the navigation, in table order; routes without one are reached by links. */
  readonly nav?: Translated;
}

/**
 * Every screen of the dashboard. To add one: write web/src/screens/<name>.tsx (its words in
 * web/src/screens/<name>.messages.ts, see docs/dashboard.md) and add its entry below with `lazyScreen`.
 * "/" opens the first navigation entry the user's role may see.
 */
export const routes: readonly Route[] = [
  {
    path: "/review",
    ...lazyScreen(() => import("./screens/review-queue.tsx").then((m) => ({ default: m.ReviewQueueScreen }))),
    requests: (search) => [reviewQueueRequest(reviewFilters(search), null)],
    roles: listingReaders,
    nav: { en: "Review", fr: "Vérification", es: "Revisión" },
  },
  {
    path: "/listings/:id",
    ...lazyScreen(() => import("./screens/listing.tsx").then((m) => ({ default: m.ListingScreen }))),
    roles: listingReaders,
  },
  {
    path: "/species",
    ...lazyScreen(() => import("./screens/species.tsx").then((m) => ({ default: m.SpeciesScreen }))),
    roles: everyone,
    nav: { en: "Species", fr: "Espèces", es: "Especies" },
  },
  {
    path: "/species/:id",
    ...lazyScreen(() => import("./screens/taxon.tsx").then((m) => ({ default: m.TaxonScreen }))),
    roles: everyone,
  },
  {
    path: "/sources",
    ...lazyScreen(() => import("./screens/sources.tsx").then((m) => ({ default: m.SourcesScreen }))),
    roles: listingReaders,
    nav: { en: "Sources", fr: "Sources", es: "Fuentes" },
  },
  {
    path: "/takedowns",
    ...lazyScreen(() => import("./screens/takedowns.tsx").then((m) => ({ default: m.TakedownsScreen }))),
    roles: listingReaders,
    nav: { en: "Takedowns", fr: "Retraits", es: "Retiradas" },
  },
  {
    path: "/statistics",
    ...lazyScreen(() => import("./screens/statistics.tsx").then((m) => ({ default: m.StatisticsScreen }))),
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
