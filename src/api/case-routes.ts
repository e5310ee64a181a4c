import { principalOf, type ApiApp, type ApiServices } from "./create-api.ts";
import {
  AddedListingsResponse,
  AddListingsRequest,
  CaseDetailResponse,
  CaseOwnerQuery,
  CasePackageQuery,
  CaseParams,
  CaseResponse,
  CaseShareParams,
  CasesQuery,
  CasesResponse,
  NewCaseRequest,
  ShareCaseRequest,
  ShareResponse,
  SharesResponse,
  WithdrawnSharesResponse,
} from "./case-schemas.ts";
import { ErrorResponse } from "./schemas.ts";

const errors = { 400: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

/**
 * Cases of the caller's organisation and those shared with it (docs/sharing.md); another organisation's case that
 * is not shared with the caller answers 404 (RELIABILITY A6). Every change, share, refusal and package export is
 * audited, and each exported capture gets a custody entry.
 */
export function registerCaseRoutes(app: ApiApp, services: ApiServices): void {
  app.get(
    "/cases",
    {
      config: { permission: "cases.read", action: "read cases" },
      schema: {
        tags: ["cases"],
        summary: "The organisation's cases and those shared with it that the caller may read, newest first",
        querystring: CasesQuery,
        response: { 200: CasesResponse },
      },
    },
    async (request) => ({
      items: await services.cases.list(
        principalOf(request),
        request.query.q !== undefined ? { text: request.query.q } : {},
      ),
    }),
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
        querystring: CaseOwnerQuery,
        response: { 200: CaseDetailResponse, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request) =>
      services.cases.show(principalOf(request), request.params.reference, request.query.owner),
  );

  app.post(
    "/cases/:reference/listings",
    {
      config: { permission: "cases.write", action: "add listings to a case" },
      schema: {
        tags: ["cases"],
        summary:
          "Add listings of the organisation to the case; one already in it is left as it was (audited). A case " +
          "shared to read only answers 403 case_read_only, whatever the caller's role",
        params: CaseParams,
        querystring: CaseOwnerQuery,
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
        request.query.owner,
      ),
  );

  app.get(
    "/cases/:reference/shares",
    {
      config: { permission: "cases.read", action: "read cases" },
      schema: {
        tags: ["cases"],
        summary: "Who the case is shared with: every share for its owner, else those made by or reaching you",
        params: CaseParams,
        querystring: CaseOwnerQuery,
        response: { 200: SharesResponse, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request) => ({
      items: await services.cases.shares(principalOf(request), request.params.reference, request.query.owner),
    }),
  );

  app.post(
    "/cases/:reference/shares",
    {
      config: { permission: "cases.share", action: "share cases" },
      schema: {
        tags: ["cases"],
        summary:
          "Share the case with an organisation or a sharing group (audited). Onward sharing only narrows: a wider " +
          "audience, a weaker marking, a wider profile or more onward hops answer 403 share_widens",
        params: CaseParams,
        querystring: CaseOwnerQuery,
        body: ShareCaseRequest,
        response: { 201: ShareResponse, ...errors },
      },
    },
    async (request, reply) => {
      const share = await services.cases.share(
        principalOf(request),
        request.params.reference,
        request.body,
        request.query.owner,
      );
      return reply.code(201).send({ share });
    },
  );

  app.delete(
    "/cases/:reference/shares/:id",
    {
      config: { permission: "cases.share", action: "share cases" },
      schema: {
        tags: ["cases"],
        summary:
          "Withdraw a share and every share passed on from it (audited): the case's owner or the organisation " +
          "that granted the share only",
        params: CaseShareParams,
        querystring: CaseOwnerQuery,
        response: { 200: WithdrawnSharesResponse, ...errors },
      },
    },
    async (request) =>
      services.cases.withdrawShare(
        principalOf(request),
        request.params.reference,
        request.params.id,
        request.query.owner,
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
        querystring: CasePackageQuery,
        response: { 200: { type: "string", format: "binary", description: "application/zip" }, ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const found = await services.cases.ownCase(principal, request.params.reference, request.query.owner);
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
