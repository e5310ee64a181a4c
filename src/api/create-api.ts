import { randomUUID } from "node:crypto";
import fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type FastifyTypeProvider,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from "fastify";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import {
  registerAjvFormats,
  TypeBoxValidatorCompiler,
  type Static,
  type TSchema,
} from "@fastify/type-provider-typebox";
import { WildtrawlError } from "../core/errors.ts";
import type { DetectionModel } from "../core/detect/model.ts";
import type { Lexicon } from "../core/lexicon/lexicon.ts";
import type { SpeciesIndex } from "../core/species/species-index.ts";
import type { Store } from "../storage/store.ts";
import {
  createAccessService,
  type AccessService,
  type Permission,
  type Principal,
} from "../services/access.ts";
import { createCaseService, type CaseService } from "../services/cases.ts";
import { createSharingService, type SharingService } from "../services/sharing.ts";
import { createAdministrationService, type AdministrationService } from "../services/administration.ts";
import {
  createAuthenticationService,
  defaultSessionLimits,
  type AuthenticationService,
  type SessionLimits,
} from "../services/authentication.ts";
import { createListingReview, type ListingReview } from "../services/listing-review.ts";
import { createScreeningService, type ScreeningService } from "../services/screening.ts";
import { createRateLimitCounter, type RateLimitCounter } from "../services/shared-rate-limits.ts";
import { createSpeciesLookup, type SpeciesLookup } from "../services/species-lookup.ts";
import type { ScreeningPool } from "../services/screening-pool.ts";
import type { StoreThread } from "../services/store-thread.ts";
import { errorBody, statusForError } from "./api-errors.ts";
import { registerAdminRoutes } from "./admin-routes.ts";
import { registerDashboardApiRoutes } from "./dashboard-routes.ts";
import { registerCaseRoutes } from "./case-routes.ts";
import { registerSharingRoutes } from "./sharing-routes.ts";
import { registerEvidenceRoutes } from "./evidence-routes.ts";
import {
  createOperationsServices,
  type ApiOperations,
  type OperationsServices,
} from "./operations-services.ts";
import { registerStatisticsRoutes } from "./statistics-routes.ts";
import { registerTakedownRoutes, type TakedownApiOptions } from "./takedown-routes.ts";
import { registerTrawlRunRoutes } from "./trawl-run-routes.ts";
import { registerListingRoutes } from "./listing-routes.ts";
import { registerRelistingRoutes } from "./relisting-routes.ts";
import { registerReviewRoutes } from "./review-routes.ts";
import { registerScreeningRoutes } from "./screening-routes.ts";
import { registerSessionRoutes, requireCsrfHeader, sessionTokenOf } from "./session-routes.ts";
import { HealthResponse } from "./schemas.ts";

/**
 * Requests are typed from their schemas. Responses are not: services return records with `Date`s, which the
 * response schemas describe as date-time strings and the serializer writes as such.
 */
export interface ApiTypeProvider extends FastifyTypeProvider {
  validator: this["schema"] extends TSchema ? Static<this["schema"]> : unknown;
  serializer: unknown;
}

export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ApiTypeProvider
>;

// Formats such as date-time are checked by the same rules as the OpenAPI tools use.
registerAjvFormats();

/** Session timeouts and login throttling are limits too (services/authentication.ts has their defaults). */
export interface ApiLimits extends SessionLimits {
  /** Largest request body, except the batch screening route. */
  readonly bodyBytes: number;
  readonly batchBodyBytes: number;
  /** Whole request, headers and body: far below Node's 300 s default so slow clients cannot hold sockets. */
  readonly requestTimeoutMs: number;
  /** Requests per key (or, before authentication, per address) per window. */
  readonly requestsPerWindow: number;
  readonly rateWindowMs: number;
  /**
   * How often each process shares its request counts through the database, so that every process enforces one
   * limit per key together; the overshoot this allows is bounded in services/shared-rate-limits.ts.
   */
  readonly rateLimitFlushMs: number;
  /** How long an authenticated key is trusted without asking the store (see AccessOptions.keyCacheMs). */
  readonly keyCacheMs: number;
}

