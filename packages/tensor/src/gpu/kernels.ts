import type { BinaryOp, ReduceOp, UnaryOp } from "../backend";
import { coalesceAxes } from "../cpu/strided";

/**
 * Everything a device needs to compile and run one gpu.js kernel: the kernel's JavaScript
 * source (gpu.js transpiles it to WGSL, GLSL or WebAssembly), its compile-time constants and
 * its 1-D output length. Kernels are compiled once per distinct spec and input lengths.
 *
 * Every tensor lives on the device as a flat float32 array indexed by `this.thread.x`, so any
 * kernel's output feeds any other kernel's input without a reshape.
 */
export interface KernelSpec {
  /** Source of a gpu.js kernel function, `function (x0, x1) { ... }`. */
  readonly source: string;
  /** `this.constants`: shapes and strides, fixed at compile time. */
  readonly constants: Readonly<Record<string, number>>;
  /** Number of output elements (one thread each). */
  readonly output: number;
  /**
   * Longest loop in the kernel. gpu.js silently caps loops it cannot bound at
   * `loopMaxIterations` (default 1000), so every spec states its own bound.
   */
  readonly loopMaxIterations: number;
}

/** Cache key of a compiled kernel: gpu.js also specializes on the inputs' lengths. */
export function kernelKey(spec: KernelSpec, inputLengths: readonly number[]): string {
  return `${spec.source}|${JSON.stringify(spec.constants)}|${spec.output}|${inputLengths.join(",")}`;
}

/** The settings every puregrad kernel is compiled with, whatever the device. */
export function kernelSettings(spec: KernelSpec) {
  return {
    output: [spec.output],
    constants: spec.constants,
    loopMaxIterations: Math.max(1000, spec.loopMaxIterations),
    // Keep results on the device, in a fresh texture/buffer per call (a tensor is immutable,
    // so a later call of the same kernel must not overwrite an earlier result).
    pipeline: true,
    immutable: true,
    precision: "single" as const,
    tactic: "precision" as const,
  };
}

/**
 * `Math.floor(numerator / denominator)` for non-negative integers, written so that a GPU's
 * inexact float division cannot land just below an exact multiple (the +0.5 keeps the true
 * quotient at least 0.5/denominator away from an integer).
 */
const quotient = (numerator: string, denominator: string): string =>
  `Math.floor((${numerator} + 0.5) / ${denominator})`;

/** Unary ops as expressions of `v0`; sigmoid uses two branches so `exp` never overflows. */
const unaryExpressions: { readonly [Op in UnaryOp]: string } = {
  neg: "-v0",
  exp: "Math.exp(v0)",
  log: "Math.log(v0)",
  sqrt: "Math.sqrt(v0)",
  abs: "Math.abs(v0)",
  sign: "Math.sign(v0)",
  square: "v0 * v0",
  reciprocal: "1.0 / v0",
  tanh: "Math.tanh(v0)",
  sigmoid: "(v0 >= 0 ? 1.0 / (1.0 + Math.exp(-v0)) : Math.exp(v0) / (1.0 + Math.exp(v0)))",
  relu: "Math.max(v0, 0.0)",
};

/**
 * Binary ops as expressions of `v0` and `v1`. Shader `pow` is undefined for a negative base,
 * so `pow` takes |base| and restores the sign for odd integer exponents, as `**` does.
 */
const binaryExpressions: { readonly [Op in BinaryOp]: string } = {
  add: "v0 + v1",
  sub: "v0 - v1",
  mul: "v0 * v1",
  div: "v0 / v1",
  pow:
    "(v0 < 0 && v1 === Math.floor(v1) ? " +
    "(v1 - 2.0 * Math.floor(v1 / 2.0) === 1.0 ? -1.0 : 1.0) * Math.pow(-v0, v1) : Math.pow(v0, v1))",
  maximum: "Math.max(v0, v1)",
  minimum: "Math.min(v0, v1)",
  equal: "(v0 === v1 ? 1.0 : 0.0)",
  notEqual: "(v0 !== v1 ? 1.0 : 0.0)",
  greater: "(v0 > v1 ? 1.0 : 0.0)",
  greaterEqual: "(v0 >= v1 ? 1.0 : 0.0)",
  less: "(v0 < v1 ? 1.0 : 0.0)",
  lessEqual: "(v0 <= v1 ? 1.0 : 0.0)",
};

