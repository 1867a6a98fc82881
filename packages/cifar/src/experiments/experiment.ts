/** Running an experiment (named runs and gradient checks) into a report folder. */
import { join } from "node:path";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { writeFileAtomic } from "../report/files.js";
import type { DataSource } from "../report/markdown.js";
import {
  DEFAULT_RUN_CONFIG,
  type ExperimentConfig,
  encodeConfigFile,
  type GradientCheckConfig,
  type RunConfig,
} from "./config.js";
import { attempt, type ExperimentError, ensureDirectory, fail, orFail } from "./errors.js";
import { type GradientCheckResult, gradientCheckMarkdown, runGradientCheck } from "./gradcheck.js";
import { writeExperimentReport } from "./reporting.js";
import {
  checkWithOverrides,
  createSession,
  dataRequestOf,
  lossFor,
  type RunnerOptions,
  type Session,
  trainInSession,
  withOverrides,
} from "./session.js";
import {
  type ExperimentSummary,
  encodeExperimentSummary,
  RESULTS_FILE,
  type RunSummary,
} from "./summary.js";

/** The config of an experiment as run, next to its report (re-run it with `runExperimentConfig`). */
export const EXPERIMENT_CONFIG_FILE = "experiment.json";

/** What an experiment produced. */
export interface ExperimentResult {
  /** `aborted` when the signal stopped it (the report covers what finished). */
  readonly status: "completed" | "aborted";
  readonly outDir: string;
  /** Path of `report.md`. */
  readonly reportPath: string;
  readonly summary: ExperimentSummary;
}

const slugOf = (text: string): string =>
  text
    .replaceAll("λ", "lambda")
    .replaceAll("η", "eta")
    .replaceAll("ρ", "rho")
    .replaceAll("α", "alpha")
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);

/** The run's folder relative to the experiment folder, e.g. `runs/02-lambda-0-eta-0.001`. */
const runDirectoryOf = (index: number, group: string, name: string): string =>
  `runs/${String(index + 1).padStart(2, "0")}-${slugOf(`${group} ${name}`)}`;

const sameSource = (a: DataSource, b: DataSource) => JSON.stringify(a) === JSON.stringify(b);

/** The data a gradient check uses: the training split of `a1` (first samples only), in the experiment's data mode. */
function checkDataRequest(
  config: ExperimentConfig,
  options: RunnerOptions,
  checks: readonly GradientCheckConfig[],
) {
  const base = withOverrides(config.runs[0]?.config ?? DEFAULT_RUN_CONFIG, options);
  const samples = Math.max(...checks.map((check) => check.samples));
  return {
    data: base.data,
    split: "a1" as const,
    synthetic: { train: Math.max(samples, 100), validation: 10, test: 10 },
  };
}

/** Runs gradient checks in a session, emitting their events. */
async function checksInSession(
  session: Session,
  checks: readonly GradientCheckConfig[],
  request: ReturnType<typeof checkDataRequest>,
): Promise<GradientCheckResult[]> {
  if (checks.length === 0) return [];
  const data = await session.data(request);
  const results: GradientCheckResult[] = [];
  for (const [index, check] of checks.entries()) {
    if (session.options.signal?.aborted) break;
    const position = { check: index + 1, checks: checks.length, name: check.name };
    session.emit({ type: "gradcheck-started", ...position });
    const result = runGradientCheck(
      check,
      data.train,
      lossFor(check.loss, session.options),
      (row) => session.emit({ type: "gradcheck-row", ...position, row }),
    );
    if ("_tag" in result) fail(result);
    session.emit({
      type: "gradcheck-finished",
      ...position,
      pass: result.pass,
      table: gradientCheckMarkdown(result),
    });
    results.push(result);
  }
  return results;
}

/**
 * Runs an experiment into `options.outDir`: first its gradient checks, then each run in order,
 * each in its own folder under `runs/` (per-epoch `metrics.jsonl` appended as epochs finish,
 * then `metrics.csv` and `params.safetensors`); after each run `results.json` is rewritten, and at
 * the end the plots, weight images (linear models) and `report.md` are written. The effective
 * config goes to `experiment.json`.
 *
 * A diverged run is recorded as diverged and the next run starts. An aborted signal stops
 * between training steps; the report then covers what finished and the status is `aborted`.
 *
 * @returns the result, or an {@link ExperimentError}: a loss module not supplied (before anything
 *   is written), data that cannot be had (`data: "real"` without the files; checked before the
 *   folder is created), a file that cannot be written.
 * @example
 * const result = await runExperimentConfig(config, { outDir: "runs/a1", onEvent: console.log })();
 */
