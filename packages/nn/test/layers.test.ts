import type { Tensor } from "@puregrad/autograd";
import * as pg from "@puregrad/autograd";
import { describe, expect, it } from "vitest";
import {
  batchNorm,
  dense,
  heInit,
  leakyRelu,
  mlp,
  normalInit,
  resolveActivation,
  resolveInitializer,
  xavierInit,
  zerosInit,
} from "../src/index.js";
import { expectAllClose } from "./helpers.js";

type Matrix = number[][];
const matrix = (t: Tensor): Matrix => t.toArray() as Matrix;
const vector = (t: Tensor): number[] => t.toArray() as number[];
const float64 = (data: number[][] | number[]): Tensor => pg.tensor(data, "float64");

/** Naive X Wᵀ + b. */
function affineReference(x: Matrix, w: Matrix, b: number[]): Matrix {
  return x.map((row) =>
    w.map((weights, unit) => weights.reduce((sum, weight, k) => sum + weight * row[k]!, b[unit]!)),
  );
}

/** Closed-form batch norm over the rows of s, with biased variance. */
function batchNormReference(
  s: Matrix,
  mean: number[],
  variance: number[],
  gamma: number[],
  beta: number[],
  epsilon: number,
): Matrix {
  return s.map((row) =>
    row.map(
      (value, j) => ((value - mean[j]!) / Math.sqrt(variance[j]! + epsilon)) * gamma[j]! + beta[j]!,
    ),
  );
}

function columnStatistics(s: Matrix): { mean: number[]; variance: number[] } {
  const n = s.length;
  const mean = s[0]!.map((_, j) => s.reduce((sum, row) => sum + row[j]!, 0) / n);
  const variance = mean.map((mu, j) => s.reduce((sum, row) => sum + (row[j]! - mu) ** 2, 0) / n);
  return { mean, variance };
}

const sampleVariance = (values: number[]): number => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length;
};

describe("initializers", () => {
  const shape = [200, 400];
  const draw = (init: ReturnType<typeof resolveInitializer>) =>
    Array.from(init(pg.key(3), shape, "float64").toTypedArray());

  it("Xavier has variance 1/fan-in and He 2/fan-in, fan-in being the last axis ([out, in])", () => {
    expect(sampleVariance(draw(xavierInit))).toBeCloseTo(1 / 400, 4);
    expect(sampleVariance(draw(heInit)) * 400).toBeGreaterThan(1.95);
    expect(sampleVariance(draw(heInit)) * 400).toBeLessThan(2.05);
    expect(sampleVariance(draw(xavierInit)) * 400).toBeGreaterThan(0.975);
    expect(sampleVariance(draw(xavierInit)) * 400).toBeLessThan(1.025);
  });

  it("normal(σ) has standard deviation σ whatever the shape; zeros are zeros", () => {
    const std = Math.sqrt(sampleVariance(draw(normalInit(0.01))));
    expect(std).toBeGreaterThan(0.0099);
    expect(std).toBeLessThan(0.0101);
    expect(draw(zerosInit).every((v) => v === 0)).toBe(true);
  });

  it("specs resolve by name and by { normal: σ }; the same key gives the same tensor", () => {
    expect(resolveInitializer("he")).toBe(heInit);
    expect(resolveInitializer("xavier")).toBe(xavierInit);
    expect(draw(resolveInitializer({ normal: 0.5 }))).toEqual(draw(normalInit(0.5)));
    expect(() => resolveInitializer("glorot" as never)).toThrow('unknown initializer "glorot"');
    expect(() => normalInit(-1)).toThrow(
      "normalInit: standard deviation must be finite and >= 0, got -1",
    );
  });
});

