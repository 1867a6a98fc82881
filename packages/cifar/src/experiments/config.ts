/**
 * Experiment configs as io-ts codecs: a single training run, a gradient check, an experiment
 * (named runs and gradient checks) and a random search. Decoding fills every default, rejects
 * unknown keys and out-of-range values, and reports the path of each bad field.
 */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import * as t from "io-ts";
import { BATCH_FILES, FEATURES } from "../data/format.js";
import { readJsonFile } from "../report/files.js";
import {
  anyInteger,
  arrayOf,
  type ConfigError,
  checkedNumber,
  configError,
  crossChecked,
  decodeWith,
  flag,
  nonEmptyString,
  nonNegativeInteger,
  nonNegativeNumber,
  oneOf,
  optional,
  positiveInteger,
  positiveNumber,
  strictObject,
  taggedUnion,
  text,
  unitInterval,
} from "./codecs.js";

export type { ConfigError, ConfigIssue } from "./codecs.js";

// ---------------------------------------------------------------------------------------------
// model, loss, optimizer, schedule

/** The weight initializer: `"xavier"` N(0, 1/fan-in), `"he"` N(0, 2/fan-in), or N(0, σ²). */
export type InitConfig = "xavier" | "he" | { readonly normal: number };

const InitCodec = ((): t.Type<InitConfig, InitConfig, unknown> => {
  const named = oneOf(["xavier", "he"]);
  const normal = strictObject("normal init", { normal: nonNegativeNumber }, { normal: 0.01 });
  return new t.Type<InitConfig, InitConfig, unknown>(
    "init",
    (input): input is InitConfig => named.is(input) || normal.is(input),
    (input, context) =>
      typeof input === "string" ? named.validate(input, context) : normal.validate(input, context),
    (value) => value,
  );
})();

const ModelCodec = crossChecked(
  strictObject(
    "model",
    {
      hiddenSizes: arrayOf(positiveInteger),
      batchNorm: flag,
      scaleShift: flag,
      batchNormMomentum: unitInterval,
      init: InitCodec,
      activation: oneOf(["relu", "tanh", "sigmoid", "leakyRelu"]),
    },
    {
      hiddenSizes: [],
      batchNorm: false,
      scaleShift: true,
      batchNormMomentum: 0.9,
      init: { normal: 0.01 },
      activation: "relu",
    },
  ),
  (model) =>
    model.batchNorm && model.hiddenSizes.length === 0
      ? [["batchNorm", "needs at least one hidden layer (hiddenSizes is empty)"]]
      : [],
);

/**
 * The network: an MLP with `hiddenSizes` hidden layers (`[]` is A1's linear model), each
 * dense → (batch norm) → activation, and a linear output layer with 10 logits.
 *
 * Defaults: `hiddenSizes: []`, `batchNorm: false`, `scaleShift: true` (learn γ and β),
 * `batchNormMomentum: 0.9` (α of the running averages), `init: { normal: 0.01 }`,
 * `activation: "relu"`. `batchNorm` needs at least one hidden layer.
 */
export type ModelConfig = t.TypeOf<typeof ModelCodec>;

const LossCodec = (() => {
  const named = oneOf(["cross-entropy", "svm"]);
  const module = strictObject("loss module", { module: nonEmptyString });
  type Loss = t.TypeOf<typeof named> | t.TypeOf<typeof module>;
  return new t.Type<Loss, Loss, unknown>(
    "loss",
    (input): input is Loss => named.is(input) || module.is(input),
    (input, context) =>
      typeof input === "string" || input === undefined
        ? named.validate(input ?? "cross-entropy", context)
        : module.validate(input, context),
    (value) => value,
  );
})();

/**
 * The loss: softmax `"cross-entropy"` (default), the multi-class `"svm"` hinge loss, or
 * `{ module: "./my-loss.ts" }`, a user module the caller loads and passes to the runner as
 * `loss` (its signature is `(logits, labels) => Tensor`, the batch mean).
 */
export type LossConfig = t.TypeOf<typeof LossCodec>;