export function runExperimentConfig(
  config: ExperimentConfig,
  options: RunnerOptions,
): TE.TaskEither<ExperimentError, ExperimentResult> {
  return attempt(async () => {
    const experiment: ExperimentConfig = {
      ...config,
      runs: config.runs.map((run) => ({ ...run, config: withOverrides(run.config, options) })),
      gradientChecks: config.gradientChecks.map((check) => checkWithOverrides(check, options)),
    };
    for (const run of experiment.runs) lossFor(run.config.loss, options);
    for (const check of experiment.gradientChecks) lossFor(check.loss, options);

    const session = createSession(options);
    const checkRequest = checkDataRequest(experiment, options, experiment.gradientChecks);
    // Fail on missing data before creating anything.
    const first =
      experiment.gradientChecks.length > 0
        ? checkRequest
        : dataRequestOf(experiment.runs[0]!.config);
    const firstData = await session.data(first);

    const { outDir } = options;
    await ensureDirectory(outDir);
    await orFail(writeFileAtomic(join(outDir, EXPERIMENT_CONFIG_FILE), configText(experiment)));

    let summary: ExperimentSummary = {
      format: "puregrad-experiment/1",
      status: "running",
      startedAt: new Date().toISOString(),
      experiment,
      data: [firstData.source],
      classNames: firstData.classNames,
      runs: [],
      gradientChecks: [],
    };
    const save = () =>
      orFail(writeFileAtomic(join(outDir, RESULTS_FILE), encodeExperimentSummary(summary)));
    const noteSource = (source: DataSource) => {
      if (!summary.data.some((known) => sameSource(known, source)))
        summary = { ...summary, data: [...summary.data, source] };
    };

    const gradientChecks = await checksInSession(session, experiment.gradientChecks, checkRequest);
    summary = { ...summary, gradientChecks };
    await save();

    for (const [index, run] of experiment.runs.entries()) {
      if (options.signal?.aborted) break;
      const directory = runDirectoryOf(index, run.group, run.name);
      await ensureDirectory(join(outDir, directory));
      const position = {
        run: index + 1,
        runs: experiment.runs.length,
        name: run.name,
        group: run.group,
      };
      const { outcome, backend, data } = await trainInSession(
        session,
        run.config,
        position,
        join(outDir, directory),
      );
      noteSource(data.source);
      const record: RunSummary = {
        name: run.name,
        group: run.group,
        directory,
        config: run.config,
        backend,
        dataDescription: data.description,
        status: outcome.status,
        ...(outcome.divergedAtEpoch === undefined
          ? {}
          : { divergedAtEpoch: outcome.divergedAtEpoch }),
        epochs: outcome.epochs,
        ...(outcome.final ? { final: outcome.final } : {}),
      };
      summary = { ...summary, runs: [...summary.runs, record] };
      await save();
    }

    const aborted = options.signal?.aborted ?? false;
    summary = { ...summary, status: aborted ? "aborted" : "completed" };
    await save();
    const reportPath = await writeExperimentReport(outDir, summary, session.emit);
    session.emit({ type: "report-written", directory: outDir, reportPath });
    if (aborted) session.emit({ type: "aborted" });
    return { status: aborted ? "aborted" : "completed", outDir, reportPath, summary } as const;
  });
}

const configText = (experiment: ExperimentConfig): string =>
  `${JSON.stringify(encodeConfigFile({ kind: "experiment", config: experiment }), null, 2)}\n`;

/**
 * Runs one training config as an experiment with a single run named `run` (see
 * {@link runExperimentConfig} for the files and errors).
 */
export function runConfig(
  config: RunConfig,
  options: RunnerOptions & { readonly title?: string },
): TE.TaskEither<ExperimentError, ExperimentResult> {
  return runExperimentConfig(
    {
      kind: "experiment",
      title: options.title ?? "training run",
      description: "",
      runs: [{ name: "run", group: "", config }],
      gradientChecks: [],
    },
    options,
  );
}

/** Options of {@link runGradientChecks}: the runner options without the output folder. */
export type GradientCheckOptions = Omit<RunnerOptions, "outDir">;

/**
 * Runs gradient checks without writing anything, on the first training samples of split `a1`
 * (real or synthetic per `options.data`, default `auto`). Each check's Markdown table comes with
 * its `gradcheck-finished` event and from {@link gradientCheckMarkdown}.
 *
 * @returns one result per check, or an {@link ExperimentError} (data, loss module).
 */
export function runGradientChecks(
  checks: readonly GradientCheckConfig[],
  options: GradientCheckOptions = {},
): TE.TaskEither<ExperimentError, GradientCheckResult[]> {
  return attempt(async () => {
    const effective = checks.map((check) => checkWithOverrides(check, { ...options, outDir: "" }));
    for (const check of effective) lossFor(check.loss, { ...options, outDir: "" });
    const session = createSession({ ...options, outDir: "" });
    const request = checkDataRequest(
      {
        kind: "experiment",
        title: "gradient checks",
        description: "",
        runs: [],
        gradientChecks: effective,
      },
      { ...options, outDir: "" },
      effective,
    );
    return checksInSession(session, effective, request);
  });
}
