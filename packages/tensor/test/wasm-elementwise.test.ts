import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { binaryLineKernel, unaryKernel } from "../src/cpu/elementwise";
import { reduceInto } from "../src/cpu/reduce";
import { allocate, type FloatArray, type TypedArray } from "../src/dtype";
import {
  add,
  axpby,
  cpuBackend,
  createCpuBackend,
  maximum,
  mul,
  neg,
  relu,
  reshape,
  scalar,
  setBackend,
  sqrt,
  sub,
  tensor,
  transpose,
} from "../src/index";
import type { Tensor } from "../src/tensor";
import {
  elementwiseInfo,
  WASM_BINARY_OPS,
  WASM_ELEMENTWISE_MIN_ELEMENTS,
  WASM_REDUCE_OPS,
  WASM_UNARY_OPS,
  wasmAxpby,
  wasmBinary,
  wasmReduce,
  wasmUnary,
} from "../src/wasm/index";

// The SIMD kernels must give exactly what the JavaScript kernels give (the reference), element
// for element: -0 ≠ +0, NaN equal to NaN (its payload is not part of the contract).

type FloatDType = "float32" | "float64";
const dtypes: readonly FloatDType[] = ["float32", "float64"];
const THRESHOLD = WASM_ELEMENTWISE_MIN_ELEMENTS;
/** Lengths around the threshold and around a whole number of vectors (4 or 2 lanes). */
const lengths = [THRESHOLD, THRESHOLD + 1, THRESHOLD + 2, THRESHOLD + 3, THRESHOLD + 5, 6007];

const specials = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  0,
  -0,
  1,
  -1,
  0.5,
  3,
  1e-20, // its square is a float32 subnormal
  -3e-39, // float32 subnormal
  1.4e-45, // smallest float32 subnormal
  5e-324, // smallest float64 subnormal
  -2.2e-308, // float64 subnormal
  1e-160, // its square is a float64 subnormal
  3.4e38,
  -3.4e38,
  1e300,
  Number.MAX_VALUE,
];

/** Deterministic data from `seed`: mostly uniform values of varied magnitude, some specials. */
function randomArray(dtype: FloatDType, length: number, seed: number): FloatArray {
  const array = allocate(dtype, length) as FloatArray;
  let state = seed >>> 0 || 1;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  for (let i = 0; i < length; i++) {
    const pick = next();
    array[i] =
      pick < 0.2
        ? specials[Math.floor(next() * specials.length)]!
        : (next() - 0.5) * 10 ** Math.floor(next() * 12 - 6);
  }
  return array;
}

/** Where `out` first differs from `expected` (Object.is), or undefined if nowhere. */
function firstDifference(out: TypedArray, expected: TypedArray): string | undefined {
  if (out.constructor !== expected.constructor) return `type ${out.constructor.name}`;
  if (out.length !== expected.length) return `length ${out.length} ≠ ${expected.length}`;
  for (let i = 0; i < out.length; i++) {
    if (!Object.is(out[i], expected[i])) return `at ${i}: ${out[i]} ≠ ${expected[i]}`;
  }
  return undefined;
}

function jsUnary(op: (typeof WASM_UNARY_OPS)[number], dtype: FloatDType, x: TypedArray, n: number) {
  const out = allocate(dtype, n);
  unaryKernel(op, dtype)(x, out, n);
  return out;
}

function jsBinary(
  op: (typeof WASM_BINARY_OPS)[number],
  dtype: FloatDType,
  a: TypedArray,
  aPeriod: number,
  b: TypedArray,
  bPeriod: number,
  n: number,
) {
  // A periodic operand is spelled out in full; a scalar is read with step 0.
  const full = (x: TypedArray, period: number) =>
    period === 1 || period === n ? x : Float64Array.from({ length: n }, (_, i) => x[i % period]!);
  const out = allocate(dtype, n);
  const step = (period: number) => (period === 1 ? 0 : 1);
  const [left, right] = [full(a, aPeriod), full(b, bPeriod)];
  binaryLineKernel(op, dtype)(left, 0, step(aPeriod), right, 0, step(bPeriod), out, 0, n);
  return out;
}

