import { randomUUID } from "node:crypto";
import type {
  ClaimedJob,
  EnqueueResult,
  Job,
  JobCounts,
  JobFailure,
  JobLease,
  JobState,
  NewJob,
} from "../records.ts";
import { LeaseLostError } from "../storage-errors.ts";
import type { JobQueue } from "../store.ts";
import { clampLimit } from "./audit-repository.ts";
import {
  byClaimOrder,
  claimedJobFromRow,
  countsFromRows,
  defaultMaxAttempts,
  jobFromRow,
  maxErrorLength,
  validateClaim,
  validateNewJob,
} from "./job-rows.ts";
import { jsonParam } from "./rows.ts";
import { placeholders, type SqlExecutor, type SqlParam } from "./sql-executor.ts";

/**
 * How each database tells the time for leases. Every machine sharing a PostgreSQL must agree on when a lease
 * expires, so PostgreSQL uses its own clock (`now()`); SQLite is one file on one machine and uses the process clock.
 */
export interface JobDialect {
  /** SQL for the current instant. */
  readonly now: string;
  /** SQL for the current instant plus the milliseconds in the placeholder `param`. */
  plusMs(param: string): string;
  /** What makes the claim's inner SELECT skip rows other claimers hold ("FOR UPDATE SKIP LOCKED" on PostgreSQL). */
  readonly claimLocking: string;
}

/** The queue's SQL is shared; only the clock and the claim's row locking differ by database. */
export class SqlJobQueue implements JobQueue {
  readonly #db: SqlExecutor;
  readonly #dialect: JobDialect;

