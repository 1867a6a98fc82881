/**
 * Every experiment of EXPERIMENTS.md as a named, built-in preset: an experiment config (runs and
 * gradient checks) or a search config. Export one with {@link exportPreset}, edit it, run it.
 */
import * as E from "fp-ts/lib/Either.js";
import {
  type ConfigFile,
  type ExperimentConfig,
  encodeConfigFile,
  experimentConfigOf,
  gradientCheckConfigOf,
  type SearchConfig,
  searchConfigOf,
} from "./config.js";
import type { UnknownPreset } from "./errors.js";

/** A built-in experiment: an experiment (runs, gradient checks) or a random search. */
export type Preset =
  | { readonly kind: "experiment"; readonly config: ExperimentConfig }
  | { readonly kind: "search"; readonly config: SearchConfig };

/** The A1 runs: (λ, η) pairs of EXPERIMENTS.md. */
const A1_SETTINGS = [
  { lambda: 0, learningRate: 0.1 },
  { lambda: 0, learningRate: 0.001 },
  { lambda: 0.1, learningRate: 0.001 },
  { lambda: 1, learningRate: 0.001 },
] as const;

const a1Runs = (group: string, overrides: object) =>
  A1_SETTINGS.map(({ lambda, learningRate }) => ({
    name: `λ=${lambda}, η=${learningRate}`,
    group,
    config: { ...overrides, lambda, optimizer: { type: "sgd", learningRate } },
  }));

/** A2/A3 training: momentum ρ = 0.9 (course rule), η decayed by 0.95 per epoch, 10 epochs. */
const momentumTraining = (learningRate: number, extra: object = {}) => ({
  optimizer: { type: "momentum", learningRate, momentum: 0.9 },
  schedule: { type: "decay", factor: 0.95 },
  epochs: 10,
  ...extra,
});

const twoLayer = { hiddenSizes: [50], init: "xavier" };
const threeLayerBatchNorm = { hiddenSizes: [50, 30], init: "he", batchNorm: true };

const gradientChecks = (model: object, lambdas: readonly number[], extra: object = {}) =>
  lambdas.map((lambda) => ({ model, lambda, ...extra }));

const experiment = (title: string, description: string, body: object): Preset => ({
  kind: "experiment",
  config: experimentConfigOf({ title, description, ...body }),
});

const search = (title: string, description: string, body: object): Preset => ({
  kind: "search",
  config: searchConfigOf({ title, description, ...body }),
});

const a2SearchBase = { model: twoLayer, ...momentumTraining(0.01) };
const a3SearchBase = { model: threeLayerBatchNorm, ...momentumTraining(0.05) };

/** Names of the gradient checks, made readable from their settings. */
const named = (
  checks: readonly object[],
  name: (check: {
    lambda: number;
    model: { hiddenSizes: number[]; batchNorm?: boolean };
  }) => string,
) =>
  checks.map((check) => {
    const decoded = gradientCheckConfigOf(check);
    return { ...check, name: name(decoded) };
  });

const layersName = (check: {
  lambda: number;
  model: { hiddenSizes: number[]; batchNorm?: boolean };
}) =>
  `${check.model.hiddenSizes.length + 1} layers [${check.model.hiddenSizes.join(", ")}]${check.model.batchNorm ? " with BN" : ""}, λ=${check.lambda}`;

