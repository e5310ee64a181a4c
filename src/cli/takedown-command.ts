import { writeFile } from "node:fs/promises";
import os from "node:os";
import type { Command } from "commander";
import { UsageError, WildtrawlError } from "../core/errors.ts";
import { reportIntervals, type ReportInterval } from "../core/takedown/takedown-measures.ts";
import { formatReport, reportFormats, type ReportFormat } from "../core/takedown/takedown-report-format.ts";
import { createSmtpMailer } from "../services/takedown-mailer.ts";
import { buildTakedownReport } from "../services/takedown-report.ts";
import { createRelistingService } from "../services/relisting.ts";
import { imageDownloader } from "../trawl/image-decode.ts";
import { createTakedownRevisits } from "../services/takedown-revisits.ts";
import {
  createTakedownService,
  loadNoticeTemplates,
  parseTakedownState,
  type NoticeSummary,
  type TakedownCaller,
  type TakedownService,
} from "../services/takedowns.ts";
import { openStore } from "../storage/open-store.ts";
import { takedownStateNames, type Platform } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import { createFetcher } from "../trawl/fetcher.ts";
import type { CliContext } from "./cli-context.ts";
import { printable } from "./terminal-text.ts";
import { organisationFor } from "./cli-organisation.ts";
import { collect, isoDate, oneOf, positiveInteger } from "./argument-parsers.ts";

interface OrgOptions {
  org?: string;
  operator?: string;
  json?: boolean;
}

/**
 * `wildtrawl platforms add|list`, `wildtrawl takedowns draft|list|show|send|mark|revisit` and
 * `wildtrawl report takedowns`: takedown notices from the shell.
 */
