/**
 * Pytrees: nested plain objects and arrays whose leaves are tensors. Model parameters,
 * gradients and optimizer states are pytrees, so the transforms flatten them to a list of
 * tensors, work on the list, and rebuild the same structure.
 *
 * @module
 */
import { Tensor } from "@puregrad/tensor";

/**
 * A nested structure of arrays and plain objects (prototype `Object.prototype` or `null`)
 * whose leaves are {@link Tensor}s. Numbers, `null`, `undefined`, class instances and
 * other objects are not pytree nodes.
 *
 * The transforms take their arguments as unconstrained generics (an `interface` has no
 * index signature, so it would not be assignable to this type); this alias documents the
 * shape they accept at run time.
 */
export type Pytree = Tensor | readonly Pytree[] | { readonly [key: string]: Pytree };

/** A pytree taken apart: its leaves in a fixed order, their paths, and the way back. */
export interface FlatTree<T> {
  /** The leaves, depth first, object keys in insertion order, arrays by index. */
  readonly leaves: readonly Tensor[];
  /** `paths[i]` locates `leaves[i]`, e.g. `layers[1].W`; `""` when the tree is one tensor. */
  readonly paths: readonly string[];
  /**
   * Rebuilds a tree of the same structure with new leaves (fresh arrays and objects).
   *
   * @throws Error when `leaves.length` differs from the number of leaves of the tree.
   */
  unflatten(leaves: readonly Tensor[]): T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

const identifier = /^[A-Za-z_$][\w$]*$/;

function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  if (!identifier.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === "" ? key : `${parent}.${key}`;
}

/** Describes a non-tensor value for an error message: "a number", "null", "a Map". */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value !== "object") return `a ${typeof value}`;
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return name ? `an instance of ${name}` : "an object";
}

/**
 * Where a leaf sits, for error messages: `"argument 0 at layers[1].W"` or `"argument 0"`.
 *
 * @param what - what the tree is, e.g. `"argument 0"`.
 * @param path - a path from {@link treeFlatten}.
 */
export function locate(what: string, path: string): string {
  return path === "" ? what : `${what} at ${path}`;
}

/**
 * Takes a pytree apart into its tensor leaves.
 *
 * @param tree - a pytree (see {@link Pytree}).
 * @param what - names the tree in error messages, e.g. `"grad: argument 0"`.
 * @returns the leaves, their paths, and `unflatten` to rebuild the structure.
 * @throws Error naming the path of the first leaf that is not a Tensor, e.g.
 *   `grad: argument 0 at layers[1].W is a number, not a Tensor`.
 * @example
 * const { leaves, paths, unflatten } = treeFlatten({ W: w, b: [b0, b1] });
 * // paths: ["W", "b[0]", "b[1]"]
 * const doubled = unflatten(leaves.map((x) => mul(x, 2)));
 */
export function treeFlatten<T>(tree: T, what = "pytree"): FlatTree<T> {
  const leaves: Tensor[] = [];
  const paths: string[] = [];
  const visit = (node: unknown, path: string): void => {
    if (node instanceof Tensor) {
      leaves.push(node);
      paths.push(path);
    } else if (Array.isArray(node)) {
      for (let index = 0; index < node.length; index++) visit(node[index], childPath(path, index));
    } else if (isPlainObject(node)) {
      for (const key of Object.keys(node)) visit(node[key], childPath(path, key));
    } else {
      throw new Error(`${locate(what, path)} is ${describeValue(node)}, not a Tensor`);
    }
  };
  visit(tree, "");
  const unflatten = (newLeaves: readonly Tensor[]): T => {
    if (newLeaves.length !== leaves.length) {
      throw new Error(
        `${what}: cannot rebuild a tree of ${leaves.length} leaves from ${newLeaves.length}`,
      );
    }
    let next = 0;
    const rebuild = (node: unknown): unknown => {
      if (node instanceof Tensor) return newLeaves[next++];
      if (Array.isArray(node)) return node.map(rebuild);
      const source = node as Record<string, unknown>;
      const copy: Record<string, unknown> = {};
      for (const key of Object.keys(source)) copy[key] = rebuild(source[key]);
      return copy;
    };
    return rebuild(tree) as T;
  };
  return { leaves, paths, unflatten };
}

/**
 * The tensor leaves of a pytree, in {@link treeFlatten} order.
 *
 * @throws Error naming the path of a leaf that is not a Tensor.
 */
export function treeLeaves(tree: unknown): readonly Tensor[] {
  return treeFlatten(tree, "treeLeaves").leaves;
}

/**
 * Applies `fn` leaf by leaf to one or more pytrees of the same structure and returns a
 * pytree of that structure: `treeMap((p, g) => sub(p, mul(g, 0.1)), params, grads)`.
 *
 * @param fn - receives the leaves at one path, one from each tree, and its path.
 * @param tree - the tree whose structure the result takes.
 * @param rest - further trees with exactly the same structure.
 * @throws Error when a leaf is not a Tensor or a tree's structure differs from `tree`'s
 *   (the message names the first differing path).
 */
export function treeMap<T>(
  fn: (leaf: Tensor, ...rest: Tensor[]) => Tensor,
  tree: T,
  ...rest: readonly T[]
): T {
  const flat = treeFlatten(tree, "treeMap: tree 0");
  const others = rest.map((other, index) => {
    const flatOther = treeFlatten(other, `treeMap: tree ${index + 1}`);
    assertSameStructure(flat.paths, flatOther.paths, `treeMap: tree ${index + 1}`);
    return flatOther.leaves;
  });
  return flat.unflatten(flat.leaves.map((leaf, i) => fn(leaf, ...others.map((o) => o[i]!))));
}

/**
 * Throws unless two flattened trees have the same paths.
 *
 * @param what - names the second tree in the message.
 */
export function assertSameStructure(
  expected: readonly string[],
  actual: readonly string[],
  what: string,
): void {
  const length = Math.max(expected.length, actual.length);
  for (let i = 0; i < length; i++) {
    if (expected[i] !== actual[i]) {
      const want = expected[i] === undefined ? "no leaf" : `a leaf at "${expected[i]}"`;
      const got = actual[i] === undefined ? "no leaf" : `a leaf at "${actual[i]}"`;
      throw new Error(
        `${what} has a different structure: leaf ${i} should be ${want}, found ${got}`,
      );
    }
  }
}
