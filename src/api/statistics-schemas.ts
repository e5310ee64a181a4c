import { Type } from "@fastify/type-provider-typebox";
import { offerDimensions, statisticsIntervals } from "../storage/records.ts";

/** Statistics of flagged offers for the dashboard's charts and their CSV downloads. */

const dayPattern = "^\\d{4}-\\d{2}-\\d{2}$";
const dimension = Type.Union(offerDimensions.map((by) => Type.Literal(by)));
const interval = Type.Union(statisticsIntervals.map((length) => Type.Literal(length)));
const key = Type.Union([Type.String(), Type.Null()], {
  description: "a taxon id, appendix, platform, country or language code, product type; null: not known",
});

export const OfferStatisticsQuery = Type.Object(
  {
    by: dimension,
    interval: Type.Optional(interval),
    from: Type.Optional(
      Type.String({ pattern: dayPattern, description: "the first day counted, YYYY-MM-DD (UTC)" }),
    ),
    to: Type.Optional(Type.String({ pattern: dayPattern, description: "the last day counted (inclusive)" })),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 200,
        description: "series for the top keys (20); totals list all",
      }),
    ),
    format: Type.Optional(Type.Union([Type.Literal("json"), Type.Literal("csv")])),
  },
  { additionalProperties: false },
);

export const OfferStatisticsResponse = Type.Object({
  by: dimension,
  interval,
  from: Type.Union([Type.String(), Type.Null()]),
  to: Type.Union([Type.String(), Type.Null()]),
  series: Type.Array(
    Type.Object({
      key,
      label: Type.String(),
      points: Type.Array(
        Type.Object({
          period: Type.String({ description: "the period's first day (weeks start on Monday)" }),
          count: Type.Integer(),
        }),
        { description: "every period from the first to the last, zeros included" },
      ),
    }),
    { description: "the keys with the most offers, most first" },
  ),
  totals: Type.Array(Type.Object({ key, label: Type.String(), count: Type.Integer() }), {
    description: "every key over the whole range, most first",
  }),
});
