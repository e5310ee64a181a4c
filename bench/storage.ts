/**
 * Storage benchmark: SQLite and PostgreSQL side by side.
 * - ingestion: listings per second through `store.listings.ingest`, in batches of 1,000 with their detections,
 *   against the raw driver writing the same rows into the same tables (the floor; goal: at least half of it);
 * - search: latency of typical filtered queries over the whole corpus (goal: under 100 ms with 1 million listings);
 * - jobs: claim-and-complete throughput.
 *
 * WILDTRAWL_BENCH_LISTINGS sets the corpus size (default 1,000,000). PostgreSQL runs when WILDTRAWL_BENCH_POSTGRES_URL
 * or WILDTRAWL_TEST_POSTGRES_URL is set, in a throwaway schema.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { openStore } from "../src/storage/open-store.ts";
import type { Appendix, ListingObservation, Verdict } from "../src/storage/records.ts";
import { searchDocument, tsvectorLiteral } from "../src/storage/search-text.ts";
import { WalCheckpointer } from "../src/storage/sqlite/wal-checkpointer.ts";
import type { Store } from "../src/storage/store.ts";
import { contentHash, contentOf, taxonNameKey } from "../src/storage/sql/listing-ingest-plan.ts";

const batchSize = 1000;
/** Ingest rates are compared over this many listings; the rest of the corpus is loaded only for the search test. */
const rateSampleSize = 100_000;

/** A small deterministic generator, so every run searches the same corpus. */
function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const products = [
  "ivory",
  "horn",
  "scales",
  "skin",
  "shell",
  "carving",
  "bangle",
  "bracelet",
  "powder",
  "tusk",
  "leather",
  "figurine",
  "beads",
  "comb",
  "pendant",
];
const filler = [
  "genuine",
  "old",
  "antique",
  "rare",
  "carved",
  "natural",
  "real",
  "large",
  "small",
  "collection",
  "estate",
  "vintage",
  "handmade",
  "polished",
  "white",
  "dm",
  "for",
  "price",
  "ship",
  "worldwide",
  "contact",
  "whatsapp",
  "fast",
  "delivery",
  "certificate",
  "offer",
  "sale",
  "quality",
  "grade",
  "piece",
  "set",
  "pair",
  "new",
  "listing",
  "available",
  "today",
  "stock",
];
const unspaced = ["出售象牙手镯", "犀牛角粉", "穿山甲鳞片", "玳瑁手镯", "虎骨酒"];
const vietnamese = ["bán vảy tê tê", "ngà voi thật", "sừng tê giác", "giao hàng toàn quốc"];
const taxa: { taxonId: number; scientificName: string; appendix: Appendix }[] = [
  { taxonId: 4521, scientificName: "Loxodonta africana", appendix: "I" },
  { taxonId: 4522, scientificName: "Elephas maximus", appendix: "I" },
  { taxonId: 9900, scientificName: "Manis javanica", appendix: "I" },
  { taxonId: 6011, scientificName: "Diceros bicornis", appendix: "I" },
  { taxonId: 8300, scientificName: "Eretmochelys imbricata", appendix: "I" },
  { taxonId: 7000, scientificName: "Python regius", appendix: "II" },
  { taxonId: 7100, scientificName: "Crocodylus niloticus", appendix: "II" },
  { taxonId: 7200, scientificName: "Dalbergia nigra", appendix: "I" },
  { taxonId: 7300, scientificName: "Hippopotamus amphibius", appendix: "II" },
  { taxonId: 7400, scientificName: "Panthera tigris", appendix: "I" },
  ...Array.from({ length: 40 }, (_, i) => ({
    taxonId: 10_000 + i,
    scientificName: `Genus${i} species${i}`,
    appendix: (["I", "II", "III"] as const)[i % 3]!,
  })),
];
const languages = ["en", "en", "en", "fr", "de", "vi", "zh", "th", "id", "es"];
const countries = ["GB", "US", "VN", "CN", "TH", "ID", "FR", "DE", "NG", "ZA", "BR", "IN"];
const verdicts: Verdict[] = ["offer", "offer", "mention", "none", "none", "none"];

