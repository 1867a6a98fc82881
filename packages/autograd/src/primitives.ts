/**
 * The differentiable primitives: one registry where each primitive's forward (a
 * `@puregrad/tensor` op) and its VJP sit together, and the op functions users call.
 *
 * Every VJP is written with the differentiable ops below, so the backward pass is itself
 * recorded by any enclosing trace: that is what makes `grad(grad(f))` work. A VJP returns
 * one thunk per input (or null where the input has no derivative); the engine runs a
 * thunk only for inputs that are traced, so `matmul(data, W)` never computes `d data`.
 * A thunk may return a cotangent of the output's (broadcast) shape: the engine sums it
 * back to the input's shape in one place (`unbroadcast` in `backward.ts`).
 *
 * @module
 */

import type { DType, MatmulOptions, Operand, ReduceOptions, Shape, Tensor } from "@puregrad/tensor";
import * as T from "@puregrad/tensor";
import { checkNotEscaped, freshAlias, isTracing, record } from "./trace.js";

type Binary = { inputs: [a: Operand, b: Operand]; params: null };
type Unary = { inputs: [x: Tensor]; params: null };
type Reduction = { inputs: [x: Tensor]; params: ReduceOptions | undefined };

/** Each primitive's operands and static parameters. */
interface Signatures {
  add: Binary;
  sub: Binary;
  mul: Binary;
  div: Binary;
  pow: Binary;
  maximum: Binary;
  minimum: Binary;
  neg: Unary;
  exp: Unary;
  log: Unary;
  sqrt: Unary;
  abs: Unary;
  sign: Unary;
  square: Unary;
  reciprocal: Unary;
  tanh: Unary;
  sigmoid: Unary;
  relu: Unary;
  where: { inputs: [condition: Tensor, a: Operand, b: Operand]; params: null };
  axpby: { inputs: [x: Tensor, y: Tensor]; params: { alpha: number; beta: number } };
  sum: Reduction;
  mean: Reduction;
  max: Reduction;
  min: Reduction;
  logSumExp: Reduction;
  sumOfSquares: Reduction;
  reshape: { inputs: [x: Tensor]; params: Shape };
  transpose: { inputs: [x: Tensor]; params: readonly number[] | undefined };
  broadcastTo: { inputs: [x: Tensor]; params: Shape };
  concat: { inputs: Tensor[]; params: number };
  slice: { inputs: [x: Tensor]; params: { begin: readonly number[]; end: readonly number[] } };
  take: { inputs: [x: Tensor]; params: { indices: Tensor | readonly number[]; axis: number } };
  expandDims: { inputs: [x: Tensor]; params: number };
  squeeze: { inputs: [x: Tensor]; params: number | readonly number[] | undefined };
  matmul: { inputs: [a: Tensor, b: Tensor]; params: MatmulOptions | undefined };
  cast: { inputs: [x: Tensor]; params: DType };
}

/** The name of a differentiable primitive. */
export type Primitive = keyof Signatures;

type Inputs<P extends Primitive> = Signatures[P]["inputs"];
type Params<P extends Primitive> = Signatures[P]["params"];

/** A cotangent to compute on demand, or null: this input has no derivative. */
type LazyCotangent = (() => Tensor) | null;
/** One lazy cotangent per input. */
type LazyCotangents<I extends readonly unknown[]> = { readonly [K in keyof I]: LazyCotangent };

/** A primitive's forward computation and its vector-Jacobian product. */
export interface Rule<P extends Primitive> {
  /** Computes the primitive on plain tensors (one `@puregrad/tensor` op). */
  forward(inputs: Inputs<P>, params: Params<P>): Tensor;
  /**
   * Given the cotangent `g` of the output, one lazy cotangent per input, written with
   * differentiable ops. It may have the output's broadcast shape.
   */
  vjp(
    g: Tensor,
    context: { inputs: Inputs<P>; output: Tensor; params: Params<P> },
  ): LazyCotangents<Inputs<P>>;
}

