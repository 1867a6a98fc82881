// Elementwise kernels of puregrad's CPU backend, compiled by AssemblyScript to WebAssembly with
// 128-bit SIMD (asm/build.mjs): float32 and float64 arithmetic on operands the caller has copied
// into this module's memory. Each op is the lane-wise IEEE operation whose result the JavaScript
// kernels (src/cpu/elementwise.ts) also give: max/min propagate NaN and order -0 below +0 as
// Math.max/min do, and float32 add/sub/mul/div/sqrt round once here as the JavaScript float32
// path rounds its exact-enough double result once.
//
// Lengths are in bytes and a multiple of 16: the caller pads every operand to whole vectors (the
// padding lanes compute garbage that is never read back), so no loop has a scalar tail.

// Op codes: the order of WASM_BINARY_OPS and WASM_UNARY_OPS in src/wasm/elementwise.ts.
const ADD = 0;
const SUB = 1;
const MUL = 2;
const DIV = 3;
const MAXIMUM = 4;
const MINIMUM = 5;
const EQUAL = 6;
const NOT_EQUAL = 7;
const GREATER = 8;
const GREATER_EQUAL = 9;
const LESS = 10;
const LESS_EQUAL = 11;

const NEG = 0;
const ABS = 1;
const SQRT = 2;
const SQUARE = 3;
const RELU = 4;

// Operand forms of `binary`.
const BOTH_ARRAYS = 0;
const SCALAR_RIGHT = 1;
const SCALAR_LEFT = 2;

// Each op is a class whose one method computes a vector of results, and the loops are generic
// over that class and the lane type, so every (op, type) gets a loop of its own with the op's
// instruction inline. (One loop switching on the op inside ran 2.5× slower on 150k float32; written
// as inlined functions with the op as an argument, the optimizer merged the loops back into it.)
// The loops call the methods on a null instance: they read nothing from it.

class Add {
  apply<T>(a: v128, b: v128): v128 {
    return v128.add<T>(a, b);
  }
}
class Sub {
  apply<T>(a: v128, b: v128): v128 {
    return v128.sub<T>(a, b);
  }
}
class Mul {
  apply<T>(a: v128, b: v128): v128 {
    return v128.mul<T>(a, b);
  }
}
class Div {
  apply<T>(a: v128, b: v128): v128 {
    return v128.div<T>(a, b);
  }
}
class Maximum {
  apply<T>(a: v128, b: v128): v128 {
    return v128.max<T>(a, b);
  }
}
class Minimum {
  apply<T>(a: v128, b: v128): v128 {
    return v128.min<T>(a, b);
  }
}

// Comparisons give 1 or 0 in the operands' type, as the JavaScript kernels do: the lane mask
// (all bits set, or none) ANDed with the bits of 1. NaN compares false except under ≠.
class Equal {
  apply<T>(a: v128, b: v128): v128 {
    return v128.and(v128.eq<T>(a, b), v128.splat<T>(1));
  }
}
class NotEqual {
  apply<T>(a: v128, b: v128): v128 {
    return v128.and(v128.ne<T>(a, b), v128.splat<T>(1));
  }
}
class Greater {
  apply<T>(a: v128, b: v128): v128 {
    return v128.and(v128.gt<T>(a, b), v128.splat<T>(1));
  }
}
class GreaterEqual {
  apply<T>(a: v128, b: v128): v128 {
    return v128.and(v128.ge<T>(a, b), v128.splat<T>(1));
  }
}
class Less {
  apply<T>(a: v128, b: v128): v128 {
    return v128.and(v128.lt<T>(a, b), v128.splat<T>(1));
  }
}
class LessEqual {
  apply<T>(a: v128, b: v128): v128 {
    return v128.and(v128.le<T>(a, b), v128.splat<T>(1));
  }
}

