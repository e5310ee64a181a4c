import { useLayoutEffect, useRef } from "preact/compat";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { toCsv, type CsvCell } from "./statistics-csv.ts";
import type { TimeChart } from "./statistics-series.ts";

/** Colours told apart by people with the common colour-vision deficiencies (Okabe and Ito), then greys. */
export const chartColours = [
  "#0072b2",
  "#e69f00",
  "#009e73",
  "#cc79a7",
  "#56b4e9",
  "#d55e00",
  "#f0e442",
  "#000000",
  "#999999",
];

/** How near the viewport a chart below the fold must come to be drawn. */
const belowFoldMarginPx = 200;

/**
 * A uPlot time series (of two periods or more: uPlot stretches a single one over years). uPlot writes its labels with textContent and its sizes through CSSOM, which the
 * dashboard's CSP (style-src 'self', no inline styles) allows; its stylesheet comes in as a file.
 */
export function TimeSeriesChart(props: {
  readonly chart: TimeChart;
  readonly label: string;
  readonly height?: number;
  /** A fixed y range (a share from 0 to 1); otherwise uPlot fits the values. */
  readonly yRange?: readonly [number, number];
}) {
  const container = useRef<HTMLDivElement>(null);
  const { chart, height = 280 } = props;
  const yMin = props.yRange?.[0];
  const yMax = props.yRange?.[1];
  // A layout effect: a chart in view is drawn before the browser paints, not in a later frame after an empty box.
  // A chart below the fold is drawn when it comes near the viewport, so that the first screenful paints sooner.
  useLayoutEffect(() => {
    const element = container.current;
    if (!element || chart.xs.length === 0) return;
    const widthOf = () => Math.max(320, element.clientWidth);
    let plot: uPlot | null = null;
    let resize: ResizeObserver | null = null;
    const draw = () => {
      plot = new uPlot(
        {
          width: widthOf(),
          height,
          scales: {
            x: { time: true },
            ...(yMin !== undefined && yMax !== undefined
              ? { y: { range: [yMin, yMax] as uPlot.Range.MinMax } }
              : {}),
          },
          series: [
            {},
            ...chart.lines.map((line, index) => ({
              label: line.label,
              stroke: chartColours[index % chartColours.length]!,
              width: 2,
            })),
          ],
          axes: [{}, { size: 60 }],
        },
        [chart.xs, ...chart.lines.map((line) => line.values)],
        element,
      );
      const drawn = plot;
      resize = new ResizeObserver(() => drawn.setSize({ width: widthOf(), height }));
      resize.observe(element);
    };
    let nearViewport: IntersectionObserver | null = null;
    if (element.getBoundingClientRect().top < window.innerHeight + belowFoldMarginPx) draw();
    else {
      nearViewport = new IntersectionObserver(
        (entries) => {
          if (!entries.some((entry) => entry.isIntersecting)) return;
          nearViewport?.disconnect();
          draw();
        },
        { rootMargin: `${belowFoldMarginPx}px 0px` },
      );
      nearViewport.observe(element);
    }
    return () => {
      nearViewport?.disconnect();
      resize?.disconnect();
      plot?.destroy();
    };
  }, [chart, height, yMin, yMax]);
  // operations.css gives the box the chart's height before it is drawn, so that nothing below moves when it is.
  return <div ref={container} className="time-chart" role="img" aria-label={props.label} />;
}

export interface BarDatum {
  readonly key: string;
  readonly label: string;
  /** Bar length, 0 to 1. */
  readonly share: number;
  /** What is written at the bar's end. */
  readonly value: string;
}

const barHeight = 22;
const barGap = 6;

/** Horizontal bars as SVG built from React elements: every label is a text node. */
export function BarChart(props: { readonly bars: readonly BarDatum[]; readonly label: string }) {
  const height = props.bars.length * (barHeight + barGap);
  return (
    <svg
      className="bar-chart"
      role="img"
      aria-label={props.label}
      viewBox={`0 0 1000 ${Math.max(height, barHeight)}`}
      preserveAspectRatio="xMinYMin meet"
    >
      {props.bars.map((bar, index) => {
        const y = index * (barHeight + barGap);
        return (
          <g key={bar.key || `#${index}`} data-key={bar.key}>
            <title>{`${bar.label}: ${bar.value}`}</title>
            <text x={0} y={y + barHeight * 0.72} className="bar-label">
              {bar.label.length > 40 ? `${bar.label.slice(0, 39)}…` : bar.label}
            </text>
            <rect
              x={340}
              y={y}
              height={barHeight}
              width={Math.max(1, bar.share * 560)}
              fill={chartColours[0]}
            />
            <text x={340 + Math.max(1, bar.share * 560) + 8} y={y + barHeight * 0.72} className="bar-value">
              {bar.value}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/**
 * A button that saves rows as a CSV file, built here in the browser from what the chart shows. The rows are built
 * when it is pressed, not at every render: sorting them by label (the first comparison loads ICU's collation data)
 * was a visible part of the statistics screen's first render.
 */
export function CsvDownload(props: {
  readonly fileName: string;
  readonly table: () => {
    readonly header: readonly string[];
    readonly rows: readonly (readonly CsvCell[])[];
  };
  readonly label: string;
}) {
  const download = () => {
    const { header, rows } = props.table();
    // The byte order mark makes spreadsheet programs read the file as UTF-8 (accented names, non-Latin scripts).
    const blob = new Blob(["\uFEFF", toCsv(header, rows)], { type: "text/csv;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = props.fileName;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };
  return (
    <button type="button" className="csv-download" data-csv={props.fileName} onClick={download}>
      {props.label}
    </button>
  );
}
