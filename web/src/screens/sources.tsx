import { useEffect, useState } from "preact/compat";
import { api, ApiError, safeHttpUrl } from "../api.ts";
import { ErrorMessage, ScreenHeader, WhenLoaded } from "../components.tsx";
import { useLanguage, useMessages } from "../i18n/language.tsx";
import { navigate, useLocation } from "../router.tsx";
import type { ScreenProps } from "../routes.ts";
import { useApi } from "../use-api.ts";
import { formatDateTime } from "../format.ts";
import { formatCount, formatShare } from "./operations-format.ts";
import "./operations.css";
import { sourcesMessages } from "./sources.messages.ts";
import {
  isLive,
  progressPollMs,
  runFigures,
  runToFollow,
  type Source,
  type TrawlRun,
  type TrawlRunDetail,
} from "./sources-progress.ts";

/** Sources and their trawl runs: start one, stop it, and follow its progress and errors while it lasts. */
export function SourcesScreen(_props: ScreenProps) {
  const t = useMessages(sourcesMessages);
  const { search } = useLocation();
  const sources = useApi<{ items: Source[] }>("/sources");
  const items = sources.status === "ready" ? sources.data.items : [];
  const chosenId = Number(search.get("source"));
  const selected = items.find((source) => source.id === chosenId) ?? items[0] ?? null;
  return (
    <section className="operations" data-ready={sources.status === "loading" ? undefined : "true"}>
      <ScreenHeader title={t("title")} />
      <WhenLoaded loaded={sources}>
        {(data) =>
          data.items.length === 0 ? (
            <p className="empty">{t("noSources")}</p>
          ) : (
            <SourceTable sources={data.items} selectedId={selected?.id ?? null} />
          )
        }
      </WhenLoaded>
      {selected ? <SourceRuns key={selected.id} source={selected} /> : null}
    </section>
  );
}

