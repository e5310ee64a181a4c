import { UsageError } from "../../core/errors.ts";
import type { Platform, PlatformInput } from "../records.ts";
import { ConflictError } from "../storage-errors.ts";
import type { PlatformRepository } from "../store.ts";
import { isRaceLost } from "./sql-errors.ts";
import { jsonParam, toBool, toDate, toJson, toNumber, toText, toTextOrNull } from "./rows.ts";
import { auditIn, type SqlContext } from "./sql-context.ts";
import type { SqlExecutor, SqlParam, SqlRow } from "./sql-executor.ts";

function platformFromRow(row: SqlRow): Platform {
  const countries = toJson(row.countries);
  return {
    id: toNumber(row.id),
    organisationId: toNumber(row.organisation_id),
    slug: toText(row.slug),
    name: toText(row.name),
    countries: Array.isArray(countries) ? countries.filter((c) => typeof c === "string") : [],
    channels: {
      email: toTextOrNull(row.email),
      webFormUrl: toTextOrNull(row.web_form_url),
      apiEndpoint: toTextOrNull(row.api_endpoint),
    },
    legalBases: {
      nationalLaw: toTextOrNull(row.national_law),
      policyUrl: toTextOrNull(row.policy_url),
      dsaArticle16: toBool(row.dsa_article_16),
      trustedFlagger: toTextOrNull(row.trusted_flagger),
    },
    defaultLanguage: toText(row.default_language),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

const slugShape = /^[a-z0-9][a-z0-9-]{0,62}$/;
const countryShape = /^[A-Z]{2}$/;
const languageShape = /^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;
// The domain holds a dot that is neither its first nor its last character; spelt so that no two parts can
// trade the same dots back and forth.
const emailShape = /^[^\s@<>",;]+@[^\s@<>",;][^\s@<>",;.]*\.[^\s@<>",;]+$/;

/** Every problem with a profile at once, each naming its field. */
function checkPlatform(platform: PlatformInput): void {
  const problems: string[] = [];
  if (!slugShape.test(platform.slug))
    problems.push(`slug "${platform.slug}": lower case, digits and hyphens`);
  if (platform.name.trim().length === 0 || platform.name.length > 200)
    problems.push("name: 1–200 characters");
  for (const country of platform.countries ?? [])
    if (!countryShape.test(country))
      problems.push(`countries: "${country}" is not ISO 3166-1 alpha-2 (e.g. FR)`);
  const { email, webFormUrl, apiEndpoint } = platform.channels ?? {};
  if (email != null && !emailShape.test(email))
    problems.push(`channels.email: "${email}" is not an e-mail address`);
  for (const [field, url] of [
    ["channels.webFormUrl", webFormUrl],
    ["channels.apiEndpoint", apiEndpoint],
    ["legalBases.policyUrl", platform.legalBases?.policyUrl],
  ] as const) {
    if (url != null && !isHttpUrl(url)) problems.push(`${field}: "${url}" is not an http(s) URL`);
  }
  if (platform.defaultLanguage !== undefined && !languageShape.test(platform.defaultLanguage))
    problems.push(`defaultLanguage: "${platform.defaultLanguage}" is not a language tag (e.g. en, fr)`);
  if (problems.length > 0)
    throw new UsageError("platform_invalid", `platform ${platform.slug}: ${problems.join("; ")}`);
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

function columnsOf(platform: PlatformInput): SqlParam[] {
  return [
    platform.name.trim(),
    jsonParam([...new Set(platform.countries ?? [])]),
    platform.channels?.email ?? null,
    platform.channels?.webFormUrl ?? null,
    platform.channels?.apiEndpoint ?? null,
    platform.legalBases?.nationalLaw ?? null,
    platform.legalBases?.policyUrl ?? null,
    platform.legalBases?.dsaArticle16 ?? false,
    platform.legalBases?.trustedFlagger ?? null,
    platform.defaultLanguage ?? "en",
  ];
}

const columns =
  "name, countries, email, web_form_url, api_endpoint, national_law, policy_url, dsa_article_16, trusted_flagger, default_language";

export class SqlPlatformRepository implements PlatformRepository {
  readonly #db: SqlExecutor;
  readonly #context: SqlContext;

  constructor(db: SqlExecutor, context: SqlContext) {
    this.#db = db;
    this.#context = context;
  }

  async create(platform: PlatformInput, actor: string): Promise<Platform> {
    checkPlatform(platform);
    try {
      return await this.#db.transaction(async (tx) => {
        const created = await this.#insert(tx, platform, actor);
        if (created === null) throw exists(platform.slug);
        return created;
      });
    } catch (error) {
      if (isRaceLost(error)) throw exists(platform.slug);
      throw error;
    }
  }

  async save(platform: PlatformInput, actor: string): Promise<{ platform: Platform; created: boolean }> {
    checkPlatform(platform);
    return this.#db.transaction(async (tx) => {
      const now = this.#context.clock();
      const updated = await tx.get(
        `UPDATE platforms SET (${columns}, updated_at) = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         WHERE organisation_id = ? AND slug = ? RETURNING *`,
        [...columnsOf(platform), now, platform.organisationId, platform.slug],
      );
      if (updated !== undefined) {
        const saved = platformFromRow(updated);
        await this.#audit(tx, saved, "platform.updated", actor);
        return { platform: saved, created: false };
      }
      const created = await this.#insert(tx, platform, actor);
      // Only a concurrent create can make the insert find the slug taken after the update found nothing.
      if (created === null) throw exists(platform.slug);
      return { platform: created, created: true };
    });
  }

  /** The new platform, or null if the slug is taken. */
  async #insert(tx: SqlExecutor, platform: PlatformInput, actor: string): Promise<Platform | null> {
    const now = this.#context.clock();
    const row = await tx.get(
      `INSERT INTO platforms (organisation_id, slug, ${columns}, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (organisation_id, slug) DO NOTHING RETURNING *`,
      [platform.organisationId, platform.slug, ...columnsOf(platform), now, now],
    );
    if (row === undefined) return null;
    const created = platformFromRow(row);
    await this.#audit(tx, created, "platform.created", actor);
    return created;
  }

  async get(organisationId: number, slug: string): Promise<Platform | null> {
    const row = await this.#db.get("SELECT * FROM platforms WHERE organisation_id = ? AND slug = ?", [
      organisationId,
      slug,
    ]);
    return row ? platformFromRow(row) : null;
  }

  async list(organisationId: number): Promise<Platform[]> {
    const rows = await this.#db.all("SELECT * FROM platforms WHERE organisation_id = ? ORDER BY slug", [
      organisationId,
    ]);
    return rows.map(platformFromRow);
  }

  #audit(tx: SqlExecutor, platform: Platform, action: string, actor: string) {
    return auditIn(tx, this.#context, {
      organisationId: platform.organisationId,
      actor,
      action,
      subjectType: "platform",
      subjectId: platform.slug,
      details: {
        name: platform.name,
        channels: { ...platform.channels },
        legalBases: { ...platform.legalBases },
        defaultLanguage: platform.defaultLanguage,
      },
    });
  }
}

function exists(slug: string): ConflictError {
  return new ConflictError(
    "platform_exists",
    `a platform "${slug}" already exists: change it with PUT or save`,
  );
}
