/**
 * Memory stays flat across epochs: `fit` with batch norm, momentum, L2 and shuffling, on layers
 * large enough for the WebAssembly kernels (SIMD elementwise, the matmul split across threads),
 * holds no more after epoch 40 than after epoch 10. Runs with --expose-gc (vitest.config.ts)
 * so sizes are measured after collection.
 */
import * as pg from "@puregrad/autograd";
import { expect, it } from "vitest";
import { createTrainer, fit, mlp } from "../src/index.js";

/** Bytes the process holds for JavaScript objects and typed arrays, after collection. */
function heldAfterCollection(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("memory test needs node --expose-gc (vitest execArgv)");
  gc();
  gc();
  // External memory holds the typed arrays' buffers and the WebAssembly kernels' memories.
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

it("keeps memory flat across 40 epochs of fit", async () => {
  const [inputKey, labelKey] = pg.split(pg.key(11), 2);
  // 600 rows of 512 features: each epoch is 6 steps of (100×512)·(512×64) products, each over
  // 2^20 flops, so the worker pool takes part.
  const train = {
    inputs: pg.normal(inputKey, [600, 512]),
    labels: pg.cast(pg.uniform(labelKey, [600], { min: 0, max: 10, dtype: "float64" }), "int32"),
  };
  const trainer = createTrainer({
    model: mlp({ inputSize: 512, hiddenSizes: [64, 32], outputSize: 10, batchNorm: true }),
    loss: "crossEntropy",
    optimizer: { type: "momentum", learningRate: 0.01, rho: 0.9 },
    l2Regularization: 1e-3,
  });
  let afterWarmUp = 0;
  const result = await fit(trainer, trainer.init(pg.key(3)), {
    train,
    validation: train,
    epochs: 40,
    batchSize: 100,
    shuffle: true,
    onEpoch: ({ epoch }) => {
      if (epoch === 10) afterWarmUp = heldAfterCollection();
    },
  });
  const growth = heldAfterCollection() - afterWarmUp;
  expect(result.status).toBe("completed");
  expect(result.history).toHaveLength(40);
  // 180 more steps and 60 more evaluations: a leak of one weight matrix (128 KiB) per step
  // would add over 20 MiB.
  expect(growth).toBeLessThan(4 * 1024 * 1024);
});
