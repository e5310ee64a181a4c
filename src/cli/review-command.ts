import type { Command } from "commander";
import { NotFoundError, UsageError } from "../core/errors.ts";
import { rolePermissions, type ApiRole } from "../services/access.ts";
import {
  precisionGroupings,
  precisionIntervals,
  type FlagPrecisionReport,
  type PrecisionCounts,
  type PrecisionGrouping,
  type PrecisionInterval,
} from "../services/flag-precision.ts";
import { createListingReview, type Reviewer } from "../services/listing-review.ts";
import { openStore } from "../storage/open-store.ts";
import { reviewVerdicts, type ReviewQueueItem, type ReviewVerdict } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import type { CliContext } from "./cli-context.ts";
import { printable } from "./terminal-text.ts";
import { isoDate, oneOf, positiveInteger } from "./argument-parsers.ts";

interface WhoOptions {
  as?: string;
  org?: string;
}

interface QueueOptions extends WhoOptions {
  source?: string;
  taxon?: string;
  language?: string;
  country?: string;
  assignee?: string;
  limit: number;
  cursor?: string;
  json?: boolean;
}

interface PrecisionOptions extends WhoOptions {
  by: PrecisionGrouping;
  interval: PrecisionInterval;
  from?: Date;
  to?: Date;
  json?: boolean;
}

