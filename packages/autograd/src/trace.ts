/**
 * Tracing state: the stack of active traces and the tape each one records.
 *
 * A trace is opened by `grad`, `valueAndGrad` or `vjp` around one call of the user's
 * function. Tensors are plain immutable values, so a trace knows its tensors by identity:
 * its inputs and every output of an op that took one of its tensors. An op records a node
 * in every active trace that knows one of its operands, so while an outer trace is active
 * the inner trace's backward pass (written with the same differentiable ops) is recorded
 * by the outer one — that is all higher-order derivatives need.
 *
 * Nothing here outlives the call that opened the trace except through the pullback `vjp`
 * returns; a tensor only remembers (in a WeakMap) which trace computed it, to catch
 * tensors that escape a trace through a closure.
 *
 * @module
 */
import { formatShape, type Operand, type Tensor, reshape as tensorReshape } from "@puregrad/tensor";

/**
 * Maps the cotangents of a node's outputs (zeros where an output received none) to the
 * cotangents of its inputs. `needs[i]` says whether input `i` is traced; entries for the
 * others may be null and are not computed when the rule can avoid it.
 */
export type Pullback = (
  cotangents: readonly Tensor[],
  needs: readonly boolean[],
) => readonly (Tensor | null)[];

/** One recorded op application on a trace's tape. */
export interface Node {
  /** The op's name, for error messages. */
  readonly name: string;
  readonly inputs: readonly Operand[];
  readonly outputs: readonly Tensor[];
  /** `needs[i]`: `inputs[i]` is a tensor this trace knows, so it needs a cotangent. */
  readonly needs: readonly boolean[];
  readonly pullback: Pullback;
}

/**
 * `active`: on the stack, recording. `differentiating`: off the stack, its backward pass
 * running (its tensors may be used by the backward ops). `ended`: its tensors that were not
 * returned must no longer meet a traced op.
 */
export type TraceState = "active" | "differentiating" | "ended";

/** One level of differentiation: the tensors it knows and the nodes it recorded. */
export class Trace {
  state: TraceState = "active";
  /** Every tensor this trace knows: its inputs and the outputs of its nodes. */
  readonly traced = new Set<Tensor>();
  /** Nodes in the order they ran, which is a topological order. */
  readonly tape: Node[] = [];

  constructor(
    /** Sequence number, so messages can tell traces apart. */
    readonly id: number,
    /** The transform that opened it: "grad", "valueAndGrad" or "vjp". */
    readonly transform: string,
  ) {}

  toString(): string {
    return `${this.transform} trace #${this.id}`;
  }
}

/** Active traces, innermost last. Empty outside any transform: the hot path tests this. */
let stack: Trace[] = [];
/** The innermost trace that computed a tensor, for the escaped-tensor check. */
const birthplace = new WeakMap<Tensor, Trace>();
let tracesOpened = 0;

/** True while a transform is running the user's function (ops must be recorded). */
export function isTracing(): boolean {
  return stack.length !== 0;
}

/** Whether some active trace knows `x`. */
export function isTraced(x: Tensor): boolean {
  for (const trace of stack) if (trace.traced.has(x)) return true;
  return false;
}

/** Opens a trace and makes it the innermost one. */
export function openTrace(transform: string): Trace {
  const trace = new Trace(++tracesOpened, transform);
  stack.push(trace);
  return trace;
}

/**
 * Takes `trace` off the stack. It must be the innermost one, which the transforms
 * guarantee by closing in `finally`.
 */
export function closeTrace(trace: Trace, state: "differentiating" | "ended"): void {
  if (stack[stack.length - 1] !== trace) {
    throw new Error(`autograd internal error: ${trace} is not the innermost active trace`);
  }
  stack.pop();
  trace.state = state;
}

/** Makes `x` an input of `trace`. */
export function addInput(trace: Trace, x: Tensor): void {
  trace.traced.add(x);
  birthplace.set(x, trace);
}

/**
 * Marks tensors that leave `trace` legitimately (its function's result, its gradients) so
 * the escaped-tensor check accepts them later.
 */
export function release(trace: Trace, tensors: Iterable<Tensor>): void {
  for (const x of tensors) if (birthplace.get(x) === trace) birthplace.delete(x);
}

/**
 * The escaped-tensor check, run by every traced op before it computes.
 *
 * Rule: while some trace is active, an op may not take a tensor that (a) no active trace
 * knows and (b) was computed inside a trace that has ended and was not returned from it
 * (its function's result, aux, or gradients). Such a tensor reached the op through a
 * closure or an outer variable; using it as a constant would silently drop its dependence
 * on that trace's inputs. Outside any trace the check is skipped: no gradient is being
 * taken there, so the value is just a value.
 *
 * @throws Error naming the op, the operand and the trace it escaped from.
 */
export function checkNotEscaped(name: string, operands: readonly Operand[]): void {
  for (let i = 0; i < operands.length; i++) {
    const x = operands[i]!;
    if (typeof x === "number") continue;
    const origin = birthplace.get(x);
    if (origin === undefined || origin.state !== "ended" || isTraced(x)) continue;
    throw new Error(
      `${name}: operand ${i} (shape ${formatShape(x.shape)}) was computed inside ${origin}, which has ` +
        "ended, and reached this call through a closure or an outer variable, so its " +
        "dependence on that trace's inputs would be silently lost. Return it from the traced " +
        "function (e.g. as aux with hasAux: true) or compute it inside the function that uses it.",
    );
  }
}

/**
 * Records `outputs = op(inputs)` in each of `traces` that knows one of the inputs.
 * Integer outputs are never traced: they have no derivative.
 */
export function record(
  name: string,
  inputs: readonly Operand[],
  outputs: readonly Tensor[],
  pullback: Pullback,
  traces: readonly Trace[] = stack,
): void {
  const differentiable = outputs.filter((y) => y.dtype !== "int32");
  if (differentiable.length === 0) return;
  let innermost: Trace | undefined;
  for (const trace of traces) {
    let needs: boolean[] | undefined;
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i]!;
      if (typeof x !== "number" && trace.traced.has(x)) {
        needs ??= inputs.map(() => false);
        needs[i] = true;
      }
    }
    if (needs === undefined) continue;
    for (const y of differentiable) trace.traced.add(y);
    trace.tape.push({ name, inputs, outputs, needs, pullback });
    innermost = trace;
  }
  if (innermost !== undefined) for (const y of differentiable) birthplace.set(y, innermost);
}

/** The active traces, outermost first (a copy). */
export function activeTraces(): readonly Trace[] {
  return stack.slice();
}

/**
 * Runs `fn` with only `traces` active, restoring the stack afterwards. Used to run a
 * custom op's forward function below the trace that records it as one node.
 */
export function withActiveTraces<R>(traces: readonly Trace[], fn: () => R): R {
  const saved = stack;
  stack = traces.slice();
  try {
    return fn();
  } finally {
    stack = saved;
  }
}

/**
 * A new Tensor object with `x`'s contents. Traces key tensors by identity, so an op output
 * must never be the very object of one of its inputs, and a trace's inputs must be objects
 * no other trace has seen (that keeps nested derivatives from confusing each other's
 * variables).
 */
export function freshAlias(x: Tensor): Tensor {
  return tensorReshape(x, x.shape);
}
