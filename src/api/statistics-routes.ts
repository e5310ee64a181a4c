import { principalOf, type ApiApp, type ApiServices } from "./create-api.ts";
import { ErrorResponse } from "./schemas.ts";
import { OfferStatisticsQuery, OfferStatisticsResponse } from "./statistics-schemas.ts";

/** Counts of the organisation's flagged offers over time, as JSON for charts or CSV to download. */
export function registerStatisticsRoutes(app: ApiApp, services: ApiServices): void {
  app.get(
    "/statistics/offers",
    {
      config: { permission: "statistics.read", action: "read statistics" },
      schema: {
        tags: ["statistics"],
        summary:
          "Flagged offers (listings whose current detection is an offer) by period first seen and a dimension",
        querystring: OfferStatisticsQuery,
        response: { 200: OfferStatisticsResponse, 400: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { format, interval, ...rest } = request.query;
      const query = { ...rest, interval: interval ?? ("week" as const) };
      if (format !== "csv") return services.statistics.offers(principalOf(request), query);
      const { filename, csv } = await services.statistics.offersCsv(principalOf(request), query);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="${filename}"`)
        .send(csv);
    },
  );
}
