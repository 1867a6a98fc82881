import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { reduceOps } from "../src/backend";
import {
  argmax,
  type DType,
  fromTypedArray,
  logSumExp,
  max,
  mean,
  min,
  sum,
  sumOfSquares,
  type Tensor,
  tensor,
} from "../src/index";
import {
  dtypeArb,
  expectClose,
  floatDTypeArb,
  type Plain,
  plainOf,
  ravel,
  roundTo,
  shapeArb,
  sizeOfShape,
  tensorOfShape,
  unravel,
} from "./helpers";

/** Naive reduction: group input elements by their kept coordinates, in row-major order. */
function naiveReduce(
  x: Plain,
  axes: readonly number[],
  keepDims: boolean,
  f: (values: number[]) => number,
): Plain {
  const reduced = new Set(axes);
  const keptShape = x.shape.filter((_, axis) => !reduced.has(axis));
  const groups: number[][] = Array.from({ length: sizeOfShape(keptShape) }, () => []);
  x.data.forEach((value, index) => {
    const multi = unravel(index, x.shape).filter((_, axis) => !reduced.has(axis));
    groups[ravel(multi, keptShape)]!.push(value);
  });
  const shape = keepDims
    ? x.shape.map((extent, axis) => (reduced.has(axis) ? 1 : extent))
    : keptShape;
  return { shape, data: groups.map(f) };
}

const references: Record<
  string,
  [
    (x: Tensor, options: { axis?: number[]; keepDims?: boolean }) => Tensor,
    (v: number[]) => number,
    boolean,
  ]
> = {
  sum: [sum, (v) => v.reduce((s, x) => s + x, 0), false],
  sumOfSquares: [sumOfSquares, (v) => v.reduce((s, x) => s + x * x, 0), true],
  mean: [mean, (v) => v.reduce((s, x) => s + x, 0) / v.length, true],
  max: [max, (v) => Math.max(...v), false],
  min: [min, (v) => Math.min(...v), false],
  argmax: [argmax, (v) => v.indexOf(Math.max(...v)), false],
  logSumExp: [
    logSumExp,
    (v) => {
      const m = Math.max(...v);
      return v.length === 0 ? -Infinity : m + Math.log(v.reduce((s, x) => s + Math.exp(x - m), 0));
    },
    true,
  ],
};

/** A tensor plus a random subset of its axes (possibly empty, possibly negative) and keepDims. */
const caseArb = (dtypes: fc.Arbitrary<DType>, nonEmpty: boolean) =>
  fc
    .tuple(
      dtypes,
      shapeArb(4, 4).map((s) => (nonEmpty ? s.map((e) => e || 1) : s)),
    )
    .chain(([dtype, shape]) =>
      fc.tuple(
        tensorOfShape(shape, dtype),
        fc.subarray(shape.map((_, axis) => axis)),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
      ),
    );

describe("reductions match a naive reference", () => {
  it("covers every backend reduction", () => {
    expect(Object.keys(references).sort()).toEqual([...reduceOps].sort());
  });

  for (const [name, [op, reference, floatOnly]] of Object.entries(references)) {
    it(name, () => {
      const needsElements = name === "max" || name === "min" || name === "argmax";
      fc.assert(
        fc.property(
          caseArb(floatOnly ? floatDTypeArb : dtypeArb, needsElements),
          ([x, axes, keepDims, negative, omitAxis]) => {
            const allAxes = omitAxis && axes.length === x.rank;
            const axis = axes.map((a) => (negative ? a - x.rank : a));
            const result = op(x, allAxes ? { keepDims } : { axis, keepDims });
            const expected = naiveReduce(plainOf(x), axes, keepDims, reference);
            expect(result.shape).toEqual(expected.shape);
            expect(result.dtype).toBe(name === "argmax" ? "int32" : x.dtype);
            const want = roundTo(result.dtype, expected.data);
            const got = Array.from(result.toTypedArray());
            // Sums may add in a different order than the reference: equal up to rounding.
            if (result.dtype === "int32" || name === "max" || name === "min") {
              expect(got).toEqual(want);
            } else {
              expectClose(got, want, 1e-6);
            }
          },
        ),
        { numRuns: 80 },
      );
    });
  }
});

