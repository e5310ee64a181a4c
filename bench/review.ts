/**
 * Review queue benchmark: the latency of a queue page over a realistic corpus (goal: the first page under 50 ms with
 * 100,000 listings), unfiltered, with each filter, and deep in the queue by cursor.
 *
 * The corpus is bench/storage.ts's (a third of detections say "offer", scores uniform, so about two thirds of the
 * listings are flagged); 2% of them are reviewed and 1% assigned, through the store. WILDTRAWL_BENCH_REVIEW_LISTINGS sets its size
 * (default 100,000). SQLite always runs; PostgreSQL too when WILDTRAWL_BENCH_POSTGRES_URL is set, in a throwaway
 * schema.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { openStore } from "../src/storage/open-store.ts";
import type { ReviewQueueQuery } from "../src/storage/records.ts";
import type { Store } from "../src/storage/store.ts";
import { makeCorpus } from "./storage.ts";

const pageSize = 50;
const repeats = 15;
const flagScore = 0.5;

const log = (line: string) => console.log(line);

async function fill(store: Store, total: number) {
  const org = await store.organisations.create({ slug: "bench", name: "Bench" }, "system:bench");
  const sources = await Promise.all(
    ["market", "ads", "forum"].map((slug) =>
      store.sources.upsert({ organisationId: org.id, slug, name: slug, platform: slug }),
    ),
  );
  const reviewer = await store.users.create(
    { organisationId: org.id, email: "reviewer@bench.example", displayName: "Reviewer", role: "reviewer" },
    "system:bench",
  );
  const batch = makeCorpus(sources.map((s) => s.id));
  const started = performance.now();
  for (let index = 0; index * 1000 < total; index++) await store.listings.ingest(batch(index));
  const ingestMs = performance.now() - started;
  // Verdicts and assignments through the store (each audited), spread over the corpus.
  const reviewStarted = performance.now();
  for (let listingId = 1; listingId <= total; listingId += 50) {
    await store.reviews.record(
      { organisationId: org.id, listingId, reviewerId: reviewer.id, verdict: "illegal_offer" },
      "system:bench",
    );
  }
  for (let listingId = 3; listingId <= total; listingId += 100) {
    await store.reviews.assign({ organisationId: org.id, listingId, userId: reviewer.id }, "system:bench");
  }
  const reviewMs = performance.now() - reviewStarted;
  return { organisationId: org.id, sourceId: sources[1]!.id, reviewerId: reviewer.id, ingestMs, reviewMs };
}

async function measure(store: Store, query: ReviewQueueQuery) {
  const times: number[] = [];
  let items = 0;
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    const page = await store.reviews.queue(query);
    times.push(performance.now() - started);
    items = page.items.length;
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, maxMs: times[times.length - 1]!, items };
}

export async function benchmark(
  name: string,
  url: string,
  total: number,
  afterFill: () => Promise<void> = async () => {},
): Promise<void> {
  const store = await openStore(url);
  try {
    const filled = await fill(store, total);
    await afterFill();
    log(
      `${name}: ${total.toLocaleString("en")} listings ingested in ${(filled.ingestMs / 1000).toFixed(1)} s; ` +
        `${Math.ceil(total / 50).toLocaleString("en")} verdicts and ${Math.ceil(total / 100).toLocaleString("en")} assignments in ${(filled.reviewMs / 1000).toFixed(1)} s`,
    );
    const base: ReviewQueueQuery = {
      organisationId: filled.organisationId,
      minScore: flagScore,
      limit: pageSize,
    };
    // Twenty pages in: the cursor's place, reached by walking there once.
    let deep: string | undefined;
    for (let page = 0; page < 20; page++) {
      deep =
        (await store.reviews.queue({ ...base, ...(deep ? { cursor: deep } : {}) })).nextCursor ?? undefined;
    }
    const cases: [string, ReviewQueueQuery][] = [
      ["first page", base],
      ["first page, one source", { ...base, sourceId: filled.sourceId }],
      ["first page, taxon Loxodonta", { ...base, taxon: "Loxodonta" }],
      ["first page, taxon with none", { ...base, taxon: "Nullus nullus" }],
      ["first page, country NG", { ...base, country: "NG" }],
      ["first page, language vi", { ...base, language: "vi" }],
      // The worst case of a filter that walks the score order: no listing has the value, so every flag is tested.
      ["first page, country with none", { ...base, country: "AQ" }],
      ["first page, unassigned", { ...base, assignee: "none" }],
      ["first page, one assignee", { ...base, assignee: filled.reviewerId }],
      ["page 21 by cursor", { ...base, ...(deep ? { cursor: deep } : {}) }],
    ];
    for (const [label, query] of cases) {
      const { medianMs, maxMs, items } = await measure(store, query);
      log(
        `  ${label.padEnd(30)} median ${medianMs.toFixed(1).padStart(6)} ms, max ${maxMs.toFixed(1).padStart(6)} ms (${items} items)`,
      );
    }
  } finally {
    await store.close();
  }
}

export async function run(): Promise<void> {
  const total = Number(process.env.WILDTRAWL_BENCH_REVIEW_LISTINGS ?? 100_000);
  log(
    `Review queue: ${pageSize} items a page, flag score ${flagScore}, ${repeats} runs each (goal: < 50 ms)`,
  );
  const dir = mkdtempSync(path.join(tmpdir(), "wildtrawl-bench-review-"));
  try {
    await benchmark("SQLite", path.join(dir, "review.db"), total);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const postgresUrl = process.env.WILDTRAWL_BENCH_POSTGRES_URL;
  if (!postgresUrl) return log("PostgreSQL: skipped (set WILDTRAWL_BENCH_POSTGRES_URL)");
  const schema = `wt_bench_review_${randomBytes(4).toString("hex")}`;
  const withClient = async (work: (client: pg.Client) => Promise<unknown>) => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      await work(client);
    } finally {
      await client.end();
    }
  };
  const url = new URL(postgresUrl);
  url.searchParams.set("schema", schema);
  try {
    // A bulk load outruns autovacuum: without fresh statistics the planner expects a handful of verdicts and
    // assignments and scans them all for every listing. Measure the steady state a live database is in.
    await benchmark("PostgreSQL", url.toString(), total, () =>
      withClient((client) =>
        client.query(
          `ANALYZE ${schema}.listings, ${schema}.reviews, ${schema}.review_assignments, ${schema}.listing_taxa`,
        ),
      ),
    );
  } finally {
    await withClient((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  }
}
