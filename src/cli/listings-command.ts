import type { Command } from "commander";
import { openStore } from "../storage/open-store.ts";
import {
  appendices,
  verdicts,
  type Appendix,
  type Listing,
  type ListingSearch,
  type Verdict,
} from "../storage/records.ts";
import type { CliContext } from "./cli-context.ts";
import { printable } from "./terminal-text.ts";
import { isoDate, oneOf, positiveInteger } from "./argument-parsers.ts";

interface SearchOptions {
  taxon?: string;
  appendix?: Appendix;
  verdict?: Verdict;
  source?: number;
  language?: string;
  country?: string;
  since?: Date;
  until?: Date;
  limit: number;
  cursor?: string;
  json?: boolean;
}

/** `wildtrawl listings search`: find stored adverts by text, taxon, appendix, verdict and more. */
export function registerListingsCommands(program: Command, context: CliContext): void {
  const listings = program.command("listings").description("the adverts wildtrawl has found");
  const write = (text: string): void => void context.stdout.write(`${text}\n`);

  listings
    .command("search")
    .description('search listings (newest first): words must all match; "quoted phrases"; ivor* for a prefix')
    .argument("[query...]", "words to find in the title, text or seller")
    .option("--taxon <name>", "a scientific name; a genus finds its species")
    .option("--appendix <I|II|III>", "CITES appendix of a detected taxon", oneOf(appendices))
    .option("--verdict <verdict>", `the detector's verdict: ${verdicts.join(", ")}`, oneOf(verdicts))
    .option("--source <id>", "only listings from this source", positiveInteger)
    .option("--language <tag>", "language of the advert, e.g. en, zh, vi")
    .option("--country <code>", "ISO 3166-1 alpha-2 country, e.g. VN")
    .option("--since <date>", "seen at or after this date (ISO 8601)", isoDate)
    .option("--until <date>", "first seen before this date (ISO 8601)", isoDate)
    .option("--limit <n>", "listings per page (1–500)", positiveInteger, 20)
    .option("--cursor <cursor>", "continue from a previous page's next cursor")
    .option("--json", "machine-readable output: { items, nextCursor }")
    .action(async (words: string[], options: SearchOptions) => {
      const search: ListingSearch = {
        query: words.join(" "),
        taxon: options.taxon,
        appendix: options.appendix,
        verdict: options.verdict,
        sourceId: options.source,
        language: options.language,
        country: options.country,
        seenFrom: options.since,
        seenTo: options.until,
        limit: options.limit,
        cursor: options.cursor,
      };
      const store = await openStore(context.config.databaseUrl);
      try {
        const page = await store.listings.search(search);
        if (options.json) return write(JSON.stringify(page, null, 2));
        if (page.items.length === 0) return write("No listings match.");
        for (const listing of page.items) write(listingLine(listing));
        if (page.nextCursor) write(`More: --cursor ${page.nextCursor}`);
      } finally {
        await store.close();
      }
    });
}

function listingLine(listing: Listing): string {
  const verdict = listing.verdict === null ? "unchecked" : `${listing.verdict} ${listing.score?.toFixed(2)}`;
  const taxa = listing.taxa.map((t) => `${t.scientificName} (${t.appendix})`).join(", ");
  const price =
    listing.priceAmount === null
      ? ""
      : ` · ${listing.priceAmount}${listing.priceCurrency ? ` ${listing.priceCurrency}` : ""}`;
  const removed = listing.removedAt ? ` · removed ${listing.removedAt.toISOString().slice(0, 10)}` : "";
  // Titles are scraped text: strip control characters so an advert cannot move the cursor or recolour a terminal.
  const title = printable(listing.title ?? listing.text.slice(0, 80));
  return [
    `#${listing.id}  ${title}`,
    `    ${verdict}${taxa ? ` · ${taxa}` : ""}${price} · seen ${listing.firstSeenAt.toISOString().slice(0, 10)}` +
      `–${listing.lastSeenAt.toISOString().slice(0, 10)}${removed}`,
    `    ${listing.url}`,
  ].join("\n");
}