describe("reductions: known values and edge cases", () => {
  const x = tensor([
    [1, 9, 9],
    [7, 2, 3],
  ]);

  it("reduces the first and the last axis of a matrix", () => {
    expect(sum(x, { axis: 0 }).toArray()).toEqual([8, 11, 12]);
    expect(sum(x, { axis: -1, keepDims: true }).toArray()).toEqual([[19], [12]]);
    expect(mean(x).item()).toBeCloseTo(31 / 6, 6);
    expect(max(x, { axis: 1 }).toArray()).toEqual([9, 7]);
    expect(min(x, { axis: 0 }).toArray()).toEqual([1, 2, 3]);
  });

  it("argmax picks the first index on ties and flattens over all axes", () => {
    expect(argmax(x, { axis: 1 }).toArray()).toEqual([1, 0]);
    expect(argmax(x).item()).toBe(1);
    expect(argmax(x, { axis: 0, keepDims: true }).toArray()).toEqual([[1, 0, 0]]);
  });

  it("accumulates float32 sums in float64 and rounds once", () => {
    // 1 + 1e-8·10⁶: float32 accumulation would stay at 1 (each 1e-8 is below half an ulp).
    const data = new Float32Array(1_000_001).fill(1e-8);
    data[0] = 1;
    expect(sum(fromTypedArray(data, [data.length])).item()).toBeCloseTo(1.01, 6);
    const columns = fromTypedArray(data.subarray(0, 1_000_000), [500_000, 2]);
    expect(sum(columns, { axis: 0 }).toTypedArray()[1]).toBeCloseTo(0.005, 8);
  });

  it("computes logSumExp stably for large and infinite inputs", () => {
    expect(logSumExp(tensor([1000, 1000], "float64")).item()).toBeCloseTo(1000 + Math.LN2, 10);
    expect(logSumExp(tensor([-1000, -1000], "float64")).item()).toBeCloseTo(-1000 + Math.LN2, 10);
    expect(logSumExp(tensor([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(logSumExp(tensor([Infinity, 0])).item()).toBe(Infinity);
    expect(
      logSumExp(
        tensor(
          [
            [1000, 0],
            [0, 1000],
          ],
          "float64",
        ),
        { axis: 0 },
      ).toArray(),
    ).toEqual([1000, 1000]);
  });

  it("propagates NaN through max, min and argmax", () => {
    const withNaN = tensor([1, Number.NaN, 3]);
    expect(max(withNaN).item()).toBeNaN();
    expect(min(withNaN).item()).toBeNaN();
    expect(argmax(withNaN).item()).toBe(1);
  });

  it("reduces empty axes to the identity where one exists", () => {
    const empty = tensor([[], []]);
    expect(sum(empty, { axis: 1 }).toArray()).toEqual([0, 0]);
    expect(mean(empty, { axis: 1 }).toArray()).toEqual([Number.NaN, Number.NaN]);
    expect(logSumExp(empty, { axis: 1 }).toArray()).toEqual([-Infinity, -Infinity]);
    expect(max(empty, { axis: 0 }).shape).toEqual([0]);
    expect(() => max(empty, { axis: 1 })).toThrow(
      "max: cannot reduce an empty axis of shape [2,0]",
    );
    expect(() => argmax(empty)).toThrow("argmax: cannot reduce an empty axis of shape [2,0]");
  });

  it("sums int32 with wrap-around and keeps the dtype", () => {
    const ints = tensor([2147483647, 1], "int32");
    expect(sum(ints).item()).toBe(-2147483648);
    expect(sum(ints).dtype).toBe("int32");
  });

  it("reduces over no axes as the identity", () => {
    expect(sum(x, { axis: [] }).toArray()).toEqual(x.toArray());
    expect(argmax(x, { axis: [] }).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });
});
