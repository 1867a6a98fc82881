import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as T from "../src/index";
import {
  abs,
  add,
  div,
  equal,
  exp,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  maximum,
  minimum,
  mul,
  neg,
  notEqual,
  pow,
  reciprocal,
  relu,
  sigmoid,
  sign,
  sqrt,
  square,
  sub,
  type Tensor,
  tanh,
} from "../src/index";
import { broadcastShapesArb, floatDTypeArb, tensorOfShape } from "./helpers";

/** Every op, applied to inputs of compatible shapes (float, so float-only ops apply too). */
const unary = { neg, exp, log, sqrt, abs, sign, square, reciprocal, tanh, sigmoid, relu };
const binary = {
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  equal,
  notEqual,
  greater,
  greaterEqual,
  less,
  lessEqual,
};
const ops: Record<string, (a: Tensor, b: Tensor) => Tensor> = {
  ...unary,
  ...binary,
  where: (a, b) => T.where(T.greater(a, 0), a, b),
  axpby: (a) => T.axpby(2, a, -1, a),
  sum: (a) => T.sum(a, { axis: 0 }),
  mean: (a) => T.mean(a),
  sumOfSquares: (a) => T.sumOfSquares(a),
  max: (a) => (a.size > 0 ? T.max(a) : a),
  logSumExp: (a) => T.logSumExp(a, { keepDims: true }),
  argmax: (a) => (a.size > 0 ? T.argmax(a) : a),
  transpose: (a) => T.transpose(a),
  broadcastTo: (a, b) => T.broadcastTo(a, T.broadcastShapes(a.shape, b.shape)),
  concat: (a) => T.concat([a, a], 0),
  slice: (a) => T.slice(a, [], []),
  take: (a) => (a.rank > 0 && a.shape[0]! > 0 ? T.take(a, [0, 0]) : a),
  cast: (a) => T.cast(a, "int32"),
  matmul: (a) => {
    const m = T.reshape(a, [a.size, 1]);
    return T.matmul(m, m, { transposeB: true });
  },
  reshapeThenOp: (a) => T.add(T.reshape(a, [-1]), 1),
  expandDimsThenOp: (a) => T.mul(T.expandDims(a, 0), 2),
};

describe("no op writes into its inputs", () => {
  for (const [name, op] of Object.entries(ops)) {
    it(name, () => {
      fc.assert(
        fc.property(
          floatDTypeArb.chain((dtype) =>
            broadcastShapesArb(2).chain(([, [sa, sb]]) =>
              fc.tuple(tensorOfShape(sa.length > 0 ? sa : [1], dtype), tensorOfShape(sb, dtype)),
            ),
          ),
          ([a, b]) => {
            const before = [a.toTypedArray(), b.toTypedArray()];
            const shapes = [[...a.shape], [...b.shape]];
            op(a, b);
            expect([a.toTypedArray(), b.toTypedArray()]).toEqual(before);
            expect([[...a.shape], [...b.shape]]).toEqual(shapes);
          },
        ),
        { numRuns: 25 },
      );
    });
  }
});
