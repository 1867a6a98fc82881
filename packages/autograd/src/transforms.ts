/**
 * The user-facing transforms: `vjp`, `grad`, `valueAndGrad`, `stopGradient`, `customVjp`.
 *
 * @module
 */
import { formatShape, onesLike, shapesEqual, Tensor } from "@puregrad/tensor";
import { backpropagate } from "./backward.js";
import { reshape } from "./primitives.js";
import {
  assertSameStructure,
  describeValue,
  type FlatTree,
  locate,
  treeFlatten,
} from "./pytree.js";
import {
  activeTraces,
  addInput,
  checkNotEscaped,
  closeTrace,
  freshAlias,
  isTraced,
  isTracing,
  openTrace,
  type Pullback,
  record,
  release,
  type Trace,
  withActiveTraces,
} from "./trace.js";

/**
 * Which arguments to differentiate: one index (the gradient has that argument's type) or
 * a list of indices (the gradient is a tuple, one entry per index, in the order given).
 */
export type Argnums = number | readonly number[];

/** The type of the gradient with respect to `argnums` of a function taking `Args`. */
export type GradientsOf<Args extends readonly unknown[], A extends Argnums> = A extends number
  ? Args[A]
  : { -readonly [K in keyof A]: Args[A[K] & number] };

/** Options of {@link grad} and {@link valueAndGrad}. */
export interface GradOptions {
  /** The argument(s) to differentiate with respect to. Default `0`. */
  readonly argnums?: Argnums;
  /**
   * When true, the function returns `[value, aux]`: `value` is differentiated, `aux` (any
   * value, e.g. metrics or new batch-norm statistics) is passed through. Default false.
   */
  readonly hasAux?: boolean;
}

/** Differentiated arguments taken apart, the function's result, and the trace of the call. */
interface TracedCall {
  readonly trace: Trace;
  readonly result: unknown;
  /** Per differentiated argument, the trace's input tensors (fresh aliases of the leaves). */
  readonly inputs: readonly (readonly Tensor[])[];
  readonly trees: readonly FlatTree<unknown>[];
}

function argnumList(transform: string, argnums: Argnums, argumentCount: number): number[] {
  const list = typeof argnums === "number" ? [argnums] : [...argnums];
  for (const index of list) {
    if (!Number.isInteger(index) || index < 0 || index >= argumentCount) {
      throw new RangeError(
        `${transform}: argnums [${list}] do not fit a call with ${argumentCount} argument(s)`,
      );
    }
  }
  if (new Set(list).size !== list.length) {
    throw new RangeError(`${transform}: argnums [${list}] repeat an index`);
  }
  return list;
}

/** Every Tensor inside an arbitrary value (aux may hold anything), for `release`. */
function tensorsWithin(value: unknown, found: Tensor[] = []): Tensor[] {
  if (value instanceof Tensor) found.push(value);
  else if (Array.isArray(value)) for (const item of value) tensorsWithin(item, found);
  else if (typeof value === "object" && value !== null) {
    for (const item of Object.values(value)) tensorsWithin(item, found);
  }
  return found;
}

/**
 * Calls `f(...args)` under a new trace whose inputs are fresh aliases of the leaves of the
 * arguments listed in `argnums`.
 */
function traceCall(
  transform: string,
  f: (...args: never[]) => unknown,
  args: readonly unknown[],
  argnums: readonly number[],
): TracedCall {
  const trees = argnums.map((index) => {
    const tree = treeFlatten(args[index], `${transform}: argument ${index}`);
    tree.leaves.forEach((leaf, i) => {
      if (leaf.dtype === "int32") {
        throw new TypeError(
          `${transform}: ${locate(`argument ${index}`, tree.paths[i]!)} is an int32 Tensor, ` +
            "which is not differentiable; cast it to a float dtype, or leave it out of argnums",
        );
      }
    });
    return tree;
  });
  // Aliases give this trace inputs no other trace has seen; `reshape` records the alias in
  // any enclosing trace that knows the leaf, so gradients flow on to it.
  const inputs = trees.map((tree) => tree.leaves.map((leaf) => reshape(leaf, leaf.shape)));
  const trace = openTrace(transform);
  for (const leaves of inputs) for (const x of leaves) addInput(trace, x);
  const tracedArgs = [...args];
  argnums.forEach((index, k) => {
    tracedArgs[index] = trees[k]!.unflatten(inputs[k]!);
  });
  let result: unknown;
  try {
    result = f(...(tracedArgs as never[]));
  } finally {
    closeTrace(trace, "ended");
  }
  if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function") {
    throw new TypeError(
      `${transform}: the function returned a Promise; differentiated functions must be synchronous`,
    );
  }
  release(trace, tensorsWithin(result));
  return { trace, result, inputs, trees };
}

