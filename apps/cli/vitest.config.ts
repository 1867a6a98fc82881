import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // The examples folder at the repository root has no node_modules: let its imports of
    // puregrad resolve to the CLI's own copy, as `--loss-module` does at run time.
    alias: {
      "@puregrad/autograd": fileURLToPath(
        new URL("./node_modules/@puregrad/autograd", import.meta.url),
      ),
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", "json"],
    outputFile: { json: "test-results.json" },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