export function makeCorpus(sourceIds: readonly number[], seed = 42) {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const words = (n: number) =>
    Array.from({ length: n }, () => (random() < 0.2 ? pick(products) : pick(filler))).join(" ");
  const start = Date.parse("2025-01-01T00:00:00Z");
  return function batch(index: number): ListingObservation[] {
    return Array.from({ length: batchSize }, (_, i) => {
      const n = index * batchSize + i;
      const language = pick(languages);
      const extra =
        language === "zh" ? ` ${pick(unspaced)}` : language === "vi" ? ` ${pick(vietnamese)}` : "";
      const taxonCount = random() < 0.6 ? 1 + Math.floor(random() * 2) : 0;
      return {
        sourceId: sourceIds[n % sourceIds.length]!,
        listingKey: `item-${n}`,
        observedAt: new Date(start + n * 30_000),
        url: `https://market${n % sourceIds.length}.example/item/${n}`,
        title: `${words(6)}${extra}`,
        text: `${words(40)}${extra}`,
        priceAmount: Math.round(random() * 5000) / 10,
        priceCurrency: "USD",
        seller: `seller${Math.floor(random() * 50_000)}`,
        language,
        country: pick(countries),
        detection: {
          taxa: Array.from({ length: taxonCount }, () => pick(taxa)),
          score: Math.round(random() * 100) / 100,
          verdict: pick(verdicts),
          reasons: ["product term", "sale intent"],
          detectorVersion: "bench-1",
        },
      };
    });
  };
}

interface Backend {
  readonly name: string;
  readonly url: string;
  /** Writes the same rows the store writes, with the plain driver and nothing else. */
  rawInsert(batch: readonly ListingObservation[], organisationId: number, firstId: number): Promise<void>;
  dispose(): Promise<void>;
}

/** The rows for a batch, computed before the clock starts: the floor is the driver's speed, not ours. */
function rawRows(batch: readonly ListingObservation[], organisationId: number, firstId: number) {
  return batch.map((o, i) => {
    const content = contentOf(o);
    return {
      id: firstId + i,
      o,
      content,
      hash: contentHash(content),
      organisationId,
      doc: searchDocument([content.title, content.text, content.seller]),
      vector: tsvectorLiteral([content.title, content.text, content.seller]),
    };
  });
}