describe("activations", () => {
  it("leaky ReLU keeps positives and scales negatives by the slope", () => {
    expect(vector(leakyRelu(0.1)(float64([-2, -0.5, 0, 3])))).toEqual([-0.2, -0.05, 0, 3]);
    expect(vector(resolveActivation("leakyRelu")(float64([-100, 1])))).toEqual([-1, 1]);
    expect(() => leakyRelu(2)).toThrow("leakyRelu: slope must be in [0, 1], got 2");
    expect(() => resolveActivation("gelu" as never)).toThrow('unknown activation "gelu"');
  });
});

describe("dense", () => {
  it("stores W as [out, in] and b as [out], and applies X Wᵀ + b", () => {
    const layer = dense({
      inputSize: 4,
      outputSize: 3,
      init: "he",
      biasInit: { normal: 1 },
      dtype: "float64",
    });
    const { params, state } = layer.init(pg.key(1));
    expect(params.W.shape).toEqual([3, 4]);
    expect(params.b.shape).toEqual([3]);
    const x = pg.normal(pg.key(2), [5, 4], { dtype: "float64" });
    const { output } = layer.apply(params, state, x, { training: true });
    expectAllClose(matrix(output), affineReference(matrix(x), matrix(params.W), vector(params.b)));
  });

  it("initialization is deterministic in the key and differs across keys", () => {
    const layer = dense({ inputSize: 3, outputSize: 2 });
    expect(matrix(layer.init(pg.key(7)).params.W)).toEqual(matrix(layer.init(pg.key(7)).params.W));
    expect(matrix(layer.init(pg.key(7)).params.W)).not.toEqual(
      matrix(layer.init(pg.key(8)).params.W),
    );
  });

  it("rejects bad sizes and inputs with both shapes in the message", () => {
    expect(() => dense({ inputSize: 0, outputSize: 2 })).toThrow(
      "dense: inputSize must be a positive integer, got 0",
    );
    const layer = dense({ inputSize: 3, outputSize: 2 });
    const { params, state } = layer.init(pg.key(0));
    expect(() => layer.apply(params, state, pg.zeros([4, 5]), { training: false })).toThrow(
      "dense: inputs must have shape [n, 3], got [4, 5]",
    );
  });
});