// ---------------------------------------------------------------------------------------
// helpers for the rules (shapes only; no arithmetic on tensors)

function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** The axes a reduction removed, sorted, non-negative. */
function reducedAxes(rank: number, axis: number | readonly number[] | undefined): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const axes = typeof axis === "number" ? [axis] : axis;
  return axes.map((a) => normalizeAxis(a, rank)).sort((a, b) => a - b);
}

/** The reduction's output shape with the reduced axes kept as size 1. */
function keptShape(x: Tensor, options: ReduceOptions | undefined): number[] {
  const axes = reducedAxes(x.rank, options?.axis);
  return x.shape.map((size, i) => (axes.includes(i) ? 1 : size));
}

/** `g` (a reduction's output cotangent) reshaped so that it broadcasts against `x`. */
function expandReduced(g: Tensor, x: Tensor, options: ReduceOptions | undefined): Tensor {
  return reshape(g, keptShape(x, options));
}

/** The VJP of `max`/`min`: the cotangent goes to the extremal entries, split evenly on ties. */
function extremumVjp(g: Tensor, x: Tensor, output: Tensor, options: ReduceOptions | undefined) {
  const kept = keptShape(x, options);
  const isExtremum = T.equal(x, T.reshape(output, kept));
  const ties = T.sum(isExtremum, { axis: options?.axis, keepDims: true });
  return mul(T.div(isExtremum, ties), reshape(g, kept));
}

/** `[a > b] + ½[a = b]`: where `maximum` sends its cotangent (ties split evenly). */
function selectsFirst(
  a: Operand,
  b: Operand,
  strictly: (a: Operand, b: Operand) => Tensor,
): Tensor {
  return T.add(strictly(a, b), T.mul(T.equal(a, b), 0.5));
}

/** `g` padded with zeros to the shape of the tensor `slice` cut it from. */
function padToSliced(g: Tensor, x: Tensor, begin: readonly number[]): Tensor {
  let padded = g;
  for (let axis = 0; axis < x.rank; axis++) {
    const before = normalizeAxis(begin[axis] ?? 0, x.shape[axis]!);
    const after = x.shape[axis]! - before - g.shape[axis]!;
    const zerosOf = (size: number) =>
      T.zeros(
        padded.shape.map((s, i) => (i === axis ? size : s)),
        g.dtype,
      );
    const parts = [
      ...(before > 0 ? [zerosOf(before)] : []),
      padded,
      ...(after > 0 ? [zerosOf(after)] : []),
    ];
    if (parts.length > 1) padded = concat(parts, axis);
  }
  return padded;
}

/**
 * The VJP of `take`: `g` scatter-added back along `axis`. `@puregrad/tensor` has no
 * scatter-add, so this is a product with the one-hot matrix of the indices, which is
 * differentiable as it stands.
 */
function scatterTaken(
  g: Tensor,
  x: Tensor,
  indices: Tensor | readonly number[],
  axis: number,
): Tensor {
  const flatIndices = indices instanceof T.Tensor ? T.reshape(indices, [-1]) : indices;
  const picked = indices instanceof T.Tensor ? indices.size : indices.length;
  const before = x.shape.slice(0, axis).reduce((p, s) => p * s, 1);
  const after = x.shape.slice(axis + 1).reduce((p, s) => p * s, 1);
  const selector = T.oneHot(flatIndices, x.shape[axis]!, g.dtype);
  const byIndex = reshape(transpose(reshape(g, [before, picked, after]), [1, 0, 2]), [picked, -1]);
  const scattered = matmul(selector, byIndex, { transposeA: true });
  const moved = transpose(reshape(scattered, [x.shape[axis]!, before, after]), [1, 0, 2]);
  return reshape(moved, x.shape);
}