/** One operand of a strided map: its element strides along the map's axes, and an offset. */
interface StridedOperand {
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * `out[index] = expression(v0, v1, ...)` where `vi = xi[offset_i + index · strides_i]` over a
 * dense row-major `shape`. Unary ops, broadcasting binary ops, `where` and strided copies are
 * all this one kernel with a different expression; shapes and strides are constants.
 */
function stridedMap(
  expression: string,
  shape: readonly number[],
  operands: readonly StridedOperand[],
): KernelSpec {
  const { extents, steps } = coalesceAxes(
    shape,
    operands.map((operand) => operand.strides),
  );
  const rank = extents.length;
  const constants: Record<string, number> = {};
  const lines: string[] = ["let rest = this.thread.x;"];
  extents.forEach((extent, axis) => {
    constants[`e${axis}`] = extent;
  });
  for (let axis = rank - 1; axis > 0; axis--) {
    lines.push(`const q${axis} = ${quotient("rest", `this.constants.e${axis}`)};`);
    lines.push(`const i${axis} = rest - q${axis} * this.constants.e${axis};`);
    lines.push(`rest = q${axis};`);
  }
  lines.push("const i0 = rest;");
  operands.forEach((operand, index) => {
    constants[`o${index}`] = operand.offset;
    const terms = [`this.constants.o${index}`];
    steps[index].forEach((stride, axis) => {
      constants[`s${index}_${axis}`] = stride;
      terms.push(`i${axis} * this.constants.s${index}_${axis}`);
    });
    lines.push(`const v${index} = x${index}[${terms.join(" + ")}];`);
  });
  lines.push(`return ${expression};`);
  const parameters = operands.map((_, index) => `x${index}`).join(", ");
  return {
    source: `function (${parameters}) {\n  ${lines.join("\n  ")}\n}`,
    constants,
    output: shape.reduce((total, extent) => total * extent, 1),
    loopMaxIterations: 1,
  };
}

/** `out[i] = op(x[i])` over `size` elements. */
export function unaryKernel(op: UnaryOp, size: number): KernelSpec {
  return stridedMap(unaryExpressions[op], [size], [{ strides: [1], offset: 0 }]);
}

/** Broadcasting binary op over `shape`, each operand read through its strides. */
export function binaryKernel(
  op: BinaryOp,
  shape: readonly number[],
  aStrides: readonly number[],
  bStrides: readonly number[],
): KernelSpec {
  return stridedMap(binaryExpressions[op], shape, [
    { strides: aStrides, offset: 0 },
    { strides: bStrides, offset: 0 },
  ]);
}

/** `v2·x + v3·y` over `size` elements, the coefficients read from one-element operands. */
export function axpbyKernel(size: number): KernelSpec {
  const dense = { strides: [1], offset: 0 };
  const scalar = { strides: [0], offset: 0 };
  return stridedMap("v2 * v0 + v3 * v1", [size], [dense, dense, scalar, scalar]);
}

/** `condition ≠ 0 ? a : b` over `shape`, each operand read through its strides. */
export function whereKernel(
  shape: readonly number[],
  conditionStrides: readonly number[],
  aStrides: readonly number[],
  bStrides: readonly number[],
): KernelSpec {
  return stridedMap("(v0 !== 0 ? v1 : v2)", shape, [
    { strides: conditionStrides, offset: 0 },
    { strides: aStrides, offset: 0 },
    { strides: bStrides, offset: 0 },
  ]);
}

/** Dense copy of the view `x[offset + index · strides]` over `shape`. */
export function copyStridedKernel(
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): KernelSpec {
  return stridedMap("v0", shape, [{ strides, offset }]);
}

/** A dense copy of `size` elements: turns host data into a device-resident texture/buffer. */
export function uploadKernel(size: number): KernelSpec {
  return copyStridedKernel([size], [1], 0);
}

/**
 * Loop bodies of the reductions over `v = x[base + p · inner]`. Accumulation is float32 on
 * every gpu.js device (the CPU backend accumulates in float64), hence the tolerance in tests.
 * logSumExp shifts by a finite maximum only (∞ − ∞ would be NaN), as the CPU backend does.
 */
const reduceBodies: { readonly [Op in ReduceOp]: { init: string; step: string; result: string } } =
  {
    sum: { init: "let acc = 0.0;", step: "acc += v;", result: "acc" },
    sumOfSquares: { init: "let acc = 0.0;", step: "acc += v * v;", result: "acc" },
    mean: { init: "let acc = 0.0;", step: "acc += v;", result: "acc / this.constants.count" },
    max: { init: "let acc = x0[base];", step: "acc = Math.max(acc, v);", result: "acc" },
    min: { init: "let acc = x0[base];", step: "acc = Math.min(acc, v);", result: "acc" },
    argmax: {
      init: "let best = x0[base];\n  let acc = 0.0;",
      step: "if (v > best) {\n      best = v;\n      acc = p;\n    }",
      result: "acc",
    },
    logSumExp: {
      init:
        "let top = x0[base];\n" +
        "  for (let p = 0; p < this.constants.count; p++) {\n" +
        "    top = Math.max(top, x0[base + p * this.constants.inner]);\n" +
        "  }\n" +
        "  const shift = top > -3.0e38 && top < 3.0e38 ? top : 0.0;\n" +
        "  let acc = 0.0;",
      step: "acc += Math.exp(v - shift);",
      result: "Math.log(acc) + shift",
    },
  };

/**
 * Reduces `x` viewed as `[outer, count, inner]` over its middle axis into `[outer, inner]`,
 * one thread per output element looping over `count` (a constant, so loops over more than
 * 1000 elements are not capped).
 */
export function reduceKernel(
  op: ReduceOp,
  outer: number,
  count: number,
  inner: number,
): KernelSpec {
  const body = reduceBodies[op];
  const source = [
    "function (x0) {",
    `  const o = ${quotient("this.thread.x", "this.constants.inner")};`,
    "  const i = this.thread.x - o * this.constants.inner;",
    "  const base = o * this.constants.count * this.constants.inner + i;",
    `  ${body.init}`,
    "  for (let p = 0; p < this.constants.count; p++) {",
    "    const v = x0[base + p * this.constants.inner];",
    `    ${body.step}`,
    "  }",
    `  return ${body.result};`,
    "}",
  ].join("\n");
  return { source, constants: { count, inner }, output: outer * inner, loopMaxIterations: count };
}

/**
 * `[m, n]` product of `op(a)` `[m, k]` and `op(b)` `[k, n]`: one thread per output element
 * running a length-`k` dot product. The four transpose variants differ only in the strides
 * (constants), so they share one source and compile to four kernels.
 */
export function matmulKernel(
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): KernelSpec {
  const source = [
    "function (x0, x1) {",
    `  const row = ${quotient("this.thread.x", "this.constants.n")};`,
    "  const column = this.thread.x - row * this.constants.n;",
    "  const aStart = row * this.constants.aRow;",
    "  const bStart = column * this.constants.bColumn;",
    "  let acc = 0.0;",
    "  for (let p = 0; p < this.constants.k; p++) {",
    "    acc += x0[aStart + p * this.constants.aDepth] * x1[bStart + p * this.constants.bDepth];",
    "  }",
    "  return acc;",
    "}",
  ].join("\n");
  return {
    source,
    constants: {
      n,
      k,
      aRow: transposeA ? 1 : k,
      aDepth: transposeA ? m : 1,
      bColumn: transposeB ? k : 1,
      bDepth: transposeB ? 1 : n,
    },
    output: m * n,
    loopMaxIterations: k,
  };
}