  constructor(db: SqlExecutor, dialect: JobDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async enqueue(job: NewJob): Promise<EnqueueResult> {
    validateNewJob(job);
    const { now, plusMs } = this.#dialect;
    const dedupeKey = job.dedupeKey ?? null;
    const inserted = await this.#db.get(
      `INSERT INTO jobs (queue, payload, priority, state, run_at, attempts, max_attempts, dedupe_key, created_at,
         updated_at)
       VALUES (?, ?, ?, 'pending', COALESCE(?, ${plusMs("?")}), 0, ?, ?, ${now}, ${now})
       ON CONFLICT (queue, dedupe_key) DO NOTHING RETURNING *`,
      [
        job.queue,
        jsonParam(job.payload ?? null),
        job.priority ?? 0,
        job.runAt ?? null,
        job.delayMs ?? 0,
        job.maxAttempts ?? defaultMaxAttempts,
        dedupeKey,
      ],
    );
    if (inserted !== undefined) return { job: jobFromRow(inserted), created: true };
    const existing = await this.#db.get("SELECT * FROM jobs WHERE queue = ? AND dedupe_key = ?", [
      job.queue,
      dedupeKey,
    ]);
    return { job: jobFromRow(existing!), created: false };
  }

  async enqueueMany(jobs: readonly NewJob[]): Promise<EnqueueResult[]> {
    jobs.forEach(validateNewJob);
    return this.#db.transaction(async (tx) => {
      const queue = new SqlJobQueue(tx, this.#dialect);
      const results: EnqueueResult[] = [];
      for (const job of jobs) results.push(await queue.enqueue(job));
      return results;
    });
  }

  async claim(options: {
    queues: readonly string[];
    workerId: string;
    leaseMs: number;
    limit?: number;
  }): Promise<ClaimedJob[]> {
    const limit = validateClaim(options);
    const { now, plusMs, claimLocking } = this.#dialect;
    // One token per claim: with the job id it names this lease and no other, so a reclaimed lease cannot be acted on.
    const token = randomUUID();
    const rows = await this.#db.all(
      `WITH picked AS (
         SELECT id FROM jobs
         WHERE state = 'pending' AND queue IN (${placeholders(options.queues.length)}) AND run_at <= ${now}
         ORDER BY priority DESC, run_at, id
         LIMIT ? ${claimLocking}
       )
       UPDATE jobs SET state = 'leased', attempts = attempts + 1, lease_owner = ?, lease_token = ?,
         leased_until = ${plusMs("?")}, updated_at = ${now}
       WHERE id IN (SELECT id FROM picked)
       RETURNING *`,
      [...options.queues, limit, options.workerId, token, options.leaseMs],
    );
    return rows.map(claimedJobFromRow).sort(byClaimOrder);
  }

  async heartbeat(lease: JobLease, leaseMs: number): Promise<void> {
    const { now, plusMs } = this.#dialect;
    const changed = await this.#db.run(
      `UPDATE jobs SET leased_until = ${plusMs("?")}, updated_at = ${now}
       WHERE id = ? AND state = 'leased' AND lease_token = ?`,
      [leaseMs, lease.id, lease.leaseToken],
    );
    if (changed === 0) throw new LeaseLostError(lease.id);
  }

  async complete(lease: JobLease): Promise<void> {
    const { now } = this.#dialect;
    const changed = await this.#db.run(
      `UPDATE jobs SET state = 'done', leased_until = NULL, finished_at = ${now}, updated_at = ${now}
       WHERE id = ? AND state = 'leased' AND lease_token = ?`,
      [lease.id, lease.leaseToken],
    );
    if (changed === 0) throw new LeaseLostError(lease.id);
  }

  async fail(
    lease: JobLease,
    failure: JobFailure,
    options: { retryDelayMs: number; permanent?: boolean },
  ): Promise<"pending" | "failed"> {
    const { now, plusMs } = this.#dialect;
    const giveUp = `(? OR attempts >= max_attempts)`;
    const permanent = options.permanent === true;
    const row = await this.#db.get<{ state: string }>(
      `UPDATE jobs SET
         state = CASE WHEN ${giveUp} THEN 'failed' ELSE 'pending' END,
         run_at = CASE WHEN ${giveUp} THEN run_at ELSE ${plusMs("?")} END,
         finished_at = CASE WHEN ${giveUp} THEN ${now} ELSE NULL END,
         leased_until = NULL, lease_token = NULL, last_error_code = ?, last_error = ?, updated_at = ${now}
       WHERE id = ? AND state = 'leased' AND lease_token = ?
       RETURNING state`,
      [
        permanent,
        permanent,
        Math.max(0, options.retryDelayMs),
        permanent,
        failure.code,
        failure.message.slice(0, maxErrorLength),
        lease.id,
        lease.leaseToken,
      ],
    );
    if (row === undefined) throw new LeaseLostError(lease.id);
    return row.state as "pending" | "failed";
  }

  async release(lease: JobLease): Promise<void> {
    const { now } = this.#dialect;
    const changed = await this.#db.run(
      `UPDATE jobs SET state = 'pending', attempts = attempts - 1, lease_owner = NULL, lease_token = NULL,
         leased_until = NULL, updated_at = ${now}
       WHERE id = ? AND state = 'leased' AND lease_token = ?`,
      [lease.id, lease.leaseToken],
    );
    if (changed === 0) throw new LeaseLostError(lease.id);
  }

  async reclaimExpired(): Promise<number> {
    const { now } = this.#dialect;
    const usedUp = "attempts >= max_attempts";
    return this.#db.run(
      `UPDATE jobs SET
         state = CASE WHEN ${usedUp} THEN 'failed' ELSE 'pending' END,
         finished_at = CASE WHEN ${usedUp} THEN ${now} ELSE NULL END,
         last_error_code = 'lease_expired',
         last_error = 'the lease of ' || COALESCE(lease_owner, 'a worker') || ' expired before the job finished',
         lease_token = NULL, leased_until = NULL, run_at = ${now}, updated_at = ${now}
       WHERE state = 'leased' AND leased_until <= ${now}`,
    );
  }

  async requeueFailed(options: { queue?: string; ids?: readonly number[] } = {}): Promise<number> {
    const { now } = this.#dialect;
    const conditions = ["state = 'failed'"];
    const params: SqlParam[] = [];
    if (options.queue !== undefined) {
      conditions.push("queue = ?");
      params.push(options.queue);
    }
    if (options.ids !== undefined) {
      if (options.ids.length === 0) return 0;
      conditions.push(`id IN (${placeholders(options.ids.length)})`);
      params.push(...options.ids);
    }
    return this.#db.run(
      `UPDATE jobs SET state = 'pending', attempts = 0, run_at = ${now}, finished_at = NULL, updated_at = ${now}
       WHERE ${conditions.join(" AND ")}`,
      params,
    );
  }

  async get(id: number): Promise<Job | null> {
    const row = await this.#db.get("SELECT * FROM jobs WHERE id = ?", [id]);
    return row ? jobFromRow(row) : null;
  }

  async counts(queue?: string): Promise<JobCounts> {
    const rows =
      queue === undefined
        ? await this.#db.all("SELECT state, COUNT(*) AS count FROM jobs GROUP BY state")
        : await this.#db.all("SELECT state, COUNT(*) AS count FROM jobs WHERE queue = ? GROUP BY state", [
            queue,
          ]);
    return countsFromRows(rows);
  }

  async list(options: {
    queue?: string;
    state?: JobState;
    limit?: number;
    afterId?: number;
  }): Promise<Job[]> {
    const conditions = ["id > ?"];
    const params: SqlParam[] = [options.afterId ?? 0];
    if (options.queue !== undefined) {
      conditions.push("queue = ?");
      params.push(options.queue);
    }
    if (options.state !== undefined) {
      conditions.push("state = ?");
      params.push(options.state);
    }
    params.push(clampLimit(options.limit, 100, 10_000));
    const rows = await this.#db.all(
      `SELECT * FROM jobs WHERE ${conditions.join(" AND ")} ORDER BY id LIMIT ?`,
      params,
    );
    return rows.map(jobFromRow);
  }
}
