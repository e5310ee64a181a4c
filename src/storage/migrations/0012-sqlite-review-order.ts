import type { Migration } from "./migrations.ts";

/**
 * SQLite keeps one review-queue index, not four. Each listing ingested went into all four at a random place (they
 * are ordered by score), so a batch of 1,000 dirtied about 1,700 pages of them, two thirds of what the batch wrote
 * to the WAL and most of ingestion's time. A queue filtered by source, language or country now walks the
 * organisation's score order and tests each listing, which stops after a page (review-repository.ts).
 * PostgreSQL keeps its four: its planner needs them, and its ingestion is not bound by them.
 */
const sqlite = /* sql */ `
DROP INDEX listings_review_order_source;
DROP INDEX listings_review_order_language;
DROP INDEX listings_review_order_country;
`;

export const sqliteReviewOrder: Migration = {
  version: 12,
  name: "sqlite-review-order",
  sqlite,
  postgres: "",
};