describe("elementwiseInfo", () => {
  it("reports the kernels loaded (Node 20 has WebAssembly SIMD), their threshold and ops", () => {
    const info = elementwiseInfo();
    expect(info).toEqual({
      simd: true,
      minimumElements: THRESHOLD,
      binaryOps: [
        "add",
        "sub",
        "mul",
        "div",
        "maximum",
        "minimum",
        "equal",
        "notEqual",
        "greater",
        "greaterEqual",
        "less",
        "lessEqual",
      ],
      unaryOps: ["neg", "abs", "sqrt", "square", "relu"],
      reduceOps: ["sum", "sumOfSquares"],
    });
  });
});

describe("wasmUnary", () => {
  it.each(dtypes)("equals the JavaScript kernel for every op on %s", (dtype) => {
    for (const [index, length] of lengths.entries()) {
      const x = randomArray(dtype, length, 11 + index);
      const before = x.slice();
      for (const op of WASM_UNARY_OPS) {
        const out = wasmUnary(op, x, length);
        expect(out, op).toBeDefined();
        expect(firstDifference(out!, jsUnary(op, dtype, x, length)), `${op} n=${length}`).toBe(
          undefined,
        );
      }
      expect(firstDifference(x, before), "input unchanged").toBe(undefined);
    }
  });

  it("stays exact when its memory grows between calls, and after", () => {
    for (const length of [THRESHOLD + 7, 300_001, THRESHOLD + 3]) {
      const x = randomArray("float64", length, length);
      const out = wasmUnary("sqrt", x, length)!;
      expect(firstDifference(out, jsUnary("sqrt", "float64", x, length)), `n=${length}`).toBe(
        undefined,
      );
    }
  });

  it("reads only the first `length` elements of a longer array", () => {
    const x = randomArray("float32", THRESHOLD + 8, 3);
    const out = wasmUnary("neg", x, THRESHOLD + 1)!;
    expect(out.length).toBe(THRESHOLD + 1);
    expect(firstDifference(out, jsUnary("neg", "float32", x, THRESHOLD + 1))).toBe(undefined);
  });

  it("declines what it does not cover, leaving it to the JavaScript loops", () => {
    const x = randomArray("float64", THRESHOLD, 5);
    expect(wasmUnary("neg", x, THRESHOLD - 1)).toBeUndefined();
    expect(wasmUnary("exp", x, THRESHOLD)).toBeUndefined();
    expect(wasmUnary("neg", new Int32Array(THRESHOLD), THRESHOLD)).toBeUndefined();
  });
});

