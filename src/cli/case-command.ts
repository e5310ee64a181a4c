import os from "node:os";
import type { Command } from "commander";
import { createCaseService, type CaseCaller, type CaseService } from "../services/cases.ts";
import { openStore } from "../storage/open-store.ts";
import { tlpMarkings, type Case } from "../storage/records.ts";
import type { CliContext } from "./cli-context.ts";
import { printable } from "./terminal-text.ts";
import { organisationFor } from "./cli-organisation.ts";
import { oneOf, positiveInteger } from "./argument-parsers.ts";

interface CaseOptions {
  org?: string;
  operator?: string;
  json?: boolean;
}

const caseLine = (found: Case) =>
  `${printable(found.reference)}  TLP:${found.marking}  ${printable(found.title)}  (opened ${found.createdAt.toISOString()} by ${found.createdBy})`;

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
      .option("--operator <who>", "who opens it (default: cli:<login name>)"),
  ).action(async (reference: string, options: CaseOptions & { title: string; marking: Case["marking"] }) => {
    const created = await withCases(options, (service, caller) =>
      service.create(caller, { reference, title: options.title, marking: options.marking }),
    );
    write(options.json ? JSON.stringify(created, null, 2) : `Opened case ${caseLine(created)}`);
  });

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
      .option("--operator <who>", "who adds them (default: cli:<login name>)"),
  ).action(async (reference: string, listingIds: number[], options: CaseOptions & { note?: string }) => {
    const result = await withCases(options, (service, caller) =>
      service.addListings(caller, reference, listingIds, options.note ?? null),
    );
    if (options.json) return write(JSON.stringify(result, null, 2));
    const added = result.added.map((entry) => entry.listingId);
    const already = listingIds.filter((id) => !added.includes(id));
    write(
      `Case ${printable(result.case.reference)}: added ${added.length} listing(s)${added.length ? ` (${added.join(", ")})` : ""}` +
        (already.length ? `; already in it: ${[...new Set(already)].join(", ")}` : ""),
    );
  });

  common(cases.command("list").description("the organisation's cases, newest first")).action(
    async (options: CaseOptions) => {
      const found = await withCases(options, (service, caller) => service.list(caller));
      if (options.json) return write(JSON.stringify(found, null, 2));
      if (found.length === 0) return write("No cases.");
      for (const one of found) write(caseLine(one));
    },
  );

  common(
    cases
      .command("show")
      .description("a case and its listings, with how many captures each has")
      .argument("<reference>", "the case"),
  ).action(async (reference: string, options: CaseOptions) => {
    const shown = await withCases(options, (service, caller) => service.show(caller, reference));
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
}
