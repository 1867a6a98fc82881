#!/usr/bin/env node
// Benchmarks wasmMatmul (src/wasm) on 1 and 2 threads against TF.js's WebAssembly backend,
// measured in the same run, interleaved rep by rep so that both see the same machine load.
//
//   node bench/matmul-wasm.mjs [--reps N]
//
// src/wasm/index.ts is bundled on the fly with the esbuild that tsup ships, so the benchmark
// needs no build of the package and none of the rest of it. Prints GFLOP/s (2·m·k·n / median
// time) and ratios; TF.js has no float64 matmul on WebAssembly, so float64 rows are compared
// with its float32 time.
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(join(packageDir, "package.json"));
const repsArgument = process.argv.indexOf("--reps");
const minimumReps = repsArgument > 0 ? Number(process.argv[repsArgument + 1]) : 7;

async function loadWasmMatmul() {
  const esbuild = createRequire(require.resolve("tsup"))("esbuild");
  const outDir = mkdtempSync(join(tmpdir(), "matmul-wasm-bench-"));
  const outfile = join(outDir, "wasm.mjs");
  try {
    await esbuild.build({
      entryPoints: [join(packageDir, "src/wasm/index.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile,
      logLevel: "warning",
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function loadTfjsWasm() {
  const tf = require("@tensorflow/tfjs-core");
  const backend = require("@tensorflow/tfjs-backend-wasm");
  const wasmFile = require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm");
  backend.setWasmPaths(`${dirname(wasmFile)}/`);
  await tf.setBackend("wasm");
  await tf.ready();
  return tf;
}

/** Deterministic values in [-1, 1). */
function randomArray(Float, length, seed) {
  const array = new Float(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    array[i] = state / 2 ** 31 - 1;
  }
  return array;
}

function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const shapes = [
  { name: "(100×3072)·(3072×50)", m: 100, k: 3072, n: 50, transA: false, transB: false },
  { name: "(50×100)·(100×3072)", m: 50, k: 100, n: 3072, transA: false, transB: false },
  { name: "(50×100)·(3072×100)ᵀ", m: 50, k: 100, n: 3072, transA: false, transB: true },
  { name: "(10×3072)·(3072×100)", m: 10, k: 3072, n: 100, transA: false, transB: false },
  { name: "(100×10)ᵀ·(100×3072)", m: 10, k: 100, n: 3072, transA: true, transB: false },
  { name: "(50×3072)·(3072×100)", m: 50, k: 3072, n: 100, transA: false, transB: false },
  { name: "(100×3072)ᵀ·(100×50)", m: 3072, k: 100, n: 50, transA: true, transB: false },
  { name: "1024³", m: 1024, k: 1024, n: 1024, transA: false, transB: false },
];

const { wasmMatmul, setMatmulThreads, matmulInfo } = await loadWasmMatmul();
const tf = await loadTfjsWasm();
setMatmulThreads(2);
console.log(
  `node ${process.version}; wasmMatmul: ${JSON.stringify(matmulInfo())}; TF.js ${tf.version_core} ` +
    `wasm backend, SIMD ${tf.env().getBool("WASM_HAS_SIMD_SUPPORT")}, ` +
    `threads ${tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT")}`,
);
console.log(`GFLOP/s, median of ≥ ${minimumReps} interleaved reps after warm-up\n`);

const header = ["shape", "dtype", "wasm 1T", "wasm 2T", "TF.js f32", "1T/TF", "2T/TF", "2T/1T"];
const rows = [];
for (const Float of [Float32Array, Float64Array]) {
  for (const { name, m, k, n, transA, transB } of shapes) {
    const flops = 2 * m * k * n;
    const a = randomArray(Float, m * k, 1);
    const b = randomArray(Float, k * n, 2);
    const out = new Float(m * n);
    const ta = tf.tensor(randomArray(Float32Array, m * k, 1), transA ? [k, m] : [m, k]);
    const tb = tf.tensor(randomArray(Float32Array, k * n, 2), transB ? [n, k] : [k, n]);
    const runs = {
      one: () => {
        setMatmulThreads(1);
        wasmMatmul(a, b, out, m, k, n, transA, transB);
      },
      two: () => {
        setMatmulThreads(2);
        wasmMatmul(a, b, out, m, k, n, transA, transB);
      },
      tf: () => {
        const product = tf.matMul(ta, tb, transA, transB);
        product.dataSync();
        product.dispose();
      },
    };
    // Enough reps for ~0.3 s per variant on small shapes, never fewer than asked for.
    const reps = Math.max(minimumReps, Math.min(101, Math.ceil(3e9 / 10 / flops)));
    const times = { one: [], two: [], tf: [] };
    for (let rep = -2; rep < reps; rep++) {
      for (const [variant, run] of Object.entries(runs)) {
        const start = performance.now();
        run();
        const elapsed = performance.now() - start;
        if (rep >= 0) times[variant].push(elapsed);
      }
    }
    ta.dispose();
    tb.dispose();
    const gflops = (variant) => flops / median(times[variant]) / 1e6;
    const [one, two, peer] = [gflops("one"), gflops("two"), gflops("tf")];
    rows.push([
      name,
      Float === Float32Array ? "f32" : "f64",
      one.toFixed(1),
      two.toFixed(1),
      peer.toFixed(1),
      `${(one / peer).toFixed(2)}×`,
      `${(two / peer).toFixed(2)}×`,
      `${(two / one).toFixed(2)}×`,
    ]);
    console.error(`done ${name} ${Float.name}`);
  }
}

const widths = header.map((title, column) =>
  Math.max(title.length, ...rows.map((row) => row[column].length)),
);
const format = (row) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(" | ")} |`;
console.log(format(header));
console.log(`|${widths.map((width) => "-".repeat(width + 2)).join("|")}|`);
for (const row of rows) console.log(format(row));