/**
 * Runs the backward pass of a finished call: the cotangents of its inputs, per
 * differentiated argument, rebuilt into the arguments' structures.
 */
function pullBack(
  call: TracedCall,
  outputs: readonly Tensor[],
  cotangents: readonly Tensor[],
): unknown[] {
  const { trace } = call;
  trace.state = "differentiating";
  let flat: Tensor[];
  try {
    flat = backpropagate(trace, outputs, cotangents, call.inputs.flat());
  } finally {
    trace.state = "ended";
  }
  release(trace, flat);
  let next = 0;
  return call.trees.map((tree) => tree.unflatten(flat.slice(next, (next += tree.leaves.length))));
}

function scalarOutput(transform: string, result: unknown, hasAux: boolean): [Tensor, unknown] {
  let value = result;
  let aux: unknown;
  if (hasAux) {
    if (!Array.isArray(result) || result.length !== 2) {
      throw new TypeError(
        `${transform}: with hasAux: true the function must return [value, aux], got ` +
          (Array.isArray(result) ? `an array of length ${result.length}` : describeValue(result)),
      );
    }
    [value, aux] = result;
  }
  const what = hasAux ? "the value (first element of [value, aux])" : "the function's result";
  if (!(value instanceof Tensor)) {
    throw new TypeError(
      `${transform}: ${what} must be a scalar Tensor, got ${describeValue(value)}`,
    );
  }
  if (value.rank !== 0) {
    throw new TypeError(
      `${transform}: ${what} must be a scalar (shape []), got shape ${formatShape(value.shape)}; ` +
        "reduce it (sum, mean) or use vjp for a non-scalar output",
    );
  }
  if (value.dtype === "int32") {
    throw new TypeError(`${transform}: ${what} is an int32 Tensor, which is not differentiable`);
  }
  return [value, aux];
}

/** Shared by `grad` and `valueAndGrad`: value, aux and gradients of one call. */
function differentiate(
  transform: string,
  f: (...args: never[]) => unknown,
  options: GradOptions,
  args: readonly unknown[],
): [value: Tensor, aux: unknown, gradients: unknown] {
  const argnums = options.argnums ?? 0;
  const call = traceCall(transform, f, args, argnumList(transform, argnums, args.length));
  const [value, aux] = scalarOutput(transform, call.result, options.hasAux ?? false);
  const gradients = pullBack(call, [value], [onesLike(value)]);
  return [value, aux, typeof argnums === "number" ? gradients[0] : gradients];
}

/**
 * The gradient of a scalar-valued function: `grad(f)(...args)` is ∂f/∂args[0], with the
 * same structure and TypeScript type as `args[0]` (a tensor or a pytree of tensors).
 *
 * `f` is an ordinary function of tensors written with this package's ops. It is run once
 * per call, eagerly; its ops are recorded and replayed backwards. Gradients of gradients
 * work (`grad(grad(f))`), and `f` may call `grad` itself.
 *
 * @param f - returns a scalar (shape `[]`) float Tensor, or `[value, aux]` with `hasAux`.
 * @param options - `argnums` picks the argument(s) to differentiate; `hasAux` passes an
 *   auxiliary result through, and the call then returns `[gradients, aux]`.
 * @returns a function of the same arguments as `f` returning the gradient(s).
 * @throws TypeError (when called) if the result is not a scalar float Tensor, a
 *   differentiated argument holds a leaf that is not a Tensor or is int32 (the message
 *   names the argument and path), or `f` returns a Promise. RangeError for bad `argnums`.
 * @example
 * const f = (w: Tensor) => sum(square(w));
 * grad(f)(tensor([1, 2])); // [2, 4]
 * grad((p: { w: Tensor; b: Tensor }, x: Tensor) => sum(add(mul(p.w, x), p.b)))(params, x); // { w, b }
 */
export function grad<Args extends unknown[]>(
  f: (...args: Args) => Tensor,
): (...args: Args) => Args[0];
export function grad<Args extends unknown[], const A extends Argnums>(
  f: (...args: Args) => Tensor,
  options: { readonly argnums: A; readonly hasAux?: false },
): (...args: Args) => GradientsOf<Args, A>;
export function grad<Args extends unknown[], Aux, const A extends Argnums = 0>(
  f: (...args: Args) => readonly [Tensor, Aux],
  options: { readonly argnums?: A; readonly hasAux: true },
): (...args: Args) => [GradientsOf<Args, A>, Aux];
export function grad(
  f: (...args: never[]) => unknown,
  options: GradOptions = {},
): (...args: unknown[]) => unknown {
  return (...args) => {
    const [, aux, gradients] = differentiate("grad", f, options, args);
    return options.hasAux ? [gradients, aux] : gradients;
  };
}

