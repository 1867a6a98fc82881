import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BinaryOp, binaryOps, type UnaryOp, unaryOps } from "../src/backend";
import { binaryLineKernel, unaryKernel } from "../src/cpu/elementwise";
import { coalesceAxes, periodOf } from "../src/cpu/strided";
import { allocate, type DType, type TypedArray } from "../src/dtype";
import { add, mul, relu, sub, tensor } from "../src/index";

// The CPU's generated kernels have unrolled paths for contiguous and scalar-broadcast lines and
// a plain strided loop for the rest and for the tail: these tests drive each path, at lengths
// around the unroll width, against scalar references written independently of the kernels.

const unaryReferences: { [Op in UnaryOp]: (x: number, dtype: DType) => number } = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sign: Math.sign,
  square: (x, dtype) => (dtype === "int32" ? Math.imul(x, x) : x * x),
  reciprocal: (x) => 1 / x,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  relu: (x) => Math.max(x, 0),
};

const binaryReferences: { [Op in BinaryOp]: (a: number, b: number, dtype: DType) => number } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b, dtype) => (dtype === "int32" ? Math.imul(a, b) : a * b),
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  maximum: (a, b) => Math.max(a, b),
  minimum: (a, b) => Math.min(a, b),
  equal: (a, b) => Number(a === b),
  notEqual: (a, b) => Number(a !== b),
  greater: (a, b) => Number(a > b),
  greaterEqual: (a, b) => Number(a >= b),
  less: (a, b) => Number(a < b),
  lessEqual: (a, b) => Number(a <= b),
};

const dtypes: readonly DType[] = ["float32", "float64", "int32"];

/** Values of `dtype`, with repeats so that comparisons also see equal operands. */
function valuesArb(dtype: DType, length: number) {
  const element =
    dtype === "int32"
      ? fc.oneof(fc.integer({ min: -5, max: 5 }), fc.integer())
      : fc.oneof(
          fc.constantFrom(0, -0, 1, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY),
          fc.double({ min: -1e3, max: 1e3 }),
        );
  return fc.array(element, { minLength: length, maxLength: length });
}

function arrayOf(dtype: DType, values: readonly number[]): TypedArray {
  const array = allocate(dtype, values.length);
  array.set(values);
  return array;
}

/** The elements of `out` must be exactly those of `expected` (NaN equal to NaN, -0 ≠ +0). */
function expectSameElements(out: TypedArray, expected: TypedArray): void {
  expect(Array.from(out).map((value) => (Object.is(value, -0) ? "-0" : value))).toEqual(
    Array.from(expected).map((value) => (Object.is(value, -0) ? "-0" : value)),
  );
}

