/**
 * Turns an {@link ExperimentSummary} into its report: per-run plots and weight images,
 * comparison plots, and `report.md`. Used after an experiment and by `rebuildReport`, so a
 * report always comes from the same machine-readable record.
 */
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import {
  dataSourceBanner,
  markdownImage,
  markdownSection,
  reportDocument,
  type SettingValue,
  settingsTable,
  writeReport,
} from "../report/markdown.js";
import {
  type RenderedPlot,
  renderComparisonChart,
  renderLineChart,
  writePlot,
} from "../report/plots.js";
import { readSafetensors } from "../report/safetensors.js";
import { formatPercent, markdownTable } from "../report/tables.js";
import { writeWeightImages } from "../report/weights.js";
import { encodeRunConfig } from "./config.js";
import { orFail } from "./errors.js";
import type { EventListener } from "./events.js";
import { gradientCheckMarkdown } from "./gradcheck.js";
import type { ExperimentSummary, RunSummary } from "./summary.js";

/** Per-run file names, relative to the run's folder. */
export const RUN_FILES = {
  metricsCsv: "metrics.csv",
  metricsJsonl: "metrics.jsonl",
  parameters: "params.safetensors",
} as const;

/** A Markdown link with a relative target (segments URL-encoded). */
const markdownLink = (label: string, relativePath: string): string =>
  `[${label}](${relativePath.split("/").map(encodeURIComponent).join("/")})`;

/** Renders a plot and writes it; a rendering failure (e.g. no font) becomes a warning, not an error. */
export async function writeFigure(
  directory: string,
  baseName: string,
  render: () => Promise<E.Either<{ readonly message: string }, RenderedPlot>>,
  warn: EventListener,
): Promise<boolean> {
  const plot = await render();
  if (E.isLeft(plot)) {
    warn({
      type: "warning",
      message: `plot ${join(directory, baseName)} not rendered: ${plot.left.message}`,
    });
    return false;
  }
  await orFail(writePlot(directory, baseName, plot.right));
  return true;
}

const metricPlots = [
  { key: "loss", title: "loss", train: "trainLoss", validation: "validationLoss" },
  { key: "cost", title: "cost (loss + λ·Σ‖W‖²)", train: "trainCost", validation: "validationCost" },
  { key: "accuracy", title: "accuracy", train: "trainAccuracy", validation: "validationAccuracy" },
] as const;

/** Writes a run's loss, cost and accuracy plots (train vs validation per epoch); returns the base names written. */
export async function writeRunPlots(
  runDirectory: string,
  title: string,
  epochs: RunSummary["epochs"],
  warn: EventListener,
): Promise<string[]> {
  if (epochs.length === 0) return [];
  const written: string[] = [];
  for (const plot of metricPlots) {
    const ok = await writeFigure(
      runDirectory,
      plot.key,
      () =>
        renderLineChart({
          title: `${title}: ${plot.title}`,
          yLabel: plot.key,
          series: [
            { name: "train", values: epochs.map((epoch) => epoch[plot.train]) },
            { name: "validation", values: epochs.map((epoch) => epoch[plot.validation]) },
          ],
        })(),
      warn,
    );
    if (ok) written.push(plot.key);
  }
  return written;
}

/**
 * Writes a linear (A1) model's weight images from the run's saved parameters: each row of W as a
 * 32×32 colour image, min-max scaled, and a montage. Returns the montage's file name, or
 * `undefined` when the model is not linear or the weights are not finite (a diverged run).
 */
async function writeRunWeights(
  runDirectory: string,
  run: RunSummary,
  classNames: readonly string[] | undefined,
  warn: EventListener,
): Promise<string | undefined> {
  if (run.config.model.hiddenSizes.length !== 0) return undefined;
  const stored = await orFail(readSafetensors(join(runDirectory, RUN_FILES.parameters)));
  const weights = stored.tensors.get("layers.0.W");
  if (!weights || weights.data instanceof Int32Array || weights.shape.length !== 2)
    return undefined;
  if (!weights.data.every(Number.isFinite)) {
    warn({ type: "warning", message: `${run.name}: weights are not finite, no weight images` });
    return undefined;
  }
  const files = await orFail(
    writeWeightImages(runDirectory, weights.data, [weights.shape[0]!, weights.shape[1]!], {
      ...(classNames ? { classNames } : {}),
    }),
  );
  return files.montage;
}

const accuracyCell = (value: number | undefined): string =>
  value === undefined ? "—" : formatPercent(value);

const statusCell = (run: RunSummary): string =>
  run.status === "diverged" ? `diverged (epoch ${run.divergedAtEpoch})` : run.status;

/** The accuracy table of all runs. */
function runsTable(runs: readonly RunSummary[]): string {
  const grouped = runs.some((run) => run.group !== "");
  return markdownTable(
    [
      ...(grouped ? ["group"] : []),
      "run",
      "status",
      "epochs",
      "train acc.",
      "validation acc.",
      "test acc.",
    ],
    runs.map((run) => [
      ...(grouped ? [run.group] : []),
      run.name,
      statusCell(run),
      String(run.epochs.length),
      accuracyCell(run.final?.trainAccuracy),
      accuracyCell(run.final?.validationAccuracy),
      accuracyCell(run.final?.testAccuracy),
    ]),
  );
}

/**
 * Test accuracy with runs side by side by group: one row per run name, one column per group
 * (e.g. A1 bonus: settings × B1–B4). `undefined` when the runs have fewer than two groups.
 */
