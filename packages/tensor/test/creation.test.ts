import { describe, expect, it } from "vitest";
import {
  allClose,
  arange,
  broadcastShapes,
  cast,
  eye,
  fromTypedArray,
  full,
  fullLike,
  isFloat,
  ones,
  onesLike,
  scalar,
  shapesEqual,
  sizeOf,
  tensor,
  zeros,
  zerosLike,
} from "../src/index";

describe("creation", () => {
  it("infers shape and dtype from nested arrays and typed arrays", () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(x.shape).toEqual([2, 3]);
    expect(x.dtype).toBe("float32");
    expect(x.size).toBe(6);
    expect(x.rank).toBe(2);
    expect(tensor(7).shape).toEqual([]);
    expect(tensor(7).item()).toBe(7);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
    expect(tensor(Float64Array.of(1, 2)).dtype).toBe("float64");
    expect(tensor(Int32Array.of(1, 2)).dtype).toBe("int32");
    expect(tensor(Float64Array.of(1.5), "float32").toTypedArray()).toEqual(Float32Array.of(1.5));
  });

  it("copies its input and hands out copies", () => {
    const data = Float32Array.of(1, 2, 3, 4);
    const x = fromTypedArray(data, [2, 2]);
    data[0] = 99;
    expect(x.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    const copy = x.toTypedArray();
    copy[1] = 99;
    expect(x.toTypedArray()[1]).toBe(2);
    const nested = x.toArray() as number[][];
    nested[0]![0] = 42;
    expect(x.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it("is immutable: frozen tensor and frozen shape", () => {
    const x = zeros([2, 3]);
    expect(Object.isFrozen(x)).toBe(true);
    expect(Object.isFrozen(x.shape)).toBe(true);
    expect(() => {
      (x.shape as number[])[0] = 5;
    }).toThrow();
    const shape = [2, 3];
    const y = zeros(shape);
    shape[0] = 7;
    expect(y.shape).toEqual([2, 3]);
  });

  it("fills constants", () => {
    expect(zeros([2], "int32").toArray()).toEqual([0, 0]);
    expect(ones([2, 1]).toArray()).toEqual([[1], [1]]);
    expect(full([3], 2.5, "float64").toArray()).toEqual([2.5, 2.5, 2.5]);
    expect(scalar(3, "int32").shape).toEqual([]);
    const x = tensor([1, 2], "int32");
    expect(zerosLike(x).dtype).toBe("int32");
    expect(onesLike(x, "float64").dtype).toBe("float64");
    expect(fullLike(x, 7).toArray()).toEqual([7, 7]);
    expect(zeros([3, 0, 2]).size).toBe(0);
  });

  it("arange and eye follow numpy", () => {
    expect(arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(arange(1, 7, 2).toArray()).toEqual([1, 3, 5]);
    expect(arange(5, 1, -2, "int32").toArray()).toEqual([5, 3]);
    expect(arange(3, 3).shape).toEqual([0]);
    expect(arange(0, 1, 0.25, "float64").toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(eye(2).toArray()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(eye(2, 3, "int32").toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
  });

  it("cast truncates toward zero for int32 and is the identity for the same dtype", () => {
    const x = tensor([1.7, -1.7, Number.NaN, 3e9], "float64");
    expect(cast(x, "int32").toArray()).toEqual([1, -1, 0, 3e9 - 2 ** 32]);
    expect(cast(x, "float64")).toBe(x);
    expect(cast(tensor([1, 2], "int32"), "float32").toTypedArray()).toEqual(Float32Array.of(1, 2));
    expect(cast(tensor([0.1], "float64"), "float32").item()).toBe(Math.fround(0.1));
  });

  it("toString shows dtype, shape and small contents", () => {
    expect(tensor([[1, 2]]).toString()).toBe("Tensor(float32, [1,2]) [[1,2]]");
    expect(zeros([200]).toString()).toBe("Tensor(float32, [200]) […200 elements]");
  });
});

describe("shape helpers and allClose", () => {
  it("broadcastShapes follows numpy", () => {
    expect(broadcastShapes([8, 1, 6, 1], [7, 1, 5])).toEqual([8, 7, 6, 5]);
    expect(broadcastShapes([], [3])).toEqual([3]);
    expect(broadcastShapes([0], [1])).toEqual([0]);
    expect(broadcastShapes([2, 1], [1, 3], [4, 1, 1])).toEqual([4, 2, 3]);
    expect(() => broadcastShapes([2, 3], [4])).toThrow(
      "broadcastShapes: shapes [2,3] and [4] cannot be broadcast",
    );
  });

  it("sizeOf, shapesEqual, isFloat", () => {
    expect(sizeOf([2, 3, 4])).toBe(24);
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([5, 0])).toBe(0);
    expect(shapesEqual([2, 3], [2, 3])).toBe(true);
    expect(shapesEqual([2, 3], [3, 2])).toBe(false);
    expect(shapesEqual([1], [])).toBe(false);
    expect(isFloat("float64")).toBe(true);
    expect(isFloat("int32")).toBe(false);
  });

  it("allClose uses |a − b| ≤ atol + rtol·|b| and requires equal shapes", () => {
    expect(allClose(tensor([1, 2]), tensor([1, 2.00001]))).toBe(true);
    expect(allClose(tensor([1, 2]), tensor([1, 2.001]))).toBe(false);
    expect(allClose(tensor([1, 2]), tensor([1, 2.001]), { rtol: 1e-3 })).toBe(true);
    expect(allClose(tensor([0]), tensor([1e-9]))).toBe(true);
    expect(allClose(tensor([0]), tensor([1e-6]), { atol: 0 })).toBe(false);
    expect(allClose(tensor([1, 2]), tensor([[1, 2]]))).toBe(false);
    expect(allClose(tensor([Number.NaN]), tensor([Number.NaN]))).toBe(false);
    expect(allClose(tensor([Infinity]), tensor([Infinity], "float64"))).toBe(true);
  });
});
