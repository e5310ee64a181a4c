import { principalOf, type ApiApp, type ApiServices } from "./create-api.ts";
import {
  AuditQuery,
  AuditResponse,
  CreatedKeyResponse,
  ErrorResponse,
  IdParams,
  KeySchema,
  KeysResponse,
  NewKeyRequest,
  NewUserRequest,
  UserSchema,
} from "./schemas.ts";

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };
const admin = { permission: "admin" as const, action: "administer the organisation" };

/** Users, API keys and the audit log: for the organisation's admins only. */
export function registerAdminRoutes(app: ApiApp, services: ApiServices): void {
  app.get(
    "/keys",
    { config: admin, schema: { tags: ["admin"], response: { 200: KeysResponse } } },
    async (request) => ({ items: await services.administration.listKeys(principalOf(request)) }),
  );

  app.post(
    "/keys",
    {
      config: admin,
      schema: {
        tags: ["admin"],
        summary: "Issue an API key: the secret is in this answer only",
        body: NewKeyRequest,
        response: { 201: CreatedKeyResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { expiresAt, ...rest } = request.body;
      const created = await services.administration.createKey(principalOf(request), {
        ...rest,
        ...(expiresAt ? { expiresAt: new Date(expiresAt) } : {}),
      });
      return reply.code(201).send(created);
    },
  );

  app.delete(
    "/keys/:id",
    {
      config: admin,
      schema: {
        tags: ["admin"],
        summary: "Revoke a key: its next request gets 401",
        params: IdParams,
        response: { 200: KeySchema, ...errors },
      },
    },
    async (request) => services.administration.revokeKey(principalOf(request), request.params.id),
  );

  app.post(
    "/users",
    {
      config: admin,
      schema: { tags: ["admin"], body: NewUserRequest, response: { 201: UserSchema, ...errors } },
    },
    async (request, reply) =>
      reply.code(201).send(await services.administration.createUser(principalOf(request), request.body)),
  );

  app.get(
    "/users/:id",
    {
      config: admin,
      schema: { tags: ["admin"], params: IdParams, response: { 200: UserSchema, ...errors } },
    },
    async (request) => services.administration.getUser(principalOf(request), request.params.id),
  );

  app.post(
    "/users/:id/disable",
    {
      config: admin,
      schema: {
        tags: ["admin"],
        summary: "Disable a user and revoke every key issued to them",
        params: IdParams,
        response: { 200: UserSchema, ...errors },
      },
    },
    async (request) => services.administration.disableUser(principalOf(request), request.params.id),
  );

  app.post(
    "/users/:id/mfa/reset",
    {
      config: admin,
      schema: {
        tags: ["admin"],
        summary:
          "Remove a person's authenticator (a lost phone): their sessions end and they enrol a new one at their next sign-in",
        params: IdParams,
        response: { 200: UserSchema, ...errors },
      },
    },
    async (request) => services.authentication.resetMfa(principalOf(request), request.params.id),
  );

  app.get(
    "/audit",
    {
      config: admin,
      schema: { tags: ["admin"], querystring: AuditQuery, response: { 200: AuditResponse } },
    },
    async (request) => services.administration.listAudit(principalOf(request), request.query),
  );
}
