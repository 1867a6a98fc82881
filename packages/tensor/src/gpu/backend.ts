import type { Backend, Storage } from "../backend";
import { cpuBackend } from "../cpu/backend";
import type { DType, TypedArray } from "../dtype";
import { product } from "../shape";
import type { Device, DeviceBuffer } from "./device";
import {
  axpbyKernel,
  binaryKernel,
  copyStridedKernel,
  type KernelSpec,
  matmulKernel,
  reduceKernel,
  unaryKernel,
  whereKernel,
} from "./kernels";

/**
 * A tensor's elements on a GPU backend: a device buffer, a host typed array, or both. Each
 * side is made from the other on first need and kept, which is safe because storage is never
 * written after creation.
 */
class GpuStorage {
  host: TypedArray | undefined;
  device: DeviceBuffer | undefined;
  constructor(
    readonly dtype: DType,
    readonly length: number,
    host: TypedArray | undefined,
    device: DeviceBuffer | undefined,
  ) {
    this.host = host;
    this.device = device;
  }
}

const wrap = (storage: GpuStorage): Storage => storage as unknown as Storage;
const unwrap = (storage: Storage): GpuStorage => storage as unknown as GpuStorage;

/** Options of {@link createBackendOnDevice}. */
export interface DeviceBackendOptions {
  /** Backend name shown in messages, e.g. `"gpu:webasm"`. */
  readonly name: string;
  /** Runs what the device does not (default: the CPU backend). */
  readonly fallback?: Backend;
}

/**
 * A {@link Backend} whose float32 kernels run on a gpu.js device.
 *
 * The rule for what runs where: gpu.js computes in float32 only, so
 * - float32 `matmul`, `unary`, `binary`, `where` (float32 condition), `reduce` and
 *   `copyStrided` run on the device, and their results stay there;
 * - everything else — any float64 or int32 operand, `concat`, `take` and `cast`, and empty
 *   tensors — runs on the fallback backend's kernel after an explicit read-back of the
 *   inputs, and its result stays on the host until a device kernel needs it (then it is
 *   uploaded once). Nothing is ever computed in the wrong precision.
 *
 * Device results are read back only by `read` and by fallbacks. Accumulation on the device
 * is float32 (the CPU backend's reductions accumulate in float64), and NaN propagation through
 * `max`, `min`, `maximum`, `minimum`, `relu` and `argmax` follows the device's float min/max.
 */
