import type { Command } from "commander";
import type { RelistingReason } from "../core/similarity/relisting-match.ts";
import { createRelistingService } from "../services/relisting.ts";
import { openStore } from "../storage/open-store.ts";
import { createFetcher } from "../trawl/fetcher.ts";
import { imageDownloader } from "../trawl/image-decode.ts";
import type { Relisting } from "../storage/records.ts";
import type { CliContext } from "./cli-context.ts";
import { printable } from "./terminal-text.ts";
import { isoDate, positiveInteger } from "./argument-parsers.ts";

interface CheckOptions {
  since?: Date;
  json?: boolean;
}

interface ListOptions {
  listing?: number;
  since?: Date;
  until?: Date;
  limit: number;
  json?: boolean;
}

const pageSize = 500;

/** `wildtrawl relistings check|list`: find removed or noticed adverts that came back, and show them. */
export function registerRelistingCommands(program: Command, context: CliContext): void {
  const relistings = program
    .command("relistings")
    .description("removed or noticed adverts that came back: same words, same photos or same seller");
  const write = (text: string): void => void context.stdout.write(`${text}\n`);

  relistings
    .command("check")
    .description(
      "fingerprint listings and record the re-listings among them (all listings if none are named)",
    )
    .argument("[listingIds...]", "listing ids to check", (value: string, previous: number[] = []) => [
      ...previous,
      positiveInteger(value),
    ])
    .option("--since <date>", "only listings seen at or after this date (ISO 8601)", isoDate)
    .option("--images", "also download up to 4 photos of each listing and compare them (polite, SSRF-vetted)")
    .option("--json", "machine-readable output: { checked, fingerprinted, relistings, imageFailures }")
    .action(async (listingIds: number[] | undefined, options: CheckOptions & { images?: boolean }) => {
      const store = await openStore(context.config.databaseUrl);
      const fetcher = options.images
        ? createFetcher({ userAgent: `wildtrawl/${context.version} (re-listing check)`, maxAttempts: 2 })
        : null;
      try {
        const service = createRelistingService({
          store,
          ...(fetcher ? { fetchImage: imageDownloader(fetcher.fetch) } : {}),
        });
        let ids = listingIds ?? [];
        if (ids.length === 0) {
          let cursor: string | undefined;
          do {
            const page = await store.listings.search({
              limit: pageSize,
              ...(options.since ? { seenFrom: options.since } : {}),
              ...(cursor ? { cursor } : {}),
            });
            ids = ids.concat(page.items.map((listing) => listing.id));
            cursor = page.nextCursor ?? undefined;
          } while (cursor);
          // Oldest first: an original is fingerprinted before the copies that came after it.
          ids.reverse();
        }
        const check = await service.checkRelistings(ids);
        if (options.json) return write(JSON.stringify(check, null, 2));
        write(
          `Checked ${check.checked} listing(s), ${check.fingerprinted} fingerprinted: ` +
            `${check.relistings.length} new re-listing(s).`,
        );
        for (const relisting of check.relistings) write(relistingLine(relisting));
      } finally {
        fetcher?.close();
        await store.close();
      }
    });

  relistings
    .command("list")
    .description("re-listings found, oldest first")
    .option("--listing <id>", "only those of this listing, as original or copy", positiveInteger)
    .option("--since <date>", "detected at or after this date (ISO 8601)", isoDate)
    .option("--until <date>", "detected before this date (ISO 8601)", isoDate)
    .option("--limit <n>", "at most this many (1–5000)", positiveInteger, 100)
    .option("--json", "machine-readable output: { items }")
    .action(async (options: ListOptions) => {
      const store = await openStore(context.config.databaseUrl);
      try {
        const service = createRelistingService({ store });
        const items =
          options.listing !== undefined
            ? await service.relistingsOf(options.listing)
            : await service.listDetected({
                limit: options.limit,
                ...(options.since ? { from: options.since } : {}),
                ...(options.until ? { to: options.until } : {}),
              });
        if (options.json) return write(JSON.stringify({ items }, null, 2));
        if (items.length === 0) return write("No re-listings.");
        for (const relisting of items) write(relistingLine(relisting));
      } finally {
        await store.close();
      }
    });
}

function relistingLine(relisting: Relisting): string {
  const back =
    relisting.originalListingId === relisting.newListingId
      ? `#${relisting.originalListingId} came back`
      : `#${relisting.originalListingId} → #${relisting.newListingId}`;
  return `${back}  ${relisting.reasons.map(describeReason).join("; ")}  (${relisting.detectedAt.toISOString()})`;
}

function describeReason(reason: RelistingReason): string {
  switch (reason.kind) {
    case "text":
      return `same words ${Math.round(reason.similarity * 100)}% (SimHash ${reason.simhashDistance} bits apart)`;
    case "image":
      return `same photo (${reason.distance} bits apart)`;
    case "seller":
      // Keys are made from scraped text: strip control characters before they reach a terminal.
      return `same seller ${printable(reason.key)}`;
    case "reappeared":
      return "reappeared at the same address";
  }
}
