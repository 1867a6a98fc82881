import * as T from "@puregrad/tensor";
import { describe, expect, it } from "vitest";
import * as pg from "../src/index.js";

const a = T.tensor([1, 2]);
const b = T.tensor([[3]]);
const c = T.scalar(4);

describe("pytrees", () => {
  it("flatten depth first with paths and rebuild the same structure", () => {
    const tree = { layers: [{ W: a, b }, { W: c }], "odd key": a };
    const { leaves, paths, unflatten } = pg.treeFlatten(tree);
    expect(leaves).toEqual([a, b, c, a]);
    expect(paths).toEqual(["layers[0].W", "layers[0].b", "layers[1].W", '["odd key"]']);
    const rebuilt = unflatten([c, c, c, c]);
    expect(rebuilt).toEqual({ layers: [{ W: c, b: c }, { W: c }], "odd key": c });
    expect(rebuilt).not.toBe(tree);
    expect(() => unflatten([c])).toThrow("pytree: cannot rebuild a tree of 4 leaves from 1");
  });

  it("treat a lone tensor as a tree with one leaf at the empty path", () => {
    expect(pg.treeFlatten(a).paths).toEqual([""]);
    expect(pg.treeLeaves([[a], { x: b }])).toEqual([a, b]);
  });

  it("map leaf by leaf over trees of the same structure", () => {
    const params = { W: a, b: [b] };
    const grads = { W: T.tensor([10, 20]), b: [T.tensor([[30]])] };
    const updated = pg.treeMap((p, g) => pg.sub(p, pg.mul(g!, 0.1)), params, grads);
    expect(updated.W.toArray()).toEqual([0, 0]);
    expect(updated.b[0]!.toArray()).toEqual([[0]]);
  });

  it("reject non-tensor leaves and mismatched structures, naming the path", () => {
    expect(() => pg.treeLeaves({ W: a, b: [undefined] })).toThrow(
      "treeLeaves at b[0] is undefined, not a Tensor",
    );
    expect(() => pg.treeMap((x) => x, { W: a }, { V: a })).toThrow(
      'treeMap: tree 1 has a different structure: leaf 0 should be a leaf at "W", found a leaf at "V"',
    );
  });
});
