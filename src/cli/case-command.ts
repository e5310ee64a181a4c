import os from "node:os";
import type { Command } from "commander";
import { createCaseService, type CaseCaller, type CaseService } from "../services/cases.ts";
import { openStore } from "../storage/open-store.ts";
import {
  handlingCodes,
  shareProfiles,
  tlpMarkings,
  type Case,
  type CaseShare,
  type HandlingCode,
  type ShareProfile,
  type TlpMarking,
} from "../storage/records.ts";
import type { CliContext } from "./cli-context.ts";
import { printable } from "./terminal-text.ts";
import { organisationFor } from "./cli-organisation.ts";
import { oneOf, positiveInteger, wholeNumber } from "./argument-parsers.ts";

interface CaseOptions {
  org?: string;
  operator?: string;
  json?: boolean;
  owner?: string;
}

const caseLine = (found: Case & { owner?: string }) =>
  `${printable(found.reference)}  TLP:${found.marking}  ${printable(found.title)}  (opened ${found.createdAt.toISOString()} by ${found.createdBy})` +
  (found.handling !== "H0" ? `  ${found.handling}` : "") +
  (found.owner !== undefined ? `  owner ${printable(found.owner)}` : "");

const shareLine = (share: CaseShare) =>
  `share ${share.id}: ${share.organisationId !== null ? `organisation ${share.organisationId}` : "members"}` +
  `${share.sharingGroupId !== null ? ` of group ${share.sharingGroupId}` : ""}, ${share.profile}, TLP:${share.marking} ${share.handling},` +
  ` ${share.onwardHops} onward hop(s), from organisation ${share.grantedByOrganisationId}` +
  `${share.parentShareId !== null ? ` (passing on share ${share.parentShareId})` : ""}`;

