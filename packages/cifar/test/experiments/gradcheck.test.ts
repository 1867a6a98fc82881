import * as pg from "@puregrad/autograd";
import { multiclassHinge, softmaxCrossEntropy } from "@puregrad/nn";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { gradientCheckConfigOf } from "../../src/experiments/config.js";
import { runGradientChecks } from "../../src/experiments/experiment.js";
import {
  type GradientCheckResult,
  gradientCheckMarkdown,
  runGradientCheck,
} from "../../src/experiments/gradcheck.js";
import { eventLog, expectRight, tinyDataset } from "./helpers.js";

const check = (json: object) => gradientCheckConfigOf({ inputDimensions: 12, samples: 4, ...json });

const passed = (result: ReturnType<typeof runGradientCheck>): GradientCheckResult => {
  if ("_tag" in result) throw new Error(result.message);
  return result;
};

describe("runGradientCheck", () => {
  it("passes per layer for 2, 3 and 4 layers without BN and 2 and 3 with BN, at λ > 0", () => {
    const { train } = tinyDataset();
    const models = [
      { hiddenSizes: [6], init: "he" },
      { hiddenSizes: [6, 5], init: "he" },
      { hiddenSizes: [6, 5, 4], init: "he" },
      { hiddenSizes: [6], init: "he", batchNorm: true },
      { hiddenSizes: [6, 5], init: "he", batchNorm: true },
    ];
    for (const model of models) {
      const result = passed(
        runGradientCheck(check({ model, lambda: 0.01, samples: 6 }), train, softmaxCrossEntropy),
      );
      const expected = model.hiddenSizes.flatMap((_, layer) => [
        `layers[${layer}].W`,
        `layers[${layer}].b`,
        ...(model.batchNorm ? [`layers[${layer}].gamma`, `layers[${layer}].beta`] : []),
      ]);
      expected.push(
        `layers[${model.hiddenSizes.length}].W`,
        `layers[${model.hiddenSizes.length}].b`,
      );
      expect(result.rows.map((row) => row.path).sort()).toEqual(expected.sort());
      expect(result.pass, JSON.stringify(model)).toBe(true);
      expect(result.rows.every((row) => row.dtype === "float64" && row.h === 1e-5)).toBe(true);
    }
  });

  it("checks the SVM loss of A1 on the reduced problem: every entry of W (12 dims × 10 classes) and b", () => {
    const result = passed(
      runGradientCheck(check({ lambda: 0.1, loss: "svm" }), tinyDataset().train, multiclassHinge),
    );
    expect(result.rows.map((row) => [row.path, row.shape, row.entriesChecked])).toEqual([
      ["layers[0].W", [10, 12], 120],
      ["layers[0].b", [10], 10],
    ]);
    expect(result.pass).toBe(true);
  });

  it("fails when autograd misses part of the gradient", () => {
    // stopGradient hides the penalty's gradient from autograd, but not from finite differences.
    const brokenLoss = (logits: pg.Tensor, labels: pg.Tensor) =>
      pg.add(softmaxCrossEntropy(logits, labels), pg.mean(pg.square(pg.stopGradient(logits))));
    const result = passed(
      runGradientCheck(check({ model: { hiddenSizes: [4] } }), tinyDataset().train, brokenLoss),
    );
    expect(result.pass).toBe(false);
    expect(gradientCheckMarkdown(result)).toContain("✗ FAIL");
  });

  it("renders one table row per tensor and pair of methods", () => {
    const result = passed(runGradientCheck(check({}), tinyDataset().train, softmaxCrossEntropy));
    const lines = gradientCheckMarkdown(result).split("\n");
    expect(lines[0]).toMatch(/^\| tensor .*\| rel\. error min .*\| abs\. diff\. max .*\| pass \|$/);
    expect(lines.slice(2).map((line) => line.split("|")[4]!.trim())).toEqual([
      "autograd vs centered",
      "autograd vs forward",
      "centered vs forward",
      "autograd vs centered",
      "autograd vs forward",
      "centered vs forward",
    ]);
    expect(lines[2]).toContain("`layers[0].W`");
    expect(lines[2]).toContain("✓");
  });

  it("reports a training set too small for the reduced problem", () => {
    const result = runGradientCheck(
      check({ samples: 10_000 }),
      tinyDataset().train,
      softmaxCrossEntropy,
    );
    expect(result).toMatchObject({
      _tag: "GradientCheckDataError",
      message: expect.stringMatching(/needs 10000 samples/),
    });
  });
});

describe("runGradientChecks", () => {
  it("runs checks without writing files and emits a row event per tensor", async () => {
    const { events, onEvent } = eventLog();
    const results = await expectRight(
      runGradientChecks([check({ name: "λ=0" }), check({ name: "λ=1", lambda: 1 })], {
        dataset: tinyDataset(),
        onEvent,
      }),
    );
    expect(results.map((result) => [result.name, result.pass])).toEqual([
      ["λ=0", true],
      ["λ=1", true],
    ]);
    expect(events.filter((event) => event.type === "gradcheck-row")).toHaveLength(4);
    const finished = events.filter((event) => event.type === "gradcheck-finished");
    expect(finished.map((event) => "table" in event && event.table)).toEqual(
      results.map(gradientCheckMarkdown),
    );
    const missingModule = await runGradientChecks([check({ loss: { module: "./x.ts" } })], {
      dataset: tinyDataset(),
    })();
    expect(E.isLeft(missingModule) && missingModule.left._tag).toBe("LossModuleNotLoaded");
  });
});
