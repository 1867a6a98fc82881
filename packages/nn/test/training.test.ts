import type { Tensor } from "@puregrad/autograd";
import * as pg from "@puregrad/autograd";
import { describe, expect, it } from "vitest";
import {
  adam,
  createTrainer,
  type Dataset,
  type EpochRecord,
  fit,
  l2Penalty,
  mlp,
  momentum,
  sgd,
  softmaxCrossEntropy,
} from "../src/index.js";

/**
 * Up to n samples of d features labelled argmax(X W_trueᵀ): linearly separable by construction.
 * With `margin` > 0, samples whose two best scores are closer than it are dropped, so a linear
 * model can reach 100% accuracy in a few epochs.
 */
function separable(
  seed: number,
  n: number,
  features: number,
  classes: number,
  margin = 0,
): Dataset {
  const [inputKey, weightKey] = pg.split(pg.key(seed), 2);
  const trueWeights = pg.normal(weightKey!, [classes, features]);
  const scoresOf = (x: Tensor) => pg.matmul(x, trueWeights, { transposeB: true });
  const candidates = pg.normal(inputKey!, [n, features]);
  const kept = (scoresOf(candidates).toArray() as number[][]).flatMap((row, index) => {
    const [best, second] = [...row].sort((a, b) => b - a);
    return best! - second! > margin ? [index] : [];
  });
  const inputs = pg.take(candidates, kept);
  return { inputs, labels: pg.argmax(scoresOf(inputs), { axis: 1 }) };
}

/** n samples of noise with arbitrary balanced labels: only memorization can fit them. */
function noise(seed: number, n: number, features: number, classes: number): Dataset {
  const inputs = pg.normal(pg.key(seed), [n, features]);
  const labels = pg.tensor(
    Array.from({ length: n }, (_, i) => (i * 7 + 3) % classes),
    "int32",
  );
  return { inputs, labels };
}

describe("learning", () => {
  it("a 2-layer MLP overfits 100 samples to 100% training accuracy", async () => {
    const train = noise(1, 100, 30, 10);
    const trainer = createTrainer({
      model: mlp({ inputSize: 30, hiddenSizes: [50], outputSize: 10 }),
      optimizer: adam(0.01),
    });
    const result = await fit(trainer, trainer.init(pg.key(2)), {
      train,
      epochs: 30,
      batchSize: 20,
    });
    expect(result.status).toBe("completed");
    expect(result.history.at(-1)!.train.accuracy).toBe(1);
    expect(result.history.at(-1)!.train.loss).toBeLessThan(result.history[0]!.train.loss / 10);
  });

  it("a linear model learns a linearly separable problem and generalizes", async () => {
    const all = separable(3, 800, 8, 3, 1);
    const count = all.labels.shape[0]!;
    expect(count).toBeGreaterThan(400);
    const half = Math.floor(count / 2);
    const train = {
      inputs: pg.slice(all.inputs, [0], [half]),
      labels: pg.slice(all.labels, [0], [half]),
    };
    const heldOut = {
      inputs: pg.slice(all.inputs, [half], [count]),
      labels: pg.slice(all.labels, [half], [count]),
    };
    const trainer = createTrainer({
      model: mlp({ inputSize: 8, hiddenSizes: [], outputSize: 3, init: { normal: 0.01 } }),
      optimizer: momentum(0.1, 0.9),
    });
    const result = await fit(trainer, trainer.init(pg.key(4)), {
      train,
      validation: heldOut,
      epochs: 15,
      batchSize: 30,
      shuffle: true,
    });
    const last = result.history.at(-1)!;
    expect(last.train.accuracy).toBe(1);
    expect(last.validation!.accuracy).toBeGreaterThanOrEqual(0.99);
    expect(last.train.cost).toBeLessThan(result.history[0]!.train.cost);
  });
});

