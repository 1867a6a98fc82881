// Matmul throughput of every gpu.js mode available here next to the CPU backend, measured in
// the same run: `pnpm --filter @puregrad/tensor build && node bench/gpu.bench.mjs`.
// Prints median GFLOP/s (2·m·k·n flops per product, read-back of the result included) and the
// ratio to the CPU backend; products over 1 GFLOP are timed once after a warm-up. 4096³ runs
// only where a hardware GPU adapter answers.

import { createGpuBackend, GPU_MODES, measureMatmul } from "../dist/gpu.js";
import { cpuBackend } from "../dist/index.js";

const SHAPES = [
  { label: "layer 1 forward   x·W1", m: 100, k: 3072, n: 50 },
  { label: "layer 1 dW1       xᵀ·dY", m: 3072, k: 100, n: 50, transposeA: true },
  { label: "layer 1 dX        dY·W1ᵀ", m: 100, k: 50, n: 3072, transposeB: true },
  { label: "auto selection    256×3072×50", m: 256, k: 3072, n: 50 },
  { label: "square 1024³", m: 1024, k: 1024, n: 1024 },
  { label: "square 4096³", m: 4096, k: 4096, n: 4096, hardwareOnly: true },
];

/** Software rasterizers behind WebGPU/GL (Mesa's llvmpipe/lavapipe, SwiftShader). */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|softpipe/i;

const candidates = [{ name: "cpu", backend: cpuBackend, hardware: false }];
for (const mode of GPU_MODES) {
  try {
    const { backend, reason } = await createGpuBackend({ mode });
    const hardware = (mode === "webgpu" || mode === "headlessgl") && !SOFTWARE_ADAPTER.test(reason);
    console.log(`gpu:${mode}: ${reason}${hardware ? "" : " (software)"}`);
    candidates.push({ name: backend.name, backend, hardware });
  } catch (error) {
    console.log(`gpu:${mode}: ${error.message.replace(/^createGpuBackend: /, "")}`);
  }
}

const hasHardware = candidates.some((candidate) => candidate.hardware);

for (const { label, hardwareOnly, m, k, n, transposeA = false, transposeB = false } of SHAPES) {
  if (hardwareOnly && !hasHardware) {
    console.log(`${label}: skipped, no hardware GPU adapter`);
    continue;
  }
  const flops = 2 * m * k * n;
  let cpuRate;
  const cells = [];
  for (const { name, backend, hardware } of candidates) {
    if (hardwareOnly && !hardware && name !== "cpu") continue;
    // Slow software modes need tens of seconds per 1024³ product: time those once.
    const repetitions = flops > 1e9 ? 1 : 5;
    const rate = measureMatmul(backend, { m, k, n }, { repetitions, transposeA, transposeB });
    cpuRate ??= rate;
    cells.push(`${name} ${rate.toFixed(2)} GFLOP/s (${(rate / cpuRate).toFixed(2)}× cpu)`);
  }
  console.log(`${label}: ${cells.join(" | ")}`);
}
