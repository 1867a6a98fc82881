// One training step of the 2-layer model (3072→50→10, ReLU, cross-entropy + L2, momentum) at
// batch 1000, float32, on the CPU backend and on every gpu.js mode that starts here, from the
// same weights on the same batch: median milliseconds per step (the step's cost read back, so
// asynchronous devices are timed to completion) and the ratio to the CPU backend. The first
// step's cost on each backend must agree with the CPU backend's (float32 tolerance); the exit
// code is 1 when one does not. Software modes (gpu.js webasm and cpu, Mesa's lavapipe and
// llvmpipe) take seconds per step, so they run a few steps only.
//
//   node bench/gpu-step.bench.mjs [--steps N]     (after `pnpm build`)
import { parseArgs } from "node:util";
import * as pg from "@puregrad/autograd";
import { cpuBackend, getBackend, matmulInfo, setBackend, toBackend } from "@puregrad/tensor";
import { createGpuBackend, GPU_MODES } from "@puregrad/tensor/gpu";
import { createTrainer, mlp } from "../dist/index.js";
import { median } from "./runner.mjs";

const BATCH = 1000;
const FEATURES = 3072;
const CLASSES = 10;
const COST_TOLERANCE = 1e-3;
/** Software rasterizers behind WebGPU/GL (Mesa's llvmpipe/lavapipe, SwiftShader). */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|softpipe/i;

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: { steps: { type: "string", default: "20" } },
});
const hardwareSteps = Number(values.steps);
if (!Number.isInteger(hardwareSteps) || hardwareSteps < 1) {
  console.error(`--steps must be a positive integer, got ${values.steps}`);
  process.exit(2);
}

const [inputKey, labelKey] = pg.split(pg.key(2024), 2);
const inputs = pg.normal(inputKey, [BATCH, FEATURES]);
const labels = pg.cast(
  pg.uniform(labelKey, [BATCH], { min: 0, max: CLASSES, dtype: "float64" }),
  "int32",
);

const cpuKernels = matmulInfo().simd
  ? `WebAssembly SIMD matmul on up to ${matmulInfo().threads} thread(s)`
  : `JavaScript kernels (${matmulInfo().reason})`;
const candidates = [{ name: "cpu", backend: cpuBackend, note: cpuKernels, steps: hardwareSteps }];
for (const mode of GPU_MODES) {
  try {
    const { backend, reason } = await createGpuBackend({ mode });
    const software =
      mode === "webasm" || mode === "cpu" || SOFTWARE_ADAPTER.test(reason) ? " (software)" : "";
    candidates.push({
      name: backend.name,
      backend,
      note: `${reason}${software}`,
      steps: software ? 3 : hardwareSteps,
    });
  } catch (error) {
    console.log(`gpu:${mode}: ${error.message.replace(/^createGpuBackend: /, "")}`);
  }
}

/** Trains on the batch on `backend`: the first step's cost and the median seconds per step. */
function measure(backend, steps) {
  const previous = getBackend();
  setBackend(backend);
  try {
    const trainer = createTrainer({
      model: mlp({
        inputSize: FEATURES,
        hiddenSizes: [50],
        outputSize: CLASSES,
        init: "xavier",
        dtype: "float32",
      }),
      loss: "crossEntropy",
      optimizer: { type: "momentum", learningRate: 0.01, rho: 0.9 },
      l2Regularization: 1e-3,
    });
    const batch = { inputs: toBackend(inputs, backend), labels: toBackend(labels, backend) };
    let state = trainer.init(pg.key(7));
    const first = trainer.step(state, batch);
    state = first.state;
    // Warm-up: kernel compilation, uploads, the JIT.
    for (let step = 0; step < Math.min(steps, 10); step++) state = trainer.step(state, batch).state;
    const seconds = [];
    for (let step = 0; step < steps; step++) {
      const start = performance.now();
      const { state: next, metrics } = trainer.step(state, batch);
      if (!Number.isFinite(metrics.cost)) throw new Error(`non-finite cost ${metrics.cost}`);
      seconds.push((performance.now() - start) / 1000);
      state = next;
    }
    return { firstCost: first.metrics.cost, seconds: median(seconds) };
  } finally {
    setBackend(previous);
  }
}

console.log(
  `\n| backend | mode | ms per step (batch ${BATCH}) | vs cpu | first-step cost | Δ vs cpu |`,
);
console.log("|---|---|---:|---:|---:|---:|");
let reference;
let failed = false;
for (const { name, backend, note, steps } of candidates) {
  const { firstCost, seconds } = measure(backend, steps);
  reference ??= { firstCost, seconds };
  const difference = Math.abs(firstCost - reference.firstCost);
  const agrees = difference <= COST_TOLERANCE;
  failed ||= !agrees;
  console.log(
    `| ${name} | ${note} | ${(seconds * 1e3).toFixed(1)} (median of ${steps}) | ${(reference.seconds / seconds).toFixed(2)}× | ${firstCost.toFixed(6)} | ${name === "cpu" ? "—" : difference.toExponential(1)} ${agrees ? "✓" : "✗"} |`,
  );
}
if (failed) {
  console.log(
    `\nA backend's first-step cost differs from the CPU backend's by more than ${COST_TOLERANCE}.`,
  );
  process.exitCode = 1;
}