function inversePermutation(permutation: readonly number[]): number[] {
  const inverse: number[] = [];
  permutation.forEach((axis, i) => {
    inverse[axis] = i;
  });
  return inverse;
}

/** `b − 1` for an exponent that may be a JS number. */
function minusOne(b: Operand): Operand {
  return typeof b === "number" ? b - 1 : sub(b, 1);
}

/** `log a` with `log 0` taken as 0: the base-0 entries of `aᵇ` do not move with `b`. */
function logOfBase(a: Operand): Operand {
  if (typeof a === "number") return a === 0 ? 0 : Math.log(a);
  return log(where(T.equal(a, 0), T.onesLike(a), a));
}

// ---------------------------------------------------------------------------------------
// the registry: forward and VJP of every primitive, the derivative in one comment line

/**
 * Every primitive's rule. The mapped type makes a primitive without a rule a compile
 * error; `test/primitives.test.ts` makes one without a test a test failure.
 */
export const rules: { readonly [P in Primitive]: Rule<P> } = {
  // d(a + b) = da + db
  add: {
    forward: ([a, b]) => T.add(a, b),
    vjp: (g) => [() => g, () => g],
  },
  // d(a − b) = da − db
  sub: {
    forward: ([a, b]) => T.sub(a, b),
    vjp: (g) => [() => g, () => neg(g)],
  },
  // d(a·b) = b·da + a·db
  mul: {
    forward: ([a, b]) => T.mul(a, b),
    vjp: (g, { inputs: [a, b] }) => [() => mul(g, b), () => mul(g, a)],
  },
  // d(a/b) = da/b − (a/b)·db/b
  div: {
    forward: ([a, b]) => T.div(a, b),
    vjp: (g, { inputs: [, b], output }) => [() => div(g, b), () => neg(div(mul(g, output), b))],
  },
  // d(aᵇ) = b·aᵇ⁻¹·da + aᵇ·log(a)·db
  pow: {
    forward: ([a, b]) => T.pow(a, b),
    vjp: (g, { inputs: [a, b], output }) => [
      () => mul(g, mul(b, pow(a, minusOne(b)))),
      () => mul(g, mul(output, logOfBase(a))),
    ],
  },
  // d max(a, b) = [a > b]·da + [a < b]·db, ties split evenly
  maximum: {
    forward: ([a, b]) => T.maximum(a, b),
    vjp: (g, { inputs: [a, b] }) => [
      () => mul(g, selectsFirst(a, b, T.greater)),
      () => mul(g, selectsFirst(b, a, T.greater)),
    ],
  },
  // d min(a, b) = [a < b]·da + [a > b]·db, ties split evenly
  minimum: {
    forward: ([a, b]) => T.minimum(a, b),
    vjp: (g, { inputs: [a, b] }) => [
      () => mul(g, selectsFirst(a, b, T.less)),
      () => mul(g, selectsFirst(b, a, T.less)),
    ],
  },
  // d(−x) = −dx
  neg: {
    forward: ([x]) => T.neg(x),
    vjp: (g) => [() => neg(g)],
  },
  // d eˣ = eˣ·dx
  exp: {
    forward: ([x]) => T.exp(x),
    vjp: (g, { output }) => [() => mul(g, output)],
  },
  // d log x = dx/x
  log: {
    forward: ([x]) => T.log(x),
    vjp: (g, { inputs: [x] }) => [() => div(g, x)],
  },
  // d√x = dx/(2√x)
  sqrt: {
    forward: ([x]) => T.sqrt(x),
    vjp: (g, { output }) => [() => div(g, mul(output, 2))],
  },
  // d|x| = sign(x)·dx (0 at 0)
  abs: {
    forward: ([x]) => T.abs(x),
    vjp: (g, { inputs: [x] }) => [() => mul(g, T.sign(x))],
  },
  // d sign(x) = 0 almost everywhere
  sign: {
    forward: ([x]) => T.sign(x),
    vjp: () => [null],
  },
  // d x² = 2x·dx
  square: {
    forward: ([x]) => T.square(x),
    vjp: (g, { inputs: [x] }) => [() => mul(g, mul(x, 2))],
  },
  // d(1/x) = −dx/x²
  reciprocal: {
    forward: ([x]) => T.reciprocal(x),
    vjp: (g, { output }) => [() => neg(mul(g, square(output)))],
  },
  // d tanh x = (1 − tanh²x)·dx
  tanh: {
    forward: ([x]) => T.tanh(x),
    vjp: (g, { output }) => [() => mul(g, sub(1, square(output)))],
  },
  // d σ(x) = σ(x)(1 − σ(x))·dx
  sigmoid: {
    forward: ([x]) => T.sigmoid(x),
    vjp: (g, { output }) => [() => mul(g, mul(output, sub(1, output)))],
  },
  // d relu(x) = [x > 0]·dx
  relu: {
    forward: ([x]) => T.relu(x),
    vjp: (g, { inputs: [x] }) => [() => mul(g, T.greater(x, 0))],
  },
  // d (αx + βy) = α·dx + β·dy
  axpby: {
    forward: ([x, y], { alpha, beta }) => T.axpby(alpha, x, beta, y),
    vjp: (g, { params: { alpha, beta } }) => [() => mul(g, alpha), () => mul(g, beta)],
  },
  // d where(c, a, b) = where(c, da, db); the condition has no derivative
  where: {
    forward: ([condition, a, b]) => T.where(condition, a, b),
    vjp: (g, { inputs: [condition] }) => [
      null,
      () => where(condition, g, T.zerosLike(g)),
      () => where(condition, T.zerosLike(g), g),
    ],
  },
  // d Σx = Σdx: the cotangent is copied to every summed entry
  sum: {
    forward: ([x], options) => T.sum(x, options),
    vjp: (g, { inputs: [x], params }) => [() => broadcastTo(expandReduced(g, x, params), x.shape)],
  },
  // d mean(x) = Σdx / n
  mean: {
    forward: ([x], options) => T.mean(x, options),
    vjp: (g, { inputs: [x], output, params }) => [
      () => broadcastTo(expandReduced(div(g, x.size / output.size), x, params), x.shape),
    ],
  },
  // d max(x) = dx at the maximal entries (split evenly on ties)
  max: {
    forward: ([x], options) => T.max(x, options),
    vjp: (g, { inputs: [x], output, params }) => [() => extremumVjp(g, x, output, params)],
  },
  // d min(x) = dx at the minimal entries (split evenly on ties)
  min: {
    forward: ([x], options) => T.min(x, options),
    vjp: (g, { inputs: [x], output, params }) => [() => extremumVjp(g, x, output, params)],
  },
  // d log Σeˣ = Σ softmax(x)·dx, softmax(x) = e^(x − logSumExp(x))
  logSumExp: {
    forward: ([x], options) => T.logSumExp(x, options),
    vjp: (g, { inputs: [x], output, params }) => [
      () => mul(expandReduced(g, x, params), exp(sub(x, expandReduced(output, x, params)))),
    ],
  },
  // d Σx² = Σ2x·dx: one pass over x (the small cotangent is doubled first)
  sumOfSquares: {
    forward: ([x], options) => T.sumOfSquares(x, options),
    vjp: (g, { inputs: [x], params }) => [() => mul(x, mul(expandReduced(g, x, params), 2))],
  },
  // reshaping moves no values: reshape the cotangent back
  reshape: {
    forward: ([x], shape) => T.reshape(x, shape),
    vjp: (g, { inputs: [x] }) => [() => reshape(g, x.shape)],
  },
  // transposing by p is undone by transposing by p⁻¹
  transpose: {
    forward: ([x], permutation) => T.transpose(x, permutation),
    vjp: (g, { inputs: [x], params }) => [
      () => transpose(g, inversePermutation(params ?? x.shape.map((_, i) => x.rank - 1 - i))),
    ],
  },
  // d broadcast(x) = broadcast(dx): the engine sums the cotangent back to x's shape
  broadcastTo: {
    forward: ([x], shape) => T.broadcastTo(x, shape),
    vjp: (g) => [() => g],
  },
  // each input gets its own block of the cotangent
  concat: {
    forward: (xs, axis) => T.concat(xs, axis),
    vjp: (g, { inputs, params }) => {
      const axis = normalizeAxis(params, g.rank);
      let offset = 0;
      return inputs.map((x) => {
        const begin = g.shape.map((_, i) => (i === axis ? offset : 0));
        const end = g.shape.map((size, i) => (i === axis ? offset + x.shape[axis]! : size));
        offset += x.shape[axis]!;
        return () => slice(g, begin, end);
      });
    },
  },
  // the cotangent of the slice goes back to its place, zeros elsewhere
  slice: {
    forward: ([x], { begin, end }) => T.slice(x, begin, end),
    vjp: (g, { inputs: [x], params }) => [() => padToSliced(g, x, params.begin)],
  },
  // the cotangent of each taken entry is added back where it was taken from
  take: {
    forward: ([x], { indices, axis }) => T.take(x, indices, axis),
    vjp: (g, { inputs: [x], params }) => [
      () => scatterTaken(g, x, params.indices, normalizeAxis(params.axis, x.rank)),
    ],
  },
  // a new axis of size 1 moves no values
  expandDims: {
    forward: ([x], axis) => T.expandDims(x, axis),
    vjp: (g, { inputs: [x] }) => [() => reshape(g, x.shape)],
  },
  // dropping axes of size 1 moves no values
  squeeze: {
    forward: ([x], axis) => T.squeeze(x, axis),
    vjp: (g, { inputs: [x] }) => [() => reshape(g, x.shape)],
  },
  // C = op(A)·op(B): dA = g·op(B)ᵀ, dB = op(A)ᵀ·g, each transposed back when op transposes
  matmul: {
    forward: ([a, b], options) => T.matmul(a, b, options),
    vjp: (g, { inputs: [a, b], params }) => {
      const transposeA = params?.transposeA ?? false;
      const transposeB = params?.transposeB ?? false;
      return [
        () =>
          transposeA
            ? matmul(b, g, { transposeA: transposeB, transposeB: true })
            : matmul(g, b, { transposeA: false, transposeB: !transposeB }),
        () =>
          transposeB
            ? matmul(g, a, { transposeA: true, transposeB: transposeA })
            : matmul(a, g, { transposeA: !transposeA, transposeB: false }),
      ];
    },
  },
  // casting between float dtypes: the cotangent is cast back (integer outputs are not traced)
  cast: {
    forward: ([x], dtype) => T.cast(x, dtype),
    vjp: (g, { inputs: [x] }) => [() => cast(g, x.dtype)],
  },
};

