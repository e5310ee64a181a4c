import type { Migration } from "./migrations.ts";

/**
 * A share can be withdrawn, by the case's owner or the organisation that granted it, and with it every share passed
 * on from it. The row stays (who shared what, and when it ended, is part of a case's history); a withdrawn share
 * grants nothing.
 */
const sqlite = /* sql */ `
ALTER TABLE case_shares ADD COLUMN withdrawn_at INTEGER;
ALTER TABLE case_shares ADD COLUMN withdrawn_by TEXT;
`;

const postgres = /* sql */ `
ALTER TABLE case_shares ADD COLUMN withdrawn_at timestamptz;
ALTER TABLE case_shares ADD COLUMN withdrawn_by text;
`;

export const shareWithdrawal: Migration = { version: 13, name: "share-withdrawal", sqlite, postgres };
