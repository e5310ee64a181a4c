import { fastifyCookie } from "@fastify/cookie";
import { Type } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Session, User } from "../storage/records.ts";
import { encodeForLog, PermissionError, type AccessService } from "../services/access.ts";
import {
  LoginThrottledError,
  sessionCookieName,
  type ClientContext,
  type SessionLimits,
  type SignedIn,
} from "../services/authentication.ts";
import { principalOf, type ApiApp, type ApiServices } from "./create-api.ts";
import { ErrorResponse } from "./schemas.ts";
import {
  MfaConfirmRequest,
  MfaEnrolmentResponse,
  SessionResponse,
  SignInRequest,
} from "./session-schemas.ts";

/**
 * What the dashboard sends on every request. A cross-site form or image cannot set a header, and a cross-site
 * script that could would need CORS, which the API does not grant: with SameSite=Strict this is the CSRF defence.
 */
export const csrfHeader = { name: "x-requested-with", value: "wildtrawl" } as const;

const unsafeMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const cookieAttributes = { path: "/", secure: true, httpOnly: true, sameSite: "strict" } as const;

/** The session token a request carries in its cookie, if any. */
export function sessionTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  return fastifyCookie.parse(header)[sessionCookieName];
}

/** Refuses (audited) a state-changing request that a browser could have been tricked into sending. */
export async function requireCsrfHeader(request: FastifyRequest, access: AccessService): Promise<void> {
  if (!unsafeMethods.has(request.method) || request.headers[csrfHeader.name] === csrfHeader.value) return;
  await access.audit({
    organisationId: request.principal?.organisationId ?? null,
    actor: request.principal?.actor ?? "anonymous",
    action: "authz.denied",
    details: {
      code: "csrf_header_missing",
      what: encodeForLog(`${request.method} ${request.url.split("?")[0] ?? ""}`),
      ip: request.ip,
    },
  });
  throw new PermissionError(
    "csrf_header_missing",
    `a request signed in by cookie must send the header '${csrfHeader.name}: ${csrfHeader.value}'`,
  );
}

function sessionBody(user: User, session: Session, mfaEnrolled: boolean, limits: SessionLimits) {
  return {
    // Without an authenticator the session can only enrol one: the dashboard walks the person through it.
    mfaEnrolmentRequired: !mfaEnrolled,
    user: {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      role: user.role,
      organisationId: user.organisationId,
      mfaEnrolled,
    },
    expiresAt: session.expiresAt.toISOString(),
    idleTimeoutSeconds: Math.floor(limits.sessionIdleTimeoutMs / 1000),
  };
}

function clientOf(request: FastifyRequest): ClientContext {
  return { ip: request.ip, userAgent: request.headers["user-agent"] ?? "" };
}

/** Sets the new session's cookie and answers with the session body. */
function startSession(reply: FastifyReply, signedIn: SignedIn, limits: SessionLimits) {
  reply.header("set-cookie", fastifyCookie.serialize(sessionCookieName, signedIn.token, cookieAttributes));
  return sessionBody(signedIn.user, signedIn.session, signedIn.mfaEnrolled, limits);
}

function clearSessionCookie(reply: FastifyReply): void {
  reply.header(
    "set-cookie",
    fastifyCookie.serialize(sessionCookieName, "", { ...cookieAttributes, maxAge: 0, expires: new Date(0) }),
  );
}

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 409: ErrorResponse };

/** POST/GET/DELETE /session and the authenticator enrolment (docs/api.md, "Signing in"). */
export function registerSessionRoutes(app: ApiApp, services: ApiServices, limits: SessionLimits): void {
  // Loads the cookie codec that `sessionTokenOf` and the Set-Cookie headers use; the hook parses the one cookie itself.
  app.register(fastifyCookie, { hook: false });
  app.post(
    "/session",
    {
      config: { public: true },
      schema: {
        tags: ["session"],
        summary: "Sign in: sets the session cookie",
        security: [],
        body: SignInRequest,
        response: { 200: SessionResponse, ...errors, 429: ErrorResponse },
      },
    },
    async (request, reply) => {
      // Sign-in is checked too, so that another site cannot sign a visitor into an account of its choosing.
      await requireCsrfHeader(request, services.access);
      try {
        const signedIn = await services.authentication.signIn(request.body, clientOf(request));
        return startSession(reply, signedIn, limits);
      } catch (error) {
        if (error instanceof LoginThrottledError)
          reply.header("retry-after", String(error.retryAfterSeconds));
        throw error;
      }
    },
  );

  app.get(
    "/session",
    {
      config: { mfaEnrolment: true },
      schema: {
        tags: ["session"],
        summary: "Who is signed in: 401 when the session has ended",
        response: { 200: SessionResponse, ...errors },
      },
    },
    async (request) => {
      const { user, session, mfaEnrolled } = await services.authentication.currentUser(principalOf(request));
      return sessionBody(user, session, mfaEnrolled, limits);
    },
  );

  app.delete(
    "/session",
    {
      config: { mfaEnrolment: true },
      schema: {
        tags: ["session"],
        summary: "Sign out: ends the session and clears the cookie",
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await services.authentication.signOut(principalOf(request));
      clearSessionCookie(reply);
      return reply.code(204).send();
    },
  );

  app.post(
    "/session/mfa",
    {
      config: { mfaEnrolment: true },
      schema: {
        tags: ["session"],
        summary: "Start enrolling an authenticator: a new TOTP secret, stored once confirmed",
        response: { 200: MfaEnrolmentResponse, ...errors },
      },
    },
    async (request) => services.authentication.startMfaEnrolment(principalOf(request)),
  );

  app.post(
    "/session/mfa/confirm",
    {
      config: { mfaEnrolment: true },
      schema: {
        tags: ["session"],
        summary:
          "Confirm the authenticator with its current code: the enrolling session ends and a full one replaces it (new cookie); sign-in then asks for a code",
        body: MfaConfirmRequest,
        response: { 200: SessionResponse, ...errors },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const signedIn = await services.authentication.confirmMfa(principal, request.body, clientOf(request));
      return startSession(reply, signedIn, limits);
    },
  );
}
