import { expect, it } from "vitest";
import { loadBuilt } from "../../../scripts/smoke-dist";

it("built output loads in plain Node as ESM and CJS with the same exports", () => {
  const { esm, cjs } = loadBuilt(new URL("..", import.meta.url));
  expect(esm).toEqual(cjs);
  expect(esm).toContain("runCli");
  expect(esm).toContain("loadLossModule");
});
