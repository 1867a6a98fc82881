import { cpuBackend } from "./cpu/backend";
import type { DType, FloatDType, TypedArray } from "./dtype";
import type { Shape } from "./shape";

/**
 * A backend's handle on a tensor's elements. Opaque on purpose: on the CPU it is a typed
 * array, on a GPU backend it may be a texture or buffer. Only the owning backend looks inside.
 */
export type Storage = { readonly __storage: "owned by a backend" };

/** Every unary op, in one list so tests can check each has a reference. */
export const unaryOps = [
  "neg",
  "exp",
  "log",
  "sqrt",
  "abs",
  "sign",
  "square",
  "reciprocal",
  "tanh",
  "sigmoid",
  "relu",
] as const;

/** Elementwise ops of one operand; see the op functions of the same names. */
export type UnaryOp = (typeof unaryOps)[number];

/** Every binary op, in one list so tests can check each has a reference. */
export const binaryOps = [
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "maximum",
  "minimum",
  "equal",
  "notEqual",
  "greater",
  "greaterEqual",
  "less",
  "lessEqual",
] as const;

/** Elementwise ops of two broadcast operands; comparisons give 1/0 in the operands' dtype. */
export type BinaryOp = (typeof binaryOps)[number];

/** Every reduction, in one list so tests can check each has a reference. */
export const reduceOps = [
  "sum",
  "mean",
  "max",
  "min",
  "argmax",
  "logSumExp",
  "sumOfSquares",
] as const;

/** Reductions over one contiguous run of axes; `argmax` yields int32, the others keep the dtype. */
export type ReduceOp = (typeof reduceOps)[number];

/**
 * The narrow connector between ops and hardware. Ops validate, compute output shapes and
 * strides, and call exactly one of these methods; a backend never sees a `Tensor`.
 * Every kernel returns fresh storage and never writes into its inputs. Storage is dense and
 * row-major; `strides` in descriptors are element strides into an input's storage, with 0
 * along broadcast axes.
 */
export interface Backend {
  /** Identifies the backend in messages: `"cpu"`, `"wasm"`, `"gpu:webgpu"`, ... */
  readonly name: string;
  /** Wraps `data` as storage; the backend takes ownership, so the caller must not keep it. */
  fromTypedArray(data: TypedArray, dtype: DType): Storage;
  /** A fresh row-major copy of the first `size` elements. */
  read(storage: Storage, dtype: DType, size: number): TypedArray;
  /** `out[i] = op(x[i])` over `size` elements of `dtype`. */
  unary(op: UnaryOp, x: Storage, descriptor: { dtype: DType; size: number }): Storage;
  /** `out[index] = op(a[index · aStrides], b[index · bStrides])` over `shape`. */
  binary(
    op: BinaryOp,
    a: Storage,
    b: Storage,
    descriptor: {
      dtype: DType;
      shape: Shape;
      aStrides: readonly number[];
      bStrides: readonly number[];
    },
  ): Storage;
  /** `cond ≠ 0 ? a : b`, each operand read through its strides over `shape`. */
  where(
    cond: Storage,
    a: Storage,
    b: Storage,
    descriptor: {
      conditionDType: DType;
      dtype: DType;
      shape: Shape;
      conditionStrides: readonly number[];
      aStrides: readonly number[];
      bStrides: readonly number[];
    },
  ): Storage;
  /**
   * Reduces `x`, viewed as `[outer, reduceSize, inner]`, over its middle axis into
   * `[outer, inner]`. The CPU backend accumulates floats in float64 and rounds once; the GPU
   * backends accumulate in float32.
   */
  reduce(
    op: ReduceOp,
    x: Storage,
    descriptor: { dtype: DType; outer: number; reduceSize: number; inner: number },
  ): Storage;
  /** `[m, n]` product of `op(a)` `[m, k]` and `op(b)` `[k, n]`, where `op` transposes if asked. */
  matmul(
    a: Storage,
    b: Storage,
    descriptor: {
      dtype: FloatDType;
      m: number;
      k: number;
      n: number;
      transposeA: boolean;
      transposeB: boolean;
    },
  ): Storage;
  /**
   * `alpha·x + beta·y` over `size` elements of two dense float operands of `dtype`, each
   * product rounded to `dtype`, then the sum: what `mul`, `mul` and `add` give, in one pass.
   */
  axpby(
    x: Storage,
    y: Storage,
    descriptor: { dtype: FloatDType; size: number; alpha: number; beta: number },
  ): Storage;
  /**
   * The view `x[offset + index · strides]` over `shape` as dense storage: a copy, or `x`'s own
   * storage shared when the view is already dense (storage is never written after creation).
   */
  copyStrided(
    x: Storage,
    descriptor: { dtype: DType; shape: Shape; strides: readonly number[]; offset: number },
  ): Storage;
  /** Joins parts viewed as `[outer, inners[i]]` along their second axis. */
  concat(
    parts: readonly Storage[],
    descriptor: { dtype: DType; outer: number; inners: readonly number[] },
  ): Storage;
  /**
   * Gathers `x` viewed as `[outer, axisSize, inner]` at int32 `indices` (already checked to lie
   * in `[0, axisSize)`) into `[outer, indexCount, inner]`.
   */
  take(
    x: Storage,
    indices: Storage,
    descriptor: {
      dtype: DType;
      outer: number;
      axisSize: number;
      inner: number;
      indexCount: number;
    },
  ): Storage;
  /** Converts `size` elements; float to int32 truncates toward zero (NaN becomes 0). */
  cast(x: Storage, descriptor: { from: DType; to: DType; size: number }): Storage;
}

let current: Backend = cpuBackend;

/** The backend that creation and random functions allocate on (the CPU backend by default). */
export function getBackend(): Backend {
  return current;
}

/**
 * Makes `backend` the one new tensors are created on. Existing tensors keep their backend;
 * ops on tensors of different backends throw.
 */
export function setBackend(backend: Backend): void {
  current = backend;
}
