import { useMemo, useState } from "preact/compat";
import { ScreenHeader, WhenLoaded } from "../components.tsx";
import { useLanguage, useMessages } from "../i18n/language.tsx";
import type { ScreenProps } from "../routes.ts";
import { useApi } from "../use-api.ts";
import { formatCount, formatShare } from "./operations-format.ts";
import "./operations.css";
import { BarChart, CsvDownload, TimeSeriesChart } from "./statistics-charts.tsx";
import { csvFileName } from "./statistics-csv.ts";
import {
  precisionCsvRows,
  precisionGroupings,
  precisionGroups,
  precisionTimeChart,
  type PrecisionGrouping,
  type PrecisionReport,
} from "./statistics-precision.ts";
import {
  bars,
  offerDimensions,
  seriesCsvRows,
  statisticsIntervals,
  timeChart,
  totalsCsvRows,
  withLabels,
  type OfferDimension,
  type OfferStatistics,
  type StatisticsInterval,
} from "./statistics-series.ts";
import { statisticsMessages } from "./statistics.messages.ts";
import { initialStatisticsChoice, maxChartLines, statisticsRequests } from "./statistics-requests.ts";
import { RemovalTimes } from "./takedowns.tsx";
import {
  platformMeasures,
  removalCsvRows,
  removalRateChart,
  type TakedownReport,
} from "./statistics-removals.ts";

/** Bars in a totals chart. */
const maxBars = 15;

/** Platforms drawn beside the all-platforms removal rate line. */
const removalLines = 4;
/** Groups drawn beside the overall precision line. */
const precisionLines = 4;

/**
 * Statistics: flagged offers over time and in total by a chosen dimension, removal rates and times by platform,
 * and review precision; each chart downloadable as CSV. `data-ready` is set once every section has its answer
 * (or its error), for tests and the dashboard benchmark.
 */
