import { type Backend, getBackend } from "../backend";
import { allocate, checkDType, type DType, dtypeOfArray, type TypedArray } from "../dtype";
import { formatShape, product, type Shape, validateShape } from "../shape";
import { checkTensor, makeTensor, type NestedArray, storageOf, type Tensor } from "../tensor";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Throws unless `value` is a number representable in `dtype` without silent rounding. */
export function checkValue(op: string, value: unknown, dtype: DType): asserts value is number {
  if (typeof value !== "number") throw new TypeError(`${op}: ${String(value)} is not a number`);
  if (dtype === "int32" && !(Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX)) {
    throw new RangeError(`${op}: ${value} is not an int32 value`);
  }
}

/** Wraps `data` (ownership passes to the backend) as a tensor on `backend` (the current one). */
export function fromOwnedArray(
  data: TypedArray,
  shape: Shape,
  dtype: DType,
  backend: Backend = getBackend(),
): Tensor {
  return makeTensor(backend, backend.fromTypedArray(data, dtype), shape, dtype);
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0]!;
  }
  return shape;
}

/**
 * A tensor from nested arrays of numbers (shape inferred, must be rectangular) or from a typed
 * array (1-D). The data is copied. Default dtype: float32 for nested arrays, the array's own
 * dtype for typed arrays.
 * @throws RangeError for ragged arrays or, with int32, values that are not int32 integers.
 * @example tensor([[1, 2, 3], [4, 5, 6]]) // float32, shape [2,3]
 */
export function tensor(data: NestedArray | TypedArray, dtype?: DType): Tensor {
  if (ArrayBuffer.isView(data)) {
    const source = data as TypedArray;
    const sourceDType = dtypeOfArray("tensor", source);
    const target = dtype ?? sourceDType;
    checkDType("tensor", target);
    if (target === "int32" && sourceDType !== "int32")
      for (const v of source) checkValue("tensor", v, target);
    const copy = allocate(target, source.length);
    copy.set(source);
    return fromOwnedArray(copy, [source.length], target);
  }
  const target = dtype ?? "float32";
  checkDType("tensor", target);
  const shape = inferShape(data);
  const out = allocate(target, product(shape));
  let position = 0;
  const fill = (value: NestedArray, axis: number): void => {
    if (axis === shape.length) {
      if (Array.isArray(value)) {
        throw new RangeError(`tensor: ragged nested array (expected shape ${formatShape(shape)})`);
      }
      checkValue("tensor", value, target);
      out[position++] = value;
      return;
    }
    if (!Array.isArray(value) || value.length !== shape[axis]) {
      throw new RangeError(`tensor: ragged nested array (expected shape ${formatShape(shape)})`);
    }
    for (const element of value) fill(element, axis + 1);
  };
  fill(data, 0);
  return fromOwnedArray(out, Object.freeze(shape), target);
}

/**
 * A tensor of the given shape holding a copy of `data` (row-major); the dtype is the array's.
 * @throws RangeError when `data.length` differs from the shape's size.
 */
export function fromTypedArray(data: TypedArray, shape: Shape): Tensor {
  const dtype = dtypeOfArray("fromTypedArray", data);
  const checked = validateShape("fromTypedArray", shape);
  if (product(checked) !== data.length) {
    throw new RangeError(
      `fromTypedArray: ${data.length} elements cannot fill shape ${formatShape(checked)}`,
    );
  }
  return fromOwnedArray(data.slice(), checked, dtype);
}

function filled(op: string, shape: Shape, value: number, dtype: DType): Tensor {
  const checked = validateShape(op, shape);
  checkDType(op, dtype);
  checkValue(op, value, dtype);
  const data = allocate(dtype, product(checked));
  if (value !== 0) data.fill(value);
  return fromOwnedArray(data, checked, dtype);
}

/** A rank-0 tensor holding `value` (default dtype float32). */
export function scalar(value: number, dtype: DType = "float32"): Tensor {
  return filled("scalar", [], value, dtype);
}

