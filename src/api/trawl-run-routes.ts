import { principalOf, type ApiApp, type ApiServices } from "./create-api.ts";
import { ErrorResponse, IdParams } from "./schemas.ts";
import { TrawlRunResponse, TrawlRunsResponse, TrawlRunStatusResponse } from "./trawl-run-schemas.ts";

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 429: ErrorResponse };
const read = { permission: "trawls.read" as const, action: "read trawl runs" };
const run = { permission: "trawls.run" as const, action: "start and stop trawls" };

/** A source's trawl runs: list, start a visit in the server, follow its progress, stop it. */
export function registerTrawlRunRoutes(app: ApiApp, services: ApiServices): void {
  app.get(
    "/sources/:id/runs",
    {
      config: read,
      schema: {
        tags: ["trawls"],
        summary: "The source's trawl runs, newest first (the last 100)",
        params: IdParams,
        response: { 200: TrawlRunsResponse, 404: ErrorResponse },
      },
    },
    async (request) => ({
      items: await services.trawlControl.listRuns(principalOf(request), request.params.id),
    }),
  );

  app.post(
    "/sources/:id/runs",
    {
      config: run,
      schema: {
        tags: ["trawls"],
        summary: "Start a visit of the source in the server, in the background: one per source at a time",
        params: IdParams,
        response: { 202: TrawlRunResponse, ...errors },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send({ run: await services.trawlControl.start(principalOf(request), request.params.id) }),
  );

  app.get(
    "/trawl-runs/:id",
    {
      config: read,
      schema: {
        tags: ["trawls"],
        summary: "A run with its visit's progress and the latest pages that failed",
        params: IdParams,
        response: { 200: TrawlRunStatusResponse, 404: ErrorResponse },
      },
    },
    async (request) => services.trawlControl.status(principalOf(request), request.params.id),
  );

  app.post(
    "/trawl-runs/:id/stop",
    {
      config: run,
      schema: {
        tags: ["trawls"],
        summary:
          "Stop a run gracefully: no new pages, those in flight finish or are given back; it ends cancelled",
        params: IdParams,
        response: { 202: TrawlRunResponse, ...errors },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send({ run: await services.trawlControl.stop(principalOf(request), request.params.id) }),
  );
}
