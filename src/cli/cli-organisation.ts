import { NotFoundError, UsageError } from "../core/errors.ts";
import type { Organisation } from "../storage/records.ts";
import type { Store } from "../storage/store.ts";

/**
 * The organisation a command acts for: the one `--org` names, or the only one there is. `which` finishes the
 * sentence "give --org: …" when several exist and none is named.
 */
export async function organisationFor(
  store: Store,
  slug: string | undefined,
  which: string,
): Promise<Organisation> {
  const organisations = await store.organisations.list();
  const organisation =
    slug !== undefined
      ? organisations.find((candidate) => candidate.slug === slug)
      : organisations.length === 1
        ? organisations[0]
        : undefined;
  if (organisation) return organisation;
  throw slug !== undefined
    ? new NotFoundError("organisation_not_found", `--org: no organisation "${slug}"`)
    : new UsageError("organisation_missing", `give --org: ${which}`);
}
