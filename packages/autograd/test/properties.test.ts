/**
 * Property: for random compositions of primitives on random shapes, autograd agrees with
 * centered differences in float64 under the EXPERIMENTS.md pass rule, for first and for
 * second derivatives. The seed is fixed so a run is reproducible; fast-check prints the
 * shrunk counterexample (shapes, steps, seed) when one fails.
 */
import * as T from "@puregrad/tensor";
import fc from "fast-check";
import { describe, it } from "vitest";
import * as pg from "../src/index.js";
import { expectAllPass, gradientAlongDirections, random, weighted } from "./helpers.js";

type Tensor = pg.Tensor;

/** The parameters of one random program: x is [m, n], b broadcasts against it, c is [n, k]. */
interface Program {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly bShape: readonly number[];
  readonly steps: readonly number[];
  readonly seed: number;
}

/**
 * Steps that map the running value x ([m, n]) to a new [m, n] value, each exercising
 * primitives from one family. Domains are kept smooth (log of 1 + x², exp of tanh) and
 * growth at most linear (x·tanh x rather than x²), so the finite differences stay accurate
 * to the 1e-6 the pass rule asks for: repeated squaring makes f large enough that their
 * truncation and rounding errors exceed it. The program adds each step to its input (a residual
 * connection): chains of functions flat at 0 (x², log(1 + x²)) would otherwise shrink the
 * gradient below the ~1e-11 noise floor of centered differences, where no float64 check
 * can judge it.
 */
const steps: readonly ((x: Tensor, b: Tensor, c: Tensor, program: Program) => Tensor)[] = [
  // elementwise unary
  (x) => pg.neg(pg.exp(pg.tanh(x))),
  (x) => pg.log(pg.add(pg.square(x), 1)),
  (x) => pg.sqrt(pg.add(pg.square(x), 1)),
  (x) => pg.add(pg.abs(x), pg.mul(pg.sign(x), x)),
  (x) => pg.reciprocal(pg.add(pg.square(x), 1)),
  (x) => pg.sub(pg.sigmoid(x), pg.relu(x)),
  // elementwise binary with broadcasting
  (x, b) => pg.add(pg.mul(x, b), pg.sub(b, x)),
  (x, b) => pg.div(x, pg.add(pg.square(b), 1)),
  (x, b) => pg.pow(pg.add(pg.square(x), 1), pg.mul(pg.tanh(b), 0.5)),
  (x, b) => pg.add(pg.maximum(x, b), pg.minimum(x, pg.mul(b, 0.5))),
  (x, b) => pg.where(T.greater(b, 0), x, pg.mul(b, x)),
  // reductions, kept and broadcast back
  (x) => pg.add(x, pg.sum(x, { axis: 1, keepDims: true })),
  (x) => pg.sub(x, pg.mean(x, { axis: 0, keepDims: true })),
  (x) => pg.mul(x, pg.tanh(pg.max(x, { keepDims: true }))),
  (x) => pg.add(x, pg.min(x, { axis: -1, keepDims: true })),
  (x) => pg.sub(x, pg.logSumExp(x, { axis: -1, keepDims: true })),
  // shape ops
  (x) => pg.transpose(pg.tanh(pg.transpose(x))),
  (x, _b, _c, { m, n }) =>
    pg.reshape(pg.mul(pg.reshape(x, [m * n]), pg.tanh(pg.reshape(x, [-1]))), [m, n]),
  (x, _b, _c, { m, n }) => pg.mean(pg.broadcastTo(pg.expandDims(x, 0), [2, m, n]), { axis: 0 }),
  (x) => pg.squeeze(pg.tanh(pg.expandDims(x, 1)), 1),
  (x, _b, _c, { m, n }) => pg.slice(pg.concat([x, pg.tanh(x)], 1), [0, 1], [m, n + 1]),
  (x, _b, _c, { m, seed }) =>
    pg.take(
      x,
      Array.from({ length: m }, (_, i) => (seed + 7 * i) % m),
      0,
    ),
  // matrix products, every transpose variant
  (x, _b, c) => pg.matmul(x, pg.matmul(c, c, { transposeB: true })),
  (x, _b, c) =>
    pg.matmul(pg.matmul(c, x, { transposeA: true, transposeB: true }), c, {
      transposeA: true,
      transposeB: true,
    }),
];

const programs: fc.Arbitrary<Program> = fc
  .record({
    m: fc.integer({ min: 1, max: 3 }),
    n: fc.integer({ min: 1, max: 3 }),
    k: fc.integer({ min: 1, max: 3 }),
    broadcast: fc.constantFrom("full", "row", "unitRow", "column", "scalar"),
    steps: fc.array(fc.nat(steps.length - 1), { minLength: 1, maxLength: 4 }),
    seed: fc.nat(10_000),
  })
  .map(({ broadcast, ...rest }) => {
    const { m, n } = rest;
    const bShape = { full: [m, n], row: [n], unitRow: [1, n], column: [m, 1], scalar: [] }[
      broadcast
    ];
    return { ...rest, bShape };
  });

function build(program: Program): { f: (params: Tensor[]) => Tensor; params: Tensor[] } {
  const { m, n, k, bShape, seed } = program;
  const params = [random([m, n], seed), random(bShape, seed + 1), random([n, k], seed + 2)];
  const f = weighted(
    (x, b, c) => program.steps.reduce((value, step) => steps[step]!(value, b!, c!, program), x!),
    seed + 3,
  );
  return { f, params };
}

describe("random compositions of primitives", () => {
  it("first derivatives match centered differences", () => {
    fc.assert(
      fc.property(programs, (program) => {
        const { f, params } = build(program);
        expectAllPass(pg.checkGradients(f, params));
      }),
      { seed: 20_240_611, numRuns: 150 },
    );
  });

  it("second derivatives (grad of grad) match centered differences", () => {
    fc.assert(
      fc.property(programs, (program) => {
        const { f, params } = build(program);
        expectAllPass(pg.checkGradients(gradientAlongDirections(f), params));
      }),
      { seed: 20_240_612, numRuns: 80 },
    );
  });
});
