// puregrad as a user drives it: createTrainer + step over in-order slices, as `fit` does.
import { performance } from "node:perf_hooks";
import * as pg from "@puregrad/autograd";
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

/**
 * Where one training step's time goes: the whole `trainer.step`, the forward + backward pass
 * alone (`valueAndGrad` of `trainer.cost`) and the optimizer update alone (`update` +
 * `applyUpdates`), each the median over `steps` consecutive batches, in seconds.
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
  // The first half warms up.
  return Object.fromEntries(
    Object.entries(seconds).map(([name, list]) => [name, median(list.slice(steps))]),
  );
}