/**
 * Like {@link grad}, but returns the value with the gradient: `[value, gradients]`, or
 * `[[value, aux], gradients]` with `hasAux: true`. One forward and one backward pass.
 *
 * @throws TypeError / RangeError as {@link grad}.
 * @example
 * const [loss, grads] = valueAndGrad(cost)(params, batch);
 * const [[loss2, stats], grads2] = valueAndGrad(costWithStats, { hasAux: true })(params, batch);
 */
export function valueAndGrad<Args extends unknown[]>(
  f: (...args: Args) => Tensor,
): (...args: Args) => [Tensor, Args[0]];
export function valueAndGrad<Args extends unknown[], const A extends Argnums>(
  f: (...args: Args) => Tensor,
  options: { readonly argnums: A; readonly hasAux?: false },
): (...args: Args) => [Tensor, GradientsOf<Args, A>];
export function valueAndGrad<Args extends unknown[], Aux, const A extends Argnums = 0>(
  f: (...args: Args) => readonly [Tensor, Aux],
  options: { readonly argnums?: A; readonly hasAux: true },
): (...args: Args) => [[Tensor, Aux], GradientsOf<Args, A>];
export function valueAndGrad(
  f: (...args: never[]) => unknown,
  options: GradOptions = {},
): (...args: unknown[]) => unknown {
  return (...args) => {
    const [value, aux, gradients] = differentiate("valueAndGrad", f, options, args);
    return options.hasAux ? [[value, aux], gradients] : [value, gradients];
  };
}

/**
 * Reverse mode in general: evaluates `f(...primals)` and returns its output with a
 * pullback that maps a cotangent of the output (same structure, shapes and dtypes) to the
 * cotangents of every primal, as a tuple in argument order.
 *
 * The output may be any pytree of tensors (not only a scalar). The pullback may be called
 * any number of times; it holds the recorded computation until it is garbage-collected.
 *
 * @throws TypeError when a primal or the output is not a pytree of tensors or a primal
 *   leaf is int32; the pullback throws when the cotangent's structure, shapes or dtypes
 *   differ from the output's (naming the path).
 * @example
 * const [y, pullback] = vjp((a: Tensor, b: Tensor) => matmul(a, b), a, b);
 * const [da, db] = pullback(onesLike(y)); // da = 1·bᵀ, db = aᵀ·1
 */
export function vjp<Args extends unknown[], Out>(
  f: (...args: Args) => Out,
  ...primals: Args
): [output: Out, pullback: (cotangent: Out) => Args] {
  const call = traceCall(
    "vjp",
    f as (...args: never[]) => unknown,
    primals,
    primals.map((_, i) => i),
  );
  const output = treeFlatten(call.result, "vjp: the function's output");
  const pullback = (cotangent: Out): Args => {
    const given = treeFlatten(cotangent, "vjp pullback: the cotangent");
    assertSameStructure(output.paths, given.paths, "vjp pullback: the cotangent");
    given.leaves.forEach((c, i) => {
      const y = output.leaves[i]!;
      if (!shapesEqual(c.shape, y.shape) || c.dtype !== y.dtype) {
        throw new TypeError(
          `vjp pullback: ${locate("the cotangent", given.paths[i]!)} is ${c.dtype} ` +
            `${formatShape(c.shape)}, but the output there is ${y.dtype} ${formatShape(y.shape)}`,
        );
      }
    });
    return pullBack(call, output.leaves, given.leaves) as Args;
  };
  return [call.result as Out, pullback];
}

/**
 * The same values with no derivative: gradients do not flow through the result. Accepts
 * a tensor or a pytree of tensors. Outside any trace it returns its argument unchanged.
 *
 * @example
 * // A straight-through estimator: the forward value is round(x), the gradient that of x.
 * const y = add(x, stopGradient(sub(round(x), x)));
 */
export function stopGradient<T>(tree: T): T {
  if (!isTracing()) return tree;
  const { leaves, unflatten } = treeFlatten(tree, "stopGradient");
  return unflatten(leaves.map((x) => (isTraced(x) ? freshAlias(x) : x)));
}

/** Options of {@link customVjp}. */
export interface CustomVjpOptions {
  /** Names the op in error messages. Default: `forward.name`, else `"customVjp"`. */
  readonly name?: string;
}

