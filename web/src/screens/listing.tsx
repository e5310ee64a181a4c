import { useRef, useState } from "preact/compat";
import { api, apiUrl, safeHttpUrl } from "../api.ts";
import type {
  AdvertField,
  Capture,
  Detection,
  Listing,
  ListingAnalysis,
  ListingVersion,
  Review,
  ReviewVerdict,
  TermMatch,
} from "../api-types.ts";
import { ErrorMessage, ScreenHeader, WhenLoaded } from "../components.tsx";
import { formatDateTime, formatPrice, formatScore, scoreClass } from "../format.ts";
import { segmentText } from "../highlight-segments.ts";
import { useLanguage, useMessages, type Translate } from "../i18n/language.tsx";
import { evidenceCapturers, evidenceExporters, reviewers, takedownWriters } from "../roles.ts";
import { Link } from "../router.tsx";
import type { ScreenProps } from "../routes.ts";
import { useUser } from "../session.tsx";
import { useApi } from "../use-api.ts";
import { listingMessages } from "./listing.messages.ts";
import { KeysHelp, useReviewKeys, VerdictPanel } from "./review-panel.tsx";
import { reviewMessages } from "./review.messages.ts";

type ListingKey = keyof (typeof listingMessages)["en"];

/**
 * One listing: the advert as text with every matched term highlighted and explained, its taxa, score and reasons,
 * its versions and evidence, and what to do about it. Advert content is only ever rendered as text nodes.
 */
export function ListingScreen({ params }: ScreenProps) {
  const id = Number(params.id);
  const t = useMessages(listingMessages);
  const listing = useApi<Listing>(Number.isSafeInteger(id) && id > 0 ? `/listings/${id}` : null);
  if (!(Number.isSafeInteger(id) && id > 0))
    return <ErrorMessage error={new Error(`"${params.id ?? ""}" is not a listing number`)} />;
  return (
    <section className="listing-view" data-ready={listing.status === "loading" ? undefined : "true"}>
      <p>
        <Link to="/review">← {t("backToQueue")}</Link>
      </p>
      <WhenLoaded loaded={listing}>{(data) => <ListingDetail listing={data} />}</WhenLoaded>
    </section>
  );
}

