import { principalOf, type ApiApp, type ApiServices } from "./create-api.ts";
import {
  ClearanceRequest,
  ClearanceResponse,
  NewSharingGroupRequest,
  SharingGroupMembersRequest,
  SharingGroupParams,
  SharingGroupResponse,
  SharingGroupsResponse,
} from "./case-schemas.ts";
import { ErrorResponse, IdParams } from "./schemas.ts";

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };
const admin = { permission: "admin" as const, action: "administer the organisation" };

/** Sharing groups and people's clearances (docs/sharing.md); the shares themselves are under /cases. */
export function registerSharingRoutes(app: ApiApp, services: ApiServices): void {
  app.get(
    "/sharing-groups",
    {
      config: { permission: "cases.read", action: "read cases" },
      schema: {
        tags: ["sharing"],
        summary: "The sharing groups your organisation belongs to",
        response: { 200: SharingGroupsResponse },
      },
    },
    async (request) => ({ items: await services.sharing.listGroups(principalOf(request)) }),
  );

  app.post(
    "/sharing-groups",
    {
      config: admin,
      schema: {
        tags: ["sharing"],
        summary: "Create a sharing group of organisations, yours included (audited)",
        body: NewSharingGroupRequest,
        response: { 201: SharingGroupResponse, ...errors },
      },
    },
    async (request, reply) =>
      reply.code(201).send({ group: await services.sharing.createGroup(principalOf(request), request.body) }),
  );

  app.post(
    "/sharing-groups/:slug/members",
    {
      config: admin,
      schema: {
        tags: ["sharing"],
        summary:
          "Add and remove member organisations of a group yours owns (audited); a removed member stops reading " +
          "the cases the group reaches at once",
        params: SharingGroupParams,
        body: SharingGroupMembersRequest,
        response: { 200: SharingGroupResponse, ...errors },
      },
    },
    async (request) => ({
      group: await services.sharing.changeMembers(principalOf(request), request.params.slug, request.body),
    }),
  );

  app.get(
    "/users/:id/clearance",
    {
      config: admin,
      schema: {
        tags: ["sharing", "admin"],
        summary: "The most restrictive marking and handling code a person holds (their role's unless set)",
        params: IdParams,
        response: { 200: ClearanceResponse, ...errors },
      },
    },
    async (request) => services.sharing.clearance(principalOf(request), request.params.id),
  );

  app.put(
    "/users/:id/clearance",
    {
      config: admin,
      schema: {
        tags: ["sharing", "admin"],
        summary: "Set what a person holds, never beyond their role's (audited)",
        params: IdParams,
        body: ClearanceRequest,
        response: { 200: ClearanceResponse, ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      await services.sharing.setClearance(principal, request.params.id, request.body);
      return services.sharing.clearance(principal, request.params.id);
    },
  );
}