describe("batch normalization", () => {
  const s = [
    [1, 10, -3],
    [2, 14, -3.5],
    [6, 9, 0],
    [3, 11, 1],
  ];
  const gamma = [2, 0.5, 1];
  const beta = [0.1, -1, 3];
  const epsilon = 1e-3;
  const layer = batchNorm({ size: 3, epsilon, momentum: 0.8, dtype: "float64" });
  const params = { gamma: float64(gamma), beta: float64(beta) };

  it("training mode matches (s − μ)/sqrt(σ² + ε)·γ + β with the biased batch variance", () => {
    const { state } = layer.init(pg.key(0));
    const { output } = layer.apply(params, state, float64(s), { training: true });
    const { mean, variance } = columnStatistics(s);
    expectAllClose(matrix(output), batchNormReference(s, mean, variance, gamma, beta, epsilon));
  });

  it("without scale and shift it outputs ŝ and has no parameters", () => {
    const plain = batchNorm({ size: 3, scaleAndShift: false, epsilon, dtype: "float64" });
    const init = plain.init(pg.key(0));
    expect(init.params).toEqual({});
    const { output } = plain.apply(init.params, init.state, float64(s), { training: true });
    const { mean, variance } = columnStatistics(s);
    expectAllClose(
      matrix(output),
      batchNormReference(s, mean, variance, [1, 1, 1], [0, 0, 0], epsilon),
    );
  });

  it("the first batch sets the running averages; later batches blend with α", () => {
    const second = s.map((row) => row.map((v, j) => v * (j + 1) - 2));
    let { state } = layer.init(pg.key(0));
    expect(state.count).toBe(0);
    state = layer.apply(params, state, float64(s), { training: true }).state;
    const first = columnStatistics(s);
    expect(vector(state.mean)).toEqual(first.mean.map((v) => expect.closeTo(v, 12)));
    expect(vector(state.variance)).toEqual(first.variance.map((v) => expect.closeTo(v, 12)));
    state = layer.apply(params, state, float64(second), { training: true }).state;
    const next = columnStatistics(second);
    expect(state.count).toBe(2);
    expect(vector(state.mean)).toEqual(
      first.mean.map((v, j) => expect.closeTo(0.8 * v + 0.2 * next.mean[j]!, 12)),
    );
    expect(vector(state.variance)).toEqual(
      first.variance.map((v, j) => expect.closeTo(0.8 * v + 0.2 * next.variance[j]!, 12)),
    );
  });

  it("the running averages are state that carries no gradient (stopGradient)", () => {
    const model = mlp({
      inputSize: 3,
      hiddenSizes: [4],
      outputSize: 2,
      batchNorm: true,
      dtype: "float64",
    });
    const { params, state } = model.init(pg.key(0));
    const x = pg.normal(pg.key(1), [6, 3], { dtype: "float64" });
    // 0·output keeps the result traced; any gradient would have to come through the averages.
    const throughAverages = (p: typeof params) => {
      const result = model.apply(p, state, x, { training: true });
      const averages = result.state.layers[0]!;
      return pg.add(
        pg.mul(pg.sum(result.output), 0),
        pg.add(pg.sum(averages.mean), pg.sum(averages.variance)),
      );
    };
    for (const gradient of pg.treeLeaves(pg.grad(throughAverages)(params))) {
      expect(pg.max(pg.abs(gradient)).item()).toBe(0);
    }
  });

  it("evaluation mode normalizes with the running averages and leaves them unchanged", () => {
    const state = { mean: float64([1, 2, 3]), variance: float64([4, 0.25, 1]), count: 5 };
    const x = [
      [0, 0, 0],
      [5, -1, 2],
    ];
    const result = layer.apply(params, state, float64(x), { training: false });
    expect(result.state).toBe(state);
    expectAllClose(
      matrix(result.output),
      batchNormReference(x, [1, 2, 3], [4, 0.25, 1], gamma, beta, epsilon),
    );
  });

  it("rejects momentum outside [0, 1) and non-positive ε", () => {
    expect(() => batchNorm({ size: 2, momentum: 1 })).toThrow(
      "batchNorm: batch-norm momentum must be in [0, 1), got 1",
    );
    expect(() => batchNorm({ size: 2, epsilon: 0 })).toThrow(
      "batch-norm epsilon must be finite and > 0",
    );
  });
});

