import type { JsonObject, Listing, Source, TakedownNotice, TakedownState } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import { extractPage, type PageRules } from "../trawl/extract/extract-page.ts";
import { FetchError } from "../trawl/fetch-errors.ts";
import type { Fetch } from "../trawl/fetcher.ts";

/**
 * Revisits of noticed listings: every notice that is out with its platform (sent, acknowledged, or expired without
 * an answer) has its advert fetched again with the trawler's fetcher and read with its extraction. An advert that is
 * gone is marked removed, and its notice moves to `removed` at the time the removal was seen: that time is what the
 * takedown report measures. Each check is audited, so "still live on 3 April" is on record too.
 */

export interface RevisitDeps {
  readonly store: Store;
  readonly fetch: Fetch;
  readonly clock: () => Date;
  /**
   * Re-listing detection (`RelistingService.checkRelistings`), when given: called with the listings found removed,
   * so that a copy already live elsewhere is recorded at once.
   */
  readonly checkRelistings?: (listingIds: readonly number[]) => Promise<unknown>;
}

export type RevisitOutcomeKind = "removed" | "live" | "failed";

export interface RevisitOutcome {
  readonly noticeId: number;
  readonly listingId: number;
  readonly platform: string;
  readonly url: string;
  readonly outcome: RevisitOutcomeKind;
  /** Why: "HTTP 404", `page says "no longer available"`, "listing page", or the fetch error's code. */
  readonly reason: string;
  readonly observedAt: Date;
}

export interface RevisitSummary {
  readonly checked: number;
  readonly removed: number;
  readonly live: number;
  readonly failed: number;
  readonly items: readonly RevisitOutcome[];
}

/** States in which a notice waits on its platform. */
export const noticedStates: readonly TakedownState[] = ["sent", "acknowledged", "no_response"];

const actor = "system:takedown-revisit";

/** The source's declared page rules, or for a source without any, rules that know only the advert's host. */
function pageRulesOf(source: Source | null, url: string): PageRules {
  const config = source?.config as { links?: { allowedHosts?: unknown } } | undefined;
  if (config?.links && Array.isArray(config.links.allowedHosts)) return config as unknown as PageRules;
  return { links: { allowedHosts: [new URL(url).hostname] } };
}

export function createTakedownRevisits(deps: RevisitDeps) {
  const { store } = deps;

  const record = async (
    notice: TakedownNotice,
    listing: Listing,
    outcome: RevisitOutcomeKind,
    reason: string,
    observedAt: Date,
    details: JsonObject,
  ): Promise<RevisitOutcome> => {
    if (outcome === "removed") {
      await store.transaction(async (tx) => {
        if (listing.removedAt === null) await tx.listings.markRemoved([listing.id], observedAt);
        await tx.takedowns.transition(
          notice.id,
          {
            from: notice.state,
            to: "removed",
            note: `revisit: ${reason}`,
            observedAt,
            details: { revisit: true, reason, ...details },
          },
          actor,
        );
      });
    } else {
      await store.audit.append({
        organisationId: notice.organisationId,
        actor,
        action: "takedown.revisited",
        subjectType: "takedown_notice",
        subjectId: notice.id,
        details: { outcome, reason, observedAt: observedAt.toISOString(), ...details },
      });
    }
    return {
      noticeId: notice.id,
      listingId: listing.id,
      platform: notice.platform,
      url: listing.url,
      outcome,
      reason,
      observedAt,
    };
  };

  const revisitOne = async (notice: TakedownNotice, signal?: AbortSignal): Promise<RevisitOutcome | null> => {
    const listing = await store.listings.get(notice.listingId);
    if (listing === null) return null;
    const sentAt = (await store.takedowns.events(notice.id))
      .filter((e) => e.toState === "sent")
      .map((e) => e.observedAt ?? e.at)[0];
    // The trawler may have seen the advert gone since the notice was sent: that sighting is the earlier one.
    if (listing.removedAt !== null && sentAt !== undefined && listing.removedAt >= sentAt)
      return record(notice, listing, "removed", "seen removed by the trawler", listing.removedAt, {});

    let result;
    try {
      result = await deps.fetch(new URL(listing.url), signal ? { signal } : {});
    } catch (error) {
      // Stopped by the caller (its time ran out): not a check of the advert, so nothing is recorded.
      if (signal?.aborted) return null;
      if (error instanceof FetchError)
        return record(notice, listing, "failed", error.code, deps.clock(), {
          message: error.message.slice(0, 300),
        });
      throw error;
    }
    const observedAt = deps.clock();
    const source = await store.sources.get(listing.sourceId);
    const page = extractPage(
      {
        url: result.finalUrl,
        html: result.decoded?.text ?? "",
        requestedUrl: result.requestedUrl,
        status: result.status,
        fetchedAt: result.finishedAt,
      },
      pageRulesOf(source, listing.url),
    );
    const details = { status: result.status, finalUrl: result.finalUrl, bodySha256: result.bodySha256 };
    if (page.classification.kind === "removed")
      return record(notice, listing, "removed", page.classification.reason, observedAt, details);
    if (result.status >= 200 && result.status < 300)
      return record(notice, listing, "live", page.classification.reason, observedAt, details);
    // A 403 or a 500 says nothing about the advert: try again next time.
    return record(notice, listing, "failed", `HTTP ${result.status}`, observedAt, details);
  };

  return {
    /** Checks every noticed listing of the organisation (or of every organisation), oldest notice first. */
    async revisit(options: { organisationId?: number; signal?: AbortSignal } = {}): Promise<RevisitSummary> {
      const organisations =
        options.organisationId !== undefined
          ? [options.organisationId]
          : (await store.organisations.list()).map((o) => o.id);
      const items: RevisitOutcome[] = [];
      for (const organisationId of organisations) {
        let afterId = 0;
        for (;;) {
          const page = await store.takedowns.list({
            organisationId,
            states: noticedStates,
            afterId,
            limit: 200,
          });
          for (const notice of page) {
            if (options.signal?.aborted) break;
            const outcome = await revisitOne(notice, options.signal);
            if (outcome) items.push(outcome);
          }
          if (page.length < 200 || options.signal?.aborted) break;
          afterId = page.at(-1)!.id;
        }
      }
      const removed = items.filter((i) => i.outcome === "removed").map((i) => i.listingId);
      if (removed.length > 0) await deps.checkRelistings?.(removed);
      return {
        checked: items.length,
        removed: removed.length,
        live: items.filter((i) => i.outcome === "live").length,
        failed: items.filter((i) => i.outcome === "failed").length,
        items,
      };
    },
  };
}

export type TakedownRevisits = ReturnType<typeof createTakedownRevisits>;
