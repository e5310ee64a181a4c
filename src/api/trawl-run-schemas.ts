import { Type } from "@fastify/type-provider-typebox";
import { trawlRunStates } from "../storage/records.ts";

/** Trawl runs: a source's visits, started and stopped from the dashboard, with their progress and errors. */

const dateTime = Type.String({ format: "date-time" });
const count = Type.Integer({ minimum: 0 });

export const TrawlRunSchema = Type.Object(
  {
    id: Type.Integer(),
    sourceId: Type.Integer(),
    state: Type.Union(trawlRunStates.map((state) => Type.Literal(state))),
    startedAt: dateTime,
    finishedAt: Type.Union([dateTime, Type.Null()]),
    stats: Type.Object(
      {},
      {
        additionalProperties: true,
        description:
          "the run's figures (pages, listings, newListings, changedListings, removed, offersFlagged, errors by code, retried, generation, frontier); live while it runs in this server",
      },
    ),
    error: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const TrawlRunsResponse = Type.Object({ items: Type.Array(TrawlRunSchema) });

export const TrawlRunResponse = Type.Object({ run: TrawlRunSchema });

export const TrawlRunStatusResponse = Type.Object({
  run: TrawlRunSchema,
  progress: Type.Object(
    { pending: count, leased: count, done: count, failed: count },
    { description: "the visit's frontier: every URL enqueued is in exactly one of these" },
  ),
  recentErrors: Type.Array(
    Type.Object({
      url: Type.Union([Type.String(), Type.Null()]),
      code: Type.Union([Type.String(), Type.Null()]),
      message: Type.Union([Type.String(), Type.Null()]),
      at: dateTime,
    }),
    { description: "the visit's pages that failed for good, newest first (at most 20)" },
  ),
});