/** `wildtrawl review queue|assign|verdict|precision`: the review queue from a shell, acting as a named person. */
export function registerReviewCommands(program: Command, context: CliContext): void {
  const write = (text: string): void => void context.stdout.write(`${text}\n`);
  const withReview = async <T>(
    who: WhoOptions,
    needs: "person" | "organisation",
    work: (review: ReturnType<typeof createListingReview>, reviewer: Reviewer, store: Store) => Promise<T>,
  ): Promise<T> => {
    const store = await openStore(context.config.databaseUrl);
    try {
      const reviewer = await reviewerOf(store, who, needs);
      return await work(createListingReview({ store }), reviewer, store);
    } finally {
      await store.close();
    }
  };

  const review = program
    .command("review")
    .description("the review queue, assignments, verdicts and flag precision");
  const as = "--as <email>";
  const asHelp = "the person acting (their organisation is the one used)";
  const orgHelp = "the organisation, when not acting as a person";

  review
    .command("queue")
    .description("flagged listings not yet reviewed: highest score first, then Appendix I before II and III")
    .option(as, asHelp)
    .option("--org <slug>", orgHelp)
    .option("--source <id|slug>", "only listings from this source")
    .option("--taxon <name>", "a scientific name; a genus finds its species")
    .option("--language <tag>", "language of the advert, e.g. en, vi")
    .option("--country <code>", "ISO 3166-1 alpha-2 country, e.g. VN")
    .option("--assignee <who>", "me, none, or a person's email or user id")
    .option("--limit <n>", "listings per page (1–500)", positiveInteger, 20)
    .option("--cursor <cursor>", "continue from a previous page's next cursor")
    .option("--json", "machine-readable output: { items, nextCursor }")
    .action(async (options: QueueOptions) => {
      const page = await withReview(options, "organisation", async (service, reviewer, store) => {
        const assignee =
          options.assignee === undefined || options.assignee === "me" || options.assignee === "none"
            ? options.assignee
            : (await userOf(store, reviewer.organisationId, options.assignee)).id;
        return service.queue(reviewer, {
          ...(options.source !== undefined ? { source: options.source } : {}),
          ...(options.taxon !== undefined ? { taxon: options.taxon } : {}),
          ...(options.language !== undefined ? { language: options.language } : {}),
          ...(options.country !== undefined ? { country: options.country } : {}),
          ...(assignee !== undefined ? { assignee } : {}),
          limit: options.limit,
          ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
        });
      });
      if (options.json) return write(JSON.stringify(page, null, 2));
      if (page.items.length === 0) return write("Nothing to review.");
      for (const item of page.items) write(queueLine(item));
      if (page.nextCursor) write(`More: --cursor ${page.nextCursor}`);
    });

  review
    .command("assign")
    .description("give a listing to a person to review, or 'none' to clear its assignment")
    .argument("<listing>", "the listing's id", positiveInteger)
    .argument("<who>", "a person's email or user id, or none")
    .requiredOption(as, asHelp)
    .option("--json", "print the assignment as JSON")
    .action(async (listingId: number, who: string, options: WhoOptions & { json?: boolean }) => {
      const assignment = await withReview(options, "person", async (service, reviewer, store) => {
        const userId = who === "none" ? null : (await userOf(store, reviewer.organisationId, who)).id;
        return service.assign(reviewer, listingId, userId);
      });
      if (options.json) return write(JSON.stringify(assignment, null, 2));
      write(
        assignment.assignee
          ? `Listing #${listingId} assigned to ${assignment.assignee.displayName} (user ${assignment.assignee.userId})`
          : `Listing #${listingId} is assigned to nobody`,
      );
    });

  review
    .command("verdict")
    .description(`record a verdict on a listing: ${reviewVerdicts.join(", ")}`)
    .argument("<listing>", "the listing's id", positiveInteger)
    .argument("<verdict>", reviewVerdicts.join(" | "), oneOf(reviewVerdicts))
    .requiredOption(as, asHelp)
    .option("--note <text>", "why, e.g. 'CITES permit shown'")
    .option("--json", "print the recorded review as JSON")
    .action(
      async (
        listingId: number,
        verdict: ReviewVerdict,
        options: WhoOptions & { note?: string; json?: boolean },
      ) => {
        const recorded = await withReview(options, "person", (service, reviewer) =>
          service.recordReview(reviewer, listingId, {
            verdict,
            ...(options.note !== undefined ? { note: options.note } : {}),
          }),
        );
        if (options.json) return write(JSON.stringify(recorded, null, 2));
        write(`Review #${recorded.id}: listing #${listingId} is ${recorded.verdict.replace("_", " ")}`);
      },
    );

  review
    .command("precision")
    .description("flag precision from review verdicts: by one grouping and per week or month")
    .option(as, asHelp)
    .option("--org <slug>", orgHelp)
    .option("--by <grouping>", precisionGroupings.join(", "), oneOf(precisionGroupings), "verdict")
    .option("--interval <interval>", precisionIntervals.join(" or "), oneOf(precisionIntervals), "month")
    .option("--from <date>", "verdicts given at or after (ISO 8601)", isoDate)
    .option("--to <date>", "verdicts given before (ISO 8601)", isoDate)
    .option("--json", "the whole report as JSON")
    .action(async (options: PrecisionOptions) => {
      const report = await withReview(options, "organisation", (service, reviewer) =>
        service.precision(reviewer, {
          by: options.by,
          interval: options.interval,
          ...(options.from ? { from: options.from } : {}),
          ...(options.to ? { to: options.to } : {}),
        }),
      );
      if (options.json) return write(JSON.stringify(report, null, 2));
      write(formatPrecision(report));
    });
}

