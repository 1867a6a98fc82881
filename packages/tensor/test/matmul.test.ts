import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blockedMatmul } from "../src/cpu/matmul";
import { eye, matmul, type Tensor, tensor } from "../src/index";
import { expectClose, fromTyped, plainOf } from "./helpers";

/** Naive triple loop over op(a)·op(b) in float64. */
function naiveMatmul(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): number[] {
  const A = plainOf(a);
  const B = plainOf(b);
  const [m, k] = transposeA ? [A.shape[1]!, A.shape[0]!] : [A.shape[0]!, A.shape[1]!];
  const n = transposeB ? B.shape[0]! : B.shape[1]!;
  const at = (i: number, p: number) => A.data[transposeA ? p * m + i : i * k + p]!;
  const bt = (p: number, j: number) => B.data[transposeB ? j * k + p : p * n + j]!;
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += at(i, p) * bt(p, j);
      out.push(s);
    }
  }
  return out;
}

/** `op(a)·op(b)` through the JavaScript cache-blocked kernel, the fallback of the default one. */
function blockedOn(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Float64Array {
  const [m, k] = transposeA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const n = transposeB ? b.shape[0]! : b.shape[1]!;
  const A = a.toTypedArray() as Float64Array;
  const B = b.toTypedArray() as Float64Array;
  const out = new (A.constructor as Float64ArrayConstructor)(m * n);
  blockedMatmul(A, B, out, m, k, n, transposeA, transposeB);
  return out;
}

const values = (count: number, seed: number) =>
  Array.from({ length: count }, (_, i) => Math.sin(seed * 7.1 + i * 1.37) * 2);

function operands(
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
  dtype: "float32" | "float64",
  seed: number,
) {
  const a = fromTyped(values(m * k, seed), transposeA ? [k, m] : [m, k], dtype);
  const b = fromTyped(values(k * n, seed + 1), transposeB ? [n, k] : [k, n], dtype);
  return [a, b] as const;
}

describe("matmul", () => {
  it("matches a naive triple loop for all four transpose variants", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 9 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom<"float32" | "float64">("float32", "float64"),
        fc.integer(),
        (m, k, n, transposeA, transposeB, dtype, seed) => {
          const [a, b] = operands(m, k, n, transposeA, transposeB, dtype, seed);
          const c = matmul(a, b, { transposeA, transposeB });
          expect(c.shape).toEqual([m, n]);
          expect(c.dtype).toBe(dtype);
          // The default kernel accumulates float32 in float32 (like BLAS): with |terms| ≤ 4, a
          // sum's error is below k·2⁻²⁴ times Σ|terms| ≤ 4k, whatever the cancellation.
          expectClose(
            c.toTypedArray(),
            naiveMatmul(a, b, transposeA, transposeB),
            dtype === "float32" ? k * k * 2 ** -22 : 1e-12,
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("is correct across cache-block boundaries (m > 64, k > 256, ragged edges)", () => {
    for (const [transposeA, transposeB] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      for (const dtype of ["float32", "float64"] as const) {
        const [a, b] = operands(67, 261, 35, transposeA, transposeB, dtype, 3);
        expectClose(
          matmul(a, b, { transposeA, transposeB }).toTypedArray(),
          naiveMatmul(a, b, transposeA, transposeB),
          // The default kernel accumulates float32 in float32 (like BLAS): error grows with k.
          dtype === "float32" ? 261 * 2 ** -23 : 1e-12,
        );
        expectClose(
          blockedOn(a, b, transposeA, transposeB),
          naiveMatmul(a, b, transposeA, transposeB),
          dtype === "float32" ? 1e-6 : 1e-12,
        );
      }
    }
  });

  it("has the identity as a neutral element and gives known values", () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(matmul(a, eye(3)).toArray()).toEqual(a.toArray());
    expect(matmul(eye(2), a).toArray()).toEqual(a.toArray());
    expect(matmul(a, a, { transposeB: true }).toArray()).toEqual([
      [14, 32],
      [32, 77],
    ]);
    expect(matmul(tensor([[1, 2]]), tensor([[3], [4]])).item()).toBe(11);
  });

  it("has a JavaScript fallback kernel that accumulates float32 products in float64", () => {
    // 1 + 1e-8 + ... + 1e-8 (1000 terms): float32 accumulation would return exactly 1.
    const k = 1001;
    const row = new Float32Array(k).fill(1e-8);
    row[0] = 1;
    const ones = new Float32Array(k).fill(1);
    const out = new Float32Array(1);
    blockedMatmul(row, ones, out, 1, k, 1, false, false);
    expect(out[0]).toBeCloseTo(1 + 1e-5, 7);
  });

  it("rejects bad operands", () => {
    const a = tensor([[1, 2, 3]]);
    expect(() => matmul(a, a)).toThrow("matmul: shapes [1,3] and [1,3] are incompatible");
    expect(() => matmul(a, a, { transposeB: true })).not.toThrow();
    expect(() => matmul(a, tensor([[1], [2], [3]], "float64"))).toThrow(
      "matmul: dtype mismatch float32 vs float64",
    );
    expect(() => matmul(tensor([1, 2]), a)).toThrow("matmul: expects 2-D tensors");
    expect(() => matmul(tensor([[1]], "int32"), tensor([[1]], "int32"))).toThrow(
      "matmul: int32 tensors are not supported",
    );
  });
});
