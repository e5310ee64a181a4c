import { Worker } from "node:worker_threads";
import type { ApiKey } from "../storage/records.ts";
import type { RateLimitCount, RateLimitHits, RateLimitRepository } from "../storage/store.ts";
import { StorageUnavailableError } from "../storage/storage-errors.ts";

/**
 * The writes every API request may trigger, made by a worker thread over its own connection to the database: the
 * per-key rate-limit counts (every 200 ms) and a key's authentication, which records its last use (once a second
 * per key). SQLite commits synchronously and waits for fsync, 1 to 60 ms measured on the bench machine, which held
 * every request behind it; here the event loop only waits for a message. (PostgreSQL's driver does not block, so
 * serve uses this for SQLite only.)
 */
export interface StoreThread {
  readonly rateLimits: RateLimitRepository;
  authenticateKey(secret: string): Promise<ApiKey | null>;
  /** Closes the thread's connection; calls made after fail. */
  close(): Promise<void>;
}

export type StoreThreadCall =
  | { readonly id: number; readonly op: "rateLimits.add"; readonly args: [readonly RateLimitHits[]] }
  | { readonly id: number; readonly op: "rateLimits.prune"; readonly args: [Date, number] }
  | { readonly id: number; readonly op: "apiKeys.authenticate"; readonly args: [string] }
  | { readonly id: number; readonly op: "close"; readonly args: [] };

export type StoreThreadReply =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: { readonly code: string | null; readonly message: string } };

export async function openStoreThread(databaseUrl: string): Promise<StoreThread> {
  const worker = new Worker(new URL("./store-thread-worker.ts", import.meta.url), {
    workerData: { databaseUrl },
  });
  const calls = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  let failure: Error | null = null;

  const failAll = (error: Error) => {
    failure ??= error;
    for (const call of calls.values()) call.reject(failure);
    calls.clear();
  };
  worker.on("message", (reply: StoreThreadReply) => {
    const call = calls.get(reply.id);
    if (call === undefined) return;
    calls.delete(reply.id);
    if ("error" in reply) {
      // Unavailability keeps its class: callers answer 503 and the rate limiter keeps its counts for later.
      const { code, message } = reply.error;
      call.reject(code === null ? new Error(message) : new StorageUnavailableError(code, message));
    } else call.resolve(reply.result);
  });
  worker.on("error", failAll);
  worker.on("exit", (code) => failAll(new Error(`the store thread exited (${code})`)));

  const call = <T>(op: StoreThreadCall["op"], ...args: unknown[]): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ id, op, args });
    });
  };

  // The thread has opened (and migrated, if need be) the database once it answers.
  await call("rateLimits.add", []);
  return {
    rateLimits: {
      add: (entries) => call<RateLimitCount[]>("rateLimits.add", entries),
      prune: (before, limit) => call<number>("rateLimits.prune", before, limit),
    },
    authenticateKey: (secret) => call<ApiKey | null>("apiKeys.authenticate", secret),
    async close() {
      if (failure) return;
      await call("close");
      await worker.terminate();
    },
  };
}
