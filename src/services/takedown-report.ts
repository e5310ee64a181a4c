import {
  measureTakedowns,
  type NoticeOutcome,
  type ReportInterval,
} from "../core/takedown/takedown-measures.ts";
import type { TakedownReport } from "../core/takedown/takedown-report-format.ts";
import type { TakedownEvent, TakedownNotice } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";

/**
 * The takedown report of one organisation: reads every notice and its events, reduces each to when it was sent and
 * when its advert was seen removed, asks the re-listing detector which removed adverts came back, and measures.
 */

export const reportDefinitions: TakedownReport["definitions"] = {
  timeToRemoval:
    "from the first time a notice was sent (by e-mail, or when a person says they sent it) to the time its advert " +
    "was seen removed (by a revisit or the trawler, or as reported), in days; notices are counted in the period " +
    "they were sent in",
  percentiles:
    "nearest rank: the p-th percentile of n sorted times is the one at rank ceil(p/100 × n); the median is the " +
    "50th percentile, so with an even count it is the lower middle value",
  relisting:
    "a removed advert counts as re-listed when the re-listing detector found it again (same or near-duplicate " +
    "text, same images, same seller) after its removal",
};

/** When the notice was first sent and when its advert was then seen removed, from its events. */
export function outcomeOf(
  notice: TakedownNotice,
  events: readonly TakedownEvent[],
): Omit<NoticeOutcome, "relisted"> {
  const when = (event: TakedownEvent) => event.observedAt ?? event.at;
  const sent = events.find((e) => e.toState === "sent");
  const removed = events.find((e) => e.toState === "removed");
  const sentAt = sent ? when(sent) : null;
  const removedAt = sentAt && removed ? when(removed) : null;
  // A removal "seen" before the notice went out is not the notice's doing: it counts as removed at once.
  return {
    platform: notice.platform,
    sentAt,
    removedAt: removedAt && sentAt && removedAt < sentAt ? sentAt : removedAt,
  };
}

export async function buildTakedownReport(
  deps: { store: Store; clock: () => Date },
  request: { organisationId: number; interval: ReportInterval; platform?: string },
): Promise<TakedownReport> {
  const { store } = deps;
  const notices: TakedownNotice[] = [];
  for (let afterId = 0; ;) {
    const page = await store.takedowns.list({
      organisationId: request.organisationId,
      ...(request.platform !== undefined ? { platform: request.platform } : {}),
      afterId,
      limit: 1000,
    });
    notices.push(...page);
    if (page.length < 1000) break;
    afterId = page.at(-1)!.id;
  }
  const events = await store.takedowns.eventsOf(notices.map((n) => n.id));
  const eventsByNotice = Map.groupBy(events, (e) => e.noticeId);
  const outcomes = notices.map((notice) => ({
    notice,
    ...outcomeOf(notice, eventsByNotice.get(notice.id) ?? []),
  }));

  const removedListings = [
    ...new Set(outcomes.filter((o) => o.removedAt !== null).map((o) => o.notice.listingId)),
  ];
  const relistings =
    removedListings.length > 0 ? await store.relistings.listForOriginals(removedListings) : [];
  const relistedAt = Map.groupBy(relistings, (r) => r.originalListingId);
  const measured: NoticeOutcome[] = outcomes.map(({ platform, sentAt, removedAt, notice }) => ({
    platform,
    sentAt,
    removedAt,
    relisted:
      removedAt === null
        ? false
        : (relistedAt.get(notice.listingId) ?? []).some((r) => r.detectedAt.getTime() >= removedAt.getTime()),
  }));
  return {
    generatedAt: deps.clock().toISOString(),
    interval: request.interval,
    definitions: reportDefinitions,
    rows: measureTakedowns(measured, request.interval),
  };
}
