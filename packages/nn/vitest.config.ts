import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", "json"],
    outputFile: { json: "test-results.json" },
    testTimeout: 60_000,
    // The memory test measures what the process holds after explicit collections.
    execArgv: ["--expose-gc"],
  },
});
