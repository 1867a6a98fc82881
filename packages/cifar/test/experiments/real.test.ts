import { describe, expect, it } from "vitest";
import { runConfigOf } from "../../src/experiments/config.js";
import { runConfig } from "../../src/experiments/experiment.js";
import { expectRight, temporaryFolder } from "./helpers.js";

describe.runIf(process.env.CIFAR10_DIR)("on real CIFAR-10 (CIFAR10_DIR)", () => {
  it("A1 with λ = 0, η = 0.001 reaches validation accuracy above 0.30 in a few epochs", async () => {
    const config = runConfigOf({
      data: "real",
      lambda: 0,
      optimizer: { type: "sgd", learningRate: 0.001 },
      epochs: 3,
    });
    const result = await expectRight(runConfig(config, { outDir: await temporaryFolder() }));
    const [run] = result.summary.runs;
    expect(result.summary.data).toEqual([
      { kind: "real", description: expect.stringMatching(/CIFAR10_DIR=.*split a1/) },
    ]);
    expect(run!.final!.validationAccuracy).toBeGreaterThan(0.3);
  });
});
