import { principalOf, type ApiApp, type ApiServices } from "./create-api.ts";
import {
  AddedListingsResponse,
  AddListingsRequest,
  CaseDetailResponse,
  CaseParams,
  CaseResponse,
  CasesResponse,
  NewCaseRequest,
} from "./case-schemas.ts";
import { PackageQuery } from "./evidence-schemas.ts";
import { ErrorResponse } from "./schemas.ts";

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

/**
 * Cases of the caller's organisation (another organisation's case answers 404, RELIABILITY A6); every change and
 * every package export is audited, and each exported capture gets a custody entry.
 */
export function registerCaseRoutes(app: ApiApp, services: ApiServices): void {
  app.get(
    "/cases",
    {
      config: { permission: "cases.read", action: "read cases" },
      schema: {
        tags: ["cases"],
        summary: "The organisation's cases, newest first",
        response: { 200: CasesResponse },
      },
    },
    async (request) => ({ items: await services.cases.list(principalOf(request)) }),
  );

  app.post(
    "/cases",
    {
      config: { permission: "cases.write", action: "open a case" },
      schema: {
        tags: ["cases"],
        summary: "Open a case under the agency's own reference (audited)",
        body: NewCaseRequest,
        response: { 201: CaseResponse, ...errors },
      },
    },
    async (request, reply) => {
      const created = await services.cases.create(principalOf(request), request.body);
      return reply.code(201).send({ case: created });
    },
  );

  app.get(
    "/cases/:reference",
    {
      config: { permission: "cases.read", action: "read cases" },
      schema: {
        tags: ["cases"],
        summary: "A case and its listings, with how many captures each has",
        params: CaseParams,
        response: { 200: CaseDetailResponse, 404: ErrorResponse },
      },
    },
    async (request) => services.cases.show(principalOf(request), request.params.reference),
  );

  app.post(
    "/cases/:reference/listings",
    {
      config: { permission: "cases.write", action: "add listings to a case" },
      schema: {
        tags: ["cases"],
        summary:
          "Add listings of the organisation to the case; one already in it is left as it was (audited)",
        params: CaseParams,
        body: AddListingsRequest,
        response: { 200: AddedListingsResponse, ...errors },
      },
    },
    async (request) =>
      services.cases.addListings(
        principalOf(request),
        request.params.reference,
        request.body.listingIds,
        request.body.note ?? null,
      ),
  );

  app.get(
    "/cases/:reference/package",
    {
      config: { permission: "evidence.export", action: "export evidence" },
      schema: {
        tags: ["cases", "evidence"],
        summary:
          "A signed, self-verifying ZIP package of the captures of the case's listings, under its TLP marking",
        params: CaseParams,
        querystring: PackageQuery,
        response: { 200: { type: "string", format: "binary", description: "application/zip" }, ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const found = await services.cases.ownCase(principal, request.params.reference);
      const exported = await services.evidence.exportCase(
        principal,
        found,
        request.query.purpose !== undefined ? { purpose: request.query.purpose } : {},
      );
      return reply
        .type("application/zip")
        .header("content-disposition", `attachment; filename="${exported.filename}"`)
        .header("x-package-sha256", exported.result.sha256)
        .header("x-tlp", exported.result.case?.marking ?? "")
        .send(exported.open());
    },
  );
}
