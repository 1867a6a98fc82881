/**
 * `results.json`: the machine-readable record of an experiment, enough to rebuild its report
 * (tables, plots, weight images from the saved parameters) without re-running anything.
 */
import * as t from "io-ts";
import { type EpochMetrics, EpochMetricsCodec, JsonNumberCodec } from "../report/tables.js";
import { ExperimentCodec, GradientCheckCodec, RunCodec } from "./config.js";
import type { GradientCheckResult } from "./gradcheck.js";
import type { FinalMetrics } from "./training.js";

/** File name of the summary inside an experiment folder. */
export const RESULTS_FILE = "results.json";

const optionalOf = <C extends t.Mixed>(codec: C) => t.union([codec, t.undefined]);

const FinalMetricsCodec = t.type({
  trainAccuracy: JsonNumberCodec,
  validationAccuracy: JsonNumberCodec,
  testAccuracy: JsonNumberCodec,
  testLoss: JsonNumberCodec,
});

/** The backend a run used and why it was chosen. */
export interface BackendUsed {
  readonly name: string;
  readonly reason: string;
}

const BackendCodec = t.type({ name: t.string, reason: t.string });

const RunSummaryCodec = t.type({
  name: t.string,
  group: t.string,
  directory: t.string,
  config: RunCodec,
  backend: BackendCodec,
  dataDescription: t.string,
  status: t.keyof({ completed: null, diverged: null, aborted: null }),
  divergedAtEpoch: optionalOf(t.number),
  epochs: t.array(EpochMetricsCodec),
  final: optionalOf(FinalMetricsCodec),
});

/** One run of an experiment as recorded in `results.json`. */
export interface RunSummary {
  readonly name: string;
  readonly group: string;
  /** The run's folder, relative to the experiment folder (e.g. `runs/01-lambda-0-eta-0.1`). */
  readonly directory: string;
  /** The effective config (after the caller's overrides). */
  readonly config: t.TypeOf<typeof RunCodec>;
  readonly backend: BackendUsed;
  /** Where the run's data came from (real split or synthetic stand-in). */
  readonly dataDescription: string;
  readonly status: "completed" | "diverged" | "aborted";
  /** 1-based epoch in which the cost became NaN or ±Infinity. */
  readonly divergedAtEpoch?: number;
  readonly epochs: readonly EpochMetrics[];
  readonly final?: FinalMetrics;
}

const StatisticsCodec = t.type({
  min: JsonNumberCodec,
  max: JsonNumberCodec,
  mean: JsonNumberCodec,
});
const MethodCodec = t.keyof({ autograd: null, centered: null, forward: null });
const ComparisonCodec = t.type({
  methods: t.tuple([MethodCodec, MethodCodec]),
  relativeError: StatisticsCodec,
  absoluteDifference: t.type({ max: JsonNumberCodec, mean: JsonNumberCodec }),
  normRelativeError: JsonNumberCodec,
});
const GradientCheckRowCodec = t.type({
  path: t.string,
  shape: t.array(t.number),
  dtype: t.keyof({ float32: null, float64: null }),
  h: t.number,
  entriesChecked: t.number,
  comparisons: t.tuple([ComparisonCodec, ComparisonCodec, ComparisonCodec]),
  tolerance: t.type({ normRelative: t.number, entryRelative: t.number, entryAbsolute: t.number }),
  epsilon: t.number,
  pass: t.boolean,
});
const GradientCheckResultCodec = t.type({
  name: t.string,
  config: GradientCheckCodec,
  rows: t.array(GradientCheckRowCodec),
  pass: t.boolean,
});

const DataSourceCodec = t.union([
  t.type({ kind: t.literal("real"), description: t.string }),
  t.type({ kind: t.literal("synthetic"), reason: t.string }),
]);

const SummaryCodec = t.type({
  format: t.literal("puregrad-experiment/1"),
  status: t.keyof({ running: null, completed: null, aborted: null }),
  startedAt: t.string,
  experiment: ExperimentCodec,
  data: t.array(DataSourceCodec),
  classNames: t.array(t.string),
  runs: t.array(RunSummaryCodec),
  gradientChecks: t.array(GradientCheckResultCodec),
});

/** An experiment as recorded in `results.json`. */
export interface ExperimentSummary {
  readonly format: "puregrad-experiment/1";
  /** `running` while runs remain (the file is rewritten after each run), then the outcome. */
  readonly status: "running" | "completed" | "aborted";
  /** ISO 8601 time the experiment started. */
  readonly startedAt: string;
  /** The effective experiment config, as run. */
  readonly experiment: t.TypeOf<typeof ExperimentCodec>;
  /** Every distinct data source the runs used (real and synthetic are never mixed silently). */
  readonly data: readonly t.TypeOf<typeof DataSourceCodec>[];
  /** The class names of the data (index = label), used to name weight images; empty when unknown. */
  readonly classNames: readonly string[];
  readonly runs: readonly RunSummary[];
  readonly gradientChecks: readonly GradientCheckResult[];
}

/**
 * The codec of `results.json`. The cast only adds `readonly` to io-ts' inferred arrays: the
 * runtime codec checks exactly the fields of {@link ExperimentSummary}.
 */
export const ExperimentSummaryCodec = SummaryCodec as unknown as t.Type<
  ExperimentSummary,
  unknown,
  unknown
>;

/** `results.json`'s text for a summary (non-finite numbers kept as strings). */
export function encodeExperimentSummary(summary: ExperimentSummary): string {
  return `${JSON.stringify(ExperimentSummaryCodec.encode(summary), null, 2)}\n`;
}
