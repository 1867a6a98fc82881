import fc from "fast-check";
import { expect } from "vitest";
import { type DType, fromTypedArray, type Tensor } from "../src/index";

/** A plain reference array: shape plus row-major values as JS numbers. */
export interface Plain {
  readonly shape: number[];
  readonly data: number[];
}

export const plainOf = (x: Tensor): Plain => ({
  shape: [...x.shape],
  data: Array.from(x.toTypedArray()),
});

export const sizeOfShape = (shape: readonly number[]): number =>
  shape.reduce((total, extent) => total * extent, 1);

export function unravel(index: number, shape: readonly number[]): number[] {
  const multi = new Array<number>(shape.length);
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    multi[axis] = index % shape[axis]!;
    index = Math.floor(index / shape[axis]!);
  }
  return multi;
}

export function ravel(multi: readonly number[], shape: readonly number[]): number {
  let index = 0;
  for (let axis = 0; axis < shape.length; axis++) index = index * shape[axis]! + multi[axis]!;
  return index;
}

/** Naive broadcasting: every output element looks up its operands by multi-index. */
export function naiveBroadcast(
  operands: readonly Plain[],
  f: (...values: number[]) => number,
): Plain {
  const rank = Math.max(0, ...operands.map((x) => x.shape.length));
  const shape = new Array<number>(rank).fill(1);
  for (const x of operands) {
    x.shape.forEach((extent, axis) => {
      const at = rank - x.shape.length + axis;
      if (extent !== 1) shape[at] = extent;
    });
  }
  const data = Array.from({ length: sizeOfShape(shape) }, (_, index) => {
    const multi = unravel(index, shape);
    const values = operands.map((x) => {
      const local = x.shape.map((extent, axis) =>
        extent === 1 ? 0 : multi[rank - x.shape.length + axis]!,
      );
      return x.data[ravel(local, x.shape)]!;
    });
    return f(...values);
  });
  return { shape, data };
}

/** Rounds reference values to what storing them in `dtype` gives. */
export function roundTo(dtype: DType, data: readonly number[]): number[] {
  if (dtype === "float32") return Array.from(Float32Array.from(data));
  if (dtype === "int32") return Array.from(Int32Array.from(data));
  return [...data];
}

/** Shapes of rank 0–4 with extents 0–4 (size-0 and size-1 axes are common on purpose). */
export const shapeArb = (maxRank = 4, maxExtent = 4) =>
  fc.array(fc.integer({ min: 0, max: maxExtent }), { maxLength: maxRank });

/** A shape and two shapes that broadcast to it, each a suffix with some axes set to 1. */
export const broadcastShapesArb = (operands: number) =>
  shapeArb().chain((shape) =>
    fc.tuple(
      fc.constant(shape),
      fc.tuple(
        ...Array.from({ length: operands }, () =>
          fc
            .tuple(
              fc.integer({ min: 0, max: shape.length }),
              fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
            )
            .map(([drop, ones]) =>
              shape.slice(drop).map((extent, axis) => (ones[axis + drop] ? 1 : extent)),
            ),
        ),
      ),
    ),
  );

/** Values that are exact in every dtype: small integers and halves, including negatives. */
export const valueArb = (dtype: DType) =>
  dtype === "int32"
    ? fc.integer({ min: -50, max: 50 })
    : fc.double({ min: -8, max: 8, noNaN: true }).map((v) => Math.fround(v) + 0); // no -0

export const dtypeArb = fc.constantFrom<DType>("float32", "float64", "int32");
export const floatDTypeArb = fc.constantFrom<"float32" | "float64">("float32", "float64");

/** A random tensor of the given shape and dtype. */
export const tensorOfShape = (shape: readonly number[], dtype: DType) =>
  fc
    .array(valueArb(dtype), { minLength: sizeOfShape(shape), maxLength: sizeOfShape(shape) })
    .map((values) => fromTyped(values, shape, dtype));

export function fromTyped(
  values: readonly number[],
  shape: readonly number[],
  dtype: DType,
): Tensor {
  const data =
    dtype === "float32"
      ? Float32Array.from(values)
      : dtype === "float64"
        ? Float64Array.from(values)
        : Int32Array.from(values);
  return fromTypedArray(data, shape);
}

/** A tensor of any shape from {@link shapeArb} and the given dtype. */
export const tensorArb = (dtype: DType) => shapeArb().chain((shape) => tensorOfShape(shape, dtype));

/** Elementwise |got − want| ≤ tolerance·(1 + |want|); NaN and infinities must match exactly. */
export function expectClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tolerance: number,
): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (!Number.isFinite(w)) expect(g).toBe(w);
    else if (!(Math.abs(g - w) <= tolerance * (1 + Math.abs(w)))) {
      expect.fail(`element ${i}: got ${g}, want ${w} (tolerance ${tolerance})`);
    }
  }
}
