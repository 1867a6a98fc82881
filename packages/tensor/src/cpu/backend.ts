import type { Backend, Storage } from "../backend";
import { allocate, type FloatArray, type TypedArray } from "../dtype";
import { product, stridesOf } from "../shape";
import {
  matmulInfo,
  wasmAxpby,
  wasmBinary,
  wasmMatmul,
  wasmReduce,
  wasmUnary,
} from "../wasm/index";
import { binaryLineKernel, unaryKernel } from "./elementwise";
import { blockedMatmul, type MatmulKernel } from "./matmul";
import { reduceInto } from "./reduce";
import { forEachLine, periodOf } from "./strided";

/** On the CPU, storage is the typed array itself, hidden behind the opaque type. */
const wrap = (data: TypedArray): Storage => data as unknown as Storage;
const unwrap = (storage: Storage): TypedArray => storage as unknown as TypedArray;

/**
 * `out[i] = α·x[i] + β·y[i]`, each product rounded to out's precision before the sum (float32:
 * `Math.fround`, with α and β rounded too), so that it equals `mul`, `mul` and `add`.
 */
function axpbyInto(
  alpha: number,
  x: FloatArray,
  beta: number,
  y: FloatArray,
  out: FloatArray,
  size: number,
): void {
  if (out instanceof Float32Array) {
    const a = Math.fround(alpha);
    const b = Math.fround(beta);
    for (let i = 0; i < size; i++) out[i] = Math.fround(a * x[i]!) + Math.fround(b * y[i]!);
  } else {
    for (let i = 0; i < size; i++) out[i] = alpha * x[i]! + beta * y[i]!;
  }
}

/** Options of {@link createCpuBackend}. */
export interface CpuBackendOptions {
  /** Backend name shown in messages (default `"cpu"`). */
  readonly name?: string;
  /** The matmul kernel to use instead of the built-in cache-blocked one (e.g. WASM SIMD). */
  readonly matmul?: MatmulKernel;
  /**
   * Whether large float32/float64 elementwise ops run on the WebAssembly SIMD kernels where they
   * load (default true; `elementwiseInfo` says which ops, from what size). False keeps every op
   * on the JavaScript loops, the reference they are tested and benchmarked against.
   */
  readonly simdElementwise?: boolean;
}

/**
 * Creates a CPU backend over JavaScript typed arrays. Pass `matmul` to plug in a faster
 * kernel with the {@link MatmulKernel} contract; everything else stays the same. Large float
 * elementwise ops run on WebAssembly SIMD kernels unless `simdElementwise` is false.
 */