/**
 * Applies a primitive. Outside any trace this is the tensor op itself; inside, the
 * application is recorded by every trace that knows one of the operands.
 */
function bind<P extends Primitive>(primitive: P, inputs: Inputs<P>, params: Params<P>): Tensor {
  const rule: Rule<P> = rules[primitive];
  if (!isTracing()) return rule.forward(inputs, params);
  const operands = inputs as readonly Operand[];
  checkNotEscaped(primitive, operands);
  let output = rule.forward(inputs, params);
  if (operands.includes(output)) output = freshAlias(output);
  record(primitive, operands, [output], ([g], needs) => {
    const cotangents = rule.vjp(g!, { inputs, output, params }) as readonly LazyCotangent[];
    return cotangents.map((cotangent, i) => (needs[i] && cotangent ? cotangent() : null));
  });
  return output;
}

// ---------------------------------------------------------------------------------------
// the differentiable ops: same names and signatures as in @puregrad/tensor

/** Elementwise `a + b` with broadcasting; differentiable. See `@puregrad/tensor` `add`. */
export function add(a: Operand, b: Operand): Tensor {
  return bind("add", [a, b], null);
}

/** Elementwise `a − b` with broadcasting; differentiable. See `@puregrad/tensor` `sub`. */
export function sub(a: Operand, b: Operand): Tensor {
  return bind("sub", [a, b], null);
}