function ListingDetail({ listing }: { readonly listing: Listing }) {
  const t = useMessages(listingMessages);
  const r = useMessages(reviewMessages);
  const { language } = useLanguage();
  const user = useUser();
  const analysis = useApi<ListingAnalysis>(`/listings/${listing.id}/analysis`);
  const detections = useApi<{ items: Detection[] }>(`/listings/${listing.id}/detections`);
  const history = useApi<{ items: ListingVersion[] }>(`/listings/${listing.id}/history`);
  const reviews = useApi<{ items: Review[] }>(`/listings/${listing.id}/reviews`);
  const [active, setActive] = useState<TermMatch | null>(null);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const noteRef = useRef<HTMLTextAreaElement>(null);
  const canReview = reviewers.includes(user.role);

  const matches = analysis.status === "ready" ? analysis.data.matches.filter((m) => !m.suppressedBy) : [];
  const fields: Record<AdvertField, string> =
    analysis.status === "ready"
      ? analysis.data.fields
      : { title: listing.title ?? "", text: listing.text, price: "", seller: listing.seller ?? "" };
  const taxonNames = new Map(
    analysis.status === "ready" ? analysis.data.taxa.map((taxon) => [taxon.id, taxon.name] as const) : [],
  );
  const explainMatch = (match: TermMatch) => explain(match, t, taxonNames);
  const latest = detections.status === "ready" ? detections.data.items.at(-1) : undefined;
  const highlighted = (field: AdvertField) => (
    <Highlighted
      text={fields[field]}
      matches={matches.filter((m) => m.field === field)}
      onActivate={setActive}
      explain={explainMatch}
    />
  );

  const giveVerdict = async (verdict: ReviewVerdict) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await api.post(`/listings/${listing.id}/reviews`, { verdict, ...(note.trim() ? { note } : {}) });
      setNote("");
      setMessage(r("recorded", { verdict: r(`verdict.${verdict}`), id: listing.id }));
      reviews.reload();
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setBusy(false);
    }
  };

  useReviewKeys({
    ...(canReview
      ? {
          onVerdict: (verdict: ReviewVerdict) => void giveVerdict(verdict),
          onNote: () => noteRef.current?.focus(),
        }
      : {}),
    onHelp: () => setHelpOpen((open) => !open),
  });

  const link = safeHttpUrl(listing.url);
  const complete = [analysis, detections, history, reviews].every((loaded) => loaded.status !== "loading");

  return (
    <div data-complete={complete ? "true" : undefined}>
      <ScreenHeader title={t("title", { id: listing.id })} />
      {error ? <ErrorMessage error={error} /> : null}
      {message ? (
        <p className="notice notice-success" role="status">
          {message}
        </p>
      ) : null}
      <div className="listing-layout">
        <div>
          <article className="card advert" aria-labelledby="advert-title">
            <p className="hint">{t("advertNote")}</p>
            <h2 id="advert-title" className="advert-title" data-field="title">
              {fields.title ? highlighted("title") : t("untitled")}
            </h2>
            <p className="advert-text" data-field="text">
              {fields.text ? highlighted("text") : t("noText")}
            </p>
          </article>

          <section className="card" aria-labelledby="terms-title">
            <h2 id="terms-title">{t("matchedTerms")}</h2>
            <p className="hint">{t("matchHint")}</p>
            <p className="explanation" aria-live="polite" data-testid="term-explanation">
              {active ? explainMatch(active) : ""}
            </p>
            {analysis.status === "error" ? (
              <ErrorMessage error={analysis.error} onRetry={analysis.reload} />
            ) : null}
            {analysis.status === "ready" && matches.length === 0 ? (
              <p className="muted">{t("noMatches")}</p>
            ) : null}
            {matches.length > 0 ? (
              <details>
                <summary>{t("allMatches", { count: matches.length })}</summary>
                <ul className="history">
                  {matches.map((match) => (
                    <li key={`${match.field}:${match.start}:${match.end}`}>
                      <mark className="term-sample">{match.text}</mark> {explainMatch(match)}
                    </li>
                  ))}
                </ul>
              </details>
            ) : null}
          </section>

          <section className="card" aria-labelledby="details-title">
            <h2 id="details-title">{t("details")}</h2>
            <dl className="facts">
              <dt>{t("price")}</dt>
              <dd>{formatPrice(listing.priceAmount, listing.priceCurrency, language)}</dd>
              {fields.price ? (
                <>
                  <dt>{t("priceText")}</dt>
                  <dd data-field="price">{highlighted("price")}</dd>
                </>
              ) : null}
              <dt>{t("seller")}</dt>
              <dd data-field="seller">{fields.seller ? highlighted("seller") : "–"}</dd>
              <dt>{t("url")}</dt>
              <dd data-field="url">
                {link ? (
                  <a href={link} target="_blank" rel="noopener noreferrer nofollow">
                    {listing.url}
                  </a>
                ) : (
                  <>
                    <span>{listing.url}</span> <span className="muted">({t("unsafeUrl")})</span>
                  </>
                )}
              </dd>
              <dt>{t("language")}</dt>
              <dd>{listing.language ?? "–"}</dd>
              <dt>{t("country")}</dt>
              <dd>{listing.country ?? "–"}</dd>
              <dt>{t("firstSeen")}</dt>
              <dd>{formatDateTime(listing.firstSeenAt, language)}</dd>
              <dt>{t("lastSeen")}</dt>
              <dd>{formatDateTime(listing.lastSeenAt, language)}</dd>
              {listing.removedAt ? (
                <>
                  <dt>{t("removed")}</dt>
                  <dd>{formatDateTime(listing.removedAt, language)}</dd>
                </>
              ) : null}
              <dt>{t("version")}</dt>
              <dd>{listing.version}</dd>
            </dl>
          </section>

          <section className="card" aria-labelledby="history-title">
            <h2 id="history-title">{t("history")}</h2>
            <WhenLoaded loaded={history}>
              {(data) =>
                data.items.length <= 1 ? (
                  <p className="muted">{t("noHistory")}</p>
                ) : (
                  <ol className="history">
                    {data.items.map((version) => (
                      <li key={version.version}>
                        <strong>
                          {t("versionLine", {
                            version: version.version,
                            date: formatDateTime(version.observedAt, language),
                          })}
                        </strong>
                        {version.removed ? <span className="badge">{t("removedVersion")}</span> : null}
                        {version.title ? <div>{version.title}</div> : null}
                        {version.priceAmount !== undefined && version.priceAmount !== null ? (
                          <div className="hint">
                            {formatPrice(version.priceAmount, version.priceCurrency, language)}
                          </div>
                        ) : null}
                      </li>
                    ))}
                  </ol>
                )
              }
            </WhenLoaded>
          </section>
        </div>

        <aside>
          <section className="card" aria-labelledby="score-title">
            <h2 id="score-title">{t("score")}</h2>
            <p>
              <span className={scoreClass(listing.score)} data-testid="score">
                {formatScore(listing.score)}
              </span>{" "}
              {listing.verdict ? (
                <span className="badge">
                  {t("detectorVerdict")}: {t(`detector.${listing.verdict}`)}
                </span>
              ) : null}
            </p>
            {latest && latest.reasons.length > 0 ? (
              <>
                <h3>{t("reasons")}</h3>
                <ul className="reasons">
                  {latest.reasons.map((reason, index) => (
                    <li key={index}>{reason}</li>
                  ))}
                </ul>
              </>
            ) : null}
            {analysis.status === "ready" && analysis.data.scoreParts.length > 0 ? (
              <ScorePoints summary={t("scoreParts")} parts={analysis.data.scoreParts} />
            ) : null}
            {analysis.status === "ready" && analysis.data.wildlifeScoreParts ? (
              <ScorePoints summary={t("wildlifeScoreParts")} parts={analysis.data.wildlifeScoreParts} />
            ) : null}
          </section>

          <section className="card" aria-labelledby="taxa-title">
            <h2 id="taxa-title">{t("taxa")}</h2>
            {analysis.status === "ready" ? (
              analysis.data.taxa.length === 0 ? (
                <p className="muted">{t("noTaxa")}</p>
              ) : (
                <ul className="results">
                  {analysis.data.taxa.map((taxon) => (
                    <li key={taxon.id}>
                      <Link to={`/species/${encodeURIComponent(taxon.id)}`}>
                        <span className="scientific">{taxon.name}</span>
                      </Link>{" "}
                      {taxon.appendices.length > 0 ? (
                        taxon.appendices.map((appendix) => (
                          <span key={appendix} className={`badge appendix-${appendix}`}>
                            {t("appendix", { appendix })}
                          </span>
                        ))
                      ) : (
                        <span className="badge">{t("notListed")}</span>
                      )}
                      {taxon.listedThrough && taxon.listedThrough !== taxon.name ? (
                        <div className="hint">{t("listedThrough", { name: taxon.listedThrough })}</div>
                      ) : null}
                      {taxon.listingSource ? (
                        <div className="hint">
                          {t("listingSource", { id: taxon.listingSource.id, date: taxon.listingSource.date })}
                        </div>
                      ) : null}
                    </li>
                  ))}
                </ul>
              )
            ) : (
              <ul className="results">
                {listing.taxa.map((taxon) => (
                  <li key={taxon.taxonId}>
                    <span className="scientific">{taxon.scientificName}</span>{" "}
                    <span className={`badge appendix-${taxon.appendix}`}>
                      {t("appendix", { appendix: taxon.appendix })}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </section>

          {canReview ? (
            <section className="card" aria-labelledby="review-title">
              <h2 id="review-title">{t("review")}</h2>
              <VerdictPanel
                noteRef={noteRef}
                note={note}
                onNoteChange={setNote}
                onVerdict={(verdict) => void giveVerdict(verdict)}
                busy={busy}
              />
              <p className="hint">{r("keysHint")}</p>
            </section>
          ) : null}

          <Evidence listingId={listing.id} onError={setError} />

          <section className="card" aria-labelledby="reviews-title">
            <h2 id="reviews-title">{t("reviews")}</h2>
            <WhenLoaded loaded={reviews}>
              {(data) =>
                data.items.length === 0 ? (
                  <p className="muted">{t("noReviews")}</p>
                ) : (
                  <ul className="history">
                    {data.items.map((review) => (
                      <li key={review.id}>
                        <strong>{r(`verdict.${review.verdict}`)}</strong> ·{" "}
                        {formatDateTime(review.reviewedAt, language)}
                        {review.note ? <div>{review.note}</div> : null}
                      </li>
                    ))}
                  </ul>
                )
              }
            </WhenLoaded>
          </section>
        </aside>
      </div>
      <KeysHelp open={helpOpen} onClose={() => setHelpOpen(false)} />
    </div>
  );
}

interface TakedownDraft {
  readonly created: number;
  readonly rejected: readonly {
    readonly listingId: number;
    readonly code: string;
    readonly message: string;
  }[];
}

/** Capture, the latest screenshot, export, and a takedown draft. */
function Evidence({
  listingId,
  onError,
}: {
  readonly listingId: number;
  readonly onError: (error: Error | null) => void;
}) {
  const t = useMessages(listingMessages);
  const { language } = useLanguage();
  const { role } = useUser();
  const captures = useApi<{ items: Capture[] }>(`/listings/${listingId}/captures`);
  const [capturing, setCapturing] = useState(false);
  const [drafting, setDrafting] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  const capture = async () => {
    setCapturing(true);
    onError(null);
    setDone(null);
    try {
      const answer = await api.post<{ capture: Capture }>(`/listings/${listingId}/captures`, {});
      setDone(t("captured", { id: answer.capture.id, status: answer.capture.status }));
      captures.reload();
    } catch (error) {
      onError(error instanceof Error ? error : new Error(String(error)));
    } finally {
      setCapturing(false);
    }
  };

  const draftTakedown = async () => {
    setDrafting(true);
    onError(null);
    setDone(null);
    try {
      const draft = await api.post<TakedownDraft>("/takedowns", { listingIds: [listingId], language });
      const refusal = draft.rejected.find((rejected) => rejected.listingId === listingId);
      // The API answers per listing: a refusal (no platform known, no verdict yet…) comes with its reason.
      if (refusal) throw new Error(refusal.message);
      setDone(t("drafted"));
    } catch (error) {
      onError(error instanceof Error ? error : new Error(String(error)));
    } finally {
      setDrafting(false);
    }
  };

  const items = captures.status === "ready" ? captures.data.items : [];
  const newest = items.toSorted((a, b) => b.startedAt.localeCompare(a.startedAt));
  const withScreenshot = newest.find((c) => c.files.some((file) => file.role === "screenshot"));
  const exportable = newest.find((c) => c.status !== "failed");

  return (
    <section className="card" aria-labelledby="evidence-title">
      <h2 id="evidence-title">{t("evidence")}</h2>
      {done ? (
        <p className="notice notice-success" role="status">
          {done} {done === t("drafted") ? <Link to="/takedowns">{t("openTakedowns")}</Link> : null}
        </p>
      ) : null}
      <div className="actions">
        {evidenceCapturers.includes(role) ? (
          <button type="button" className="primary" disabled={capturing} onClick={() => void capture()}>
            {capturing ? t("capturing") : t("capture")}
          </button>
        ) : null}
        {exportable && evidenceExporters.includes(role) ? (
          <a className="button" href={apiUrl(`/captures/${exportable.id}/package`)} download>
            {t("exportPackage")}
          </a>
        ) : null}
        {takedownWriters.includes(role) ? (
          <button type="button" disabled={drafting} onClick={() => void draftTakedown()}>
            {drafting ? t("drafting") : t("takedown")}
          </button>
        ) : null}
      </div>
      {captures.status === "ready" && items.length === 0 ? <p className="muted">{t("noCapture")}</p> : null}
      {withScreenshot ? (
        <figure>
          <img
            className="screenshot"
            src={apiUrl(`/captures/${withScreenshot.id}/screenshot`)}
            alt={t("screenshotAlt", { date: formatDateTime(withScreenshot.startedAt, language) })}
            loading="lazy"
          />
          <figcaption className="hint">
            {t("screenshot", { date: formatDateTime(withScreenshot.startedAt, language) })}
          </figcaption>
        </figure>
      ) : null}
    </section>
  );
}

/** A field's text with its matches as focusable marks, every piece a text node. */
function Highlighted(props: {
  readonly text: string;
  readonly matches: readonly TermMatch[];
  readonly onActivate: (match: TermMatch) => void;
  readonly explain: (match: TermMatch) => string;
}) {
  return (
    <>
      {segmentText(props.text, props.matches).map((segment) =>
        segment.kind === "text" ? (
          <span key={segment.start}>{segment.text}</span>
        ) : (
          <mark
            key={segment.start}
            className="term"
            tabIndex={0}
            title={props.explain(segment.match)}
            data-term={segment.match.term}
            onMouseEnter={() => props.onActivate(segment.match)}
            onFocus={() => props.onActivate(segment.match)}
          >
            {segment.text}
          </mark>
        ),
      )}
    </>
  );
}

function explain(
  match: TermMatch,
  t: Translate<ListingKey>,
  taxonNames: ReadonlyMap<string, string>,
): string {
  const parts = [
    t("matchExplain", { text: match.text, term: match.term, kind: match.kind.replaceAll("_", " ") }),
  ];
  if (match.lang) parts.push(t("matchLanguage", { lang: match.lang }));
  if (match.taxa.length > 0)
    parts.push(t("matchTaxa", { taxa: match.taxa.map((id) => taxonNames.get(id) ?? id).join(", ") }));
  if (match.evasive) parts.push(t("matchEvasive"));
  if (match.distance) parts.push(t("matchDistance", { distance: match.distance }));
  if (match.suppressedBy) parts.push(t("matchSuppressed", { by: match.suppressedBy }));
  return parts.join(" · ");
}

/** A score's points, each with the words behind it, folded away until asked for. */
function ScorePoints({ summary, parts }: { summary: string; parts: ListingAnalysis["scoreParts"] }) {
  return (
    <details>
      <summary>{summary}</summary>
      <table>
        <tbody>
          {parts.map((part, index) => (
            <tr key={index}>
              <td>{part.label}</td>
              <td className="number">{part.points.toFixed(2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