/**
 * A tensor of `shape` with every element `value` (default dtype float32).
 * @throws RangeError for an invalid shape, or a non-integer `value` with int32.
 */
export function full(shape: Shape, value: number, dtype: DType = "float32"): Tensor {
  return filled("full", shape, value, dtype);
}

/** A tensor of zeros (default dtype float32). @throws RangeError for an invalid shape. */
export function zeros(shape: Shape, dtype: DType = "float32"): Tensor {
  return filled("zeros", shape, 0, dtype);
}

/** A tensor of ones (default dtype float32). @throws RangeError for an invalid shape. */
export function ones(shape: Shape, dtype: DType = "float32"): Tensor {
  return filled("ones", shape, 1, dtype);
}

/** Zeros with the shape of `x` and its dtype unless `dtype` is given. */
export function zerosLike(x: Tensor, dtype?: DType): Tensor {
  checkTensor("zerosLike", x);
  return filled("zerosLike", x.shape, 0, dtype ?? x.dtype);
}

/** Ones with the shape of `x` and its dtype unless `dtype` is given. */
export function onesLike(x: Tensor, dtype?: DType): Tensor {
  checkTensor("onesLike", x);
  return filled("onesLike", x.shape, 1, dtype ?? x.dtype);
}

/** `value` everywhere, with the shape of `x` and its dtype unless `dtype` is given. */
export function fullLike(x: Tensor, value: number, dtype?: DType): Tensor {
  checkTensor("fullLike", x);
  return filled("fullLike", x.shape, value, dtype ?? x.dtype);
}

/**
 * Evenly spaced values `start, start + step, ...` below `stop` (above it for a negative step),
 * like numpy's arange. `arange(stop)` starts at 0. Default dtype float32.
 * @throws RangeError for a zero or non-finite step or non-finite bounds.
 * @example arange(1, 7, 2).toArray() // [1, 3, 5]
 */
export function arange(stop: number): Tensor;
export function arange(start: number, stop: number, step?: number, dtype?: DType): Tensor;
export function arange(
  startOrStop: number,
  stop?: number,
  step = 1,
  dtype: DType = "float32",
): Tensor {
  const [start, end] = stop === undefined ? [0, startOrStop] : [startOrStop, stop];
  checkDType("arange", dtype);
  if (![start, end, step].every(Number.isFinite) || step === 0) {
    throw new RangeError(`arange: invalid range start ${start}, stop ${end}, step ${step}`);
  }
  if (dtype === "int32") for (const value of [start, step]) checkValue("arange", value, dtype);
  const length = Math.max(0, Math.ceil((end - start) / step));
  const data = allocate(dtype, length);
  for (let i = 0; i < length; i++) data[i] = start + i * step;
  return fromOwnedArray(data, [length], dtype);
}

/**
 * The `[n, m]` identity matrix: ones on the main diagonal (m defaults to n).
 * @throws RangeError for negative or non-integer sizes.
 */
export function eye(n: number, m: number = n, dtype: DType = "float32"): Tensor {
  const shape = validateShape("eye", [n, m]);
  checkDType("eye", dtype);
  const data = allocate(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return fromOwnedArray(data, shape, dtype);
}

/**
 * `x` converted to `dtype` (returns `x` itself when the dtype already matches: tensors are
 * immutable). Float to int32 truncates toward zero; NaN and ±∞ become 0 and values beyond the
 * int32 range wrap modulo 2³², as typed-array stores do.
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor("cast", x);
  checkDType("cast", dtype);
  if (x.dtype === dtype) return x;
  const storage = x.backend.cast(storageOf(x), { from: x.dtype, to: dtype, size: x.size });
  return makeTensor(x.backend, storage, x.shape, dtype);
}

/** A copy of `x` whose storage lives on `backend` (reads it back and uploads it). */
export function toBackend(x: Tensor, backend: Backend): Tensor {
  checkTensor("toBackend", x);
  if (x.backend === backend) return x;
  return makeTensor(backend, backend.fromTypedArray(x.toTypedArray(), x.dtype), x.shape, x.dtype);
}
