/**
 * Every primitive of the registry, enumerated: forward equals the tensor op, and first and
 * second derivatives match centered differences in float64 under the EXPERIMENTS.md rule.
 * `cases` is typed by the registry's keys, so adding a primitive without a case here is a
 * compile error, and the first test fails at run time too.
 */
import * as T from "@puregrad/tensor";
import { describe, expect, it } from "vitest";
import * as pg from "../src/index.js";
import { type Primitive, rules } from "../src/primitives.js";
import { expectAllPass, gradientAlongDirections, random, weighted } from "./helpers.js";

interface Case {
  /** The differentiated inputs (constants such as conditions and indices are closed over). */
  readonly inputs: readonly pg.Tensor[];
  /** The op through the autograd namespace. */
  readonly op: (...inputs: pg.Tensor[]) => pg.Tensor;
  /** The same op straight from `@puregrad/tensor`. */
  readonly reference: (...inputs: pg.Tensor[]) => pg.Tensor;
  /** Gradient-check options when the defaults do not fit (dtype changes). */
  readonly check?: pg.GradientCheckOptions;
}

type Op = (...inputs: pg.Tensor[]) => pg.Tensor;

function same(op: Op, reference: Op, inputs: readonly pg.Tensor[]): Case {
  return { inputs, op, reference };
}

const positive = { positive: true };
const condition = T.greater(random([3, 1], 50), 0);
const condition2d = T.greater(random([2, 3], 51), 0);

