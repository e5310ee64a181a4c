import { Worker } from "node:worker_threads";
import type { BatchAnswer, ScreeningListing, ScreeningPolicy } from "./screening.ts";

/**
 * Screening in worker threads, so that detection runs beside the API's thread, which parses requests and
 * writes answers. A batch of 1,000 is screened in chunks of 50 listings and no longer holds the event loop (for 40
 * to 80 ms a batch) while other requests wait. Each worker has at most two messages in flight; what is asked for
 * meanwhile waits and travels together in the next message.
 *
 * While every worker is full, the caller's thread lends a hand: it screens a few listings at a time
 * (`callerSliceSize`, well under a millisecond each), yielding to the event loop between slices, so a batch uses
 * every core without holding requests up for long. Until the workers have loaded the reference data (a few
 * seconds), and for the listings of a worker that died, `fallback` screens in the caller's thread too: the answers
 * are the same either way (detection is deterministic).
 */
export interface ScreeningPoolOptions {
  /** What the workers load to detect with (the same files as the process's config). */
  readonly referenceDataPath: string;
  readonly lexiconDir: string;
  readonly detectionModelPath: string;
  readonly workers: number;
  /** Screens in this thread, with the reference data already loaded here. */
  readonly fallback: (listings: readonly ScreeningListing[], policy: ScreeningPolicy) => BatchAnswer[];
  /** A worker could not load or died (it is replaced unless it could not load). */
  readonly onWorkerError?: (error: Error) => void;
}