describe("wasmBinary", () => {
  /** Operand periods: both laid out like the output, or one of them a scalar. */
  const forms = (n: number) =>
    [
      [n, n],
      [n, 1],
      [1, n],
    ] as const;

  it.each(dtypes)("equals the JavaScript kernel for every op and form on %s", (dtype) => {
    for (const [index, length] of lengths.entries()) {
      const a = randomArray(dtype, length, 101 + index);
      const b = randomArray(dtype, length, 202 + index);
      const [aBefore, bBefore] = [a.slice(), b.slice()];
      for (const op of WASM_BINARY_OPS) {
        for (const [aLayout, bLayout] of forms(length)) {
          const out = wasmBinary(op, a, aLayout, b, bLayout, length);
          const expected = jsBinary(op, dtype, a, aLayout, b, bLayout, length);
          expect(firstDifference(out!, expected), `${op} ${aLayout}/${bLayout} n=${length}`).toBe(
            undefined,
          );
        }
      }
      expect(firstDifference(a, aBefore), "a unchanged").toBe(undefined);
      expect(firstDifference(b, bBefore), "b unchanged").toBe(undefined);
    }
  });

  it("equals the JavaScript kernel with every special value as the scalar", () => {
    for (const dtype of dtypes) {
      const array = randomArray(dtype, THRESHOLD + 3, 7);
      for (const special of specials) {
        const scalar = allocate(dtype, 1) as FloatArray;
        scalar[0] = special;
        for (const op of WASM_BINARY_OPS) {
          for (const [a, aLayout, b, bLayout] of [
            [array, array.length, scalar, 1],
            [scalar, 1, array, array.length],
          ] as const) {
            const out = wasmBinary(op, a, aLayout, b, bLayout, array.length);
            const expected = jsBinary(op, dtype, a, aLayout, b, bLayout, array.length);
            expect(firstDifference(out!, expected), `${dtype} ${op} ${special} ${aLayout}`).toBe(
              undefined,
            );
          }
        }
      }
    }
  });

  it.each(dtypes)("repeats a row over the leading axes (a bias over a batch) on %s", (dtype) => {
    // [n, period]: rows of odd lengths (vector tails) and one that needs one doubling only.
    for (const [rows, period] of [
      [100, 50],
      [30, 7],
      [2, 97],
      [43, 3],
    ] as const) {
      const n = rows * period;
      const matrix = randomArray(dtype, n, rows);
      const row = randomArray(dtype, period, period);
      const scalar = randomArray(dtype, 1, 5);
      const longer = randomArray(dtype, n, 6); // a row of period·2 when rows is even
      const cases = [
        [matrix, n, row, period],
        [row, period, matrix, n],
        [row, period, scalar, 1],
        [scalar, 1, row, period],
        ...(rows % 2 === 0 ? [[longer, 2 * period, row, period] as const] : []),
      ] as const;
      for (const op of WASM_BINARY_OPS) {
        for (const [a, aPeriod, b, bPeriod] of cases) {
          const out = wasmBinary(op, a, aPeriod, b, bPeriod, n);
          const expected = jsBinary(op, dtype, a, aPeriod, b, bPeriod, n);
          expect(firstDifference(out!, expected), `${op} ${aPeriod}/${bPeriod} n=${n}`).toBe(
            undefined,
          );
        }
      }
    }
  });

  it("gives max/min the NaN and signed-zero behaviour of Math.max/min", () => {
    const n = THRESHOLD;
    const pairs = [
      [-0, 0],
      [0, -0],
      [Number.NaN, 1],
      [1, Number.NaN],
      [Number.NaN, Number.NEGATIVE_INFINITY],
      [-0, -0],
    ];
    for (const dtype of dtypes) {
      const a = allocate(dtype, n) as FloatArray;
      const b = allocate(dtype, n) as FloatArray;
      pairs.forEach(([x, y], i) => {
        a[i] = x!;
        b[i] = y!;
      });
      const max = wasmBinary("maximum", a, n, b, n, n)!;
      const min = wasmBinary("minimum", a, n, b, n, n)!;
      pairs.forEach(([x, y], i) => {
        expect(Object.is(max[i], Math.max(x!, y!)), `max(${x}, ${y})`).toBe(true);
        expect(Object.is(min[i], Math.min(x!, y!)), `min(${x}, ${y})`).toBe(true);
      });
    }
  });

  it("matches the JavaScript kernel on arbitrary float32 data (property)", () => {
    fc.assert(
      fc.property(
        fc.float32Array({ minLength: THRESHOLD, maxLength: THRESHOLD + 9 }),
        fc.constantFrom(...WASM_BINARY_OPS),
        (values, op) => {
          const b = values.slice().reverse();
          const n = values.length;
          const out = wasmBinary(op, values, n, b, n, n)!;
          const expected = jsBinary(op, "float32", values, n, b, n, n);
          return firstDifference(out, expected) === undefined;
        },
      ),
      { numRuns: 20 },
    );
  });

  it("declines what it does not cover, leaving it to the JavaScript loops", () => {
    const a = randomArray("float32", THRESHOLD, 1);
    const b = randomArray("float32", THRESHOLD, 2);
    const n = THRESHOLD;
    expect(wasmBinary("add", a, n - 1, b, n - 1, n - 1)).toBeUndefined();
    expect(wasmBinary("pow", a, n, b, n, n)).toBeUndefined();
    expect(wasmBinary("add", a, 1, b, 1, n)).toBeUndefined();
    const wide = randomArray("float64", n, 3);
    expect(wasmBinary("add", a, n, wide, n, n)).toBeUndefined();
    const ints = new Int32Array(n);
    expect(wasmBinary("add", ints, n, ints, n, n)).toBeUndefined();
  });
});

