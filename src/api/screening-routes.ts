import type { BatchAnswer, ScreeningPolicy as Policy, ScreeningVerdict } from "../services/screening.ts";
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
    async (request, reply) => {
      const { answers, counts } = await services.screening.screenBatch(
        principalOf(request),
        request.body.listings,
      );
      return reply
        .type("application/json; charset=utf-8")
        .send(batchResponseBody(request.id, counts, answers));
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

/**
 * The batch's response (`ScreenBatchResponse`), from the answers as the threads that screened them wrote them in
 * UTF-8: copied into one buffer with each one's `index`, rather than serialized again here (2 ms or more of this
 * thread's time for 1,000 answers as strings, 0.15 ms as bytes).
 */
function batchResponseBody(
  requestId: string,
  counts: Record<ScreeningVerdict, number>,
  answers: readonly BatchAnswer[],
): Buffer {
  const head = `{"requestId":${JSON.stringify(requestId)},"counts":${JSON.stringify(counts)},"results":[`;
  // Each answer's `{` becomes `{"index":N,` (and a comma before all but the first): 11 bytes and N's digits.
  let size = Buffer.byteLength(head) + 2;
  for (const [index, { json }] of answers.entries()) size += json.length + 11 + String(index).length;
  const body = Buffer.allocUnsafe(size);
  let at = body.write(head);
  for (const [index, { json }] of answers.entries()) {
    at += body.write(`${index === 0 ? "" : ","}{"index":${index},`, at, "latin1");
    body.set(json.subarray(1), at);
    at += json.length - 1;
  }
  at += body.write("]}", at, "latin1");
  return body.subarray(0, at);
}
