import { NotFoundError, UsageError, WildtrawlError } from "../core/errors.ts";
import { ConflictError } from "../storage/storage-errors.ts";
import type { JobCounts, JsonObject, Source, TrawlRun } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";
import { frontierQueue, generationQueue, parseFrontierPayload } from "../trawl/trawl-frontier.ts";
import type { SourceDeclaration } from "../trawl/sources/source-declaration.ts";
import type { Principal } from "./access.ts";
import type { SourceProgress, TrawlRequest, TrawlingService } from "./trawling.ts";

/**
 * Trawl runs started and stopped from the API. A visit runs in this process, in the background, through the same
 * trawling service as `wildtrawl trawl`: at most one per source, and at most `maxConcurrentVisits` at once. Stopping
 * is graceful (the worker stops claiming, pages in flight finish or are given back, the run ends `cancelled`).
 * Progress and errors come from the visit's frontier in the job queue, so they are true whichever process works it.
 */

export interface TrawlControlDeps {
  readonly store: Store;
  readonly trawling: TrawlingService;
  readonly now: () => Date;
  /** Visits this process works at once (each is a worker loop with its own fetcher). */
  readonly maxConcurrentVisits?: number;
  /** Options for every visit (tests lower the search queries, timeouts and lease). */
  readonly visitOptions?: Partial<Omit<TrawlRequest, "sources" | "organisation" | "signal" | "onVisits">>;
  /** Told when a background visit fails: it has no request to answer. */
  readonly onVisitError?: (error: unknown, run: TrawlRun) => void;
}

export interface TrawlRunError {
  readonly url: string | null;
  readonly code: string | null;
  readonly message: string | null;
  readonly at: Date;
}

export interface TrawlRunStatus {
  readonly run: TrawlRun;
  /** The visit's frontier: enqueued = pending + leased + done + failed. */
  readonly progress: JobCounts;
  readonly recentErrors: readonly TrawlRunError[];
}

/** The error a run left `running` by a process that died is ended with. */
export const interruptedRunError =
  "interrupted: the process working this visit stopped before it ended (killed or crashed); a new run carries the visit on";

const recentErrorCount = 20;

interface ActiveVisit {
  readonly sourceId: number;
  readonly abort: AbortController;
  run: TrawlRun | undefined;
  generation: number | undefined;
  progress: SourceProgress | undefined;
  done: Promise<void>;
}

