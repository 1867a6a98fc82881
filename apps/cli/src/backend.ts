/** `--backend`: choosing the tensor backend and saying which one runs and why. */
import {
  type Backend,
  cpuBackend,
  elementwiseInfo,
  matmulInfo,
  setBackend,
} from "@puregrad/tensor";
import type { BackendChoice } from "./context.js";
import { describeError, runError } from "./errors.js";
import type { Output } from "./output.js";

/** A backend and the tensor package's one-line account of why it was chosen. */
export interface ChosenBackend {
  readonly backend: Backend;
  readonly reason: string;
}

/** The part of `@puregrad/tensor/gpu` the CLI uses. */
interface GpuEntryPoint {
  selectBackend(choice: BackendChoice): Promise<ChosenBackend>;
}

// A variable specifier keeps the GPU entry point (and gpu.js) out of the CLI's startup and
// lets an installation of the tensor package without it still run on the CPU.
const GPU_ENTRY_POINT = "@puregrad/tensor/gpu";

async function importGpuEntryPoint(): Promise<GpuEntryPoint | string> {
  try {
    return (await import(GPU_ENTRY_POINT)) as GpuEntryPoint;
  } catch (cause) {
    return describeError(cause);
  }
}

/** What the CPU backend's kernels run on, and why not WebAssembly where they fell back. */
function cpuKernels(): string {
  const matmul = matmulInfo();
  const elementwise = elementwiseInfo();
  return [
    matmul.simd
      ? `matmul: WebAssembly SIMD${matmul.fma ? " with fused multiply-add" : ""}, up to ${matmul.threads} thread(s)${matmul.reason === undefined ? "" : ` (${matmul.reason})`}`
      : `matmul: JavaScript (${matmul.reason})`,
    elementwise.simd
      ? "elementwise: WebAssembly SIMD"
      : `elementwise: JavaScript (${elementwise.reason})`,
  ].join("; ");
}

/** `chosen`, its reason extended with the CPU kernels' account when the CPU backend runs. */
function withKernels(chosen: ChosenBackend): ChosenBackend {
  return chosen.backend === cpuBackend
    ? { ...chosen, reason: `${chosen.reason} (${cpuKernels()})` }
    : chosen;
}

/**
 * Chooses the backend for `choice` without switching to it. `cpu` never loads gpu.js; `gpu` and
 * `auto` go through the tensor package's `selectBackend`, whose reason says which gpu.js mode
 * runs, or why `auto` kept the CPU.
 * @throws CliError (exit 1) when `gpu` is asked for and no GPU backend can be created
 */
export async function chooseBackend(choice: BackendChoice): Promise<ChosenBackend> {
  if (choice === "cpu")
    return withKernels({ backend: cpuBackend, reason: `cpu: requested; using ${cpuBackend.name}` });
  const gpu = await importGpuEntryPoint();
  if (typeof gpu === "string") {
    if (choice === "gpu")
      throw runError(
        `--backend gpu: the GPU backend cannot be loaded (${gpu}). Use --backend cpu.`,
      );
    return withKernels({
      backend: cpuBackend,
      reason: `auto: no GPU backend in this installation (${gpu}); using ${cpuBackend.name}`,
    });
  }
  try {
    return withKernels(await gpu.selectBackend(choice));
  } catch (cause) {
    throw runError(`--backend ${choice}: ${describeError(cause)}. Use --backend cpu.`);
  }
}

/**
 * Chooses the backend for `choice` (see {@link chooseBackend}), makes it the backend of every
 * tensor op that follows, and reports it: an info line and, under `--json`, a `backend` event.
 */
export async function useBackend(choice: BackendChoice, output: Output): Promise<ChosenBackend> {
  const chosen = await chooseBackend(choice);
  setBackend(chosen.backend);
  output.info(`Backend: ${chosen.backend.name} (${chosen.reason})`);
  output.event("backend", { name: chosen.backend.name, reason: chosen.reason });
  return chosen;
}