async function sqliteBackend(dir: string): Promise<Backend> {
  const file = path.join(dir, "bench.db");
  const rawFile = path.join(dir, "raw.db");
  await (await openStore(rawFile)).close();
  const raw = new DatabaseSync(rawFile);
  // The store's settings. The store's checkpoints run on a thread of their own (sqlite/wal-checkpointer.ts); the
  // floor's run between batches, off the clock, so that it pays for none of them.
  raw.exec(
    `PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = ${WalCheckpointer.backstopPages}`,
  );
  const insertListing = raw.prepare(
    `INSERT INTO listings (id, organisation_id, source_id, listing_key, url, title, text, price_amount, price_currency, seller, language, country, attributes, page_id, first_seen_at, last_seen_at, removed_at, version, content_hash, verdict, score, detector_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL, 1, ?, ?, ?, ?)`,
  );
  const insertVersion = raw.prepare(
    // Like the store: a version row holds content only once superseded, so a first version is metadata only.
    `INSERT INTO listing_versions (listing_id, version, observed_at, removed, content_hash) VALUES (?, 1, ?, 0, ?)`,
  );
  const insertDetection = raw.prepare(
    `INSERT INTO detections (listing_id, listing_version, content_hash, detector_version, taxa, score, verdict, reasons, detected_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertTaxon = raw.prepare(
    "INSERT OR IGNORE INTO listing_taxa (listing_id, taxon_id, scientific_name, name_key, appendix) VALUES (?, ?, ?, ?, ?)",
  );
  const insertSearch = raw.prepare("INSERT INTO listings_fts (rowid, doc) VALUES (?, ?)");
  const sourceIds = new Map<number, number>();
  return {
    name: "SQLite",
    url: file,
    async rawInsert(batch, organisationId, firstId) {
      for (const o of batch) {
        if (!sourceIds.has(o.sourceId)) {
          raw
            .prepare(
              "INSERT OR IGNORE INTO organisations (id, slug, name, created_at) VALUES (?, 'raw', 'raw', 0)",
            )
            .run(organisationId);
          raw
            .prepare(
              "INSERT OR IGNORE INTO sources (id, organisation_id, slug, name, config, created_at, updated_at) VALUES (?, ?, ?, 'raw', '{}', 0, 0)",
            )
            .run(o.sourceId, organisationId, `s${o.sourceId}`);
          sourceIds.set(o.sourceId, o.sourceId);
        }
      }
      const rows = rawRows(batch, organisationId, firstId);
      const now = Date.now();
      const started = performance.now();
      raw.exec("BEGIN IMMEDIATE");
      for (const { id, o, content: c, hash, doc } of rows) {
        const attributes = JSON.stringify(c.attributes);
        const seen = o.observedAt.getTime();
        const d = o.detection!;
        insertListing.run(
          id,
          organisationId,
          o.sourceId,
          o.listingKey,
          c.url,
          c.title,
          c.text,
          c.priceAmount,
          c.priceCurrency,
          c.seller,
          c.language,
          c.country,
          attributes,
          seen,
          seen,
          hash,
          d.verdict,
          d.score,
          d.detectorVersion,
        );
        insertVersion.run(id, seen, hash);
        insertDetection.run(
          id,
          hash,
          d.detectorVersion,
          JSON.stringify(d.taxa),
          d.score,
          d.verdict,
          JSON.stringify(d.reasons),
          now,
        );
        for (const t of d.taxa)
          insertTaxon.run(id, t.taxonId, t.scientificName, taxonNameKey(t.scientificName), t.appendix);
        insertSearch.run(id, doc);
      }
      raw.exec("COMMIT");
      rawElapsedMs += performance.now() - started;
      raw.exec("PRAGMA wal_checkpoint(PASSIVE)");
    },
    async dispose() {
      raw.close();
    },
  };
}

let rawElapsedMs = 0;

async function postgresBackend(baseUrl: string): Promise<Backend> {
  const schema = `wt_bench_${randomBytes(4).toString("hex")}`;
  const rawSchema = `${schema}_raw`;
  const withSchema = (s: string) => {
    const url = new URL(baseUrl);
    url.searchParams.set("schema", s);
    return url.toString();
  };
  await (await openStore(withSchema(rawSchema))).close();
  const base = new URL(baseUrl);
  base.searchParams.delete("schema");
  const client = new pg.Client({ connectionString: base.toString(), options: `-c search_path=${rawSchema}` });
  await client.connect();
  const sources = new Set<number>();
  return {
    name: "PostgreSQL",
    url: withSchema(schema),
    async rawInsert(batch, organisationId, firstId) {
      for (const o of batch) {
        if (sources.has(o.sourceId)) continue;
        await client.query(
          "INSERT INTO organisations (id, slug, name, created_at) VALUES ($1, 'raw', 'raw', now()) ON CONFLICT DO NOTHING",
          [organisationId],
        );
        await client.query(
          "INSERT INTO sources (id, organisation_id, slug, name, config, created_at, updated_at) VALUES ($1, $2, $3, 'raw', '{}', now(), now()) ON CONFLICT DO NOTHING",
          [o.sourceId, organisationId, `s${o.sourceId}`],
        );
        sources.add(o.sourceId);
      }
      const rows = rawRows(batch, organisationId, firstId);
      const col = <T>(pick: (r: (typeof rows)[number]) => T) => rows.map(pick);
      const taxaRows = rows.flatMap((r) =>
        [...new Map(r.o.detection!.taxa.map((t) => [t.taxonId, t])).values()].map((t) => ({ id: r.id, t })),
      );
      const now = new Date();
      const started = performance.now();
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO listings (id, organisation_id, source_id, listing_key, url, title, text, price_amount, price_currency,
           seller, language, country, attributes, first_seen_at, last_seen_at, version, content_hash, verdict, score,
           detector_version, search_vector)
         SELECT a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a14, 1, a15, a16, a17, a18, a19
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::float8[], $9::text[], $10::text[], $11::text[], $12::text[], $13::jsonb[], $14::timestamptz[],
           $15::text[], $16::text[], $17::float8[], $18::text[], $19::tsvector[])
           AS u (a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19)`,
        [
          col((r) => r.id),
          col((r) => r.organisationId),
          col((r) => r.o.sourceId),
          col((r) => r.o.listingKey),
          col((r) => r.content.url),
          col((r) => r.content.title),
          col((r) => r.content.text),
          col((r) => r.content.priceAmount),
          col((r) => r.content.priceCurrency),
          col((r) => r.content.seller),
          col((r) => r.content.language),
          col((r) => r.content.country),
          col((r) => JSON.stringify(r.content.attributes)),
          col((r) => r.o.observedAt),
          col((r) => r.hash),
          col((r) => r.o.detection!.verdict),
          col((r) => r.o.detection!.score),
          col((r) => r.o.detection!.detectorVersion),
          col((r) => r.vector),
        ],
      );
      await client.query(
        `INSERT INTO listing_versions (listing_id, version, observed_at, removed, content_hash)
         SELECT a, 1, b, FALSE, c FROM unnest($1::bigint[], $2::timestamptz[], $3::text[]) AS u (a, b, c)`,
        [col((r) => r.id), col((r) => r.o.observedAt), col((r) => r.hash)],
      );
      await client.query(
        `INSERT INTO detections (listing_id, listing_version, content_hash, detector_version, taxa, score, verdict, reasons, detected_at)
         SELECT a, 1, b, c, d, e, f, g, $8 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::jsonb[], $5::float8[], $6::text[], $7::jsonb[]) AS u (a, b, c, d, e, f, g)`,
        [
          col((r) => r.id),
          col((r) => r.hash),
          col((r) => r.o.detection!.detectorVersion),
          col((r) => JSON.stringify(r.o.detection!.taxa)),
          col((r) => r.o.detection!.score),
          col((r) => r.o.detection!.verdict),
          col((r) => JSON.stringify(r.o.detection!.reasons)),
          now,
        ],
      );
      await client.query(
        "INSERT INTO listing_taxa (listing_id, taxon_id, scientific_name, name_key, appendix) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[])",
        [
          taxaRows.map((x) => x.id),
          taxaRows.map((x) => x.t.taxonId),
          taxaRows.map((x) => x.t.scientificName),
          taxaRows.map((x) => taxonNameKey(x.t.scientificName)),
          taxaRows.map((x) => x.t.appendix),
        ],
      );
      await client.query("COMMIT");
      rawElapsedMs += performance.now() - started;
    },
    async dispose() {
      await client.query(
        `DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${rawSchema} CASCADE`,
      );
      await client.end();
    },
  };
}

