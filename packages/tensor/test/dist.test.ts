import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { loadBuilt } from "../../../scripts/smoke-dist";

it("built output loads in plain Node as ESM and CJS with the same exports", () => {
  const { esm, cjs } = loadBuilt(new URL("..", import.meta.url));
  expect(esm).toEqual(cjs);
  for (const name of ["Tensor", "tensor", "add", "matmul", "sum", "key", "split", "setBackend"]) {
    expect(esm).toContain(name);
  }
});

it("the GPU entry loads on its own, and the main entry never loads gpu.js", () => {
  const { esm, cjs } = loadBuilt(new URL("..", import.meta.url), "gpu");
  expect(esm).toEqual(cjs);
  expect(esm).toEqual(expect.arrayContaining(["createGpuBackend", "selectBackend"]));
  // CommonJS keeps a registry of every module it loaded: gpu.js must not be among them until a
  // GPU backend is created (the second count proves the probe can see it).
  const dist = (file: string) =>
    JSON.stringify(fileURLToPath(new URL(`../dist/${file}`, import.meta.url)));
  const loaded = execFileSync(
    process.execPath,
    [
      "-e",
      `const count = () => Object.keys(require.cache).filter((path) => path.includes("gpu.js")).length;
       require(${dist("index.cjs")});
       const before = count();
       require(${dist("gpu.cjs")}).createGpuBackend({ mode: "cpu" }).then(() => console.log(before, count() > 0));`,
    ],
    { encoding: "utf8" },
  );
  expect(loaded.trim()).toBe("0 true");
});
