import { DatabaseSync } from "node:sqlite";
import { parentPort } from "node:worker_threads";
import type { CheckpointerReply, CheckpointerRequest } from "./wal-checkpointer.ts";

/**
 * The checkpointer's thread: one connection per database file, copying committed WAL frames into the file shortly
 * after writes, so that the writing thread never does it inside a COMMIT.
 */
const port = parentPort!;
const connections = new Map<string, DatabaseSync>();
const scheduled = new Map<string, NodeJS.Timeout>();

/** Long enough to gather a burst of commits into one checkpoint, short enough to keep the WAL small. */
const gatherMs = 50;

function checkpoint(file: string) {
  scheduled.delete(file);
  try {
    let db = connections.get(file);
    if (db === undefined) {
      db = new DatabaseSync(file);
      // A passive checkpoint never waits for locks: if one is busy, the next write schedules another, and the
      // writer's own (rare) automatic checkpoint bounds the WAL meanwhile.
      db.exec("PRAGMA busy_timeout = 0; PRAGMA synchronous = FULL");
      connections.set(file, db);
    }
    db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  } catch {
    // Nothing is lost by a checkpoint that did not run: the frames stay in the WAL, which readers consult.
  }
}

port.on("message", (request: CheckpointerRequest) => {
  if (request.kind === "written") {
    if (!scheduled.has(request.file)) {
      scheduled.set(
        request.file,
        setTimeout(() => checkpoint(request.file), gatherMs),
      );
    }
    return;
  }
  clearTimeout(scheduled.get(request.file));
  scheduled.delete(request.file);
  try {
    connections.get(request.file)?.close();
  } finally {
    connections.delete(request.file);
    port.postMessage({ kind: "released", id: request.id } satisfies CheckpointerReply);
  }
});
