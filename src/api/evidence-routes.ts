import { principalOf, type ApiApp, type ApiServices } from "./create-api.ts";
import {
  CaptureCustodyResponse,
  CaptureResponse,
  CapturesResponse,
  NewCaptureRequest,
  PackageQuery,
} from "./evidence-schemas.ts";
import { ErrorResponse, IdParams } from "./schemas.ts";

const notFound = { 404: ErrorResponse };

/**
 * Captures of listings and what people do with them. Every screenshot view and every package export is written to
 * the capture's custody log; another organisation's listing or capture answers 404 (RELIABILITY A6).
 */
export function registerEvidenceRoutes(app: ApiApp, services: ApiServices): void {
  app.post(
    "/listings/:id/captures",
    {
      config: { permission: "evidence.capture", action: "capture evidence" },
      // Another organisation's listing is 404 before the body is even read, so no answer depends on its existence.
      preValidation: async (request) => {
        const id = Number((request.params as { id?: unknown }).id);
        if (Number.isSafeInteger(id) && id > 0) await services.evidence.ownListing(principalOf(request), id);
      },
      schema: {
        tags: ["evidence"],
        summary: "Capture the listing's advert now: WARC, HTML, rendered DOM, dated screenshot, provenance",
        params: IdParams,
        body: NewCaptureRequest,
        response: { 201: CaptureResponse, 400: ErrorResponse, 429: ErrorResponse, ...notFound },
      },
    },
    async (request, reply) => {
      const { capture } = await services.evidence.captureListing(
        principalOf(request),
        request.params.id,
        request.body ?? {},
      );
      return reply.code(201).send({ capture });
    },
  );

  app.get(
    "/listings/:id/captures",
    {
      config: { permission: "evidence.read", action: "read evidence" },
      schema: { tags: ["evidence"], params: IdParams, response: { 200: CapturesResponse, ...notFound } },
    },
    async (request) => ({
      items: await services.evidence.listCaptures(principalOf(request), request.params.id),
    }),
  );

  app.get(
    "/captures/:id",
    {
      config: { permission: "evidence.read", action: "read evidence" },
      schema: {
        tags: ["evidence"],
        summary: "A capture and its chain of custody",
        params: IdParams,
        response: { 200: CaptureCustodyResponse, ...notFound },
      },
    },
    async (request) => services.evidence.getCapture(principalOf(request), request.params.id),
  );

  app.get(
    "/captures/:id/screenshot",
    {
      config: { permission: "evidence.read", action: "view evidence" },
      schema: {
        tags: ["evidence"],
        summary: "The capture's dated full-page screenshot (PNG); each view is recorded in the custody log",
        params: IdParams,
        response: { 200: { type: "string", format: "binary", description: "image/png" }, ...notFound },
      },
    },
    async (request, reply) => {
      const { png } = await services.evidence.screenshot(principalOf(request), request.params.id);
      return reply.type("image/png").header("x-content-type-options", "nosniff").send(png);
    },
  );

  app.get(
    "/captures/:id/package",
    {
      config: { permission: "evidence.export", action: "export evidence" },
      schema: {
        tags: ["evidence"],
        summary:
          "A signed, self-verifying ZIP package of the capture; the export is recorded in the custody log",
        params: IdParams,
        querystring: PackageQuery,
        response: { 200: { type: "string", format: "binary", description: "application/zip" }, ...notFound },
      },
    },
    async (request, reply) => {
      const exported = await services.evidence.exportCapture(
        principalOf(request),
        request.params.id,
        request.query.purpose !== undefined ? { purpose: request.query.purpose } : {},
      );
      return reply
        .type("application/zip")
        .header("content-disposition", `attachment; filename="${exported.filename}"`)
        .header("x-package-sha256", exported.result.sha256)
        .send(exported.open());
    },
  );
}