/** `wildtrawl case create|add|list|show`: investigations that gather listings, exported with `evidence export`. */
export function registerCaseCommands(program: Command, context: CliContext): void {
  const write = (text: string): void => void context.stdout.write(`${text}\n`);
  const withCases = async <T>(
    options: CaseOptions,
    work: (service: CaseService, caller: CaseCaller) => Promise<T>,
  ): Promise<T> => {
    const store = await openStore(context.config.databaseUrl);
    try {
      const organisation = await organisationFor(store, options.org, "which organisation's cases");
      const actor = options.operator ?? `cli:${os.userInfo().username}`;
      return await work(createCaseService(store), { organisationId: organisation.id, actor });
    } finally {
      await store.close();
    }
  };
  const cases = program
    .command("case")
    .description("cases: the listings of one investigation, exported together as evidence");
  const common = (command: Command) =>
    command
      .option("--org <slug>", "the organisation (needed when there are several)")
      .option("--json", "machine-readable output");

  common(
    cases
      .command("create")
      .description("open a case under your agency's own reference")
      .argument("<reference>", 'the case file number, e.g. "OP-TUSK-2026/14" (not all digits)')
      .requiredOption("--title <title>", "what the case is about")
      .option(
        "--marking <tlp>",
        `TLP 2.0 handling marking: ${tlpMarkings.join(", ")}`,
        oneOf(tlpMarkings),
        "AMBER",
      )
      .option("--handling <code>", `handling code: ${handlingCodes.join(", ")}`, oneOf(handlingCodes), "H0")
      .option("--sharing-group <slug>", "a sharing group of yours whose members read the case")
      .option("--operator <who>", "who opens it (default: cli:<login name>)"),
  ).action(
    async (
      reference: string,
      options: CaseOptions & {
        title: string;
        marking: Case["marking"];
        handling: HandlingCode;
        sharingGroup?: string;
      },
    ) => {
      const created = await withCases(options, (service, caller) =>
        service.create(caller, {
          reference,
          title: options.title,
          marking: options.marking,
          handling: options.handling,
          ...(options.sharingGroup !== undefined ? { sharingGroup: options.sharingGroup } : {}),
        }),
      );
      write(options.json ? JSON.stringify(created, null, 2) : `Opened case ${caseLine(created)}`);
    },
  );

  common(
    cases
      .command("add")
      .description("add listings to a case (a listing already in it is left as it was)")
      .argument("<reference>", "the case")
      .argument("<listing-id...>", "listings to add", (value, previous: number[] = []) => [
        ...previous,
        positiveInteger(value),
      ])
      .option("--note <why>", "why they belong to the case")
      .option("--owner <slug>", "the owning organisation of a case shared with yours")
      .option("--operator <who>", "who adds them (default: cli:<login name>)"),
  ).action(async (reference: string, listingIds: number[], options: CaseOptions & { note?: string }) => {
    const result = await withCases(options, (service, caller) =>
      service.addListings(caller, reference, listingIds, options.note ?? null, options.owner),
    );
    if (options.json) return write(JSON.stringify(result, null, 2));
    const added = result.added.map((entry) => entry.listingId);
    const already = listingIds.filter((id) => !added.includes(id));
    write(
      `Case ${printable(result.case.reference)}: added ${added.length} listing(s)${added.length ? ` (${added.join(", ")})` : ""}` +
        (already.length ? `; already in it: ${[...new Set(already)].join(", ")}` : ""),
    );
  });

  common(
    cases
      .command("list")
      .description("the organisation's cases and those shared with it, newest first")
      .option("--search <words>", "only cases whose reference or title contains these words"),
  ).action(async (options: CaseOptions & { search?: string }) => {
    const found = await withCases(options, (service, caller) =>
      service.list(caller, options.search !== undefined ? { text: options.search } : {}),
    );
    if (options.json) return write(JSON.stringify(found, null, 2));
    if (found.length === 0) return write("No cases.");
    for (const one of found) write(caseLine(one));
  });

  common(
    cases
      .command("show")
      .description("a case and its listings, with how many captures each has")
      .argument("<reference>", "the case")
      .option("--owner <slug>", "the owning organisation of a case shared with yours"),
  ).action(async (reference: string, options: CaseOptions) => {
    const shown = await withCases(options, (service, caller) =>
      service.show(caller, reference, options.owner),
    );
    if (options.json) return write(JSON.stringify(shown, null, 2));
    write(caseLine(shown.case));
    if (shown.listings.length === 0) write("  no listings yet: wildtrawl case add REFERENCE LISTING-ID…");
    for (const entry of shown.listings) {
      const { listing } = entry;
      write(
        `  #${listing.id}  ${listing.verdict ?? "not detected"}  ${entry.captures} capture(s)` +
          `${listing.removedAt ? "  REMOVED" : ""}  ${printable(listing.title ?? "")}  ${printable(listing.url)}`,
      );
      if (entry.note)
        write(`      ${printable(entry.note)} (${entry.addedBy}, ${entry.addedAt.toISOString()})`);
    }
    if (shown.listings.some((entry) => entry.captures === 0))
      write("  listings without a capture must be captured before the case is exported");
  });

  common(
    cases
      .command("share")
      .description(
        "share a case with an organisation or a sharing group; passing on a shared case only narrows (docs/sharing.md)",
      )
      .argument("<reference>", "the case")
      .option("--with <slug>", "the organisation that reads it")
      .option(
        "--group <slug>",
        "a sharing group: its members read it, or with --with, where that one may pass it on",
      )
      .option(
        "--profile <profile>",
        `${shareProfiles.join(" or ")} (default: read, or the share passed on)`,
        oneOf(shareProfiles),
      )
      .option("--marking <tlp>", "TLP 2.0 marking, at least as strict as yours", oneOf(tlpMarkings))
      .option("--handling <code>", "handling code, at least as strict as yours", oneOf(handlingCodes))
      .option("--onward-hops <n>", "how many more times it may be passed on (0–2)", wholeNumber)
      .option("--owner <slug>", "the owning organisation of a case shared with yours")
      .option("--operator <who>", "who shares it (default: cli:<login name>)"),
  ).action(
    async (
      reference: string,
      options: CaseOptions & {
        with?: string;
        group?: string;
        profile?: ShareProfile;
        marking?: TlpMarking;
        handling?: HandlingCode;
        onwardHops?: number;
      },
    ) => {
      const share = await withCases(options, (service, caller) =>
        service.share(
          caller,
          reference,
          {
            ...(options.with !== undefined ? { organisation: options.with } : {}),
            ...(options.group !== undefined ? { sharingGroup: options.group } : {}),
            ...(options.profile !== undefined ? { profile: options.profile } : {}),
            ...(options.marking !== undefined ? { marking: options.marking } : {}),
            ...(options.handling !== undefined ? { handling: options.handling } : {}),
            ...(options.onwardHops !== undefined ? { onwardHops: options.onwardHops } : {}),
          },
          options.owner,
        ),
      );
      write(
        options.json ? JSON.stringify(share, null, 2) : `Case ${printable(reference)}: ${shareLine(share)}`,
      );
    },
  );

  common(
    cases
      .command("unshare")
      .description(
        "withdraw a share, and every share passed on from it (the case's owner or the share's grantor)",
      )
      .argument("<reference>", "the case")
      .requiredOption("--share <id>", "the share, as `case shares` lists it", positiveInteger)
      .option("--owner <slug>", "the owning organisation of a case shared with yours")
      .option("--operator <who>", "who withdraws it (default: cli:<login name>)"),
  ).action(async (reference: string, options: CaseOptions & { share: number }) => {
    const { withdrawn } = await withCases(options, (service, caller) =>
      service.withdrawShare(caller, reference, options.share, options.owner),
    );
    if (options.json) return write(JSON.stringify({ withdrawn }, null, 2));
    const passedOn = withdrawn.slice(1);
    write(
      `Case ${printable(reference)}: share ${options.share} withdrawn` +
        (passedOn.length > 0 ? `, with the shares passed on from it (${passedOn.join(", ")})` : ""),
    );
  });

  common(
    cases
      .command("shares")
      .description("who a case is shared with")
      .argument("<reference>", "the case")
      .option("--owner <slug>", "the owning organisation of a case shared with yours"),
  ).action(async (reference: string, options: CaseOptions) => {
    const shares = await withCases(options, (service, caller) =>
      service.shares(caller, reference, options.owner),
    );
    if (options.json) return write(JSON.stringify(shares, null, 2));
    if (shares.length === 0) write("Not shared.");
    for (const share of shares) write(shareLine(share));
  });
}
