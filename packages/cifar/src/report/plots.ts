/**
 * Report plots: a Vega-Lite spec is compiled to Vega, rendered to SVG by Vega's headless View,
 * and rasterized to PNG by resvg with an explicitly chosen font.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import type { TopLevelSpec } from "vega-lite";
import { describeError, type WriteFileError, writeFileAtomic } from "./files.js";

/** A font for plot text: a family name and the font files that provide it (regular first). */
export interface PlotFont {
  /** Family name as written in the font files, e.g. `DejaVu Sans`. */
  readonly family: string;
  /** Font files (TrueType/OpenType) to load; the first must exist. */
  readonly files: readonly string[];
  /** Why this font was used (which candidate was found, or that the caller chose it). */
  readonly reason: string;
}

/** No usable font was found, so text in the PNG would silently be missing. */
export interface NoPlotFontError {
  readonly _tag: "NoPlotFontError";
  readonly message: string;
}

/** Vega or resvg failed on a spec (e.g. malformed data); carries their message. */
export interface PlotRenderError {
  readonly _tag: "PlotRenderError";
  readonly message: string;
}

/** Why a plot could not be rendered. */
export type PlotError = NoPlotFontError | PlotRenderError;

/** A rendered plot: the SVG text (vector, for the report folder) and the PNG bytes. */
export interface RenderedPlot {
  readonly svg: string;
  readonly png: Buffer;
  /** PNG size in pixels (the SVG size times the render scale). */
  readonly width: number;
  readonly height: number;
  /** The font the PNG's text was drawn with. */
  readonly font: PlotFont;
}

/** Options for turning a spec into SVG and PNG. */
export interface PlotRenderOptions {
  /** PNG pixels per SVG unit; default 2 (sharp on high-density screens). */
  readonly scale?: number;
  /** Font to draw text with; default: the first of the well-known system fonts that exists. */
  readonly font?: { readonly family: string; readonly files: readonly string[] };
}

