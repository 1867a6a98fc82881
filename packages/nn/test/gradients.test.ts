import * as pg from "@puregrad/autograd";
import { describe, expect, it } from "vitest";
import { createTrainer, type LossName, type MlpConfig, mlp, sgd } from "../src/index.js";

/**
 * The gradient-check rule of EXPERIMENTS.md on reduced problems (20 inputs, 5 samples), in
 * float64: autograd's gradient of the training cost against centered differences, h = 1e-5.
 */
const inputSize = 20;
const batch = {
  inputs: pg.normal(pg.key(100), [5, inputSize], { dtype: "float64" }),
  labels: pg.tensor([3, 0, 9, 3, 7], "int32"),
};

function checkModel(
  config: Omit<MlpConfig, "inputSize" | "outputSize" | "dtype">,
  loss: LossName,
  l2Regularization: number,
) {
  const trainer = createTrainer({
    model: mlp({ inputSize, outputSize: 10, dtype: "float64", ...config }),
    loss,
    optimizer: sgd(0.1),
    l2Regularization,
  });
  const { params, modelState } = trainer.init(pg.key(7));
  const cost = (p: typeof params) => trainer.cost(p, modelState, batch);
  const gradients = pg.treeLeaves(pg.grad(cost)(params));
  const rows = pg.checkGradients(cost, params, { h: 1e-5 });
  return rows.map((row, index) => ({ ...row, gradient: gradients[index]! }));
}

const cases: [
  name: string,
  config: Omit<MlpConfig, "inputSize" | "outputSize" | "dtype">,
  loss: LossName,
  lambda: number,
][] = [
  [
    "A1 linear, cross-entropy, λ = 0",
    { hiddenSizes: [], init: { normal: 0.01 }, biasInit: { normal: 0.01 } },
    "crossEntropy",
    0,
  ],
  [
    "A1 linear, cross-entropy, λ = 1",
    { hiddenSizes: [], init: { normal: 0.01 }, biasInit: { normal: 0.01 } },
    "crossEntropy",
    1,
  ],
  [
    "A1 linear, SVM, λ = 0",
    { hiddenSizes: [], init: { normal: 0.01 }, biasInit: { normal: 0.01 } },
    "svm",
    0,
  ],
  [
    "A1 linear, SVM, λ = 0.1",
    { hiddenSizes: [], init: { normal: 0.01 }, biasInit: { normal: 0.01 } },
    "svm",
    0.1,
  ],
  ["2-layer (A2), λ = 0", { hiddenSizes: [8], biasInit: { normal: 0.1 } }, "crossEntropy", 0],
  ["2-layer (A2), λ = 0.01", { hiddenSizes: [8], biasInit: { normal: 0.1 } }, "crossEntropy", 0.01],
  ["3-layer", { hiddenSizes: [8, 6], init: "he", biasInit: { normal: 0.1 } }, "crossEntropy", 0.01],
  [
    "4-layer",
    { hiddenSizes: [8, 6, 5], init: "he", biasInit: { normal: 0.1 } },
    "crossEntropy",
    0.01,
  ],
  [
    "2-layer with BN (γ, β)",
    { hiddenSizes: [8], init: "he", batchNorm: true },
    "crossEntropy",
    0.01,
  ],
  [
    "3-layer with BN (γ, β)",
    { hiddenSizes: [8, 6], init: "he", batchNorm: true },
    "crossEntropy",
    0.01,
  ],
  [
    "2-layer with BN, no γ, β",
    { hiddenSizes: [8], init: "he", batchNorm: { scaleAndShift: false } },
    "crossEntropy",
    0,
  ],
  [
    "3-layer with BN, no γ, β",
    { hiddenSizes: [8, 6], init: "he", batchNorm: { scaleAndShift: false } },
    "crossEntropy",
    0.01,
  ],
  [
    "3-layer tanh",
    { hiddenSizes: [8, 6], activation: "tanh", biasInit: { normal: 0.1 } },
    "crossEntropy",
    0,
  ],
  [
    "3-layer leaky ReLU",
    { hiddenSizes: [8, 6], activation: "leakyRelu", biasInit: { normal: 0.1 } },
    "svm",
    0.01,
  ],
];

describe("gradient checks (float64, EXPERIMENTS.md rule)", () => {
  it.each(cases)("%s", (_name, config, loss, lambda) => {
    const rows = checkModel(config, loss, lambda);
    const hidden = config.hiddenSizes.length;
    const batchNorm = config.batchNorm !== undefined && config.batchNorm !== false;
    const scaleAndShift =
      batchNorm && (config.batchNorm === true || config.batchNorm.scaleAndShift !== false);
    expect(rows).toHaveLength((hidden + 1) * 2 + (scaleAndShift ? hidden * 2 : 0));
    for (const row of rows) {
      const biasBeforeBatchNorm =
        batchNorm && /^layers\[(\d+)\]\.b$/.test(row.path) && row.path !== `layers[${hidden}].b`;
      if (biasBeforeBatchNorm) {
        // Batch norm subtracts the batch mean, so b has no effect and its gradient is exactly
        // 0: the norm ratio is noise over noise there, so check that both sides are ~0.
        expect(pg.max(pg.abs(row.gradient)).item()).toBeLessThan(1e-14);
        expect(row.comparisons[0].absoluteDifference.max).toBeLessThan(row.tolerance.entryAbsolute);
      } else {
        expect(row, JSON.stringify(row)).toMatchObject({ pass: true });
      }
    }
  });
});
