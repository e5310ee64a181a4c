import { defaultTakedownTemplateDir } from "../config.ts";
import { formatReport } from "../core/takedown/takedown-report-format.ts";
import type { Store } from "../storage/store.ts";
import type { NoticeMailer } from "../services/takedown-mailer.ts";
import { createRelistingService } from "../services/relisting.ts";
import { imageDownloader } from "../trawl/image-decode.ts";
import { buildTakedownReport } from "../services/takedown-report.ts";
import { createTakedownRevisits } from "../services/takedown-revisits.ts";
import { createFetcher } from "../trawl/fetcher.ts";
import { createTakedownService, loadNoticeTemplates, type TakedownService } from "../services/takedowns.ts";
import { principalOf, type ApiApp } from "./create-api.ts";
import { ErrorResponse, IdParams } from "./schemas.ts";
import {
  DraftRequest,
  DraftResponse,
  NewPlatformRequest,
  NoticeDetailSchema,
  NoticeSummarySchema,
  NoticesQuery,
  NoticesResponse,
  PlatformParams,
  PlatformSchema,
  PlatformsResponse,
  PutPlatformRequest,
  ReportQuery,
  RevisitSummarySchema,
  SendRequest,
  TransitionRequest,
} from "./takedown-schemas.ts";

/** How the API sends notices: the templates' folder, and the SMTP mailer and From address when configured. */
export interface TakedownApiOptions {
  readonly templateDir?: string;
  readonly mailer?: NoticeMailer | null;
  readonly from?: string | null;
  /** Revisits may fetch private and loopback addresses (tests, intranets); never for public deployments. */
  readonly revisitPrivateNetwork?: boolean;
  /** How long one revisit request may fetch before it answers with what it has (`incomplete`). */
  readonly revisitTimeMs?: number;
}

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