class Neg {
  apply<T>(x: v128): v128 {
    return v128.neg<T>(x);
  }
}
class Abs {
  apply<T>(x: v128): v128 {
    return v128.abs<T>(x);
  }
}
class Sqrt {
  apply<T>(x: v128): v128 {
    return v128.sqrt<T>(x);
  }
}
class Square {
  apply<T>(x: v128): v128 {
    return v128.mul<T>(x, x);
  }
}
class Relu {
  // max(x, +0): +0 for -0 and for negatives, NaN stays NaN, as the JavaScript relu.
  apply<T>(x: v128): v128 {
    return v128.max<T>(x, v128.splat<T>(0));
  }
}

function binaryLoop<Op, T>(form: i32, a: usize, b: usize, out: usize, bytes: usize): void {
  const op = changetype<Op>(0);
  if (form === BOTH_ARRAYS) {
    for (let i: usize = 0; i < bytes; i += 16) {
      v128.store(out + i, op.apply<T>(v128.load(a + i), v128.load(b + i)));
    }
  } else if (form === SCALAR_RIGHT) {
    const scalar = v128.load_splat<T>(b);
    for (let i: usize = 0; i < bytes; i += 16) {
      v128.store(out + i, op.apply<T>(v128.load(a + i), scalar));
    }
  } else if (form === SCALAR_LEFT) {
    const scalar = v128.load_splat<T>(a);
    for (let i: usize = 0; i < bytes; i += 16) {
      v128.store(out + i, op.apply<T>(scalar, v128.load(b + i)));
    }
  }
}

function binaryOf<T>(op: i32, form: i32, a: usize, b: usize, out: usize, bytes: usize): void {
  switch (op) {
    case ADD:
      binaryLoop<Add, T>(form, a, b, out, bytes);
      break;
    case SUB:
      binaryLoop<Sub, T>(form, a, b, out, bytes);
      break;
    case MUL:
      binaryLoop<Mul, T>(form, a, b, out, bytes);
      break;
    case DIV:
      binaryLoop<Div, T>(form, a, b, out, bytes);
      break;
    case MAXIMUM:
      binaryLoop<Maximum, T>(form, a, b, out, bytes);
      break;
    case MINIMUM:
      binaryLoop<Minimum, T>(form, a, b, out, bytes);
      break;
    case EQUAL:
      binaryLoop<Equal, T>(form, a, b, out, bytes);
      break;
    case NOT_EQUAL:
      binaryLoop<NotEqual, T>(form, a, b, out, bytes);
      break;
    case GREATER:
      binaryLoop<Greater, T>(form, a, b, out, bytes);
      break;
    case GREATER_EQUAL:
      binaryLoop<GreaterEqual, T>(form, a, b, out, bytes);
      break;
    case LESS:
      binaryLoop<Less, T>(form, a, b, out, bytes);
      break;
    case LESS_EQUAL:
      binaryLoop<LessEqual, T>(form, a, b, out, bytes);
      break;
  }
}

function unaryLoop<Op, T>(x: usize, out: usize, bytes: usize): void {
  const op = changetype<Op>(0);
  for (let i: usize = 0; i < bytes; i += 16) v128.store(out + i, op.apply<T>(v128.load(x + i)));
}

function unaryOf<T>(op: i32, x: usize, out: usize, bytes: usize): void {
  switch (op) {
    case NEG:
      unaryLoop<Neg, T>(x, out, bytes);
      break;
    case ABS:
      unaryLoop<Abs, T>(x, out, bytes);
      break;
    case SQRT:
      unaryLoop<Sqrt, T>(x, out, bytes);
      break;
    case SQUARE:
      unaryLoop<Square, T>(x, out, bytes);
      break;
    case RELU:
      unaryLoop<Relu, T>(x, out, bytes);
      break;
  }
}

/**
 * out = op(a, b) over `bytes` of float32 (`elementBytes` 4) or float64 (8) lanes. `form` says
 * which operand is one element broadcast to every lane (read from its address) instead of an
 * array. `out` may be `a` or `b`.
 */
