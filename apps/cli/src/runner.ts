/** What the experiment, train, search and gradcheck commands share: runner options, loss modules, errors. */
import { basename, dirname, extname, isAbsolute, join, resolve } from "node:path";
import {
  type ConfigFile,
  type ExperimentError,
  type LossConfig,
  type RunnerOptions,
  readConfigFile,
} from "@puregrad/cifar";
import type { Loss } from "@puregrad/nn";
import * as E from "fp-ts/lib/Either.js";
import { chooseBackend } from "./backend.js";
import type { CommandContext } from "./context.js";
import { CliError, ExitCode, usageError } from "./errors.js";
import { type EventRenderer, type EventTally, eventRenderer } from "./events.js";
import { loadLossModule } from "./loss-module.js";

/**
 * The loss to hand to the runners: `--loss-module` when given (it replaces every configured
 * loss), else the one module the configs name (`loss: { module }`, relative to the config file),
 * else none (built-in losses).
 * @throws CliError (exit 2) when the module cannot be loaded or the configs name several modules
 */
export async function lossForRunners(
  context: CommandContext,
  configured: readonly LossConfig[],
  configDirectory: string,
): Promise<Loss | undefined> {
  const flag = context.options.lossModule;
  const modules = [
    ...new Set(
      configured.flatMap((loss) =>
        typeof loss === "string"
          ? []
          : [isAbsolute(loss.module) ? loss.module : join(configDirectory, loss.module)],
      ),
    ),
  ];
  if (flag === undefined && modules.length > 1) {
    throw usageError(
      `the config names ${modules.length} loss modules (${modules.join(", ")}); one invocation runs one loss module. Split the config, or pass --loss-module to use one loss for every run.`,
    );
  }
  const path = flag ?? modules[0];
  if (path === undefined) return undefined;
  const loaded = await loadLossModule(path);
  if (loaded.warning !== undefined) context.output.warn(`warning: ${loaded.warning}`);
  context.output.info(`Loss: ${loaded.exportName} export of ${loaded.path}`);
  context.output.event("loss-module", { path: loaded.path, export: loaded.exportName });
  return loaded.loss;
}

/**
 * The runner options of a command: the global flags' overrides (only those given), the Ctrl-C
 * signal, the tensor package's backend selector and a progress renderer.
 */
export function runnerOptionsFor(
  context: CommandContext,
  outDir: string,
  loss: Loss | undefined,
  renderer: EventRenderer,
): RunnerOptions {
  const { options } = context;
  return {
    outDir,
    signal: context.signal,
    onEvent: renderer.onEvent,
    // The runner sets the backend around each run and reports the choice with its reason.
    selectBackend: chooseBackend,
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.data === undefined ? {} : { data: options.data }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.backend === undefined ? {} : { backend: options.backend }),
    ...(loss === undefined ? {} : { loss }),
  };
}

/** The default output folder of a command: `--out`, else `runs/<name>` in the working directory. */
export function outDirFor(context: CommandContext, name: string): string {
  return resolve(context.options.out ?? join("runs", name));
}

/** A config file's name without folder and extension, for default output folders. */
export const configName = (path: string): string => basename(path, extname(path));

/**
 * Reads and decodes a config file of any kind.
 * @throws CliError (exit 2) naming the file and every bad field's path
 */
export async function readConfig(path: string): Promise<ConfigFile> {
  const decoded = await readConfigFile(path)();
  if (E.isLeft(decoded)) throw experimentError(decoded.left, path);
  return decoded.right;
}

/** The folder relative paths in a config file are resolved against. */
export const configDirectory = (path: string): string => dirname(resolve(path));

/**
 * An experiment-layer error as a CLI error: config and usage problems exit 2 (with every bad
 * field on its own line), an interrupted download 130, everything else (data, files, backend) 1.
 */
export function experimentError(error: ExperimentError, configPath?: string): CliError {
  switch (error._tag) {
    case "ConfigError":
      return new CliError(
        `${configPath === undefined ? "the config" : `config ${configPath}`} is invalid; nothing was run or written:\n${error.issues
          .map((issue) => `  ${issue.path === "" ? "(top level)" : issue.path}: ${issue.message}`)
          .join("\n")}`,
        ExitCode.usage,
      );
    case "ConfigFileError":
    case "UnknownPreset":
    case "LossModuleNotLoaded":
      return new CliError(error.message, ExitCode.usage);
    case "DatasetNotFound":
      return new CliError(
        `${error.message} (Or run with --data synthetic to use the synthetic stand-in.)`,
        ExitCode.failed,
      );
    case "DownloadAborted":
      return new CliError(error.message, ExitCode.interrupted);
    default:
      return new CliError(error.message, ExitCode.failed);
  }
}

/** Creates the progress renderer of a command. */
export const rendererFor = (context: CommandContext, gradientCheckTables = false): EventRenderer =>
  eventRenderer(context.output, { gradientCheckTables });

/**
 * The exit status of a finished experiment: interrupted (130) when the signal fired, failed (1)
 * when it had runs and every one of them diverged or a gradient check failed, else ok.
 * @throws CliError (exit 1) with what failed
 */
export function checkOutcome(context: CommandContext, tally: EventTally): void {
  if (context.signal.aborted) return;
  if (tally.runsFinished > 0 && tally.runsCompleted === 0) {
    throw new CliError(
      `every run failed (${tally.runsDiverged} of ${tally.runsFinished} diverged); the report says where. Try a smaller learning rate.`,
      ExitCode.failed,
    );
  }
  if (tally.gradientChecksFailed > 0) {
    throw new CliError(
      `${tally.gradientChecksFailed} gradient check(s) failed; see the tables.`,
      ExitCode.failed,
    );
  }
}