/** Elementwise `a · b` with broadcasting; differentiable. See `@puregrad/tensor` `mul`. */
export function mul(a: Operand, b: Operand): Tensor {
  return bind("mul", [a, b], null);
}

/** Elementwise `a / b` with broadcasting; differentiable. See `@puregrad/tensor` `div`. */
export function div(a: Operand, b: Operand): Tensor {
  return bind("div", [a, b], null);
}

/**
 * Elementwise `aᵇ` with broadcasting; differentiable in both operands (the derivative in
 * `b` uses `log a`, taken as 0 where `a = 0`). See `@puregrad/tensor` `pow`.
 */
export function pow(a: Operand, b: Operand): Tensor {
  return bind("pow", [a, b], null);
}

/**
 * Elementwise maximum with broadcasting; differentiable, the cotangent split evenly where
 * `a = b`. See `@puregrad/tensor` `maximum`.
 */
export function maximum(a: Operand, b: Operand): Tensor {
  return bind("maximum", [a, b], null);
}

/**
 * Elementwise minimum with broadcasting; differentiable, the cotangent split evenly where
 * `a = b`. See `@puregrad/tensor` `minimum`.
 */
export function minimum(a: Operand, b: Operand): Tensor {
  return bind("minimum", [a, b], null);
}

/** Elementwise `−x`; differentiable. */
export function neg(x: Tensor): Tensor {
  return bind("neg", [x], null);
}