export function createCpuBackend(options: CpuBackendOptions = {}): Backend {
  const matmulKernel = options.matmul ?? blockedMatmul;
  const simd = options.simdElementwise ?? true;
  return {
    name: options.name ?? "cpu",
    fromTypedArray: (data) => wrap(data),
    read: (storage, _dtype, size) => unwrap(storage).slice(0, size),
    unary(op, x, { dtype, size }) {
      const fast = simd ? wasmUnary(op, unwrap(x), size) : undefined;
      if (fast !== undefined) return wrap(fast);
      const out = allocate(dtype, size);
      unaryKernel(op, dtype)(unwrap(x), out, size);
      return wrap(out);
    },
    binary(op, a, b, { dtype, shape, aStrides, bStrides }) {
      const size = product(shape);
      const left = unwrap(a);
      const right = unwrap(b);
      const aPeriod = simd ? periodOf(shape, aStrides) : undefined;
      const bPeriod = simd ? periodOf(shape, bStrides) : undefined;
      if (aPeriod !== undefined && bPeriod !== undefined) {
        const fast = wasmBinary(op, left, aPeriod, right, bPeriod, size);
        if (fast !== undefined) return wrap(fast);
      }
      const out = allocate(dtype, size);
      const line = binaryLineKernel(op, dtype);
      forEachLine(shape, [aStrides, bStrides, stridesOf(shape)], (offsets, length, steps) => {
        line(left, offsets[0], steps[0], right, offsets[1], steps[1], out, offsets[2], length);
      });
      return wrap(out);
    },
    where(condition, a, b, { dtype, shape, conditionStrides, aStrides, bStrides }) {
      const out = allocate(dtype, product(shape));
      const mask = unwrap(condition);
      const whenTrue = unwrap(a);
      const whenFalse = unwrap(b);
      forEachLine(
        shape,
        [conditionStrides, aStrides, bStrides, stridesOf(shape)],
        (offsets, length, steps) => {
          let [ci, ai, bi, oi] = offsets as [number, number, number, number];
          const [cs, as, bs] = steps as [number, number, number];
          for (const end = oi + length; oi < end; oi++, ci += cs, ai += as, bi += bs) {
            out[oi] = mask[ci] !== 0 ? whenTrue[ai] : whenFalse[bi];
          }
        },
      );
      return wrap(out);
    },
    reduce(op, x, { dtype, outer, reduceSize, inner }) {
      const out = allocate(op === "argmax" ? "int32" : dtype, outer * inner);
      // A mean is a sum divided once, as in the JavaScript kernel.
      const sumOp = op === "mean" ? "sum" : op;
      const fast = simd ? wasmReduce(sumOp, unwrap(x), outer, reduceSize, inner) : undefined;
      if (fast === undefined) reduceInto(op, unwrap(x), out, outer, reduceSize, inner);
      else if (op === "mean") for (let i = 0; i < fast.length; i++) out[i] = fast[i]! / reduceSize;
      else out.set(fast);
      return wrap(out);
    },
    matmul(a, b, { dtype, m, k, n, transposeA, transposeB }) {
      const out = allocate(dtype, m * n) as FloatArray;
      matmulKernel(
        unwrap(a) as FloatArray,
        unwrap(b) as FloatArray,
        out,
        m,
        k,
        n,
        transposeA,
        transposeB,
      );
      return wrap(out);
    },
    axpby(x, y, { dtype, size, alpha, beta }) {
      const fast = simd ? wasmAxpby(alpha, unwrap(x), beta, unwrap(y), size) : undefined;
      if (fast !== undefined) return wrap(fast);
      const out = allocate(dtype, size) as FloatArray;
      axpbyInto(alpha, unwrap(x) as FloatArray, beta, unwrap(y) as FloatArray, out, size);
      return wrap(out);
    },
    copyStrided(x, { dtype, shape, strides, offset }) {
      const size = product(shape);
      const source = unwrap(x);
      // Storage is immutable, so a view that is already dense (a run of rows, a reshape) shares
      // it instead of copying, as numpy's basic slicing does: O(1) whatever its size.
      if (periodOf(shape, strides) === size) {
        return wrap(source.subarray(offset, offset + size));
      }
      const out = allocate(dtype, size);
      forEachLine(shape, [strides, stridesOf(shape)], (offsets, length, steps) => {
        const step = steps[0];
        let si = offset + offsets[0];
        const oi = offsets[1];
        if (step === 1) out.set(source.subarray(si, si + length), oi);
        else for (let i = 0; i < length; i++, si += step) out[oi + i] = source[si];
      });
      return wrap(out);
    },
    concat(parts, { dtype, outer, inners }) {
      let width = 0;
      for (const inner of inners) width += inner;
      const out = allocate(dtype, outer * width);
      let column = 0;
      parts.forEach((part, index) => {
        const source = unwrap(part);
        const inner = inners[index];
        for (let o = 0; o < outer; o++) {
          out.set(source.subarray(o * inner, (o + 1) * inner), o * width + column);
        }
        column += inner;
      });
      return wrap(out);
    },
    take(x, indices, { dtype, outer, axisSize, inner, indexCount }) {
      const out = allocate(dtype, outer * indexCount * inner);
      const source = unwrap(x);
      const positions = unwrap(indices);
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < indexCount; j++) {
          const from = (o * axisSize + positions[j]) * inner;
          out.set(source.subarray(from, from + inner), (o * indexCount + j) * inner);
        }
      }
      return wrap(out);
    },
    cast(x, { to, size }) {
      const out = allocate(to, size);
      // Typed-array stores convert: to int32 truncates toward zero, NaN becomes 0.
      out.set(unwrap(x).subarray(0, size));
      return wrap(out);
    },
  };
}

/**
 * The WebAssembly SIMD kernel (threaded, see `matmulInfo`) where it loads, and the JavaScript
 * cache-blocked kernel where it cannot; `matmulInfo().reason` says why. Operands are tensor
 * storage, never modified: the SIMD kernel may keep them in its memory for the next product.
 */
const defaultMatmul: MatmulKernel = (a, b, out, m, k, n, transposeA, transposeB) =>
  matmulInfo().simd
    ? wasmMatmul(a, b, out, m, k, n, transposeA, transposeB, true)
    : blockedMatmul(a, b, out, m, k, n, transposeA, transposeB);

/**
 * The default backend: typed arrays, with the WebAssembly SIMD matmul where it loads. Every CPU
 * backend runs large float elementwise ops on WebAssembly SIMD kernels where they load
 * (`elementwiseInfo` says whether and from what size).
 */
export const cpuBackend: Backend = createCpuBackend({ matmul: defaultMatmul });
