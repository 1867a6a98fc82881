/**
 * Composite ops: compositions of primitives, so they need no VJP rule of their own.
 *
 * @module
 */
import type { ReduceOptions, Tensor } from "@puregrad/tensor";
import { div, exp, logSumExp, mean, square, sub, sum } from "./primitives.js";

/** Options of {@link softmax} and {@link logSoftmax}. */
export interface SoftmaxOptions {
  /** The axis the probabilities sum to 1 along (negative counts from the end). Default -1. */
  readonly axis?: number;
}

/**
 * `log softmax(x)` along `axis`, computed stably as `x − logSumExp(x)`.
 *
 * @example logSoftmax(tensor([[0, Math.log(3)]])) // [[log 0.25, log 0.75]]
 */
export function logSoftmax(x: Tensor, options: SoftmaxOptions = {}): Tensor {
  return sub(x, logSumExp(x, { axis: options.axis ?? -1, keepDims: true }));
}

/**
 * `eˣ / Σ eˣ` along `axis` (default the last), computed stably as `exp(logSoftmax(x))`:
 * no overflow for large logits.
 *
 * @example softmax(tensor([[0, Math.log(3)]])) // [[0.25, 0.75]]
 */
export function softmax(x: Tensor, options: SoftmaxOptions = {}): Tensor {
  return exp(logSoftmax(x, options));
}

/** Options of {@link variance}. */
export interface VarianceOptions extends ReduceOptions {
  /**
   * Subtracted from the number of entries in the denominator: 0 (default) gives the
   * biased (population) variance batch normalization uses, 1 the unbiased estimate.
   */
  readonly correction?: number;
}

/**
 * Variance over `axis` (default all axes): the mean squared deviation from the mean,
 * `Σ (x − mean x)² / (n − correction)`.
 *
 * @example variance(tensor([1, 2, 3, 4])) // 1.25
 */
export function variance(x: Tensor, options: VarianceOptions = {}): Tensor {
  const { axis, keepDims, correction = 0 } = options;
  const squaredDeviations = square(sub(x, mean(x, { axis, keepDims: true })));
  if (correction === 0) return mean(squaredDeviations, { axis, keepDims });
  const total = sum(squaredDeviations, { axis, keepDims });
  return div(total, x.size / total.size - correction);
}
