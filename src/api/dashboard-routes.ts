import { existsSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyReply, FastifyRequest } from "fastify";
import { Type } from "@sinclair/typebox";
import { detect, type Advert } from "../core/detect/detect.ts";
import type { DetectionModel } from "../core/detect/model.ts";
import { WildtrawlError } from "../core/errors.ts";
import type { Lexicon } from "../core/lexicon/lexicon.ts";
import type { Listing } from "../storage/records.ts";
import { errorBody } from "./api-errors.ts";
import { principalOf, type ApiApp, type ApiServices } from "./create-api.ts";
import { ErrorResponse, IdParams } from "./schemas.ts";

/** Where the dashboard's built files are, relative to the package (npm run build:web). */
export const defaultDashboardDir = join(import.meta.dirname, "..", "..", "web", "dist");

export const cspReportPath = "/v1/csp-reports";

/**
 * What the dashboard's pages may load: its own scripts, styles, fonts and API, images also as data: and blob:
 * (screenshots), nothing inline, no plugins, no framing. Violations are reported to the API.
 */
export const dashboardCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  `report-uri ${cspReportPath}`,
].join("; ");

export interface CspReport {
  readonly receivedAt: string;
  readonly documentUri: string;
  readonly blockedUri: string;
  readonly effectiveDirective: string;
  readonly sourceFile: string;
  readonly lineNumber: number | null;
  /** The first characters of the blocked inline code, when the browser sends them. */
  readonly sample: string;
  readonly disposition: string;
}

export interface DashboardApiDeps {
  readonly lexicon: Lexicon;
  readonly model: DetectionModel;
  readonly clock: () => Date;
  /** How many CSP reports are kept in memory, newest last. */
  readonly cspReportsKept?: number;
  /** CSP reports accepted per client address per minute; more are refused with 429. */
  readonly cspReportsPerMinute?: number;
}

const reportBodyBytes = 16 * 1024;
const reportContentTypes = ["application/csp-report", "application/reports+json"];
// Bounds what one report may make us keep, whatever the browser (or anyone posing as one) sends.
const fieldChars = 500;
const sampleChars = 200;
const trackedAddresses = 10_000;

const advertField = Type.Union(["title", "text", "price", "seller"].map((field) => Type.Literal(field)));

const ListingAnalysisResponse = Type.Object({
  detectorVersion: Type.String(),
  /** The texts the offsets count in (UTF-16), as stored. */
  fields: Type.Object({
    title: Type.String(),
    text: Type.String(),
    price: Type.String(),
    seller: Type.String(),
  }),
  matches: Type.Array(
    Type.Object({
      field: advertField,
      start: Type.Integer(),
      end: Type.Integer(),
      text: Type.String(),
      term: Type.String(),
      kind: Type.String(),
      lang: Type.Optional(Type.String()),
      taxa: Type.Array(Type.String()),
      product: Type.Optional(Type.String()),
      evasive: Type.Optional(Type.Boolean()),
      distance: Type.Optional(Type.Integer()),
      suppressedBy: Type.Optional(Type.String()),
    }),
  ),
  taxa: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      rank: Type.String(),
      listed: Type.Boolean(),
      appendices: Type.Array(Type.String()),
      listedThrough: Type.Optional(Type.String()),
      listingSource: Type.Optional(Type.Object({ id: Type.String(), date: Type.String() })),
      terms: Type.Array(Type.String()),
    }),
  ),
  scoreParts: Type.Array(Type.Object({ label: Type.String(), points: Type.Number() })),
  offersWildlife: Type.Boolean(),
  wildlifeScoreParts: Type.Optional(Type.Array(Type.Object({ label: Type.String(), points: Type.Number() }))),
  reasons: Type.Array(Type.String()),
  review: Type.Array(Type.String()),
});

/**
 * The API routes the dashboard needs beyond the others, registered under /v1 by createApi: browsers' CSP violation
 * reports (POST, anyone; GET, admins) and a listing's analysis — every matched term with its offsets, for the
 * listing view to highlight.
 */