describe("trainer", () => {
  const data = separable(5, 40, 6, 4);
  const model = mlp({ inputSize: 6, hiddenSizes: [5], outputSize: 4, dtype: "float64" });
  const data64 = { inputs: pg.cast(data.inputs, "float64"), labels: data.labels };

  it("step reports the metrics of the parameters before the update, from the same forward pass", () => {
    const trainer = createTrainer({ model, optimizer: sgd(0.5), l2Regularization: 0.01 });
    const state = trainer.init(pg.key(0));
    const { state: next, metrics } = trainer.step(state, data64);
    const before = trainer.evaluate(state.params, state.modelState, data64);
    expect(metrics.loss).toBeCloseTo(before.loss, 12);
    expect(metrics.cost).toBeCloseTo(before.loss + 0.01 * l2Penalty(state.params).item(), 12);
    expect(metrics.cost).toBeCloseTo(before.cost, 12);
    expect(metrics.accuracy).toBe(before.accuracy);
    expect(next.step).toBe(1);
    expect(next.key).toBe(state.key);
    expect(trainer.evaluate(next.params, next.modelState, data64).cost).toBeLessThan(before.cost);
  });

  it("step applies exactly −η·∇cost for SGD (given as a config), with ∇ from trainer.cost", () => {
    const trainer = createTrainer({
      model,
      optimizer: { type: "sgd", learningRate: 0.5 },
      l2Regularization: 0.05,
    });
    const state = trainer.init(pg.key(0));
    const gradients = pg.grad((params: typeof state.params) =>
      trainer.cost(params, state.modelState, data64),
    )(state.params);
    const { state: next } = trainer.step(state, data64);
    const expected = pg.treeLeaves(
      pg.treeMap(
        (parameter, gradient) => pg.sub(parameter, pg.mul(gradient!, 0.5)),
        state.params,
        gradients,
      ),
    );
    const actual = pg.treeLeaves(next.params);
    expect(actual).toHaveLength(4);
    // Bit for bit: the step adds the L2 gradient itself (addL2Gradient), autodiff of the cost
    // gives the same sums.
    actual.forEach((leaf, index) => {
      expect(leaf.toTypedArray()).toEqual(expected[index]!.toTypedArray());
    });
  });

  it("evaluation is the same whatever its batch size", () => {
    const trainer = createTrainer({ model, optimizer: sgd(0.1), l2Regularization: 0.1 });
    const { params, modelState } = trainer.init(pg.key(1));
    const whole = trainer.evaluate(params, modelState, data64);
    const batched = trainer.evaluate(params, modelState, data64, { batchSize: 7 });
    expect(batched.loss).toBeCloseTo(whole.loss, 12);
    expect(batched.cost).toBeCloseTo(whole.cost, 12);
    expect(batched.accuracy).toBe(whole.accuracy);
    expect(whole.loss).toBeCloseTo(
      softmaxCrossEntropy(
        model.apply(params, modelState, data64.inputs, { training: false }).output,
        data64.labels,
      ).item(),
      12,
    );
  });

  it("a user-written loss plugs in like a built-in one", () => {
    const squaredError = (logits: Tensor, labels: Tensor) =>
      pg.mean(pg.square(pg.sub(logits, pg.oneHot(labels, logits.shape[1]!, logits.dtype))));
    const trainer = createTrainer({ model, loss: squaredError, optimizer: sgd(0.1) });
    const state = trainer.init(pg.key(1));
    const metrics = trainer.evaluate(state.params, state.modelState, data64);
    const logits = model.apply(state.params, state.modelState, data64.inputs, {
      training: false,
    }).output;
    expect(metrics.loss).toBeCloseTo(squaredError(logits, data64.labels).item(), 12);
    const { state: next } = trainer.step(state, data64);
    expect(trainer.evaluate(next.params, next.modelState, data64).loss).toBeLessThan(metrics.loss);
  });

  it("threads batch-norm averages through the step as state", () => {
    const trainer = createTrainer({
      model: mlp({
        inputSize: 6,
        hiddenSizes: [5],
        outputSize: 4,
        batchNorm: true,
        dtype: "float64",
      }),
      optimizer: sgd(0.1),
    });
    let state = trainer.init(pg.key(0));
    expect(state.modelState.layers[0]!.count).toBe(0);
    state = trainer.step(state, data64).state;
    state = trainer.step(state, data64).state;
    expect(state.modelState.layers[0]!.count).toBe(2);
    expect(state.modelState.layers[0]!.mean.shape).toEqual([5]);
  });

  it("rejects a negative λ and an unknown loss at construction", () => {
    expect(() => createTrainer({ model, optimizer: sgd(0.1), l2Regularization: -0.1 })).toThrow(
      "createTrainer: l2Regularization (λ) must be finite and >= 0, got -0.1",
    );
    expect(() => createTrainer({ model, optimizer: sgd(0.1), loss: "mse" as never })).toThrow(
      "unknown loss",
    );
  });
});