function SourceTable(props: { readonly sources: readonly Source[]; readonly selectedId: number | null }) {
  const t = useMessages(sourcesMessages);
  return (
    <table className="data-table">
      <caption>{t("sources")}</caption>
      <thead>
        <tr>
          <th scope="col">{t("name")}</th>
          <th scope="col">{t("platform")}</th>
          <th scope="col">{t("address")}</th>
          <th scope="col" />
        </tr>
      </thead>
      <tbody>
        {props.sources.map((source) => {
          const address = safeHttpUrl(source.baseUrl);
          const selected = source.id === props.selectedId;
          return (
            <tr key={source.id} aria-selected={selected} data-source-id={source.id}>
              <td>{source.name}</td>
              <td>{source.platform ?? t("unknown")}</td>
              <td>
                {address ? (
                  <a href={address} target="_blank" rel="noopener noreferrer nofollow">
                    {address}
                  </a>
                ) : (
                  t("unknown")
                )}
              </td>
              <td>
                <button
                  type="button"
                  disabled={selected}
                  onClick={() => navigate(`/sources?source=${source.id}`, { replace: true })}
                >
                  {t("open")}
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * The run's detail, asked for again every 2 s while the run is live and once more when it ends. A failed poll is
 * retried at the same pace unless the server says the run is not there (4xx).
 */
function useRunDetail(runId: number | null, generation: number) {
  const [detail, setDetail] = useState<TrawlRunDetail | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    if (runId === null) return;
    let current = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const next = await api.get<TrawlRunDetail>(`/trawl-runs/${runId}`);
        if (!current) return;
        setDetail(next);
        setError(null);
        if (isLive(next.run)) timer = setTimeout(poll, progressPollMs);
      } catch (caught) {
        if (!current) return;
        setError(caught instanceof Error ? caught : new Error(String(caught)));
        const clientError = caught instanceof ApiError && caught.status >= 400 && caught.status < 500;
        if (!clientError) timer = setTimeout(poll, progressPollMs);
      }
    };
    void poll();
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [runId, generation]);
  return { detail: detail?.run.id === runId ? detail : null, error };
}

function SourceRuns(props: { readonly source: Source }) {
  const t = useMessages(sourcesMessages);
  const { language } = useLanguage();
  const runs = useApi<{ items: TrawlRun[] }>(`/sources/${props.source.id}/runs`);
  const [followedId, setFollowedId] = useState<number | null>(null);
  const [pollGeneration, setPollGeneration] = useState(0);
  const [busy, setBusy] = useState<"starting" | "stopping" | null>(null);
  const [actionError, setActionError] = useState<Error | null>(null);
  const runItems = runs.status === "ready" ? runs.data.items : [];
  const runId = followedId ?? runToFollow(runItems)?.id ?? null;
  const { detail, error: pollError } = useRunDetail(runId, pollGeneration);
  const followedState = detail?.run.state;
  const reloadRuns = runs.reload;

  // The list shows each run's state: refresh it when the followed run changes state (e.g. it ends).
  useEffect(() => {
    if (followedState) reloadRuns();
  }, [followedState, reloadRuns]);

  const act = async (kind: "starting" | "stopping", action: () => Promise<void>) => {
    setBusy(kind);
    setActionError(null);
    try {
      await action();
    } catch (caught) {
      setActionError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setBusy(null);
    }
  };
  const start = () =>
    act("starting", async () => {
      const { run } = await api.post<{ run: TrawlRun }>(`/sources/${props.source.id}/runs`);
      setFollowedId(run.id);
      setPollGeneration((n) => n + 1);
      reloadRuns();
    });
  const stop = (id: number) =>
    act("stopping", async () => {
      await api.post(`/trawl-runs/${id}/stop`);
      setPollGeneration((n) => n + 1);
    });

  const live = detail !== null && isLive(detail.run);
  return (
    <section className="card" aria-labelledby="source-runs-title">
      <header className="panel-header">
        <h2 id="source-runs-title">{t("runs", { source: props.source.name })}</h2>
        {live ? (
          <button type="button" disabled={busy !== null} onClick={() => void stop(detail.run.id)}>
            {busy === "stopping" ? t("stopping") : t("stopRun")}
          </button>
        ) : (
          <button type="button" className="primary" disabled={busy !== null} onClick={() => void start()}>
            {busy === "starting" ? t("starting") : t("startRun")}
          </button>
        )}
      </header>
      {actionError ? <ErrorMessage error={actionError} /> : null}
      {detail ? <RunProgress detail={detail} /> : null}
      {pollError && !detail ? <ErrorMessage error={pollError} /> : null}
      <WhenLoaded loaded={runs}>
        {(data) =>
          data.items.length === 0 ? (
            <p className="empty">{t("noRuns")}</p>
          ) : (
            <table className="data-table runs">
              <thead>
                <tr>
                  <th scope="col">{t("runColumn")}</th>
                  <th scope="col">{t("state")}</th>
                  <th scope="col">{t("startedAt")}</th>
                  <th scope="col">{t("finishedAt")}</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((run) => (
                  <tr key={run.id} aria-selected={run.id === runId} data-run-id={run.id}>
                    <td>
                      <button type="button" className="link" onClick={() => setFollowedId(run.id)}>
                        {t("run", { id: run.id })}
                      </button>
                    </td>
                    <td>
                      <span className={`state state-${run.state}`}>{t(`state.${run.state}`)}</span>
                    </td>
                    <td>{formatDateTime(run.startedAt, language)}</td>
                    <td>{formatDateTime(run.finishedAt, language)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </WhenLoaded>
    </section>
  );
}

function RunProgress(props: { readonly detail: TrawlRunDetail }) {
  const t = useMessages(sourcesMessages);
  const { language } = useLanguage();
  const { run, recentErrors } = props.detail;
  const figures = runFigures(props.detail);
  const count = (value: number | null) => formatCount(language, value, t("unknown"));
  return (
    <div className="run-progress" data-run-state={run.state} aria-live="polite">
      <h3>
        {t("run", { id: run.id })} ·{" "}
        <span className={`state state-${run.state}`}>{t(`state.${run.state}`)}</span>
      </h3>
      {isLive(run) ? <p className="hint">{t("live")}</p> : null}
      <progress
        max={1}
        value={figures.finishedShare}
        aria-label={t("progressLabel", { share: formatShare(language, figures.finishedShare) })}
      />
      <dl className="figures">
        <div>
          <dt>{t("pending")}</dt>
          <dd data-figure="pending">{count(figures.pending)}</dd>
        </div>
        <div>
          <dt>{t("done")}</dt>
          <dd data-figure="done">{count(figures.done)}</dd>
        </div>
        <div>
          <dt>{t("failed")}</dt>
          <dd data-figure="failed">{count(figures.failed)}</dd>
        </div>
        <div>
          <dt>{t("listings")}</dt>
          <dd data-figure="listings">{count(figures.listings)}</dd>
        </div>
        <div>
          <dt>{t("flagged")}</dt>
          <dd data-figure="flagged">{count(figures.flagged)}</dd>
        </div>
      </dl>
      {run.error ? (
        <p className="notice notice-error" role="alert">
          {t("runError", { error: run.error })}
        </p>
      ) : null}
      <h4>{t("recentErrors")}</h4>
      {recentErrors.length === 0 ? (
        <p className="empty">{t("noErrors")}</p>
      ) : (
        <table className="data-table errors">
          <thead>
            <tr>
              <th scope="col">{t("errorAt")}</th>
              <th scope="col">{t("errorCode")}</th>
              <th scope="col">{t("errorUrl")}</th>
              <th scope="col">{t("errorMessage")}</th>
            </tr>
          </thead>
          <tbody>
            {recentErrors.map((error, index) => (
              <tr key={`${error.at}-${index}`}>
                <td>{formatDateTime(error.at, language)}</td>
                <td>
                  <code>{error.code ?? t("unknown")}</code>
                </td>
                {/* Addresses from the crawl are shown as text, never as links: they are not ours to vouch for. */}
                <td className="url">{error.url ?? t("unknown")}</td>
                <td>{error.message ?? t("unknown")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
