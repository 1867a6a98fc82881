// The contract every implementation in this bench follows, so the timing protocol is written once.
import { performance } from "node:perf_hooks";

/**
 * Training data as every implementation sees it: the same rows, in the same order.
 * @typedef {object} Dataset
 * @property {"bench" | "check"} name - which of the peer process's loaded label sets to use
 * @property {number} samples - rows in one epoch (a prefix of the arrays)
 * @property {number} batchSize
 * @property {number} features
 * @property {Float32Array} inputs - row-major [rows ≥ samples, features]
 * @property {Int32Array} labels - [rows ≥ samples], classes 0..9
 * @property {(dtype: "float32" | "float64") => { inputs: import("@puregrad/autograd").Tensor, labels: import("@puregrad/autograd").Tensor }} puregrad
 */

/**
 * A model being trained. `run(startBatch, steps)` takes `steps` training steps on batches
 * startBatch, startBatch + 1, … (wrapping at the end of the epoch) and reports the seconds they
 * took and each step's cost (loss + λ‖W‖², before its update).
 * @typedef {object} Runner
 * @property {(startBatch: number, steps: number) => Promise<{ seconds: number, costs: number[] }>} run
 * @property {() => void | Promise<void>} dispose
 */

/**
 * A {@link Runner} over a synchronous `stepAt(batchIndex) → cost`, timed in this process.
 * @param {(batchIndex: number) => number} stepAt
 * @param {Dataset} dataset
 * @param {() => void} [dispose]
 * @returns {Runner}
 */
export function localRunner(stepAt, dataset, dispose = () => {}) {
  const batchesPerEpoch = Math.ceil(dataset.samples / dataset.batchSize);
  return {
    async run(startBatch, steps) {
      const costs = [];
      const start = performance.now();
      for (let step = 0; step < steps; step++) {
        costs.push(stepAt((startBatch + step) % batchesPerEpoch));
      }
      return { seconds: (performance.now() - start) / 1000, costs };
    },
    dispose,
  };
}

/** Rows [start, end) of batch `batchIndex`. */
export function batchRows(dataset, batchIndex) {
  const start = batchIndex * dataset.batchSize;
  return [start, Math.min(start + dataset.batchSize, dataset.samples)];
}

/** Median of a non-empty list. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
