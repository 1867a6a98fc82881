/**
 * Training is deterministic whatever the matmul's thread count: the same seed and data give
 * bit-identical parameters, batch-norm averages and costs on 1 and 2 threads.
 */
import * as pg from "@puregrad/autograd";
import { matmulInfo, setMatmulThreads } from "@puregrad/tensor";
import { afterAll, expect, it } from "vitest";
import { createTrainer, mlp } from "../src/index.js";

const initialThreads = matmulInfo().threads;
afterAll(() => setMatmulThreads(initialThreads));

/**
 * 30 momentum steps of a batch-norm MLP on `threads` matmul threads: the costs, the final
 * state's arrays, and how many steps' last product ran on two threads.
 */
function train(threads: number) {
  setMatmulThreads(threads);
  const [inputKey, labelKey] = pg.split(pg.key(5), 2);
  // (100×512)·(512×64) products and their gradients: over 2^20 flops, so split across threads.
  const inputs = pg.normal(inputKey, [1000, 512]);
  const labels = pg.cast(
    pg.uniform(labelKey, [1000], { min: 0, max: 10, dtype: "float64" }),
    "int32",
  );
  const trainer = createTrainer({
    model: mlp({ inputSize: 512, hiddenSizes: [64, 32], outputSize: 10, batchNorm: true }),
    loss: "crossEntropy",
    optimizer: { type: "momentum", learningRate: 0.01, rho: 0.9 },
    l2Regularization: 1e-3,
  });
  let state = trainer.init(pg.key(9));
  const costs: number[] = [];
  let sharedSteps = 0;
  for (let step = 0; step < 30; step++) {
    const start = (step % 10) * 100;
    const batch = {
      inputs: pg.slice(inputs, [start], [start + 100]),
      labels: pg.slice(labels, [start], [start + 100]),
    };
    const result = trainer.step(state, batch);
    // The step's last product is the first layer's weight gradient, (64×100)·(100×512).
    if (matmulInfo().lastCallThreads === 2) sharedSteps++;
    costs.push(result.metrics.cost);
    state = result.state;
  }
  const arrays = snapshot({ params: state.params, modelState: state.modelState });
  return { costs, arrays, sharedSteps };
}

/** The tree with each tensor replaced by its elements as numbers (other leaves kept). */
function snapshot(tree: unknown): unknown {
  if (tree instanceof pg.Tensor) return Array.from(tree.toTypedArray());
  if (Array.isArray(tree)) return tree.map(snapshot);
  if (typeof tree === "object" && tree !== null) {
    return Object.fromEntries(Object.entries(tree).map(([key, value]) => [key, snapshot(value)]));
  }
  return tree;
}

it("trains to bit-identical parameters and costs on 1 and 2 matmul threads", () => {
  const single = train(1);
  expect(single.sharedSteps).toBe(0);
  expect(matmulInfo().threads).toBe(1);
  // On a loaded machine the worker may miss every product of a run: retry until it took part
  // (every run must match, whether it did or not).
  let double = train(2);
  for (let attempt = 1; attempt < 5 && double.sharedSteps === 0; attempt++) double = train(2);
  expect(double.costs).toEqual(single.costs);
  expect(double.arrays).toEqual(single.arrays);
  expect(double.sharedSteps).toBeGreaterThan(0);
});