const searches: { label: string; search: Parameters<Store["listings"]["search"]>[0] }[] = [
  { label: '"ivory" + verdict offer', search: { query: "ivory", verdict: "offer" } },
  { label: '"carved ivory" + appendix I', search: { query: "carved ivory", appendix: "I" } },
  { label: "taxon Loxodonta + country VN", search: { taxon: "Loxodonta", country: "VN" } },
  { label: "verdict offer + language vi", search: { verdict: "offer", language: "vi" } },
  { label: '"象牙" (Chinese, inside words)', search: { query: "象牙" } },
  { label: '"tê tê" phrase + appendix I', search: { query: '"te te"', appendix: "I" } },
  { label: "rare word + taxon Manis", search: { query: "certificate pendant", taxon: "Manis" } },
];

function quantile(sorted: readonly number[], q: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Figures {
  ingestPerSecond: number;
  rawPerSecond: number;
  fullIngestPerSecond: number;
  searchMs: Map<string, { median: number; p95: number; hits: number }>;
  claimsPerSecond: number;
  claimsPerSecondBatched: number;
}

async function measure(backend: Backend, total: number, log: (line: string) => void): Promise<Figures> {
  const store = await openStore(backend.url, { poolSize: 8 });
  try {
    const org = await store.organisations.create({ slug: "bench", name: "Bench" }, "system:bench");
    const sourceIds: number[] = [];
    for (let i = 0; i < 4; i++)
      sourceIds.push(
        (await store.sources.upsert({ organisationId: org.id, slug: `market-${i}`, name: `Market ${i}` })).id,
      );
    const batch = makeCorpus(sourceIds);
    const batches = Math.ceil(total / batchSize);
    const sampleBatches = Math.min(batches, rateSampleSize / batchSize);

    rawElapsedMs = 0;
    for (let b = 0; b < sampleBatches; b++) await backend.rawInsert(batch(b), org.id, b * batchSize + 1);
    const rawPerSecond = (sampleBatches * batchSize) / (rawElapsedMs / 1000);

    let ingestMs = 0;
    const allStarted = performance.now();
    for (let b = 0; b < batches; b++) {
      const observations = batch(b);
      const started = performance.now();
      await store.listings.ingest(observations);
      if (b < sampleBatches) ingestMs += performance.now() - started;
      if (b > 0 && b % 100 === 0) log(`  ${backend.name}: ${b * batchSize} listings loaded`);
    }
    const fullIngestPerSecond = (batches * batchSize) / ((performance.now() - allStarted) / 1000);
    const ingestPerSecond = (sampleBatches * batchSize) / (ingestMs / 1000);
    if (backend.name === "PostgreSQL") {
      // As after any bulk load, let the planner see the new data before timing queries.
      const client = new pg.Client({
        connectionString: backend.url.replace(/[?&]schema=[^&]*/, ""),
        options: `-c search_path=${new URL(backend.url).searchParams.get("schema")}`,
      });
      await client.connect();
      await client.query("VACUUM ANALYZE listings");
      await client.query("VACUUM ANALYZE listing_taxa");
      await client.end();
    }

    const searchMs = new Map<string, { median: number; p95: number; hits: number }>();
    for (const { label, search } of searches) {
      let hits = 0;
      for (let i = 0; i < 3; i++) hits = (await store.listings.search({ ...search, limit: 50 })).items.length;
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        await store.listings.search({ ...search, limit: 50 });
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      searchMs.set(label, { median: quantile(times, 0.5), p95: quantile(times, 0.95), hits });
    }

    const jobCount = 5000;
    await store.jobs.enqueueMany(
      Array.from({ length: jobCount }, (_, i) => ({ queue: "bench", payload: { i } })),
    );
    let started = performance.now();
    for (let done = 0; done < jobCount / 2; done++) {
      const [job] = await store.jobs.claim({ queues: ["bench"], workerId: "bench", leaseMs: 60_000 });
      await store.jobs.complete({ id: job!.id, leaseToken: job!.leaseToken });
    }
    const claimsPerSecond = jobCount / 2 / ((performance.now() - started) / 1000);
    started = performance.now();
    // Four claimers taking ten at a time, completing each job with its own transaction, as a worker pool would.
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (;;) {
          const jobs = await store.jobs.claim({
            queues: ["bench"],
            workerId: `bench-${w}`,
            leaseMs: 60_000,
            limit: 10,
          });
          if (jobs.length === 0) return;
          for (const job of jobs) await store.jobs.complete({ id: job.id, leaseToken: job.leaseToken });
        }
      }),
    );
    const claimsPerSecondBatched = jobCount / 2 / ((performance.now() - started) / 1000);
    return {
      ingestPerSecond,
      rawPerSecond,
      fullIngestPerSecond,
      searchMs,
      claimsPerSecond,
      claimsPerSecondBatched,
    };
  } finally {
    await store.close();
  }
}

