import type { Migration } from "./migrations.ts";

/**
 * Statistics of flagged offers (sql/statistics-repository.ts) read only listings whose current detection is an
 * offer, by organisation and first sighting. A partial index holds exactly those rows and every column the counts
 * group by, so a count over 100,000 listings reads the index alone; it costs nothing on the many listings that are
 * not offers.
 */

const sqlite = /* sql */ `
CREATE INDEX listings_offers ON listings (organisation_id, first_seen_at, source_id, country, language)
  WHERE verdict = 'offer';
`;

const postgres = /* sql */ `
CREATE INDEX listings_offers ON listings (organisation_id, first_seen_at)
  INCLUDE (source_id, country, language, content_hash, detector_version)
  WHERE verdict = 'offer';
`;

export const statistics: Migration = { version: 6, name: "statistics", sqlite, postgres };