function groupComparisonTable(runs: readonly RunSummary[]): string | undefined {
  const groups = [...new Set(runs.map((run) => run.group))];
  if (groups.length < 2) return undefined;
  const names = [...new Set(runs.map((run) => run.name))];
  return markdownTable(
    ["run", ...groups],
    names.map((name) => [
      name,
      ...groups.map((group) => {
        const run = runs.find((candidate) => candidate.group === group && candidate.name === name);
        if (!run) return "—";
        return run.status === "completed" ? accuracyCell(run.final?.testAccuracy) : statusCell(run);
      }),
    ]),
  );
}

const runLabel = (run: RunSummary): string =>
  run.group === "" ? run.name : `${run.group}: ${run.name}`;

/** The settings of a run config as the report's table (the seed first). */
export function runSettingsTable(config: RunSummary["config"]): string {
  const { seed, ...settings } = encodeRunConfig(config) as { seed: number } & Record<
    string,
    SettingValue
  >;
  return settingsTable(settings, seed);
}

/**
 * Writes every figure of an experiment and its `report.md` into `directory` (atomically, file by
 * file). Plot rendering failures are reported through `warn` and leave the image out.
 *
 * @returns the path of `report.md`.
 */
export async function writeExperimentReport(
  directory: string,
  summary: ExperimentSummary,
  warn: EventListener,
): Promise<string> {
  const { experiment } = summary;
  const classNames = summary.classNames.length > 0 ? summary.classNames : undefined;
  const runSections: string[] = [];
  for (const run of summary.runs) {
    const runDirectory = join(directory, run.directory);
    const plots = await writeRunPlots(runDirectory, runLabel(run), run.epochs, warn);
    const montage = await writeRunWeights(runDirectory, run, classNames, warn);
    const blocks = [
      `Status: **${statusCell(run)}**` +
        (run.final
          ? ` — train ${formatPercent(run.final.trainAccuracy)}, validation ${formatPercent(run.final.validationAccuracy)}, test ${formatPercent(run.final.testAccuracy)} (test loss ${run.final.testLoss.toFixed(4)})`
          : ""),
      `Data: ${run.dataDescription}. Backend: ${run.backend.name} (${run.backend.reason}).`,
      ...plots.map((plot) => markdownImage(`${run.name}: ${plot}`, `${run.directory}/${plot}.png`)),
      ...(montage
        ? [
            "Weights W, one 32×32 image per class (min-max scaled):",
            markdownImage(`${run.name}: weights`, `${run.directory}/${montage}`),
          ]
        : []),
      [
        markdownLink("metrics.csv", `${run.directory}/${RUN_FILES.metricsCsv}`),
        markdownLink("metrics.jsonl", `${run.directory}/${RUN_FILES.metricsJsonl}`),
        markdownLink("parameters (safetensors)", `${run.directory}/${RUN_FILES.parameters}`),
      ].join(" · "),
      runSettingsTable(run.config),
    ];
    runSections.push(markdownSection(runLabel(run), blocks, 3));
  }

  const comparisons: string[] = [];
  if (summary.runs.filter((run) => run.epochs.length > 0).length >= 2) {
    for (const metric of ["loss", "accuracy"] as const) {
      const ok = await writeFigure(
        directory,
        `comparison-${metric}`,
        () =>
          renderComparisonChart({
            title: `${experiment.title}: ${metric} per run`,
            yLabel: metric,
            runs: summary.runs.map((run) => ({
              name: runLabel(run),
              series: [
                {
                  name: "train",
                  values: run.epochs.map(
                    (epoch) => epoch[metric === "loss" ? "trainLoss" : "trainAccuracy"],
                  ),
                },
                {
                  name: "validation",
                  values: run.epochs.map(
                    (epoch) => epoch[metric === "loss" ? "validationLoss" : "validationAccuracy"],
                  ),
                },
              ],
            })),
          })(),
        warn,
      );
      if (ok) comparisons.push(markdownImage(`${metric} per run`, `comparison-${metric}.png`));
    }
  }

  const groupTable = groupComparisonTable(summary.runs);
  const blocks = [
    ...summary.data.map(dataSourceBanner),
    ...(experiment.description ? [experiment.description] : []),
    `Status: **${summary.status}** · started ${summary.startedAt}`,
    ...(summary.runs.length > 0
      ? [markdownSection("Results", [runsTable(summary.runs), ...comparisons])]
      : []),
    ...(groupTable
      ? [markdownSection("Comparison across groups (test accuracy)", [groupTable])]
      : []),
    ...(summary.gradientChecks.length > 0
      ? [
          markdownSection(
            "Gradient checks",
            summary.gradientChecks.map((check) =>
              markdownSection(
                `${check.name}: ${check.pass ? "pass" : "FAIL"}`,
                [
                  `Float64, first ${check.config.inputDimensions} input dimensions of ${check.config.samples} training samples, λ = ${check.config.lambda}, h = ${check.config.step}, hidden sizes [${check.config.model.hiddenSizes.join(", ")}]${check.config.model.batchNorm ? " with batch normalization" : ""}. Pass: autograd vs centered differences, ‖a − b‖ / (‖a‖ + ‖b‖) < 1e-6 and every entry within 1e-6 relative or 1e-9 absolute.`,
                  gradientCheckMarkdown(check),
                ],
                3,
              ),
            ),
          ),
        ]
      : []),
    ...(runSections.length > 0 ? [markdownSection("Runs", runSections)] : []),
    markdownSection("Files", [
      `${markdownLink("results.json", "results.json")} holds everything above in machine-readable form; \`puregrad report\` on this folder rebuilds the report from it.`,
    ]),
  ];
  await orFail(writeReport(directory, reportDocument(experiment.title, blocks)));
  return join(directory, "report.md");
}