export function registerTakedownCommands(program: Command, context: CliContext): void {
  const write = (text: string): void => void context.stdout.write(`${text}\n`);

  const withTakedowns = async <T>(
    options: OrgOptions,
    work: (service: TakedownService, caller: TakedownCaller, store: Store) => Promise<T>,
  ): Promise<T> => {
    const { config } = context;
    const templates = await loadNoticeTemplates(config.takedownTemplateDir);
    const store = await openStore(config.databaseUrl, { clock: context.now });
    const mailer = config.smtpUrl ? createSmtpMailer(config.smtpUrl) : null;
    try {
      const caller = await callerOf(store, options);
      const service = createTakedownService({
        store,
        templates,
        mailer,
        from: config.smtpFrom,
        clock: context.now,
      });
      return await work(service, caller, store);
    } finally {
      mailer?.close();
      await store.close();
    }
  };

  const orgOption = (command: Command) =>
    command
      .option("--org <slug>", "the organisation (default: the only one)")
      .option("--operator <who>", "who is acting, for the audit log (default: cli:<login name>)");

  // ── platforms ──
  const platforms = program.command("platforms").description("where takedown notices go, and what they cite");
  orgOption(
    platforms
      .command("add")
      .description("add a platform profile (or with --replace, replace the one with this slug)")
      .argument("<slug>", "matches the platform named by sources (e.g. example-market)")
      .requiredOption("--name <name>", "what people call it")
      .option("--country <code>", "a country it serves (ISO 3166-1 alpha-2); repeat for more", collect, [])
      .option("--email <address>", "where notices are e-mailed")
      .option("--web-form <url>", "its notice form (notices are then sent by hand)")
      .option("--api <url>", "its notice API endpoint (notices are then sent by hand)")
      .option("--national-law <text>", "the national law to cite")
      .option("--policy-url <url>", "its policy on wildlife")
      .option("--dsa", "send as EU Digital Services Act Article 16 notices")
      .option(
        "--trusted-flagger <designation>",
        "our Article 22 trusted-flagger designation (coordinator, reference)",
      )
      .option("--language <tag>", "the notices' default language (en, fr, es, pt, de)", "en")
      .option("--replace", "replace an existing profile")
      .option("--json", "print the profile as JSON"),
  ).action(
    async (
      slug: string,
      options: OrgOptions & {
        name: string;
        country: string[];
        email?: string;
        webForm?: string;
        api?: string;
        nationalLaw?: string;
        policyUrl?: string;
        dsa?: boolean;
        trustedFlagger?: string;
        language: string;
        replace?: boolean;
      },
    ) => {
      const input = {
        slug,
        name: options.name,
        countries: options.country.map((c) => c.toUpperCase()),
        channels: {
          email: options.email ?? null,
          webFormUrl: options.webForm ?? null,
          apiEndpoint: options.api ?? null,
        },
        legalBases: {
          nationalLaw: options.nationalLaw ?? null,
          policyUrl: options.policyUrl ?? null,
          dsaArticle16: options.dsa ?? false,
          trustedFlagger: options.trustedFlagger ?? null,
        },
        defaultLanguage: options.language,
      };
      const platform = await withTakedowns(options, async (service, caller) =>
        options.replace
          ? (await service.savePlatform(caller, input)).platform
          : service.createPlatform(caller, input),
      );
      if (options.json) return write(JSON.stringify(platform, null, 2));
      write(`Platform ${platform.slug} saved`);
      write(platformLine(platform));
    },
  );

  orgOption(
    platforms.command("list").description("the platform profiles").option("--json", "as JSON"),
  ).action(async (options: OrgOptions) => {
    const list = await withTakedowns(options, (service, caller) => service.listPlatforms(caller));
    if (options.json) return write(JSON.stringify({ items: list }, null, 2));
    if (list.length === 0)
      return write("No platforms: add one with wildtrawl platforms add <slug> --name … --email …");
    for (const platform of list) write(platformLine(platform));
  });

  // ── takedowns ──
  const takedowns = program.command("takedowns").description("takedown notices: draft, send, track, revisit");

  orgOption(
    takedowns
      .command("draft")
      .description("draft notices for listings judged illegal offers (again: the same notices)")
      .argument("<listing-ids...>", "the listings", (value, previous: number[] = []) => [
        ...previous,
        positiveInteger(value),
      ])
      .option("--language <tag>", "the template language (default: the platform's)")
      .option("--json", "the notices, groups and rejections as JSON"),
  ).action(async (listingIds: number[], options: OrgOptions & { language?: string }) => {
    const result = await withTakedowns(options, (service, caller) =>
      service.draft(caller, { listingIds, ...(options.language ? { language: options.language } : {}) }),
    );
    if (options.json) return write(JSON.stringify(result, null, 2));
    write(`Drafted ${result.created} new notice(s); ${result.items.length - result.created} existed already`);
    for (const group of result.groups) write(`  ${group.platform}: #${group.noticeIds.join(", #")}`);
    for (const rejected of result.rejected) write(`  not drafted: ${rejected.message} [${rejected.code}]`);
    if (result.items.length === 0)
      throw new WildtrawlError("takedown_nothing_drafted", "no listing could get a notice (see above)");
  });

  orgOption(
    takedowns
      .command("list")
      .description("notices, oldest first")
      .option("--platform <slug>", "only this platform's")
      .option("--state <state>", "drafted, queued, sent, acknowledged, removed, refused, expired, withdrawn")
      .option("--limit <n>", "at most this many (1–1000)", positiveInteger, 100)
      .option("--json", "as JSON"),
  ).action(async (options: OrgOptions & { platform?: string; state?: string; limit: number }) => {
    const items = await withTakedowns(options, (service, caller) =>
      service.list(caller, {
        ...(options.platform ? { platform: options.platform } : {}),
        ...(options.state ? { state: options.state } : {}),
        limit: options.limit,
      }),
    );
    if (options.json) return write(JSON.stringify({ items }, null, 2));
    if (items.length === 0) return write("No notices match.");
    for (const notice of items) write(noticeLine(notice));
  });

  orgOption(
    takedowns
      .command("show")
      .description("one notice: its text, its JSON and its history")
      .argument("<id>", "the notice", positiveInteger)
      .option("--json", "as JSON"),
  ).action(async (id: number, options: OrgOptions) => {
    const notice = await withTakedowns(options, (service, caller) => service.show(caller, id));
    if (options.json) return write(JSON.stringify(notice, null, 2));
    write(noticeLine(notice));
    write(`Subject: ${notice.subject}`);
    write("");
    write(notice.text.trimEnd());
    write("");
    write("History:");
    for (const event of notice.events)
      write(
        `  ${event.at.toISOString()}  ${event.fromState ? takedownStateNames[event.fromState] : "—"} → ` +
          `${takedownStateNames[event.toState]}  by ${event.actor}` +
          `${event.observedAt ? ` (happened ${event.observedAt.toISOString()})` : ""}${event.note ? `: ${event.note}` : ""}`,
      );
  });

  orgOption(
    takedowns
      .command("send")
      .description("e-mail notices (WILDTRAWL_SMTP_URL, WILDTRAWL_SMTP_FROM), or record one sent by hand")
      .argument("[ids...]", "the notices", (value, previous: number[] = []) => [
        ...previous,
        positiveInteger(value),
      ])
      .option("--platform <slug>", "e-mail every drafted (and every queued) notice of this platform")
      .option("--reference <ref>", "sent by hand (web form, API): the platform's reference")
      .option("--sent-at <time>", "when it was sent by hand (ISO 8601)", isoDate)
      .option("--by <who>", "who sent it by hand"),
  ).action(
    async (
      ids: number[] = [],
      options: OrgOptions & { platform?: string; reference?: string; sentAt?: Date; by?: string },
    ) => {
      if (options.reference !== undefined && (ids.length !== 1 || options.platform))
        throw new UsageError(
          "send_reference_missing",
          "a reference belongs to one notice: give one id with --reference",
        );
      if (ids.length === 0 && !options.platform)
        throw new UsageError("takedown_ids_missing", "give notice ids, or --platform to send its drafts");
      const failed = await withTakedowns(options, async (service, caller) => {
        const targets = [...ids];
        if (options.platform) {
          for (const state of ["draft", "queued"])
            targets.push(
              ...(await service.list(caller, { platform: options.platform, state, limit: 1000 })).map(
                (n) => n.id,
              ),
            );
        }
        let failures = 0;
        // One notice that fails does not hold back the others: each is reported.
        for (const id of targets) {
          try {
            const sent = await service.send(caller, id, {
              ...(options.reference !== undefined ? { reference: options.reference } : {}),
              ...(options.sentAt ? { sentAt: options.sentAt } : {}),
              ...(options.by ? { by: options.by } : {}),
            });
            write(
              `Notice #${sent.id} ${options.reference !== undefined ? "recorded as sent by hand" : `e-mailed to ${sent.recipient}`}`,
            );
          } catch (error) {
            if (!(error instanceof WildtrawlError) || targets.length === 1) throw error;
            failures++;
            write(`Notice #${id} not sent: ${error.message} [${error.code}]`);
          }
        }
        if (targets.length === 0) write(`No drafted or queued notices for ${options.platform}.`);
        return failures;
      });
      if (failed > 0)
        throw new WildtrawlError("takedown_send_failed", `${failed} notice(s) not sent (see above)`);
    },
  );

  orgOption(
    takedowns
      .command("mark")
      .description("record a change: acknowledged, removed, refused, expired, withdrawn")
      .argument("<id>", "the notice", positiveInteger)
      .argument("<state>", "the new state")
      .option("--from <state>", "the state it must be in now (default: whatever it is)")
      .option("--note <text>", "why, or what the platform said")
      .option("--at <time>", "when it happened, if earlier (ISO 8601)", isoDate),
  ).action(
    async (id: number, to: string, options: OrgOptions & { from?: string; note?: string; at?: Date }) => {
      const notice = await withTakedowns(options, async (service, caller) => {
        const from = options.from ? parseTakedownState(options.from) : (await service.show(caller, id)).state;
        return service.transition(caller, id, {
          from,
          to,
          ...(options.note ? { note: options.note } : {}),
          ...(options.at ? { observedAt: options.at } : {}),
        });
      });
      write(`Notice #${notice.id} is ${notice.stateName}`);
    },
  );

  orgOption(
    takedowns
      .command("revisit")
      .description("fetch every noticed advert again: removed ones move their notice to removed")
      .option(
        "--allow-private-network",
        "let the fetcher reach private and loopback addresses (tests, intranets)",
      )
      .option("--json", "every check as JSON"),
  ).action(async (options: OrgOptions & { allowPrivateNetwork?: boolean }) => {
    const store = await openStore(context.config.databaseUrl, { clock: context.now });
    const fetcher = createFetcher({
      userAgent: `wildtrawl/${context.version} (takedown revisit)`,
      allowPrivateNetwork: options.allowPrivateNetwork ?? false,
      maxAttempts: 2,
    });
    try {
      const organisationId = options.org ? (await callerOf(store, options)).organisationId : undefined;
      const summary = await createTakedownRevisits({
        store,
        fetch: fetcher.fetch,
        clock: context.now,
        checkRelistings: createRelistingService({ store, fetchImage: imageDownloader(fetcher.fetch) })
          .checkRelistings,
      }).revisit(organisationId !== undefined ? { organisationId } : {});
      if (options.json) return write(JSON.stringify(summary, null, 2));
      write(
        `Checked ${summary.checked}: ${summary.removed} removed, ${summary.live} still live, ${summary.failed} failed`,
      );
      for (const item of summary.items)
        write(`  #${item.noticeId} listing ${item.listingId}: ${item.outcome} (${item.reason})`);
    } finally {
      fetcher.close();
      await store.close();
    }
  });

  // ── report ── (another area may have added `report` already: join it)
  const report =
    program.commands.find((c) => c.name() === "report") ?? program.command("report").description("reports");
  report
    .command("takedowns")
    .description("notices sent, removal rate, median and p90 days to removal, re-listing rate, per platform")
    .option("--format <format>", `one of ${reportFormats.join(", ")}`, oneOf(reportFormats), "json")
    .option("--interval <interval>", `one of ${reportIntervals.join(", ")}`, oneOf(reportIntervals), "month")
    .option("--platform <slug>", "only this platform's notices")
    .option("--out <file>", "write the report here instead of to the terminal")
    .option("--org <slug>", "the organisation (default: the only one)")
    .action(
      async (options: {
        format: ReportFormat;
        interval: ReportInterval;
        platform?: string;
        out?: string;
        org?: string;
      }) => {
        const store = await openStore(context.config.databaseUrl, { clock: context.now });
        try {
          const { organisationId } = await callerOf(store, options);
          const built = await buildTakedownReport(
            { store, clock: context.now },
            {
              organisationId,
              interval: options.interval,
              ...(options.platform ? { platform: options.platform } : {}),
            },
          );
          const output = formatReport(built, options.format);
          if (options.out) {
            await writeFile(options.out, output);
            write(`Wrote ${options.out}`);
          } else context.stdout.write(output);
        } finally {
          await store.close();
        }
      },
    );
}