export interface ScreeningPool {
  /** Each listing's answer under the policy, in the order given. */
  screen(listings: readonly ScreeningListing[], policy: ScreeningPolicy): Promise<BatchAnswer[]>;
  /** Settles once every worker has loaded or failed to (screening works before, in the caller's thread). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export type ScreeningWorkerRequest = {
  readonly id: number;
  readonly policy: ScreeningPolicy;
  readonly listings: readonly ScreeningListing[];
};

export type ScreeningWorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "load_failed"; readonly message: string }
  | { readonly type: "screened"; readonly id: number; readonly results: BatchAnswer[] }
  | { readonly type: "failed"; readonly id: number; readonly message: string };

/** Listings per message: small enough to spread a batch over the workers, large enough to amortise the message. */
const chunkSize = 50;
/** Messages a worker holds at once: the next is there when it finishes one, the rest wait to travel together. */
const messagesPerWorker = 2;
/** Listings the caller's thread screens between two turns of its event loop when it helps the workers. */
const callerSliceSize = 8;

interface Task {
  readonly listings: readonly ScreeningListing[];
  readonly policy: ScreeningPolicy;
  readonly results: BatchAnswer[];
  /** Chunks not yet answered, plus one until all are sent. */
  outstanding: number;
  failed: boolean;
  resolve(results: BatchAnswer[]): void;
  reject(error: Error): void;
}

/** A chunk's listings are `task.listings[start .. start + count)`; one message may carry chunks of several tasks. */
interface Part {
  readonly task: Task;
  readonly start: number;
  readonly count: number;
}

interface Slot {
  readonly worker: Worker;
  ready: boolean;
  readonly inFlight: Map<number, readonly Part[]>;
}

export function createScreeningPool(options: ScreeningPoolOptions): ScreeningPool {
  const slots: Slot[] = [];
  /** Parts of at most `chunkSize` listings, waiting for a worker. */
  const waiting: Part[] = [];
  let scheduled = false;
  let helping = false;
  let nextId = 1;
  let closed = false;
  let loadFailed = false;
  let loading = options.workers;
  const loaded = Promise.withResolvers<void>();
  const loadSettled = () => {
    if (--loading === 0) loaded.resolve();
  };
  if (loading <= 0) loaded.resolve();

  const settle = (task: Task) => {
    if (--task.outstanding === 0 && !task.failed) task.resolve(task.results);
  };

  const answer = (part: Part, results: readonly BatchAnswer[], offset: number) => {
    for (let i = 0; i < part.count; i++) part.task.results[part.start + i] = results[offset + i]!;
    settle(part.task);
  };

  const screenHere = (part: Part) => {
    try {
      const listings = part.task.listings.slice(part.start, part.start + part.count);
      answer(part, options.fallback(listings, part.task.policy), 0);
    } catch (error) {
      fail(part.task, error as Error);
    }
  };

  const fail = (task: Task, error: Error) => {
    if (task.failed) return;
    task.failed = true;
    task.reject(error);
  };

  const spawn = (): Slot => {
    const worker = new Worker(new URL("./screening-worker.ts", import.meta.url), {
      workerData: {
        referenceDataPath: options.referenceDataPath,
        lexiconDir: options.lexiconDir,
        detectionModelPath: options.detectionModelPath,
      },
    });
    const slot: Slot = { worker, ready: false, inFlight: new Map() };
    worker.on("message", (message: ScreeningWorkerMessage) => onMessage(slot, message));
    worker.on("error", (error) => onDeath(slot, error));
    worker.on("exit", (code) => onDeath(slot, new Error(`screening worker exited with code ${code}`)));
    return slot;
  };

  const onMessage = (slot: Slot, message: ScreeningWorkerMessage) => {
    if (message.type === "ready") {
      slot.ready = true;
      loadSettled();
      pump();
      return;
    }
    if (message.type === "load_failed") {
      loadFailed = true;
      loadSettled();
      options.onWorkerError?.(new Error(`screening worker: ${message.message}`));
      void slot.worker.terminate();
      return;
    }
    const parts = slot.inFlight.get(message.id);
    if (parts === undefined) return;
    slot.inFlight.delete(message.id);
    let offset = 0;
    for (const part of parts) {
      if (message.type === "screened") answer(part, message.results, offset);
      else fail(part.task, new Error(message.message));
      offset += part.count;
    }
    pump();
  };

  // A worker that died: its listings are screened here, and a new worker takes its place.
  const onDeath = (slot: Slot, cause: Error) => {
    const index = slots.indexOf(slot);
    if (index === -1) return;
    slots.splice(index, 1);
    for (const parts of slot.inFlight.values()) for (const part of parts) screenHere(part);
    slot.inFlight.clear();
    if (closed || loadFailed) return;
    options.onWorkerError?.(cause);
    slots.push(spawn());
  };

  // Sends waiting parts to the workers with room, as few messages as can carry them.
  const pump = () => {
    scheduled = false;
    if (!slots.some((slot) => slot.ready)) {
      for (const part of waiting.splice(0)) screenHere(part);
      return;
    }
    while (waiting.length > 0) {
      let slot: Slot | undefined;
      for (const candidate of slots)
        if (
          candidate.ready &&
          candidate.inFlight.size < messagesPerWorker &&
          (slot === undefined || candidate.inFlight.size < slot.inFlight.size)
        )
          slot = candidate;
      if (slot === undefined) {
        if (!helping) {
          helping = true;
          setImmediate(helpWorkers);
        }
        return;
      }
      // Policies are shared objects (one per organisation): a message carries listings of one.
      const policy = waiting[0]!.task.policy;
      const parts: Part[] = [];
      let size = 0;
      while (
        waiting.length > 0 &&
        waiting[0]!.task.policy === policy &&
        size + waiting[0]!.count <= chunkSize
      ) {
        const part = waiting.shift()!;
        parts.push(part);
        size += part.count;
      }
      const listings =
        parts.length === 1 && parts[0]!.count === parts[0]!.task.listings.length
          ? parts[0]!.task.listings
          : parts.flatMap((part) => part.task.listings.slice(part.start, part.start + part.count));
      const id = nextId++;
      slot.inFlight.set(id, parts);
      slot.worker.postMessage({ id, policy, listings } satisfies ScreeningWorkerRequest);
    }
  };

  // One slice from the back of the line, screened here, then the event loop has its turn before the next. The
  // back, so that the workers go on taking whole chunks from the front.
  const helpWorkers = () => {
    helping = false;
    const part = waiting.pop();
    if (part === undefined) return;
    if (part.count > callerSliceSize) {
      part.task.outstanding++;
      waiting.push({ task: part.task, start: part.start, count: part.count - callerSliceSize });
      screenHere({
        task: part.task,
        start: part.start + part.count - callerSliceSize,
        count: callerSliceSize,
      });
    } else {
      screenHere(part);
    }
    pump();
  };

  for (let i = 0; i < options.workers; i++) slots.push(spawn());

  return {
    screen(listings, policy) {
      if (listings.length === 0) return Promise.resolve([]);
      return new Promise<BatchAnswer[]>((resolve, reject) => {
        const task: Task = { listings, policy, results: [], outstanding: 1, failed: false, resolve, reject };
        // Closing: what is still asked for is answered here.
        if (closed) return screenHere({ task, start: 0, count: listings.length });
        for (let start = 0; start < listings.length; start += chunkSize) {
          task.outstanding++;
          waiting.push({ task, start, count: Math.min(chunkSize, listings.length - start) });
        }
        settle(task);
        // Everything asked for in this turn of the event loop goes out together.
        if (!scheduled) {
          scheduled = true;
          setImmediate(pump);
        }
      });
    },
    ready: () => loaded.promise,
    async close() {
      closed = true;
      loaded.resolve();
      // Listings sent to a worker are screened here when it exits (onDeath); none are sent from now on.
      for (const slot of slots) slot.ready = false;
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
