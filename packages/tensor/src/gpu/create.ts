import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Backend } from "../backend";
import { createBackendOnDevice } from "./backend";
import { type Device, GpuJsDevice, type GpuMode } from "./device";
import { openWebGpuDevice } from "./webgpu";

/** Which gpu.js mode to run on; `"auto"` takes the first available in {@link GPU_MODES}. */
export type GpuModeRequest = "auto" | GpuMode;

/** Modes in the order `"auto"` tries them: real GPUs first, then WebAssembly, then plain JS. */
export const GPU_MODES: readonly GpuMode[] = ["webgpu", "headlessgl", "webasm", "cpu"];

/** Options of {@link createGpuBackend}. */
export interface GpuBackendOptions {
  /** The gpu.js mode (default `"auto"`). */
  readonly mode?: GpuModeRequest;
  /** Runs the ops and dtypes the device does not (default: the CPU backend). */
  readonly fallback?: Backend;
}

/** A GPU backend and what it runs on. */
export interface GpuBackendResult {
  /** The backend, named `gpu:<mode>`; pass it to `setBackend` or `toBackend`. */
  readonly backend: Backend;
  /** The gpu.js mode its kernels run in. */
  readonly mode: GpuMode;
  /** One line saying why this mode, e.g. `"webgpu unavailable: no adapter; using webasm"`. */
  readonly reason: string;
}

/** Path of gpu.js's entry, from which its own dependencies (`webgpu`, `gl`) resolve. */
function gpuJsPath(): string {
  const here = typeof __filename === "string" ? __filename : fileURLToPath(import.meta.url);
  return createRequire(here).resolve("gpu.js");
}

/** Opens `mode`, or says in a few words why it is unavailable here. */
async function openDevice(
  mode: GpuMode,
): Promise<{ device: Device; detail: string } | { unavailable: string }> {
  if (mode === "webgpu") {
    const opened = await openWebGpuDevice(gpuJsPath());
    return "device" in opened ? { device: opened.device, detail: opened.adapter } : opened;
  }
  const { GPU } = await import("gpu.js");
  if (mode === "headlessgl") {
    // gpu.js falls back to another mode quietly when `gl` is missing; check it ourselves.
    try {
      createRequire(gpuJsPath())("gl");
    } catch {
      return { unavailable: "the optional native `gl` package is not installed or not built" };
    }
    if (!GPU.isHeadlessGLSupported) return { unavailable: "`gl` creates no context" };
  }
  if (mode === "webasm" && !GPU.isWebAssemblySupported) {
    return { unavailable: "WebAssembly is not supported" };
  }
  return { device: new GpuJsDevice(new GPU({ mode }), mode), detail: "" };
}

/**
 * Creates a backend whose float32 kernels run as gpu.js kernels in `mode`, keeping tensors on
 * the device between kernels. What it runs on the device and what falls back to the CPU is
 * described at `createBackendOnDevice`. Loading this module loads gpu.js; `@puregrad/tensor`
 * itself never does.
 *
 * Asynchronous because probing a WebGPU adapter is. WebGPU in Node needs the `webgpu` package
 * (a dependency of gpu.js) and a Vulkan/Metal/D3D12 driver; headless GL needs gpu.js's
 * optional native `gl`.
 *
 * @throws Error when an explicitly requested mode is unavailable (the message says why);
 *   `"auto"` never throws, since gpu.js's `"cpu"` mode runs anywhere.
 * @example
 * const { backend, reason } = await createGpuBackend();
 * console.log(reason); // e.g. "webgpu unavailable: no adapter; ...; using webasm"
 * setBackend(backend);
 */
export async function createGpuBackend(options: GpuBackendOptions = {}): Promise<GpuBackendResult> {
  const request = options.mode ?? "auto";
  const candidates = request === "auto" ? GPU_MODES : [request];
  const skipped: string[] = [];
  for (const mode of candidates) {
    const opened = await openDevice(mode);
    if ("unavailable" in opened) {
      skipped.push(`${mode} unavailable: ${opened.unavailable}`);
      continue;
    }
    const backend = createBackendOnDevice(opened.device, {
      name: `gpu:${mode}`,
      fallback: options.fallback,
    });
    const using = opened.detail === "" ? `using ${mode}` : `using ${mode} (${opened.detail})`;
    return { backend, mode, reason: [...skipped, using].join("; ") };
  }
  throw new Error(`createGpuBackend: ${skipped.join("; ")}`);
}
