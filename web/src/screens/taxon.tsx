import type { Listing, Page, TaxonReport } from "../api-types.ts";
import { ScreenHeader, WhenLoaded } from "../components.tsx";
import { formatDateTime, formatScore, scoreClass } from "../format.ts";
import type { Language } from "../i18n/messages.ts";
import { useLanguage, useMessages } from "../i18n/language.tsx";
import { listingReaders } from "../roles.ts";
import { Link } from "../router.tsx";
import type { ScreenProps } from "../routes.ts";
import { useUser } from "../session.tsx";
import { useApi } from "../use-api.ts";
import { Appendices } from "./species.tsx";
import { speciesMessages } from "./species.messages.ts";

const listingsShown = 50;

/** One taxon: its CITES listing, names and classification, and the listings found of it. */
export function TaxonScreen({ params }: ScreenProps) {
  const t = useMessages(speciesMessages);
  const report = useApi<TaxonReport>(`/species/${encodeURIComponent(params.id ?? "")}`);
  return (
    <section className="taxon" data-ready={report.status === "loading" ? undefined : "true"}>
      <p>
        <Link to="/species">← {t("backToSearch")}</Link>
      </p>
      <WhenLoaded loaded={report}>{(data) => <TaxonDetail report={data} />}</WhenLoaded>
    </section>
  );
}

function TaxonDetail({ report }: { readonly report: TaxonReport }) {
  const t = useMessages(speciesMessages);
  const user = useUser();
  const { status } = report;
  return (
    <>
      <ScreenHeader title={report.name}>
        <Appendices appendices={status.appendices} />
      </ScreenHeader>
      {report.author ? <p className="muted">{report.author}</p> : null}
      {!report.inReferenceData ? <p className="notice">{t("notInReference")}</p> : null}
      <div className="listing-layout">
        <div>
          <section className="card">
            <h2>{t("listing")}</h2>
            <p>{status.why}</p>
            {status.via ? (
              <p>
                {t("via", { name: "" })}
                <Link to={`/species/${encodeURIComponent(status.via.id)}`}>
                  <span className="scientific">{status.via.name}</span>
                </Link>
              </p>
            ) : null}
            {status.populations.length > 0 ? (
              <>
                <h3>{t("populations")}</h3>
                <ul className="reasons">
                  {status.populations.map((population, index) => (
                    <li key={index}>
                      <span className={`badge appendix-${population.appendix}`}>
                        {t("appendix", { appendix: population.appendix })}
                      </span>{" "}
                      {population.text}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
            {status.annotation ? (
              <>
                <h3>{t("annotation")}</h3>
                <p>{status.annotation}</p>
              </>
            ) : null}
            {status.source ? (
              <p className="hint">{t("source", { title: status.source.title, date: status.source.date })}</p>
            ) : null}
          </section>
          {listingReaders.includes(user.role) ? <FoundListings name={report.name} /> : null}
        </div>
        <aside>
          <section className="card">
            <h2>{t("hierarchy")}</h2>
            <ol className="history">
              {report.hierarchy.map((ancestor) => (
                <li key={ancestor.id}>
                  <span className="hint">{ancestor.rank.toLowerCase()}</span>{" "}
                  <Link to={`/species/${encodeURIComponent(ancestor.id)}`}>{ancestor.name}</Link>
                </li>
              ))}
            </ol>
          </section>
          <CommonNames names={report.commonNames} />
          {report.synonyms.length > 0 ? (
            <section className="card">
              <h2>{t("synonyms")}</h2>
              <p className="names">
                {report.synonyms.map((synonym) => (
                  <span key={synonym} className="scientific">
                    {synonym}
                  </span>
                ))}
              </p>
            </section>
          ) : null}
          {report.distribution.length > 0 ? (
            <section className="card">
              <h2>{t("distribution")}</h2>
              <p>{report.distribution.join(", ")}</p>
            </section>
          ) : null}
        </aside>
      </div>
    </>
  );
}

function CommonNames({ names }: { readonly names: TaxonReport["commonNames"] }) {
  const t = useMessages(speciesMessages);
  const { language } = useLanguage();
  const entries = Object.entries(names).toSorted(([a], [b]) =>
    a === language ? -1 : b === language ? 1 : a.localeCompare(b),
  );
  if (entries.length === 0) return null;
  return (
    <section className="card">
      <h2>{t("commonNames")}</h2>
      <dl className="facts">
        {entries.map(([lang, list]) => (
          <div key={lang} className="contents">
            <dt>{languageName(lang, language)}</dt>
            <dd lang={lang}>{list.join(", ")}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

/** "de" → "German" in the user's language; the code itself when the browser cannot name it. */
function languageName(code: string, language: Language): string {
  try {
    return new Intl.DisplayNames([language], { type: "language" }).of(code) ?? code;
  } catch {
    return code;
  }
}

function FoundListings({ name }: { readonly name: string }) {
  const t = useMessages(speciesMessages);
  const { language } = useLanguage();
  const listings = useApi<Page<Listing>>("/listings", { taxon: name, limit: listingsShown });
  return (
    <section className="card">
      <h2>{t("found")}</h2>
      <WhenLoaded loaded={listings}>
        {(page) =>
          page.items.length === 0 ? (
            <p className="muted">{t("foundNone")}</p>
          ) : (
            <>
              <table>
                <thead>
                  <tr>
                    <th className="number">{t("score")}</th>
                    <th>{t("listingColumn")}</th>
                    <th>{t("lastSeen")}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((listing) => (
                    <tr key={listing.id}>
                      <td className={`number ${scoreClass(listing.score)}`}>{formatScore(listing.score)}</td>
                      <td>
                        <Link to={`/listings/${listing.id}`}>{listing.title || t("untitled")}</Link>
                      </td>
                      <td>{formatDateTime(listing.lastSeenAt, language)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {page.nextCursor ? <p className="hint">{t("foundMore", { count: listingsShown })}</p> : null}
            </>
          )
        }
      </WhenLoaded>
    </section>
  );
}