export const defaultApiLimits: ApiLimits = Object.freeze({
  bodyBytes: 256 * 1024,
  batchBodyBytes: 8 * 1024 * 1024,
  requestTimeoutMs: 15_000,
  requestsPerWindow: 1_200,
  rateWindowMs: 60_000,
  rateLimitFlushMs: 200,
  keyCacheMs: 1_000,
  ...defaultSessionLimits,
});

export interface ApiDeps {
  readonly store: Store;
  readonly species: SpeciesIndex;
  readonly lexicon: Lexicon;
  readonly model: DetectionModel;
  readonly clock: () => Date;
  readonly version: string;
  readonly limits?: Partial<ApiLimits>;
  /** Fastify's logger option: false (tests), true, or pino options. */
  readonly logger?: FastifyServerOptions["logger"];
  /** Evidence and trawl folders and their limits (operations-services.ts); defaults under the working directory. */
  readonly operations?: ApiOperations;
  /** Takedown notices: templates, and the SMTP mailer and From address when configured (takedown-routes.ts). */
  readonly takedown?: TakedownApiOptions;
  /** The shared per-key request counter; by default one over `store` (tests pass theirs to flush it at will). */
  readonly rateLimits?: RateLimitCounter;
  /**
   * Where the writes on every request's path go (rate-limit counts, a key's last use): serve passes a store thread
   * for SQLite, whose commits would otherwise hold the event loop (services/store-thread.ts); by default `store`.
   */
  readonly storeThread?: Pick<StoreThread, "rateLimits" | "authenticateKey">;
  /** Worker threads that screen batches (serve starts them); without it, batches are screened in this thread. */
  readonly screeningPool?: ScreeningPool;
}

export interface ApiServices extends OperationsServices {
  readonly access: AccessService;
  readonly authentication: AuthenticationService;
  readonly administration: AdministrationService;
  readonly screening: ScreeningService;
  readonly species: SpeciesLookup;
  readonly listings: ListingReview;
  readonly cases: CaseService;
  readonly sharing: SharingService;
}

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** No key needed (health, the OpenAPI description). */
    public?: boolean;
    /** What the caller's role must allow. */
    permission?: Permission;
    /** What the caller is doing, for a refusal's message and the audit log. */
    action?: string;
    /** Open to a person's session that still has to enrol an authenticator (every other route refuses it). */
    mfaEnrolment?: boolean;
  }
}

/** The principal of an authenticated route (the onRequest hook has set it). */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new Error("route without authentication asked for a principal");
  return request.principal;
}

// A secret in the query string would end up in access logs and browser history: refuse it outright.
const secretInUrl = /wt_[A-Za-z0-9_-]{20,}/;

