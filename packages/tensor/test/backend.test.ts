import { afterEach, describe, expect, it } from "vitest";
import {
  add,
  type Backend,
  cpuBackend,
  createCpuBackend,
  getBackend,
  type MatmulKernel,
  matmul,
  setBackend,
  slice,
  tensor,
  toBackend,
  transpose,
  zeros,
} from "../src/index";

afterEach(() => setBackend(cpuBackend));

/** Wraps a backend and records which kernels ops call. */
function recording(inner: Backend, name: string): { backend: Backend; calls: string[] } {
  const calls: string[] = [];
  const backend = Object.fromEntries(
    Object.entries(inner).map(([key, value]) => [
      key,
      typeof value === "function"
        ? (...args: unknown[]) => {
            calls.push(key);
            return (value as (...a: unknown[]) => unknown)(...args);
          }
        : value,
    ]),
  ) as unknown as Backend;
  return { backend: { ...backend, name }, calls };
}

describe("backends", () => {
  it("the CPU backend is the default", () => {
    expect(getBackend()).toBe(cpuBackend);
    expect(zeros([1]).backend.name).toBe("cpu");
  });

  it("creation uses the current backend and each op calls exactly one kernel", () => {
    const { backend, calls } = recording(createCpuBackend(), "recorded");
    setBackend(backend);
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(x.backend).toBe(backend);
    expect(calls).toEqual(["fromTypedArray"]);
    calls.length = 0;
    const y = add(x, x);
    expect(calls).toEqual(["binary"]);
    expect(y.backend).toBe(backend);
    calls.length = 0;
    matmul(x, y, { transposeA: true });
    expect(calls).toEqual(["matmul"]);
  });

  it("ops keep to their inputs' backend and refuse to mix backends", () => {
    const cpuTensor = tensor([1, 2]);
    const other = createCpuBackend({ name: "other" });
    setBackend(other);
    const otherTensor = tensor([1, 2]);
    expect(add(cpuTensor, cpuTensor).backend).toBe(cpuBackend);
    expect(() => add(cpuTensor, otherTensor)).toThrow(
      "add: tensors live on different backends (cpu vs other); use toBackend first",
    );
    expect(add(toBackend(cpuTensor, other), otherTensor).toArray()).toEqual([2, 4]);
    // A number meets a tensor on that tensor's backend, whichever backend is current.
    setBackend(cpuBackend);
    const sum = add(2, otherTensor);
    expect(sum.backend).toBe(other);
    expect(sum.toArray()).toEqual([3, 4]);
  });

  it("accepts a replacement matmul kernel (the WASM SIMD plug-in point)", () => {
    const seen: [number, number, number, boolean, boolean][] = [];
    const kernel: MatmulKernel = (a, b, out, m, k, n, transposeA, transposeB) => {
      seen.push([m, k, n, transposeA, transposeB]);
      out.fill(a[0]! + b[0]!);
    };
    setBackend(createCpuBackend({ name: "wasm", matmul: kernel }));
    const c = matmul(zeros([3, 2]), tensor([[5], [0], [0]]), { transposeA: true });
    expect(seen).toEqual([[2, 3, 1, true, false]]);
    expect(c.toArray()).toEqual([[5], [5]]);
  });

  it("the CPU backend shares storage for dense views (row runs) and copies strided ones", () => {
    const source = new Float32Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const storage = cpuBackend.fromTypedArray(source, "float32");
    const rows = cpuBackend.copyStrided(storage, {
      dtype: "float32",
      shape: [2, 1, 3],
      strides: [3, 99, 1],
      offset: 3,
    }) as unknown as Float32Array;
    expect(rows.buffer).toBe(source.buffer);
    expect([...rows]).toEqual([3, 4, 5, 6, 7, 8]);
    const columns = cpuBackend.copyStrided(storage, {
      dtype: "float32",
      shape: [2, 2],
      strides: [1, 3],
      offset: 1,
    }) as unknown as Float32Array;
    expect(columns.buffer).not.toBe(source.buffer);
    expect([...columns]).toEqual([1, 4, 2, 5]);
    // Through the public ops: a row slice reads right, and ops on it see only its rows.
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const middle = slice(x, [1], [3]);
    expect(add(middle, 1).toArray()).toEqual([
      [4, 5],
      [6, 7],
    ]);
    expect(transpose(middle).toArray()).toEqual([
      [3, 5],
      [4, 6],
    ]);
    expect(matmul(middle, middle, { transposeB: true }).toArray()).toEqual([
      [25, 39],
      [39, 61],
    ]);
  });
});
