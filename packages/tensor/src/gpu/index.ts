/**
 * `@puregrad/tensor/gpu`: a backend whose kernels run through gpu.js (WebGPU, headless GL,
 * WebAssembly or plain JS), and `selectBackend` to choose between it and the CPU. A separate
 * entry point so that importing `@puregrad/tensor` never loads gpu.js.
 * @packageDocumentation
 */

export {
  createGpuBackend,
  GPU_MODES,
  type GpuBackendOptions,
  type GpuBackendResult,
  type GpuModeRequest,
} from "./create";
export type { GpuMode } from "./device";
export {
  type BackendChoice,
  type MatmulShape,
  measureMatmul,
  SELECTION_SHAPE,
  type SelectBackendOptions,
  selectBackend,
} from "./select";