/** Platforms, takedown notices (draft, list, show, send, transitions) and the takedown report. */
export function registerTakedownRoutes(
  app: ApiApp,
  deps: { readonly store: Store; readonly clock: () => Date; readonly takedown?: TakedownApiOptions },
): void {
  const options = deps.takedown ?? {};
  // Templates are files: read once, on first use, so building the app stays synchronous.
  let service: Promise<TakedownService> | undefined;
  const takedowns = () =>
    (service ??= loadNoticeTemplates(options.templateDir ?? defaultTakedownTemplateDir).then((templates) =>
      createTakedownService({
        store: deps.store,
        templates,
        mailer: options.mailer ?? null,
        from: options.from ?? null,
        clock: deps.clock,
      }),
    ));

  app.get(
    "/platforms",
    {
      config: { permission: "takedowns.read", action: "read platforms" },
      schema: {
        tags: ["takedown"],
        summary: "The organisation's platform profiles",
        response: { 200: PlatformsResponse },
      },
    },
    async (request) => ({ items: await (await takedowns()).listPlatforms(principalOf(request)) }),
  );

  app.post(
    "/platforms",
    {
      config: { permission: "platforms.write", action: "add platforms" },
      schema: {
        tags: ["takedown"],
        summary: "Add a platform: where notices go and what they cite",
        body: NewPlatformRequest,
        response: { 201: PlatformSchema, ...errors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await (await takedowns()).createPlatform(principalOf(request), request.body)),
  );

  app.get(
    "/platforms/:slug",
    {
      config: { permission: "takedowns.read", action: "read platforms" },
      schema: {
        tags: ["takedown"],
        params: PlatformParams,
        response: { 200: PlatformSchema, 404: ErrorResponse },
      },
    },
    async (request) => (await takedowns()).getPlatform(principalOf(request), request.params.slug),
  );

  app.put(
    "/platforms/:slug",
    {
      config: { permission: "platforms.write", action: "change platforms" },
      schema: {
        tags: ["takedown"],
        summary: "Create or replace a platform profile",
        params: PlatformParams,
        body: PutPlatformRequest,
        response: { 200: PlatformSchema, 201: PlatformSchema, ...errors },
      },
    },
    async (request, reply) => {
      const saved = await (
        await takedowns()
      ).savePlatform(principalOf(request), {
        ...request.body,
        slug: request.params.slug,
      });
      return reply.code(saved.created ? 201 : 200).send(saved.platform);
    },
  );

  app.post(
    "/takedowns",
    {
      config: { permission: "takedowns.write", action: "draft takedown notices" },
      schema: {
        tags: ["takedown"],
        summary:
          "Draft notices for listings judged illegal offers, grouped per platform (replays change nothing)",
        body: DraftRequest,
        response: { 200: DraftResponse, ...errors },
      },
    },
    async (request) => (await takedowns()).draft(principalOf(request), request.body),
  );

  app.get(
    "/takedowns",
    {
      config: { permission: "takedowns.read", action: "read takedown notices" },
      schema: {
        tags: ["takedown"],
        summary: "Notices, oldest first, by platform and state",
        querystring: NoticesQuery,
        response: { 200: NoticesResponse, 400: ErrorResponse },
      },
    },
    async (request) => ({ items: await (await takedowns()).list(principalOf(request), request.query) }),
  );

  app.get(
    "/takedowns/:id",
    {
      config: { permission: "takedowns.read", action: "read takedown notices" },
      schema: {
        tags: ["takedown"],
        summary: "One notice: its text, its JSON and its events",
        params: IdParams,
        response: { 200: NoticeDetailSchema, 404: ErrorResponse },
      },
    },
    async (request) => (await takedowns()).show(principalOf(request), request.params.id),
  );

  app.post(
    "/takedowns/:id/send",
    {
      config: { permission: "takedowns.write", action: "send takedown notices" },
      // No body at all means "e-mail it", the same as an empty object.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ["takedown"],
        summary: "E-mail the notice, or record that it was sent by hand (with the platform's reference)",
        params: IdParams,
        body: SendRequest,
        response: { 200: NoticeSummarySchema, ...errors, 502: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      const { reference, sentAt, by } = request.body ?? {};
      return (await takedowns()).send(principalOf(request), request.params.id, {
        ...(reference !== undefined ? { reference } : {}),
        ...(sentAt !== undefined ? { sentAt: new Date(sentAt) } : {}),
        ...(by !== undefined ? { by } : {}),
      });
    },
  );

  app.post(
    "/takedowns/:id/transitions",
    {
      config: { permission: "takedowns.write", action: "change takedown notices" },
      schema: {
        tags: ["takedown"],
        summary: "Record a change: acknowledged, removed, refused, expired or withdrawn",
        params: IdParams,
        body: TransitionRequest,
        response: { 200: NoticeSummarySchema, ...errors },
      },
    },
    async (request) => {
      const { from, to, note, observedAt } = request.body;
      return (await takedowns()).transition(principalOf(request), request.params.id, {
        from,
        to,
        ...(note !== undefined ? { note } : {}),
        ...(observedAt !== undefined ? { observedAt: new Date(observedAt) } : {}),
      });
    },
  );

  app.post(
    "/takedowns/revisits",
    {
      config: { permission: "takedowns.write", action: "revisit noticed adverts" },
      schema: {
        tags: ["takedown"],
        summary:
          "Fetch every noticed advert again: removed ones move their notice to removed; copies elsewhere are looked for",
        response: { 200: RevisitSummarySchema, ...errors },
      },
    },
    async (request) => {
      const fetcher = createFetcher({
        userAgent: `wildtrawl (takedown revisit)`,
        allowPrivateNetwork: options.revisitPrivateNetwork ?? false,
        maxAttempts: 2,
      });
      // Answer within the request's time: what is left is checked by the next call.
      const signal = AbortSignal.timeout(options.revisitTimeMs ?? 10_000);
      try {
        const summary = await createTakedownRevisits({
          store: deps.store,
          fetch: fetcher.fetch,
          clock: deps.clock,
          checkRelistings: createRelistingService({
            store: deps.store,
            fetchImage: imageDownloader(fetcher.fetch),
          }).checkRelistings,
        }).revisit({ organisationId: principalOf(request).organisationId, signal });
        return { ...summary, incomplete: signal.aborted };
      } finally {
        fetcher.close();
      }
    },
  );

  app.get(
    "/reports/takedowns",
    {
      config: { permission: "takedowns.read", action: "read the takedown report" },
      schema: {
        tags: ["takedown"],
        summary:
          "Notices sent, removal rate, median and p90 days to removal, re-listing rate, per platform and period",
        querystring: ReportQuery,
      },
    },
    async (request, reply) => {
      const format = request.query.format ?? "json";
      const report = await buildTakedownReport(deps, {
        organisationId: principalOf(request).organisationId,
        interval: request.query.interval ?? "month",
        ...(request.query.platform !== undefined ? { platform: request.query.platform } : {}),
      });
      if (format === "json") return report;
      const types = { csv: "text/csv; charset=utf-8", html: "text/html; charset=utf-8" } as const;
      return reply
        .type(types[format])
        .header("content-disposition", `attachment; filename="takedowns.${format}"`)
        .send(formatReport(report, format));
    },
  );
}