/** Builds the API without listening: tests call `app.inject()`, `wildtrawl serve` calls `app.listen()`. */
export function createApi(deps: ApiDeps): ApiApp {
  const limits = { ...defaultApiLimits, ...deps.limits };
  const app = fastify({
    logger: deps.logger ?? false,
    bodyLimit: limits.bodyBytes,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: 5_000,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<ApiTypeProvider>();
  app.setValidatorCompiler(TypeBoxValidatorCompiler);

  const access = createAccessService({
    store: deps.store,
    clock: deps.clock,
    keyCacheMs: limits.keyCacheMs,
    ...(deps.storeThread ? { authenticateKey: deps.storeThread.authenticateKey } : {}),
    securityLog: (event) => app.log.info({ security: event }, "security event"),
  });
  const services: ApiServices = {
    access,
    authentication: createAuthenticationService({ store: deps.store, access, clock: deps.clock, limits }),
    administration: createAdministrationService({ store: deps.store, access, clock: deps.clock }),
    screening: createScreeningService({
      store: deps.store,
      access,
      lexicon: deps.lexicon,
      model: deps.model,
      clock: deps.clock,
      ...(deps.screeningPool ? { pool: deps.screeningPool } : {}),
    }),
    species: createSpeciesLookup({ species: deps.species, clock: deps.clock }),
    listings: createListingReview({ store: deps.store }),
    cases: createCaseService(deps.store),
    sharing: createSharingService(deps.store),
    ...createOperationsServices({
      ...deps,
      access,
      onVisitError: (error) => app.log.error({ err: error }, "trawl visit failed"),
    }),
  };
  // Visits run in this process: closing the server stops them gracefully first.
  app.addHook("onClose", () => services.trawlControl.close());

  const rateLimits =
    deps.rateLimits ??
    createRateLimitCounter({
      rateLimits: deps.storeThread?.rateLimits ?? deps.store.rateLimits,
      clock: deps.clock,
      windowMs: limits.rateWindowMs,
      flushIntervalMs: limits.rateLimitFlushMs,
      onError: (error) => app.log.warn({ err: error }, "rate-limit counts not shared yet"),
    });
  // The last counts are shared before the store closes.
  app.addHook("onClose", () => rateLimits.close());

  app.decorateRequest("principal", null);

  app.addHook("onRequest", async (request) => {
    const config = request.routeOptions.config;
    if (request.routeOptions.url === undefined || config.public) return;
    const query = request.url.indexOf("?");
    if (query >= 0 && secretInUrl.test(request.url.slice(query)))
      throw new WildtrawlError(
        "key_in_url",
        "never put an API key in a URL: send 'Authorization: Bearer KEY'",
      );
    const header = request.headers.authorization;
    // A person's session cookie stands in for a key; a bearer key, when sent, wins (a browser never adds one).
    const sessionToken = header === undefined ? sessionTokenOf(request) : undefined;
    if (sessionToken !== undefined) {
      const client = { ip: request.ip, userAgent: request.headers["user-agent"] ?? "" };
      const enrolling = config.mfaEnrolment === true;
      request.principal = (
        await services.authentication.authenticateSession(sessionToken, client, { enrolling })
      ).principal;
      await requireCsrfHeader(request, access);
    } else {
      const secret = header?.startsWith("Bearer ") ? header.slice(7).trim() : header ? "invalid" : undefined;
      request.principal = await access.authenticate(secret, { ip: request.ip });
    }
    if (config.permission)
      await access.authorize(request.principal, config.permission, config.action ?? request.url);
  });

  app.addHook("onSend", async (request, reply) => {
    reply.header("x-request-id", request.id);
    reply.header("cache-control", "no-store");
    reply.header("x-content-type-options", "nosniff");
    reply.header("x-frame-options", "DENY");
    reply.header("referrer-policy", "no-referrer");
    reply.header("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
    reply.header("cross-origin-resource-policy", "same-origin");
    reply.header("strict-transport-security", "max-age=31536000; includeSubDomains");
  });

  app.setErrorHandler((error: FastifyError | WildtrawlError | Error, request, reply) =>
    sendError(error, request, reply),
  );
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(errorBody("route_not_found", `no route ${request.method} ${request.url.split("?")[0]}`)),
  );

  app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "wildtrawl API",
        version: deps.version,
        description:
          "Screening of listings for CITES-listed wildlife, species look-up, listings and review. Error codes: docs/api.md.",
      },
      components: { securitySchemes: { apiKey: { type: "http", scheme: "bearer" } } },
      security: [{ apiKey: [] }],
    },
  });

  app.register(
    async (v1) => {
      await v1.register(rateLimit, {
        global: true,
        hook: "preParsing",
        // Counted in memory and shared through the database by every `serve` process (RELIABILITY H7).
        store: sharedRateLimitStore(rateLimits),
        max: limits.requestsPerWindow,
        timeWindow: limits.rateWindowMs,
        keyGenerator: (request) =>
          request.principal
            ? request.principal.keyId !== null
              ? `key:${request.principal.keyId}`
              : `user:${request.principal.userId}`
            : `ip:${request.ip}`,
        allowList: (request) => request.routeOptions.config.public === true,
        errorResponseBuilder: (_request, context) =>
          new WildtrawlError("rate_limited", `too many requests: retry in ${context.after}`),
      });

      v1.get(
        "/health",
        {
          config: { public: true },
          schema: { tags: ["meta"], security: [], response: { 200: HealthResponse } },
        },
        async () => ({ status: "ok" as const }),
      );
      v1.get("/openapi.json", { config: { public: true }, schema: { hide: true } }, async () =>
        app.swagger(),
      );

      registerScreeningRoutes(v1, services, limits);
      registerListingRoutes(v1, services);
      registerReviewRoutes(v1, services);
      registerAdminRoutes(v1, services);
      registerDashboardApiRoutes(v1, services, deps);
      registerTrawlRunRoutes(v1, services);
      registerEvidenceRoutes(v1, services);
      registerCaseRoutes(v1, services);
      registerSharingRoutes(v1, services);
      registerStatisticsRoutes(v1, services);
      registerTakedownRoutes(v1, deps);
      registerRelistingRoutes(v1, deps);
      registerSessionRoutes(v1, services, limits);
    },
    { prefix: "/v1" },
  );

  return app;
}