export function registerDashboardApiRoutes(v1: ApiApp, services: ApiServices, deps: DashboardApiDeps): void {
  const reportsKept = deps.cspReportsKept ?? 200;
  const reportsPerMinute = deps.cspReportsPerMinute ?? 60;
  const reports: CspReport[] = [];
  const counts = new Map<string, { windowStart: number; count: number }>();

  const admitReport = (address: string) => {
    const now = deps.clock().getTime();
    if (counts.size >= trackedAddresses) counts.clear();
    const entry = counts.get(address);
    if (!entry || now - entry.windowStart >= 60_000) {
      counts.set(address, { windowStart: now, count: 1 });
      return;
    }
    entry.count += 1;
    if (entry.count > reportsPerMinute)
      throw new WildtrawlError(
        "rate_limited",
        `too many CSP reports from this address: at most ${reportsPerMinute} a minute`,
      );
  };

  // Encapsulated so that the report content types are accepted on this route only.
  void v1.register(async (reportsApp) => {
    reportsApp.addContentTypeParser(
      reportContentTypes,
      { parseAs: "string", bodyLimit: reportBodyBytes },
      (_request, body, done) => {
        try {
          done(null, JSON.parse(body as string));
        } catch (error) {
          const problem = `the CSP report is not valid JSON: ${(error as Error).message}`;
          done(new WildtrawlError("json_malformed", problem), undefined);
        }
      },
    );

    reportsApp.post(
      "/csp-reports",
      {
        bodyLimit: reportBodyBytes,
        config: { public: true },
        schema: {
          tags: ["meta"],
          summary: "Browsers report Content-Security-Policy violations of the dashboard here",
          security: [],
        },
      },
      async (request, reply) => {
        admitReport(request.ip);
        const contentType = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
        if (!contentType || !reportContentTypes.includes(contentType))
          throw new WildtrawlError(
            "media_type_unsupported",
            `send CSP reports as ${reportContentTypes.join(" or ")}, not ${contentType || "no content type"}`,
          );
        for (const report of parseCspReports(request.body, deps.clock())) {
          reports.push(report);
          request.log.warn({ cspReport: report }, "content security policy violation");
        }
        if (reports.length > reportsKept) reports.splice(0, reports.length - reportsKept);
        return reply.code(204).send();
      },
    );
  });

  v1.get(
    "/csp-reports",
    {
      config: { permission: "admin", action: "read CSP violation reports" },
      schema: {
        tags: ["meta"],
        summary: "The latest CSP violation reports of the dashboard, oldest first",
        response: {
          200: Type.Object({ items: Type.Array(Type.Object({}, { additionalProperties: true })) }),
        },
      },
    },
    async () => ({ items: reports }),
  );

  v1.get(
    "/listings/:id/analysis",
    {
      config: { permission: "listings.read", action: "read listings" },
      schema: {
        tags: ["listings"],
        summary:
          "Every matched name and term of the listing's current text, with offsets, its taxa and score parts",
        description:
          "The detector read afresh (it is deterministic): the stored detection keeps the verdict, this explains it.",
        params: IdParams,
        response: { 200: ListingAnalysisResponse, 404: ErrorResponse },
      },
    },
    async (request) => analyseListing(await services.listings.get(principalOf(request), request.params.id)),
  );

  function analyseListing(listing: Listing) {
    const fields = {
      title: listing.title ?? "",
      text: listing.text,
      price: priceTextOf(listing),
      seller: listing.seller ?? "",
    };
    const advert: Advert = {
      ...(fields.title ? { title: fields.title } : {}),
      ...(fields.text ? { text: fields.text } : {}),
      ...(fields.price ? { price: fields.price } : {}),
      ...(fields.seller ? { seller: fields.seller } : {}),
      ...(listing.language ? { language: listing.language } : {}),
    };
    const detection = detect(advert, deps.lexicon, { model: deps.model });
    return { ...detection, fields };
  }
}

/** The price as the advert wrote it (the trawler keeps it in attributes.price.raw), else amount and currency. */
function priceTextOf(listing: Listing): string {
  const price = listing.attributes["price"];
  if (isObject(price) && typeof price["raw"] === "string") return price["raw"];
  if (listing.priceAmount === null) return "";
  return [String(listing.priceAmount), listing.priceCurrency ?? ""].join(" ").trim();
}

