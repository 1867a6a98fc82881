// Matmul throughput of @puregrad/tensor's CPU backend beside TensorFlow.js's WebAssembly
// backend, measured in the same process. Runs against the built package: `pnpm bench`
// (turbo builds first). Prints a markdown table of medians.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { key, matmul, split, uniform } from "../dist/index.js";

const require = createRequire(import.meta.url);
const tf = require("@tensorflow/tfjs-core");
const { setWasmPaths } = require("@tensorflow/tfjs-backend-wasm");

// [label, m, k, n, transposeB]: the products of a CIFAR-10 MLP (batch 100, 3072 inputs,
// 50 hidden units, 10 classes) forward and backward, and a square reference.
const cases = [
  ["(100×3072)·(3072×50)", 100, 3072, 50, false],
  ["(50×100)·(100×3072)", 50, 100, 3072, false],
  ["(100×3072)·(50×3072)ᵀ", 100, 3072, 50, true],
  ["(50×100)·(3072×100)ᵀ", 50, 100, 3072, true],
  ["(10×3072)·(3072×100)", 10, 3072, 100, false],
  ["512³", 512, 512, 512, false],
];

const MIN_REPETITIONS = 5;
const TARGET_SECONDS = 0.4;

/** Median seconds per call of `run` after warm-up, repeated until ~TARGET_SECONDS are spent. */
function medianSeconds(run) {
  for (let i = 0; i < 2; i++) run();
  const times = [];
  const start = performance.now();
  while (times.length < MIN_REPETITIONS || (performance.now() - start) / 1000 < TARGET_SECONDS) {
    const t0 = performance.now();
    run();
    times.push((performance.now() - t0) / 1000);
    if (times.length >= 200) break;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const gflops = (m, k, n, seconds) => (2 * m * k * n) / seconds / 1e9;

async function main() {
  setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  await tf.setBackend("wasm");
  await tf.ready();

  const rows = [];
  let caseKey = key(2024);
  for (const [label, m, k, n, transposeB] of cases) {
    const [next, keyA, keyB] = split(caseKey, 3);
    caseKey = next;
    const shapeB = transposeB ? [n, k] : [k, n];
    const result = { label };
    for (const dtype of ["float32", "float64"]) {
      const a = uniform(keyA, [m, k], { min: -1, max: 1, dtype });
      const b = uniform(keyB, shapeB, { min: -1, max: 1, dtype });
      result[dtype] = gflops(
        m,
        k,
        n,
        medianSeconds(() => matmul(a, b, { transposeB })),
      );
    }
    const a = tf.tensor2d(uniform(keyA, [m, k]).toTypedArray(), [m, k]);
    const b = tf.tensor2d(uniform(keyB, shapeB).toTypedArray(), shapeB);
    result.tfjs = gflops(
      m,
      k,
      n,
      medianSeconds(() => {
        const c = tf.matMul(a, b, false, transposeB);
        c.dataSync();
        c.dispose();
      }),
    );
    a.dispose();
    b.dispose();
    rows.push(result);
  }

  const format = (value) => value.toFixed(2);
  console.log(
    `Node ${process.version}, TF.js ${tf.version_core} (${tf.getBackend()}), medians in GFLOP/s\n`,
  );
  console.log(
    "| matmul | puregrad cpu float32 | puregrad cpu float64 | TF.js wasm float32 | float32 ratio puregrad / TF.js |",
  );
  console.log("|---|---:|---:|---:|---:|");
  for (const row of rows) {
    console.log(
      `| ${row.label} | ${format(row.float32)} | ${format(row.float64)} | ${format(row.tfjs)} | ${(row.float32 / row.tfjs).toFixed(2)}× |`,
    );
  }
}

await main();
