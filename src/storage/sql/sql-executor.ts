/**
 * The narrow slice of a database the shared repositories use. SQL is written with `?` placeholders, in the subset
 * SQLite and PostgreSQL share (ON CONFLICT, RETURNING, partial indexes); each dialect's executor adapts the rest:
 * placeholders, Date and boolean parameters, and how a transaction is held.
 */
export type SqlParam = string | number | boolean | null | Date;

export type SqlRow = Record<string, unknown>;

export interface SqlExecutor {
  readonly dialect: "sqlite" | "postgres";
  all<Row = SqlRow>(sql: string, params?: readonly SqlParam[]): Promise<Row[]>;
  get<Row = SqlRow>(sql: string, params?: readonly SqlParam[]): Promise<Row | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly SqlParam[]): Promise<number>;
  /**
   * Runs `work` atomically. Inside a transaction this nests as a savepoint, so a repository method can always ask
   * for atomicity whether or not its caller already holds a transaction.
   */
  transaction<T>(work: (db: SqlExecutor) => Promise<T>): Promise<T>;
  /** True inside `transaction`: writes here commit with the caller's other writes. */
  readonly inTransaction: boolean;
}

/** `?, ?, ?` for an IN list. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => "?").join(", ");
}
