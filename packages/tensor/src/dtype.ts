/** Element types a tensor can hold. Arithmetic on `int32` wraps modulo 2³², like C. */
export type DType = "float32" | "float64" | "int32";

/** The floating-point element types: required by transcendental ops, `div`, `mean` and `matmul`. */
export type FloatDType = "float32" | "float64";

/** The typed arrays that back each {@link DType}: `Float32Array`, `Float64Array`, `Int32Array`. */
export type TypedArray = Float32Array | Float64Array | Int32Array;

/** The typed arrays of the float dtypes: what the matmul and SIMD kernels work on. */
export type FloatArray = Float32Array | Float64Array;

const constructors = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
} as const;

/**
 * Whether `dtype` is a floating-point type.
 * @example isFloat("float64") // true
 */
export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === "float32" || dtype === "float64";
}

/** A zero-filled typed array of `dtype` with `size` elements. */
export function allocate(dtype: DType, size: number): TypedArray {
  return new constructors[dtype](size);
}

/** The dtype a typed array holds; throws a `TypeError` for other array types. */
export function dtypeOfArray(op: string, data: unknown): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  throw new TypeError(`${op}: expected a Float32Array, Float64Array or Int32Array`);
}

/** Throws unless `dtype` is one of the supported dtypes (guards calls from plain JavaScript). */
export function checkDType(op: string, dtype: unknown): asserts dtype is DType {
  if (dtype !== "float32" && dtype !== "float64" && dtype !== "int32") {
    throw new TypeError(`${op}: unknown dtype ${String(dtype)} (use float32, float64 or int32)`);
  }
}

/** Throws unless `dtype` is a float type: `exp: int32 tensors are not supported; ...`. */
export function requireFloat(op: string, dtype: DType): asserts dtype is FloatDType {
  if (!isFloat(dtype)) {
    throw new TypeError(
      `${op}: ${dtype} tensors are not supported; cast to float32 or float64 first`,
    );
  }
}

/** Throws unless both dtypes agree: `matmul: dtype mismatch float32 vs float64`. */
export function requireSameDType(op: string, a: DType, b: DType): void {
  if (a !== b) throw new TypeError(`${op}: dtype mismatch ${a} vs ${b}`);
}