/** `--as` names a person (and so the organisation); `--org` an organisation alone; one organisation needs neither. */
async function reviewerOf(
  store: Store,
  who: WhoOptions,
  needs: "person" | "organisation",
): Promise<Reviewer> {
  if (who.as !== undefined) {
    const user = await store.users.getByEmail(who.as);
    if (user === null) throw new NotFoundError("user_not_found", `--as: no user with email "${who.as}"`);
    if (user.disabledAt !== null)
      throw new UsageError("user_disabled", `--as: user ${user.email} is disabled`);
    if (needs === "person" && !rolePermissions["reviews.write"].includes(user.role as ApiRole))
      throw new UsageError("forbidden", `--as: a ${user.role} may not record review verdicts or assignments`);
    if (who.org !== undefined) {
      const organisation = await store.organisations.get(user.organisationId);
      if (organisation?.slug !== who.org)
        throw new UsageError(
          "organisation_mismatch",
          `--as: ${user.email} is not in organisation "${who.org}"`,
        );
    }
    return { organisationId: user.organisationId, userId: user.id, actor: `user:${user.id}` };
  }
  if (needs === "person") throw new UsageError("argument_missing", "--as: who is acting (their email)");
  const organisations = await store.organisations.list();
  const organisation =
    who.org !== undefined
      ? organisations.find((o) => o.slug === who.org)
      : organisations.length === 1
        ? organisations[0]
        : undefined;
  if (organisation === undefined)
    throw who.org !== undefined
      ? new NotFoundError("organisation_not_found", `--org: no organisation "${who.org}"`)
      : new UsageError("organisation_missing", "give --as <email> or --org <slug>: which organisation");
  return { organisationId: organisation.id, userId: null, actor: `cli:organisation:${organisation.slug}` };
}

async function userOf(store: Store, organisationId: number, who: string) {
  const user = /^[0-9]+$/.test(who) ? await store.users.get(Number(who)) : await store.users.getByEmail(who);
  if (user === null || user.organisationId !== organisationId)
    throw new NotFoundError("user_not_found", `no user "${who}" in this organisation`);
  return user;
}

function queueLine(item: ReviewQueueItem): string {
  const taxa = item.taxa.map((t) => `${t.name} (${t.appendix})`).join(", ") || "no taxon";
  const price = item.price
    ? ` · ${item.price.amount}${item.price.currency ? ` ${item.price.currency}` : ""}`
    : "";
  const seller = item.seller ? ` · seller ${printable(item.seller)}` : "";
  const place = [item.language, item.country].filter(Boolean).join(" ");
  const assignee = item.assignee ? `assigned to ${item.assignee.displayName}` : "unassigned";
  return [
    `#${item.listingId}  ${item.score.toFixed(2)}  ${printable(item.title ?? item.url)}`,
    `    ${taxa} · ${item.source}${item.platform ? ` (${item.platform})` : ""}${seller}${price}${place ? ` · ${place}` : ""}`,
    `    seen ${item.firstSeenAt.toISOString().slice(0, 10)}–${item.lastSeenAt.toISOString().slice(0, 10)} · ${assignee}`,
  ].join("\n");
}

function formatPrecision(report: FlagPrecisionReport & { from: Date | null; to: Date | null }): string {
  const share = (counts: PrecisionCounts) =>
    counts.precision === null ? "     –" : `${(counts.precision * 100).toFixed(1).padStart(5)}%`;
  const row = (label: string, counts: PrecisionCounts) =>
    `  ${label.padEnd(28)} ${share(counts)}  ${String(counts.reviewed).padStart(6)} ${String(counts.illegalOffer).padStart(7)} ${String(counts.legalOffer).padStart(6)} ${String(counts.notWildlife).padStart(7)} ${String(counts.unsure).padStart(7)}`;
  const header = `  ${"".padEnd(28)} ${"prec.".padStart(6)}  ${"flags".padStart(6)} ${"illegal".padStart(7)} ${"legal".padStart(6)} ${"not w.".padStart(7)} ${"unsure".padStart(7)}`;
  const range = `${report.from ? report.from.toISOString().slice(0, 10) : "the start"} to ${report.to ? report.to.toISOString().slice(0, 10) : "now"}`;
  const lines = [
    `Flag precision by ${report.by}, ${range} (a flag: detector says offer or scores ≥ ${report.flagScore})`,
    header,
    row("all reviewed flags", report),
    ...report.groups.map((group) => row(group.key, group)),
  ];
  if (report.notFlagged > 0)
    lines.push(`  ${report.notFlagged} verdict(s) on listings that were not flagged`);
  if (report.periods.length > 0) {
    lines.push(`Per ${report.interval}:`, header);
    for (const period of report.periods) lines.push(row(period.period, period));
  }
  return lines.join("\n");
}
