import { useCallback, useEffect, useState } from "preact/compat";
import { api, type Query } from "../api.ts";
import { ErrorMessage, ScreenHeader, WhenLoaded } from "../components.tsx";
import { useLanguage, useMessages } from "../i18n/language.tsx";
import { Link, navigate, useLocation } from "../router.tsx";
import type { ScreenProps } from "../routes.ts";
import { useApi, type Loaded } from "../use-api.ts";
import { formatDateTime } from "../format.ts";
import { formatCount, formatDuration, formatShare } from "./operations-format.ts";
import "./operations.css";
import { platformMeasures, type TakedownReport } from "./statistics-removals.ts";
import { takedownsMessages } from "./takedowns.messages.ts";
import {
  compareForSending,
  countsByPlatform,
  sendNext,
  takedownStates,
  type TakedownNotice,
  type TakedownState,
} from "./takedowns-queue.ts";

type Notices = { items: TakedownNotice[] };

const isState = (value: string | null): value is TakedownState =>
  value !== null && (takedownStates as readonly string[]).includes(value);

/** How many of the oldest waiting notices the "send next" list shows. */
const sendNextShown = 20;
/** Notices asked for at once (the API's largest page), and at most this many pages. */
const noticesPage = 1_000;
const maxNoticePages = 50;
const dayMs = 86_400_000;

/**
 * Every notice matching `filter` (null: none wanted yet), page after page: the counts and "what to send next"
 * must see them all, not the first page.
 */
