import type { GPU, IKernelRunShortcut, Texture } from "gpu.js";
import { type KernelSpec, kernelKey, kernelSettings, uploadKernel } from "./kernels";

/** The gpu.js modes puregrad drives. */
export type GpuMode = "webgpu" | "headlessgl" | "webasm" | "cpu";

/**
 * A float32 array owned by a device: a texture (GL), a storage buffer (WebGPU, held by the
 * device thread) or a plain array (gpu.js's WebAssembly and CPU modes, which have no device
 * memory). Only the device that made it looks inside.
 */
export interface DeviceBuffer {
  /** Number of float32 elements. */
  readonly length: number;
}

/**
 * Where gpu.js kernels run. Calls are synchronous from the caller's side: a device may queue
 * work and run it later, but `download` returns only once every kernel it depends on has run
 * (and throws the first error among them).
 */
export interface Device {
  readonly mode: GpuMode;
  /** Copies host data to the device. */
  upload(data: Float32Array): DeviceBuffer;
  /** Runs the kernel `spec` (compiled once per spec and input lengths) on `inputs`. */
  run(spec: KernelSpec, inputs: readonly DeviceBuffer[]): DeviceBuffer;
  /** Reads a buffer back to the host. */
  download(buffer: DeviceBuffer): Float32Array;
  /** Frees a buffer nobody can use any more (called by a finalizer, so never throws). */
  release(buffer: DeviceBuffer): void;
}

interface GpuJsBuffer extends DeviceBuffer {
  readonly value: Float32Array | Texture;
}

/**
 * A device running gpu.js kernels synchronously on this thread: headless GL (textures),
 * WebAssembly and CPU modes (plain arrays). WebGPU has no synchronous readback, so it runs on
 * a device thread instead (see `webgpu.ts`).
 */
export class GpuJsDevice implements Device {
  readonly mode: GpuMode;
  readonly #gpu: GPU;
  readonly #kernels = new Map<string, IKernelRunShortcut>();
  /** WebAssembly and CPU modes read plain arrays directly; GL needs them in textures. */
  readonly #hostIsDevice: boolean;

  constructor(gpu: GPU, mode: Exclude<GpuMode, "webgpu">) {
    this.#gpu = gpu;
    this.mode = mode;
    this.#hostIsDevice = mode === "webasm" || mode === "cpu";
  }

  upload(data: Float32Array): DeviceBuffer {
    const buffer: GpuJsBuffer = { length: data.length, value: data };
    return this.#hostIsDevice ? buffer : this.run(uploadKernel(data.length), [buffer]);
  }

  run(spec: KernelSpec, inputs: readonly DeviceBuffer[]): DeviceBuffer {
    const key = kernelKey(
      spec,
      inputs.map((input) => input.length),
    );
    let kernel = this.#kernels.get(key);
    if (kernel === undefined) {
      kernel = this.#gpu.createKernel(spec.source, kernelSettings(spec));
      this.#kernels.set(key, kernel);
    }
    const value = kernel(...inputs.map((input) => (input as GpuJsBuffer).value)) as
      | Float32Array
      | Texture;
    const buffer: GpuJsBuffer = { length: spec.output, value };
    return buffer;
  }

  download(buffer: DeviceBuffer): Float32Array {
    const { value } = buffer as GpuJsBuffer;
    if (value instanceof Float32Array) return value;
    const data = value.toArray();
    if (!(data instanceof Float32Array)) {
      throw new Error(`gpu:${this.mode}: expected a flat float32 read-back`);
    }
    return data;
  }

  release(buffer: DeviceBuffer): void {
    const { value } = buffer as GpuJsBuffer;
    if (!(value instanceof Float32Array)) value.delete();
  }
}
