import { Worker } from "node:worker_threads";

export type CheckpointerRequest =
  | { readonly kind: "written"; readonly file: string }
  | { readonly kind: "release"; readonly file: string; readonly id: number };
export type CheckpointerReply = { readonly kind: "released"; readonly id: number };

/**
 * WAL checkpoints on a thread of their own. SQLite checkpoints automatically inside the COMMIT that takes the WAL
 * past 1,000 pages: the writer then copies pages into the database file and syncs it before its COMMIT returns,
 * which was over half of ingestion's time. Here the writing connection only appends to the WAL, and this thread
 * copies what was committed shortly after, on the other core.
 *
 * One thread per process serves every database file; it never keeps the process alive. If it fails, writers fall
 * back on SQLite's own checkpoint, which `backstopPages` keeps as a bound on the WAL's size.
 */
export class WalCheckpointer {
  /** The writer checkpoints itself only past this many WAL pages (about 40 MB): when this thread cannot keep up. */
  static readonly backstopPages = 10_000;

  #worker: Worker | undefined;
  #failed = false;
  readonly #users = new Map<string, number>();
  readonly #releases = new Map<number, () => void>();
  #nextId = 0;

  /** Registers a store on `file`; `written` may then be called after its writes. */
  use(file: string): void {
    this.#users.set(file, (this.#users.get(file) ?? 0) + 1);
  }

  /** After a commit on `file`: a checkpoint follows shortly. */
  written(file: string): void {
    if (!this.#users.has(file)) return;
    this.#thread()?.postMessage({ kind: "written", file } satisfies CheckpointerRequest);
  }

  /** The store on `file` is closing: when it was the last in this process, the thread closes its connection. */
  release(file: string): Promise<void> {
    const users = (this.#users.get(file) ?? 1) - 1;
    if (users > 0) {
      this.#users.set(file, users);
      return Promise.resolve();
    }
    this.#users.delete(file);
    const worker = this.#worker;
    if (worker === undefined) return Promise.resolve();
    const id = this.#nextId++;
    // Held while a release is under way, so that a process ending with `await store.close()` waits for it.
    worker.ref();
    return new Promise<void>((resolve) => {
      this.#releases.set(id, resolve);
      worker.postMessage({ kind: "release", file, id } satisfies CheckpointerRequest);
    });
  }

  #thread(): Worker | undefined {
    if (this.#worker !== undefined || this.#failed) return this.#worker;
    const worker = new Worker(new URL("./wal-checkpoint-worker.ts", import.meta.url));
    worker.unref();
    worker.on("message", (reply: CheckpointerReply) => {
      this.#releases.get(reply.id)?.();
      this.#releases.delete(reply.id);
      if (this.#releases.size === 0) worker.unref();
    });
    const fail = () => {
      this.#failed = true;
      this.#worker = undefined;
      for (const resolve of this.#releases.values()) resolve();
      this.#releases.clear();
    };
    worker.on("error", fail);
    worker.on("exit", fail);
    this.#worker = worker;
    return worker;
  }
}

export const walCheckpointer = new WalCheckpointer();
