import { defineConfig } from "tsup";

export default defineConfig({
  // module-hooks is loaded by path through `module.register`, so it must be its own file.
  entry: ["src/index.ts", "src/main.ts", "src/module-hooks.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  // `import.meta.url` in the CommonJS build (loss modules and the package version use it).
  shims: true,
});