export function StatisticsScreen(_props: ScreenProps) {
  const t = useMessages(statisticsMessages);
  const [by, setBy] = useState<OfferDimension>(initialStatisticsChoice.by);
  const [interval, setStatisticsInterval] = useState<StatisticsInterval>(initialStatisticsChoice.interval);
  const [from, setFrom] = useState(initialStatisticsChoice.from);
  const [to, setTo] = useState(initialStatisticsChoice.to);
  const [precisionBy, setPrecisionBy] = useState<PrecisionGrouping>(initialStatisticsChoice.precisionBy);
  const requests = statisticsRequests({ by, interval, from, to, precisionBy });
  const offers = useApi<OfferStatistics>(requests.offers.path, requests.offers.query);
  const removalsOverTime = useApi<TakedownReport>(
    requests.removalsOverTime.path,
    requests.removalsOverTime.query,
  );
  const removalsOverall = useApi<TakedownReport>(
    requests.removalsOverall.path,
    requests.removalsOverall.query,
  );
  const precision = useApi<PrecisionReport>(requests.precision.path, requests.precision.query);
  const ready = [offers, removalsOverTime, removalsOverall, precision].every(
    (loaded) => loaded.status !== "loading",
  );
  return (
    <section className="operations statistics" data-ready={ready ? "true" : undefined}>
      <ScreenHeader title={t("title")} />
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <label>
          {t("by")}{" "}
          <select
            name="by"
            value={by}
            onChange={(event) => setBy(event.currentTarget.value as OfferDimension)}
          >
            {offerDimensions.map((dimension) => (
              <option key={dimension} value={dimension}>
                {t(`by.${dimension}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("interval")}{" "}
          <select
            name="interval"
            value={interval}
            onChange={(event) => setStatisticsInterval(event.currentTarget.value as StatisticsInterval)}
          >
            {statisticsIntervals.map((name) => (
              <option key={name} value={name}>
                {t(`interval.${name}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("from")}{" "}
          <input
            type="date"
            name="from"
            value={from}
            onChange={(event) => setFrom(event.currentTarget.value)}
          />
        </label>
        <label>
          {t("to")}{" "}
          <input type="date" name="to" value={to} onChange={(event) => setTo(event.currentTarget.value)} />
        </label>
      </form>
      <WhenLoaded loaded={offers}>{(data) => <OfferCharts statistics={data} />}</WhenLoaded>
      <WhenLoaded loaded={removalsOverTime}>
        {(overTime) => (
          <WhenLoaded loaded={removalsOverall}>
            {(overall) => <RemovalCharts overTime={overTime} overall={overall} />}
          </WhenLoaded>
        )}
      </WhenLoaded>
      <section className="card" aria-labelledby="precision-title">
        <header className="panel-header">
          <h2 id="precision-title">{t("precision", { by: t(`precisionBy.${precisionBy}`) })}</h2>
          <label>
            {t("precisionBy")}{" "}
            <select
              name="precisionBy"
              value={precisionBy}
              onChange={(event) => setPrecisionBy(event.currentTarget.value as PrecisionGrouping)}
            >
              {precisionGroupings.map((dimension) => (
                <option key={dimension} value={dimension}>
                  {t(`precisionBy.${dimension}`)}
                </option>
              ))}
            </select>
          </label>
        </header>
        <WhenLoaded loaded={precision}>{(data) => <PrecisionCharts report={data} />}</WhenLoaded>
      </section>
    </section>
  );
}

function OfferCharts(props: { readonly statistics: OfferStatistics }) {
  const t = useMessages(statisticsMessages);
  const { language } = useLanguage();
  const unknown = t("unknown");
  const statistics = useMemo(() => withLabels(props.statistics, unknown), [props.statistics, unknown]);
  const other = t("other");
  const chart = useMemo(
    () => timeChart(statistics.series, { maxLines: maxChartLines, otherLabel: other }),
    [statistics, other],
  );
  const byName = t(`by.${statistics.by}`);
  const overTime = t("offersOverTime", { by: byName });
  const totalsTitle = t("offersTotals", { by: byName });
  return (
    <>
      <section className="card" aria-labelledby="offers-time-title" data-chart="offers-over-time">
        <header className="panel-header">
          <h2 id="offers-time-title">{overTime}</h2>
          <CsvDownload
            label={t("downloadCsv")}
            fileName={csvFileName("offers", statistics.by, statistics.interval)}
            table={() => seriesCsvRows(statistics)}
          />
        </header>
        {chart.xs.length === 0 ? (
          <p className="empty">{t("noOffers")}</p>
        ) : chart.xs.length === 1 ? (
          <p className="hint">{t("onePeriod")}</p>
        ) : (
          <TimeSeriesChart chart={chart} label={t("chartOf", { title: overTime })} />
        )}
      </section>
      <section className="card" aria-labelledby="offers-totals-title" data-chart="offers-totals">
        <header className="panel-header">
          <h2 id="offers-totals-title">{totalsTitle}</h2>
          <CsvDownload
            label={t("downloadCsv")}
            fileName={csvFileName("offers", statistics.by, "totals")}
            table={() => totalsCsvRows(statistics)}
          />
        </header>
        {statistics.totals.length === 0 ? (
          <p className="empty">{t("noOffers")}</p>
        ) : (
          <BarChart
            label={t("chartOf", { title: totalsTitle })}
            bars={bars(statistics.totals, maxBars).map((bar) => ({
              key: bar.key,
              label: bar.label,
              share: bar.share,
              value: formatCount(language, bar.count),
            }))}
          />
        )}
      </section>
    </>
  );
}

function RemovalCharts(props: { readonly overTime: TakedownReport; readonly overall: TakedownReport }) {
  const t = useMessages(statisticsMessages);
  const { language } = useLanguage();
  const allPlatforms = t("allPlatforms");
  const chart = useMemo(
    () => removalRateChart(props.overTime, { allLabel: allPlatforms, maxPlatforms: removalLines }),
    [props.overTime, allPlatforms],
  );
  const measures = platformMeasures(props.overall);
  const perPlatform = measures.filter((row) => row.platform !== "all");
  const title = t("removals");
  // One file for both: the periods, then the whole time (period "all"), in the report's own columns.
  const csv = () =>
    removalCsvRows({
      interval: props.overTime.interval,
      rows: [...props.overTime.rows, ...props.overall.rows],
    });
  return (
    <section className="card" aria-labelledby="removals-title" data-chart="removals">
      <header className="panel-header">
        <h2 id="removals-title">{title}</h2>
        <CsvDownload
          label={t("downloadCsv")}
          fileName={csvFileName("removals", props.overTime.interval)}
          table={csv}
        />
      </header>
      {perPlatform.length === 0 ? (
        <p className="empty">{t("noRemovals")}</p>
      ) : (
        <>
          {chart.xs.length > 1 ? (
            <TimeSeriesChart
              chart={chart}
              label={t("chartOf", { title: `${title}: ${t("removalRate")}` })}
              yRange={[0, 1]}
            />
          ) : null}
          <BarChart
            label={t("chartOf", { title: `${title}: ${t("removalRate")}` })}
            bars={perPlatform.map((row) => ({
              key: row.platform,
              label: row.platform,
              share: row.removalRate ?? 0,
              value: formatShare(language, row.removalRate ?? Number.NaN),
            }))}
          />
          <RemovalTimes report={props.overall} caption={false} />
        </>
      )}
    </section>
  );
}

function PrecisionCharts(props: { readonly report: PrecisionReport }) {
  const t = useMessages(statisticsMessages);
  const { language } = useLanguage();
  const { report } = props;
  const overall = t("allFlags");
  const chart = useMemo(
    () => precisionTimeChart(report, { overallLabel: overall, groups: precisionLines }),
    [report, overall],
  );
  const groups = precisionGroups(report, maxBars);
  const title = t("precision", { by: t(`precisionBy.${report.by}`) });
  if (report.reviewed === 0) return <p className="empty">{t("noPrecision")}</p>;
  return (
    <div data-chart="precision">
      <p className="hint">
        {t("precisionSummary", {
          precision: formatShare(language, report.precision ?? Number.NaN),
          reviewed: formatCount(language, report.reviewed),
          unsure: formatCount(language, report.unsure),
        })}
      </p>
      <CsvDownload
        label={t("downloadCsv")}
        fileName={csvFileName("precision", report.by, report.interval)}
        table={() => precisionCsvRows(report)}
      />
      {chart.xs.length > 1 ? (
        <TimeSeriesChart chart={chart} label={t("chartOf", { title })} yRange={[0, 1]} />
      ) : null}
      <BarChart
        label={t("chartOf", { title })}
        bars={groups.map((group) => ({
          key: group.key,
          label: group.key,
          share: group.precision ?? 0,
          value: `${formatShare(language, group.precision ?? Number.NaN)} (${formatCount(language, group.reviewed)})`,
        }))}
      />
    </div>
  );
}
