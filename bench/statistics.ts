/**
 * Offer statistics benchmark: the latency of GET /v1/statistics/offers's work (the store's counts and the service's
 * dense series) over 100,000 listings first seen over a year (goal: well under a second, issue 9), for every
 * dimension by week, and by day over the whole year.
 *
 * The corpus is bench/storage.ts's (a third of detections say "offer"), spread over a year, with product types in
 * the reasons as the detector writes them. WILDTRAWL_BENCH_STATISTICS_LISTINGS sets its size (default 100,000).
 * SQLite always runs; PostgreSQL too when WILDTRAWL_BENCH_POSTGRES_URL is set, in a throwaway schema.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { Principal } from "../src/services/access.ts";
import { createStatisticsService, type OfferStatisticsQuery } from "../src/services/statistics.ts";
import { openStore } from "../src/storage/open-store.ts";
import { offerDimensions } from "../src/storage/records.ts";
import type { Store } from "../src/storage/store.ts";
import { makeCorpus } from "./storage.ts";

const repeats = 9;
const productReasons = [
  "product: ivory, carving",
  "product: scales",
  "product: live",
  "product: horn, powder",
];
const log = (line: string) => console.log(line);

async function fill(store: Store, total: number): Promise<{ organisationId: number; ingestMs: number }> {
  const org = await store.organisations.create({ slug: "bench", name: "Bench" }, "system:bench");
  const sources = await Promise.all(
    ["market", "ads", "forum"].map((slug) =>
      store.sources.upsert({ organisationId: org.id, slug, name: slug, platform: slug }),
    ),
  );
  const batch = makeCorpus(sources.map((s) => s.id));
  const yearMs = 365 * 86_400_000;
  const start = Date.parse("2025-01-01T00:00:00Z");
  const started = performance.now();
  for (let index = 0; index * 1000 < total; index++) {
    const observations = batch(index).map((observation, i) => {
      const n = index * 1000 + i;
      return {
        ...observation,
        observedAt: new Date(start + Math.floor((n / total) * yearMs)),
        ...(observation.detection
          ? {
              detection: {
                ...observation.detection,
                reasons:
                  n % 5 === 0 ? ["sale intent"] : [productReasons[n % productReasons.length]!, "sale intent"],
              },
            }
          : {}),
      };
    });
    await store.listings.ingest(observations);
  }
  return { organisationId: org.id, ingestMs: performance.now() - started };
}

async function benchmark(name: string, url: string, total: number) {
  const store = await openStore(url);
  try {
    const { organisationId, ingestMs } = await fill(store, total);
    log(`${name}: ${total.toLocaleString("en")} listings ingested in ${(ingestMs / 1000).toFixed(1)} s`);
    const statistics = createStatisticsService({ store });
    const principal: Principal = {
      organisationId,
      role: "analyst",
      actor: "system:bench",
      keyId: null,
      sessionId: null,
      userId: null,
    } as Principal;
    const cases: OfferStatisticsQuery[] = [
      ...offerDimensions.map((by) => ({ by, interval: "week" as const })),
      { by: "country", interval: "day" },
      { by: "taxon", interval: "month", from: "2025-04-01", to: "2025-06-30" },
    ];
    for (const query of cases) {
      const times: number[] = [];
      let offers = 0;
      for (let i = 0; i < repeats; i++) {
        const started = performance.now();
        const answer = await statistics.offers(principal, query);
        times.push(performance.now() - started);
        offers = answer.totals.reduce((sum, total) => sum + total.count, 0);
      }
      times.sort((a, b) => a - b);
      const label = `by ${query.by} per ${query.interval}${query.from ? ` ${query.from}..${query.to}` : ""}`;
      log(
        `  ${label.padEnd(40)} median ${times[Math.floor(times.length / 2)]!.toFixed(1).padStart(7)} ms, ` +
          `max ${times[times.length - 1]!.toFixed(1).padStart(7)} ms (${offers.toLocaleString("en")} counted)`,
      );
    }
  } finally {
    await store.close();
  }
}

export async function run(): Promise<void> {
  const total = Number(process.env.WILDTRAWL_BENCH_STATISTICS_LISTINGS ?? 100_000);
  log(
    `Offer statistics over ${total.toLocaleString("en")} listings, ${repeats} runs each (goal: well under 1 s)`,
  );
  const dir = mkdtempSync(path.join(tmpdir(), "wildtrawl-bench-statistics-"));
  try {
    await benchmark("SQLite", path.join(dir, "statistics.db"), total);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const postgresUrl = process.env.WILDTRAWL_BENCH_POSTGRES_URL;
  if (!postgresUrl) return log("PostgreSQL: skipped (set WILDTRAWL_BENCH_POSTGRES_URL)");
  const schema = `wt_bench_statistics_${randomBytes(4).toString("hex")}`;
  const url = new URL(postgresUrl);
  url.searchParams.set("schema", schema);
  try {
    await benchmark("PostgreSQL", url.toString(), total);
  } finally {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
