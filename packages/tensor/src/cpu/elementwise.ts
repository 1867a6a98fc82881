import type { BinaryOp, UnaryOp } from "../backend";
import type { DType, TypedArray } from "../dtype";

/** `out[i] = op(x[i])` for `i < length`. */
export type UnaryKernel = (x: TypedArray, out: TypedArray, length: number) => void;

/** One line of a binary op: `out[outStart + i] = op(a[aStart + i·aStep], b[bStart + i·bStep])`. */
export type BinaryLineKernel = (
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

/**
 * What each op computes from one element `x`: the only place a unary op is defined on the CPU.
 * The mapped type makes a missing op a compile error.
 */
const unaryExpressions: { readonly [Op in UnaryOp]: string } = {
  neg: "-x",
  exp: "Math.exp(x)",
  log: "Math.log(x)",
  sqrt: "Math.sqrt(x)",
  abs: "Math.abs(x)",
  sign: "Math.sign(x)",
  square: "x * x",
  reciprocal: "1 / x",
  tanh: "Math.tanh(x)",
  sigmoid: "sigmoid(x)",
  relu: "relu(x)",
};

/** What each op computes from elements `a` and `b`; comparisons give 1 or 0. */
const binaryExpressions: { readonly [Op in BinaryOp]: string } = {
  add: "a + b",
  sub: "a - b",
  mul: "a * b",
  div: "a / b",
  pow: "a ** b",
  maximum: "Math.max(a, b)",
  minimum: "Math.min(a, b)",
  equal: "a === b ? 1 : 0",
  notEqual: "a !== b ? 1 : 0",
  greater: "a > b ? 1 : 0",
  greaterEqual: "a >= b ? 1 : 0",
  less: "a < b ? 1 : 0",
  lessEqual: "a <= b ? 1 : 0",
};

/** Math.imul keeps int32 products exact modulo 2³² (a double product loses the low bits). */
const int32Expressions: { readonly [Op in UnaryOp | BinaryOp]?: string } = {
  square: "Math.imul(x, x)",
  mul: "Math.imul(a, b)",
};

/** Two branches so exp never overflows: 1/(1+e^-x) for x ≥ 0, e^x/(1+e^x) below. */
function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * max(x, 0), letting NaN through and giving +0 for -0, like np.maximum(x, 0). Branch-free for
 * finite results: a compare on the sign (or Math.max) mispredicts on half of the elements of
 * centred data and ran ~2× slower; the exact fallback only sees NaN, ±∞ and |x| > MAX/2.
 */
function relu(x: number): number {
  const result = (x + Math.abs(x)) * 0.5;
  return result - result === 0 ? result : x > 0 || Number.isNaN(x) ? x : 0;
}

/** The functions that op expressions may call besides `Math`. */
const helpers = { sigmoid, relu };

const UNROLL = 4;

/** `UNROLL` copies of `body(k)`, for k = 0 … UNROLL − 1. */
const unrolled = (body: (k: number) => string): string =>
  Array.from({ length: UNROLL }, (_, k) => `{ ${body(k)} }`).join("\n");

/** A function from generated source, named after its op and dtype in profiles and stacks. */
function compile<Kernel>(name: string, parameters: string, body: string): Kernel {
  const source = `return function ${name}(${parameters}) {\n${body}\n};`;
  return new Function(...Object.keys(helpers), source)(...Object.values(helpers)) as Kernel;
}

function compileUnary(op: UnaryOp, dtype: DType): UnaryKernel {
  const expression = (dtype === "int32" && int32Expressions[op]) || unaryExpressions[op];
  return compile(
    `${op}_${dtype}`,
    "input, out, length",
    `let i = 0;
    for (; i + ${UNROLL} <= length; i += ${UNROLL}) {
      ${unrolled((k) => `const x = input[i + ${k}]; out[i + ${k}] = ${expression};`)}
    }
    for (; i < length; i++) { const x = input[i]; out[i] = ${expression}; }`,
  );
}

/**
 * Unrolled loops for the lines that dominate training (both operands contiguous, or one of them
 * a broadcast scalar); any other stride pattern and the tail take the plain strided loop.
 */
function compileBinary(op: BinaryOp, dtype: DType): BinaryLineKernel {
  const expression = (dtype === "int32" && int32Expressions[op]) || binaryExpressions[op];
  return compile(
    `${op}_${dtype}`,
    "left, ai, as, right, bi, bs, out, oi, length",
    `const end = oi + length;
    if (as === 1 && bs === 1) {
      for (; oi + ${UNROLL} <= end; oi += ${UNROLL}, ai += ${UNROLL}, bi += ${UNROLL}) {
        ${unrolled((k) => `const a = left[ai + ${k}], b = right[bi + ${k}]; out[oi + ${k}] = ${expression};`)}
      }
    } else if (bs === 0) {
      const b = right[bi];
      for (; oi + ${UNROLL} <= end; oi += ${UNROLL}, ai += ${UNROLL} * as) {
        ${unrolled((k) => `const a = left[ai + ${k} * as]; out[oi + ${k}] = ${expression};`)}
      }
    } else if (as === 0) {
      const a = left[ai];
      for (; oi + ${UNROLL} <= end; oi += ${UNROLL}, bi += ${UNROLL} * bs) {
        ${unrolled((k) => `const b = right[bi + ${k} * bs]; out[oi + ${k}] = ${expression};`)}
      }
    }
    for (; oi < end; oi++, ai += as, bi += bs) {
      const a = left[ai], b = right[bi]; out[oi] = ${expression};
    }`,
  );
}

// One generated function per (op, dtype), made on first use: each sees a single typed-array
// type, so V8 keeps its element accesses monomorphic. A single loop shared by every dtype, as a
// library's kernels are once a program mixes float32, float64 and int32, ran ~2× slower.
const kernels = new Map<string, UnaryKernel | BinaryLineKernel>();

function cached<Kernel extends UnaryKernel | BinaryLineKernel>(key: string, make: () => Kernel) {
  let kernel = kernels.get(key) as Kernel | undefined;
  if (kernel === undefined) {
    kernel = make();
    kernels.set(key, kernel);
  }
  return kernel;
}

/** The kernel of unary `op` over arrays of `dtype`. */
export const unaryKernel = (op: UnaryOp, dtype: DType): UnaryKernel =>
  cached(`unary ${op} ${dtype}`, () => compileUnary(op, dtype));

/** The line kernel of binary `op` over arrays of `dtype` (operands and result alike). */
export const binaryLineKernel = (op: BinaryOp, dtype: DType): BinaryLineKernel =>
  cached(`binary ${op} ${dtype}`, () => compileBinary(op, dtype));
