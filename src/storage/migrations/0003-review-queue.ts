import type { Migration } from "./migrations.ts";

/**
 * Review verdicts become the issue's four (illegal_offer, legal_offer, not_wildlife, unsure), listings can be
 * assigned to reviewers, and the review queue gets its indexes.
 *
 * Verdicts recorded before this migration used the detector's scale and are mapped: "offer" → illegal_offer (the
 * reviewer confirmed an offer of a listed taxon; the old scale had no lawful offer), "none" → not_wildlife, and
 * "mention" → unsure (wildlife, but the new scale cannot say more). The note of a mapped verdict says what it was,
 * and the audit log keeps the original entry.
 *
 * SQLite cannot change a CHECK constraint in place, so its reviews table is rebuilt with the same columns.
 */

const mappedVerdict = `CASE verdict WHEN 'offer' THEN 'illegal_offer' WHEN 'none' THEN 'not_wildlife' ELSE 'unsure' END`;
const mappedNote = `CASE WHEN note IS NULL OR note = '' THEN '' ELSE note || ' ' END
  || '(verdict "' || verdict || '" before review verdicts changed)'`;

// "Has the organisation reviewed this listing, and what is its latest verdict": two equalities, so that SQLite
// prefers this index to the organisation's (without statistics it took the latter and scanned every verdict of the
// organisation for each listing in the queue). The precision report reads an organisation's verdicts by date.
const reviewIndexes = `CREATE INDEX reviews_listing_organisation ON reviews (listing_id, organisation_id, id);
CREATE INDEX reviews_organisation ON reviews (organisation_id, reviewed_at);`;

// The queue walks an organisation's detected listings by score, highest first, and stops after a page; a filter on
// source, language or country walks its own index in the same order (walking the whole order and testing each row
// took 100–300 ms for a common value on 100,000 listings, and the planner preferred the old (country, id) indexes
// and then sorted every match).
const queueIndexes = ["", "source_id", "language", "country"]
  .map(
    (column) =>
      `CREATE INDEX listings_review_order${column ? `_${column.replace("_id", "")}` : ""} ON listings ` +
      `(organisation_id, ${column ? `${column}, ` : ""}score DESC, id DESC) WHERE score IS NOT NULL;`,
  )
  .join("\n");

const sqlite = /* sql */ `
CREATE TABLE reviews_new (
  id INTEGER PRIMARY KEY,
  organisation_id INTEGER NOT NULL REFERENCES organisations (id),
  listing_id INTEGER NOT NULL REFERENCES listings (id),
  detection_id INTEGER REFERENCES detections (id),
  reviewer_id INTEGER NOT NULL REFERENCES users (id),
  verdict TEXT NOT NULL CHECK (verdict IN ('illegal_offer', 'legal_offer', 'not_wildlife', 'unsure')),
  note TEXT,
  reviewed_at INTEGER NOT NULL
) STRICT;
INSERT INTO reviews_new (id, organisation_id, listing_id, detection_id, reviewer_id, verdict, note, reviewed_at)
SELECT id, organisation_id, listing_id, detection_id, reviewer_id, ${mappedVerdict}, ${mappedNote}, reviewed_at
FROM reviews;
DROP TABLE reviews;
ALTER TABLE reviews_new RENAME TO reviews;
CREATE INDEX reviews_listing ON reviews (listing_id, id);
${reviewIndexes}

-- The current assignment only: its history is the audit log.
CREATE TABLE review_assignments (
  organisation_id INTEGER NOT NULL REFERENCES organisations (id),
  listing_id INTEGER NOT NULL REFERENCES listings (id),
  user_id INTEGER NOT NULL REFERENCES users (id),
  assigned_by TEXT NOT NULL,
  assigned_at INTEGER NOT NULL,
  PRIMARY KEY (organisation_id, listing_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX review_assignments_user ON review_assignments (organisation_id, user_id, listing_id);

${queueIndexes}
`;

const postgres = /* sql */ `
ALTER TABLE reviews DROP CONSTRAINT reviews_verdict_check;
UPDATE reviews SET note = ${mappedNote}, verdict = ${mappedVerdict};
ALTER TABLE reviews ADD CONSTRAINT reviews_verdict_check
  CHECK (verdict IN ('illegal_offer', 'legal_offer', 'not_wildlife', 'unsure'));
${reviewIndexes}

CREATE TABLE review_assignments (
  organisation_id bigint NOT NULL REFERENCES organisations (id),
  listing_id bigint NOT NULL REFERENCES listings (id),
  user_id bigint NOT NULL REFERENCES users (id),
  assigned_by text NOT NULL,
  assigned_at timestamptz NOT NULL,
  PRIMARY KEY (organisation_id, listing_id)
);
CREATE INDEX review_assignments_user ON review_assignments (organisation_id, user_id, listing_id);

${queueIndexes}
`;

export const reviewQueue: Migration = { version: 3, name: "review-queue", sqlite, postgres };