async function callerOf(store: Store, options: { org?: string; operator?: string }): Promise<TakedownCaller> {
  const organisation = await organisationFor(store, options.org, "which organisation's notices");
  return { organisationId: organisation.id, actor: options.operator ?? `cli:${os.userInfo().username}` };
}

function platformLine(platform: Platform): string {
  const { email, webFormUrl, apiEndpoint } = platform.channels;
  const via = [
    email && `e-mail ${email}`,
    webFormUrl && `form ${webFormUrl}`,
    apiEndpoint && `API ${apiEndpoint}`,
  ]
    .filter(Boolean)
    .join(", ");
  const legal = platform.legalBases;
  const cites = [
    legal.nationalLaw && "national law",
    legal.policyUrl && "policy",
    legal.dsaArticle16 && "DSA Art. 16",
    legal.dsaArticle16 && legal.trustedFlagger && "trusted flagger (Art. 22)",
  ]
    .filter(Boolean)
    .join(", ");
  return printable(
    `${platform.slug}  ${platform.name} [${platform.countries.join(" ") || "—"}] · ${via || "no channel"} · cites ${cites || "nothing"} · ${platform.defaultLanguage}`,
  );
}

function noticeLine(notice: NoticeSummary): string {
  return printable(
    `#${notice.id}  ${notice.stateName.padEnd(12)} ${notice.platform}  listing ${notice.listingId}  ` +
      `${notice.reference ?? ""}  ${notice.channel ?? ""} ${notice.recipient ?? ""}  updated ${notice.updatedAt.toISOString()}`,
  );
}
