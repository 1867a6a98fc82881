/**
 * Numerical gradient checking: autograd against centered and forward differences.
 *
 * @module
 */
import {
  type FloatDType,
  foldIn,
  fromTypedArray,
  type Key,
  key as makeKey,
  permutation,
  type Shape,
  type Tensor,
} from "@puregrad/tensor";
import { treeFlatten } from "./pytree.js";
import { grad } from "./transforms.js";

/** A way of computing a gradient entry. */
export type GradientMethod = "autograd" | "centered" | "forward";

/** The pass rule's thresholds. */
export interface GradientCheckTolerance {
  /** The tensor's norm-wise relative error `‖a − b‖ / max(ε, ‖a‖ + ‖b‖)` must be below this. */
  readonly normRelative: number;
  /** Every entry must have a relative error below this ... */
  readonly entryRelative: number;
  /** ... or an absolute difference below this (tiny entries cannot meet the relative bound). */
  readonly entryAbsolute: number;
}

/**
 * The default tolerances by dtype. float64 is the rule of EXPERIMENTS.md; float32 is
 * looser because a float32 loss carries ~7 digits, and the difference quotient loses
 * about `log10(|f| / h)` of them.
 */
export const defaultTolerances: { readonly [D in FloatDType]: GradientCheckTolerance } = {
  float64: { normRelative: 1e-6, entryRelative: 1e-6, entryAbsolute: 1e-9 },
  float32: { normRelative: 1e-2, entryRelative: 5e-2, entryAbsolute: 1e-3 },
};

/** The default finite-difference step by dtype. */
export const defaultSteps: { readonly [D in FloatDType]: number } = {
  float64: 1e-5,
  float32: 1e-2,
};

/** Options of {@link checkGradients}. */
export interface GradientCheckOptions {
  /** Finite-difference step. Default: 1e-5 for float64 tensors, 1e-2 for float32. */
  readonly h?: number;
  /** Check at most this many entries of each tensor, chosen at random (with `key`). */
  readonly maxEntriesPerTensor?: number;
  /** Picks the entries when `maxEntriesPerTensor` is set. Default `key(0)`. */
  readonly key?: Key;
  /** Overrides the pass rule's thresholds (default {@link defaultTolerances} by dtype). */
  readonly tolerance?: Partial<GradientCheckTolerance>;
  /**
   * The ε in `max(ε, |a| + |b|)` and `max(ε, ‖a‖ + ‖b‖)`. Default
   * `entryAbsolute / entryRelative` (1e-3 in float64): below that magnitude centered
   * differences cannot resolve a relative error, and dividing by ε turns the relative bound
   * into the absolute one, so a gradient that is exactly zero (a dead unit's bias) passes
   * instead of showing a relative error of 1 against a numerical 1e-17.
   */
  readonly epsilon?: number;
}

/** How two methods compare on the checked entries of one tensor. */
export interface GradientComparison {
  /** The two methods compared, e.g. `["autograd", "centered"]`. */
  readonly methods: readonly [GradientMethod, GradientMethod];
  /** Entry-wise `|a − b| / max(ε, |a| + |b|)`. */
  readonly relativeError: { readonly min: number; readonly max: number; readonly mean: number };
  /** Entry-wise `|a − b|`. */
  readonly absoluteDifference: { readonly max: number; readonly mean: number };
  /** `‖a − b‖ / max(ε, ‖a‖ + ‖b‖)` over the checked entries (Euclidean norms). */
  readonly normRelativeError: number;
}

/** The result of checking one parameter tensor. */
export interface GradientCheckRow {
  /** Where the tensor sits in the parameters, e.g. `layers[0].W` (`""` for a lone tensor). */
  readonly path: string;
  readonly shape: Shape;
  readonly dtype: FloatDType;
  /** The step used. */
  readonly h: number;
  /** How many entries were compared (all of them unless `maxEntriesPerTensor` cut it). */
  readonly entriesChecked: number;
  /** Autograd vs centered, autograd vs forward, centered vs forward, in that order. */
  readonly comparisons: readonly [GradientComparison, GradientComparison, GradientComparison];
  /** The thresholds `pass` applied. */
  readonly tolerance: GradientCheckTolerance;
  /** The ε of the relative errors. */
  readonly epsilon: number;
  /**
   * Autograd vs centered differences meets the rule: norm-wise relative error below
   * `normRelative`, and every entry within `entryRelative` relative or `entryAbsolute`
   * absolute. (Forward differences have an O(h) error, so they are reported, not judged.)
   */
  readonly pass: boolean;
}

function relativeErrors(a: readonly number[], b: readonly number[], epsilon: number): number[] {
  return a.map((x, i) => Math.abs(x - b[i]!) / Math.max(epsilon, Math.abs(x) + Math.abs(b[i]!)));
}

function norm(values: readonly number[]): number {
  return Math.sqrt(values.reduce((total, v) => total + v * v, 0));
}

function lowest(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => Math.min(a, b));
}

