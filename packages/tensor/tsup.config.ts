import { defineConfig } from "tsup";

export default defineConfig({
  // The GPU backend is its own entry so importing @puregrad/tensor never loads gpu.js.
  entry: { index: "src/index.ts", gpu: "src/gpu/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  // One shared chunk: `cpuBackend` must be the same object from both entries, in CJS too.
  splitting: true,
  // import.meta.url in the CJS build (the WebGPU worker is located through it).
  shims: true,
});
