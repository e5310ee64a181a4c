import type { Migration } from "./migrations.ts";

/**
 * The first schema. Both dialects have the same tables, columns and constraints; they differ in types only:
 * SQLite keeps timestamps as integer milliseconds since the epoch (UTC), JSON as text and booleans as 0/1, in STRICT
 * tables; PostgreSQL uses timestamptz, jsonb and boolean. Evidence, custody and audit rows are append-only: a
 * trigger refuses every UPDATE and DELETE (RELIABILITY.md E6, E7).
 */

const appendOnlyTables = ["captures", "custody_log", "audit_log"] as const;

const sqlite = /* sql */ `
CREATE TABLE organisations (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  organisation_id INTEGER NOT NULL REFERENCES organisations (id),
  email TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  disabled_at INTEGER
) STRICT;
CREATE INDEX users_organisation ON users (organisation_id);

CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY,
  organisation_id INTEGER NOT NULL REFERENCES organisations (id),
  user_id INTEGER REFERENCES users (id),
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_used_at INTEGER
) STRICT;
CREATE INDEX api_keys_organisation ON api_keys (organisation_id);

CREATE TABLE sources (
  id INTEGER PRIMARY KEY,
  organisation_id INTEGER NOT NULL REFERENCES organisations (id),
  slug TEXT NOT NULL,
  name TEXT NOT NULL,
  platform TEXT,
  base_url TEXT,
  config TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (organisation_id, slug)
) STRICT;

CREATE TABLE trawl_runs (
  id INTEGER PRIMARY KEY,
  organisation_id INTEGER NOT NULL REFERENCES organisations (id),
  source_id INTEGER NOT NULL REFERENCES sources (id),
  state TEXT NOT NULL CHECK (state IN ('running', 'finished', 'failed', 'cancelled')),
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  stats TEXT NOT NULL,
  error TEXT
) STRICT;
CREATE INDEX trawl_runs_source ON trawl_runs (source_id, id);

CREATE TABLE pages (
  id INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources (id),
  trawl_run_id INTEGER REFERENCES trawl_runs (id),
  url TEXT NOT NULL,
  final_url TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  content_type TEXT,
  fetched_at INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  byte_length INTEGER NOT NULL,
  warc_file TEXT NOT NULL,
  warc_offset INTEGER NOT NULL,
  warc_length INTEGER NOT NULL,
  UNIQUE (warc_file, warc_offset)
) STRICT;

CREATE TABLE listings (
  id INTEGER PRIMARY KEY,
  organisation_id INTEGER NOT NULL REFERENCES organisations (id),
  source_id INTEGER NOT NULL REFERENCES sources (id),
  listing_key TEXT NOT NULL,
  url TEXT NOT NULL,
  title TEXT,
  text TEXT NOT NULL,
  price_amount REAL,
  price_currency TEXT,
  seller TEXT,
  language TEXT,
  country TEXT,
  attributes TEXT NOT NULL,
  page_id INTEGER REFERENCES pages (id),
  first_seen_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  removed_at INTEGER,
  version INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  verdict TEXT CHECK (verdict IN ('offer', 'mention', 'none')),
  score REAL,
  detector_version TEXT,
  UNIQUE (source_id, listing_key)
) STRICT;
-- Filters on few-valued columns (verdict, appendix, organisation) have no index: a search walks the id order testing
-- each row and stops after a page, and an index would only slow every insert.
CREATE INDEX listings_language ON listings (language, id);
CREATE INDEX listings_country ON listings (country, id);

-- The search index holds tokens only (contentless): search-text.ts makes them, so both databases match alike.
CREATE VIRTUAL TABLE listings_fts USING fts5 (doc, content = '', contentless_delete = 1, tokenize = 'ascii');

-- A listing's history. The content columns hold superseded content only: the current version's content is the
-- listings row (most adverts never change, so storing it twice would double the table for nothing); they are
-- filled in from the listings row at the moment a change supersedes it.
CREATE TABLE listing_versions (
  listing_id INTEGER NOT NULL REFERENCES listings (id),
  version INTEGER NOT NULL,
  observed_at INTEGER NOT NULL,
  removed INTEGER NOT NULL CHECK (removed IN (0, 1)),
  content_hash TEXT NOT NULL,
  url TEXT,
  title TEXT,
  text TEXT,
  price_amount REAL,
  price_currency TEXT,
  seller TEXT,
  language TEXT,
  country TEXT,
  attributes TEXT,
  page_id INTEGER REFERENCES pages (id),
  PRIMARY KEY (listing_id, version)
) STRICT;

CREATE TABLE detections (
  id INTEGER PRIMARY KEY,
  listing_id INTEGER NOT NULL REFERENCES listings (id),
  listing_version INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  detector_version TEXT NOT NULL,
  taxa TEXT NOT NULL,
  score REAL NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('offer', 'mention', 'none')),
  reasons TEXT NOT NULL,
  detected_at INTEGER NOT NULL,
  UNIQUE (listing_id, content_hash, detector_version)
) STRICT;

-- The taxa of each listing's current detection, one row each, for the taxon and appendix filters.
CREATE TABLE listing_taxa (
  listing_id INTEGER NOT NULL REFERENCES listings (id),
  taxon_id INTEGER NOT NULL,
  scientific_name TEXT NOT NULL,
  name_key TEXT NOT NULL,
  appendix TEXT NOT NULL CHECK (appendix IN ('I', 'II', 'III')),
  PRIMARY KEY (listing_id, taxon_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX listing_taxa_name ON listing_taxa (name_key, listing_id);
CREATE INDEX listing_taxa_taxon ON listing_taxa (taxon_id, listing_id);

CREATE TABLE reviews (
  id INTEGER PRIMARY KEY,
  organisation_id INTEGER NOT NULL REFERENCES organisations (id),
  listing_id INTEGER NOT NULL REFERENCES listings (id),
  detection_id INTEGER REFERENCES detections (id),
  reviewer_id INTEGER NOT NULL REFERENCES users (id),
  verdict TEXT NOT NULL CHECK (verdict IN ('offer', 'mention', 'none')),
  note TEXT,
  reviewed_at INTEGER NOT NULL
) STRICT;
CREATE INDEX reviews_listing ON reviews (listing_id, id);

CREATE TABLE captures (
  id INTEGER PRIMARY KEY,
  organisation_id INTEGER NOT NULL REFERENCES organisations (id),
  listing_id INTEGER NOT NULL REFERENCES listings (id),
  page_id INTEGER REFERENCES pages (id),
  url TEXT NOT NULL,
  final_url TEXT,
  status TEXT NOT NULL CHECK (status IN ('complete', 'partial', 'failed')),
  failure_reason TEXT,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  warc_file TEXT,
  warc_offset INTEGER,
  warc_length INTEGER,
  files TEXT NOT NULL,
  provenance TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (listing_id, sha256)
) STRICT;

CREATE TABLE custody_log (
  id INTEGER PRIMARY KEY,
  capture_id INTEGER NOT NULL REFERENCES captures (id),
  organisation_id INTEGER NOT NULL REFERENCES organisations (id),
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  purpose TEXT,
  at INTEGER NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  entry_hash TEXT NOT NULL UNIQUE
) STRICT;
CREATE INDEX custody_log_capture ON custody_log (capture_id, id);

CREATE TABLE takedown_notices (
  id INTEGER PRIMARY KEY,
  organisation_id INTEGER NOT NULL REFERENCES organisations (id),
  listing_id INTEGER NOT NULL REFERENCES listings (id),
  platform TEXT NOT NULL,
  recipient TEXT,
  idempotency_key TEXT NOT NULL,
  state TEXT NOT NULL,
  details TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (organisation_id, idempotency_key)
) STRICT;
CREATE INDEX takedown_notices_listing ON takedown_notices (listing_id);

CREATE TABLE takedown_events (
  id INTEGER PRIMARY KEY,
  notice_id INTEGER NOT NULL REFERENCES takedown_notices (id),
  from_state TEXT,
  to_state TEXT NOT NULL,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  note TEXT
) STRICT;
CREATE INDEX takedown_events_notice ON takedown_events (notice_id, id);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  organisation_id INTEGER REFERENCES organisations (id),
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject_type TEXT,
  subject_id TEXT,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  entry_hash TEXT NOT NULL UNIQUE
) STRICT;
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id, id);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  queue TEXT NOT NULL,
  payload TEXT NOT NULL,
  priority INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'failed')),
  run_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  dedupe_key TEXT,
  lease_owner TEXT,
  lease_token TEXT,
  leased_until INTEGER,
  last_error_code TEXT,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER,
  UNIQUE (queue, dedupe_key)
) STRICT;
CREATE INDEX jobs_ready ON jobs (queue, priority DESC, run_at, id) WHERE state = 'pending';
CREATE INDEX jobs_leased ON jobs (leased_until) WHERE state = 'leased';
CREATE INDEX jobs_state ON jobs (queue, state);

${appendOnlyTables
  .map(
    (table) => `
CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table}
BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END;
CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table}
BEGIN SELECT RAISE(ABORT, '${table} is append-only'); END;`,
  )
  .join("\n")}
`;

const postgres = /* sql */ `
CREATE TABLE organisations (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  slug text NOT NULL UNIQUE,
  name text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE users (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  organisation_id bigint NOT NULL REFERENCES organisations (id),
  email text NOT NULL UNIQUE,
  display_name text NOT NULL,
  role text NOT NULL,
  created_at timestamptz NOT NULL,
  disabled_at timestamptz
);
CREATE INDEX users_organisation ON users (organisation_id);

CREATE TABLE api_keys (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  organisation_id bigint NOT NULL REFERENCES organisations (id),
  user_id bigint REFERENCES users (id),
  name text NOT NULL,
  prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  scopes jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz,
  last_used_at timestamptz
);
CREATE INDEX api_keys_organisation ON api_keys (organisation_id);

CREATE TABLE sources (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  organisation_id bigint NOT NULL REFERENCES organisations (id),
  slug text NOT NULL,
  name text NOT NULL,
  platform text,
  base_url text,
  config jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (organisation_id, slug)
);

CREATE TABLE trawl_runs (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  organisation_id bigint NOT NULL REFERENCES organisations (id),
  source_id bigint NOT NULL REFERENCES sources (id),
  state text NOT NULL CHECK (state IN ('running', 'finished', 'failed', 'cancelled')),
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  stats jsonb NOT NULL,
  error text
);
CREATE INDEX trawl_runs_source ON trawl_runs (source_id, id);

CREATE TABLE pages (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  source_id bigint NOT NULL REFERENCES sources (id),
  trawl_run_id bigint REFERENCES trawl_runs (id),
  url text NOT NULL,
  final_url text NOT NULL,
  status_code integer NOT NULL,
  content_type text,
  fetched_at timestamptz NOT NULL,
  sha256 text NOT NULL,
  byte_length bigint NOT NULL,
  warc_file text NOT NULL,
  warc_offset bigint NOT NULL,
  warc_length bigint NOT NULL,
  UNIQUE (warc_file, warc_offset)
);

CREATE TABLE listings (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  organisation_id bigint NOT NULL REFERENCES organisations (id),
  source_id bigint NOT NULL REFERENCES sources (id),
  listing_key text COLLATE "C" NOT NULL,
  url text NOT NULL,
  title text,
  text text NOT NULL,
  price_amount double precision,
  price_currency text,
  seller text,
  language text,
  country text,
  attributes jsonb NOT NULL,
  page_id bigint REFERENCES pages (id),
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  removed_at timestamptz,
  version integer NOT NULL,
  content_hash text NOT NULL,
  verdict text CHECK (verdict IN ('offer', 'mention', 'none')),
  score double precision,
  detector_version text,
  -- Tokens and positions made by search-text.ts, so both databases match alike.
  search_vector tsvector NOT NULL,
  UNIQUE (source_id, listing_key)
);
-- Filters on few-valued columns (verdict, appendix, organisation) have no index: a search walks the id order testing
-- each row and stops after a page, and an index would only slow every insert.
CREATE INDEX listings_language ON listings (language, id);
CREATE INDEX listings_country ON listings (country, id);
CREATE INDEX listings_search ON listings USING gin (search_vector);

-- Content columns hold superseded content only; the current version's content is the listings row.
CREATE TABLE listing_versions (
  listing_id bigint NOT NULL REFERENCES listings (id),
  version integer NOT NULL,
  observed_at timestamptz NOT NULL,
  removed boolean NOT NULL,
  content_hash text NOT NULL,
  url text,
  title text,
  text text,
  price_amount double precision,
  price_currency text,
  seller text,
  language text,
  country text,
  attributes jsonb,
  page_id bigint REFERENCES pages (id),
  PRIMARY KEY (listing_id, version)
);

CREATE TABLE detections (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  listing_id bigint NOT NULL REFERENCES listings (id),
  listing_version integer NOT NULL,
  content_hash text NOT NULL,
  detector_version text NOT NULL,
  taxa jsonb NOT NULL,
  score double precision NOT NULL,
  verdict text NOT NULL CHECK (verdict IN ('offer', 'mention', 'none')),
  reasons jsonb NOT NULL,
  detected_at timestamptz NOT NULL,
  UNIQUE (listing_id, content_hash, detector_version)
);

CREATE TABLE listing_taxa (
  listing_id bigint NOT NULL REFERENCES listings (id),
  taxon_id bigint NOT NULL,
  scientific_name text NOT NULL,
  -- Byte order, so "loxodonta " to "loxodonta!" is exactly the genus's species whatever the database's locale.
  name_key text COLLATE "C" NOT NULL,
  appendix text NOT NULL CHECK (appendix IN ('I', 'II', 'III')),
  PRIMARY KEY (listing_id, taxon_id)
);
CREATE INDEX listing_taxa_name ON listing_taxa (name_key, listing_id);
CREATE INDEX listing_taxa_taxon ON listing_taxa (taxon_id, listing_id);

CREATE TABLE reviews (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  organisation_id bigint NOT NULL REFERENCES organisations (id),
  listing_id bigint NOT NULL REFERENCES listings (id),
  detection_id bigint REFERENCES detections (id),
  reviewer_id bigint NOT NULL REFERENCES users (id),
  verdict text NOT NULL CHECK (verdict IN ('offer', 'mention', 'none')),
  note text,
  reviewed_at timestamptz NOT NULL
);
CREATE INDEX reviews_listing ON reviews (listing_id, id);

CREATE TABLE captures (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  organisation_id bigint NOT NULL REFERENCES organisations (id),
  listing_id bigint NOT NULL REFERENCES listings (id),
  page_id bigint REFERENCES pages (id),
  url text NOT NULL,
  final_url text,
  status text NOT NULL CHECK (status IN ('complete', 'partial', 'failed')),
  failure_reason text,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  sha256 text NOT NULL,
  warc_file text,
  warc_offset bigint,
  warc_length bigint,
  files jsonb NOT NULL,
  provenance jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  UNIQUE (listing_id, sha256)
);

CREATE TABLE custody_log (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  capture_id bigint NOT NULL REFERENCES captures (id),
  organisation_id bigint NOT NULL REFERENCES organisations (id),
  actor text NOT NULL,
  action text NOT NULL,
  purpose text,
  at timestamptz NOT NULL,
  details jsonb NOT NULL,
  prev_hash text NOT NULL,
  entry_hash text NOT NULL UNIQUE
);
CREATE INDEX custody_log_capture ON custody_log (capture_id, id);

CREATE TABLE takedown_notices (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  organisation_id bigint NOT NULL REFERENCES organisations (id),
  listing_id bigint NOT NULL REFERENCES listings (id),
  platform text NOT NULL,
  recipient text,
  idempotency_key text NOT NULL,
  state text NOT NULL,
  details jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (organisation_id, idempotency_key)
);
CREATE INDEX takedown_notices_listing ON takedown_notices (listing_id);

CREATE TABLE takedown_events (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  notice_id bigint NOT NULL REFERENCES takedown_notices (id),
  from_state text,
  to_state text NOT NULL,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  note text
);
CREATE INDEX takedown_events_notice ON takedown_events (notice_id, id);

CREATE TABLE audit_log (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL,
  organisation_id bigint REFERENCES organisations (id),
  actor text NOT NULL,
  action text NOT NULL,
  subject_type text,
  subject_id text,
  details jsonb NOT NULL,
  prev_hash text NOT NULL,
  entry_hash text NOT NULL UNIQUE
);
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id, id);

CREATE TABLE jobs (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  queue text NOT NULL,
  payload jsonb NOT NULL,
  priority integer NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'failed')),
  run_at timestamptz NOT NULL,
  attempts integer NOT NULL,
  max_attempts integer NOT NULL,
  dedupe_key text,
  lease_owner text,
  lease_token text,
  leased_until timestamptz,
  last_error_code text,
  last_error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz,
  UNIQUE (queue, dedupe_key)
);
CREATE INDEX jobs_ready ON jobs (queue, priority DESC, run_at, id) WHERE state = 'pending';
CREATE INDEX jobs_leased ON jobs (leased_until) WHERE state = 'leased';
CREATE INDEX jobs_state ON jobs (queue, state);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
${appendOnlyTables
  .map(
    (table) => `
CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();`,
  )
  .join("\n")}
`;

export const initial: Migration = { version: 1, name: "initial", sqlite, postgres };