/** Elementwise `eˣ`; differentiable. */
export function exp(x: Tensor): Tensor {
  return bind("exp", [x], null);
}

/** Elementwise natural logarithm; differentiable (derivative `1/x`). */
export function log(x: Tensor): Tensor {
  return bind("log", [x], null);
}

/** Elementwise square root; differentiable (derivative `1/(2√x)`, infinite at 0). */
export function sqrt(x: Tensor): Tensor {
  return bind("sqrt", [x], null);
}

/** Elementwise `|x|`; differentiable with derivative `sign(x)` (0 at 0). */
export function abs(x: Tensor): Tensor {
  return bind("abs", [x], null);
}

/** Elementwise sign (−1, 0 or 1); its derivative is 0. */
export function sign(x: Tensor): Tensor {
  return bind("sign", [x], null);
}

/** Elementwise `x²`; differentiable. */
export function square(x: Tensor): Tensor {
  return bind("square", [x], null);
}

/** Elementwise `1/x`; differentiable. */
export function reciprocal(x: Tensor): Tensor {
  return bind("reciprocal", [x], null);
}

/** Elementwise hyperbolic tangent; differentiable. */
export function tanh(x: Tensor): Tensor {
  return bind("tanh", [x], null);
}

/** Elementwise logistic sigmoid `1/(1 + e⁻ˣ)`; differentiable. */
export function sigmoid(x: Tensor): Tensor {
  return bind("sigmoid", [x], null);
}

/** Elementwise `max(x, 0)`; differentiable with derivative `[x > 0]` (0 at 0). */
export function relu(x: Tensor): Tensor {
  return bind("relu", [x], null);
}

/**
 * `alpha·x + beta·y` in one pass (same shapes, no broadcasting); differentiable in `x` and `y`.
 * The fused update of momentum and Adam. See `@puregrad/tensor` `axpby`.
 */
export function axpby(alpha: number, x: Tensor, beta: number, y: Tensor): Tensor {
  return bind("axpby", [x, y], { alpha, beta });
}

