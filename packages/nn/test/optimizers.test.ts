import type { Tensor } from "@puregrad/autograd";
import * as pg from "@puregrad/autograd";
import { describe, expect, it } from "vitest";
import {
  adam,
  applyUpdates,
  chain,
  type GradientTransformation,
  momentum,
  resolveOptimizer,
  scaleByLearningRate,
  sgd,
  trace,
} from "../src/index.js";
import { expectAllClose } from "./helpers.js";

const vector = (values: number[]): Tensor => pg.tensor(values, "float64");

/** Runs `optimizer` over a list of gradients for one parameter; returns each step's update. */
function updatesFor(optimizer: GradientTransformation, gradients: number[][]): number[][] {
  let params = { w: vector([1, -2]) };
  let state = optimizer.init(params);
  return gradients.map((gradient) => {
    const [updates, next] = optimizer.update({ w: vector(gradient) }, state, params);
    state = next;
    params = applyUpdates(params, updates);
    return updates.w.toArray() as number[];
  });
}

const g = [0.5, 1];

describe("optimizers", () => {
  it("sgd: update = −η g", () => {
    expectAllClose(updatesFor(sgd(0.1), [g, [2, -4]]), [
      [-0.05, -0.1],
      [-0.2, 0.4],
    ]);
  });

  it("applyUpdates adds leaf by leaf and keeps the tree's structure", () => {
    const params = { layers: [{ W: pg.tensor([[1, 2]], "float64"), b: vector([3]) }] };
    const updates = { layers: [{ W: pg.tensor([[0.5, -1]], "float64"), b: vector([-3]) }] };
    const result = applyUpdates(params, updates);
    expect(result.layers[0]!.W.toArray()).toEqual([[1.5, 1]]);
    expect(result.layers[0]!.b.toArray()).toEqual([0]);
    expect(() => applyUpdates(params, { layers: [{ W: params.layers[0]!.W }] } as never)).toThrow(
      "has a different structure",
    );
  });

  it("course momentum: v ← ρv + ηg, update −v", () => {
    // v1 = 0.1·g = [0.05, 0.1]; v2 = 0.9·v1 + 0.1·g = [0.095, 0.19]; v3 = 0.9·v2 + 0.1·g.
    expectAllClose(updatesFor(momentum(0.1, 0.9), [g, g, g]), [
      [-0.05, -0.1],
      [-0.095, -0.19],
      [-0.1355, -0.271],
    ]);
  });

  it("optax momentum (trace then scale): v ← ρv + g, update −ηv", () => {
    expectAllClose(updatesFor(sgd(0.1, { momentum: 0.9 }), [g, g, g]), [
      [-0.05, -0.1],
      [-0.095, -0.19],
      [-0.1355, -0.271],
    ]);
    expectAllClose(updatesFor(chain(trace(0.9), scaleByLearningRate(0.1)), [g, g]), [
      [-0.05, -0.1],
      [-0.095, -0.19],
    ]);
  });

  it("the two momentum rules agree under a constant η and differ under a decaying η", () => {
    const decaying = (step: number) => [0.1, 0.01][step]!;
    // Course: v2 = 0.9·(0.1 g) + 0.01 g = 0.1 g — the first gradient keeps its η of 0.1.
    expectAllClose(updatesFor(momentum(decaying, 0.9), [g, g]), [
      [-0.05, -0.1],
      [-0.05, -0.1],
    ]);
    // optax: v2 = 0.9 g + g = 1.9 g, all scaled by the new η 0.01.
    expectAllClose(updatesFor(sgd(decaying, { momentum: 0.9 }), [g, g]), [
      [-0.05, -0.1],
      [-0.0095, -0.019],
    ]);
  });

  it("the learning rate schedule is read at the 0-based step count", () => {
    const seen: number[] = [];
    const schedule = (step: number) => {
      seen.push(step);
      return 1;
    };
    updatesFor(sgd(schedule), [g, g, g]);
    expect(seen).toEqual([0, 1, 2]);
  });

  it("adam: first steps match the bias-corrected formula", () => {
    // Step 1 is −η·sign(g) (up to ε); step 2 computed by hand from m, v with β = (0.9, 0.999).
    expectAllClose(
      updatesFor(adam(0.1), [g, [-1, 0.5]]),
      [
        [-0.1, -0.1],
        [0.03661035, -0.09321796],
      ],
      7,
    );
  });

  it("chain threads each transform's state and passes updates along", () => {
    const optimizer = chain(scaleByLearningRate(0.5), scaleByLearningRate(0.1));
    const params = { w: vector([0]) };
    const state = optimizer.init(params) as readonly { count: number }[];
    expect(state).toEqual([{ count: 0 }, { count: 0 }]);
    const [updates, next] = optimizer.update({ w: vector([2]) }, state, params);
    expect(updates.w.toArray()).toEqual([0.1]); // 2 · (−0.5) · (−0.1)
    expect(next).toEqual([{ count: 1 }, { count: 1 }]);
  });

  it("update is pure: the same state gives the same update twice", () => {
    const optimizer = adam(0.01);
    const params = { w: vector([1, 2]) };
    const state = optimizer.init(params);
    const first = optimizer.update({ w: vector([0.3, -0.2]) }, state, params)[0].w.toArray();
    const second = optimizer.update({ w: vector([0.3, -0.2]) }, state, params)[0].w.toArray();
    expect(second).toEqual(first);
  });

  it("rejects decay factors outside [0, 1)", () => {
    expect(() => momentum(0.1, 1)).toThrow("momentum: rho must be in [0, 1), got 1");
    expect(() => trace(-0.1)).toThrow("trace: decay must be in [0, 1), got -0.1");
    expect(() => adam(0.1, { beta2: 1.5 })).toThrow(
      "scaleByAdam: beta2 must be in [0, 1), got 1.5",
    );
    expect(() => sgd(-1)).toThrow("learning rate must be finite and >= 0");
  });

  it("configs resolve to the optimizer of that type, with a schedule spec for η", () => {
    const decaying = {
      type: "epochDecay",
      learningRate: 0.1,
      decay: 0.1,
      stepsPerEpoch: 1,
    } as const;
    expectAllClose(
      updatesFor(resolveOptimizer({ type: "momentum", learningRate: decaying, rho: 0.9 }), [g, g]),
      [
        [-0.05, -0.1],
        [-0.05, -0.1],
      ],
    );
    expectAllClose(
      updatesFor(resolveOptimizer({ type: "sgd", learningRate: decaying, momentum: 0.9 }), [g, g]),
      [
        [-0.05, -0.1],
        [-0.0095, -0.019],
      ],
    );
    expectAllClose(updatesFor(resolveOptimizer({ type: "sgd", learningRate: 0.1 }), [g]), [
      [-0.05, -0.1],
    ]);
    expectAllClose(
      updatesFor(resolveOptimizer({ type: "adam", learningRate: 0.1, beta1: 0 }), [g, [-1, 0.5]]),
      [
        [-0.1, -0.1],
        [
          (0.1 * 1) / Math.sqrt((0.999 * 0.001 * 0.25 + 0.001) / (1 - 0.999 ** 2)),
          (-0.1 * 0.5) / Math.sqrt((0.999 * 0.001 + 0.001 * 0.25) / (1 - 0.999 ** 2)),
        ],
      ],
      6,
    );
    const custom = sgd(0.3);
    expect(resolveOptimizer(custom)).toBe(custom);
    expect(() => resolveOptimizer({ type: "rmsprop", learningRate: 0.1 } as never)).toThrow(
      'resolveOptimizer: unknown optimizer type "rmsprop"',
    );
  });
});