export function createTrawlControl(deps: TrawlControlDeps) {
  const { store } = deps;
  const maxConcurrentVisits = deps.maxConcurrentVisits ?? 2;
  const active = new Map<number, ActiveVisit>();
  let closing = false;

  const ownSource = async (principal: Principal, sourceId: number): Promise<Source> => {
    const source = await store.sources.get(sourceId);
    if (source === null || source.organisationId !== principal.organisationId)
      throw new NotFoundError("source_not_found", `no source ${sourceId}`);
    return source;
  };

  const ownRun = async (principal: Principal, runId: number): Promise<TrawlRun> => {
    const run = await store.sources.getRun(runId);
    if (run === null || run.organisationId !== principal.organisationId)
      throw new NotFoundError("trawl_run_not_found", `no trawl run ${runId}`);
    return run;
  };

  const activeRun = (runId: number) => [...active.values()].find((visit) => visit.run?.id === runId);

  /** The latest visit (generation) of a source, from the markers its visits leave in the job queue. */
  async function latestGeneration(sourceId: number): Promise<number | undefined> {
    let latest: number | undefined;
    let afterId = 0;
    for (;;) {
      const page = await store.jobs.list({ queue: generationQueue(sourceId), limit: 1000, afterId });
      for (const job of page) {
        const generation = Number((job.payload as { generation?: unknown } | null)?.generation);
        if (Number.isInteger(generation) && (latest === undefined || generation > latest))
          latest = generation;
      }
      if (page.length < 1000) return latest;
      afterId = page[page.length - 1]!.id;
    }
  }

  /** The visit a run worked: recorded in its figures when it ended, else the source's latest. */
  async function generationOf(run: TrawlRun): Promise<number | undefined> {
    const recorded = run.stats["generation"];
    if (typeof recorded === "number") return recorded;
    const here = activeRun(run.id);
    if (here?.generation !== undefined) return here.generation;
    return run.state === "running" ? latestGeneration(run.sourceId) : undefined;
  }

  /** Whether a worker somewhere holds a live lease on the visit's pages: a process is working it right now. */
  async function workedElsewhere(sourceId: number, generation: number | undefined): Promise<boolean> {
    if (generation === undefined) return false;
    const now = deps.now().getTime();
    const leased = await store.jobs.list({
      queue: frontierQueue(sourceId, generation),
      state: "leased",
      limit: 10_000,
    });
    return leased.some((job) => job.leasedUntil !== null && job.leasedUntil.getTime() > now);
  }

  /**
   * Ends the runs of a source that are still `running` though no process works them: the process was killed. A
   * run another process is working (its leases are live) is left alone and reported, so the caller can refuse.
   */
  async function endInterruptedRuns(sourceId: number): Promise<{ workedElsewhere: boolean }> {
    const running = (await store.sources.listRuns(sourceId, { limit: 1000 })).filter(
      (run) => run.state === "running" && activeRun(run.id) === undefined,
    );
    if (running.length === 0) return { workedElsewhere: false };
    const generation = await latestGeneration(sourceId);
    if (await workedElsewhere(sourceId, generation)) return { workedElsewhere: true };
    for (const run of running) {
      await store.sources.finishRun(run.id, {
        state: "failed",
        stats: { ...run.stats, ...(generation !== undefined ? { generation } : {}) },
        error: interruptedRunError,
      });
    }
    return { workedElsewhere: false };
  }

  function declarationOf(source: Source): SourceDeclaration {
    const config = source.config;
    const trawlable =
      config["id"] === source.slug &&
      Array.isArray(config["seeds"]) &&
      Array.isArray(config["search"]) &&
      typeof config["politeness"] === "object" &&
      typeof config["revisitIntervalMs"] === "number";
    if (!trawlable)
      throw new UsageError(
        "source_not_trawlable",
        `source ${source.id} ("${source.slug}") has no source declaration to trawl: load it once with 'wildtrawl trawl FILE'`,
      );
    return config as unknown as SourceDeclaration;
  }

  return {
    async listRuns(principal: Principal, sourceId: number): Promise<TrawlRun[]> {
      await ownSource(principal, sourceId);
      const runs = await store.sources.listRuns(sourceId, { limit: 100 });
      return runs.map((run) => withLiveStats(run, activeRun(run.id)));
    },

    /** Starts a visit of the source in the background; answers once its run exists. */
    async start(principal: Principal, sourceId: number): Promise<TrawlRun> {
      const source = await ownSource(principal, sourceId);
      const declaration = declarationOf(source);
      if (closing) throw new WildtrawlError("trawl_capacity_reached", "the server is shutting down");
      const current = active.get(sourceId);
      if (current)
        throw new ConflictError(
          "trawl_run_active",
          `source ${sourceId} is being trawled already${current.run ? ` (run ${current.run.id})` : ""}`,
        );
      if (active.size >= maxConcurrentVisits)
        throw new WildtrawlError(
          "trawl_capacity_reached",
          `${active.size} visits are running, the most this server runs at once: stop one or try later`,
        );
      const organisation = await store.organisations.get(source.organisationId);
      if (!organisation) throw new NotFoundError("source_not_found", `no source ${sourceId}`);

      let started!: (run: TrawlRun) => void;
      let failedToStart!: (error: unknown) => void;
      const runReady = new Promise<TrawlRun>((resolve, reject) => {
        started = resolve;
        failedToStart = reject;
      });
      const abort = new AbortController();
      const visit: ActiveVisit = {
        sourceId,
        abort,
        run: undefined,
        generation: undefined,
        progress: undefined,
        done: Promise.resolve(),
      };
      // Reserved before the first await below, so that two requests at once cannot both start a visit.
      active.set(sourceId, visit);
      try {
        const { workedElsewhere: elsewhere } = await endInterruptedRuns(sourceId);
        if (elsewhere)
          throw new ConflictError(
            "trawl_run_active",
            `source ${sourceId} is being trawled by another process (its pages are leased)`,
          );
      } catch (error) {
        active.delete(sourceId);
        throw error;
      }

      const work = deps.trawling
        .trawl({
          ...deps.visitOptions,
          sources: [declaration],
          organisation: organisation.slug,
          signal: abort.signal,
          // Asked for from the dashboard: a visit now, even if the last one is recent.
          revisitNow: true,
          onVisits: async (plans) => {
            visit.generation = plans[0]?.generation;
            const [run] = await store.sources.listRuns(sourceId, { limit: 1 });
            if (run === undefined || run.state !== "running")
              throw new Error(`the visit of source ${sourceId} started no run`);
            visit.run = run;
            started(run);
          },
          onProgress: (progress) => {
            visit.progress = progress.sources[0];
            deps.visitOptions?.onProgress?.(progress);
          },
        })
        .then(
          () => failedToStart(new Error(`the visit of source ${sourceId} ended before it started a run`)),
          async (error: unknown) => {
            failedToStart(error);
            if (visit.run === undefined) return;
            const stats = visit.progress ? (JSON.parse(JSON.stringify(visit.progress)) as JsonObject) : {};
            const message = error instanceof Error ? error.message : String(error);
            const ended = await store.sources
              .finishRun(visit.run.id, { state: "failed", stats, error: message.slice(0, 2000) })
              .catch(() => visit.run!);
            deps.onVisitError?.(error, ended);
          },
        )
        .finally(() => active.delete(sourceId));
      visit.done = work;
      return runReady;
    },

    /** Asks a run to stop; it ends `cancelled` once the pages in flight are done or given back. */
    async stop(principal: Principal, runId: number): Promise<TrawlRun> {
      const run = await ownRun(principal, runId);
      if (run.state !== "running")
        throw new ConflictError("trawl_run_not_running", `trawl run ${runId} has ended (${run.state})`);
      const here = activeRun(runId);
      if (here) {
        here.abort.abort();
        return withLiveStats(run, here);
      }
      const { workedElsewhere: elsewhere } = await endInterruptedRuns(run.sourceId);
      if (elsewhere)
        throw new ConflictError(
          "trawl_run_not_here",
          `trawl run ${runId} is worked by another process: stop it there (Ctrl-C or SIGTERM)`,
        );
      return (await store.sources.getRun(runId)) ?? run;
    },

    async status(principal: Principal, runId: number): Promise<TrawlRunStatus> {
      const run = await ownRun(principal, runId);
      const generation = await generationOf(run);
      const queue = generation === undefined ? undefined : frontierQueue(run.sourceId, generation);
      const progress = queue ? await store.jobs.counts(queue) : { pending: 0, leased: 0, done: 0, failed: 0 };
      const recentErrors: TrawlRunError[] = [];
      if (queue) {
        // Failed jobs are few (a visit's dead letters); keep the newest.
        let afterId = 0;
        for (;;) {
          const page = await store.jobs.list({ queue, state: "failed", limit: 1000, afterId });
          for (const job of page) {
            recentErrors.push({
              url: parseFrontierPayload(job.payload)?.url ?? null,
              code: job.lastErrorCode,
              message: job.lastError,
              at: job.finishedAt ?? job.updatedAt,
            });
          }
          if (recentErrors.length > recentErrorCount)
            recentErrors.splice(0, recentErrors.length - recentErrorCount);
          if (page.length < 1000) break;
          afterId = page[page.length - 1]!.id;
        }
      }
      return { run: withLiveStats(run, activeRun(run.id)), progress, recentErrors: recentErrors.reverse() };
    },

    /** Stops every visit of this process and waits for them to end (the server is closing). */
    async close(): Promise<void> {
      closing = true;
      const visits = [...active.values()];
      for (const visit of visits) visit.abort.abort();
      await Promise.all(visits.map((visit) => visit.done));
    },
  };
}

export type TrawlControl = ReturnType<typeof createTrawlControl>;

/** A running run's figures are written when it ends; until then, this process's live ones stand in. */
function withLiveStats(run: TrawlRun, visit: ActiveVisit | undefined): TrawlRun {
  if (run.state !== "running" || visit?.progress === undefined) return run;
  return { ...run, stats: JSON.parse(JSON.stringify(visit.progress)) as JsonObject };
}
