import { NotFoundError, UsageError } from "../core/errors.ts";
import type { DetectionModel } from "../core/detect/model.ts";
import type { Lexicon } from "../core/lexicon/lexicon.ts";
import { defaultWorkerId, runWorker, type JobHandler, type WorkerEvent } from "../jobs/worker.ts";
import type { JobCounts, JsonObject, NewJob, Organisation } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import { createFetcher, type Fetcher, type FetcherOptions } from "../trawl/fetcher.ts";
import { groupSync } from "../trawl/group-sync.ts";
import { searchTerms } from "../trawl/search-terms.ts";
import { searchQueries } from "../trawl/sources/search-queries.ts";
import type { SourceDeclaration } from "../trawl/sources/source-declaration.ts";
import type { PageAnalyser } from "../trawl/page-analysis.ts";
import { createPageHandler, type PageOutcome } from "../trawl/trawler.ts";
import { frontierJob, frontierQueue, generationQueue } from "../trawl/trawl-frontier.ts";
import { WarcWriter } from "../trawl/warc-writer.ts";

/**
 * Trawling: a run over one or more sources. For each source it decides what this run is — a new visit, the rest
 * of a visit that was interrupted, a revisit that is due, or nothing — seeds the frontier, and works the frontier
 * with the job worker until it is empty, the page limit is reached, or the caller stops it.
 */

export interface TrawlingDeps {
  readonly store: Store;
  readonly lexicon: Lexicon;
  readonly model?: DetectionModel;
  readonly now: () => Date;
  /** Every exchange is written to WARC files here. */
  readonly warcDirectory: string;
  /** Sent when a source names no User-Agent of its own. */
  readonly userAgent: string;
  /** The warcinfo `software`, e.g. "wildtrawl/0.1.0". */
  readonly software: string;
  /**
   * Re-listing detection (issue 8), when given: called once the pages are worked with the listings this run added,
   * changed or found removed (`RelistingService.checkRelistings`).
   */
  readonly checkRelistings?: (listingIds: readonly number[]) => Promise<unknown>;
  /** Where pages are parsed and detected: a worker pool (page-analysis-pool.ts), or this thread when absent. */
  readonly analyse?: PageAnalyser;
}

export interface TrawlRequest {
  readonly sources: readonly SourceDeclaration[];
  /** The organisation the sources belong to; by default the only one there is (created as "local" if none). */
  readonly organisation?: string;
  /** Aborted: stop claiming, finish or release what is in flight, record the run as cancelled (R8). */
  readonly signal?: AbortSignal;
  /** Start a revisit of sources whose last visit is complete even if their `revisitEvery` has not passed. */
  readonly revisitNow?: boolean;
  /** Pages to fetch in this run over all sources; the rest waits in the frontier for the next run. */
  readonly maxPages?: number;
  /** Search URLs per source and visit (the source's templates × the trade's terms, most wanted first). */
  readonly maxSearchQueries?: number;
  /** Pages worked at once, over all sources; by default twice the sum of the sources' per-host concurrency. */
  readonly concurrency?: number;
  /** How long a page's job stays leased without a heartbeat; a killed trawl's pages wait this long. */
  readonly leaseMs?: number;
  readonly shutdownGraceMs?: number;
  /** Overrides for the fetcher (timeouts, retries) over the sources' politeness. */
  readonly fetcher?: Partial<Omit<FetcherOptions, "warc" | "userAgent">>;
  /** Fsync WARC files before the pages that refer to them commit (default true). */
  readonly syncWarc?: boolean;
  readonly workerId?: string;
  readonly onProgress?: (progress: TrawlProgress) => void;
  /** Called once what each source's run is has been decided, before the first page is fetched. */
  readonly onVisits?: (visits: readonly VisitPlan[]) => void | Promise<void>;
}

export interface VisitPlan {
  readonly source: string;
  readonly sourceId: number;
  readonly generation: number;
  readonly visit: VisitKind;
}

export type VisitKind = "new" | "revisit" | "resumed" | "up-to-date";

export interface SourceProgress {
  readonly source: string;
  readonly sourceId: number;
  readonly generation: number;
  readonly visit: VisitKind;
  /** When the next revisit is due, for a source that is up to date. */
  readonly nextVisitAt?: string;
  pages: number;
  listings: number;
  newListings: number;
  changedListings: number;
  removed: number;
  offersFlagged: number;
  /** Pages that failed for good, by error code. */
  errors: Record<string, number>;
  /** Failed attempts that will be tried again. */
  retried: number;
}

