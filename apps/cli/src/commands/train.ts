/** `puregrad train --config FILE`: one run or a whole experiment from a config file. */
import { type ExperimentConfig, type ExperimentResult, runExperimentConfig } from "@puregrad/cifar";
import * as E from "fp-ts/lib/Either.js";
import type { CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import {
  checkOutcome,
  configDirectory,
  configName,
  experimentError,
  lossForRunners,
  outDirFor,
  readConfig,
  rendererFor,
  runnerOptionsFor,
} from "../runner.js";

/** Options of {@link trainCommand}. */
export interface TrainOptions {
  readonly config: string;
  /** Replaces the epochs of every run. */
  readonly epochs: number | undefined;
}

/** Every run of an experiment trained for `epochs` epochs (unchanged when undefined). */
export function withEpochs(
  experiment: ExperimentConfig,
  epochs: number | undefined,
): ExperimentConfig {
  if (epochs === undefined) return experiment;
  return {
    ...experiment,
    runs: experiment.runs.map((run) => ({ ...run, config: { ...run.config, epochs } })),
  };
}

/**
 * Trains what a config file describes — a run (`kind: "run"` or no kind) or an experiment — into
 * `--out` (default `runs/<config name>`), and prints where the report is. The config is checked
 * completely before anything is written.
 * @throws CliError: exit 2 for a bad config (every bad field listed) or a search config, 1 when
 *   the data cannot be had or every run diverged
 */
export async function trainCommand(context: CommandContext, options: TrainOptions): Promise<void> {
  const file = await readConfig(options.config);
  if (file.kind === "search") {
    throw usageError(
      `${options.config} is a search config; run it with \`puregrad search --config ${options.config}\`.`,
    );
  }
  const experiment: ExperimentConfig = withEpochs(
    file.kind === "run"
      ? {
          kind: "experiment",
          title: configName(options.config),
          description: "",
          runs: [{ name: "run", group: "", config: file.config }],
          gradientChecks: [],
        }
      : file.config,
    options.epochs,
  );
  const result = await runExperimentWithCli(context, experiment, {
    outDir: outDirFor(context, configName(options.config)),
    configDirectory: configDirectory(options.config),
  });
  context.output.debug(`${result.summary.runs.length} runs recorded in ${result.outDir}`);
}

/** Where an experiment goes and where relative paths in its config start. */
export interface ExperimentTarget {
  readonly outDir: string;
  readonly configDirectory: string;
}

/**
 * Runs an experiment config with the CLI's flags, progress and exit-code rules, and prints the
 * report's path (a `report` result line).
 */
export async function runExperimentWithCli(
  context: CommandContext,
  experiment: ExperimentConfig,
  target: ExperimentTarget,
): Promise<ExperimentResult> {
  const loss = await lossForRunners(
    context,
    [
      ...experiment.runs.map((run) => run.config.loss),
      ...experiment.gradientChecks.map((check) => check.loss),
    ],
    target.configDirectory,
  );
  const renderer = rendererFor(context);
  const options = runnerOptionsFor(context, target.outDir, loss, renderer);
  const result = await runExperimentConfig(experiment, options)();
  renderer.close();
  if (E.isLeft(result)) throw experimentError(result.left);
  const { outDir, reportPath, status } = result.right;
  context.output.result(
    "report",
    { status, outDir, reportPath },
    `${status === "aborted" ? "Partial report (interrupted)" : "Report"}: ${reportPath}`,
  );
  checkOutcome(context, renderer.tally());
  return result.right;
}