export function binary(
  op: i32,
  elementBytes: i32,
  form: i32,
  a: usize,
  b: usize,
  out: usize,
  bytes: usize,
): void {
  if (elementBytes === 4) binaryOf<f32>(op, form, a, b, out, bytes);
  else binaryOf<f64>(op, form, a, b, out, bytes);
}

/** out = op(x) over `bytes` of float32 (`elementBytes` 4) or float64 (8) lanes; `out` may be `x`. */
export function unary(op: i32, elementBytes: i32, x: usize, out: usize, bytes: usize): void {
  if (elementBytes === 4) unaryOf<f32>(op, x, out, bytes);
  else unaryOf<f64>(op, x, out, bytes);
}

// Reductions of `reduce`: the order of WASM_REDUCE_OPS in src/wasm/elementwise.ts.
const SUM = 0;
const SUM_OF_SQUARES = 1;

// A reduction's term for one float64 vector: the value itself, or its square.
class Identity {
  term(x: v128): v128 {
    return x;
  }
}
class Squared {
  term(x: v128): v128 {
    return f64x2.mul(x, x);
  }
}

/**
 * Σ term(x[i]) over `count` float32 or float64 (T) elements at `x`, accumulated in float64 as the
 * JavaScript kernel does (a float32 is widened exactly, then added), in four vector partial sums.
 */
function reduceLine<T, Term>(x: usize, count: usize): f64 {
  const term = changetype<Term>(0);
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let s2 = f64x2.splat(0);
  let s3 = f64x2.splat(0);
  let i: usize = 0;
  for (; i + 8 <= count; i += 8) {
    const at = x + i * sizeof<T>();
    let v0: v128, v1: v128, v2: v128, v3: v128;
    if (sizeof<T>() === 4) {
      const low = v128.load(at);
      const high = v128.load(at, 16);
      v0 = f64x2.promote_low_f32x4(low);
      v1 = f64x2.promote_low_f32x4(v128.shuffle<f32>(low, low, 2, 3, 0, 1));
      v2 = f64x2.promote_low_f32x4(high);
      v3 = f64x2.promote_low_f32x4(v128.shuffle<f32>(high, high, 2, 3, 0, 1));
    } else {
      v0 = v128.load(at);
      v1 = v128.load(at, 16);
      v2 = v128.load(at, 32);
      v3 = v128.load(at, 48);
    }
    s0 = f64x2.add(s0, term.term(v0));
    s1 = f64x2.add(s1, term.term(v1));
    s2 = f64x2.add(s2, term.term(v2));
    s3 = f64x2.add(s3, term.term(v3));
  }
  const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  let total = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < count; i++) {
    const value = <f64>load<T>(x + i * sizeof<T>());
    total += f64x2.extract_lane(term.term(f64x2.splat(value)), 0);
  }
  return total;
}

function reduceLines<Term>(
  elementBytes: i32,
  x: usize,
  lines: i32,
  count: usize,
  out: usize,
): void {
  const lineBytes = count * <usize>elementBytes;
  for (let line = 0; line < lines; line++, x += lineBytes, out += 8) {
    store<f64>(
      out,
      elementBytes === 4 ? reduceLine<f32, Term>(x, count) : reduceLine<f64, Term>(x, count),
    );
  }
}

/**
 * For each of `lines` consecutive lines of `count` float32 (`elementBytes` 4) or float64 (8)
 * elements from `x`, stores Σ x (`op` SUM) or Σ x² (SUM_OF_SQUARES) as a float64 at `out`, 8 bytes
 * per line. Lines need no alignment or padding.
 */
export function reduce(
  op: i32,
  elementBytes: i32,
  x: usize,
  lines: i32,
  count: usize,
  out: usize,
): void {
  if (op === SUM) reduceLines<Identity>(elementBytes, x, lines, count, out);
  else if (op === SUM_OF_SQUARES) reduceLines<Squared>(elementBytes, x, lines, count, out);
}