describe("generated unary kernels", () => {
  it.each(dtypes)("match the references on %s at every length around the unroll", (dtype) => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 13 }).chain((length) => valuesArb(dtype, length)),
        (values) => {
          const input = arrayOf(dtype, values);
          for (const op of unaryOps) {
            const out = allocate(dtype, input.length);
            unaryKernel(op, dtype)(input, out, input.length);
            const expected = arrayOf(
              dtype,
              Array.from(input, (x) => unaryReferences[op](x, dtype)),
            );
            // Both sides compute in float64 and round once on store, so only sigmoid (a
            // different but equivalent formula below 0) may differ, in the last bits.
            if (op === "sigmoid" && dtype !== "int32") {
              const tolerance = dtype === "float32" ? 1e-7 : 1e-15;
              Array.from(out).forEach((value, i) => {
                if (Number.isNaN(expected[i]!)) expect(value).toBeNaN();
                else expect(Math.abs(value - expected[i]!)).toBeLessThanOrEqual(tolerance);
              });
            } else expectSameElements(out, expected);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("leaves elements past `length` alone", () => {
    const out = Float32Array.of(7, 7, 7, 7, 7, 7);
    unaryKernel("neg", "float32")(Float32Array.of(1, 2, 3, 4, 5, 6), out, 5);
    expect(Array.from(out)).toEqual([-1, -2, -3, -4, -5, 7]);
  });
});

describe("relu", () => {
  it("is max(x, 0) exactly at the edges its branch-free form must not break", () => {
    const edges = [
      -0,
      0,
      -1,
      2,
      Number.NaN,
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      Number.MIN_VALUE,
      -Number.MIN_VALUE,
      2 ** -1073 * 3,
    ];
    for (const dtype of ["float32", "float64"] as const) {
      const values = arrayOf(dtype, edges);
      const out = relu(tensor(values)).toTypedArray();
      expectSameElements(
        out,
        arrayOf(
          dtype,
          Array.from(values, (x) => Math.max(x, 0)),
        ),
      );
    }
    expect(relu(tensor([-2147483648, -1, 0, 2147483647], "int32")).toArray()).toEqual([
      0, 0, 0, 2147483647,
    ]);
  });
});

describe("generated binary line kernels", () => {
  // [aStep, bStep]: contiguous, scalar on either side, both scalars, and strided (a transpose).
  const stepPatterns = [
    [1, 1],
    [1, 0],
    [0, 1],
    [0, 0],
    [3, 1],
    [2, 5],
  ] as const;

  it.each(dtypes)("match the references on %s for every stride pattern", (dtype) => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 13 }),
        fc.constantFrom(...stepPatterns),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        valuesArb(dtype, 80),
        valuesArb(dtype, 80),
        (length, [aStep, bStep], aStart, bStart, outStart, aValues, bValues) => {
          const a = arrayOf(dtype, aValues);
          const b = arrayOf(dtype, bValues);
          for (const op of binaryOps) {
            const out = allocate(dtype, outStart + length + 2);
            out.fill(9);
            const expected = out.slice();
            for (let i = 0; i < length; i++) {
              expected[outStart + i] = binaryReferences[op](
                a[aStart + i * aStep]!,
                b[bStart + i * bStep]!,
                dtype,
              );
            }
            binaryLineKernel(op, dtype)(a, aStart, aStep, b, bStart, bStep, out, outStart, length);
            expectSameElements(out, expected);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("wraps int32 products modulo 2³² on the unrolled and the scalar paths", () => {
    const big = Int32Array.of(65537, 65537, 65537, 65537, 65537);
    const product = (65537 * 65537) | 0;
    expect(mul(tensor(big), tensor(big)).toArray()).toEqual(new Array(5).fill(product));
    expect(mul(tensor(big), 65537).toArray()).toEqual(new Array(5).fill(product));
  });
});

describe("the CPU backend's binary paths through the public ops", () => {
  it("bias add, scalar broadcast and column broadcast agree with a naive loop", () => {
    const rows = 7;
    const columns = 9;
    const matrix = Array.from({ length: rows * columns }, (_, i) => ((i * 37) % 11) - 5);
    const bias = Array.from({ length: columns }, (_, j) => j * 0.5);
    const m = tensor(Float64Array.from(matrix));
    const shaped = (flat: number[]) =>
      Array.from({ length: rows }, (_, r) => flat.slice(r * columns, (r + 1) * columns));
    const reshaped = tensor(shaped(matrix), "float64");
    expect(add(reshaped, tensor(bias, "float64")).toArray()).toEqual(
      shaped(matrix.map((x, i) => x + bias[i % columns]!)),
    );
    expect(sub(3, m).toArray()).toEqual(matrix.map((x) => 3 - x));
    const columnVector = tensor(
      Array.from({ length: rows }, (_, r) => [r]),
      "float64",
    );
    expect(mul(reshaped, columnVector).toArray()).toEqual(
      shaped(matrix.map((x, i) => x * Math.floor(i / columns))),
    );
  });
});

describe("axis coalescing", () => {
  it("merges axes every operand walks contiguously and drops extent-1 axes", () => {
    expect(
      coalesceAxes(
        [2, 1, 3, 4],
        [
          [12, 12, 4, 1],
          [0, 0, 4, 1],
        ],
      ),
    ).toEqual({
      extents: [2, 12],
      steps: [
        [12, 1],
        [0, 1],
      ],
    });
  });
});

describe("operand periods", () => {
  it("finds the period of dense, scalar and row-repeating operands, and nothing else", () => {
    expect(periodOf([100, 50], [50, 1])).toBe(5000); // laid out like the output
    expect(periodOf([100, 50], [0, 0])).toBe(1); // a scalar
    expect(periodOf([100, 50], [0, 1])).toBe(50); // a bias row
    expect(periodOf([4, 5, 6], [0, 6, 1])).toBe(30); // a [5, 6] block repeated
    expect(periodOf([4, 1, 6], [0, 99, 1])).toBe(6); // extent-1 axes never read
    expect(periodOf([], [])).toBe(1);
    expect(periodOf([100, 50], [1, 0])).toBeUndefined(); // a column broadcast
    expect(periodOf([100, 50], [1, 100])).toBeUndefined(); // a transpose
    expect(periodOf([4, 5, 6], [6, 0, 1])).toBeUndefined(); // a middle axis broadcast
  });
});
