// puregrad as a user drives it: createTrainer + step over in-order slices, as `fit` does.
import { performance } from "node:perf_hooks";
import * as pg from "@puregrad/autograd";
import { getBackend, matmulInfo, sizeOf } from "@puregrad/tensor";
import { applyUpdates, createTrainer, mlp, resolveOptimizer } from "../dist/index.js";
import { batchRows, localRunner, median } from "./runner.mjs";

/** The trainer for a bench case (see `cases` in training.bench.mjs) in `dtype`. */
function trainerFor(spec, dtype) {
  return createTrainer({
    model: mlp({
      inputSize: spec.inputSize,
      hiddenSizes: spec.hiddenSizes,
      outputSize: spec.outputSize,
      batchNorm: spec.batchNorm,
      init: spec.init,
      dtype,
    }),
    loss: "crossEntropy",
    optimizer: spec.optimizer,
    l2Regularization: spec.l2Regularization,
  });
}

function batchAt(data, dataset, batchIndex) {
  const [start, end] = batchRows(dataset, batchIndex);
  return {
    inputs: pg.slice(data.inputs, [start], [end]),
    labels: pg.slice(data.labels, [start], [end]),
  };
}

/**
 * Initial parameters of the case's model, drawn from `seed`, as plain arrays in puregrad's layout
 * (W is [out, in]) so the peers start from the very same weights.
 */
export function initialParameters(spec, dtype, seed) {
  const { params } = trainerFor(spec, dtype).init(pg.key(seed));
  return params.layers.map((layer) =>
    Object.fromEntries(
      Object.entries(layer).map(([name, tensor]) => [
        name,
        { shape: [...tensor.shape], data: tensor.toTypedArray() },
      ]),
    ),
  );
}

/** A {@link Runner} training the case's model with `trainer.step`, from the weights of `seed`. */
export function puregradRunner(spec, dtype, seed, dataset) {
  const trainer = trainerFor(spec, dtype);
  const data = dataset.puregrad(dtype);
  let state = trainer.init(pg.key(seed));
  return localRunner((batchIndex) => {
    const { state: next, metrics } = trainer.step(state, batchAt(data, dataset, batchIndex));
    state = next;
    return metrics.cost;
  }, dataset);
}

/** Elements from which a kernel call counts as weight-sized (the first layer's 50 × 3072 = 153,600). */
const WEIGHT_SIZED = 100_000;

/** The kind of work a backend call is, for the breakdown: matmul, weight-sized or small. */
function kernelKind(method, args) {
  if (method === "matmul") return "matmul";
  const meta = args.find((arg) => typeof arg === "object" && arg !== null && "dtype" in arg);
  const size =
    meta?.size ??
    (meta?.shape
      ? sizeOf(meta.shape)
      : (meta?.outer ?? 0) * (meta?.reduceSize ?? 1) * (meta?.inner ?? 1));
  return size >= WEIGHT_SIZED ? "weightSized" : "small";
}

/** Products from this many flops (2·m·k·n) count as large: the first layer's, split across threads. */
const LARGE_PRODUCT_FLOPS = 2 ** 20;

/**
 * Runs `run` with every method of the current backend timed (patched in place, restored
 * after), and returns its result with the milliseconds and calls spent in each kind of kernel,
 * and how many threads computed each large product (`matmulInfo().lastCallThreads`).
 */
function timingKernels(run) {
  const backend = getBackend();
  const kernels = {
    matmul: { ms: 0, calls: 0 },
    weightSized: { ms: 0, calls: 0 },
    small: { ms: 0, calls: 0 },
  };
  const largeProductThreads = [];
  const originals = Object.entries(backend).filter(([, value]) => typeof value === "function");
  for (const [method, original] of originals) {
    backend[method] = (...args) => {
      const start = performance.now();
      try {
        return original.apply(backend, args);
      } finally {
        const kind = kernels[kernelKind(method, args)];
        kind.ms += performance.now() - start;
        kind.calls += 1;
        if (method === "matmul") {
          const { m, k, n } = args[2];
          if (2 * m * k * n >= LARGE_PRODUCT_FLOPS) {
            largeProductThreads.push(matmulInfo().lastCallThreads);
          }
        }
      }
    };
  }
  try {
    return { result: run(), kernels, largeProductThreads };
  } finally {
    for (const [method, original] of originals) backend[method] = original;
  }
}

/**
 * Where one training step's time goes: the whole `trainer.step`, the forward + backward pass
 * alone (`valueAndGrad` of `trainer.cost`) and the optimizer update alone (`update` +
 * `applyUpdates`), each the median over `steps` consecutive batches, in seconds; then, over
 * another `steps` steps with every backend call timed, the median seconds per step spent in
 * matmul kernels, in weight-sized elementwise kernels and reductions, in the other (small)
 * kernels, and outside the kernels (autograd, the optimizer's bookkeeping, JavaScript), with
 * the calls of each kind per step, the threads that computed each large product, and the matmul
 * operands per step found in the kernel's memory instead of copied in.
 */
export function stepBreakdown(spec, dtype, seed, dataset, steps) {
  const trainer = trainerFor(spec, dtype);
  const optimizer = resolveOptimizer(spec.optimizer);
  const costAndGradient = pg.valueAndGrad(trainer.cost, { argnums: 0 });
  const data = dataset.puregrad(dtype);
  let state = trainer.init(pg.key(seed));
  const seconds = { step: [], forwardBackward: [], update: [] };
  const timed = (list, run) => {
    const start = performance.now();
    const result = run();
    list.push((performance.now() - start) / 1000);
    return result;
  };
  for (let index = 0; index < 2 * steps; index++) {
    const batch = batchAt(data, dataset, index);
    const [, gradients] = timed(seconds.forwardBackward, () =>
      costAndGradient(state.params, state.modelState, batch),
    );
    timed(seconds.update, () => {
      const [updates] = optimizer.update(gradients, state.optimizerState, state.params);
      return applyUpdates(state.params, updates);
    });
    state = timed(seconds.step, () => trainer.step(state, batch)).state;
  }
  const perStep = { total: [], matmul: [], weightSized: [], small: [], outside: [] };
  const calls = {};
  const threads = [];
  const reusedBefore = matmulInfo().reusedOperands;
  for (let index = 2 * steps; index < 3 * steps; index++) {
    const batch = batchAt(data, dataset, index);
    const start = performance.now();
    const { result, kernels, largeProductThreads } = timingKernels(() =>
      trainer.step(state, batch),
    );
    threads.push(...largeProductThreads);
    const total = performance.now() - start;
    state = result.state;
    let inKernels = 0;
    for (const [kind, { ms, calls: count }] of Object.entries(kernels)) {
      perStep[kind].push(ms / 1000);
      calls[kind] = count;
      inKernels += ms;
    }
    perStep.outside.push((total - inKernels) / 1000);
    perStep.total.push(total / 1000);
  }
  // Of the steps whose parts were timed separately, the first `steps` warm up.
  return {
    ...Object.fromEntries(
      Object.entries(seconds).map(([name, list]) => [name, median(list.slice(steps))]),
    ),
    largeProductThreads: threads,
    reusedOperandsPerStep: (matmulInfo().reusedOperands - reusedBefore) / steps,
    kernels: Object.fromEntries(
      Object.entries(perStep).map(([kind, list]) => [
        kind,
        { seconds: median(list), calls: calls[kind] },
      ]),
    ),
  };
}
