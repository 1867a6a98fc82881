/**
 * The backward pass: walks a trace's tape in reverse and accumulates cotangents in one
 * table. It uses the differentiable ops, so when it runs inside an enclosing trace it is
 * recorded there like any other computation.
 *
 * @module
 */
import { formatShape, type Shape, shapesEqual, type Tensor, zerosLike } from "@puregrad/tensor";
import { add, reshape, sum } from "./primitives.js";
import type { Trace } from "./trace.js";

/**
 * Sums a cotangent of a broadcast result back to the shape of the operand that was
 * broadcast. This is the only place broadcasting is undone: rules return cotangents of
 * the output's shape and the engine calls this for every input.
 *
 * @throws Error when `cotangent` could not have come from broadcasting `shape` (a bug in
 *   a VJP rule), naming the op.
 */
export function unbroadcast(cotangent: Tensor, shape: Shape, op: string): Tensor {
  if (shapesEqual(cotangent.shape, shape)) return cotangent;
  const mismatch = () =>
    new Error(
      `autograd internal error: the VJP of ${op} returned a cotangent of shape ` +
        `${formatShape(cotangent.shape)} for an operand of shape ${formatShape(shape)}`,
    );
  const leading = cotangent.rank - shape.length;
  if (leading < 0) throw mismatch();
  const axes: number[] = [];
  for (let axis = 0; axis < cotangent.rank; axis++) {
    const size = axis < leading ? 1 : shape[axis - leading]!;
    if (size === cotangent.shape[axis]) continue;
    if (size !== 1) throw mismatch();
    axes.push(axis);
  }
  return reshape(sum(cotangent, { axis: axes, keepDims: true }), shape);
}

/**
 * Runs the backward pass of `trace` from `outputs` seeded with `cotangents` and returns
 * the accumulated cotangent of each of `wrt` (zeros where nothing flowed back).
 *
 * The tape is in execution order, a topological order, so one reverse sweep visits every
 * node after all of its consumers; nodes no cotangent reached are skipped.
 */
export function backpropagate(
  trace: Trace,
  outputs: readonly Tensor[],
  cotangents: readonly Tensor[],
  wrt: readonly Tensor[],
): Tensor[] {
  const table = new Map<Tensor, Tensor>();
  const accumulate = (x: Tensor, cotangent: Tensor): void => {
    const previous = table.get(x);
    table.set(x, previous === undefined ? cotangent : add(previous, cotangent));
  };
  outputs.forEach((y, i) => {
    if (trace.traced.has(y)) accumulate(y, cotangents[i]!);
  });
  for (let n = trace.tape.length - 1; n >= 0; n--) {
    const node = trace.tape[n]!;
    const received = node.outputs.map((y) => table.get(y));
    if (received.every((c) => c === undefined)) continue;
    // A node's outputs are consumed only by later nodes, all visited: free their entries.
    for (const y of node.outputs) table.delete(y);
    const inputCotangents = node.pullback(
      received.map((c, i) => c ?? zerosLike(node.outputs[i]!)),
      node.needs,
    );
    node.inputs.forEach((x, i) => {
      const cotangent = inputCotangents[i];
      if (!node.needs[i] || !cotangent || typeof x === "number") return;
      if (cotangent.dtype !== x.dtype) {
        throw new Error(
          `autograd internal error: the VJP of ${node.name} returned a ${cotangent.dtype} ` +
            `cotangent for a ${x.dtype} operand`,
        );
      }
      accumulate(x, unbroadcast(cotangent, x.shape, node.name));
    });
  }
  return wrt.map((x) => table.get(x) ?? zerosLike(x));
}