describe("wasmReduce over the last axes (lines)", () => {
  /** Lines × count: vector tails of every length (float32 reads 8 lanes a step, float64 8). */
  const layouts = [
    [1, THRESHOLD],
    [1, THRESHOLD + 3],
    [40, 5],
    [13, 17],
    [3, 6007],
    [THRESHOLD, 1],
  ] as const;
  const finite = (dtype: FloatDType, length: number, seed: number) =>
    randomArray(dtype, length, seed).map((value) => (Math.abs(value) < 1e10 ? value : 0.25));

  it.each(dtypes)("agrees with the JavaScript kernel (float64 accumulation) on %s", (dtype) => {
    for (const [index, [lines, count]] of layouts.entries()) {
      const x = finite(dtype, lines * count, 31 + index);
      for (const op of WASM_REDUCE_OPS) {
        const got = wasmReduce(op, x, lines, count, 1)!;
        const want = new Float64Array(lines);
        reduceInto(op, x, want, lines, count, 1);
        expect(got.length, `${op} ${lines}×${count}`).toBe(lines);
        const magnitudes = new Float64Array(lines);
        reduceInto(op, x.map(Math.abs), magnitudes, lines, count, 1);
        for (let line = 0; line < lines; line++) {
          // The same float64 sums in another order: equal up to float64 rounding of Σ|term|.
          const error = Math.abs(got[line]! - want[line]!);
          expect(error, `${op} line ${line}`).toBeLessThanOrEqual(1e-13 * magnitudes[line]!);
        }
      }
    }
  });

  it("is exact on integers, propagates NaN and ±∞, and reads only lines × count elements", () => {
    const x = new Float32Array(2 * 101 + 9).fill(3);
    x[5] = Number.NaN;
    x[101 + 7] = Number.POSITIVE_INFINITY;
    x[2 * 101] = 1e30; // past the last line
    expect([...wasmReduce("sum", x, 2, 101, 1)!]).toEqual([Number.NaN, Number.POSITIVE_INFINITY]);
    x[5] = -2;
    expect([...wasmReduce("sum", x, 2, 101, 1)!]).toEqual([298, Number.POSITIVE_INFINITY]);
    expect([...wasmReduce("sumOfSquares", x, 2, 101, 1)!]).toEqual([904, Number.POSITIVE_INFINITY]);
  });

  it("declines what it does not cover", () => {
    const x = randomArray("float64", THRESHOLD, 9);
    expect(wasmReduce("sum", x, 1, THRESHOLD - 1, 1)).toBeUndefined();
    expect(wasmReduce("max", x, 1, THRESHOLD, 1)).toBeUndefined();
    expect(wasmReduce("sum", new Int32Array(THRESHOLD), 1, THRESHOLD, 1)).toBeUndefined();
  });
});

describe("wasmReduce over leading axes (column sums)", () => {
  it.each(dtypes)(
    "equals the JavaScript kernel bit for bit, special values included (%s)",
    (dtype) => {
      // [outer, count, inner]: rows with every vector tail, one and several outer blocks.
      const shapes = [
        [1, 100, 50],
        [2, 7, 19],
        [3, 40, 3],
        [1, 3, 97],
        [4, 33, 2],
        [1, 130, 2],
      ] as const;
      for (const [index, [outer, count, inner]] of shapes.entries()) {
        const x = randomArray(dtype, outer * count * inner, 61 + index);
        for (const op of WASM_REDUCE_OPS) {
          const got = wasmReduce(op, x, outer, count, inner)!;
          const want = new Float64Array(outer * inner);
          reduceInto(op, x, want, outer, count, inner);
          expect(firstDifference(got, want), `${op} [${outer}, ${count}, ${inner}]`).toBe(
            undefined,
          );
        }
      }
    },
  );

  it("declines what it does not cover", () => {
    const x = randomArray("float32", THRESHOLD, 3);
    expect(wasmReduce("sum", x, 1, 2, 60)).toBeUndefined();
    expect(wasmReduce("max", x, 1, 2, 64)).toBeUndefined();
  });
});