/** The built-in presets by name. */
export const PRESETS: Readonly<Record<string, Preset>> = {
  a1: experiment(
    "A1: one-layer network",
    "Linear softmax classifier s = Wx + b, W and b ~ N(0, 0.01²); split a1, n_batch = 100, 40 epochs, no shuffle, no decay; four (λ, η) settings; gradient checks at λ = 0 and λ = 1.",
    {
      runs: a1Runs("", {}),
      gradientChecks: named(gradientChecks({}, [0, 1]), layersName),
    },
  ),
  "a1-bonus": experiment(
    "A1 bonus: more data, decay, shuffling, SVM loss",
    "The four A1 runs under B1 (split all), B2 (η × 0.9 after each epoch), B3 (a new random order each epoch) and B4 (multi-class SVM loss, gradients by autograd), compared side by side.",
    {
      runs: [
        ...a1Runs("B1 all data", { split: "all" }),
        ...a1Runs("B2 decay", { schedule: { type: "decay", factor: 0.9 } }),
        ...a1Runs("B3 shuffle", { shuffle: true }),
        ...a1Runs("B4 SVM", { loss: "svm" }),
      ],
      gradientChecks: named(
        gradientChecks({}, [0, 0.1], { loss: "svm" }),
        (check) => `SVM loss, λ=${check.lambda}`,
      ),
    },
  ),
  "a2-gradcheck": experiment(
    "A2: gradient checks of the two-layer network",
    "Autograd against centered and forward differences for W1, b1, W2, b2 (m = 50), at λ = 0 and λ = 0.01.",
    { gradientChecks: named(gradientChecks(twoLayer, [0, 0.01]), layersName) },
  ),
  "a2-overfit": experiment(
    "A2: sanity check, overfitting 100 images",
    "The two-layer network trained on the first 100 images of data_batch_1 only, λ = 0, until training accuracy is ~100 %.",
    {
      runs: [
        {
          name: "100 training images",
          config: {
            model: twoLayer,
            optimizer: { type: "momentum", learningRate: 0.005, momentum: 0.9 },
            split: {
              train: [{ file: "data_batch_1.bin", to: 100 }],
              validation: [{ file: "data_batch_2.bin", to: 1000 }],
              test: [{ file: "test_batch.bin", to: 1000 }],
            },
            batchSize: 10,
            epochs: 40,
          },
        },
      ],
    },
  ),
  "a2-momentum": experiment(
    "A2: momentum study",
    "The two-layer network with η = 0.01 decayed by 0.95 per epoch, λ = 0, 10 epochs, for ρ ∈ {none, 0.5, 0.9, 0.99}; compare the training and validation loss per ρ.",
    {
      runs: [
        {
          name: "no momentum",
          config: {
            model: twoLayer,
            ...momentumTraining(0.01),
            optimizer: { type: "sgd", learningRate: 0.01 },
          },
        },
        ...[0.5, 0.9, 0.99].map((rho) => ({
          name: `ρ=${rho}`,
          config: {
            model: twoLayer,
            ...momentumTraining(0.01),
            optimizer: { type: "momentum", learningRate: 0.01, momentum: rho },
          },
        })),
      ],
    },
  ),
  "a2-coarse": search(
    "A2: coarse random search",
    "50 (η, λ) pairs, log-uniform, η ∈ [0.001, 0.3], λ ∈ [1e-7, 0.1]; two-layer network, 10 epochs, ρ = 0.9, decay 0.95.",
    {
      base: a2SearchBase,
      learningRate: { min: 0.001, max: 0.3 },
      lambda: { min: 1e-7, max: 0.1 },
      trials: 50,
    },
  ),
  "a2-fine": search(
    "A2: fine random search",
    "50 (η, λ) pairs, η ∈ [0.01, 0.06], λ ∈ [1e-6, 0.01], 10 epochs.",
    {
      base: a2SearchBase,
      learningRate: { min: 0.01, max: 0.06 },
      lambda: { min: 1e-6, max: 0.01 },
      trials: 50,
      seed: 1,
    },
  ),
  "a2-fine2": search(
    "A2: second fine random search",
    "50 (η, λ) pairs, η ∈ [0.02, 0.04], λ ∈ [1e-4, 0.01], 10 epochs.",
    {
      base: a2SearchBase,
      learningRate: { min: 0.02, max: 0.04 },
      lambda: { min: 1e-4, max: 0.01 },
      trials: 50,
      seed: 2,
    },
  ),
  "a2-final": experiment(
    "A2: final two-layer network",
    "The best (η, λ) pair trained for 30 epochs on split all (49000 training images). The preset uses η = 0.03, λ = 0.001 from the second fine search's range; put your own best pair in (bestTrialConfig) by exporting and editing this config, or change split to a2-report.",
    {
      runs: [
        {
          name: "η=0.03, λ=0.001",
          config: {
            model: twoLayer,
            ...momentumTraining(0.03),
            lambda: 0.001,
            epochs: 30,
            split: "all",
          },
        },
      ],
    },
  ),
  "a3-gradcheck": experiment(
    "A3: gradient checks of k-layer networks",
    "Autograd against finite differences, per layer, for 2, 3 and 4 layers without batch normalization and 2 and 3 layers with it (λ = 0.01).",
    {
      gradientChecks: named(
        [
          ...[[50], [50, 30], [50, 30, 20]].map((hiddenSizes) => ({
            model: { hiddenSizes, init: "he" },
            lambda: 0.01,
          })),
          ...[[50], [50, 30]].map((hiddenSizes) => ({
            model: { hiddenSizes, init: "he", batchNorm: true },
            lambda: 0.01,
            samples: 10,
          })),
        ],
        layersName,
      ),
    },
  ),
  "a3-no-bn": experiment(
    "A3: three layers without batch normalization",
    "[50, 30] hidden units without BN: with N(0, 0.01²) initialization the cost stays near ln 10 ≈ 2.3026; an η sweep from 1e-6 to 0.1 (10 epochs each) with that initialization; then He initialization.",
    {
      runs: [
        ...[1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1].map((learningRate) => ({
          name: `N(0, 0.01²) init, η=${learningRate}`,
          group: "small init",
          config: {
            model: { hiddenSizes: [50, 30], init: { normal: 0.01 } },
            ...momentumTraining(learningRate),
          },
        })),
        {
          name: "He init, η=0.01",
          group: "He init",
          config: { model: { hiddenSizes: [50, 30], init: "he" }, ...momentumTraining(0.01) },
        },
      ],
    },
  ),
  "a3-bn-coarse": search(
    "A3: coarse search, three layers with batch normalization",
    "[50, 30] with BN and He init, 10 epochs, ρ = 0.9, decay 0.95; 50 pairs, η ∈ [0.005, 0.5], λ ∈ [1e-6, 0.1].",
    {
      base: a3SearchBase,
      learningRate: { min: 0.005, max: 0.5 },
      lambda: { min: 1e-6, max: 0.1 },
      trials: 50,
      seed: 3,
    },
  ),
  "a3-bn-fine": search(
    "A3: fine search, three layers with batch normalization",
    "50 pairs, η ∈ [0.02, 0.2], λ ∈ [1e-5, 0.01].",
    {
      base: a3SearchBase,
      learningRate: { min: 0.02, max: 0.2 },
      lambda: { min: 1e-5, max: 0.01 },
      trials: 50,
      seed: 4,
    },
  ),
  "a3-bn-best": experiment(
    "A3: best three-layer network with batch normalization",
    "[50, 30] with BN trained for 20 epochs on split all with η = 0.05, λ = 0.005 (from the fine search's range; put your own best pair in by exporting and editing this config). Test accuracy, loss and accuracy plots.",
    {
      runs: [
        {
          name: "η=0.05, λ=0.005",
          config: {
            model: threeLayerBatchNorm,
            ...momentumTraining(0.05),
            lambda: 0.005,
            epochs: 20,
            split: "all",
          },
        },
      ],
    },
  ),
  "a3-lr-sensitivity": experiment(
    "A3: learning-rate sensitivity with and without batch normalization",
    "Two-layer network (50 hidden units, He init) with and without BN at η = 0.002, 0.1 and 0.6, 10 epochs each, plain SGD; the high η without BN diverges and is reported as diverged.",
    {
      runs: [false, true].flatMap((batchNorm) =>
        [0.002, 0.1, 0.6].map((learningRate) => ({
          name: `η=${learningRate}`,
          group: batchNorm ? "with BN" : "without BN",
          config: {
            model: { hiddenSizes: [50], init: "he", batchNorm },
            optimizer: { type: "sgd", learningRate },
            epochs: 10,
          },
        })),
      ),
    },
  ),
};

