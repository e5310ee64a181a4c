import type { FormEvent } from "preact/compat";
import type { SpeciesHit } from "../api-types.ts";
import { ScreenHeader, WhenLoaded } from "../components.tsx";
import { useMessages } from "../i18n/language.tsx";
import { Link, navigate, useLocation } from "../router.tsx";
import type { ScreenProps } from "../routes.ts";
import { useApi } from "../use-api.ts";
import { speciesMessages } from "./species.messages.ts";

// Focuses the box each time the form is mounted (a new search remounts it), as React's autoFocus did; Preact only
// writes the attribute, which the browser honours once per page. Module-level, so it runs on mount alone.
const focusOnMount = (input: HTMLInputElement | null) => input?.focus();

/** Search the reference data by any name in any language. */
export function SpeciesScreen(_props: ScreenProps) {
  const t = useMessages(speciesMessages);
  const { search } = useLocation();
  const q = (search.get("q") ?? "").trim();
  const results = useApi<{ items: SpeciesHit[] }>(q ? "/species" : null, { q, limit: 30 });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const value = String(new FormData(event.currentTarget).get("q") ?? "").trim();
    navigate(value ? `/species?${new URLSearchParams({ q: value }).toString()}` : "/species");
  };

  return (
    <section className="species" data-ready={!q || results.status !== "loading" ? "true" : undefined}>
      <ScreenHeader title={t("title")} />
      <form className="search-box" role="search" onSubmit={submit} key={q}>
        <label className="visually-hidden" htmlFor="species-q">
          {t("searchLabel")}
        </label>
        <input
          id="species-q"
          name="q"
          type="search"
          defaultValue={q}
          placeholder={t("searchPlaceholder")}
          maxLength={200}
          ref={focusOnMount}
        />
        <button type="submit" className="primary">
          {t("search")}
        </button>
      </form>
      {!q ? (
        <p className="muted">{t("intro")}</p>
      ) : (
        <WhenLoaded loaded={results}>
          {(data) =>
            data.items.length === 0 ? (
              <p className="muted">{t("noResults", { q })}</p>
            ) : (
              <ul className="results card">
                {data.items.map((hit) => (
                  <li key={hit.id}>
                    <Link to={`/species/${encodeURIComponent(hit.id)}`}>
                      <span className="scientific">{hit.name}</span>
                    </Link>{" "}
                    <span className="hint">{hit.rank.toLowerCase()}</span>{" "}
                    <Appendices appendices={hit.appendices} />
                    {hit.matchedName ? (
                      <div className="hint">
                        {t("matchedAs", {
                          text: hit.matchedName.text,
                          kind: hit.matchedName.kind,
                          lang: hit.matchedName.lang,
                        })}
                      </div>
                    ) : null}
                  </li>
                ))}
              </ul>
            )
          }
        </WhenLoaded>
      )}
    </section>
  );
}

export function Appendices({ appendices }: { readonly appendices: readonly string[] }) {
  const t = useMessages(speciesMessages);
  if (appendices.length === 0) return <span className="badge">{t("notListed")}</span>;
  return (
    <>
      {appendices.map((appendix) => (
        <span key={appendix} className={`badge appendix-${appendix}`}>
          {t("appendix", { appendix })}
        </span>
      ))}
    </>
  );
}