/**
 * Adds term(row[i]) into the float64 accumulators at `sums` for `inner` float32 or float64 (T)
 * elements of one row, each widened exactly; a vector of four (float64: two) at a time.
 */
function accumulateRow<T, Term>(row: usize, inner: usize, sums: usize): void {
  const term = changetype<Term>(0);
  let i: usize = 0;
  if (sizeof<T>() === 4) {
    for (; i + 4 <= inner; i += 4) {
      const v = v128.load(row + (i << 2));
      const at = sums + (i << 3);
      v128.store(at, f64x2.add(v128.load(at), term.term(f64x2.promote_low_f32x4(v))));
      const high = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
      v128.store(at, f64x2.add(v128.load(at, 16), term.term(high)), 16);
    }
  } else {
    for (; i + 2 <= inner; i += 2) {
      const at = sums + (i << 3);
      v128.store(at, f64x2.add(v128.load(at), term.term(v128.load(row + (i << 3)))));
    }
  }
  for (; i < inner; i++) {
    const value = f64x2.splat(<f64>load<T>(row + i * sizeof<T>()));
    store<f64>(
      sums + (i << 3),
      load<f64>(sums + (i << 3)) + f64x2.extract_lane(term.term(value), 0),
    );
  }
}

function reduceColumnsOf<T, Term>(
  x: usize,
  outer: i32,
  count: i32,
  inner: usize,
  out: usize,
): void {
  const rowBytes = inner * sizeof<T>();
  for (let o = 0; o < outer; o++, out += inner << 3) {
    memory.fill(out, 0, inner << 3);
    for (let r = 0; r < count; r++, x += rowBytes) accumulateRow<T, Term>(x, inner, out);
  }
}

/**
 * For x viewed as [outer, count, inner] float32 (`elementBytes` 4) or float64 (8), stores the
 * float64 Σ over its middle axis of x (`op` SUM) or x² (SUM_OF_SQUARES) at `out`
 * ([outer, inner], 8 bytes each), row by row in order as the JavaScript kernel does: a bias
 * gradient's column sums.
 */
export function reduceColumns(
  op: i32,
  elementBytes: i32,
  x: usize,
  outer: i32,
  count: i32,
  inner: usize,
  out: usize,
): void {
  if (elementBytes === 4) {
    if (op === SUM) reduceColumnsOf<f32, Identity>(x, outer, count, inner, out);
    else if (op === SUM_OF_SQUARES) reduceColumnsOf<f32, Squared>(x, outer, count, inner, out);
  } else {
    if (op === SUM) reduceColumnsOf<f64, Identity>(x, outer, count, inner, out);
    else if (op === SUM_OF_SQUARES) reduceColumnsOf<f64, Squared>(x, outer, count, inner, out);
  }
}

function axpbyLoop<T>(x: usize, y: usize, out: usize, bytes: usize, alpha: v128, beta: v128): void {
  for (let i: usize = 0; i < bytes; i += 16) {
    const scaledX = v128.mul<T>(alpha, v128.load(x + i));
    v128.store(out + i, v128.add<T>(scaledX, v128.mul<T>(beta, v128.load(y + i))));
  }
}

/**
 * out = α·x + β·y over `bytes` of float32 (`elementBytes` 4, α and β rounded to float32 first)
 * or float64 (8) lanes: each product rounded, then the sum, exactly as a mul, a mul and an add
 * would. `out` may be `x` or `y`.
 */
export function axpby(
  elementBytes: i32,
  x: usize,
  y: usize,
  out: usize,
  bytes: usize,
  alpha: f64,
  beta: f64,
): void {
  if (elementBytes === 4) {
    axpbyLoop<f32>(x, y, out, bytes, f32x4.splat(<f32>alpha), f32x4.splat(<f32>beta));
  } else {
    axpbyLoop<f64>(x, y, out, bytes, f64x2.splat(alpha), f64x2.splat(beta));
  }
}
