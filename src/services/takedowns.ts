import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { NotFoundError, UsageError, WildtrawlError } from "../core/errors.ts";
import {
  noticeDocument,
  parseNoticeTemplate,
  renderNotice,
  type NoticeFacts,
  type NoticeTemplate,
} from "../core/takedown/notice-template.ts";
import {
  takedownStateNames,
  takedownStates,
  type JsonObject,
  type Listing,
  type Platform,
  type PlatformInput,
  type TakedownEvent,
  type TakedownNotice,
  type TakedownState,
} from "../storage/records.ts";
import { ConflictError } from "../storage/storage-errors.ts";
import type { Store } from "../storage/store.ts";
import type { NoticeMailer } from "./takedown-mailer.ts";

/**
 * Takedown notices (issue 8): from listings an analyst judged illegal offers to notices per platform, sent by e-mail
 * or recorded as sent by hand, and moved through their states. Everything happens inside the caller's organisation:
 * another organisation's notice or platform answers exactly as a missing one.
 *
 * Sending goes through `queued`, the outbox: a notice is claimed (draft → queued, compare-and-set, so of two senders
 * one wins), sent, then marked sent. A send that fails leaves it queued, to be sent again with the same Message-ID.
 */

/** Who is acting: an API principal or the CLI's operator. */
export interface TakedownCaller {
  readonly organisationId: number;
  readonly actor: string;
}

export type NoticeChannel = "email" | "web_form" | "api";

/** The review verdict that makes a listing a notice's subject (the review queue's verdicts, issue 8). */
export const noticeVerdict = "illegal_offer";

/** States whose notice is finished: a listing that has only these may get a new one. */
const closedStates: readonly TakedownState[] = ["removed", "rejected", "withdrawn"];

/** The issue's names are accepted for the stored ones (refused → rejected, expired → no_response). */
export function parseTakedownState(value: string): TakedownState {
  const lower = value.trim().toLowerCase();
  if ((takedownStates as readonly string[]).includes(lower)) return lower as TakedownState;
  const byName = takedownStates.find((state) => takedownStateNames[state] === lower);
  if (byName) return byName;
  throw new UsageError(
    "takedown_state_invalid",
    `takedown state "${value}": expected one of ${takedownStates.join(", ")} (or drafted, refused, expired)`,
  );
}

/** A source's `platform` ("Example Market") as a platform slug ("example-market"). */
export function platformSlugOf(platform: string): string {
  return platform
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|(?<!-)-+$/g, "")
    .slice(0, 63);
}

const templateFile = /^([a-z]{2,3}(?:-[A-Za-z0-9]+)*)\.txt$/;

/**
 * Every language's template from `dir` (`en.txt`, `fr.txt`…), and a platform's own wording where it has one
 * (`<platform-slug>/fr.txt`, keyed "slug/fr"); each checked, a bad file named with its line.
 */
