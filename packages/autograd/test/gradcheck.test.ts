import * as T from "@puregrad/tensor";
import { describe, expect, it } from "vitest";
import * as pg from "../src/index.js";
import { expectAllPass, random } from "./helpers.js";

type Tensor = pg.Tensor;

describe("checkGradients", () => {
  it("reports the O(h) error of forward differences on a quadratic, where centered ones are exact", () => {
    const w = T.tensor([0.5, 1, 2], "float64");
    const [row] = pg.checkGradients((w: Tensor) => pg.sum(pg.square(w)), w);
    const [centered, forward, centeredVsForward] = row!.comparisons;
    expect(row).toMatchObject({
      path: "",
      shape: [3],
      dtype: "float64",
      h: 1e-5,
      entriesChecked: 3,
    });
    expect(centered.methods).toEqual(["autograd", "centered"]);
    expect(centered.absoluteDifference.max).toBeLessThan(1e-10);
    // (f(w + h) − f(w)) / h = 2w + h exactly, so forward differences are off by h.
    expect(forward.methods).toEqual(["autograd", "forward"]);
    expect(forward.absoluteDifference.max).toBeCloseTo(1e-5, 9);
    expect(forward.absoluteDifference.mean).toBeCloseTo(1e-5, 9);
    expect(forward.relativeError.max).toBeCloseTo(1e-5 / (4 * 0.5 + 1e-5), 9);
    expect(forward.relativeError.min).toBeCloseTo(1e-5 / (4 * 2 + 1e-5), 9);
    expect(centeredVsForward.methods).toEqual(["centered", "forward"]);
    expect(row!.pass).toBe(true);
  });

  it("fails a wrong gradient and passes the right one", () => {
    const slightlyWrongSquare = customSquare(1.000_01);
    const x = random([4, 3], 1);
    const [wrong] = pg.checkGradients((x: Tensor) => pg.sum(slightlyWrongSquare(x)), x);
    expect(wrong!.pass).toBe(false);
    expect(wrong!.comparisons[0].normRelativeError).toBeGreaterThan(1e-6);
    expectAllPass(pg.checkGradients((x: Tensor) => pg.sum(customSquare(1)(x)), x));
  });

  it("checks a subset of entries chosen by the key", () => {
    const params = { W: random([10, 20], 1), b: random([10], 2) };
    const f = (p: typeof params) => pg.sum(pg.tanh(pg.add(pg.sum(p.W, { axis: 1 }), p.b)));
    const rows = pg.checkGradients(f, params, { maxEntriesPerTensor: 15, key: T.key(3) });
    expect(rows.map((r) => [r.path, r.entriesChecked])).toEqual([
      ["W", 15],
      ["b", 10],
    ]);
    expectAllPass(rows);
  });

  it("works in float32 with its looser default tolerances", () => {
    const x = random([6, 5], 1, { dtype: "float32" });
    const params = {
      W: random([5, 4], 2, { dtype: "float32" }),
      b: random([4], 3, { dtype: "float32" }),
    };
    const cost = (p: typeof params) =>
      pg.mean(pg.logSumExp(pg.add(pg.matmul(pg.relu(x), p.W), p.b), { axis: 1 }));
    const rows = pg.checkGradients(cost, params);
    expect(rows.map((r) => [r.dtype, r.h, r.tolerance])).toEqual([
      ["float32", 1e-2, pg.defaultTolerances.float32],
      ["float32", 1e-2, pg.defaultTolerances.float32],
    ]);
    expectAllPass(rows);
  });

  it("passes a gradient that is exactly zero (a dead unit) against a numerical 1e-17", () => {
    const params = { W: random([3, 2], 1), b: T.tensor([-50, 0.5], "float64") };
    const f = (p: typeof params) => pg.sum(pg.relu(pg.add(pg.matmul(random([4, 3], 2), p.W), p.b)));
    const rows = pg.checkGradients(f, params);
    expect(rows[1]!.comparisons[0].normRelativeError).toBeLessThan(1e-6);
    expectAllPass(rows);
  });
});

/** A square whose custom VJP is scaled by `factor` (1: the true derivative). */
function customSquare(factor: number) {
  return pg.customVjp(
    (x: Tensor) => [pg.square(x), x] as const,
    (x, g) => [pg.mul(g, pg.mul(x, 2 * factor))],
  );
}