const OptimizerCodec = taggedUnion(
  "optimizer",
  "type",
  {
    sgd: strictObject(
      "sgd",
      { type: oneOf(["sgd"]), learningRate: positiveNumber },
      { learningRate: 0.001 },
    ),
    momentum: strictObject(
      "momentum",
      {
        type: oneOf(["momentum"]),
        learningRate: positiveNumber,
        momentum: unitInterval,
        rule: oneOf(["course", "optax"]),
      },
      { learningRate: 0.01, momentum: 0.9, rule: "course" },
    ),
    adam: strictObject(
      "adam",
      {
        type: oneOf(["adam"]),
        learningRate: positiveNumber,
        beta1: unitInterval,
        beta2: unitInterval,
        epsilon: positiveNumber,
      },
      { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    ),
  },
  "sgd",
);

/**
 * The optimizer, told apart by `type` (default `"sgd"`):
 * - `sgd`: θ ← θ − η g; `learningRate` η (default 0.001).
 * - `momentum`: `learningRate` (default 0.01), `momentum` ρ in [0, 1) (default 0.9) and `rule`:
 *   `"course"` (default) v ← ρv + ηg, θ ← θ − v; `"optax"` v ← ρv + g, θ ← θ − ηv.
 * - `adam`: `learningRate` (default 0.001), `beta1` 0.9, `beta2` 0.999, `epsilon` 1e-8.
 */
export type OptimizerConfig = t.TypeOf<typeof OptimizerCodec>;

const ScheduleCodec = taggedUnion(
  "schedule",
  "type",
  {
    constant: strictObject("constant schedule", { type: oneOf(["constant"]) }),
    decay: strictObject(
      "decay schedule",
      { type: oneOf(["decay"]), factor: positiveNumber },
      { factor: 0.95 },
    ),
    cyclic: strictObject(
      "cyclic schedule",
      { type: oneOf(["cyclic"]), maximum: positiveNumber, stepSize: positiveInteger },
      { maximum: 0.1, stepSize: 500 },
    ),
  },
  "constant",
);

/**
 * How η changes over training, told apart by `type` (default `"constant"`):
 * - `constant`: η = `optimizer.learningRate` throughout.
 * - `decay`: η multiplied by `factor` (default 0.95) after each epoch.
 * - `cyclic`: triangular cycles between `optimizer.learningRate` (the minimum) and `maximum`
 *   (default 0.1), `stepSize` updates up and as many down (default 500).
 */
export type ScheduleConfig = t.TypeOf<typeof ScheduleCodec>;

// ---------------------------------------------------------------------------------------------
// data

const SplitPartCodec = strictObject("split part", {
  file: oneOf(BATCH_FILES),
  from: optional(anyInteger),
  to: optional(anyInteger),
});

const SplitCodec = (() => {
  const named = oneOf(["a1", "all", "a2-report"]);
  const custom = strictObject("custom split", {
    train: arrayOf(SplitPartCodec, 1),
    validation: arrayOf(SplitPartCodec, 1),
    test: arrayOf(SplitPartCodec, 1),
  });
  type Split = t.TypeOf<typeof named> | t.TypeOf<typeof custom>;
  return new t.Type<Split, t.OutputOf<typeof custom> | Split, unknown>(
    "split",
    (input): input is Split => named.is(input) || custom.is(input),
    (input, context) =>
      typeof input === "string" || input === undefined
        ? named.validate(input ?? "a1", context)
        : custom.validate(input, context),
    (value) => (typeof value === "string" ? value : custom.encode(value)),
  );
})();

/**
 * The split: `"a1"` (default), `"all"`, `"a2-report"` (see EXPERIMENTS.md), or a custom one,
 * `{ train, validation, test }`, each a list of `{ file, from?, to? }` record ranges of the batch
 * files (`to` exclusive; negative counts from the end).
 */
export type SplitConfig = t.TypeOf<typeof SplitCodec>;

const SyntheticSizesCodec = strictObject(
  "synthetic sizes",
  { train: positiveInteger, validation: positiveInteger, test: positiveInteger },
  { train: 4000, validation: 1000, test: 1000 },
);

/**
 * Upper bounds on the synthetic stand-in's set sizes (defaults 4000 / 1000 / 1000), so a run
 * without the real data stays fast; a smaller split set (e.g. 100 training images) keeps its size.
 */
export type SyntheticSizes = t.TypeOf<typeof SyntheticSizesCodec>;

// ---------------------------------------------------------------------------------------------
// run

const runProps = {
  model: ModelCodec,
  loss: LossCodec,
  optimizer: OptimizerCodec,
  schedule: ScheduleCodec,
  split: SplitCodec,
  epochs: positiveInteger,
  batchSize: positiveInteger,
  lambda: nonNegativeNumber,
  shuffle: flag,
  seed: anyInteger,
  backend: oneOf(["cpu", "gpu", "auto"]),
  dtype: oneOf(["float32", "float64"]),
  data: oneOf(["real", "synthetic", "auto"]),
  synthetic: SyntheticSizesCodec,
};

/** io-ts codec of {@link RunConfig} (decode fills defaults; encode writes every field). */
export const RunCodec = crossChecked(
  strictObject("run config", runProps, {
    epochs: 40,
    batchSize: 100,
    lambda: 0,
    shuffle: false,
    seed: 0,
    backend: "cpu",
    dtype: "float32",
    data: "auto",
  }),
  (run) =>
    run.schedule.type === "cyclic" && run.schedule.maximum < run.optimizer.learningRate
      ? [
          [
            "schedule.maximum",
            `must be >= optimizer.learningRate (${run.optimizer.learningRate}), the cycle's minimum, got ${run.schedule.maximum}`,
          ],
        ]
      : [],
);

/**
 * One training run. Every field is optional in the JSON; the defaults are A1's setting:
 * `model` (see {@link ModelConfig}), `loss: "cross-entropy"`, `optimizer: { type: "sgd",
 * learningRate: 0.001 }`, `schedule: { type: "constant" }`, `split: "a1"`, `epochs: 40`,
 * `batchSize: 100`, `lambda: 0` (λ ≥ 0, the L2 strength in cost = loss + λ·Σ‖W‖²),
 * `shuffle: false`, `seed: 0` (initialization and shuffling), `backend: "cpu"`
 * (`"cpu" | "gpu" | "auto"`), `dtype: "float32"`, `data: "auto"` (real CIFAR-10 when found,
 * else the synthetic stand-in, labelled as such; `"real"` fails without the files), and
 * `synthetic` (see {@link SyntheticSizes}).
 */
export type RunConfig = t.TypeOf<typeof RunCodec>;

/** The default run config (A1: linear model, η = 0.001, λ = 0, 40 epochs, split a1). */
export const DEFAULT_RUN_CONFIG: RunConfig = decodeOrThrow(RunCodec, {});

// ---------------------------------------------------------------------------------------------
// gradient check

/** io-ts codec of {@link GradientCheckConfig}. */
export const GradientCheckCodec = strictObject(
  "gradient check",
  {
    name: nonEmptyString,
    model: ModelCodec,
    loss: LossCodec,
    lambda: nonNegativeNumber,
    inputDimensions: checkedNumber(
      `in [1, ${FEATURES}]`,
      (value) => value >= 1 && value <= FEATURES,
      true,
    ),
    samples: positiveInteger,
    step: positiveNumber,
    maxEntriesPerTensor: optional(positiveInteger),
    seed: anyInteger,
  },
  { name: "gradient check", lambda: 0, inputDimensions: 20, samples: 5, step: 1e-5, seed: 0 },
);

/**
 * A gradient check on a reduced problem, in float64: the network of `model` on the first
 * `inputDimensions` features (default 20) of the first `samples` training images (default 5),
 * cost with λ = `lambda` (default 0), finite-difference step `step` (default 1e-5), all entries
 * of every parameter tensor unless `maxEntriesPerTensor` picks a random subset.
 */
export type GradientCheckConfig = t.TypeOf<typeof GradientCheckCodec>;

// ---------------------------------------------------------------------------------------------
// experiment and search

const NamedRunCodec = strictObject(
  "named run",
  { name: nonEmptyString, group: text, config: RunCodec },
  { group: "" },
);

/**
 * A run of an experiment: its `name` (e.g. `λ=0, η=0.1`), an optional `group` (e.g. `B2 decay`;
 * runs with groups also get a table comparing groups side by side) and its config.
 */
export type NamedRun = t.TypeOf<typeof NamedRunCodec>;

/** io-ts codec of {@link ExperimentConfig}. */
export const ExperimentCodec = crossChecked(
  strictObject(
    "experiment",
    {
      kind: oneOf(["experiment"]),
      title: nonEmptyString,
      description: text,
      runs: arrayOf(NamedRunCodec),
      gradientChecks: arrayOf(GradientCheckCodec),
    },
    { kind: "experiment", title: "experiment", description: "", runs: [], gradientChecks: [] },
  ),
  (experiment) => {
    const problems: [string, string][] = [];
    if (experiment.runs.length === 0 && experiment.gradientChecks.length === 0)
      problems.push(["runs", "an experiment needs at least one run or gradient check"]);
    const seen = new Set<string>();
    experiment.runs.forEach((run, index) => {
      const id = `${run.group}\u0000${run.name}`;
      if (seen.has(id))
        problems.push([`runs[${index}].name`, `duplicate run name ${JSON.stringify(run.name)}`]);
      seen.add(id);
    });
    return problems;
  },
);

/**
 * An experiment: a `title`, a `description`, training `runs` (each written to its own folder)
 * and `gradientChecks`, all reported in one `report.md`.
 */
export type ExperimentConfig = t.TypeOf<typeof ExperimentCodec>;

const LogRangeCodec = crossChecked(
  strictObject("range", { min: positiveNumber, max: positiveNumber }),
  (range) =>
    range.min > range.max ? [["max", `must be >= min (${range.min}), got ${range.max}`]] : [],
);

/** A closed range [min, max], 0 < min ≤ max, sampled log-uniformly. */
export type LogRange = t.TypeOf<typeof LogRangeCodec>;

/** io-ts codec of {@link SearchConfig}. */
export const SearchCodec = strictObject(
  "search",
  {
    kind: oneOf(["search"]),
    title: nonEmptyString,
    description: text,
    base: RunCodec,
    learningRate: LogRangeCodec,
    lambda: LogRangeCodec,
    trials: positiveInteger,
    seed: anyInteger,
    keepBest: nonNegativeInteger,
  },
  {
    kind: "search",
    title: "random search",
    description: "",
    learningRate: { min: 0.001, max: 0.3 },
    lambda: { min: 1e-7, max: 0.1 },
    trials: 50,
    seed: 0,
    keepBest: 3,
  },
);

/**
 * A random search over (η, λ): `trials` pairs (default 50) drawn log-uniformly from
 * `learningRate` (default [0.001, 0.3]) and `lambda` (default [1e-7, 0.1]); trial i's pair depends
 * only on `seed` (default 0) and i. Each trial trains `base` with its η as
 * `optimizer.learningRate` and its λ as `lambda`. The report plots the `keepBest` best trials
 * (default 3).
 */
export type SearchConfig = t.TypeOf<typeof SearchCodec>;

// ---------------------------------------------------------------------------------------------
// decoding

function decodeOrThrow<A>(codec: t.Decoder<unknown, A>, input: unknown): A {
  const result = decodeWith(codec, input);
  if (E.isLeft(result)) throw new Error(`invalid built-in config:\n${result.left.message}`);
  return result.right;
}

/** Rejects a top-level `kind` naming another kind of config, then decodes. */
function decodeKind<A>(
  kind: "run" | "experiment" | "search",
  codec: t.Decoder<unknown, A>,
  json: unknown,
): E.Either<ConfigError, A> {
  if (typeof json === "object" && json !== null && !Array.isArray(json) && "kind" in json) {
    const { kind: actual, ...rest } = json as { kind: unknown };
    if (actual !== kind)
      return E.left(
        configError([
          {
            path: "kind",
            message: `this is ${JSON.stringify(actual)} config, expected ${JSON.stringify(kind)}`,
          },
        ]),
      );
    if (kind === "run") return decodeWith(codec, rest);
  }
  return decodeWith(codec, json);
}

/**
 * Decodes a run config from parsed JSON, filling defaults (see {@link RunConfig}). A top-level
 * `kind: "run"` is allowed.
 *
 * @returns the config, or a {@link ConfigError} listing every bad field with its path, e.g.
 *   `optimizer.learningRate: must be > 0, got -1` or `epoch: unknown key (allowed: …)`.
 * @example
 * decodeRunConfig({ optimizer: { type: "momentum", learningRate: 0.02 }, model: { hiddenSizes: [50] } })
 */
export function decodeRunConfig(json: unknown): E.Either<ConfigError, RunConfig> {
  return decodeKind("run", RunCodec, json);
}

/** Decodes a search config (see {@link SearchConfig}); errors as {@link decodeRunConfig}. */
export function decodeSearchConfig(json: unknown): E.Either<ConfigError, SearchConfig> {
  return decodeKind("search", SearchCodec, json);
}

/** Decodes an experiment config (see {@link ExperimentConfig}); errors as {@link decodeRunConfig}. */
export function decodeExperimentConfig(json: unknown): E.Either<ConfigError, ExperimentConfig> {
  return decodeKind("experiment", ExperimentCodec, json);
}

/** Decodes a gradient-check config (see {@link GradientCheckConfig}). */
export function decodeGradientCheckConfig(
  json: unknown,
): E.Either<ConfigError, GradientCheckConfig> {
  return decodeWith(GradientCheckCodec, json);
}

/** Any config file, by its top-level `kind` (absent means `"run"`). */
export type ConfigFile =
  | { readonly kind: "run"; readonly config: RunConfig }
  | { readonly kind: "experiment"; readonly config: ExperimentConfig }
  | { readonly kind: "search"; readonly config: SearchConfig };

/**
 * Decodes a config file of any kind, dispatching on its top-level `kind`: `"experiment"`,
 * `"search"`, or `"run"` (also when absent).
 */
export function decodeConfigFile(json: unknown): E.Either<ConfigError, ConfigFile> {
  const kind =
    typeof json === "object" && json !== null && "kind" in json
      ? (json as { kind: unknown }).kind
      : "run";
  switch (kind) {
    case "experiment":
      return E.map((config: ExperimentConfig) => ({ kind, config }) as const)(
        decodeExperimentConfig(json),
      );
    case "search":
      return E.map((config: SearchConfig) => ({ kind, config }) as const)(decodeSearchConfig(json));
    case "run":
      return E.map((config: RunConfig) => ({ kind, config }) as const)(decodeRunConfig(json));
    default:
      return E.left(
        configError([
          {
            path: "kind",
            message: `must be one of "run", "experiment", "search", got ${JSON.stringify(kind)}`,
          },
        ]),
      );
  }
}

/** A config file could not be read or is not JSON. */
export interface ConfigFileError {
  readonly _tag: "ConfigFileError";
  readonly path: string;
  readonly message: string;
}

/**
 * Reads, parses and decodes a config file of any kind (see {@link decodeConfigFile}). Nothing
 * is written, so a bad config fails before anything runs.
 */
export function readConfigFile(
  path: string,
): TE.TaskEither<ConfigFileError | ConfigError, ConfigFile> {
  return async () => {
    const json = await readJsonFile(path);
    if (E.isLeft(json))
      return E.left({
        _tag: "ConfigFileError",
        path,
        message: `cannot read config ${path}: ${json.left}`,
      });
    return decodeConfigFile(json.right);
  };
}

/** The JSON form of a config of any kind (defaults written out, so every setting is visible). */
export function encodeConfigFile(file: ConfigFile): unknown {
  switch (file.kind) {
    case "experiment":
      return ExperimentCodec.encode(file.config);
    case "search":
      return SearchCodec.encode(file.config);
    case "run":
      return { kind: "run", ...(RunCodec.encode(file.config) as object) };
  }
}

/** The JSON form of a run config (for reports and search logs). */
export function encodeRunConfig(config: RunConfig): unknown {
  return RunCodec.encode(config);
}

/** Builds a run config from a partial JSON override of the defaults; throws for a bad one (presets). */
export function runConfigOf(json: unknown): RunConfig {
  return decodeOrThrow(RunCodec, json);
}

/** Builds a gradient-check config from partial JSON; throws for a bad one (presets). */
export function gradientCheckConfigOf(json: unknown): GradientCheckConfig {
  return decodeOrThrow(GradientCheckCodec, json);
}

/** Builds a search config from partial JSON; throws for a bad one (presets). */
export function searchConfigOf(json: unknown): SearchConfig {
  return decodeOrThrow(SearchCodec, json);
}

/** Builds an experiment config from partial JSON; throws for a bad one (presets). */
export function experimentConfigOf(json: unknown): ExperimentConfig {
  return decodeOrThrow(ExperimentCodec, json);
}
