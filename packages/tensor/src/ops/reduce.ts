import type { ReduceOp } from "../backend";
import { requireFloat } from "../dtype";
import { formatShape, normalizeAxes, product, stridesOf } from "../shape";
import { checkTensor, makeTensor, storageOf, type Tensor } from "../tensor";

/** Options of the reductions. */
export interface ReduceOptions {
  /** Axis or axes to reduce (negative counts from the end); all axes when omitted. */
  readonly axis?: number | readonly number[];
  /** Keep reduced axes as extent 1 so the result broadcasts against the input (default false). */
  readonly keepDims?: boolean;
}

const floatOnly: { readonly [Op in ReduceOp]: boolean } = {
  sum: false,
  mean: true,
  max: false,
  min: false,
  argmax: false,
  logSumExp: true,
  sumOfSquares: true,
};

/** Reductions with no identity element cannot reduce an empty axis. */
const needsElements: { readonly [Op in ReduceOp]: boolean } = {
  sum: false,
  mean: false,
  max: true,
  min: true,
  argmax: true,
  logSumExp: false,
  sumOfSquares: false,
};

function reduce(op: ReduceOp, x: Tensor, options: ReduceOptions = {}): Tensor {
  checkTensor(op, x);
  if (floatOnly[op]) requireFloat(op, x.dtype);
  const axes = normalizeAxes(op, options.axis, x.rank);
  const reduced = new Set(axes);
  const kept = x.shape.map((_, axis) => axis).filter((axis) => !reduced.has(axis));
  const outShape = options.keepDims
    ? x.shape.map((extent, axis) => (reduced.has(axis) ? 1 : extent))
    : kept.map((axis) => x.shape[axis]!);
  const reduceSize = product(axes.map((axis) => x.shape[axis]!));
  const outSize = product(outShape);
  if (reduceSize === 0 && outSize > 0 && needsElements[op]) {
    throw new RangeError(`${op}: cannot reduce an empty axis of shape ${formatShape(x.shape)}`);
  }
  const contiguous = axes.every((axis, index) => index === 0 || axis === axes[index - 1]! + 1);
  let source = storageOf(x);
  let outer: number;
  let inner: number;
  if (contiguous) {
    outer = product(x.shape.slice(0, axes[0] ?? x.rank));
    inner = product(x.shape.slice((axes.at(-1) ?? x.rank - 1) + 1));
  } else {
    // Gather the kept axes in front of the reduced ones so each result is one contiguous run.
    const strides = stridesOf(x.shape);
    const order = [...kept, ...axes];
    source = x.backend.copyStrided(source, {
      dtype: x.dtype,
      shape: order.map((axis) => x.shape[axis]!),
      strides: order.map((axis) => strides[axis]!),
      offset: 0,
    });
    outer = outSize;
    inner = 1;
  }
  const storage = x.backend.reduce(op, source, { dtype: x.dtype, outer, reduceSize, inner });
  return makeTensor(x.backend, storage, outShape, op === "argmax" ? "int32" : x.dtype);
}

/**
 * Sum over `axis` (all axes by default). On the CPU backend floats accumulate in float64 and
 * round once (GPU backends accumulate in float32); int32 sums wrap modulo 2³².
 * @throws RangeError for an invalid or repeated axis.
 * @example sum(tensor([[1, 2], [3, 4]]), { axis: 0 }).toArray() // [4, 6]
 */
export function sum(x: Tensor, options?: ReduceOptions): Tensor {
  return reduce("sum", x, options);
}

/** Arithmetic mean over `axis` (NaN over zero elements). Float only. */
export function mean(x: Tensor, options?: ReduceOptions): Tensor {
  return reduce("mean", x, options);
}

/**
 * Maximum over `axis` (NaN if any element is NaN).
 * @throws RangeError when reducing an empty axis.
 */
export function max(x: Tensor, options?: ReduceOptions): Tensor {
  return reduce("max", x, options);
}

/**
 * Minimum over `axis` (NaN if any element is NaN).
 * @throws RangeError when reducing an empty axis.
 */
export function min(x: Tensor, options?: ReduceOptions): Tensor {
  return reduce("min", x, options);
}

/**
 * log Σ exp(x) over `axis`, computed stably (shifted by the maximum); −∞ over zero elements.
 * Float only.
 */
export function logSumExp(x: Tensor, options?: ReduceOptions): Tensor {
  return reduce("logSumExp", x, options);
}

/**
 * Σ x² over `axis` (all axes by default) in one pass, without the squared array: the squared
 * norm behind an L2 penalty (TensorFlow's `l2_loss` is half of it). Float only; accumulated
 * like {@link sum}.
 * @example sumOfSquares(tensor([[1, 2], [3, 4]]), { axis: 1 }).toArray() // [5, 25]
 */
export function sumOfSquares(x: Tensor, options?: ReduceOptions): Tensor {
  return reduce("sumOfSquares", x, options);
}

/**
 * Index (int32) of the largest element over `axis`; the first on ties (or the first NaN).
 * Over several axes the index is into their row-major flattening; over all axes (the default)
 * it is the flat index.
 * @throws RangeError when reducing an empty axis.
 * @example argmax(tensor([[1, 9, 9], [7, 2, 3]]), { axis: 1 }).toArray() // [1, 0]
 */
export function argmax(x: Tensor, options?: ReduceOptions): Tensor {
  return reduce("argmax", x, options);
}