export interface TrawlProgress {
  readonly elapsedMs: number;
  readonly pages: number;
  readonly listings: number;
  readonly offersFlagged: number;
  readonly errors: number;
  readonly pagesPerSecond: number;
  readonly sources: readonly SourceProgress[];
}

export interface SourceSummary extends SourceProgress {
  readonly runId: number | null;
  /** The visit's frontier after the run: enqueued = done + failed + pending + leased (R4). */
  readonly frontier: JobCounts;
  readonly complete: boolean;
}

export interface TrawlSummary extends TrawlProgress {
  readonly sources: readonly SourceSummary[];
  /** Why the run ended: the frontier emptied, the page limit, or a stop request. */
  readonly stoppedBy: "done" | "limit" | "signal";
}

const enqueueBatch = 500;
const markerLease = { workerId: "trawl-visits", leaseMs: 10_000 } as const;

export interface TrawlingService {
  trawl(request: TrawlRequest): Promise<TrawlSummary>;
}

export function createTrawlingService(deps: TrawlingDeps): TrawlingService {
  const { store } = deps;

  async function organisationFor(slug: string | undefined): Promise<Organisation> {
    if (slug !== undefined) {
      const found = await store.organisations.getBySlug(slug);
      if (!found) throw new NotFoundError("organisation_not_found", `no organisation "${slug}"`);
      return found;
    }
    const all = await store.organisations.list();
    if (all.length === 1) return all[0] as Organisation;
    if (all.length > 1) {
      throw new UsageError(
        "organisation_ambiguous",
        `there are ${all.length} organisations: name the one the sources belong to (--org)`,
      );
    }
    try {
      return await store.organisations.create({ slug: "local", name: "Local trawls" }, "system:trawler");
    } catch (error) {
      // Another trawl created it first.
      const found = await store.organisations.getBySlug("local");
      if (found) return found;
      throw error;
    }
  }

  /** The latest visit of a source and when it started, from the markers of the visits queue. */
  async function latestVisit(sourceId: number): Promise<{ generation: number; startedAt: Date } | undefined> {
    let latest: { generation: number; startedAt: Date } | undefined;
    let afterId: number | undefined;
    for (;;) {
      const page = await store.jobs.list({
        queue: generationQueue(sourceId),
        limit: 500,
        ...(afterId !== undefined ? { afterId } : {}),
      });
      for (const job of page) {
        const generation = Number((job.payload as { generation?: unknown } | null)?.generation);
        if (Number.isInteger(generation) && (!latest || generation > latest.generation)) {
          latest = { generation, startedAt: job.createdAt };
        }
      }
      if (page.length < 500) return latest;
      afterId = page[page.length - 1]?.id;
    }
  }

  async function enqueueAll(jobs: readonly NewJob[]) {
    for (let start = 0; start < jobs.length; start += enqueueBatch) {
      await store.jobs.enqueueMany(jobs.slice(start, start + enqueueBatch));
    }
  }

  /**
   * Seeds a visit: the seeds, the search URLs and, for a revisit, every listing still on the site, so that listings
   * no index links to any more are seen to be gone. Then the marker that says the visit began. Every step is
   * idempotent (dedupe keys), so a trawl killed here simply seeds again.
   */
  async function startVisit(
    sourceId: number,
    declaration: SourceDeclaration,
    generation: number,
    maxSearchQueries: number,
  ) {
    const jobs: NewJob[] = [];
    const add = (job: NewJob | undefined) => void (job && jobs.push(job));
    if (generation > 1) {
      let cursor: string | undefined;
      do {
        const page = await store.listings.search({
          sourceId,
          removed: false,
          limit: 500,
          ...(cursor ? { cursor } : {}),
        });
        for (const listing of page.items) {
          add(
            frontierJob(sourceId, generation, { url: listing.url, kind: "revisit", listingId: listing.id }),
          );
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
    for (const seed of declaration.seeds) add(frontierJob(sourceId, generation, { url: seed, kind: "seed" }));
    const queries = searchQueries(declaration, searchTerms(deps.lexicon, declaration.languages));
    for (const query of queries.slice(0, maxSearchQueries)) {
      add(frontierJob(sourceId, generation, { url: query.url, kind: "search" }));
    }
    await enqueueAll(jobs);
    const marker = await store.jobs.enqueue({
      queue: generationQueue(sourceId),
      payload: { generation, seeded: jobs.length },
      dedupeKey: `visit ${generation}`,
    });
    // The marker is a record, not work: it is done as soon as it exists.
    if (marker.job.state === "pending") {
      const claimed = await store.jobs.claim({
        queues: [generationQueue(sourceId)],
        ...markerLease,
        limit: 10,
      });
      for (const job of claimed) await store.jobs.complete({ id: job.id, leaseToken: job.leaseToken });
    }
  }

  async function trawl(request: TrawlRequest): Promise<TrawlSummary> {
    if (request.sources.length === 0) throw new UsageError("sources_missing", "name at least one source");
    const ids = new Set<string>();
    for (const source of request.sources) {
      if (ids.has(source.id)) throw new UsageError("source_repeated", `source "${source.id}" is named twice`);
      ids.add(source.id);
    }
    const organisation = await organisationFor(request.organisation);
    const maxSearchQueries = request.maxSearchQueries ?? 25;
    const startedAt = performance.now();

    interface Active {
      readonly declaration: SourceDeclaration;
      readonly progress: SourceProgress;
      readonly queue: string | undefined;
      runId: number | null;
    }
    const active: Active[] = [];
    for (const declaration of request.sources) {
      const source = await store.sources.upsert({
        organisationId: organisation.id,
        slug: declaration.id,
        name: declaration.name,
        platform: declaration.platform.name,
        baseUrl: declaration.seeds[0] ?? declaration.search[0] ?? null,
        config: JSON.parse(JSON.stringify(declaration)) as JsonObject,
      });
      const latest = await latestVisit(source.id);
      let generation = latest?.generation ?? 1;
      let visit: VisitKind = "new";
      let nextVisitAt: string | undefined;
      if (latest) {
        const counts = await store.jobs.counts(frontierQueue(source.id, latest.generation));
        const due = latest.startedAt.getTime() + declaration.revisitIntervalMs;
        if (counts.pending + counts.leased > 0) visit = "resumed";
        else if (request.revisitNow || deps.now().getTime() >= due) {
          generation = latest.generation + 1;
          visit = "revisit";
        } else {
          visit = "up-to-date";
          nextVisitAt = new Date(due).toISOString();
        }
      }
      if (visit === "new" || visit === "revisit") {
        await startVisit(source.id, declaration, generation, maxSearchQueries);
      }
      const progress: SourceProgress = {
        source: declaration.id,
        sourceId: source.id,
        generation,
        visit,
        ...(nextVisitAt ? { nextVisitAt } : {}),
        pages: 0,
        listings: 0,
        newListings: 0,
        changedListings: 0,
        removed: 0,
        offersFlagged: 0,
        errors: {},
        retried: 0,
      };
      const working = visit !== "up-to-date";
      const run = working ? await store.sources.startRun(source.id) : undefined;
      active.push({
        declaration,
        progress,
        queue: working ? frontierQueue(source.id, generation) : undefined,
        runId: run?.id ?? null,
      });
    }

    await request.onVisits?.(
      active.map(({ progress }) => ({
        source: progress.source,
        sourceId: progress.sourceId,
        generation: progress.generation,
        visit: progress.visit,
      })),
    );

    const warc = new WarcWriter({
      directory: deps.warcDirectory,
      software: deps.software,
      info: { operator: organisation.name, "http-header-user-agent": deps.userAgent },
    });
    const syncWarc = request.syncWarc === false ? undefined : groupSync(() => warc.sync());
    const fetchers: Fetcher[] = [];
    const handlers: Record<string, JobHandler> = {};
    const byQueue = new Map<string, Active>();
    const totals = { pages: 0, listings: 0, offersFlagged: 0, errors: 0 };
    const progressOf = (): TrawlProgress => {
      const elapsedMs = performance.now() - startedAt;
      return {
        elapsedMs,
        ...totals,
        pagesPerSecond: elapsedMs > 0 ? (totals.pages * 1000) / elapsedMs : 0,
        sources: active.map((entry) => entry.progress),
      };
    };
    const report = () => request.onProgress?.(progressOf());

    const stop = new AbortController();
    let stoppedBy: TrawlSummary["stoppedBy"] = "done";
    const onAbort = () => {
      stoppedBy = "signal";
      stop.abort();
    };
    if (request.signal?.aborted) onAbort();
    request.signal?.addEventListener("abort", onAbort, { once: true });

    let concurrency = 0;
    const touchedListings = new Set<number>();
    for (const entry of active) {
      if (!entry.queue) continue;
      const { declaration, progress } = entry;
      const fetcher = createFetcher({
        userAgent: declaration.politeness.userAgent ?? deps.userAgent,
        requestsPerSecondPerHost: declaration.politeness.requestsPerSecondPerHost,
        maxConcurrentPerHost: declaration.politeness.maxConcurrentPerHost,
        allowPrivateNetwork: declaration.allowPrivateNetwork,
        ...request.fetcher,
        warc,
        now: () => deps.now().getTime(),
      });
      fetchers.push(fetcher);
      // Twice the hosts' slots: while one page waits on the disk and the database, another can be fetching.
      concurrency += 2 * declaration.politeness.maxConcurrentPerHost;
      const onOutcome = (outcome: PageOutcome) => {
        if (outcome.kind === "failed") return;
        if (outcome.kind === "listing" && outcome.change !== "unchanged")
          touchedListings.add(outcome.listingId);
        if (outcome.kind === "removed" && outcome.listingId !== undefined)
          touchedListings.add(outcome.listingId);
        progress.pages++;
        totals.pages++;
        if (outcome.kind === "listing") {
          progress.listings++;
          totals.listings++;
          if (outcome.change === "new") progress.newListings++;
          if (outcome.change === "changed" || outcome.change === "reappeared") progress.changedListings++;
          if (outcome.verdict === "offer") {
            progress.offersFlagged++;
            totals.offersFlagged++;
          }
        }
        if (outcome.kind === "removed" && outcome.listingId !== undefined) progress.removed++;
        if (request.maxPages !== undefined && totals.pages >= request.maxPages && !stop.signal.aborted) {
          stoppedBy = "limit";
          stop.abort();
        }
        report();
      };
      handlers[entry.queue] = createPageHandler(
        { id: progress.sourceId, declaration, generation: progress.generation },
        {
          fetch: fetcher.fetch,
          lexicon: deps.lexicon,
          ...(deps.model ? { model: deps.model } : {}),
          now: deps.now,
          ...(deps.analyse ? { analyse: deps.analyse } : {}),
          ...(entry.runId !== null ? { runId: entry.runId } : {}),
          ...(syncWarc ? { beforeCommit: syncWarc } : {}),
        },
        onOutcome,
      );
      byQueue.set(entry.queue, entry);
    }

    const onEvent = (event: WorkerEvent) => {
      if (event.type !== "job_failed") return;
      const entry = byQueue.get(event.job.queue);
      if (!entry) return;
      if (event.state === "failed") {
        entry.progress.errors[event.failure.code] = (entry.progress.errors[event.failure.code] ?? 0) + 1;
        totals.errors++;
      } else entry.progress.retried++;
      report();
    };

    const queues = [...byQueue.keys()];
    let idleWatch: Promise<void> = Promise.resolve();
    try {
      if (queues.length > 0 && !stop.signal.aborted) {
        // The frontier is empty when no job is waiting or leased; jobs waiting to retry later still count.
        idleWatch = (async () => {
          while (!stop.signal.aborted) {
            await sleep(200, stop.signal);
            if (stop.signal.aborted) return;
            let open = 0;
            for (const queue of queues) {
              const counts = await store.jobs.counts(queue).catch(() => undefined);
              open += counts ? counts.pending + counts.leased : 1;
            }
            if (open === 0) stop.abort();
          }
        })();
        await runWorker({
          store,
          handlers,
          signal: stop.signal,
          workerId: request.workerId ?? defaultWorkerId(),
          concurrency: request.concurrency ?? Math.min(64, Math.max(1, concurrency)),
          leaseMs: request.leaseMs ?? 15_000,
          pollIntervalMs: 100,
          shutdownGraceMs: request.shutdownGraceMs ?? 10_000,
          onEvent,
        });
        stop.abort();
        await idleWatch;
      }
      if (deps.checkRelistings && touchedListings.size > 0) await deps.checkRelistings([...touchedListings]);
    } finally {
      request.signal?.removeEventListener("abort", onAbort);
      for (const fetcher of fetchers) fetcher.close();
      await warc.close();
    }

    const summaries: SourceSummary[] = [];
    for (const entry of active) {
      const frontier = entry.queue
        ? await store.jobs.counts(entry.queue)
        : { pending: 0, leased: 0, done: 0, failed: 0 };
      const complete = frontier.pending + frontier.leased === 0;
      if (entry.runId !== null) {
        const stats = JSON.parse(JSON.stringify({ ...entry.progress, frontier })) as JsonObject;
        await store.sources.finishRun(entry.runId, { state: complete ? "finished" : "cancelled", stats });
      }
      summaries.push({ ...entry.progress, runId: entry.runId, frontier, complete });
    }
    return { ...progressOf(), sources: summaries, stoppedBy };
  }

  return { trawl };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
