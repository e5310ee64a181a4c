import type { ScreeningPolicy as Policy } from "../services/screening.ts";
import { principalOf, type ApiApp, type ApiLimits, type ApiServices } from "./create-api.ts";
import {
  ErrorResponse,
  ScreenBatchRequest,
  ScreenBatchResponse,
  ScreenListing,
  ScreenResponse,
  ScreeningPolicy,
} from "./schemas.ts";

const errors = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  413: ErrorResponse,
  429: ErrorResponse,
};

/** The platforms' screening API: one listing or up to 1,000, answered under the organisation's policy. */
export function registerScreeningRoutes(app: ApiApp, services: ApiServices, limits: ApiLimits): void {
  app.post(
    "/screen",
    {
      config: { permission: "screen", action: "screen listings" },
      schema: {
        tags: ["screening"],
        summary: "Screen one listing before it goes live: allow, review or block",
        description: "Nothing about the listing is stored, unless the policy keeps statistics (counts only).",
        body: ScreenListing,
        response: { 200: ScreenResponse, ...errors },
      },
    },
    async (request) => ({
      requestId: request.id,
      ...(await services.screening.screen(principalOf(request), request.body)),
    }),
  );

  app.post(
    "/screen/batch",
    {
      bodyLimit: limits.batchBodyBytes,
      config: { permission: "screen", action: "screen listings" },
      schema: {
        tags: ["screening"],
        summary: "Screen up to 1,000 listings; each answer or error in the order sent",
        body: ScreenBatchRequest,
        response: { 200: ScreenBatchResponse, ...errors },
      },
    },
    async (request) => {
      const { results, counts } = await services.screening.screenBatch(
        principalOf(request),
        request.body.listings,
      );
      return {
        requestId: request.id,
        counts,
        results: results.map((result, index) => ("error" in result ? result : { index, ...result })),
      };
    },
  );

  app.get(
    "/screening-policy",
    {
      config: { permission: "policy.read", action: "read the screening policy" },
      schema: {
        tags: ["screening"],
        summary: "The organisation's screening policy",
        response: { 200: ScreeningPolicy },
      },
    },
    async (request) => services.screening.getPolicy(principalOf(request)),
  );

  app.put(
    "/screening-policy",
    {
      config: { permission: "admin", action: "change the screening policy" },
      schema: {
        tags: ["screening"],
        summary: "Replace the organisation's screening policy (audited)",
        body: ScreeningPolicy,
        response: { 200: ScreeningPolicy, 400: ErrorResponse },
      },
    },
    async (request) => services.screening.setPolicy(principalOf(request), request.body as Policy),
  );
}