describe("wasmAxpby", () => {
  /** add(mul(x, α), mul(y, β)) through the JavaScript kernels: what axpby must equal. */
  function composed(
    dtype: FloatDType,
    alpha: number,
    x: FloatArray,
    beta: number,
    y: FloatArray,
    n: number,
  ) {
    const coefficient = (value: number) => {
      const array = allocate(dtype, 1);
      array[0] = value;
      return array;
    };
    const scaledX = jsBinary("mul", dtype, x, n, coefficient(alpha), 1, n);
    const scaledY = jsBinary("mul", dtype, y, n, coefficient(beta), 1, n);
    return jsBinary("add", dtype, scaledX, n, scaledY, n, n);
  }

  it.each(dtypes)("equals mul, mul and add bit for bit, special values included (%s)", (dtype) => {
    const coefficients = [
      0.9,
      -0.01,
      1,
      0,
      -0,
      1e-30,
      3.4e38,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ];
    for (const [index, length] of lengths.entries()) {
      const x = randomArray(dtype, length, 41 + index);
      const y = randomArray(dtype, length, 52 + index);
      const [xBefore, yBefore] = [x.slice(), y.slice()];
      for (const alpha of coefficients) {
        for (const beta of [0.1, -1e-3, 0, 7e37]) {
          const got = wasmAxpby(alpha, x, beta, y, length);
          const want = composed(dtype, alpha, x, beta, y, length);
          expect(firstDifference(got!, want), `α=${alpha} β=${beta} n=${length}`).toBe(undefined);
        }
      }
      expect(firstDifference(x, xBefore), "x unchanged").toBe(undefined);
      expect(firstDifference(y, yBefore), "y unchanged").toBe(undefined);
    }
  });

  it("declines what it does not cover", () => {
    const x = randomArray("float64", THRESHOLD, 1);
    expect(wasmAxpby(1, x, 1, x, THRESHOLD - 1)).toBeUndefined();
    expect(wasmAxpby(1, x, 1, randomArray("float32", THRESHOLD, 2), THRESHOLD)).toBeUndefined();
  });
});

describe("the CPU backend's dispatch", () => {
  const reference = createCpuBackend({ name: "cpu-js", simdElementwise: false });

  /** `make` evaluated with tensors created on `backend`. */
  function on(backend: typeof cpuBackend, make: () => Tensor): Tensor {
    setBackend(backend);
    try {
      return make();
    } finally {
      setBackend(cpuBackend);
    }
  }

  it.each(dtypes)(
    "gives the JavaScript loops' results around the threshold and for every layout (%s)",
    (dtype) => {
      const cases: Array<[string, () => Tensor]> = [];
      for (const length of [THRESHOLD - 1, THRESHOLD, THRESHOLD + 5]) {
        const a = () => tensor(randomArray(dtype, length, length));
        const b = () => tensor(randomArray(dtype, length, length + 1));
        cases.push([`sub n=${length}`, () => sub(a(), b())]);
        cases.push([`mul scalar n=${length}`, () => mul(scalar(0.5, dtype), a())]);
        cases.push([`relu n=${length}`, () => relu(a())]);
        cases.push([`sqrt n=${length}`, () => sqrt(a())]);
        cases.push([`axpby n=${length}`, () => axpby(0.9, a(), -0.01, b())]);
      }
      const matrix = () => reshape(tensor(randomArray(dtype, 64 * 80, 9)), [64, 80]);
      const row = () => tensor(randomArray(dtype, 80, 10));
      // A broadcast row runs in SIMD (period 80); transposed operands stay on the JS loops.
      cases.push(["[64,80] + [80]", () => add(matrix(), row())]);
      cases.push(["transposed", () => maximum(transpose(matrix()), transpose(matrix()))]);
      cases.push(["[1,n] shaped", () => neg(reshape(matrix(), [1, 64 * 80]))]);
      for (const [label, make] of cases) {
        const simd = on(cpuBackend, make);
        const js = on(reference, make);
        expect(simd.shape, label).toEqual(js.shape);
        expect(firstDifference(simd.toTypedArray(), js.toTypedArray()), label).toBe(undefined);
      }
    },
  );
});
