import * as pg from "@puregrad/autograd";
import { softmaxCrossEntropy } from "@puregrad/nn";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import focal, { FOCUSING, focalLoss } from "../../../examples/focal-loss";

const logitsArbitrary = (rows: number, classes: number) =>
  fc.array(fc.double({ min: -4, max: 4, noNaN: true }), {
    minLength: rows * classes,
    maxLength: rows * classes,
  });

describe("examples/focal-loss.ts", () => {
  it("matches −(1 − p_y)^γ log p_y computed by hand", () => {
    // Row 1: p = softmax([1, 2, 3]), label 0; row 2: p = softmax([0, 0, 0]) = 1/3, label 2.
    const logits = pg.tensor(
      [
        [1, 2, 3],
        [0, 0, 0],
      ],
      "float64",
    );
    const labels = pg.tensor([0, 2], "int32");
    const p0 = Math.exp(1) / (Math.exp(1) + Math.exp(2) + Math.exp(3));
    const expected = (-((1 - p0) ** 2) * Math.log(p0) - (2 / 3) ** 2 * Math.log(1 / 3)) / 2;
    expect(FOCUSING).toBe(2);
    expect(focal(logits, labels).item()).toBeCloseTo(expected, 12);
  });

  it("with γ = 0 is the softmax cross-entropy (property)", () => {
    fc.assert(
      fc.property(
        logitsArbitrary(4, 5),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 4, maxLength: 4 }),
        (values, labelValues) => {
          const logits = pg.reshape(pg.tensor(values, "float64"), [4, 5]);
          const labels = pg.tensor(labelValues, "int32");
          const focalValue = focalLoss(0)(logits, labels).item();
          const crossEntropy = softmaxCrossEntropy(logits, labels).item();
          expect(focalValue).toBeCloseTo(crossEntropy, 10);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("down-weights confident examples: never above the cross-entropy, and smaller for larger γ", () => {
    const logits = pg.tensor(
      [
        [4, 0, -1],
        [0.5, 0.4, 0.3],
        [-2, 3, 1],
      ],
      "float64",
    );
    const labels = pg.tensor([0, 1, 1], "int32");
    const values = [0, 0.5, 1, 2, 5].map((gamma) => focalLoss(gamma)(logits, labels).item());
    for (let index = 1; index < values.length; index++)
      expect(values[index]!).toBeLessThan(values[index - 1]!);
  });

  it("has autograd gradients that agree with finite differences (float64, EXPERIMENTS.md's rule)", () => {
    fc.assert(
      fc.property(
        logitsArbitrary(3, 4),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }),
        (values, labelValues) => {
          const labels = pg.tensor(labelValues, "int32");
          const rows = pg.checkGradients(
            (logits: pg.Tensor) => focal(logits, labels),
            pg.reshape(pg.tensor(values, "float64"), [3, 4]),
          );
          expect(rows).toHaveLength(1);
          expect(rows[0]!.pass, JSON.stringify(rows[0]!.comparisons[0])).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("rejects a negative γ", () => {
    expect(() => focalLoss(-1)).toThrow(/gamma must be finite and >= 0, got -1/);
  });
});
