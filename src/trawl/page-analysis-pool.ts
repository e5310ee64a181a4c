import { Worker } from "node:worker_threads";
import { WildtrawlError } from "../core/errors.ts";
import type { PageAnalyser, PageAnalysis, PageAnalysisRequest } from "./page-analysis.ts";

/**
 * Pages analysed in worker threads (RELIABILITY H3): each worker has a heap limit and each page a wall-clock limit;
 * a page that exceeds either, or crashes its worker, fails alone with a code, the worker is replaced, and the other
 * pages go on. On a machine with spare cores it also takes parsing and detection off the trawler's thread.
 */

export interface PageAnalysisPoolOptions {
  /** What the workers load to detect with (the same files as the process's config). */
  readonly referenceDataPath: string;
  readonly lexiconDir: string;
  readonly detectionModelPath: string;
  readonly workers?: number;
  /** Longest one page may take, once its worker is ready. */
  readonly pageTimeoutMs?: number;
  /** Old-generation heap of each worker; a page that needs more kills only its worker. */
  readonly maxHeapMb?: number;
}

export const defaultPagePoolLimits = { workers: 1, pageTimeoutMs: 20_000, maxHeapMb: 512 } as const;

/** `analysis_timeout`, `analysis_crashed`, `analysis_failed`: a page that could not be analysed, and why. */
export class PageAnalysisError extends WildtrawlError {}

export interface PageAnalysisPool {
  readonly analyse: PageAnalyser;
  /**
   * Resolves once the first workers have loaded what detection needs (seconds), or rejects as `analyse` would:
   * lets a caller load in parallel and start its clock, or its trawl, with the pool warm.
   */
  ready(): Promise<void>;
  /** Workers replaced after a timeout or crash since the pool started. */
  readonly replacedWorkers: () => number;
  close(): Promise<void>;
}

interface Task {
  readonly request: PageAnalysisRequest;
  resolve(analysis: PageAnalysis): void;
  reject(error: Error): void;
}

type WorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "result"; readonly analysis: PageAnalysis }
  | { readonly type: "error"; readonly message: string }
  | { readonly type: "load_failed"; readonly message: string };

interface Slot {
  worker: Worker;
  ready: boolean;
  task: Task | null;
  timer: NodeJS.Timeout | null;
}

export function createPageAnalysisPool(options: PageAnalysisPoolOptions): PageAnalysisPool {
  const size = options.workers ?? defaultPagePoolLimits.workers;
  const timeoutMs = options.pageTimeoutMs ?? defaultPagePoolLimits.pageTimeoutMs;
  const maxHeapMb = options.maxHeapMb ?? defaultPagePoolLimits.maxHeapMb;
  const waiting: Task[] = [];
  const slots: Slot[] = [];
  let replaced = 0;
  let closed = false;
  let loadFailure: Error | null = null;
  let loaded = 0;
  const started = Promise.withResolvers<void>();
  // Nobody may ever ask: an unobserved rejection must not end the process.
  started.promise.catch(() => {});

  const spawn = (): Slot => {
    const worker = new Worker(new URL("./page-analysis-worker.ts", import.meta.url), {
      workerData: {
        referenceDataPath: options.referenceDataPath,
        lexiconDir: options.lexiconDir,
        detectionModelPath: options.detectionModelPath,
      },
      resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
      stdout: false,
      stderr: false,
    });
    const slot: Slot = { worker, ready: false, task: null, timer: null };
    worker.on("message", (message: WorkerMessage) => onMessage(slot, message));
    worker.on("error", (error) => onDeath(slot, error));
    worker.on("exit", (code) => onDeath(slot, new Error(`worker exited with code ${code}`)));
    return slot;
  };

  const onMessage = (slot: Slot, message: WorkerMessage) => {
    if (message.type === "ready") {
      slot.ready = true;
      if (++loaded === size) started.resolve();
      dispatch();
      return;
    }
    if (message.type === "load_failed") {
      loadFailure = new PageAnalysisError(
        "analysis_unavailable",
        `page analysis workers: ${message.message}`,
      );
      for (const task of waiting.splice(0)) task.reject(loadFailure);
      started.reject(loadFailure);
      return;
    }
    const task = finish(slot);
    if (!task) return;
    if (message.type === "result") task.resolve(message.analysis);
    else task.reject(new PageAnalysisError("analysis_failed", message.message));
    dispatch();
  };

  // A worker that died (out of memory, a crash) or was terminated: its page fails, a new worker takes its place.
  const onDeath = (slot: Slot, cause: Error) => {
    const index = slots.indexOf(slot);
    if (index === -1) return;
    const task = finish(slot);
    slots.splice(index, 1);
    if (task) {
      const outOfMemory = (cause as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY";
      task.reject(
        new PageAnalysisError(
          "analysis_crashed",
          `${task.request.page.url}: the page's analysis ${outOfMemory ? `needed more than ${maxHeapMb} MB` : `crashed (${cause.message})`}`,
          { cause },
        ),
      );
    }
    if (!closed && loadFailure === null) {
      replaced += 1;
      slots.push(spawn());
    }
  };

  const finish = (slot: Slot): Task | null => {
    const task = slot.task;
    slot.task = null;
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    return task;
  };

  const dispatch = () => {
    for (const slot of slots) {
      if (!slot.ready || slot.task) continue;
      const task = waiting.shift();
      if (!task) return;
      slot.task = task;
      slot.timer = setTimeout(() => {
        const timedOut = finish(slot);
        timedOut?.reject(
          new PageAnalysisError(
            "analysis_timeout",
            `${task.request.page.url}: analysing the page took longer than ${timeoutMs} ms`,
          ),
        );
        // terminate() fires "exit", which replaces the worker; the page is already answered.
        void slot.worker.terminate();
      }, timeoutMs);
      slot.worker.postMessage(task.request);
    }
  };

  for (let i = 0; i < size; i++) slots.push(spawn());

  return {
    analyse: (request) =>
      new Promise<PageAnalysis>((resolve, reject) => {
        if (closed)
          return reject(new PageAnalysisError("analysis_closed", "the page analysis pool is closed"));
        if (loadFailure) return reject(loadFailure);
        waiting.push({ request, resolve, reject });
        dispatch();
      }),
    ready: () => started.promise,
    replacedWorkers: () => replaced,
    async close() {
      closed = true;
      started.reject(new PageAnalysisError("analysis_closed", "the page analysis pool is closed"));
      for (const task of waiting.splice(0)) {
        task.reject(new PageAnalysisError("analysis_closed", "the page analysis pool is closed"));
      }
      const stopping = slots.splice(0);
      for (const slot of stopping) {
        finish(slot)?.reject(new PageAnalysisError("analysis_closed", "the page analysis pool is closed"));
      }
      await Promise.all(stopping.map((slot) => slot.worker.terminate()));
    },
  };
}
