import { useCallback, useEffect, useLayoutEffect, useRef, useState, type FormEvent } from "preact/compat";
import { api } from "../api.ts";
import type { Page, QueueItem, ReviewVerdict } from "../api-types.ts";
import { ErrorMessage, Loading, ScreenHeader } from "../components.tsx";
import { formatDateTime, formatPrice, formatScore, scoreClass } from "../format.ts";
import { useLanguage, useMessages } from "../i18n/language.tsx";
import { reviewers } from "../roles.ts";
import { navigate, useLocation } from "../router.tsx";
import type { ScreenProps } from "../routes.ts";
import { useUser } from "../session.tsx";
import { KeysHelp, useReviewKeys, VerdictPanel } from "./review-panel.tsx";
import { reviewMessages } from "./review.messages.ts";
import {
  reviewFilterNames,
  reviewFilters,
  reviewQueueRequest,
  type ReviewFilters,
} from "./review-queue-requests.ts";

/** Flagged listings without a verdict, best first; reviewed with the keyboard (press ? for the keys). */
export function ReviewQueueScreen(_props: ScreenProps) {
  const t = useMessages(reviewMessages);
  const { language } = useLanguage();
  const user = useUser();
  const canReview = reviewers.includes(user.role);
  const { search } = useLocation();
  const filters = reviewFilters(search);
  const filterKey = JSON.stringify(filters);

  const [items, setItems] = useState<readonly QueueItem[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [status, setStatus] = useState<"loading" | "ready" | "more">("loading");
  const [error, setError] = useState<Error | null>(null);
  const [selected, setSelected] = useState(0);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const noteRef = useRef<HTMLTextAreaElement>(null);
  const rowRefs = useRef(new Map<number, HTMLTableRowElement>());

  const load = useCallback(
    async (cursor: string | null) => {
      setStatus(cursor ? "more" : "loading");
      setError(null);
      try {
        const request = reviewQueueRequest(JSON.parse(filterKey) as ReviewFilters, cursor);
        const page = await api.get<Page<QueueItem>>(request.path, request.query);
        setItems((previous) => (cursor ? [...previous, ...page.items] : page.items));
        setNextCursor(page.nextCursor);
        if (!cursor) setSelected(0);
      } catch (caught) {
        setError(caught instanceof Error ? caught : new Error(String(caught)));
      } finally {
        setStatus("ready");
      }
    },
    [filterKey],
  );

  // A layout effect, as in useApi: the prefetched page is taken before the first paint, not a frame later.
  useLayoutEffect(() => {
    void load(null);
  }, [load]);

  const current = items[selected];

  useEffect(() => {
    if (current) rowRefs.current.get(current.listingId)?.scrollIntoView({ block: "nearest" });
  }, [current]);

  const giveVerdict = async (verdict: ReviewVerdict) => {
    if (!current || busy || !canReview) return;
    setBusy(true);
    setError(null);
    try {
      await api.post(`/listings/${current.listingId}/reviews`, { verdict, ...(note.trim() ? { note } : {}) });
      // A listing with a verdict leaves the queue; the next one takes its place under the cursor.
      setItems((previous) => previous.filter((item) => item.listingId !== current.listingId));
      setSelected((index) => Math.max(0, Math.min(index, items.length - 2)));
      setNote("");
      setDone(t("recorded", { verdict: t(`verdict.${verdict}`), id: current.listingId }));
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setBusy(false);
    }
  };

  const assign = async (item: QueueItem, userId: number | null) => {
    setError(null);
    try {
      const answer = await api.put<{ assignee: QueueItem["assignee"] }>(
        `/listings/${item.listingId}/assignment`,
        {
          userId,
        },
      );
      setItems((previous) =>
        previous.map((entry) =>
          entry.listingId === item.listingId ? { ...entry, assignee: answer?.assignee ?? null } : entry,
        ),
      );
      setDone(t(userId === null ? "unassigned" : "assigned", { id: item.listingId }));
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    }
  };

  useReviewKeys({
    onMove: (step) => setSelected((index) => Math.max(0, Math.min(items.length - 1, index + step))),
    onOpen: () => current && navigate(`/listings/${current.listingId}`),
    ...(canReview
      ? {
          onVerdict: (verdict: ReviewVerdict) => void giveVerdict(verdict),
          onNote: () => noteRef.current?.focus(),
        }
      : {}),
    onHelp: () => setHelpOpen((open) => !open),
  });

  const applyFilters = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const query = new URLSearchParams();
    for (const name of reviewFilterNames) {
      const value = String(form.get(name) ?? "").trim();
      if (value) query.set(name, value);
    }
    const encoded = query.toString();
    navigate(`/review${encoded ? `?${encoded}` : ""}`);
  };

  return (
    <section className="review-queue" data-ready={status === "loading" ? undefined : "true"}>
      <ScreenHeader title={t("title")}>
        <button type="button" onClick={() => setHelpOpen(true)} aria-keyshortcuts="?">
          <kbd>?</kbd> {t("keysButton")}
        </button>
      </ScreenHeader>

      <form className="filters" onSubmit={applyFilters} key={filterKey}>
        <label>
          {t("source")}
          <input name="source" defaultValue={filters.source ?? ""} size={12} />
        </label>
        <label>
          {t("taxon")}
          <input name="taxon" defaultValue={filters.taxon ?? ""} size={16} />
        </label>
        <label>
          {t("language")}
          <input name="language" defaultValue={filters.language ?? ""} size={5} />
        </label>
        <label>
          {t("country")}
          <input name="country" defaultValue={filters.country ?? ""} size={3} maxLength={2} />
        </label>
        <label>
          {t("assignee")}
          <select name="assignee" defaultValue={filters.assignee ?? ""}>
            <option value="">{t("anyone")}</option>
            <option value="me">{t("me")}</option>
            <option value="none">{t("nobody")}</option>
          </select>
        </label>
        <button type="submit">{t("filter")}</button>
        {filterKey !== "{}" ? (
          <button type="button" className="quiet" onClick={() => navigate("/review")}>
            {t("clear")}
          </button>
        ) : null}
      </form>

      {error ? <ErrorMessage error={error} onRetry={() => void load(null)} /> : null}
      {done ? (
        <p className="notice notice-success" role="status">
          {done}
        </p>
      ) : null}

      {status === "loading" ? (
        <Loading />
      ) : items.length === 0 ? (
        <p className="muted">{t("empty")}</p>
      ) : (
        <>
          <div className="table-wrap">
            <table className="queue" aria-label={t("title")}>
              <thead>
                <tr>
                  <th className="number">{t("score")}</th>
                  <th>{t("listing")}</th>
                  <th>{t("taxa")}</th>
                  <th>{t("seller")}</th>
                  <th className="number">{t("price")}</th>
                  <th>{t("assignee")}</th>
                  <th>{t("lastSeen")}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((item, index) => (
                  <tr
                    key={item.listingId}
                    ref={(row) => {
                      if (row) rowRefs.current.set(item.listingId, row);
                      else rowRefs.current.delete(item.listingId);
                    }}
                    aria-selected={index === selected}
                    data-listing-id={item.listingId}
                    onClick={() => setSelected(index)}
                    onDblClick={() => navigate(`/listings/${item.listingId}`)}
                  >
                    <td className={`number ${scoreClass(item.score)}`}>{formatScore(item.score)}</td>
                    <td className="title-cell">
                      <a
                        href={`/listings/${item.listingId}`}
                        onClick={(event) => {
                          event.preventDefault();
                          navigate(`/listings/${item.listingId}`);
                        }}
                      >
                        {item.title || t("untitled")}
                      </a>
                      <div className="hint">
                        {[item.platform ?? item.source, item.language, item.country]
                          .filter(Boolean)
                          .join(" · ")}
                      </div>
                    </td>
                    <td>
                      <div className="taxa-list">
                        {item.taxa.map((taxon) => (
                          <span key={taxon.taxonId} className={`badge appendix-${taxon.appendix}`}>
                            <span className="scientific">{taxon.name}</span> · {taxon.appendix}
                          </span>
                        ))}
                      </div>
                    </td>
                    <td>{item.seller ?? "–"}</td>
                    <td className="number">
                      {formatPrice(item.price?.amount, item.price?.currency, language)}
                    </td>
                    <td>
                      {item.assignee ? (
                        <span>{item.assignee.displayName}</span>
                      ) : canReview ? (
                        <button type="button" className="quiet" onClick={() => void assign(item, user.id)}>
                          {t("assignToMe")}
                        </button>
                      ) : (
                        "–"
                      )}
                      {item.assignee && canReview ? (
                        <button type="button" className="quiet" onClick={() => void assign(item, null)}>
                          {t("unassign")}
                        </button>
                      ) : null}
                    </td>
                    <td>{formatDateTime(item.lastSeenAt, language)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {nextCursor ? (
            <div className="pager">
              <button type="button" disabled={status === "more"} onClick={() => void load(nextCursor)}>
                {t("loadMore")}
              </button>
            </div>
          ) : null}
        </>
      )}

      {current ? (
        canReview ? (
          <div className="card">
            <p className="hint" aria-live="polite">
              {t("selected", { title: current.title || t("untitled") })}
            </p>
            <VerdictPanel
              noteRef={noteRef}
              note={note}
              onNoteChange={setNote}
              onVerdict={(verdict) => void giveVerdict(verdict)}
              busy={busy}
            />
          </div>
        ) : (
          <p className="hint">{t("cannotReview")}</p>
        )
      ) : null}
      <p className="hint">{t("keysHint")}</p>
      <KeysHelp open={helpOpen} onClose={() => setHelpOpen(false)} />
    </section>
  );
}