export async function run(): Promise<void> {
  const total = Number(process.env.WILDTRAWL_BENCH_LISTINGS ?? 1_000_000);
  const postgresUrl = process.env.WILDTRAWL_BENCH_POSTGRES_URL ?? process.env.WILDTRAWL_TEST_POSTGRES_URL;
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`storage: ${total.toLocaleString("en")} listings, batches of ${batchSize} with detections`);
  const dir = mkdtempSync(path.join(tmpdir(), "wildtrawl-bench-"));
  const results: [string, Figures][] = [];
  try {
    const sqlite = await sqliteBackend(dir);
    try {
      results.push(["SQLite", await measure(sqlite, total, log)]);
    } finally {
      await sqlite.dispose();
    }
    if (postgresUrl) {
      const postgres = await postgresBackend(postgresUrl);
      try {
        results.push(["PostgreSQL", await measure(postgres, total, log)]);
      } finally {
        await postgres.dispose();
      }
    } else {
      log("PostgreSQL: skipped (set WILDTRAWL_BENCH_POSTGRES_URL or WILDTRAWL_TEST_POSTGRES_URL)");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const names = results.map(([name]) => name);
  const row = (label: string, cells: string[]) =>
    log(`${label.padEnd(40)}${cells.map((c) => c.padStart(16)).join("")}`);
  const rate = (n: number) => `${Math.round(n).toLocaleString("en")}/s`;
  log("");
  row("", names);
  row(
    `ingest, first ${Math.min(total, rateSampleSize).toLocaleString("en")} (store)`,
    results.map(([, f]) => rate(f.ingestPerSecond)),
  );
  row(
    "ingest, same rows (raw driver floor)",
    results.map(([, f]) => rate(f.rawPerSecond)),
  );
  row(
    "store / raw (goal ≥ 50%)",
    results.map(([, f]) => `${Math.round((100 * f.ingestPerSecond) / f.rawPerSecond)}%`),
  );
  row(
    `ingest, all ${total.toLocaleString("en")} (store)`,
    results.map(([, f]) => rate(f.fullIngestPerSecond)),
  );
  for (const { label } of searches) {
    row(
      `search ${label}`,
      results.map(([, f]) => {
        const s = f.searchMs.get(label)!;
        return `${s.median.toFixed(1)}/${s.p95.toFixed(1)} ms`;
      }),
    );
  }
  log(`${"".padEnd(40)}(search: median/p95 of 20 runs, 50 results a page; goal < 100 ms)`);
  row(
    "jobs: claim + complete, one at a time",
    results.map(([, f]) => rate(f.claimsPerSecond)),
  );
  row(
    "jobs: 4 claimers, 10 per claim",
    results.map(([, f]) => rate(f.claimsPerSecondBatched)),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
