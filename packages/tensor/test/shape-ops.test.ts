import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  arange,
  broadcastTo,
  concat,
  expandDims,
  formatShape,
  oneHot,
  reshape,
  slice,
  squeeze,
  take,
  tensor,
  transpose,
  zeros,
} from "../src/index";
import {
  broadcastShapesArb,
  dtypeArb,
  naiveBroadcast,
  plainOf,
  ravel,
  shapeArb,
  sizeOfShape,
  tensorOfShape,
  unravel,
} from "./helpers";

const tensorCase = dtypeArb.chain((dtype) =>
  shapeArb().chain((shape) => tensorOfShape(shape, dtype)),
);

describe("formatShape", () => {
  it("prints shapes as error messages do: no spaces, [] for a scalar", () => {
    expect(formatShape([2, 3])).toBe("[2,3]");
    expect(formatShape([0, 1, 7])).toBe("[0,1,7]");
    expect(formatShape([])).toBe("[]");
  });
});

describe("transpose", () => {
  it("moves element at index i to index perm⁻¹(i) for random permutations", () => {
    fc.assert(
      fc.property(
        tensorCase.chain((x) =>
          fc.tuple(
            fc.constant(x),
            fc.shuffledSubarray(
              x.shape.map((_, a) => a),
              { minLength: x.rank },
            ),
          ),
        ),
        ([x, perm]) => {
          const y = transpose(x, perm);
          expect(y.shape).toEqual(perm.map((axis) => x.shape[axis]));
          const source = plainOf(x);
          const result = Array.from(y.toTypedArray());
          result.forEach((value, index) => {
            const multi = unravel(index, y.shape);
            const from = new Array<number>(x.rank);
            perm.forEach((axis, i) => {
              from[axis] = multi[i]!;
            });
            expect(value).toBe(source.data[ravel(from, x.shape)]);
          });
          expect(
            transpose(
              transpose(x, perm),
              perm.map((_, i) => perm.indexOf(i)),
            ).toArray(),
          ).toEqual(x.toArray());
        },
      ),
      { numRuns: 100 },
    );
  });

  it("reverses axes by default", () => {
    expect(transpose(reshape(arange(6), [2, 3])).toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(transpose(zeros([2, 3, 4])).shape).toEqual([4, 3, 2]);
  });
});

describe("reshape, expandDims, squeeze", () => {
  it("keep row-major order and infer one -1", () => {
    const x = arange(24);
    const y = reshape(x, [2, -1, 4]);
    expect(y.shape).toEqual([2, 3, 4]);
    expect(Array.from(y.toTypedArray())).toEqual(Array.from(x.toTypedArray()));
    expect(reshape(zeros([0, 3]), [3, 0]).shape).toEqual([3, 0]);
    expect(reshape(tensor([5]), []).shape).toEqual([]);
    expect(expandDims(zeros([2, 3]), -1).shape).toEqual([2, 3, 1]);
    expect(expandDims(zeros([2, 3]), 1).shape).toEqual([2, 1, 3]);
    expect(squeeze(zeros([1, 2, 1, 3])).shape).toEqual([2, 3]);
    expect(squeeze(zeros([1, 2, 1, 3]), -2).shape).toEqual([1, 2, 3]);
  });
});

describe("broadcastTo", () => {
  it("matches naive broadcasting", () => {
    fc.assert(
      fc.property(
        dtypeArb.chain((dtype) =>
          broadcastShapesArb(1).chain(([shape, [from]]) =>
            fc.tuple(fc.constant(shape), tensorOfShape(from, dtype)),
          ),
        ),
        ([shape, x]) => {
          const y = broadcastTo(x, shape);
          const expected = naiveBroadcast(
            [plainOf(x), { shape, data: new Array(sizeOfShape(shape)).fill(0) }],
            (v) => v,
          );
          expect(y.shape).toEqual(shape);
          expect(Array.from(y.toTypedArray())).toEqual(expected.data);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("slice", () => {
  it("extracts the block begin ≤ index < end on each axis", () => {
    fc.assert(
      fc.property(
        tensorCase.chain((x) =>
          fc.tuple(
            fc.constant(x),
            fc.tuple(
              ...x.shape.map((extent) =>
                fc
                  .tuple(fc.integer({ min: 0, max: extent }), fc.integer({ min: 0, max: extent }))
                  .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
              ),
            ),
            fc.integer({ min: 0, max: x.rank }),
          ),
        ),
        ([x, bounds, given]) => {
          const begin = bounds.slice(0, given).map(([b]) => b);
          const end = bounds.slice(0, given).map(([, e]) => e);
          const y = slice(x, begin, end);
          const full = x.shape.map((extent, axis) =>
            axis < given ? bounds[axis]! : ([0, extent] as const),
          );
          expect(y.shape).toEqual(full.map(([b, e]) => e - b));
          const source = plainOf(x);
          Array.from(y.toTypedArray()).forEach((value, index) => {
            const multi = unravel(index, y.shape).map((i, axis) => i + full[axis]![0]);
            expect(value).toBe(source.data[ravel(multi, x.shape)]);
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it("counts negative bounds from the end", () => {
    expect(slice(arange(5), [-3], [-1]).toArray()).toEqual([2, 3]);
  });
});

describe("concat", () => {
  it("is undone by slice along any axis", () => {
    fc.assert(
      fc.property(
        dtypeArb.chain((dtype) =>
          shapeArb(4, 3)
            .filter((s) => s.length > 0)
            .chain((shape) =>
              fc
                .tuple(
                  fc.integer({ min: 0, max: shape.length - 1 }),
                  fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
                )
                .chain(([axis, extents]) =>
                  fc.tuple(
                    fc.constant(axis),
                    fc.tuple(
                      ...extents.map((extent) =>
                        tensorOfShape(
                          shape.map((e, a) => (a === axis ? extent : e)),
                          dtype,
                        ),
                      ),
                    ),
                  ),
                ),
            ),
        ),
        ([axis, parts]) => {
          const joined = concat(parts, axis);
          let start = 0;
          for (const part of parts) {
            const begin = part.shape.map((_, a) => (a === axis ? start : 0));
            const end = part.shape.map((e, a) => (a === axis ? start + e : e));
            expect(slice(joined, begin, end).toArray()).toEqual(part.toArray());
            start += part.shape[axis]!;
          }
          expect(joined.shape[axis]).toBe(start);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("joins known values", () => {
    const a = tensor([[1, 2]]);
    const b = tensor([[3, 4]]);
    expect(concat([a, b]).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(concat([a, b], -1).toArray()).toEqual([[1, 2, 3, 4]]);
  });
});

describe("take and oneHot", () => {
  it("take gathers along an axis and keeps the index shape", () => {
    const x = reshape(arange(24), [2, 3, 4]);
    const y = take(
      x,
      tensor(
        [
          [2, 0],
          [1, 1],
        ],
        "int32",
      ),
      1,
    );
    expect(y.shape).toEqual([2, 2, 2, 4]);
    const source = plainOf(x);
    Array.from(y.toTypedArray()).forEach((value, index) => {
      const [i, a, b, k] = unravel(index, y.shape) as [number, number, number, number];
      const j = [
        [2, 0],
        [1, 1],
      ][a]![b]!;
      expect(value).toBe(source.data[ravel([i, j, k], x.shape)]);
    });
    expect(take(tensor([10, 20, 30]), []).shape).toEqual([0]);
  });

  it("oneHot puts a single 1 at each label", () => {
    expect(oneHot(tensor([2, 0, 1], "int32"), 3).toArray()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
      [0, 1, 0],
    ]);
    const hot = oneHot(tensor([[1], [3]], "int32"), 4, "float64");
    expect(hot.shape).toEqual([2, 1, 4]);
    expect(hot.dtype).toBe("float64");
    expect(oneHot([0, 1], 2, "int32").dtype).toBe("int32");
  });
});