export function createBackendOnDevice(device: Device, options: DeviceBackendOptions): Backend {
  const fallback = options.fallback ?? cpuBackend;
  // Device memory is freed when the storage holding it is garbage-collected.
  const finalizer = new FinalizationRegistry<DeviceBuffer>((buffer) => device.release(buffer));

  const onDevice = (dtype: DType, buffer: DeviceBuffer): Storage => {
    const storage = new GpuStorage(dtype, buffer.length, undefined, buffer);
    finalizer.register(storage, buffer);
    return wrap(storage);
  };
  const onHost = (dtype: DType, data: TypedArray): Storage =>
    wrap(new GpuStorage(dtype, data.length, data, undefined));

  const hostOf = (storage: Storage): TypedArray => {
    const s = unwrap(storage);
    if (s.host === undefined) s.host = device.download(s.device!);
    return s.host;
  };
  const deviceOf = (storage: Storage): DeviceBuffer => {
    const s = unwrap(storage);
    if (s.device === undefined) {
      s.device = device.upload(s.host as Float32Array);
      finalizer.register(s, s.device);
    }
    return s.device;
  };
  const run = (spec: KernelSpec, inputs: readonly Storage[]): Storage =>
    onDevice("float32", device.run(spec, inputs.map(deviceOf)));

  /** The fallback's view of our storage: the host array, read back if needed. */
  const toFallback = (storage: Storage): Storage =>
    fallback.fromTypedArray(hostOf(storage), unwrap(storage).dtype);
  const fromFallback = (storage: Storage, dtype: DType, size: number): Storage =>
    onHost(dtype, fallback.read(storage, dtype, size));

  return {
    name: options.name,
    fromTypedArray: (data, dtype) => onHost(dtype, data),
    read: (storage, _dtype, size) => hostOf(storage).slice(0, size),
    unary(op, x, descriptor) {
      const { dtype, size } = descriptor;
      if (dtype === "float32" && size > 0) return run(unaryKernel(op, size), [x]);
      return fromFallback(fallback.unary(op, toFallback(x), descriptor), dtype, size);
    },
    binary(op, a, b, descriptor) {
      const { dtype, shape, aStrides, bStrides } = descriptor;
      const size = product(shape);
      if (dtype === "float32" && size > 0) {
        return run(binaryKernel(op, shape, aStrides, bStrides), [a, b]);
      }
      return fromFallback(
        fallback.binary(op, toFallback(a), toFallback(b), descriptor),
        dtype,
        size,
      );
    },
    where(condition, a, b, descriptor) {
      const { conditionDType, dtype, shape } = descriptor;
      const size = product(shape);
      if (dtype === "float32" && conditionDType === "float32" && size > 0) {
        const { conditionStrides, aStrides, bStrides } = descriptor;
        return run(whereKernel(shape, conditionStrides, aStrides, bStrides), [condition, a, b]);
      }
      return fromFallback(
        fallback.where(toFallback(condition), toFallback(a), toFallback(b), descriptor),
        dtype,
        size,
      );
    },
    reduce(op, x, descriptor) {
      const { dtype, outer, reduceSize, inner } = descriptor;
      const outDType = op === "argmax" ? "int32" : dtype;
      const size = outer * inner;
      if (dtype === "float32" && size > 0 && reduceSize > 0) {
        const result = run(reduceKernel(op, outer, reduceSize, inner), [x]);
        // argmax gives int32: its float indices (exact below 2²⁴) come back to the host.
        return op === "argmax" ? onHost("int32", Int32Array.from(hostOf(result))) : result;
      }
      return fromFallback(fallback.reduce(op, toFallback(x), descriptor), outDType, size);
    },
    matmul(a, b, descriptor) {
      const { dtype, m, k, n, transposeA, transposeB } = descriptor;
      if (dtype === "float32" && m * n > 0 && k > 0) {
        return run(matmulKernel(m, k, n, transposeA, transposeB), [a, b]);
      }
      return fromFallback(fallback.matmul(toFallback(a), toFallback(b), descriptor), dtype, m * n);
    },
    axpby(x, y, descriptor) {
      const { dtype, size, alpha, beta } = descriptor;
      if (dtype === "float32" && size > 0) {
        // α and β travel as one-element operands, so one compiled kernel serves every value.
        const coefficient = (value: number) => onHost("float32", Float32Array.of(value));
        return run(axpbyKernel(size), [x, y, coefficient(alpha), coefficient(beta)]);
      }
      return fromFallback(fallback.axpby(toFallback(x), toFallback(y), descriptor), dtype, size);
    },
    copyStrided(x, descriptor) {
      const { dtype, shape, strides, offset } = descriptor;
      const size = product(shape);
      if (dtype === "float32" && size > 0) {
        return run(copyStridedKernel(shape, strides, offset), [x]);
      }
      return fromFallback(fallback.copyStrided(toFallback(x), descriptor), dtype, size);
    },
    concat(parts, descriptor) {
      const { dtype, outer, inners } = descriptor;
      const size = outer * inners.reduce((total, inner) => total + inner, 0);
      return fromFallback(fallback.concat(parts.map(toFallback), descriptor), dtype, size);
    },
    take(x, indices, descriptor) {
      const { dtype, outer, indexCount, inner } = descriptor;
      const result = fallback.take(toFallback(x), toFallback(indices), descriptor);
      return fromFallback(result, dtype, outer * indexCount * inner);
    },
    cast(x, descriptor) {
      const { to, size } = descriptor;
      return fromFallback(fallback.cast(toFallback(x), descriptor), to, size);
    },
  };
}