/** A preset's name and one-line description, for `--list`. */
export interface PresetInfo {
  readonly name: string;
  readonly kind: Preset["kind"];
  readonly title: string;
  /** One line: what runs and what the report shows. */
  readonly description: string;
}

/** The presets in a stable order with their one-line descriptions. */
export function listPresets(): PresetInfo[] {
  return Object.entries(PRESETS).map(([name, preset]) => ({
    name,
    kind: preset.kind,
    title: preset.config.title,
    description: preset.config.description,
  }));
}

/** The preset of a name, or {@link UnknownPreset} listing the names there are. */
export function presetByName(name: string): E.Either<UnknownPreset, Preset> {
  const preset = PRESETS[name];
  return preset
    ? E.right(preset)
    : E.left({
        _tag: "UnknownPreset",
        name,
        message: `no preset named ${JSON.stringify(name)}; the presets are ${Object.keys(PRESETS).join(", ")}`,
      });
}

/**
 * A preset as an editable config file (pretty JSON with every default written out). Decode it
 * with `decodeConfigFile` after editing; it decodes back to exactly the preset.
 */
export function exportPreset(name: string): E.Either<UnknownPreset, string> {
  return E.map(
    (preset: Preset) => `${JSON.stringify(encodeConfigFile(preset as ConfigFile), null, 2)}\n`,
  )(presetByName(name));
}