/**
 * Defines a differentiable function with a hand-written VJP, for numerics or speed (a
 * fused, stable softmax cross-entropy; a clipped gradient; a straight-through estimator).
 *
 * - `forward(...args)` computes the output and whatever the VJP needs:
 *   `[output, residuals]`. Arguments and output are tensors or pytrees of tensors;
 *   residuals may be anything. Constants (hyper-parameters, labels) are best closed over
 *   or passed in a differentiated argument's place and given a null cotangent.
 * - `backward(residuals, cotangent)` receives the output's cotangent (same structure as
 *   the output; zeros for parts that received none) and returns one cotangent per
 *   argument, each with that argument's structure, shapes and dtypes, or `null` for "no
 *   gradient".
 *
 * The result is an ordinary differentiable function. Under one level of differentiation
 * the rule replaces autodiff of `forward`. Under nested levels (`grad(grad(...))`) the
 * innermost level uses the rule, and outer levels differentiate `forward` and `backward`
 * themselves, so write `backward` with this package's ops on the residuals (the same
 * semantics as `jax.custom_vjp`).
 *
 * @throws TypeError (when the VJP runs) if `backward` returns the wrong number of
 *   cotangents or one whose structure, shape or dtype differs from its argument's.
 * @example
 * const softmaxCrossEntropy = customVjp(
 *   (logits: Tensor, labels: Tensor) => {
 *     const logProbabilities = logSoftmax(logits);
 *     const n = logits.shape[0]!;
 *     const loss = neg(div(sum(mul(labels, logProbabilities)), n));
 *     return [loss, { probabilities: exp(logProbabilities), labels, n }];
 *   },
 *   ({ probabilities, labels, n }, g) => [mul(g, div(sub(probabilities, labels), n)), null],
 * );
 */
export function customVjp<Args extends unknown[], Out, Residuals>(
  forward: (...args: Args) => readonly [Out, Residuals],
  backward: (
    residuals: Residuals,
    cotangent: Out,
  ) => { readonly [K in keyof Args]: Args[K] | null },
  options: CustomVjpOptions = {},
): (...args: Args) => Out {
  const name = options.name ?? (forward.name || "customVjp");
  const run = (args: Args): readonly [Out, Residuals] => {
    const result = forward(...args);
    if (!Array.isArray(result) || result.length !== 2) {
      throw new TypeError(
        `${name}: forward must return [output, residuals], got ${describeValue(result)}`,
      );
    }
    return result;
  };
  return (...args) => {
    if (!isTracing()) return run(args)[0];
    const argumentTrees = args.map((arg, i) => treeFlatten(arg, `${name}: argument ${i}`));
    const inputs = argumentTrees.flatMap((tree) => tree.leaves);
    checkNotEscaped(name, inputs);
    const traces = activeTraces();
    let level = traces.length - 1;
    while (level >= 0 && !inputs.some((x) => traces[level]!.traced.has(x))) level--;
    if (level === -1) return run(args)[0];
    // Below the recording level the forward is ordinary code: outer traces record its ops.
    const below = traces.slice(0, level);
    const [output, residuals] = withActiveTraces(below, () => run(args));
    const outputTree = treeFlatten(output, `${name}: forward's output`);
    const outputs = outputTree.leaves.map((y, i) =>
      inputs.includes(y) || outputTree.leaves.indexOf(y) !== i
        ? withActiveTraces(below, () => reshape(y, y.shape))
        : y,
    );
    const pullback: Pullback = (cotangents) =>
      flattenCotangents(
        name,
        argumentTrees,
        backward(residuals, outputTree.unflatten(cotangents)) as readonly unknown[],
      );
    record(name, inputs, outputs, pullback, [traces[level]!]);
    return outputTree.unflatten(outputs);
  };
}

/** Checks what a custom `backward` returned and lists its cotangents leaf by leaf. */
function flattenCotangents(
  name: string,
  argumentTrees: readonly FlatTree<unknown>[],
  returned: readonly unknown[],
): (Tensor | null)[] {
  if (!Array.isArray(returned) || returned.length !== argumentTrees.length) {
    throw new TypeError(
      `${name}: backward must return an array of ${argumentTrees.length} cotangent(s), one per ` +
        `argument, got ${Array.isArray(returned) ? `${returned.length}` : describeValue(returned)}`,
    );
  }
  return argumentTrees.flatMap((tree, i) => {
    if (returned[i] === null) return tree.leaves.map(() => null);
    const what = `${name}: backward's cotangent for argument ${i}`;
    const given = treeFlatten(returned[i], what);
    assertSameStructure(tree.paths, given.paths, what);
    return given.leaves.map((c, j) => {
      const x = tree.leaves[j]!;
      if (!shapesEqual(c.shape, x.shape) || c.dtype !== x.dtype) {
        throw new TypeError(
          `${locate(what, given.paths[j]!)} is ${c.dtype} ${formatShape(c.shape)}, ` +
            `but the argument there is ${x.dtype} ${formatShape(x.shape)}`,
        );
      }
      return c;
    });
  });
}
