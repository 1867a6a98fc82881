/**
 * The experiment layer: configs as io-ts codecs (every default filled, every bad field reported
 * with its path), the built-in presets of EXPERIMENTS.md, runners for experiments, random
 * searches (resume, shards, merge) and gradient checks that report progress as events and print
 * nothing, and report writing that can be redone from the machine-readable record.
 *
 * @example
 * const outcome = await runExperiment("a1", { outDir: "reports/a1", onEvent: (event) => draw(event) })();
 * if (E.isLeft(outcome)) console.error(outcome.left.message);
 */
export type { ConfigIssue } from "./codecs.js";
export {
  type ConfigError,
  type ConfigFile,
  type ConfigFileError,
  DEFAULT_RUN_CONFIG,
  decodeConfigFile,
  decodeExperimentConfig,
  decodeGradientCheckConfig,
  decodeRunConfig,
  decodeSearchConfig,
  type ExperimentConfig,
  encodeConfigFile,
  type GradientCheckConfig,
  type InitConfig,
  type LogRange,
  type LossConfig,
  type ModelConfig,
  type NamedRun,
  type OptimizerConfig,
  type RunConfig,
  readConfigFile,
  type ScheduleConfig,
  type SearchConfig,
  type SplitConfig,
  type SyntheticSizes,
} from "./config.js";
export { type DataRequest, type ResolvedData, resolveData, SYNTHETIC_DATA_SEED } from "./data.js";
export type {
  BackendUnavailable,
  ExperimentError,
  InvalidResults,
  UnknownPreset,
} from "./errors.js";
export type { EventListener, ExperimentEvent, RunPosition } from "./events.js";
export {
  EXPERIMENT_CONFIG_FILE,
  type ExperimentResult,
  type GradientCheckOptions,
  runConfig,
  runExperimentConfig,
  runGradientChecks,
} from "./experiment.js";
export {
  type GradientCheckDataError,
  type GradientCheckResult,
  gradientCheckMarkdown,
  runGradientCheck,
} from "./gradcheck.js";
export {
  exportPreset,
  listPresets,
  PRESETS,
  type Preset,
  type PresetInfo,
  presetByName,
} from "./presets.js";
export { type PresetResult, rebuildReport, runExperiment } from "./rebuild.js";
export { RUN_FILES } from "./reporting.js";
export {
  bestTrialConfig,
  type MergeResult,
  mergeSearch,
  parseShard,
  rankTrials,
  runSearch,
  SEARCH_FILES,
  type SearchOptions,
  type SearchResult,
  type Shard,
  sampleTrial,
  shardTrials,
  type TrialRecord,
  trialConfig,
} from "./search.js";
export type { BackendSelector, RunnerOptions } from "./session.js";
export {
  type BackendUsed,
  type ExperimentSummary,
  RESULTS_FILE,
  type RunSummary,
} from "./summary.js";
export type { FinalMetrics, LossModuleNotLoaded } from "./training.js";
