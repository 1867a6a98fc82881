import * as pg from "@puregrad/autograd";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  accuracy,
  addL2Gradient,
  cost,
  l2Penalty,
  multiclassHinge,
  resolveLoss,
  softmaxCrossEntropy,
} from "../src/index.js";

const labelsOf = (values: number[]) => pg.tensor(values, "int32");

function crossEntropyReference(logits: number[][], labels: number[]): number {
  return (
    logits.reduce((sum, row, i) => {
      const max = Math.max(...row);
      const logSumExp = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      return sum + logSumExp - row[labels[i]!]!;
    }, 0) / logits.length
  );
}

function hingeReference(logits: number[][], labels: number[]): number {
  return (
    logits.reduce((sum, row, i) => {
      const target = row[labels[i]!]!;
      return (
        sum + row.reduce((s, v, j) => (j === labels[i] ? s : s + Math.max(0, v - target + 1)), 0)
      );
    }, 0) / logits.length
  );
}

/** Random logits [n, K] with labels in 0..K−1. */
const problem = fc
  .record({ n: fc.integer({ min: 1, max: 6 }), classes: fc.integer({ min: 2, max: 5 }) })
  .chain(({ n, classes }) =>
    fc.record({
      logits: fc.array(
        fc.array(fc.double({ min: -20, max: 20, noNaN: true }), {
          minLength: classes,
          maxLength: classes,
        }),
        {
          minLength: n,
          maxLength: n,
        },
      ),
      labels: fc.array(fc.nat(classes - 1), { minLength: n, maxLength: n }),
    }),
  );

describe("losses", () => {
  it("softmax cross-entropy matches −log softmax(s)_y", () => {
    fc.assert(
      fc.property(problem, ({ logits, labels }) => {
        const value = softmaxCrossEntropy(pg.tensor(logits, "float64"), labelsOf(labels)).item();
        expect(value).toBeCloseTo(crossEntropyReference(logits, labels), 10);
      }),
    );
  });

  it("softmax cross-entropy is exact for huge logits (no overflow)", () => {
    const logits = pg.tensor(
      [
        [1000, 0, -1000],
        [0, 1e4, 1e4],
      ],
      "float64",
    );
    const value = softmaxCrossEntropy(logits, labelsOf([1, 2])).item();
    expect(value).toBeCloseTo((1000 + Math.LN2) / 2, 10); // row 1: 1000 − 0; row 2: log 2
    const float32 = softmaxCrossEntropy(pg.tensor([[500, -500]]), labelsOf([0])).item();
    expect(float32).toBe(0);
  });

  it("uniform logits give ln K", () => {
    expect(
      softmaxCrossEntropy(pg.zeros([3, 10], "float64"), labelsOf([0, 4, 9])).item(),
    ).toBeCloseTo(Math.log(10), 14);
  });

  it("multi-class hinge matches Σ_{j≠y} max(0, s_j − s_y + 1), averaged", () => {
    fc.assert(
      fc.property(problem, ({ logits, labels }) => {
        const value = multiclassHinge(pg.tensor(logits, "float64"), labelsOf(labels)).item();
        expect(value).toBeCloseTo(hingeReference(logits, labels), 10);
      }),
    );
    // Margins: row 1 has 0 and 2.5 (j = 1 excluded); row 2 has all margins satisfied.
    const known = multiclassHinge(
      pg.tensor(
        [
          [1, 2, 3.5],
          [5, 0, 0],
        ],
        "float64",
      ),
      labelsOf([1, 0]),
    ).item();
    expect(known).toBe(1.25);
  });

  it("names resolve to the built-in losses and functions pass through", () => {
    expect(resolveLoss("crossEntropy")).toBe(softmaxCrossEntropy);
    expect(resolveLoss("svm")).toBe(multiclassHinge);
    const custom = (logits: pg.Tensor) => pg.mean(logits);
    expect(resolveLoss(custom)).toBe(custom);
    expect(() => resolveLoss("mse" as never)).toThrow('resolveLoss: unknown loss "mse"');
  });

  it("rejects float labels and mismatched batch sizes", () => {
    const logits = pg.zeros([2, 3]);
    expect(() => softmaxCrossEntropy(logits, pg.tensor([0, 1]))).toThrow(
      "softmaxCrossEntropy: labels must be int32, got float32",
    );
    expect(() => multiclassHinge(logits, labelsOf([0, 1, 2]))).toThrow(
      "multiclassHinge: labels must have shape [2] to match logits [2, 3], got [3]",
    );
    expect(() => softmaxCrossEntropy(pg.zeros([6]), labelsOf([0]))).toThrow(
      "logits must have shape [n, classes], got [6]",
    );
  });
});

