import type { Backend } from "../backend";
import { cpuBackend } from "../cpu/backend";
import { createGpuBackend } from "./create";

/** Shape of a timed matmul: `[m, k] · [k, n]`. */
export interface MatmulShape {
  readonly m: number;
  readonly k: number;
  readonly n: number;
}

/** The layer-shaped product `auto` times: a batch of 256 CIFAR images through 50 units. */
export const SELECTION_SHAPE: MatmulShape = { m: 256, k: 3072, n: 50 };

/**
 * Median float32 matmul throughput of `backend` in GFLOP/s (2·m·k·n floating-point operations
 * per product), counting the read-back of the result so asynchronous devices are measured to
 * completion. One untimed product first pays for kernel compilation and the upload of the
 * operands, which then stay on the backend, as weights do in training.
 */
export function measureMatmul(
  backend: Backend,
  { m, k, n }: MatmulShape,
  options: { repetitions?: number; transposeA?: boolean; transposeB?: boolean } = {},
): number {
  const { repetitions = 3, transposeA = false, transposeB = false } = options;
  const operand = (size: number) =>
    backend.fromTypedArray(
      Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5),
      "float32",
    );
  const a = operand(m * k);
  const b = operand(k * n);
  const descriptor = { dtype: "float32" as const, m, k, n, transposeA, transposeB };
  backend.read(backend.matmul(a, b, descriptor), "float32", m * n);
  const seconds: number[] = [];
  for (let repetition = 0; repetition < repetitions; repetition++) {
    const start = performance.now();
    backend.read(backend.matmul(a, b, descriptor), "float32", m * n);
    seconds.push((performance.now() - start) / 1000);
  }
  seconds.sort((x, y) => x - y);
  return (2 * m * k * n) / seconds[Math.floor(seconds.length / 2)]! / 1e9;
}

/** What {@link selectBackend} chose. */
export interface BackendChoice {
  readonly backend: Backend;
  /** One human line: which backend and gpu.js mode, and why. */
  readonly reason: string;
}

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** The CPU candidate (default: the CPU backend; pass a WASM one to compare against it). */
  readonly cpu?: Backend;
  /** The product `"auto"` times (default {@link SELECTION_SHAPE}). */
  readonly shape?: MatmulShape;
}

/**
 * Chooses the backend to train on.
 * - `"cpu"`: the CPU backend.
 * - `"gpu"`: the best available gpu.js mode (see `createGpuBackend`), saying which modes were
 *   unavailable and why.
 * - `"auto"`: times a layer-shaped matmul ({@link SELECTION_SHAPE}) on the CPU backend and on
 *   the best gpu.js mode, and takes the faster.
 *
 * @example
 * const { backend, reason } = await selectBackend("auto");
 * console.log(reason); // "auto: cpu 1.9 GFLOP/s vs gpu:webasm 0.7 GFLOP/s on 256×3072×50; using cpu; gpu mode: ..."
 * setBackend(backend);
 */
export async function selectBackend(
  choice: "cpu" | "gpu" | "auto",
  options: SelectBackendOptions = {},
): Promise<BackendChoice> {
  const cpu = options.cpu ?? cpuBackend;
  if (choice === "cpu") return { backend: cpu, reason: `cpu: requested; using ${cpu.name}` };
  const gpu = await createGpuBackend({ fallback: cpu });
  if (choice === "gpu") return { backend: gpu.backend, reason: `gpu: ${gpu.reason}` };
  const shape = options.shape ?? SELECTION_SHAPE;
  const cpuRate = measureMatmul(cpu, shape);
  const gpuRate = measureMatmul(gpu.backend, shape);
  const winner = gpuRate > cpuRate ? gpu.backend : cpu;
  const rates = `${cpu.name} ${cpuRate.toFixed(1)} GFLOP/s vs ${gpu.backend.name} ${gpuRate.toFixed(1)} GFLOP/s`;
  return {
    backend: winner,
    reason: `auto: ${rates} on ${shape.m}×${shape.k}×${shape.n}; using ${winner.name}; gpu mode: ${gpu.reason}`,
  };
}
