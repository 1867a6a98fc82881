import type { BinaryOp, UnaryOp } from "../backend";
import type { TypedArray } from "../dtype";

/** Applies a unary op to `length` contiguous elements. */
type UnaryLoop = (x: TypedArray, out: TypedArray, length: number) => void;

/**
 * Applies a binary op along one line: `out[outStart + i] = op(a[aStart + i·aStep], b[...])`.
 * Each op is its own loop (no per-element callback) so the JIT compiles a tight body per op.
 */
type BinaryLoop = (
  a: TypedArray,
  aStart: number,
  aStep: number,
  b: TypedArray,
  bStart: number,
  bStep: number,
  out: TypedArray,
  outStart: number,
  length: number,
) => void;

/** One loop per unary op; the mapped type makes a missing op a compile error. */
export const unaryLoops: { readonly [Op in UnaryOp]: UnaryLoop } = {
  neg: (x, out, length) => {
    for (let i = 0; i < length; i++) out[i] = -x[i];
  },
  exp: (x, out, length) => {
    for (let i = 0; i < length; i++) out[i] = Math.exp(x[i]);
  },
  log: (x, out, length) => {
    for (let i = 0; i < length; i++) out[i] = Math.log(x[i]);
  },
  sqrt: (x, out, length) => {
    for (let i = 0; i < length; i++) out[i] = Math.sqrt(x[i]);
  },
  abs: (x, out, length) => {
    for (let i = 0; i < length; i++) out[i] = Math.abs(x[i]);
  },
  sign: (x, out, length) => {
    for (let i = 0; i < length; i++) out[i] = Math.sign(x[i]);
  },
  // Math.imul keeps int32 squares exact modulo 2³² (a double product loses the low bits).
  square: (x, out, length) => {
    if (x instanceof Int32Array) for (let i = 0; i < length; i++) out[i] = Math.imul(x[i], x[i]);
    else for (let i = 0; i < length; i++) out[i] = x[i] * x[i];
  },
  reciprocal: (x, out, length) => {
    for (let i = 0; i < length; i++) out[i] = 1 / x[i];
  },
  tanh: (x, out, length) => {
    for (let i = 0; i < length; i++) out[i] = Math.tanh(x[i]);
  },
  // Two branches so exp never overflows: 1/(1+e^-x) for x ≥ 0, e^x/(1+e^x) below.
  sigmoid: (x, out, length) => {
    for (let i = 0; i < length; i++) {
      const value = x[i];
      if (value >= 0) out[i] = 1 / (1 + Math.exp(-value));
      else {
        const e = Math.exp(value);
        out[i] = e / (1 + e);
      }
    }
  },
  // Math.max lets NaN through, like np.maximum(x, 0).
  relu: (x, out, length) => {
    for (let i = 0; i < length; i++) out[i] = Math.max(x[i], 0);
  },
};

/** One loop per binary op; the mapped type makes a missing op a compile error. */
export const binaryLoops: { readonly [Op in BinaryOp]: BinaryLoop } = {
  add: (a, ai, as, b, bi, bs, out, oi, length) => {
    for (const end = oi + length; oi < end; oi++, ai += as, bi += bs) out[oi] = a[ai] + b[bi];
  },
  sub: (a, ai, as, b, bi, bs, out, oi, length) => {
    for (const end = oi + length; oi < end; oi++, ai += as, bi += bs) out[oi] = a[ai] - b[bi];
  },
  // Math.imul keeps int32 products exact modulo 2³² (a double product loses the low bits).
  mul: (a, ai, as, b, bi, bs, out, oi, length) => {
    const end = oi + length;
    if (out instanceof Int32Array) {
      for (; oi < end; oi++, ai += as, bi += bs) out[oi] = Math.imul(a[ai], b[bi]);
    } else for (; oi < end; oi++, ai += as, bi += bs) out[oi] = a[ai] * b[bi];
  },
  div: (a, ai, as, b, bi, bs, out, oi, length) => {
    for (const end = oi + length; oi < end; oi++, ai += as, bi += bs) out[oi] = a[ai] / b[bi];
  },
  pow: (a, ai, as, b, bi, bs, out, oi, length) => {
    for (const end = oi + length; oi < end; oi++, ai += as, bi += bs) out[oi] = a[ai] ** b[bi];
  },
  maximum: (a, ai, as, b, bi, bs, out, oi, length) => {
    for (const end = oi + length; oi < end; oi++, ai += as, bi += bs) {
      out[oi] = Math.max(a[ai], b[bi]);
    }
  },
  minimum: (a, ai, as, b, bi, bs, out, oi, length) => {
    for (const end = oi + length; oi < end; oi++, ai += as, bi += bs) {
      out[oi] = Math.min(a[ai], b[bi]);
    }
  },
  equal: (a, ai, as, b, bi, bs, out, oi, length) => {
    for (const end = oi + length; oi < end; oi++, ai += as, bi += bs) {
      out[oi] = a[ai] === b[bi] ? 1 : 0;
    }
  },
  notEqual: (a, ai, as, b, bi, bs, out, oi, length) => {
    for (const end = oi + length; oi < end; oi++, ai += as, bi += bs) {
      out[oi] = a[ai] !== b[bi] ? 1 : 0;
    }
  },
  greater: (a, ai, as, b, bi, bs, out, oi, length) => {
    for (const end = oi + length; oi < end; oi++, ai += as, bi += bs) {
      out[oi] = a[ai] > b[bi] ? 1 : 0;
    }
  },
  greaterEqual: (a, ai, as, b, bi, bs, out, oi, length) => {
    for (const end = oi + length; oi < end; oi++, ai += as, bi += bs) {
      out[oi] = a[ai] >= b[bi] ? 1 : 0;
    }
  },
  less: (a, ai, as, b, bi, bs, out, oi, length) => {
    for (const end = oi + length; oi < end; oi++, ai += as, bi += bs) {
      out[oi] = a[ai] < b[bi] ? 1 : 0;
    }
  },
  lessEqual: (a, ai, as, b, bi, bs, out, oi, length) => {
    for (const end = oi + length; oi < end; oi++, ai += as, bi += bs) {
      out[oi] = a[ai] <= b[bi] ? 1 : 0;
    }
  },
};