// Regular face first: it must exist; the bold face (titles) is loaded when present.
const fontCandidates: readonly { family: string; files: readonly string[]; origin: string }[] = [
  {
    family: "DejaVu Sans",
    files: [
      "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
      "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ],
    origin: "Debian/Ubuntu package fonts-dejavu-core",
  },
  {
    family: "DejaVu Sans",
    files: [
      "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
      "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf",
    ],
    origin: "Fedora package dejavu-sans-fonts",
  },
  {
    family: "DejaVu Sans",
    files: ["/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"],
    origin: "Arch package ttf-dejavu",
  },
  {
    family: "Liberation Sans",
    files: [
      "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
      "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ],
    origin: "Debian/Ubuntu package fonts-liberation",
  },
  {
    family: "Arial",
    files: [
      "/System/Library/Fonts/Supplemental/Arial.ttf",
      "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
    ],
    origin: "macOS",
  },
  {
    family: "Arial",
    files: ["C:\\Windows\\Fonts\\arial.ttf", "C:\\Windows\\Fonts\\arialbd.ttf"],
    origin: "Windows",
  },
];

/**
 * Chooses the font for plot text. System fonts are not scanned (slow, and the result would depend
 * on whatever is installed); instead a short list of well-known font files is checked in order.
 *
 * @param requested - A caller's font, used as given when its first file exists.
 * @returns The font with the reason it was chosen, or `NoPlotFontError` saying what to install.
 */
export function findPlotFont(requested?: PlotRenderOptions["font"]): E.Either<PlotError, PlotFont> {
  if (requested !== undefined) {
    const [regular] = requested.files;
    return regular !== undefined && existsSync(regular)
      ? E.right({ ...requested, reason: `requested by the caller (${regular})` })
      : E.left({
          _tag: "NoPlotFontError",
          message: `the requested font file ${regular ?? "(none given)"} does not exist`,
        });
  }
  for (const candidate of fontCandidates) {
    if (!existsSync(candidate.files[0]!)) continue;
    return E.right({
      family: candidate.family,
      files: candidate.files.filter((file) => existsSync(file)),
      reason: `found ${candidate.files[0]} (${candidate.origin})`,
    });
  }
  return E.left({
    _tag: "NoPlotFontError",
    message:
      "no font found for plot text: install fonts-dejavu-core (apt-get install fonts-dejavu-core) " +
      "or pass a .ttf file as the font option",
  });
}

/**
 * Renders any Vega-Lite spec to SVG (Vega headless View, renderer "none") and PNG (resvg). Vega
 * and resvg are loaded on first use, so importing this package stays cheap; Vega must be loaded
 * with `import()` because it uses top-level await.
 *
 * @returns `NoPlotFontError` when no font exists, `PlotRenderError` when Vega or resvg fail.
 */
export function renderVegaLite(
  spec: TopLevelSpec,
  options: PlotRenderOptions = {},
): TE.TaskEither<PlotError, RenderedPlot> {
  return async () => {
    const font = findPlotFont(options.font);
    if (E.isLeft(font)) return font;
    const { family, files } = font.right;
    try {
      const [vega, vegaLite, { Resvg }] = await Promise.all([
        import("vega"),
        import("vega-lite"),
        import("@resvg/resvg-js"),
      ]);
      const withFont: TopLevelSpec = {
        ...spec,
        config: { ...spec.config, font: `${family}, sans-serif` },
      };
      const view = new vega.View(vega.parse(vegaLite.compile(withFont).spec), {
        renderer: "none",
        logLevel: vega.Error,
      });
      let svg: string;
      try {
        svg = await view.toSVG();
      } finally {
        view.finalize();
      }
      const image = new Resvg(svg, {
        fitTo: { mode: "zoom", value: options.scale ?? 2 },
        font: {
          loadSystemFonts: false,
          fontFiles: [...files],
          defaultFontFamily: family,
          sansSerifFamily: family,
        },
      }).render();
      return E.right({
        svg,
        png: image.asPng(),
        width: image.width,
        height: image.height,
        font: font.right,
      });
    } catch (error) {
      return E.left({
        _tag: "PlotRenderError",
        message: `cannot render plot: ${describeError(error)}`,
      });
    }
  };
}

/** One line of a chart: `values[i]` is the value after epoch `i + 1`. */
export interface Series {
  /** Legend label, e.g. `train` or `validation`. */
  readonly name: string;
  readonly values: readonly number[];
}

/** Layout shared by the per-epoch charts. */
export interface EpochChartLayout {
  readonly title: string;
  /** y-axis title, e.g. `cost`. */
  readonly yLabel: string;
  /** x-axis title; default `epoch`. */
  readonly xLabel?: string;
  /** Logarithmic y axis (for losses spanning decades); default linear. */
  readonly logY?: boolean;
  /** Plot area size in SVG units; default 480 × 300. */
  readonly width?: number;
  readonly height?: number;
}

/** A line chart of one run's series per epoch, e.g. train vs validation loss. */
export interface LineChart extends EpochChartLayout {
  readonly series: readonly Series[];
}

/** A chart comparing runs, e.g. training loss per momentum ρ. */
export interface ComparisonChart extends EpochChartLayout {
  /** Legend title for the runs, e.g. `momentum ρ`; default `run`. */
  readonly runLabel?: string;
  /**
   * The runs; each has one or more series (e.g. only `train`, or `train` and `validation`).
   * Runs are told apart by colour and series by dash pattern.
   */
  readonly runs: readonly { readonly name: string; readonly series: readonly Series[] }[];
}

// JSON has no NaN/Infinity and an infinite value would stretch the axis to nothing: a diverged
// run's line simply stops where its values stop being finite.
const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null);

function epochChartSpec(
  layout: EpochChartLayout,
  rows: readonly { run: string; series: string; epoch: number; value: number | null }[],
  encodeRun: boolean,
  encodeSeries: boolean,
  runLabel: string,
): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: layout.title,
    width: layout.width ?? 480,
    height: layout.height ?? 300,
    background: "white",
    data: { values: rows.map((row) => ({ ...row })) },
    // Points would turn the dash legend's line symbols into circles, hiding the dash patterns.
    mark: { type: "line", point: !(encodeRun && encodeSeries) && rows.length <= 200 },
    encoding: {
      x: {
        field: "epoch",
        type: "quantitative",
        title: layout.xLabel ?? "epoch",
        scale: { zero: false, nice: false },
        axis: { tickMinStep: 1, format: "d" },
      },
      y: {
        field: "value",
        type: "quantitative",
        title: layout.yLabel,
        scale: layout.logY ? { type: "log" } : { zero: false },
      },
      ...(encodeRun
        ? { color: { field: "run", type: "nominal", title: runLabel, sort: null } }
        : encodeSeries
          ? { color: { field: "series", type: "nominal", title: null, sort: null } }
          : {}),
      ...(encodeRun && encodeSeries
        ? {
            strokeDash: {
              field: "series",
              type: "nominal",
              title: null,
              sort: null,
            },
          }
        : {}),
    },
  };
}

const seriesRows = (run: string, series: Series) =>
  series.values.map((value, index) => ({
    run,
    series: series.name,
    epoch: index + 1,
    value: finiteOrNull(value),
  }));

/** The Vega-Lite spec of a {@link LineChart}: one coloured line (with points) per series. */
export function lineChartSpec(chart: LineChart): TopLevelSpec {
  const rows = chart.series.flatMap((series) => seriesRows("", series));
  return epochChartSpec(chart, rows, false, true, "");
}

