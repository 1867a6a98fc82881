/** `puregrad search`: random (η, λ) search, resumable and shardable, and `search merge`. */
import { resolve } from "node:path";
import {
  mergeSearch,
  parseShard,
  runSearch,
  type SearchConfig,
  type SearchResult,
  type Shard,
  type TrialRecord,
} from "@puregrad/cifar";
import * as E from "fp-ts/lib/Either.js";
import type { CommandContext } from "../context.js";
import { CliError, ExitCode, usageError } from "../errors.js";
import {
  configDirectory,
  configName,
  experimentError,
  lossForRunners,
  outDirFor,
  readConfig,
  rendererFor,
  runnerOptionsFor,
} from "../runner.js";

/** Options of {@link searchCommand}. */
export interface SearchCommandOptions {
  readonly config: string;
  readonly resume: boolean;
  /** `--shard i/n` as typed (0-based i). */
  readonly shard: string | undefined;
  /** Replaces the epochs of every trial. */
  readonly epochs?: number | undefined;
}

/**
 * Parses `--shard i/n`: 0-based, 0 ≤ i < n, so `$SLURM_ARRAY_TASK_ID/$N` works as it is.
 * @throws CliError (exit 2) otherwise
 */
function shardOf(text: string): Shard {
  const shard = parseShard(text);
  if (E.isLeft(shard)) {
    throw usageError(
      `--shard must be i/n with 0 <= i < n (0-based: shards 0/2 and 1/2 together run every trial); got "${text}".`,
    );
  }
  return shard.right;
}

/**
 * Runs the search of a config file into `--out` (default `runs/<config name>`). Each finished
 * trial is appended to `trials.jsonl`, so `--resume` continues after an interruption (or a
 * crash) and re-runs at most the trial that was cut short; `--shard i/n` runs trials t with
 * t mod n = i.
 * @throws CliError: exit 2 for a bad config, 1 when the data cannot be had or every trial
 *   diverged
 */
export async function searchCommand(
  context: CommandContext,
  options: SearchCommandOptions,
): Promise<void> {
  const shard = options.shard === undefined ? undefined : shardOf(options.shard);
  const file = await readConfig(options.config);
  if (file.kind !== "search") {
    throw usageError(
      `${options.config} is ${file.kind === "run" ? "a run" : "an experiment"} config, not a search; run it with \`puregrad train --config ${options.config}\`.`,
    );
  }
  await runSearchWithCli(context, withTrialEpochs(file.config, options.epochs), {
    outDir: outDirFor(context, configName(options.config)),
    configDirectory: configDirectory(options.config),
    resume: options.resume,
    shard,
  });
}

/** A search whose trials train for `epochs` epochs (unchanged when undefined). */
export function withTrialEpochs(search: SearchConfig, epochs: number | undefined): SearchConfig {
  return epochs === undefined ? search : { ...search, base: { ...search.base, epochs } };
}

/** Where a search goes and how. */
export interface SearchTarget {
  readonly outDir: string;
  readonly configDirectory: string;
  readonly resume: boolean;
  readonly shard: Shard | undefined;
}

/** Runs a search with the CLI's flags, progress and exit-code rules, and prints the outcome. */
export async function runSearchWithCli(
  context: CommandContext,
  search: SearchConfig,
  target: SearchTarget,
): Promise<SearchResult> {
  const loss = await lossForRunners(context, [search.base.loss], target.configDirectory);
  const renderer = rendererFor(context);
  const result = await runSearch(search, {
    ...runnerOptionsFor(context, target.outDir, loss, renderer),
    resume: target.resume,
    ...(target.shard === undefined ? {} : { shard: target.shard }),
  })();
  renderer.close();
  if (E.isLeft(result)) throw experimentError(result.left);
  const { status, outDir, reportPath, trials, missing } = result.right;
  printTrials(context, trials, missing, { status, outDir, reportPath });
  if (
    status === "completed" &&
    trials.length > 0 &&
    trials.every((trial) => trial.status !== "completed")
  ) {
    throw new CliError(
      `every trial diverged (${trials.length}); lower the learning-rate range.`,
      ExitCode.failed,
    );
  }
  return result.right;
}

/** Prints the best trials and where the report is (a `search` result line). */
function printTrials(
  context: CommandContext,
  trials: readonly TrialRecord[],
  missing: readonly number[],
  where: { status: string; outDir: string; reportPath: string },
): void {
  const best = trials.find((trial) => trial.status === "completed");
  const diverged = trials.filter((trial) => trial.status === "diverged").length;
  const lines = [
    `${trials.length} trials finished${diverged > 0 ? ` (${diverged} diverged)` : ""}${missing.length > 0 ? `, ${missing.length} not run yet (trials ${missing.join(", ")})` : ""}.`,
  ];
  if (best?.final !== undefined) {
    lines.push(
      `Best: trial ${best.trial}, η=${best.learningRate.toPrecision(4)}, λ=${best.lambda.toPrecision(4)}: validation ${(100 * best.final.validationAccuracy).toFixed(2)}%, test ${(100 * best.final.testAccuracy).toFixed(2)}%`,
    );
  }
  lines.push(
    `${where.status === "aborted" ? "Partial report (interrupted)" : "Report"}: ${where.reportPath}`,
  );
  context.output.result(
    "search",
    {
      ...where,
      trials: trials.length,
      diverged,
      missing,
      best:
        best === undefined
          ? null
          : {
              trial: best.trial,
              learningRate: best.learningRate,
              lambda: best.lambda,
              final: best.final,
            },
    },
    lines.join("\n"),
  );
}

/** Options of {@link mergeCommand}. */
export interface MergeOptions {
  /** Search folders (or their `trials.jsonl`) of shards of one search. */
  readonly logs: readonly string[];
}

/**
 * Merges shard folders of one search into `--out` (required) and writes one report; trials no
 * shard ran are listed.
 * @throws CliError: exit 2 without `--out`, 1 for unreadable logs or logs of different searches
 */
export async function mergeCommand(context: CommandContext, options: MergeOptions): Promise<void> {
  if (context.options.out === undefined) {
    throw usageError("search merge needs --out DIR, the folder of the merged search.");
  }
  const outDir = resolve(context.options.out);
  const renderer = rendererFor(context);
  const result = await mergeSearch(options.logs, outDir, renderer.onEvent)();
  renderer.close();
  if (E.isLeft(result)) throw experimentError(result.left);
  const { reportPath, trials, missing } = result.right;
  if (missing.length > 0)
    context.output.warn(
      `warning: no shard ran trials ${missing.join(", ")}; the merged search is incomplete.`,
    );
  printTrials(context, trials, missing, { status: "merged", outDir, reportPath });
}
