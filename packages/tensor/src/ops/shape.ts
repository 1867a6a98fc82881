import { checkDType, type DType, requireSameDType } from "../dtype";
import {
  broadcastStrides,
  formatShape,
  normalizeAxes,
  normalizeAxis,
  product,
  type Shape,
  shapesEqual,
  stridesOf,
  validateShape,
} from "../shape";
import { backendOf, checkTensor, makeTensor, storageOf, type Tensor } from "../tensor";
import { cast, fromOwnedArray, tensor } from "./creation";
import { equal } from "./elementwise";

/** Same storage, new shape: safe to share because tensors are immutable. */
function withShape(x: Tensor, shape: Shape): Tensor {
  return makeTensor(x.backend, storageOf(x), shape, x.dtype);
}

/**
 * The same elements (row-major order) in a new shape; one entry may be -1 and is inferred.
 * Shares storage with `x` (no copy).
 * @throws RangeError `reshape: cannot reshape [2,3] into [4]`.
 * @example reshape(arange(6), [2, -1]).shape // [2, 3]
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  checkTensor("reshape", x);
  const inferred = shape.indexOf(-1);
  const valid = shape.every(
    (extent, axis) =>
      (Number.isSafeInteger(extent) && extent >= 0) || (extent === -1 && axis === inferred),
  );
  if (!valid) {
    throw new RangeError(
      `reshape: invalid shape [${shape.join(",")}]: entries must be non-negative integers (one may be -1)`,
    );
  }
  const resolved = [...shape];
  if (inferred !== -1) {
    const knownSize = product(shape.filter((_, axis) => axis !== inferred));
    resolved[inferred] = knownSize === 0 ? -1 : x.size / knownSize;
  }
  if (
    !resolved.every(Number.isInteger) ||
    resolved[inferred] === -1 ||
    product(resolved) !== x.size
  ) {
    throw new RangeError(
      `reshape: cannot reshape ${formatShape(x.shape)} into ${formatShape(shape)}`,
    );
  }
  return withShape(x, Object.freeze(resolved));
}

/**
 * Permutes the axes: result axis i is input axis `perm[i]` (default: reversed axes).
 * @throws RangeError when `perm` is not a permutation of `0..rank-1`.
 * @example transpose(zeros([2, 3, 4]), [2, 0, 1]).shape // [4, 2, 3]
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  checkTensor("transpose", x);
  const order = perm ?? x.shape.map((_, axis) => x.rank - 1 - axis);
  const seen = new Set(order);
  if (
    order.length !== x.rank ||
    seen.size !== x.rank ||
    !order.every((axis) => Number.isInteger(axis) && axis >= 0 && axis < x.rank)
  ) {
    throw new RangeError(
      `transpose: [${order.join(",")}] is not a permutation of the axes of shape ${formatShape(x.shape)}`,
    );
  }
  const strides = stridesOf(x.shape);
  return strided(
    x,
    order.map((axis) => x.shape[axis]!),
    order.map((axis) => strides[axis]!),
    0,
  );
}

function strided(x: Tensor, shape: Shape, strides: readonly number[], offset: number): Tensor {
  const storage = x.backend.copyStrided(storageOf(x), { dtype: x.dtype, shape, strides, offset });
  return makeTensor(x.backend, storage, Object.freeze([...shape]), x.dtype);
}

/**
 * `x` repeated along new leading axes and extent-1 axes to fill `shape` (numpy rules).
 * @throws RangeError `broadcastTo: cannot broadcast [2,3] to [3]`.
 */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  checkTensor("broadcastTo", x);
  const target = validateShape("broadcastTo", shape);
  const offset = target.length - x.rank;
  const compatible =
    offset >= 0 &&
    x.shape.every((extent, axis) => extent === 1 || extent === target[offset + axis]);
  if (!compatible) {
    throw new RangeError(
      `broadcastTo: cannot broadcast ${formatShape(x.shape)} to ${formatShape(target)}`,
    );
  }
  if (shapesEqual(x.shape, target)) return x;
  return strided(x, target, broadcastStrides(x.shape, target), 0);
}

/**
 * Joins tensors along `axis` (default 0). All must share dtype, rank and every other extent.
 * @throws RangeError `concat: shapes [2,3] and [2,4] differ outside axis 0`; TypeError on dtype mismatch.
 */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs as unknown) || xs.length === 0) {
    throw new RangeError("concat: needs a non-empty array of tensors");
  }
  xs.forEach((x, index) => {
    checkTensor("concat", x, `element ${index}`);
  });
  const first = xs[0]!;
  const at = normalizeAxis("concat", axis, first.rank);
  for (const x of xs) {
    requireSameDType("concat", first.dtype, x.dtype);
    const compatible =
      x.rank === first.rank && x.shape.every((extent, i) => i === at || extent === first.shape[i]);
    if (!compatible) {
      throw new RangeError(
        `concat: shapes ${formatShape(first.shape)} and ${formatShape(x.shape)} differ outside axis ${at}`,
      );
    }
  }
  const backend = backendOf("concat", xs);
  const shape = [...first.shape];
  shape[at] = xs.reduce((total, x) => total + x.shape[at]!, 0);
  const outer = product(first.shape.slice(0, at));
  const storage = backend.concat(
    xs.map((x) => storageOf(x)),
    { dtype: first.dtype, outer, inners: xs.map((x) => product(x.shape.slice(at))) },
  );
  return makeTensor(backend, storage, Object.freeze(shape), first.dtype);
}