export async function loadNoticeTemplates(dir: string): Promise<ReadonlyMap<string, NoticeTemplate>> {
  const templates = new Map<string, NoticeTemplate>();
  const readFolder = async (folder: string, prefix: string) => {
    for (const entry of (await readdir(folder, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.isDirectory() && prefix === "" && /^[a-z0-9][a-z0-9-]{0,62}$/.test(entry.name)) {
        await readFolder(path.join(folder, entry.name), `${entry.name}/`);
        continue;
      }
      const match = templateFile.exec(entry.name);
      if (!entry.isFile() || !match) continue;
      const full = path.join(folder, entry.name);
      templates.set(
        `${prefix}${match[1]!}`,
        parseNoticeTemplate(await readFile(full, "utf8"), full, match[1]!),
      );
    }
  };
  await readFolder(dir, "");
  if (templates.size === 0)
    throw new UsageError("notice_templates_missing", `${dir}: no notice templates (en.txt…)`);
  return templates;
}

export interface NoticeSummary {
  readonly id: number;
  readonly listingId: number;
  readonly platform: string;
  readonly state: TakedownState;
  /** The issue's name for the state: drafted, sent, acknowledged, removed, refused, expired (+ queued, withdrawn). */
  readonly stateName: string;
  readonly recipient: string | null;
  readonly channel: NoticeChannel | null;
  readonly language: string | null;
  readonly reference: string | null;
  readonly listingUrl: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NoticeDetail extends NoticeSummary {
  readonly subject: string;
  readonly text: string;
  readonly json: JsonObject;
  readonly events: readonly TakedownEvent[];
}

export interface DraftResult {
  readonly items: readonly NoticeSummary[];
  /** The same notices by platform: what goes to one platform together. */
  readonly groups: readonly { readonly platform: string; readonly noticeIds: readonly number[] }[];
  /** Listings that got no notice, each with why. */
  readonly rejected: readonly {
    readonly listingId: number;
    readonly code: string;
    readonly message: string;
  }[];
  readonly created: number;
}

export interface TakedownDeps {
  readonly store: Store;
  readonly templates: ReadonlyMap<string, NoticeTemplate>;
  /** Null when no SMTP server is configured: e-mail notices then cannot be sent (by-hand ones still can). */
  readonly mailer: NoticeMailer | null;
  /** The From address of e-mailed notices, also the contact the notices give. */
  readonly from: string | null;
  readonly clock: () => Date;
}

const text = (value: unknown): string | null => (typeof value === "string" ? value : null);

export function summarize(notice: TakedownNotice): NoticeSummary {
  const channel = text(notice.details.channel);
  return {
    id: notice.id,
    listingId: notice.listingId,
    platform: notice.platform,
    state: notice.state,
    stateName: takedownStateNames[notice.state],
    recipient: notice.recipient,
    channel: channel === "email" || channel === "web_form" || channel === "api" ? channel : null,
    language: text(notice.details.language),
    reference: text(notice.details.reference),
    listingUrl: text(notice.details.listingUrl),
    createdAt: notice.createdAt,
    updatedAt: notice.updatedAt,
  };
}

export function createTakedownService(deps: TakedownDeps) {
  const { store } = deps;

  const ownNotice = async (caller: TakedownCaller, id: number): Promise<TakedownNotice> => {
    const notice = await store.takedowns.get(id);
    if (notice === null || notice.organisationId !== caller.organisationId)
      throw new NotFoundError("takedown_not_found", `no takedown notice ${id}`);
    return notice;
  };

  const ownPlatform = async (caller: TakedownCaller, slug: string): Promise<Platform> => {
    const platform = await store.platforms.get(caller.organisationId, slug);
    if (platform === null) throw new NotFoundError("platform_not_found", `no platform "${slug}"`);
    return platform;
  };

  // Languages with a common template: a platform's own wording only ever replaces one of these.
  const commonLanguages = () => [...deps.templates.keys()].filter((key) => !key.includes("/"));

  const checkLanguage = (language: string): string => {
    if (language.includes("/") || !deps.templates.has(language))
      throw new UsageError(
        "language_unsupported",
        `no notice template in "${language}": there are ${commonLanguages().join(", ")}`,
      );
    return language;
  };

  const chooseLanguage = (requested: string | undefined, platform: Platform): string => {
    if (requested !== undefined) return checkLanguage(requested);
    if (deps.templates.has(platform.defaultLanguage)) return platform.defaultLanguage;
    return deps.templates.has("en") ? "en" : commonLanguages()[0]!;
  };

  /** Why a listing cannot get a notice, or the platform it goes to. */
  const noticeTarget = async (
    caller: TakedownCaller,
    listing: Listing,
  ): Promise<{ platform: Platform } | { code: string; message: string }> => {
    const reviews = await store.reviews.listForListing(listing.id);
    const latest = reviews.at(-1);
    if (latest?.verdict !== noticeVerdict)
      return {
        code: "listing_not_illegal_offer",
        message: `listing ${listing.id}: its latest review verdict is ${latest?.verdict ?? "missing"}, not ${noticeVerdict}`,
      };
    if (listing.removedAt !== null)
      return {
        code: "listing_already_removed",
        message: `listing ${listing.id} was already removed on ${listing.removedAt.toISOString()}`,
      };
    const source = await store.sources.get(listing.sourceId);
    const slug = source?.platform ? platformSlugOf(source.platform) : "";
    if (slug === "")
      return {
        code: "listing_platform_unknown",
        message: `listing ${listing.id}: its source names no platform`,
      };
    const platform = await store.platforms.get(caller.organisationId, slug);
    if (platform === null)
      return {
        code: "platform_not_found",
        message: `listing ${listing.id}: no platform "${slug}": add it first (wildtrawl platforms add ${slug} …)`,
      };
    const { email, webFormUrl, apiEndpoint } = platform.channels;
    if (!email && !webFormUrl && !apiEndpoint)
      return {
        code: "platform_no_channel",
        message: `platform "${slug}" has no e-mail, web form or API to send to`,
      };
    return { platform };
  };

  const draftOne = async (
    caller: TakedownCaller,
    listing: Listing,
    platform: Platform,
    requestedLanguage: string | undefined,
  ): Promise<{ notice: TakedownNotice; created: boolean }> => {
    const existing = await store.takedowns.listForListing(listing.id);
    const open = existing.find(
      (n) => n.organisationId === caller.organisationId && !closedStates.includes(n.state),
    );
    if (open) return { notice: open, created: false };
    const organisation = await store.organisations.get(caller.organisationId);
    const sequence = existing.length + 1;
    const reference = `WT-${organisation?.slug ?? caller.organisationId}-L${listing.id}-${sequence}`;
    const language = chooseLanguage(requestedLanguage, platform);
    const captures = (await store.evidence.listCaptures(listing.id)).filter((c) => c.status !== "failed");
    const now = deps.clock();
    const facts: NoticeFacts = {
      reference,
      date: now.toISOString().slice(0, 10),
      platform: { slug: platform.slug, name: platform.name },
      listing: {
        url: listing.url,
        platformListingId: listing.listingKey.startsWith("id:") ? listing.listingKey.slice(3) : null,
        title: listing.title,
        text: listing.text,
        seller: listing.seller,
        firstSeenAt: listing.firstSeenAt.toISOString(),
      },
      taxa: listing.taxa,
      legalBases: platform.legalBases,
      evidence: captures.map((c) => ({
        captureId: c.id,
        capturedAt: c.finishedAt.toISOString(),
        sha256: c.sha256,
        status: c.status,
      })),
      sender: { organisation: organisation?.name ?? String(caller.organisationId), contact: deps.from },
    };
    // The platform's own wording in that language when it has one, else the common template.
    const template = deps.templates.get(`${platform.slug}/${language}`) ?? deps.templates.get(language)!;
    const rendered = renderNotice(template, facts);
    const { email, webFormUrl, apiEndpoint } = platform.channels;
    const channel: NoticeChannel = email ? "email" : webFormUrl ? "web_form" : "api";
    return store.takedowns.create(
      {
        organisationId: caller.organisationId,
        listingId: listing.id,
        platform: platform.slug,
        recipient: email ?? webFormUrl ?? apiEndpoint,
        // The same listing drafted again (a replayed request) finds this key, so it gets the same notice.
        idempotencyKey: `listing:${listing.id}:notice:${sequence}`,
        details: {
          reference,
          language,
          channel,
          listingUrl: listing.url,
          subject: rendered.subject,
          text: rendered.text,
          json: JSON.parse(JSON.stringify(noticeDocument(facts, language))) as JsonObject,
        },
      },
      caller.actor,
    );
  };

  const sendByEmail = async (caller: TakedownCaller, notice: TakedownNotice): Promise<TakedownNotice> => {
    if (deps.mailer === null || deps.from === null)
      throw new UsageError(
        "smtp_not_configured",
        "set WILDTRAWL_SMTP_URL and WILDTRAWL_SMTP_FROM to send notices by e-mail, or record a notice sent by hand with its reference",
      );
    if (notice.recipient === null)
      throw new UsageError("takedown_no_recipient", `takedown notice ${notice.id} has no e-mail recipient`);
    let current = notice;
    if (current.state === "draft")
      current = await store.takedowns.transition(
        current.id,
        { from: "draft", to: "queued", note: "sending by e-mail" },
        caller.actor,
      );
    else if (current.state !== "queued" && current.state !== "no_response")
      throw new ConflictError(
        "takedown_not_sendable",
        `takedown notice ${notice.id} is ${notice.state}: it cannot be sent`,
      );
    const fromDomain = /@([^>\s@]+)>?$/.exec(deps.from)?.[1] ?? "wildtrawl.invalid";
    const resend = current.state === "no_response";
    const messageId = `<takedown-${current.id}-${resend ? `r${current.updatedAt.getTime()}` : "1"}@${fromDomain}>`;
    const reference = text(notice.details.reference) ?? String(notice.id);
    let response: string;
    try {
      ({ response } = await deps.mailer.send({
        from: deps.from,
        to: notice.recipient,
        subject: text(notice.details.subject) ?? `Takedown notice ${reference}`,
        text: text(notice.details.text) ?? "",
        messageId,
        attachment: {
          filename: `notice-${reference}.json`,
          content: `${JSON.stringify(notice.details.json ?? {}, null, 2)}\n`,
          contentType: "application/json",
        },
      }));
    } catch (error) {
      await store.audit.append({
        organisationId: caller.organisationId,
        actor: caller.actor,
        action: "takedown.send_failed",
        subjectType: "takedown_notice",
        subjectId: notice.id,
        details: { messageId, error: String((error as Error).message ?? error).slice(0, 500) },
      });
      throw new WildtrawlError(
        "takedown_send_failed",
        `takedown notice ${notice.id}: the SMTP server did not take it (${(error as Error).message}); it stays queued, send it again`,
        { cause: error },
      );
    }
    return store.takedowns.transition(
      current.id,
      {
        from: current.state,
        to: "sent",
        note: `e-mailed to ${notice.recipient}`,
        details: {
          channel: "email",
          messageId,
          recipient: notice.recipient,
          smtpResponse: response.slice(0, 500),
        },
      },
      caller.actor,
    );
  };

  const recordSentByHand = async (
    caller: TakedownCaller,
    notice: TakedownNotice,
    request: { reference: string; sentAt?: Date; by?: string; channel?: NoticeChannel },
  ): Promise<TakedownNotice> => {
    if (!["draft", "queued", "no_response"].includes(notice.state))
      throw new ConflictError(
        "takedown_not_sendable",
        `takedown notice ${notice.id} is ${notice.state}: it cannot be sent`,
      );
    const details: JsonObject = {
      channel: request.channel ?? text(notice.details.channel) ?? "web_form",
      byHand: true,
      reference: request.reference,
      by: request.by ?? caller.actor,
    };
    return store.transaction(async (tx) => {
      let state = notice.state;
      if (state === "draft") {
        await tx.takedowns.transition(
          notice.id,
          { from: "draft", to: "queued", note: "sent by hand" },
          caller.actor,
        );
        state = "queued";
      }
      return tx.takedowns.transition(
        notice.id,
        {
          from: state,
          to: "sent",
          note: `sent by hand by ${details.by as string}, reference ${request.reference}`,
          observedAt: request.sentAt ?? null,
          details,
        },
        caller.actor,
      );
    });
  };

  return {
    listPlatforms: (caller: TakedownCaller) => store.platforms.list(caller.organisationId),
    getPlatform: ownPlatform,
    createPlatform: (caller: TakedownCaller, input: Omit<PlatformInput, "organisationId">) =>
      store.platforms.create({ ...input, organisationId: caller.organisationId }, caller.actor),
    savePlatform: (caller: TakedownCaller, input: Omit<PlatformInput, "organisationId">) =>
      store.platforms.save({ ...input, organisationId: caller.organisationId }, caller.actor),

    /** Notices for the listings, one per listing, grouped per platform; replaying the request changes nothing. */
    async draft(
      caller: TakedownCaller,
      request: { listingIds: readonly number[]; language?: string },
    ): Promise<DraftResult> {
      if (request.listingIds.length === 0)
        throw new UsageError("listing_ids_missing", "give at least one listing id");
      if (request.language !== undefined) checkLanguage(request.language);
      const items: NoticeSummary[] = [];
      const rejected: { listingId: number; code: string; message: string }[] = [];
      let created = 0;
      for (const listingId of [...new Set(request.listingIds)]) {
        const listing = await store.listings.get(listingId);
        if (listing === null || listing.organisationId !== caller.organisationId) {
          rejected.push({ listingId, code: "listing_not_found", message: `no listing ${listingId}` });
          continue;
        }
        const target = await noticeTarget(caller, listing);
        if (!("platform" in target)) {
          rejected.push({ listingId, ...target });
          continue;
        }
        const drafted = await draftOne(caller, listing, target.platform, request.language);
        if (drafted.created) created++;
        items.push(summarize(drafted.notice));
      }
      const byPlatform = new Map<string, number[]>();
      for (const item of items)
        byPlatform.set(item.platform, [...(byPlatform.get(item.platform) ?? []), item.id]);
      return {
        items,
        groups: [...byPlatform]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([platform, noticeIds]) => ({ platform, noticeIds })),
        rejected,
        created,
      };
    },

    async list(
      caller: TakedownCaller,
      query: { platform?: string; state?: string; afterId?: number; limit?: number },
    ): Promise<NoticeSummary[]> {
      const notices = await store.takedowns.list({
        organisationId: caller.organisationId,
        ...(query.platform !== undefined ? { platform: query.platform } : {}),
        ...(query.state !== undefined ? { states: [parseTakedownState(query.state)] } : {}),
        ...(query.afterId !== undefined ? { afterId: query.afterId } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
      });
      return notices.map(summarize);
    },

    async show(caller: TakedownCaller, id: number): Promise<NoticeDetail> {
      const notice = await ownNotice(caller, id);
      const json = notice.details.json;
      return {
        ...summarize(notice),
        subject: text(notice.details.subject) ?? "",
        text: text(notice.details.text) ?? "",
        json: json !== null && typeof json === "object" && !Array.isArray(json) ? json : {},
        events: await store.takedowns.events(id),
      };
    },

    /**
     * Sends the notice: by e-mail when its channel is e-mail and no reference is given; otherwise records that a
     * person sent it (web form, API, or an e-mail from their own client) with the platform's reference.
     */
    async send(
      caller: TakedownCaller,
      id: number,
      request: { reference?: string; sentAt?: Date; by?: string; channel?: NoticeChannel } = {},
    ): Promise<NoticeSummary> {
      const notice = await ownNotice(caller, id);
      if (request.reference !== undefined) {
        if (request.reference.trim() === "")
          throw new UsageError(
            "send_reference_missing",
            "a notice sent by hand needs the platform's reference",
          );
        if (request.sentAt && request.sentAt.getTime() < notice.createdAt.getTime())
          throw new UsageError(
            "sent_before_drafted",
            `takedown notice ${id} was drafted at ${notice.createdAt.toISOString()}: it cannot have been sent before`,
          );
        return summarize(
          await recordSentByHand(caller, notice, { ...request, reference: request.reference.trim() }),
        );
      }
      if (text(notice.details.channel) !== "email")
        throw new UsageError(
          "send_reference_missing",
          `takedown notice ${id} goes to ${notice.recipient ?? "a web form"}: send it there by hand, then record it with the platform's reference`,
        );
      return summarize(await sendByEmail(caller, notice));
    },

    /** A change reported by the platform or decided by the analyst: acknowledged, removed, refused, expired, withdrawn. */
    async transition(
      caller: TakedownCaller,
      id: number,
      move: { from: string; to: string; note?: string; observedAt?: Date },
    ): Promise<NoticeSummary> {
      const from = parseTakedownState(move.from);
      const to = parseTakedownState(move.to);
      if (to === "queued" || to === "sent")
        throw new UsageError(
          "takedown_use_send",
          `a notice becomes ${to} by sending it: POST /v1/takedowns/${id}/send`,
        );
      const notice = await ownNotice(caller, id);
      if (move.observedAt && move.observedAt.getTime() < notice.createdAt.getTime())
        throw new UsageError(
          "observed_before_drafted",
          `takedown notice ${id} was drafted at ${notice.createdAt.toISOString()}: nothing happened to it before`,
        );
      return summarize(
        await store.takedowns.transition(
          id,
          { from, to, note: move.note ?? null, observedAt: move.observedAt ?? null },
          caller.actor,
        ),
      );
    },
  };
}

export type TakedownService = ReturnType<typeof createTakedownService>;