describe("fit", () => {
  const train = separable(6, 50, 4, 3);
  const validation = separable(7, 20, 4, 3);
  const trainer = createTrainer({
    model: mlp({ inputSize: 4, hiddenSizes: [6], outputSize: 3 }),
    optimizer: sgd(0.05),
  });

  it("folds the step over contiguous batches in order and reports every epoch", async () => {
    const initial = trainer.init(pg.key(0));
    const seen: EpochRecord[] = [];
    const result = await fit(trainer, initial, {
      train,
      validation,
      epochs: 2,
      batchSize: 20,
      onEpoch: (r) => void seen.push(r),
    });
    expect(result.status).toBe("completed");
    expect(seen).toEqual(result.history);
    expect(seen.map((r) => [r.epoch, r.step])).toEqual([
      [1, 3],
      [2, 6],
    ]);

    // The same fold by hand: batches [0, 20), [20, 40), [40, 50), twice.
    let state = initial;
    for (let epoch = 0; epoch < 2; epoch++) {
      for (const [start, end] of [
        [0, 20],
        [20, 40],
        [40, 50],
      ] as const) {
        state = trainer.step(state, {
          inputs: pg.slice(train.inputs, [start], [end]),
          labels: pg.slice(train.labels, [start], [end]),
        }).state;
      }
    }
    expect(
      pg.allClose(result.state.params.layers[0]!.W, state.params.layers[0]!.W, {
        rtol: 0,
        atol: 0,
      }),
    ).toBe(true);
    expect(seen[1]!.train).toEqual(trainer.evaluate(state.params, state.modelState, train));
    expect(seen[1]!.validation).toEqual(
      trainer.evaluate(state.params, state.modelState, validation),
    );
  });

  it("shuffles from the state's key: reproducible, and a different order than in-order", async () => {
    const options = { train, epochs: 2, batchSize: 10, shuffle: true };
    const first = await fit(trainer, trainer.init(pg.key(0)), options);
    const again = await fit(trainer, trainer.init(pg.key(0)), options);
    const ordered = await fit(trainer, trainer.init(pg.key(0)), { ...options, shuffle: false });
    const weights = (r: typeof first) => r.state.params.layers[0]!.W.toArray();
    expect(weights(again)).toEqual(weights(first));
    expect(weights(ordered)).not.toEqual(weights(first));
    expect(first.state.key).not.toEqual(trainer.init(pg.key(0)).key);
  });

  it("stops with a diverged result (epoch and step), without throwing, when the cost overflows", async () => {
    const exploding = createTrainer({
      model: mlp({ inputSize: 4, hiddenSizes: [], outputSize: 3, init: { normal: 0.01 } }),
      optimizer: sgd(1e25),
      l2Regularization: 1,
    });
    const seen: EpochRecord[] = [];
    const result = await fit(exploding, exploding.init(pg.key(0)), {
      train,
      epochs: 5,
      batchSize: 25,
      onEpoch: (r) => void seen.push(r),
    });
    expect(result.status).toBe("diverged");
    if (result.status !== "diverged") return;
    expect(result.epoch).toBe(1);
    expect(result.step).toBe(1); // the first update already overflows W², so step 1's cost is Infinity
    expect(result.state.step).toBe(1);
    expect(seen).toEqual([]);
    expect(result.history).toEqual([]);
  });

  it("stops cleanly between steps when the signal aborts", async () => {
    const controller = new AbortController();
    const result = await fit(trainer, trainer.init(pg.key(0)), {
      train,
      epochs: 10,
      batchSize: 25,
      signal: controller.signal,
      onEpoch: (record) => {
        if (record.epoch === 2) controller.abort();
      },
    });
    expect(result.status).toBe("aborted");
    expect(result.history.map((r) => r.epoch)).toEqual([1, 2]);
    expect(result.state.step).toBe(4);

    const before = await fit(trainer, trainer.init(pg.key(0)), {
      train,
      epochs: 1,
      batchSize: 25,
      signal: AbortSignal.abort(),
    });
    expect(before.status).toBe("aborted");
    expect(before.state.step).toBe(0);
  });

  it("rejects bad options with a clear message", async () => {
    const state = trainer.init(pg.key(0));
    await expect(fit(trainer, state, { train, epochs: 1, batchSize: 0 })).rejects.toThrow(
      "fit: batch size must be a positive integer, got 0",
    );
    await expect(fit(trainer, state, { train, epochs: -1, batchSize: 5 })).rejects.toThrow(
      "fit: epochs must be a non-negative integer",
    );
    await expect(
      fit(trainer, state, {
        train: { inputs: train.inputs, labels: pg.slice(train.labels, [0], [10]) },
        epochs: 1,
        batchSize: 5,
      }),
    ).rejects.toThrow("fit (train): labels must be [50] to match inputs [50, 4], got [10]");
  });
});
