import { shapesEqual } from "./shape";
import { checkTensor, type Tensor } from "./tensor";

/** Tolerances of {@link allClose}. */
export interface AllCloseOptions {
  /** Relative tolerance (default 1e-5). */
  readonly rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  readonly atol?: number;
}

/**
 * Whether `a` and `b` have the same shape and every pair satisfies |a − b| ≤ atol + rtol·|b|
 * (numpy's rule; NaN is never close, equal infinities are). Dtypes may differ, so a float32
 * result can be checked against a float64 reference.
 * @example allClose(tensor([1, 2]), tensor([1, 2.000001])) // true
 */
export function allClose(a: Tensor, b: Tensor, options: AllCloseOptions = {}): boolean {
  checkTensor("allClose", a, "a");
  checkTensor("allClose", b, "b");
  const { rtol = 1e-5, atol = 1e-8 } = options;
  if (!shapesEqual(a.shape, b.shape)) return false;
  const left = a.toTypedArray();
  const right = b.toTypedArray();
  for (let i = 0; i < left.length; i++) {
    const x = left[i]!;
    const y = right[i]!;
    if (x === y) continue;
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) return false;
  }
  return true;
}
