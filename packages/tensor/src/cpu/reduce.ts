import type { ReduceOp } from "../backend";
import type { TypedArray } from "../dtype";

/** Sum of `x[start + r·step]` for r < count, in float64 with four partial sums. */
function sumLine(x: TypedArray, start: number, count: number, step: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let r = 0;
  for (; r + 4 <= count; r += 4, start += 4 * step) {
    s0 += x[start];
    s1 += x[start + step];
    s2 += x[start + 2 * step];
    s3 += x[start + 3 * step];
  }
  for (; r < count; r++, start += step) s0 += x[start];
  return s0 + s1 + (s2 + s3);
}

/** Sum of squares of `x[start + r·step]` for r < count, in float64 with four partial sums. */
function sumOfSquaresLine(x: TypedArray, start: number, count: number, step: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let r = 0;
  for (; r + 4 <= count; r += 4, start += 4 * step) {
    const x0 = x[start];
    const x1 = x[start + step];
    const x2 = x[start + 2 * step];
    const x3 = x[start + 3 * step];
    s0 += x0 * x0;
    s1 += x1 * x1;
    s2 += x2 * x2;
    s3 += x3 * x3;
  }
  for (; r < count; r++, start += step) s0 += x[start] * x[start];
  return s0 + s1 + (s2 + s3);
}

/** Largest element; NaN if any element is NaN, as in numpy. */
function maxLine(x: TypedArray, start: number, count: number, step: number): number {
  let best = x[start];
  for (let r = 1, i = start + step; r < count; r++, i += step) {
    const value = x[i];
    if (value > best) best = value;
    else if (Number.isNaN(value)) return value;
  }
  return best;
}

/** Smallest element; NaN if any element is NaN. */
function minLine(x: TypedArray, start: number, count: number, step: number): number {
  let best = x[start];
  for (let r = 1, i = start + step; r < count; r++, i += step) {
    const value = x[i];
    if (value < best) best = value;
    else if (Number.isNaN(value)) return value;
  }
  return best;
}

/** Index of the largest element: the first one on ties, or the first NaN if any. */
function argmaxLine(x: TypedArray, start: number, count: number, step: number): number {
  let best = x[start];
  if (Number.isNaN(best)) return 0;
  let bestIndex = 0;
  for (let r = 1, i = start + step; r < count; r++, i += step) {
    const value = x[i];
    if (value > best) {
      best = value;
      bestIndex = r;
    } else if (Number.isNaN(value)) return r;
  }
  return bestIndex;
}

/**
 * log Σ exp(x), shifted by the maximum so nothing overflows; an infinite maximum is not
 * subtracted (∞ − ∞ would be NaN), which gives ±∞ exactly where the true value is.
 */
function logSumExpLine(x: TypedArray, start: number, count: number, step: number): number {
  if (count === 0) return Number.NEGATIVE_INFINITY;
  const max = maxLine(x, start, count, step);
  const shift = Number.isFinite(max) ? max : 0;
  let sum = 0;
  for (let r = 0, i = start; r < count; r++, i += step) sum += Math.exp(x[i] - shift);
  return Math.log(sum) + shift;
}

/** Each reduction of one line `x[start + r·step]`, r < count: the only place one is defined. */
const lineReductions: {
  readonly [Op in ReduceOp]: (x: TypedArray, start: number, count: number, step: number) => number;
} = {
  sum: sumLine,
  // A mean over zero elements is 0/0 = NaN, as in numpy.
  mean: (x, start, count, step) => sumLine(x, start, count, step) / count,
  sumOfSquares: sumOfSquaresLine,
  max: maxLine,
  min: minLine,
  argmax: argmaxLine,
  logSumExp: logSumExpLine,
};

/**
 * Reduces `x` viewed as `[outer, count, inner]` over the middle axis into `out` (`[outer,
 * inner]`). Each result is computed in float64 and rounded once on store. With `inner = 1`
 * (last axis: softmax) lines are contiguous; otherwise (first axis: bias gradients) sums
 * accumulate row by row into a float64 buffer so memory is read in order.
 */
export function reduceInto(
  op: ReduceOp,
  x: TypedArray,
  out: TypedArray,
  outer: number,
  count: number,
  inner: number,
): void {
  if ((op === "sum" || op === "mean" || op === "sumOfSquares") && inner > 1) {
    const accumulator = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      accumulator.fill(0);
      for (let r = 0, row = o * count * inner; r < count; r++, row += inner) {
        if (op === "sumOfSquares") {
          for (let i = 0; i < inner; i++) accumulator[i] += x[row + i] * x[row + i];
        } else {
          for (let i = 0; i < inner; i++) accumulator[i] += x[row + i];
        }
      }
      const base = o * inner;
      // A mean over zero elements is 0/0 = NaN, as in numpy.
      for (let i = 0; i < inner; i++) {
        out[base + i] = op === "mean" ? accumulator[i] / count : accumulator[i];
      }
    }
    return;
  }
  const line = lineReductions[op];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      out[o * inner + i] = line(x, o * count * inner + i, count, inner);
    }
  }
}