/**
 * `a` where `condition` is nonzero, else `b`, broadcasting all three; differentiable in
 * `a` and `b` (the condition is a constant). See `@puregrad/tensor` `where`.
 */
export function where(condition: Tensor, a: Operand, b: Operand): Tensor {
  return bind("where", [condition, a, b], null);
}

/** Sum over `axis` (default all); differentiable. See `@puregrad/tensor` `sum`. */
export function sum(x: Tensor, options?: ReduceOptions): Tensor {
  return bind("sum", [x], options);
}

/**
 * Σx² over `axis` (default all) in one pass; differentiable, its VJP one pass too (2x·g). The
 * squared norm behind an L2 penalty. See `@puregrad/tensor` `sumOfSquares`.
 */
export function sumOfSquares(x: Tensor, options?: ReduceOptions): Tensor {
  return bind("sumOfSquares", [x], options);
}

/** Mean over `axis` (default all); differentiable. See `@puregrad/tensor` `mean`. */
export function mean(x: Tensor, options?: ReduceOptions): Tensor {
  return bind("mean", [x], options);
}

/**
 * Maximum over `axis` (default all); differentiable, the cotangent shared evenly by tied
 * maxima. See `@puregrad/tensor` `max`.
 */
export function max(x: Tensor, options?: ReduceOptions): Tensor {
  return bind("max", [x], options);
}

/**
 * Minimum over `axis` (default all); differentiable, the cotangent shared evenly by tied
 * minima. See `@puregrad/tensor` `min`.
 */
export function min(x: Tensor, options?: ReduceOptions): Tensor {
  return bind("min", [x], options);
}

/**
 * Stable `log Σ eˣ` over `axis` (default all); differentiable, with gradient
 * `softmax(x)`. See `@puregrad/tensor` `logSumExp`.
 */
export function logSumExp(x: Tensor, options?: ReduceOptions): Tensor {
  return bind("logSumExp", [x], options);
}

/** The same entries in a new shape (one `-1` allowed); differentiable. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  return bind("reshape", [x], shape);
}

/** Permutes the axes (default: reverses them); differentiable. */
export function transpose(x: Tensor, permutation?: readonly number[]): Tensor {
  return bind("transpose", [x], permutation);
}

/**
 * Broadcasts `x` to `shape`; differentiable (the gradient sums over the broadcast axes).
 */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  return bind("broadcastTo", [x], shape);
}

/** Joins tensors along `axis` (default 0); differentiable in every input. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  return bind("concat", [...tensors], axis);
}

/**
 * The block `begin[i] ≤ index < end[i]` on each axis (missing axes taken whole);
 * differentiable (the gradient is zero outside the block).
 */
export function slice(x: Tensor, begin: readonly number[], end: readonly number[]): Tensor {
  return bind("slice", [x], { begin, end });
}

/**
 * The entries of `x` at the int32 `indices` along `axis` (default 0); differentiable in
 * `x` (repeated indices accumulate their cotangents).
 */
export function take(x: Tensor, indices: Tensor | readonly number[], axis = 0): Tensor {
  return bind("take", [x], { indices, axis });
}

/** Inserts an axis of size 1 at `axis`; differentiable. */
export function expandDims(x: Tensor, axis: number): Tensor {
  return bind("expandDims", [x], axis);
}

/** Removes the given axes of size 1, or every axis of size 1; differentiable. */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  return bind("squeeze", [x], axis);
}

/**
 * Matrix product `op(a)·op(b)` of 2-D tensors, where `op` transposes when
 * `transposeA`/`transposeB` is set; differentiable. The gradient of an operand that is not
 * traced (e.g. the input data) is never computed.
 */
export function matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor {
  return bind("matmul", [a, b], options);
}

/**
 * Converts to `dtype`; differentiable between float dtypes (the cotangent is cast back).
 * A cast to int32 ends differentiation: integer tensors are never traced.
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  return bind("cast", [x], dtype);
}