function useNotices(filter: Query | null): Loaded<Notices> & { reload(): void } {
  const [state, setState] = useState<Loaded<Notices>>({ status: "loading" });
  const [generation, setGeneration] = useState(0);
  const filterKey = filter === null ? null : JSON.stringify(filter);
  useEffect(() => {
    if (filterKey === null) return;
    const query = JSON.parse(filterKey) as Query;
    let current = true;
    void (async () => {
      try {
        const items: TakedownNotice[] = [];
        let afterId = 0;
        for (let page = 0; page < maxNoticePages; page++) {
          const { items: batch } = await api.get<Notices>("/takedowns", {
            ...query,
            afterId,
            limit: noticesPage,
          });
          items.push(...batch);
          if (batch.length < noticesPage) break;
          afterId = batch.at(-1)!.id;
        }
        if (current) setState({ status: "ready", data: { items } });
      } catch (caught) {
        if (current)
          setState({ status: "error", error: caught instanceof Error ? caught : new Error(String(caught)) });
      }
    })();
    return () => {
      current = false;
    };
  }, [filterKey, generation]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { ...state, reload };
}

function takedownsPath(filter: { platform?: string | null; state?: string | null }): string {
  const search = new URLSearchParams();
  if (filter.platform) search.set("platform", filter.platform);
  if (filter.state) search.set("state", filter.state);
  const query = search.toString();
  return `/takedowns${query ? `?${query}` : ""}`;
}

/** Takedown notices: counts by platform and state, what to send next, removal times, and the notices filtered. */
export function TakedownsScreen(_props: ScreenProps) {
  const t = useMessages(takedownsMessages);
  const { search } = useLocation();
  const platform = search.get("platform") || null;
  const stateParam = search.get("state");
  const state = isState(stateParam) ? stateParam : null;
  const all = useNotices({});
  const filtered = useNotices(platform || state ? { platform, state } : null);
  const report = useApi<TakedownReport>("/reports/takedowns", { format: "json", interval: "all" });
  const [actionError, setActionError] = useState<Error | null>(null);
  const [working, setWorking] = useState<number | null>(null);

  const reloadAll = all.reload;
  const reloadFiltered = filtered.reload;
  const reloadReport = report.reload;
  const act = async (id: number, action: () => Promise<unknown>) => {
    setWorking(id);
    setActionError(null);
    try {
      await action();
    } catch (caught) {
      setActionError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setWorking(null);
      reloadAll();
      reloadReport();
      if (platform || state) reloadFiltered();
    }
  };
  const actions: NoticeActions = {
    working,
    sendByEmail: (notice) => void act(notice.id, () => api.post(`/takedowns/${notice.id}/send`)),
    recordSentByHand: (notice, reference) =>
      void act(notice.id, () => api.post(`/takedowns/${notice.id}/send`, { reference })),
  };

  const listed = platform || state ? filtered : all;
  return (
    <section
      className="operations"
      data-ready={all.status === "loading" || report.status === "loading" ? undefined : "true"}
    >
      <ScreenHeader title={t("title")} />
      {actionError ? <ErrorMessage error={actionError} /> : null}
      <WhenLoaded loaded={all}>
        {(data) => (
          <>
            <PlatformStateTable notices={data.items} />
            <SendNext notices={data.items} actions={actions} />
            <WhenLoaded loaded={report}>{(measures) => <RemovalTimes report={measures} />}</WhenLoaded>
            <section className="card" aria-labelledby="notices-title">
              <header className="panel-header">
                <h2 id="notices-title">{t("notices")}</h2>
                <NoticeFilter notices={data.items} platform={platform} state={state} />
              </header>
              <WhenLoaded loaded={listed}>
                {(shown) => (
                  <NoticeTable notices={[...shown.items].sort(compareForSending)} actions={actions} />
                )}
              </WhenLoaded>
            </section>
          </>
        )}
      </WhenLoaded>
    </section>
  );
}

function PlatformStateTable(props: { readonly notices: readonly TakedownNotice[] }) {
  const t = useMessages(takedownsMessages);
  const { language } = useLanguage();
  const rows = countsByPlatform(props.notices);
  return (
    <table className="data-table counts" data-table="by-platform">
      <caption>{t("byPlatform")}</caption>
      <thead>
        <tr>
          <th scope="col">{t("platform")}</th>
          {takedownStates.map((state) => (
            <th scope="col" key={state}>
              {t(`state.${state}`)}
            </th>
          ))}
          <th scope="col">{t("total")}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.platform} data-platform={row.platform}>
            <th scope="row">{row.platform}</th>
            {takedownStates.map((state) => (
              <td key={state} data-state={state}>
                {row.byState[state] > 0 ? (
                  <Link to={takedownsPath({ platform: row.platform, state })}>
                    {formatCount(language, row.byState[state])}
                  </Link>
                ) : (
                  "0"
                )}
              </td>
            ))}
            <td>
              <Link to={takedownsPath({ platform: row.platform })}>{formatCount(language, row.total)}</Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface NoticeActions {
  readonly working: number | null;
  sendByEmail(notice: TakedownNotice): void;
  /** Sent through the platform's web form, API or someone's own e-mail: recorded with the platform's reference. */
  recordSentByHand(notice: TakedownNotice, reference: string): void;
}

/** Notices that may be sent (again): the server refuses the rest. */
const sendableStates: readonly TakedownState[] = ["draft", "queued", "no_response"];

function NoticeAction(props: { readonly notice: TakedownNotice; readonly actions: NoticeActions }) {
  const t = useMessages(takedownsMessages);
  const { notice, actions } = props;
  const [byHand, setByHand] = useState(false);
  const [reference, setReference] = useState("");
  if (!sendableStates.includes(notice.state)) return null;
  const busy = actions.working === notice.id;
  const disabled = actions.working !== null;
  if (byHand)
    return (
      <form
        className="by-hand"
        onSubmit={(event) => {
          event.preventDefault();
          if (reference.trim()) actions.recordSentByHand(notice, reference.trim());
        }}
      >
        <label>
          {t("reference")}{" "}
          <input
            name="reference"
            value={reference}
            required
            maxLength={300}
            onChange={(event) => setReference(event.currentTarget.value)}
          />
        </label>
        <button type="submit" className="primary" disabled={disabled}>
          {busy ? t("working") : t("record")}
        </button>
        <button type="button" className="quiet" onClick={() => setByHand(false)}>
          {t("cancel")}
        </button>
      </form>
    );
  return (
    <div className="notice-actions">
      {notice.channel === "email" || notice.channel == null ? (
        <button
          type="button"
          className="primary"
          disabled={disabled}
          onClick={() => actions.sendByEmail(notice)}
        >
          {busy ? t("working") : t("sendByEmail")}
        </button>
      ) : null}
      <button type="button" className="quiet" disabled={disabled} onClick={() => setByHand(true)}>
        {t("sentByHand")}
      </button>
    </div>
  );
}

function SendNext(props: { readonly notices: readonly TakedownNotice[]; readonly actions: NoticeActions }) {
  const t = useMessages(takedownsMessages);
  const next = sendNext(props.notices).slice(0, sendNextShown);
  return (
    <section className="card" aria-labelledby="send-next-title">
      <h2 id="send-next-title">{t("sendNext")}</h2>
      <p className="hint">{t("sendNextHint")}</p>
      {next.length === 0 ? (
        <p className="empty">{t("nothingToSend")}</p>
      ) : (
        <NoticeTable notices={next} actions={props.actions} name="send-next" />
      )}
    </section>
  );
}

function NoticeTable(props: {
  readonly notices: readonly TakedownNotice[];
  readonly actions: NoticeActions;
  readonly name?: string;
}) {
  const t = useMessages(takedownsMessages);
  const { language } = useLanguage();
  if (props.notices.length === 0) return <p className="empty">{t("noNotices")}</p>;
  return (
    <table className="data-table notices" data-table={props.name ?? "notices"}>
      <thead>
        <tr>
          <th scope="col">{t("notices")}</th>
          <th scope="col">{t("platform")}</th>
          <th scope="col">{t("state")}</th>
          <th scope="col">{t("recipient")}</th>
          <th scope="col">{t("createdAt")}</th>
          <th scope="col">{t("updatedAt")}</th>
          <th scope="col" />
        </tr>
      </thead>
      <tbody>
        {props.notices.map((notice) => (
          <tr key={notice.id} data-notice-id={notice.id} data-state={notice.state}>
            <td>
              {t("notice", { id: notice.id })} ·{" "}
              <Link to={`/listings/${notice.listingId}`}>{t("listing", { id: notice.listingId })}</Link>
            </td>
            <td>{notice.platform}</td>
            <td>
              <span className={`state state-${notice.state}`}>{t(`state.${notice.state}`)}</span>
            </td>
            <td>{notice.recipient ?? "—"}</td>
            <td>{formatDateTime(notice.createdAt, language)}</td>
            <td>{formatDateTime(notice.updatedAt, language)}</td>
            <td>
              <NoticeAction notice={notice} actions={props.actions} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Notices sent, removed, removal rate and times per platform: here and on the statistics screen. */
export function RemovalTimes(props: { readonly report: TakedownReport; readonly caption?: boolean }) {
  const t = useMessages(takedownsMessages);
  const { language } = useLanguage();
  const rows = platformMeasures(props.report);
  const days = (value: number | null) =>
    formatDuration(language, value === null ? Number.NaN : value * dayMs);
  return (
    <table className="data-table removal" data-table="removal-times">
      {props.caption === false ? null : <caption>{t("removalTimes")}</caption>}
      <thead>
        <tr>
          <th scope="col">{t("platform")}</th>
          <th scope="col">{t("noticesSent")}</th>
          <th scope="col">{t("removed")}</th>
          <th scope="col">{t("removalRate")}</th>
          <th scope="col">{t("medianTime")}</th>
          <th scope="col">{t("p90Time")}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.platform} data-platform={row.platform}>
            <th scope="row">{row.platform === "all" ? t("allPlatforms") : row.platform}</th>
            <td>{formatCount(language, row.noticesSent)}</td>
            <td>{formatCount(language, row.removed)}</td>
            <td>{formatShare(language, row.removalRate ?? Number.NaN)}</td>
            <td>{days(row.medianDaysToRemoval)}</td>
            <td>{days(row.p90DaysToRemoval)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function NoticeFilter(props: {
  readonly notices: readonly TakedownNotice[];
  readonly platform: string | null;
  readonly state: TakedownState | null;
}) {
  const t = useMessages(takedownsMessages);
  const platforms = [...new Set(props.notices.map((notice) => notice.platform))].sort();
  return (
    <div className="filters" role="group" aria-label={t("filter")}>
      <label>
        {t("platform")}{" "}
        <select
          name="platform"
          value={props.platform ?? ""}
          onChange={(event) =>
            navigate(takedownsPath({ platform: event.currentTarget.value, state: props.state }), {
              replace: true,
            })
          }
        >
          <option value="">{t("anyPlatform")}</option>
          {platforms.map((platform) => (
            <option key={platform} value={platform}>
              {platform}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("state")}{" "}
        <select
          name="state"
          value={props.state ?? ""}
          onChange={(event) =>
            navigate(takedownsPath({ platform: props.platform, state: event.currentTarget.value }), {
              replace: true,
            })
          }
        >
          <option value="">{t("anyState")}</option>
          {takedownStates.map((state) => (
            <option key={state} value={state}>
              {t(`state.${state}`)}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
