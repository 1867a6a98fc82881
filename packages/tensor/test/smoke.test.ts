import { describe, expect, it } from "vitest";
import {
  add,
  argmax,
  concat,
  key,
  logSumExp,
  matmul,
  oneHot,
  slice,
  split,
  sum,
  take,
  tensor,
  transpose,
} from "../src/index";

describe("first cut", () => {
  const a = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  it("broadcasts a row vector", () => {
    expect(add(a, tensor([10, 20, 30])).toArray()).toEqual([
      [11, 22, 33],
      [14, 25, 36],
    ]);
  });
  it("reduces along axes", () => {
    expect(sum(a, { axis: 0 }).toArray()).toEqual([5, 7, 9]);
    expect(sum(a, { axis: 1, keepDims: true }).toArray()).toEqual([[6], [15]]);
    expect(sum(a).item()).toBe(21);
    expect(argmax(a, { axis: 1 }).toArray()).toEqual([2, 2]);
    expect(logSumExp(a, { axis: 1 }).toTypedArray()[0]).toBeCloseTo(3.40760596, 5);
  });
  it("multiplies with transposes", () => {
    expect(matmul(a, a, { transposeB: true }).toArray()).toEqual([
      [14, 32],
      [32, 77],
    ]);
    expect(matmul(a, a, { transposeA: true }).toArray()).toEqual([
      [17, 22, 27],
      [22, 29, 36],
      [27, 36, 45],
    ]);
  });
  it("reshapes and indexes", () => {
    expect(transpose(a).toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(slice(a, [0, 1], [2, 3]).toArray()).toEqual([
      [2, 3],
      [5, 6],
    ]);
    expect(concat([a, a], 1).shape).toEqual([2, 6]);
    expect(take(a, [1, 0]).toArray()).toEqual([
      [4, 5, 6],
      [1, 2, 3],
    ]);
    expect(oneHot([2, 0], 3).toArray()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
  });
  it("splits keys exactly like jax.random.split", () => {
    expect(split(key(0)).map((k) => [...k])).toEqual([
      [4146024105, 967050713],
      [2718843009, 1272950319],
    ]);
  });
});