/** The Vega-Lite spec of a {@link ComparisonChart}: colour per run, dash pattern per series. */
export function comparisonChartSpec(chart: ComparisonChart): TopLevelSpec {
  const rows = chart.runs.flatMap((run) =>
    run.series.flatMap((series) => seriesRows(run.name, series)),
  );
  const seriesNames = new Set(chart.runs.flatMap((run) => run.series.map((series) => series.name)));
  return epochChartSpec(chart, rows, true, seriesNames.size > 1, chart.runLabel ?? "run");
}

/** One finished trial of a hyper-parameter search. */
export interface SearchTrial {
  /** Learning rate η (> 0). */
  readonly learningRate: number;
  /** L2 regularization strength λ (> 0: it is drawn on a log scale). */
  readonly regularization: number;
  /** Best or final validation accuracy in [0, 1]. */
  readonly validationAccuracy: number;
}

/** A scatter of search trials over η and λ (both log scales), coloured by validation accuracy. */
export interface SearchScatter {
  readonly title: string;
  readonly trials: readonly SearchTrial[];
  /** Plot area size in SVG units; default 420 × 320. */
  readonly width?: number;
  readonly height?: number;
}

/**
 * The Vega-Lite spec of a {@link SearchScatter}.
 *
 * @throws RangeError if a trial's η or λ is not a positive finite number (no place on a log axis).
 */
export function searchScatterSpec(scatter: SearchScatter): TopLevelSpec {
  scatter.trials.forEach((trial, index) => {
    for (const key of ["learningRate", "regularization"] as const)
      if (!(Number.isFinite(trial[key]) && trial[key] > 0))
        throw new RangeError(
          `searchScatterSpec: trial ${index} has ${key} ${trial[key]}, but a log axis needs a positive value`,
        );
  });
  const logAxis = { type: "log", nice: true } as const;
  // d3's "~g" writes 1e-6 as 0.000001: an axis reaching below 0.001 is labelled 1e-6 instead.
  const logAxisFormat = (key: "learningRate" | "regularization") => ({
    format: scatter.trials.every((trial) => trial[key] >= 1e-3) ? "~g" : ".0e",
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: scatter.title,
    width: scatter.width ?? 420,
    height: scatter.height ?? 320,
    background: "white",
    data: {
      values: scatter.trials.map((trial) => ({
        ...trial,
        validationAccuracy: finiteOrNull(trial.validationAccuracy),
      })),
    },
    mark: { type: "point", filled: true, size: 90, opacity: 0.9 },
    encoding: {
      x: {
        field: "learningRate",
        type: "quantitative",
        title: "learning rate η",
        scale: logAxis,
        axis: logAxisFormat("learningRate"),
      },
      y: {
        field: "regularization",
        type: "quantitative",
        title: "regularization λ",
        scale: logAxis,
        axis: logAxisFormat("regularization"),
      },
      color: {
        field: "validationAccuracy",
        type: "quantitative",
        title: "validation accuracy",
        scale: { scheme: "viridis" },
        legend: { format: ".1%" },
      },
    },
  };
}

/** Renders a {@link LineChart}; see {@link renderVegaLite} for the errors. */
export function renderLineChart(
  chart: LineChart,
  options?: PlotRenderOptions,
): TE.TaskEither<PlotError, RenderedPlot> {
  return renderVegaLite(lineChartSpec(chart), options);
}

/** Renders a {@link ComparisonChart}; see {@link renderVegaLite} for the errors. */
export function renderComparisonChart(
  chart: ComparisonChart,
  options?: PlotRenderOptions,
): TE.TaskEither<PlotError, RenderedPlot> {
  return renderVegaLite(comparisonChartSpec(chart), options);
}

/**
 * Renders a {@link SearchScatter}; see {@link renderVegaLite} for the errors.
 *
 * @throws RangeError for a non-positive η or λ (see {@link searchScatterSpec}).
 */
export function renderSearchScatter(
  scatter: SearchScatter,
  options?: PlotRenderOptions,
): TE.TaskEither<PlotError, RenderedPlot> {
  return renderVegaLite(searchScatterSpec(scatter), options);
}

/** File names (relative to the report folder) of a written plot. */
export interface PlotFiles {
  readonly svg: string;
  readonly png: string;
}

/**
 * Writes a rendered plot as `<baseName>.svg` and `<baseName>.png` in `directory`, each atomically.
 *
 * @returns The two file names relative to `directory`, for links in `report.md`.
 */
export function writePlot(
  directory: string,
  baseName: string,
  plot: RenderedPlot,
): TE.TaskEither<WriteFileError, PlotFiles> {
  const files = { svg: `${baseName}.svg`, png: `${baseName}.png` };
  return TE.map(() => files)(
    TE.sequenceSeqArray([
      writeFileAtomic(join(directory, files.svg), plot.svg),
      writeFileAtomic(join(directory, files.png), plot.png),
    ]),
  );
}
