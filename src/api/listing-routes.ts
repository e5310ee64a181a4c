import { principalOf, type ApiApp, type ApiServices } from "./create-api.ts";
import {
  DetectionsResponse,
  ErrorResponse,
  HistoryResponse,
  IdParams,
  ListingPageResponse,
  ListingSchema,
  ListingSearchQuery,
  NewReviewRequest,
  ReviewSchema,
  ReviewsResponse,
  SourceSchema,
  SourcesResponse,
  SpeciesSearchQuery,
  SpeciesSearchResponse,
  TaxonParams,
  TaxonReportResponse,
} from "./schemas.ts";

const notFound = { 404: ErrorResponse };

/** Species look-up, listings with their history, detections and review verdicts, and sources. */
export function registerListingRoutes(app: ApiApp, services: ApiServices): void {
  app.get(
    "/species",
    {
      config: { permission: "species.read", action: "look up species" },
      schema: {
        tags: ["species"],
        summary: "Find taxa by any name in any language",
        querystring: SpeciesSearchQuery,
        response: { 200: SpeciesSearchResponse },
      },
    },
    async (request) => ({ items: services.species.search(request.query.q, request.query.limit ?? 10) }),
  );

  app.get(
    "/species/:id",
    {
      config: { permission: "species.read", action: "look up species" },
      schema: {
        tags: ["species"],
        summary: "One taxon's listing, hierarchy, annotations and names, by Species+ id",
        params: TaxonParams,
        response: { 200: TaxonReportResponse, ...notFound },
      },
    },
    async (request) => services.species.show(request.params.id),
  );

  app.get(
    "/listings",
    {
      config: { permission: "listings.read", action: "search listings" },
      schema: {
        tags: ["listings"],
        summary: "Search the organisation's listings, newest first, a page at a time",
        querystring: ListingSearchQuery,
        response: { 200: ListingPageResponse, 400: ErrorResponse },
      },
    },
    async (request) => services.listings.search(principalOf(request), request.query),
  );

  app.get(
    "/listings/:id",
    {
      config: { permission: "listings.read", action: "read listings" },
      schema: { tags: ["listings"], params: IdParams, response: { 200: ListingSchema, ...notFound } },
    },
    async (request) => services.listings.get(principalOf(request), request.params.id),
  );

  app.get(
    "/listings/:id/history",
    {
      config: { permission: "listings.read", action: "read listings" },
      schema: { tags: ["listings"], params: IdParams, response: { 200: HistoryResponse, ...notFound } },
    },
    async (request) => ({ items: await services.listings.history(principalOf(request), request.params.id) }),
  );

  app.get(
    "/listings/:id/detections",
    {
      config: { permission: "listings.read", action: "read detections" },
      schema: { tags: ["listings"], params: IdParams, response: { 200: DetectionsResponse, ...notFound } },
    },
    async (request) => ({
      items: await services.listings.detections(principalOf(request), request.params.id),
    }),
  );

  app.get(
    "/listings/:id/reviews",
    {
      config: { permission: "listings.read", action: "read review verdicts" },
      schema: { tags: ["review"], params: IdParams, response: { 200: ReviewsResponse, ...notFound } },
    },
    async (request) => ({ items: await services.listings.reviews(principalOf(request), request.params.id) }),
  );

  app.post(
    "/listings/:id/reviews",
    {
      config: { permission: "reviews.write", action: "record review verdicts" },
      schema: {
        tags: ["review"],
        summary: "Record a person's verdict on a listing (audited)",
        params: IdParams,
        body: NewReviewRequest,
        response: { 201: ReviewSchema, 400: ErrorResponse, ...notFound },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await services.listings.recordReview(principalOf(request), request.params.id, request.body)),
  );

  app.get(
    "/sources",
    {
      config: { permission: "sources.read", action: "read sources" },
      schema: { tags: ["sources"], response: { 200: SourcesResponse } },
    },
    async (request) => ({ items: await services.listings.listSources(principalOf(request)) }),
  );

  app.get(
    "/sources/:id",
    {
      config: { permission: "sources.read", action: "read sources" },
      schema: { tags: ["sources"], params: IdParams, response: { 200: SourceSchema, ...notFound } },
    },
    async (request) => services.listings.getSource(principalOf(request), request.params.id),
  );
}
