import { WildtrawlError } from "../core/errors.ts";

/**
 * The database cannot be reached or is busy right now: a restart, a network fault, a lock held too long. Retrying
 * later is right; the operation did not happen, or (if the fault hit during commit) its outcome is unknown, which
 * is why the writes that matter are idempotent.
 */
export class StorageUnavailableError extends WildtrawlError {
  readonly retryable = true;
}

/**
 * The database is there but is not one wildtrawl can use: not a database at all, another application's, corrupt,
 * or migrated by a newer wildtrawl. Retrying does not help; a person has to look.
 */
export class StorageUnusableError extends WildtrawlError {
  readonly retryable = false;
}

/** The write contradicts what is stored: a duplicate, or a state that moved on. */
export class ConflictError extends WildtrawlError {
  readonly retryable = false;
}

/**
 * A worker acted on a job whose lease it no longer holds (it expired and another worker reclaimed it). Whatever it
 * tried to write with the job was rolled back; the job's current holder will do the work.
 */
export class LeaseLostError extends WildtrawlError {
  readonly retryable = false;
  constructor(jobId: number) {
    super("job_lease_lost", `job ${jobId}: the lease is no longer held by this worker`);
  }
}
