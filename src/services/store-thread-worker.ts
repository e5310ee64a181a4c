import { parentPort, workerData } from "node:worker_threads";
import { openStore } from "../storage/open-store.ts";
import { StorageUnavailableError } from "../storage/storage-errors.ts";
import type { StoreThreadCall, StoreThreadReply } from "./store-thread.ts";

// The thread of store-thread.ts: its own connection, one call at a time in the order sent.
const port = parentPort;
if (port === null) throw new Error("store-thread-worker.ts runs only as a worker thread");
const store = await openStore((workerData as { databaseUrl: string }).databaseUrl);

const run = (call: StoreThreadCall): Promise<unknown> => {
  switch (call.op) {
    case "rateLimits.add":
      return store.rateLimits.add(...call.args);
    case "rateLimits.prune":
      return store.rateLimits.prune(...call.args);
    case "apiKeys.authenticate":
      return store.apiKeys.authenticate(...call.args);
    case "close":
      return store.close();
  }
};

port.on("message", (call: StoreThreadCall) => {
  run(call).then(
    (result) => port.postMessage({ id: call.id, result } satisfies StoreThreadReply),
    (error: unknown) =>
      port.postMessage({
        id: call.id,
        error: {
          code: error instanceof StorageUnavailableError ? error.code : null,
          message: error instanceof Error ? error.message : String(error),
        },
      } satisfies StoreThreadReply),
  );
});