const cases: { readonly [P in Primitive]: Readonly<Record<string, Case>> } = {
  add: {
    broadcast: same(pg.add, T.add, [random([2, 3], 1), random([3], 2)]),
    "number operand": same(
      (x) => pg.add(x, 2),
      (x) => T.add(x, 2),
      [random([3], 1)],
    ),
  },
  sub: {
    broadcast: same(pg.sub, T.sub, [random([2, 1], 1), random([2, 3], 2)]),
    "number first": same(
      (x) => pg.sub(3, x),
      (x) => T.sub(3, x),
      [random([3], 1)],
    ),
  },
  mul: {
    broadcast: same(pg.mul, T.mul, [random([4, 1, 3], 1), random([2, 3], 2)]),
    "same tensor twice": same(
      (x) => pg.mul(x, x),
      (x) => T.mul(x, x),
      [random([3], 1)],
    ),
  },
  div: {
    broadcast: same(pg.div, T.div, [random([2, 3], 1), random([3], 2, positive)]),
    "number numerator": same(
      (x) => pg.div(1, x),
      (x) => T.div(1, x),
      [random([3], 2, positive)],
    ),
  },
  pow: {
    "both tensors": same(pg.pow, T.pow, [random([2, 3], 1, positive), random([3], 2)]),
    "number exponent": same(
      (x) => pg.pow(x, 3),
      (x) => T.pow(x, 3),
      [random([4], 1)],
    ),
    "number base": same(
      (x) => pg.pow(2, x),
      (x) => T.pow(2, x),
      [random([4], 1)],
    ),
  },
  maximum: {
    broadcast: same(pg.maximum, T.maximum, [random([2, 3], 1), random([3], 2)]),
    "number operand": same(
      (x) => pg.maximum(x, 0.1),
      (x) => T.maximum(x, 0.1),
      [random([5], 3)],
    ),
  },
  minimum: {
    broadcast: same(pg.minimum, T.minimum, [random([2, 3], 1), random([2, 1], 2)]),
  },
  neg: { plain: same(pg.neg, T.neg, [random([2, 3], 1)]) },
  exp: { plain: same(pg.exp, T.exp, [random([2, 3], 1)]) },
  log: { plain: same(pg.log, T.log, [random([2, 3], 1, positive)]) },
  sqrt: { plain: same(pg.sqrt, T.sqrt, [random([2, 3], 1, positive)]) },
  abs: { plain: same(pg.abs, T.abs, [random([2, 3], 1)]) },
  sign: { plain: same(pg.sign, T.sign, [random([2, 3], 1)]) },
  square: { plain: same(pg.square, T.square, [random([2, 3], 1)]) },
  reciprocal: { plain: same(pg.reciprocal, T.reciprocal, [random([2, 3], 1, positive)]) },
  tanh: { plain: same(pg.tanh, T.tanh, [random([2, 3], 1)]) },
  sigmoid: { plain: same(pg.sigmoid, T.sigmoid, [random([2, 3], 1)]) },
  relu: { plain: same(pg.relu, T.relu, [random([2, 3], 1)]) },
  axpby: {
    plain: same(
      (x, y) => pg.axpby(0.7, x, -2, y),
      (x, y) => T.axpby(0.7, x, -2, y),
      [random([2, 3], 1), random([2, 3], 2)],
    ),
  },
  where: {
    broadcast: same(
      (a, b) => pg.where(condition, a, b),
      (a, b) => T.where(condition, a, b),
      [random([3, 4], 1), random([4], 2)],
    ),
    "number branch": same(
      (a) => pg.where(condition2d, a, 0),
      (a) => T.where(condition2d, a, 0),
      [random([2, 3], 1)],
    ),
  },
  sum: {
    all: same(
      (x) => pg.sum(x),
      (x) => T.sum(x),
      [random([2, 3], 1)],
    ),
    "axes kept": same(
      (x) => pg.sum(x, { axis: [0, 2], keepDims: true }),
      (x) => T.sum(x, { axis: [0, 2], keepDims: true }),
      [random([2, 3, 4], 1)],
    ),
  },
  mean: {
    "negative axis": same(
      (x) => pg.mean(x, { axis: -1 }),
      (x) => T.mean(x, { axis: -1 }),
      [random([2, 3], 1)],
    ),
    all: same(
      (x) => pg.mean(x),
      (x) => T.mean(x),
      [random([4], 1)],
    ),
  },
  max: {
    axis: same(
      (x) => pg.max(x, { axis: 1 }),
      (x) => T.max(x, { axis: 1 }),
      [random([3, 4], 1)],
    ),
    all: same(
      (x) => pg.max(x),
      (x) => T.max(x),
      [random([2, 3], 1)],
    ),
  },
  min: {
    "axis kept": same(
      (x) => pg.min(x, { axis: 0, keepDims: true }),
      (x) => T.min(x, { axis: 0, keepDims: true }),
      [random([3, 4], 1)],
    ),
  },
  logSumExp: {
    axis: same(
      (x) => pg.logSumExp(x, { axis: 1 }),
      (x) => T.logSumExp(x, { axis: 1 }),
      [random([3, 4], 1)],
    ),
    all: same(
      (x) => pg.logSumExp(x),
      (x) => T.logSumExp(x),
      [random([2, 3], 1)],
    ),
  },
  sumOfSquares: {
    axis: same(
      (x) => pg.sumOfSquares(x, { axis: 0 }),
      (x) => T.sumOfSquares(x, { axis: 0 }),
      [random([3, 4], 1)],
    ),
    all: same(
      (x) => pg.sumOfSquares(x),
      (x) => T.sumOfSquares(x),
      [random([2, 3], 1)],
    ),
  },
  reshape: {
    inferred: same(
      (x) => pg.reshape(x, [3, -1]),
      (x) => T.reshape(x, [3, -1]),
      [random([2, 3, 2], 1)],
    ),
  },
  transpose: {
    permutation: same(
      (x) => pg.transpose(x, [2, 0, 1]),
      (x) => T.transpose(x, [2, 0, 1]),
      [random([2, 3, 4], 1)],
    ),
    reversed: same(
      (x) => pg.transpose(x),
      (x) => T.transpose(x),
      [random([2, 3, 4], 1)],
    ),
  },
  broadcastTo: {
    "new and unit axes": same(
      (x) => pg.broadcastTo(x, [2, 3, 4]),
      (x) => T.broadcastTo(x, [2, 3, 4]),
      [random([3, 1], 1)],
    ),
    "same shape": same(
      (x) => pg.broadcastTo(x, [3]),
      (x) => T.broadcastTo(x, [3]),
      [random([3], 1)],
    ),
  },
  concat: {
    "axis 1": same(
      (a, b, c) => pg.concat([a, b, c], 1),
      (a, b, c) => T.concat([a, b, c], 1),
      [random([2, 1], 1), random([2, 3], 2), random([2, 2], 3)],
    ),
    "one tensor reused": same(
      (a) => pg.concat([a, a]),
      (a) => T.concat([a, a]),
      [random([2, 2], 1)],
    ),
  },
  slice: {
    "negative bounds": same(
      (x) => pg.slice(x, [1, -3], [3, 5]),
      (x) => T.slice(x, [1, -3], [3, 5]),
      [random([4, 5], 1)],
    ),
    "leading axis only": same(
      (x) => pg.slice(x, [1], [2]),
      (x) => T.slice(x, [1], [2]),
      [random([3, 2, 2], 1)],
    ),
    whole: same(
      (x) => pg.slice(x, [0], [2]),
      (x) => T.slice(x, [0], [2]),
      [random([2, 2], 1)],
    ),
  },
  take: {
    "repeated rows": same(
      (x) => pg.take(x, [2, 0, 2]),
      (x) => T.take(x, [2, 0, 2]),
      [random([4, 3], 1)],
    ),
    "2-D indices on a middle axis": same(
      (x) =>
        pg.take(
          x,
          T.tensor(
            [
              [1, 1],
              [0, 2],
            ],
            "int32",
          ),
          1,
        ),
      (x) =>
        T.take(
          x,
          T.tensor(
            [
              [1, 1],
              [0, 2],
            ],
            "int32",
          ),
          1,
        ),
      [random([2, 3, 2], 1)],
    ),
  },
  expandDims: {
    last: same(
      (x) => pg.expandDims(x, -1),
      (x) => T.expandDims(x, -1),
      [random([2, 3], 1)],
    ),
  },
  squeeze: {
    axis: same(
      (x) => pg.squeeze(x, 1),
      (x) => T.squeeze(x, 1),
      [random([3, 1, 2], 1)],
    ),
    all: same(
      (x) => pg.squeeze(x),
      (x) => T.squeeze(x),
      [random([1, 3, 1], 1)],
    ),
  },
  matmul: {
    plain: same(
      (a, b) => pg.matmul(a, b),
      (a, b) => T.matmul(a, b),
      [random([2, 3], 1), random([3, 4], 2)],
    ),
    "transpose a": same(
      (a, b) => pg.matmul(a, b, { transposeA: true }),
      (a, b) => T.matmul(a, b, { transposeA: true }),
      [random([3, 2], 1), random([3, 4], 2)],
    ),
    "transpose b": same(
      (a, b) => pg.matmul(a, b, { transposeB: true }),
      (a, b) => T.matmul(a, b, { transposeB: true }),
      [random([2, 3], 1), random([4, 3], 2)],
    ),
    "transpose both": same(
      (a, b) => pg.matmul(a, b, { transposeA: true, transposeB: true }),
      (a, b) => T.matmul(a, b, { transposeA: true, transposeB: true }),
      [random([3, 2], 1), random([4, 3], 2)],
    ),
    "same operand": same(
      (a) => pg.matmul(a, a),
      (a) => T.matmul(a, a),
      [random([3, 3], 1)],
    ),
  },
  cast: {
    "float32 to float64": {
      ...same(
        (x) => pg.mul(pg.cast(x, "float64"), 3),
        (x) => T.mul(T.cast(x, "float64"), 3),
        [random([2, 3], 1, { dtype: "float32" })],
      ),
    },
    "float64 to float32": {
      ...same(
        (x) => pg.cast(x, "float32"),
        (x) => T.cast(x, "float32"),
        [random([2, 3], 1)],
      ),
      // The float32 result rounds f to ~7 digits: a large step keeps that noise small.
      check: {
        h: 0.25,
        tolerance: { normRelative: 1e-5, entryRelative: 1e-5, entryAbsolute: 1e-6 },
      },
    },
  },
};

describe("the primitive registry", () => {
  it("has a test case for every primitive, and no case without a primitive", () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(rules).sort());
    for (const primitiveCases of Object.values(cases)) {
      expect(Object.keys(primitiveCases).length).toBeGreaterThan(0);
    }
  });
});

for (const [primitive, primitiveCases] of Object.entries(cases)) {
  describe(primitive, () => {
    for (const [name, testCase] of Object.entries(primitiveCases as Record<string, Case>)) {
      const { inputs, op, reference, check } = testCase;

      it(`${name}: outside a trace it is the tensor op`, () => {
        const output = op(...inputs);
        const expected = reference(...inputs);
        expect(output.dtype).toBe(expected.dtype);
        expect(output.shape).toEqual(expected.shape);
        expect(output.toArray()).toEqual(expected.toArray());
      });

      it(`${name}: gradient matches centered differences`, () => {
        expectAllPass(pg.checkGradients(weighted(op), [...inputs], check));
      });

      it(`${name}: second derivatives (grad of grad) match centered differences`, () => {
        expectAllPass(pg.checkGradients(gradientAlongDirections(weighted(op)), [...inputs], check));
      });
    }
  });
}
