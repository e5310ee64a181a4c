import { principalOf, type ApiApp, type ApiServices } from "./create-api.ts";
import {
  AssignmentRequest,
  AssignmentResponse,
  PrecisionQuery,
  PrecisionResponse,
  ReviewQueueQuery,
  ReviewQueueResponse,
} from "./review-schemas.ts";
import { ErrorResponse, IdParams } from "./schemas.ts";

/** The review queue, assigning listings to reviewers, and flag precision. Verdicts: listing-routes.ts. */
export function registerReviewRoutes(app: ApiApp, services: ApiServices): void {
  app.get(
    "/review-queue",
    {
      config: { permission: "reviews.read", action: "read the review queue" },
      schema: {
        tags: ["review"],
        summary: "Flagged listings your organisation has not reviewed, highest score and appendix first",
        querystring: ReviewQueueQuery,
        response: { 200: ReviewQueueResponse, 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request) => {
      const { assignee, ...query } = request.query;
      return services.listings.queue(principalOf(request), {
        ...query,
        ...(assignee === undefined
          ? {}
          : { assignee: assignee === "me" || assignee === "none" ? assignee : Number(assignee) }),
      });
    },
  );

  app.put(
    "/listings/:id/assignment",
    {
      config: { permission: "reviews.assign", action: "assign listings for review" },
      schema: {
        tags: ["review"],
        summary: "Assign a listing to a reviewer, or clear its assignment with null (audited)",
        params: IdParams,
        body: AssignmentRequest,
        response: { 200: AssignmentResponse, 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request) => services.listings.assign(principalOf(request), request.params.id, request.body.userId),
  );

  app.get(
    "/reports/precision",
    {
      config: { permission: "reviews.read", action: "read flag precision" },
      schema: {
        tags: ["review"],
        summary: "Flag precision from your organisation's review verdicts, by one grouping and over time",
        querystring: PrecisionQuery,
        response: { 200: PrecisionResponse, 400: ErrorResponse },
      },
    },
    async (request) =>
      services.listings.precision(principalOf(request), {
        by: request.query.by ?? "verdict",
        interval: request.query.interval ?? "month",
        ...(request.query.from ? { from: new Date(request.query.from) } : {}),
        ...(request.query.to ? { to: new Date(request.query.to) } : {}),
      }),
  );
}
