import type { Backend, Storage } from "./backend";
import type { DType, TypedArray } from "./dtype";
import { formatShape, product, type Shape } from "./shape";

/** A number or arbitrarily nested arrays of numbers: what {@link Tensor.toArray} returns. */
export type NestedArray = number | NestedArray[];

let createTensor: (backend: Backend, storage: Storage, shape: Shape, dtype: DType) => Tensor;
let storageOfTensor: (tensor: Tensor) => Storage;

/**
 * An immutable n-dimensional array of numbers: a shape, a dtype and storage owned by a backend.
 * No op writes into a tensor and none of its storage is exposed: `toArray` and `toTypedArray`
 * return copies. Create tensors with `tensor`, `zeros`, `uniform`, ...; transform them with the
 * free functions (`add`, `matmul`, `sum`, ...).
 */
export class Tensor {
  /** Extent of each axis, outermost first (frozen). */
  readonly shape: Shape;
  /** Element type. */
  readonly dtype: DType;
  /** Number of elements: the product of `shape` (1 for a scalar). */
  readonly size: number;
  /** Number of axes (0 for a scalar). */
  readonly rank: number;
  /** The backend that owns the storage and runs every op on this tensor. */
  readonly backend: Backend;
  readonly #storage: Storage;

  static {
    createTensor = (backend, storage, shape, dtype) => new Tensor(backend, storage, shape, dtype);
    storageOfTensor = (tensor) => tensor.#storage;
  }

  private constructor(backend: Backend, storage: Storage, shape: Shape, dtype: DType) {
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = product(shape);
    this.rank = shape.length;
    this.backend = backend;
    this.#storage = storage;
    Object.freeze(this);
  }

  /** A row-major copy of the elements in a typed array of the tensor's dtype. */
  toTypedArray(): TypedArray {
    return this.backend.read(this.#storage, this.dtype, this.size);
  }

  /**
   * The elements as nested JavaScript arrays (a plain number for a scalar).
   * @example tensor([[1, 2], [3, 4]]).toArray() // [[1, 2], [3, 4]]
   */
  toArray(): NestedArray {
    const data = this.toTypedArray();
    const shape = this.shape;
    let position = 0;
    const build = (axis: number): NestedArray => {
      if (axis === shape.length) return data[position++]!;
      return Array.from({ length: shape[axis]! }, () => build(axis + 1));
    };
    return build(0);
  }

  /**
   * The single element of a size-1 tensor (of any rank).
   * @throws RangeError when `size` is not 1.
   */
  item(): number {
    if (this.size !== 1) {
      throw new RangeError(
        `item: tensor of shape ${formatShape(this.shape)} has ${this.size} elements, expected 1`,
      );
    }
    return this.toTypedArray()[0]!;
  }

  /** `Tensor(float32, [2,2]) [[1,2],[3,4]]`, eliding the elements of tensors above 100. */
  toString(): string {
    const head = `Tensor(${this.dtype}, ${formatShape(this.shape)})`;
    return this.size > 100
      ? `${head} […${this.size} elements]`
      : `${head} ${JSON.stringify(this.toArray())}`;
  }
}

/** Wraps fresh storage as a tensor (internal: ops and creation functions only). */
export function makeTensor(backend: Backend, storage: Storage, shape: Shape, dtype: DType): Tensor {
  return createTensor(backend, storage, shape, dtype);
}

/** The storage behind a tensor (internal: ops pass it to their backend's kernels). */
export function storageOf(tensor: Tensor): Storage {
  return storageOfTensor(tensor);
}

/** Throws a `TypeError` naming `op` unless `value` is a Tensor. */
export function checkTensor(
  op: string,
  value: unknown,
  name = "argument",
): asserts value is Tensor {
  if (!(value instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor`);
}

/**
 * The backend shared by all of an op's inputs.
 * @throws Error when inputs live on different backends (nothing is moved silently).
 */
export function backendOf(op: string, tensors: readonly Tensor[]): Backend {
  const backend = tensors[0]!.backend;
  for (const other of tensors) {
    if (other.backend !== backend) {
      throw new Error(
        `${op}: tensors live on different backends (${backend.name} vs ${other.backend.name}); use toBackend first`,
      );
    }
  }
  return backend;
}
