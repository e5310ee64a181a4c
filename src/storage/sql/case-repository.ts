import { NotFoundError, UsageError } from "../../core/errors.ts";
import {
  handlingCodes,
  tlpMarkings,
  type Case,
  type CaseListing,
  type HandlingCode,
  type NewCase,
  type TlpMarking,
} from "../records.ts";
import { ConflictError } from "../storage-errors.ts";
import type { CaseRepository } from "../store.ts";
import { toDate, toNumber, toNumberOrNull, toText, toTextOrNull } from "./rows.ts";
import { auditIn, type SqlContext } from "./sql-context.ts";
import { isRaceLost } from "./sql-errors.ts";
import { placeholders, type SqlExecutor, type SqlRow } from "./sql-executor.ts";

export function caseFromRow(row: SqlRow): Case {
  return {
    id: toNumber(row.id),
    organisationId: toNumber(row.organisation_id),
    reference: toText(row.reference),
    title: toText(row.title),
    marking: toText(row.marking) as TlpMarking,
    handling: toText(row.handling) as HandlingCode,
    sharingGroupId: toNumberOrNull(row.sharing_group_id),
    createdBy: toText(row.created_by),
    createdAt: toDate(row.created_at),
  };
}

function caseListingFromRow(row: SqlRow): CaseListing {
  return {
    caseId: toNumber(row.case_id),
    listingId: toNumber(row.listing_id),
    addedBy: toText(row.added_by),
    addedAt: toDate(row.added_at),
    note: toTextOrNull(row.note),
  };
}

// Printable, no spaces at either end; all digits is refused because a bare number names a listing on the CLI.
const referenceShape = /^[^\s\p{Cc}](?:[^\p{Cc}]{0,98}[^\s\p{Cc}])?$/u;
const maxTitleLength = 300;
const maxNoteLength = 2000;

/** Every problem with a new case at once, each naming its field. */
export function checkNewCase(newCase: NewCase): void {
  const problems: string[] = [];
  if (!referenceShape.test(newCase.reference))
    problems.push(`reference "${newCase.reference}": 1–100 printable characters, no spaces at either end`);
  else if (/^\d+$/.test(newCase.reference))
    problems.push(`reference "${newCase.reference}": all digits would read as a listing id; add a letter`);
  if (newCase.title.trim() === "" || newCase.title.length > maxTitleLength)
    problems.push(`title: 1–${maxTitleLength} characters`);
  if (newCase.marking !== undefined && !tlpMarkings.includes(newCase.marking))
    problems.push(`marking "${newCase.marking}": one of ${tlpMarkings.join(", ")} (TLP 2.0)`);
  if (newCase.handling !== undefined && !handlingCodes.includes(newCase.handling))
    problems.push(`handling "${newCase.handling}": one of ${handlingCodes.join(", ")}`);
  if (problems.length > 0) throw new UsageError("case_invalid", `case: ${problems.join("; ")}`);
}

export class SqlCaseRepository implements CaseRepository {
  readonly #db: SqlExecutor;
  readonly #context: SqlContext;

  constructor(db: SqlExecutor, context: SqlContext) {
    this.#db = db;
    this.#context = context;
  }

  async create(newCase: NewCase, actor: string): Promise<Case> {
    checkNewCase(newCase);
    const exists = () =>
      new ConflictError("case_exists", `the organisation already has a case "${newCase.reference}"`);
    try {
      return await this.#db.transaction(async (tx) => {
        const row = await tx.get(
          `INSERT INTO cases (organisation_id, reference, title, marking, handling, sharing_group_id, created_by,
             created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (organisation_id, reference) DO NOTHING RETURNING *`,
          [
            newCase.organisationId,
            newCase.reference,
            newCase.title.trim(),
            newCase.marking ?? "AMBER",
            newCase.handling ?? "H0",
            newCase.sharingGroupId ?? null,
            actor,
            this.#context.clock(),
          ],
        );
        if (row === undefined) throw exists();
        const created = caseFromRow(row);
        await auditIn(tx, this.#context, {
          organisationId: created.organisationId,
          actor,
          action: "case.created",
          subjectType: "case",
          subjectId: created.id,
          details: {
            reference: created.reference,
            title: created.title,
            marking: created.marking,
            handling: created.handling,
            sharingGroupId: created.sharingGroupId,
          },
        });
        return created;
      });
    } catch (error) {
      if (isRaceLost(error)) throw exists();
      throw error;
    }
  }

  async get(organisationId: number, reference: string): Promise<Case | null> {
    const row = await this.#db.get("SELECT * FROM cases WHERE organisation_id = ? AND reference = ?", [
      organisationId,
      reference,
    ]);
    return row ? caseFromRow(row) : null;
  }

  async list(organisationId: number): Promise<Case[]> {
    const rows = await this.#db.all("SELECT * FROM cases WHERE organisation_id = ? ORDER BY id DESC", [
      organisationId,
    ]);
    return rows.map(caseFromRow);
  }

  async addListings(
    caseId: number,
    listingIds: readonly number[],
    actor: string,
    note: string | null = null,
    options: { listingOrganisationIds?: readonly number[]; organisationId?: number } = {},
  ): Promise<CaseListing[]> {
    if (note !== null && note.length > maxNoteLength)
      throw new UsageError("case_note_too_long", `note: at most ${maxNoteLength} characters`);
    const ids = [...new Set(listingIds)];
    return this.#db.transaction(async (tx) => {
      const caseRow = await tx.get("SELECT * FROM cases WHERE id = ?", [caseId]);
      if (caseRow === undefined) throw new NotFoundError("case_not_found", `no case ${caseId}`);
      const owner = caseFromRow(caseRow);
      const organisations = options.listingOrganisationIds ?? [owner.organisationId];
      const found = new Set<number>();
      for (let start = 0; start < ids.length; start += 500) {
        const chunk = ids.slice(start, start + 500);
        const rows = await tx.all(
          `SELECT id FROM listings WHERE organisation_id IN (${placeholders(organisations.length)})
             AND id IN (${placeholders(chunk.length)})`,
          [...organisations, ...chunk],
        );
        for (const row of rows) found.add(toNumber(row.id));
      }
      const missing = ids.filter((id) => !found.has(id));
      if (missing.length > 0)
        throw new NotFoundError("listing_not_found", `no listing ${missing.join(", ")}`);
      const added: CaseListing[] = [];
      const addedAt = this.#context.clock();
      for (const listingId of ids) {
        const row = await tx.get(
          `INSERT INTO case_listings (case_id, listing_id, added_by, added_at, note) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (case_id, listing_id) DO NOTHING RETURNING *`,
          [caseId, listingId, actor, addedAt, note],
        );
        if (row !== undefined) added.push(caseListingFromRow(row));
      }
      if (added.length > 0)
        await auditIn(tx, this.#context, {
          organisationId: options.organisationId ?? owner.organisationId,
          actor,
          action: "case.listings_added",
          subjectType: "case",
          subjectId: caseId,
          details: { reference: owner.reference, listingIds: added.map((entry) => entry.listingId), note },
        });
      return added;
    });
  }

  async listings(caseId: number): Promise<CaseListing[]> {
    const rows = await this.#db.all(
      "SELECT * FROM case_listings WHERE case_id = ? ORDER BY added_at, listing_id",
      [caseId],
    );
    return rows.map(caseListingFromRow);
  }
}
