/**
 * One namespace: every function of @puregrad/tensor is available from @puregrad/autograd
 * under the same name and signature — differentiable where it has a derivative, re-exported
 * as it is otherwise — so a user writes `f` once against `pg.*`.
 */
import * as T from "@puregrad/tensor";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as pg from "../src/index.js";
import { rules } from "../src/primitives.js";

/** Backend plumbing, left to @puregrad/tensor: moving a traced tensor would drop its gradient. */
const backendOnly = [
  "cpuBackend",
  "createCpuBackend",
  "toBackend",
  "matmulInfo",
  "setMatmulFma",
  "setMatmulThreads",
  "elementwiseInfo",
];

describe("the op namespace", () => {
  it("offers every tensor function except backend plumbing", () => {
    const tensorExports = Object.keys(T).filter((name) => !backendOnly.includes(name));
    const missing = tensorExports.filter((name) => !(name in pg));
    expect(missing).toEqual([]);
  });

  it("makes every primitive differentiable and re-exports the rest unchanged", () => {
    for (const name of Object.keys(T)) {
      if (!(name in pg)) continue;
      const ours = (pg as Record<string, unknown>)[name];
      const theirs = (T as Record<string, unknown>)[name];
      if (name in rules) expect(ours, name).not.toBe(theirs);
      else expect(ours, name).toBe(theirs);
    }
  });

  it("keeps the tensor ops' signatures", () => {
    expectTypeOf(pg.add).toEqualTypeOf<typeof T.add>();
    expectTypeOf(pg.pow).toEqualTypeOf<typeof T.pow>();
    expectTypeOf(pg.where).toEqualTypeOf<typeof T.where>();
    expectTypeOf(pg.axpby).toEqualTypeOf<typeof T.axpby>();
    expectTypeOf(pg.exp).toEqualTypeOf<typeof T.exp>();
    expectTypeOf(pg.sum).toEqualTypeOf<typeof T.sum>();
    expectTypeOf(pg.logSumExp).toEqualTypeOf<typeof T.logSumExp>();
    expectTypeOf(pg.sumOfSquares).toEqualTypeOf<typeof T.sumOfSquares>();
    expectTypeOf(pg.reshape).toEqualTypeOf<typeof T.reshape>();
    expectTypeOf(pg.transpose).toEqualTypeOf<typeof T.transpose>();
    expectTypeOf(pg.broadcastTo).toEqualTypeOf<typeof T.broadcastTo>();
    expectTypeOf(pg.concat).toEqualTypeOf<typeof T.concat>();
    expectTypeOf(pg.slice).toEqualTypeOf<typeof T.slice>();
    expectTypeOf(pg.take).toEqualTypeOf<typeof T.take>();
    expectTypeOf(pg.expandDims).toEqualTypeOf<typeof T.expandDims>();
    expectTypeOf(pg.squeeze).toEqualTypeOf<typeof T.squeeze>();
    expectTypeOf(pg.matmul).toEqualTypeOf<typeof T.matmul>();
    expectTypeOf(pg.cast).toEqualTypeOf<typeof T.cast>();
  });
});
