import { describe, expect, it } from "vitest";
import {
  add,
  argmax,
  broadcastTo,
  concat,
  exp,
  expandDims,
  fromTypedArray,
  full,
  log,
  mean,
  oneHot,
  reshape,
  slice,
  squeeze,
  sum,
  take,
  tensor,
  transpose,
  where,
  zeros,
} from "../src/index";

describe("programmer errors throw at once with a clear message", () => {
  const x = zeros([2, 3]);

  it("shape mismatches name the op and both shapes", () => {
    expect(() => add(x, zeros([4]))).toThrow("add: shapes [2,3] and [4] cannot be broadcast");
    expect(() => where(zeros([2]), x, zeros([3, 1]))).toThrow(
      "where: shapes [2], [2,3] and [3,1] cannot be broadcast",
    );
    expect(() => broadcastTo(x, [3])).toThrow("broadcastTo: cannot broadcast [2,3] to [3]");
    expect(() => broadcastTo(x, [2, 1])).toThrow("broadcastTo: cannot broadcast [2,3] to [2,1]");
    expect(() => reshape(x, [4])).toThrow("reshape: cannot reshape [2,3] into [4]");
    expect(() => reshape(x, [-1, 4])).toThrow("reshape: cannot reshape [2,3] into [-1,4]");
    expect(() => reshape(x, [-1, -1])).toThrow("reshape: invalid shape [-1,-1]");
    expect(() => concat([x, zeros([2, 4])])).toThrow(
      "concat: shapes [2,3] and [2,4] differ outside axis 0",
    );
    expect(() => fromTypedArray(new Float32Array(5), [2, 3])).toThrow(
      "fromTypedArray: 5 elements cannot fill shape [2,3]",
    );
  });

  it("dtype mismatches and int32 where a float is required", () => {
    const ints = tensor([1, 2, 3], "int32");
    expect(() => add(tensor([1, 2, 3]), ints)).toThrow("add: dtype mismatch float32 vs int32");
    expect(() => exp(ints)).toThrow(
      "exp: int32 tensors are not supported; cast to float32 or float64 first",
    );
    expect(() => log(ints)).toThrow("log: int32 tensors are not supported");
    expect(() => mean(ints)).toThrow("mean: int32 tensors are not supported");
    expect(() => add(ints, 0.5)).toThrow("add: number 0.5 is not an int32");
    expect(() => concat([x, zeros([2, 3], "float64")])).toThrow(
      "concat: dtype mismatch float32 vs float64",
    );
    expect(() => take(x, tensor([0]))).toThrow("take: indices must be int32, got float32");
    expect(() => zeros([2], "float16" as never)).toThrow("zeros: unknown dtype float16");
  });

  it("invalid shapes: negative, non-integer, non-finite entries", () => {
    expect(() => zeros([2, -1])).toThrow(
      "zeros: invalid shape [2,-1]: entries must be non-negative integers",
    );
    expect(() => zeros([1.5])).toThrow("zeros: invalid shape [1.5]");
    expect(() => full([Infinity], 0)).toThrow("full: invalid shape [Infinity]");
    expect(() => zeros([Number.NaN])).toThrow("zeros: invalid shape [NaN]");
    expect(() => tensor([[1, 2], [3]])).toThrow("tensor: ragged nested array");
    expect(() => tensor([1.5], "int32")).toThrow("tensor: 1.5 is not an int32 value");
  });

  it("invalid axes and indices", () => {
    expect(() => sum(x, { axis: 2 })).toThrow("sum: axis 2 is out of range for rank 2");
    expect(() => sum(x, { axis: -3 })).toThrow("sum: axis -3 is out of range for rank 2");
    expect(() => sum(x, { axis: [0, -2] })).toThrow("sum: axis 0 is repeated");
    expect(() => argmax(x, { axis: 1.5 })).toThrow("argmax: axis 1.5 is out of range");
    expect(() => transpose(x, [0, 0])).toThrow("transpose: [0,0] is not a permutation");
    expect(() => expandDims(x, 3)).toThrow("expandDims: axis 3 is out of range for rank 3");
    expect(() => squeeze(x, 0)).toThrow("squeeze: axis 0 of shape [2,3] has extent 2, not 1");
    expect(() => slice(x, [0, 2], [2, 1])).toThrow("slice: begin 2 exceeds end 1 on axis 1");
    expect(() => slice(x, [3], [3])).toThrow("slice: bound 3 is outside axis 0 of shape [2,3]");
    expect(() => take(x, [2])).toThrow("take: index 2 is out of range [0, 2)");
    expect(() => take(x, [-1])).toThrow("take: index -1 is out of range [0, 2)");
    expect(() => oneHot([3], 3)).toThrow("oneHot: index 3 is out of range [0, 3)");
    expect(() => x.item()).toThrow("item: tensor of shape [2,3] has 6 elements, expected 1");
  });

  it("non-tensor arguments", () => {
    expect(() => exp([1, 2] as never)).toThrow("exp: argument must be a Tensor");
    expect(() => add(x, "1" as never)).toThrow("add: operand 2 must be a Tensor");
  });
});
