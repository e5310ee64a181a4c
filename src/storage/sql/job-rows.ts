import { UsageError } from "../../core/errors.ts";
import type { ClaimedJob, Job, JobCounts, JobState, NewJob } from "../records.ts";
import { toDate, toDateOrNull, toJson, toNumber, toText, toTextOrNull } from "./rows.ts";
import type { SqlRow } from "./sql-executor.ts";

export function jobFromRow(row: SqlRow): Job {
  return {
    id: toNumber(row.id),
    queue: toText(row.queue),
    payload: toJson(row.payload),
    priority: toNumber(row.priority),
    state: toText(row.state) as JobState,
    runAt: toDate(row.run_at),
    attempts: toNumber(row.attempts),
    maxAttempts: toNumber(row.max_attempts),
    dedupeKey: toTextOrNull(row.dedupe_key),
    leaseOwner: toTextOrNull(row.lease_owner),
    leasedUntil: toDateOrNull(row.leased_until),
    lastErrorCode: toTextOrNull(row.last_error_code),
    lastError: toTextOrNull(row.last_error),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    finishedAt: toDateOrNull(row.finished_at),
  };
}

export function claimedJobFromRow(row: SqlRow): ClaimedJob {
  return { ...jobFromRow(row), leaseToken: toText(row.lease_token) };
}

/** Highest priority first, then the one that has waited longest: the order claims honour. */
export function byClaimOrder(a: Job, b: Job): number {
  return b.priority - a.priority || a.runAt.getTime() - b.runAt.getTime() || a.id - b.id;
}

export function countsFromRows(rows: readonly SqlRow[]): JobCounts {
  const counts = { pending: 0, leased: 0, done: 0, failed: 0 };
  for (const row of rows) counts[toText(row.state) as JobState] = toNumber(row.count);
  return counts;
}

export const defaultMaxAttempts = 3;

/** Error text is kept whole enough to diagnose, short enough not to bloat the table. */
export const maxErrorLength = 4000;

export function validateNewJob(job: NewJob): void {
  if (!/^[a-z][a-z0-9._-]{0,63}$/.test(job.queue)) {
    throw new UsageError(
      "job_queue_invalid",
      `queue "${job.queue}": a-z, 0-9, ".", "_", "-", starting with a letter`,
    );
  }
  if (job.maxAttempts !== undefined && !(Number.isSafeInteger(job.maxAttempts) && job.maxAttempts >= 1)) {
    throw new UsageError(
      "job_max_attempts_invalid",
      `maxAttempts ${job.maxAttempts}: a whole number, at least 1`,
    );
  }
  if (
    job.priority !== undefined &&
    !(Number.isSafeInteger(job.priority) && Math.abs(job.priority) <= 1_000_000)
  ) {
    throw new UsageError(
      "job_priority_invalid",
      `priority ${job.priority}: a whole number within ±1,000,000`,
    );
  }
  if (job.delayMs !== undefined && !(job.delayMs >= 0 && Number.isFinite(job.delayMs))) {
    throw new UsageError("job_delay_invalid", `delayMs ${job.delayMs}: zero or more`);
  }
}

export function validateClaim(options: {
  queues: readonly string[];
  leaseMs: number;
  limit?: number;
}): number {
  if (options.queues.length === 0)
    throw new UsageError("job_queues_missing", "claim: name at least one queue");
  if (!(options.leaseMs >= 1 && Number.isFinite(options.leaseMs))) {
    throw new UsageError("job_lease_invalid", `leaseMs ${options.leaseMs}: at least 1`);
  }
  const limit = options.limit ?? 1;
  if (!(Number.isSafeInteger(limit) && limit >= 1 && limit <= 1000)) {
    throw new UsageError("job_limit_invalid", `limit ${limit}: 1 to 1000`);
  }
  return limit;
}
