/**
 * What the takedowns screen works out from the notices: what to send next, and counts per platform and state.
 * (Removal rates and times come from the takedown report: statistics-removals.ts.) Free of React and the DOM so
 * that node can test it.
 */

export const takedownStates = [
  "draft",
  "queued",
  "sent",
  "acknowledged",
  "removed",
  "rejected",
  "no_response",
  "withdrawn",
] as const;
export type TakedownState = (typeof takedownStates)[number];

/** A notice as GET /v1/takedowns lists it; dates are ISO strings. */
export interface TakedownNotice {
  readonly id: number;
  readonly listingId: number;
  readonly platform: string;
  readonly state: TakedownState;
  readonly recipient?: string | null;
  readonly channel?: "email" | "web_form" | "api" | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Notices someone still has to send. */
export const waitingStates: readonly TakedownState[] = ["draft", "queued"];

const isWaiting = (notice: TakedownNotice) => waitingStates.includes(notice.state);
const createdMs = (notice: TakedownNotice) => Date.parse(notice.createdAt);

/** Orders notices for work: those waiting to be sent first, then the rest; oldest first within each. */
export function compareForSending(a: TakedownNotice, b: TakedownNotice): number {
  return Number(isWaiting(b)) - Number(isWaiting(a)) || createdMs(a) - createdMs(b) || a.id - b.id;
}

/** What to send next: drafts and queued notices, oldest first. */
export function sendNext(notices: readonly TakedownNotice[]): TakedownNotice[] {
  return notices.filter(isWaiting).sort(compareForSending);
}

export interface PlatformCounts {
  readonly platform: string;
  readonly byState: Record<TakedownState, number>;
  readonly total: number;
}

/** A row per platform (alphabetical) with its notices counted by state. */
export function countsByPlatform(notices: readonly TakedownNotice[]): PlatformCounts[] {
  const rows = new Map<string, { byState: Record<TakedownState, number>; total: number }>();
  for (const notice of notices) {
    let row = rows.get(notice.platform);
    if (!row) {
      row = {
        byState: Object.fromEntries(takedownStates.map((state) => [state, 0])) as Record<
          TakedownState,
          number
        >,
        total: 0,
      };
      rows.set(notice.platform, row);
    }
    if (notice.state in row.byState) row.byState[notice.state]++;
    row.total++;
  }
  return [...rows.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([platform, row]) => ({ platform, ...row }));
}
