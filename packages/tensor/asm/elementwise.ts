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