describe("mlp", () => {
  it("has readable parameter keys, W as [out, in], and BN parameters on hidden layers only", () => {
    const model = mlp({ inputSize: 6, hiddenSizes: [5, 4], outputSize: 3, batchNorm: true });
    const { params, state } = model.init(pg.key(0));
    expect(params.layers.map((layer) => Object.keys(layer))).toEqual([
      ["W", "b", "gamma", "beta"],
      ["W", "b", "gamma", "beta"],
      ["W", "b"],
    ]);
    expect(params.layers.map((layer) => layer.W.shape)).toEqual([
      [5, 6],
      [4, 5],
      [3, 4],
    ]);
    expect(state.layers.map((layer) => layer.mean.shape)).toEqual([[5], [4]]);
    const plain = mlp({
      inputSize: 6,
      hiddenSizes: [5],
      outputSize: 3,
      batchNorm: { scaleAndShift: false },
    }).init(pg.key(0));
    expect(plain.params.layers.map((layer) => Object.keys(layer))).toEqual([
      ["W", "b"],
      ["W", "b"],
    ]);
    expect(mlp({ inputSize: 6, hiddenSizes: [5], outputSize: 3 }).init(pg.key(0)).state).toEqual({
      layers: [],
    });
  });

  it("computes dense → activation → … → dense, like a naive reference", () => {
    for (const activation of ["relu", "tanh", "sigmoid"] as const) {
      const model = mlp({
        inputSize: 4,
        hiddenSizes: [3, 5],
        outputSize: 2,
        activation,
        biasInit: { normal: 1 },
        dtype: "float64",
      });
      const { params, state } = model.init(pg.key(4));
      const x = pg.normal(pg.key(5), [6, 4], { dtype: "float64" });
      const f = {
        relu: (v: number) => Math.max(0, v),
        tanh: Math.tanh,
        sigmoid: (v: number) => 1 / (1 + Math.exp(-v)),
      }[activation];
      let h = matrix(x);
      params.layers.forEach((layer, index) => {
        h = affineReference(h, matrix(layer.W), vector(layer.b));
        if (index < params.layers.length - 1) h = h.map((row) => row.map(f));
      });
      expectAllClose(matrix(model.apply(params, state, x, { training: false }).output), h);
    }
  });

  it("with no hidden layers it is the linear model s = W x + b", () => {
    const model = mlp({
      inputSize: 3,
      hiddenSizes: [],
      outputSize: 2,
      init: { normal: 0.01 },
      dtype: "float64",
    });
    const { params, state } = model.init(pg.key(0));
    const x = pg.normal(pg.key(1), [4, 3], { dtype: "float64" });
    const w = params.layers[0]!;
    expectAllClose(
      matrix(model.apply(params, state, x, { training: true }).output),
      affineReference(matrix(x), matrix(w.W), vector(w.b)),
    );
  });

  it("applies batch norm before the activation in training mode and threads its state", () => {
    const model = mlp({
      inputSize: 3,
      hiddenSizes: [4],
      outputSize: 2,
      batchNorm: { momentum: 0.5 },
      dtype: "float64",
    });
    const { params, state } = model.init(pg.key(0));
    const x = pg.normal(pg.key(1), [8, 3], { dtype: "float64" });
    const result = model.apply(params, state, x, { training: true });
    const s = affineReference(matrix(x), matrix(params.layers[0]!.W), vector(params.layers[0]!.b));
    const { mean, variance } = columnStatistics(s);
    const hidden = batchNormReference(s, mean, variance, [1, 1, 1, 1], [0, 0, 0, 0], 1e-5).map(
      (row) => row.map((v) => Math.max(0, v)),
    );
    expectAllClose(
      matrix(result.output),
      affineReference(hidden, matrix(params.layers[1]!.W), vector(params.layers[1]!.b)),
      10,
    );
    expect(vector(result.state.layers[0]!.mean)).toEqual(mean.map((v) => expect.closeTo(v, 12)));
    expect(model.apply(params, result.state, x, { training: false }).state).toBe(result.state);
  });

  it("takes one initializer per layer", () => {
    const model = mlp({
      inputSize: 3,
      hiddenSizes: [2],
      outputSize: 2,
      init: ["zeros", { normal: 1 }],
    });
    const { params } = model.init(pg.key(0));
    expect(pg.sum(pg.abs(params.layers[0]!.W)).item()).toBe(0);
    expect(pg.sum(pg.abs(params.layers[1]!.W)).item()).toBeGreaterThan(0);
    expect(() => mlp({ inputSize: 3, hiddenSizes: [2], outputSize: 2, init: ["he"] })).toThrow(
      "mlp: init lists 1 initializers for 2 layers",
    );
  });

  it("rejects bad sizes and inputs", () => {
    expect(() => mlp({ inputSize: 3, hiddenSizes: [0], outputSize: 2 })).toThrow(
      "mlp: hiddenSizes[0] must be a positive integer, got 0",
    );
    const model = mlp({ inputSize: 3, hiddenSizes: [2], outputSize: 2 });
    const { params, state } = model.init(pg.key(0));
    expect(() => model.apply(params, state, pg.zeros([2, 4]), { training: true })).toThrow(
      "mlp: inputs must have shape [n, 3], got [2, 4]",
    );
  });
});