export interface DashboardFiles {
  /** The built dashboard (web/dist): its index.html and assets/. */
  readonly distDir: string;
}

/**
 * Serves the built dashboard under `/`: its files, and index.html for client routes (never under /v1, never for a
 * missing file), each with the dashboard's security headers. Register before the app is ready; `wildtrawl serve`
 * does, and so do the dashboard's tests.
 */
export async function serveDashboard(app: ApiApp, files: DashboardFiles): Promise<void> {
  const index = join(files.distDir, "index.html");
  if (!existsSync(index))
    throw new DashboardMissingError(
      "dashboard_missing",
      `the dashboard is not built (${index} is missing): run \`npm run build:web\``,
    );

  await app.register(async (dashboard) => {
    // The pages hold no data and the API asks for a session itself: the files are for anyone.
    dashboard.addHook("onRoute", (route) => {
      route.config = { ...route.config, public: true };
    });

    dashboard.addHook("onSend", async (request, reply) => {
      if (request.url.startsWith("/v1/")) return;
      reply.header("content-security-policy", dashboardCsp);
      reply.header("cross-origin-opener-policy", "same-origin");
      reply.header("x-content-type-options", "nosniff");
      reply.header("referrer-policy", "no-referrer");
      // Assets have content hashes in their names; index.html must be asked for afresh to pick up a new build.
      reply.header(
        "cache-control",
        request.url.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
      );
    });

    await dashboard.register(fastifyStatic, {
      root: files.distDir,
      // One route per built file, found at start: anything else is a client route or a 404.
      wildcard: false,
      index: ["index.html"],
      serveDotFiles: false,
    });

    dashboard.get("/*", { schema: { hide: true } }, async (request, reply) => sendIndex(request, reply));
  });
}

export class DashboardMissingError extends WildtrawlError {}

async function sendIndex(request: FastifyRequest, reply: FastifyReply) {
  const path = request.url.split("?")[0] ?? "";
  // The API's unknown routes stay JSON 404s, and so does anything that looks like a missing file.
  if (path === "/v1" || path.startsWith("/v1/") || /\.[A-Za-z0-9]+$/.test(path))
    return reply.code(404).send(errorBody("route_not_found", `no route ${request.method} ${path}`));
  return reply.type("text/html; charset=utf-8").sendFile("index.html");
}

/** The reports in a body of either format: `{"csp-report": {…}}` (report-uri) or `[{type, body}]` (Reporting API). */
export function parseCspReports(body: unknown, receivedAt: Date): CspReport[] {
  const bodies: Record<string, unknown>[] = [];
  if (Array.isArray(body)) {
    for (const entry of body.slice(0, 20))
      if (isObject(entry) && entry["type"] === "csp-violation" && isObject(entry["body"]))
        bodies.push(entry["body"]);
  } else if (isObject(body) && isObject(body["csp-report"])) bodies.push(body["csp-report"]);
  if (bodies.length === 0)
    throw new WildtrawlError(
      "request_invalid",
      'the body is not a CSP report: expected {"csp-report": {…}} or [{"type": "csp-violation", "body": {…}}]',
    );
  return bodies.map((report) => ({
    receivedAt: receivedAt.toISOString(),
    documentUri: text(report["document-uri"] ?? report["documentURL"], fieldChars),
    blockedUri: text(report["blocked-uri"] ?? report["blockedURL"], fieldChars),
    effectiveDirective: text(
      report["effective-directive"] ?? report["effectiveDirective"] ?? report["violated-directive"],
      fieldChars,
    ),
    sourceFile: text(report["source-file"] ?? report["sourceFile"], fieldChars),
    lineNumber: number(report["line-number"] ?? report["lineNumber"]),
    sample: text(report["script-sample"] ?? report["sample"], sampleChars),
    disposition: text(report["disposition"], 20) || "enforce",
  }));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown, maxChars: number): string {
  return typeof value === "string" ? value.slice(0, maxChars) : "";
}

function number(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}