describe("L2 penalty, cost and accuracy", () => {
  const params = {
    layers: [
      {
        W: pg.tensor(
          [
            [1, 2],
            [3, 0],
          ],
          "float64",
        ),
        b: pg.tensor([10, 10], "float64"),
        gamma: pg.tensor([5, 5], "float64"),
        beta: pg.tensor([7, 7], "float64"),
      },
      { W: pg.tensor([[-1, 1]], "float64"), b: pg.tensor([100], "float64") },
    ],
  };

  it("sums squared weight matrices only (biases, γ, β excluded)", () => {
    expect(l2Penalty(params).item()).toBe(1 + 4 + 9 + 0 + 1 + 1);
    expect(l2Penalty({ b: pg.tensor([3]) }).item()).toBe(0);
  });

  it("cost = loss + λ·L2, and just the loss when λ = 0", () => {
    const loss = pg.scalar(0.5, "float64");
    expect(cost(loss, params, 0.1).item()).toBeCloseTo(0.5 + 0.1 * 16, 14);
    expect(cost(loss, params, 0)).toBe(loss);
    expect(() => cost(loss, params, -1)).toThrow(
      "cost: l2Regularization (λ) must be finite and >= 0, got -1",
    );
  });

  it("addL2Gradient adds 2λW to weight matrices only: the gradient of the cost, bit for bit", () => {
    const key = pg.key(3);
    const float32 = {
      W: pg.normal(key, [30, 70]),
      b: pg.normal(pg.foldIn(key, 1), [30]),
      V: pg.normal(pg.foldIn(key, 2), [5, 30]),
    };
    const x = pg.normal(pg.foldIn(key, 3), [4, 70]);
    const dataLoss = (p: typeof float32) =>
      pg.sum(
        pg.square(
          pg.matmul(pg.relu(pg.add(pg.matmul(x, p.W, { transposeB: true }), p.b)), p.V, {
            transposeB: true,
          }),
        ),
      );
    const λ = 0.037;
    const expected = pg.grad((p: typeof float32) => cost(dataLoss(p), p, λ))(float32);
    const actual = addL2Gradient(pg.grad(dataLoss)(float32), float32, λ);
    for (const name of ["W", "b", "V"] as const) {
      expect(actual[name].toTypedArray(), name).toEqual(expected[name].toTypedArray());
    }
    const lossGradient = pg.grad(dataLoss)(float32);
    expect(addL2Gradient(lossGradient, float32, 0)).toBe(lossGradient);
    expect(() => addL2Gradient(lossGradient, float32, Number.NaN)).toThrow(
      "addL2Gradient: l2Regularization (λ) must be finite and >= 0, got NaN",
    );
  });

  it("accuracy is the fraction of rows whose argmax is the label (first index on ties)", () => {
    const logits = pg.tensor([
      [0.1, 0.9],
      [2, 1],
      [3, 3],
      [0, 1],
    ]);
    expect(accuracy(logits, labelsOf([1, 0, 0, 0]))).toBe(0.75);
    expect(accuracy(logits, labelsOf([0, 1, 1, 0]))).toBe(0);
  });
});