/** @fastify/rate-limit's store interface over the shared counter (its own windows are the counter's). */
function sharedRateLimitStore(counter: RateLimitCounter) {
  return class SharedRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void) {
      const { current, ttlMs } = counter.hit(key);
      callback(null, { current, ttl: ttlMs });
    }
    child() {
      return this;
    }
  };
}

function sendError(
  error: FastifyError | WildtrawlError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (error instanceof WildtrawlError) {
    const status = error.code === "rate_limited" ? 429 : statusForError(error);
    if (status >= 500) request.log.error({ err: error }, "request failed");
    return reply
      .code(status)
      .send(errorBody(error.code, status >= 500 ? "the server could not answer" : error.message));
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const problems = fastifyError.validation;
    const first =
      problems.find((p) => p.keyword === "required") ??
      problems.find((p) => p.keyword === "additionalProperties") ??
      problems.find((p) => p.keyword !== "boolean") ??
      problems[0];
    const unknown = (first?.params as { additionalProperties?: unknown } | undefined)?.additionalProperties;
    const detail = Array.isArray(unknown)
      ? `unknown field(s) ${unknown.map(String).join(", ")}`
      : first?.message;
    const where = fastifyError.validationContext ?? "request";
    const path = first?.instancePath ? `${where}${first.instancePath.replaceAll("/", ".")}` : where;
    const keyword = first?.keyword;
    const code =
      keyword === "required"
        ? "field_missing"
        : keyword === "additionalProperties"
          ? "field_unknown"
          : keyword === "maxLength"
            ? "field_too_long"
            : keyword === "maxItems" && first?.instancePath === "/listings"
              ? "batch_too_large"
              : "request_invalid";
    return reply.code(400).send(errorBody(code, `${path}: ${detail ?? "is not valid"}`));
  }
  switch (fastifyError.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return reply
        .code(413)
        .send(errorBody("body_too_large", "the request body is larger than this route accepts"));
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return reply.code(415).send(errorBody("media_type_unsupported", "send the body as application/json"));
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return reply
        .code(400)
        .send(errorBody("body_missing", "the request has a JSON content type but no body"));
  }
  const status = fastifyError.statusCode ?? 500;
  if (status === 408)
    return reply.code(408).send(errorBody("request_timeout", "the request took too long to arrive"));
  if (status >= 400 && status < 500) {
    const malformed = error instanceof SyntaxError || fastifyError.code === "FST_ERR_CTP_INVALID_JSON_BODY";
    return reply
      .code(malformed ? 400 : status)
      .send(
        errorBody(
          malformed ? "json_malformed" : "request_invalid",
          malformed ? `the body is not valid JSON: ${error.message}` : error.message,
        ),
      );
  }
  request.log.error({ err: error }, "request failed");
  return reply.code(500).send(errorBody("internal_error", "the server could not answer"));
}