/**
 * The block `begin[i] ≤ index < end[i]` along each axis. `begin`/`end` may be shorter than the
 * rank (the remaining axes are taken whole); negative entries count from the end of the axis.
 * @throws RangeError when a bound falls outside the axis or `begin > end`.
 * @example slice(tensor([[1, 2, 3], [4, 5, 6]]), [0, 1], [2, 3]).toArray() // [[2, 3], [5, 6]]
 */
export function slice(x: Tensor, begin: readonly number[], end: readonly number[]): Tensor {
  checkTensor("slice", x);
  if (begin.length > x.rank || end.length > x.rank) {
    throw new RangeError(
      `slice: begin [${begin.join(",")}] / end [${end.join(",")}] longer than the rank of ${formatShape(x.shape)}`,
    );
  }
  const strides = stridesOf(x.shape);
  let offset = 0;
  const shape = x.shape.map((extent, axis) => {
    const resolve = (bound: number | undefined, fallback: number) => {
      if (bound === undefined) return fallback;
      const value = bound < 0 ? bound + extent : bound;
      if (!Number.isInteger(bound) || value < 0 || value > extent) {
        throw new RangeError(
          `slice: bound ${bound} is outside axis ${axis} of shape ${formatShape(x.shape)}`,
        );
      }
      return value;
    };
    const from = resolve(begin[axis], 0);
    const to = resolve(end[axis], extent);
    if (from > to) {
      throw new RangeError(
        `slice: begin ${from} exceeds end ${to} on axis ${axis} of shape ${formatShape(x.shape)}`,
      );
    }
    offset += from * strides[axis]!;
    return to - from;
  });
  if (shapesEqual(shape, x.shape)) return x;
  return strided(x, shape, strides, offset);
}

/** Index tensors (int32) from arrays, checking every index lies in `[0, limit)`. */
function indexTensor(op: string, indices: Tensor | readonly number[], limit: number): Tensor {
  const index = Array.isArray(indices) ? tensor(indices as number[], "int32") : (indices as Tensor);
  checkTensor(op, index, "indices");
  if (index.dtype !== "int32")
    throw new TypeError(`${op}: indices must be int32, got ${index.dtype}`);
  for (const value of index.toTypedArray()) {
    if (value < 0 || value >= limit) {
      throw new RangeError(`${op}: index ${value} is out of range [0, ${limit})`);
    }
  }
  return index;
}

/**
 * Gathers slices of `x` along `axis` at `indices` (int32, each in `[0, extent)`): the result
 * has shape `x.shape[:axis] ++ indices.shape ++ x.shape[axis+1:]`.
 * @throws RangeError for an out-of-range index; TypeError for non-int32 indices.
 * @example take(tensor([[1, 2], [3, 4], [5, 6]]), [2, 0]).toArray() // [[5, 6], [1, 2]]
 */
export function take(x: Tensor, indices: Tensor | readonly number[], axis = 0): Tensor {
  checkTensor("take", x);
  const at = normalizeAxis("take", axis, x.rank);
  const index = indexTensor("take", indices, x.shape[at]!);
  const backend = backendOf("take", [x, index]);
  const storage = backend.take(storageOf(x), storageOf(index), {
    dtype: x.dtype,
    outer: product(x.shape.slice(0, at)),
    axisSize: x.shape[at]!,
    inner: product(x.shape.slice(at + 1)),
    indexCount: index.size,
  });
  const shape = [...x.shape.slice(0, at), ...index.shape, ...x.shape.slice(at + 1)];
  return makeTensor(backend, storage, Object.freeze(shape), x.dtype);
}

/**
 * One-hot rows: shape `labels.shape ++ [depth]`, 1 at each label's position, else 0.
 * @throws RangeError for labels outside `[0, depth)`.
 * @example oneHot([2, 0], 3).toArray() // [[0, 0, 1], [1, 0, 0]]
 */
export function oneHot(
  labels: Tensor | readonly number[],
  depth: number,
  dtype: DType = "float32",
): Tensor {
  if (!Number.isSafeInteger(depth) || depth < 0) {
    throw new RangeError(`oneHot: depth ${depth} must be a non-negative integer`);
  }
  checkDType("oneHot", dtype);
  const index = indexTensor("oneHot", labels, depth);
  const positions = new Int32Array(depth).map((_, i) => i);
  const mask = equal(expandDims(index, -1), fromOwnedArray(positions, [depth], "int32"));
  return cast(mask, dtype);
}

/**
 * Inserts an extent-1 axis at `axis` (in `[-rank-1, rank]`). Shares storage with `x`.
 * @example expandDims(zeros([3]), 0).shape // [1, 3]
 */
export function expandDims(x: Tensor, axis: number): Tensor {
  checkTensor("expandDims", x);
  const at = normalizeAxis("expandDims", axis, x.rank + 1);
  return withShape(x, Object.freeze([...x.shape.slice(0, at), 1, ...x.shape.slice(at)]));
}

/**
 * Removes extent-1 axes: the given ones, or all of them by default. Shares storage with `x`.
 * @throws RangeError when a given axis does not have extent 1.
 */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  checkTensor("squeeze", x);
  const axes =
    axis === undefined
      ? x.shape.flatMap((extent, index) => (extent === 1 ? [index] : []))
      : normalizeAxes("squeeze", axis, x.rank);
  for (const at of axes) {
    if (x.shape[at] !== 1) {
      throw new RangeError(
        `squeeze: axis ${at} of shape ${formatShape(x.shape)} has extent ${x.shape[at]}, not 1`,
      );
    }
  }
  const removed = new Set(axes);
  return withShape(x, Object.freeze(x.shape.filter((_, index) => !removed.has(index))));
}