function highest(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => Math.max(a, b));
}

function average(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((total, v) => total + v, 0) / values.length;
}

function compare(
  methods: readonly [GradientMethod, GradientMethod],
  a: readonly number[],
  b: readonly number[],
  epsilon: number,
): GradientComparison {
  const relative = relativeErrors(a, b, epsilon);
  const absolute = a.map((x, i) => Math.abs(x - b[i]!));
  return {
    methods,
    relativeError: { min: lowest(relative), max: highest(relative), mean: average(relative) },
    absoluteDifference: { max: highest(absolute), mean: average(absolute) },
    normRelativeError: norm(absolute) / Math.max(epsilon, norm(a) + norm(b)),
  };
}

/** Whether every entry is within the relative or the absolute bound. */
function everyEntryWithin(
  a: readonly number[],
  b: readonly number[],
  tolerance: GradientCheckTolerance,
  epsilon: number,
): boolean {
  const relative = relativeErrors(a, b, epsilon);
  return relative.every(
    (r, i) => r < tolerance.entryRelative || Math.abs(a[i]! - b[i]!) < tolerance.entryAbsolute,
  );
}

/**
 * Checks the autograd gradient of a scalar function of a parameter pytree against
 * centered differences `(f(θ + h) − f(θ − h)) / 2h` and forward differences
 * `(f(θ + h) − f(θ)) / h`, entry by entry. The differences use the step actually
 * representable in the tensor's dtype.
 *
 * Costs two evaluations of `f` per checked entry, so check a reduced problem (a few
 * samples, the first input dimensions) or set `maxEntriesPerTensor`.
 *
 * @param f - a scalar-valued function of the parameters (close over the data).
 * @param params - a float tensor or pytree of float tensors.
 * @returns one row per tensor, in pytree order, with the statistics of every pair of
 *   methods and the pass verdict for autograd vs centered differences.
 * @throws as {@link grad} when `f` or `params` is not differentiable.
 * @example
 * const rows = checkGradients((p) => cost(p, xSmall, ySmall), params, { h: 1e-5 });
 * if (!rows.every((row) => row.pass)) console.table(rows);
 */
export function checkGradients<P>(
  f: (params: P) => Tensor,
  params: P,
  options: GradientCheckOptions = {},
): GradientCheckRow[] {
  const autograd = treeFlatten(grad(f)(params), "checkGradients").leaves;
  const tree = treeFlatten(params, "checkGradients: params");
  const evaluate = (leaves: readonly Tensor[]) => f(tree.unflatten(leaves)).item();
  const baseline = evaluate(tree.leaves);
  return tree.leaves.map((leaf, index) => {
    const dtype = leaf.dtype as FloatDType;
    const h = options.h ?? defaultSteps[dtype];
    const tolerance = { ...defaultTolerances[dtype], ...options.tolerance };
    const epsilon = options.epsilon ?? tolerance.entryAbsolute / tolerance.entryRelative;
    const entries = chooseEntries(leaf.size, index, options);
    const values = leaf.toTypedArray();
    const exact = autograd[index]!.toTypedArray();
    const withEntry = (entry: number, value: number): [number, number] => {
      const perturbed = values.slice();
      perturbed[entry] = value;
      const leaves = tree.leaves.slice();
      leaves[index] = fromTypedArray(perturbed, leaf.shape);
      return [evaluate(leaves), perturbed[entry]!];
    };
    const autogradValues: number[] = [];
    const centered: number[] = [];
    const forward: number[] = [];
    for (const entry of entries) {
      const [plus, up] = withEntry(entry, values[entry]! + h);
      const [minus, down] = withEntry(entry, values[entry]! - h);
      autogradValues.push(exact[entry]!);
      centered.push((plus - minus) / (up - down));
      forward.push((plus - baseline) / (up - values[entry]!));
    }
    const againstCentered = compare(["autograd", "centered"], autogradValues, centered, epsilon);
    return {
      path: tree.paths[index]!,
      shape: leaf.shape,
      dtype,
      h,
      entriesChecked: entries.length,
      comparisons: [
        againstCentered,
        compare(["autograd", "forward"], autogradValues, forward, epsilon),
        compare(["centered", "forward"], centered, forward, epsilon),
      ],
      tolerance,
      epsilon,
      pass:
        againstCentered.normRelativeError < tolerance.normRelative &&
        everyEntryWithin(autogradValues, centered, tolerance, epsilon),
    };
  });
}
/** All entries in order, or `maxEntriesPerTensor` of them at random, sorted. */
function chooseEntries(size: number, index: number, options: GradientCheckOptions): number[] {
  const limit = options.maxEntriesPerTensor;
  if (limit === undefined || limit >= size) return Array.from({ length: size }, (_, i) => i);
  const order = permutation(foldIn(options.key ?? makeKey(0), index), size).toTypedArray();
  return Array.from(order.subarray(0, limit)).sort((a, b) => a - b);
}
