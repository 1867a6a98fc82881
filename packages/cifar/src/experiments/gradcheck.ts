/** The gradient-check runner: autograd against finite differences on a reduced problem, in float64. */

import type { GradientCheckRow } from "@puregrad/autograd";
import * as pg from "@puregrad/autograd";
import { cost, type Loss, type MlpParams } from "@puregrad/nn";
import type { TensorSet } from "../data/prepare.js";
import { markdownTable } from "../report/tables.js";
import type { GradientCheckConfig } from "./config.js";
import { modelOf } from "./training.js";

/** The outcome of one gradient check: a row per parameter tensor, and whether all passed. */
export interface GradientCheckResult {
  readonly name: string;
  readonly config: GradientCheckConfig;
  /** One per parameter tensor (`layers[0].W`, `layers[0].b`, `layers[0].gamma`, …), in layer order. */
  readonly rows: readonly GradientCheckRow[];
  /** Every tensor passed EXPERIMENTS.md's float64 rule (autograd vs centered differences). */
  readonly pass: boolean;
}

/** The training set is too small for the reduced problem a gradient check asks for. */
export interface GradientCheckDataError {
  readonly _tag: "GradientCheckDataError";
  readonly message: string;
}

/**
 * Runs a gradient check: the network of `config.model`, initialized from `config.seed` in
 * float64, on the first `config.inputDimensions` features of the first `config.samples` rows of
 * `train`; the function checked is the training-mode cost loss + λ·Σ‖W‖² (batch norm uses the
 * batch statistics, exactly what training differentiates). `onRow` sees each tensor's row as the
 * table is built.
 *
 * @returns the rows, or a {@link GradientCheckDataError} when `train` has too few samples (or a
 *   batch-norm check has fewer than 2).
 * @example
 * const result = runGradientCheck(gradientCheckConfig, prepared.train, softmaxCrossEntropy);
 * console.log(gradientCheckMarkdown(result));
 */
export function runGradientCheck(
  config: GradientCheckConfig,
  train: TensorSet,
  loss: Loss,
  onRow?: (row: GradientCheckRow) => void,
): GradientCheckResult | GradientCheckDataError {
  const available = train.y.shape[0]!;
  if (config.samples > available)
    return {
      _tag: "GradientCheckDataError",
      message: `gradient check ${config.name}: needs ${config.samples} samples, the training set has ${available}`,
    };
  if (config.model.batchNorm && config.samples < 2)
    return {
      _tag: "GradientCheckDataError",
      message: `gradient check ${config.name}: batch normalization needs at least 2 samples, got ${config.samples}`,
    };
  const inputs = pg.cast(
    pg.slice(train.x, [0, 0], [config.samples, config.inputDimensions]),
    "float64",
  );
  const labels = pg.slice(train.y, [0], [config.samples]);
  const model = modelOf(config.model, config.inputDimensions, "float64");
  const { params, state } = model.init(pg.key(config.seed));
  const objective = (candidate: MlpParams) =>
    cost(
      loss(model.apply(candidate, state, inputs, { training: true }).output, labels),
      candidate,
      config.lambda,
    );
  const rows = pg.checkGradients(objective, params, {
    h: config.step,
    key: pg.key(config.seed),
    ...(config.maxEntriesPerTensor === undefined
      ? {}
      : { maxEntriesPerTensor: config.maxEntriesPerTensor }),
  });
  for (const row of rows) onRow?.(row);
  return { name: config.name, config, rows, pass: rows.every((row) => row.pass) };
}

const scientific = (value: number): string => (value === 0 ? "0" : value.toExponential(2));

/**
 * A gradient check's table in Markdown: for each parameter tensor and each pair of methods
 * (autograd–centered, autograd–forward, centered–forward), the relative error
 * |a − b| / max(ε, |a| + |b|) (min, max, mean), the absolute difference (max, mean), the
 * norm-wise relative error, and the pass verdict (autograd vs centered only).
 */
export function gradientCheckMarkdown(result: Pick<GradientCheckResult, "rows">): string {
  const headers = [
    "tensor",
    "shape",
    "entries",
    "methods",
    "rel. error min",
    "rel. error max",
    "rel. error mean",
    "abs. diff. max",
    "abs. diff. mean",
    "norm rel. error",
    "pass",
  ];
  const rows = result.rows.flatMap((row) =>
    row.comparisons.map((comparison, index) => [
      index === 0 ? `\`${row.path}\`` : "",
      index === 0 ? `${row.shape.join("×")}` : "",
      index === 0 ? String(row.entriesChecked) : "",
      comparison.methods.join(" vs "),
      scientific(comparison.relativeError.min),
      scientific(comparison.relativeError.max),
      scientific(comparison.relativeError.mean),
      scientific(comparison.absoluteDifference.max),
      scientific(comparison.absoluteDifference.mean),
      scientific(comparison.normRelativeError),
      index === 0 ? (row.pass ? "✓" : "✗ FAIL") : "",
    ]),
  );
  return markdownTable(headers, rows, {
    align: [
      "left",
      "left",
      "right",
      "left",
      "right",
      "right",
      "right",
      "right",
      "right",
      "right",
      "center",
    ],
  });
}
