import { type Backend, type BinaryOp, getBackend, type UnaryOp } from "../backend";
import { allocate, type DType, type FloatDType, requireFloat, requireSameDType } from "../dtype";
import { broadcastShapesFor, broadcastStrides, formatShape, shapesEqual } from "../shape";
import { backendOf, checkTensor, makeTensor, storageOf, type Tensor } from "../tensor";
import { checkValue, fromOwnedArray } from "./creation";

/** A tensor, or a JS number that takes the other operand's dtype. */
export type Operand = Tensor | number;

/** Ops that only make sense on floats (int32 division would have to pick a rounding). */
const floatOnlyUnary: { readonly [Op in UnaryOp]: boolean } = {
  neg: false,
  exp: true,
  log: true,
  sqrt: true,
  abs: false,
  sign: false,
  square: false,
  reciprocal: true,
  tanh: true,
  sigmoid: true,
  relu: false,
};

const floatOnlyBinary: { readonly [Op in BinaryOp]: boolean } = {
  add: false,
  sub: false,
  mul: false,
  div: true,
  pow: true,
  maximum: false,
  minimum: false,
  equal: false,
  notEqual: false,
  greater: false,
  greaterEqual: false,
  less: false,
  lessEqual: false,
};

function unary(op: UnaryOp, x: Tensor): Tensor {
  checkTensor(op, x);
  if (floatOnlyUnary[op]) requireFloat(op, x.dtype);
  const storage = x.backend.unary(op, storageOf(x), { dtype: x.dtype, size: x.size });
  return makeTensor(x.backend, storage, x.shape, x.dtype);
}

/** Turns number operands into scalars of the tensor operand's dtype (float32 if both are numbers). */
export function toTensors(op: string, operands: readonly Operand[]): Tensor[] {
  const first = operands.find((operand): operand is Tensor => typeof operand !== "number");
  const target = first?.dtype ?? "float32";
  const backend = first?.backend ?? getBackend();
  return operands.map((operand, index) => {
    if (typeof operand === "number") return scalarFor(op, operand, target, backend);
    checkTensor(op, operand, `operand ${index + 1}`);
    return operand;
  });
}

/** A number as a rank-0 tensor on the backend of the tensors it meets. */
function scalarFor(op: string, value: number, dtype: DType, backend: Backend): Tensor {
  if (dtype === "int32" && !Number.isInteger(value)) {
    throw new TypeError(`${op}: number ${value} is not an int32; cast the tensor to a float dtype`);
  }
  checkValue(op, value, dtype);
  const data = allocate(dtype, 1);
  data[0] = value;
  return fromOwnedArray(data, [], dtype, backend);
}

function binary(op: BinaryOp, a: Operand, b: Operand): Tensor {
  const [left, right] = toTensors(op, [a, b]) as [Tensor, Tensor];
  requireSameDType(op, left.dtype, right.dtype);
  if (floatOnlyBinary[op]) requireFloat(op, left.dtype);
  const backend = backendOf(op, [left, right]);
  const shape = broadcastShapesFor(op, [left.shape, right.shape]);
  const storage = backend.binary(op, storageOf(left), storageOf(right), {
    dtype: left.dtype,
    shape,
    aStrides: broadcastStrides(left.shape, shape),
    bStrides: broadcastStrides(right.shape, shape),
  });
  return makeTensor(backend, storage, shape, left.dtype);
}

// Unary ops ----------------------------------------------------------------------------------

/** −x. */
export function neg(x: Tensor): Tensor {
  return unary("neg", x);
}
/** eˣ. Float only. */
export function exp(x: Tensor): Tensor {
  return unary("exp", x);
}
/** Natural logarithm (−∞ at 0, NaN below). Float only. */
export function log(x: Tensor): Tensor {
  return unary("log", x);
}
/** Square root (NaN below 0). Float only. */
export function sqrt(x: Tensor): Tensor {
  return unary("sqrt", x);
}
/** |x|. */
export function abs(x: Tensor): Tensor {
  return unary("abs", x);
}
/** −1, 0 or 1 by the sign of x (NaN stays NaN). */
export function sign(x: Tensor): Tensor {
  return unary("sign", x);
}
/** x². */
export function square(x: Tensor): Tensor {
  return unary("square", x);
}
/** 1/x. Float only. */
export function reciprocal(x: Tensor): Tensor {
  return unary("reciprocal", x);
}
/** Hyperbolic tangent. Float only. */
export function tanh(x: Tensor): Tensor {
  return unary("tanh", x);
}
/** Logistic function 1/(1 + e⁻ˣ), computed without overflow for large |x|. Float only. */
export function sigmoid(x: Tensor): Tensor {
  return unary("sigmoid", x);
}
/** max(x, 0); NaN stays NaN. */
export function relu(x: Tensor): Tensor {
  return unary("relu", x);
}

// Binary ops (numpy broadcasting) -------------------------------------------------------------

/**
 * a + b with numpy broadcasting. A number operand takes the other operand's dtype; two tensors
 * must share a dtype.
 * @throws RangeError `add: shapes [2,3] and [4] cannot be broadcast`; TypeError on dtype mismatch.
 * @example add(tensor([[1, 2], [3, 4]]), tensor([10, 20])) // [[11, 22], [13, 24]]
 */
export function add(a: Operand, b: Operand): Tensor {
  return binary("add", a, b);
}
/** a − b, broadcasting as in {@link add}. */
export function sub(a: Operand, b: Operand): Tensor {
  return binary("sub", a, b);
}
/** a · b elementwise, broadcasting as in {@link add}. int32 products wrap modulo 2³². */
export function mul(a: Operand, b: Operand): Tensor {
  return binary("mul", a, b);
}
/** a / b, broadcasting as in {@link add}. Float only. */
export function div(a: Operand, b: Operand): Tensor {
  return binary("div", a, b);
}
/** aᵇ, broadcasting as in {@link add}. Float only. */
export function pow(a: Operand, b: Operand): Tensor {
  return binary("pow", a, b);
}
/** Elementwise larger of a and b (NaN if either is NaN). */
export function maximum(a: Operand, b: Operand): Tensor {
  return binary("maximum", a, b);
}
/** Elementwise smaller of a and b (NaN if either is NaN). */
export function minimum(a: Operand, b: Operand): Tensor {
  return binary("minimum", a, b);
}
/** 1 where a = b, else 0, in the operands' dtype. */
export function equal(a: Operand, b: Operand): Tensor {
  return binary("equal", a, b);
}
/** 1 where a ≠ b, else 0, in the operands' dtype. */
export function notEqual(a: Operand, b: Operand): Tensor {
  return binary("notEqual", a, b);
}
/** 1 where a > b, else 0, in the operands' dtype. */
export function greater(a: Operand, b: Operand): Tensor {
  return binary("greater", a, b);
}
/** 1 where a ≥ b, else 0, in the operands' dtype. */
export function greaterEqual(a: Operand, b: Operand): Tensor {
  return binary("greaterEqual", a, b);
}
/** 1 where a < b, else 0, in the operands' dtype. */
export function less(a: Operand, b: Operand): Tensor {
  return binary("less", a, b);
}
/** 1 where a ≤ b, else 0, in the operands' dtype. */
export function lessEqual(a: Operand, b: Operand): Tensor {
  return binary("lessEqual", a, b);
}

/**
 * `alpha·x + beta·y` in one pass over two float tensors of one shape (BLAS's axpby): the fused
 * update of momentum and Adam, `axpby(ρ, v, −η, g)` for ρv − ηg. Each product is rounded to the
 * dtype before the sum, so the CPU backend's result equals `add(mul(x, alpha), mul(y, beta))`
 * bit for bit, with one output array instead of three.
 * @throws RangeError when the shapes differ (no broadcasting); TypeError for int32, mixed
 *   dtypes or a coefficient that is not a number.
 * @example axpby(2, tensor([1, 2]), -1, tensor([1, 1])).toArray() // [1, 3]
 */
export function axpby(alpha: number, x: Tensor, beta: number, y: Tensor): Tensor {
  checkTensor("axpby", x, "x");
  checkTensor("axpby", y, "y");
  for (const [name, value] of [
    ["alpha", alpha],
    ["beta", beta],
  ] as const) {
    if (typeof value !== "number") {
      throw new TypeError(`axpby: ${name} must be a number, got ${String(value)}`);
    }
  }
  requireSameDType("axpby", x.dtype, y.dtype);
  requireFloat("axpby", x.dtype);
  if (!shapesEqual(x.shape, y.shape)) {
    throw new RangeError(
      `axpby: shapes ${formatShape(x.shape)} and ${formatShape(y.shape)} differ (axpby does not broadcast)`,
    );
  }
  const backend = backendOf("axpby", [x, y]);
  const storage = backend.axpby(storageOf(x), storageOf(y), {
    dtype: x.dtype as FloatDType,
    size: x.size,
    alpha,
    beta,
  });
  return makeTensor(backend, storage, x.shape, x.dtype);
}

/**
 * `a` where `condition` is nonzero, else `b`, broadcasting all three. `a` and `b` must share a
 * dtype (a number takes the other's); `condition` may have any dtype.
 * @throws RangeError when the shapes cannot be broadcast; TypeError on dtype mismatch.
 */
export function where(condition: Tensor, a: Operand, b: Operand): Tensor {
  checkTensor("where", condition, "condition");
  const [left, right] = toTensors("where", [a, b]) as [Tensor, Tensor];
  requireSameDType("where", left.dtype, right.dtype);
  const backend = backendOf("where", [condition, left, right]);
  const shape = broadcastShapesFor("where", [condition.shape, left.shape, right.shape]);
  const storage = backend.where(storageOf(condition), storageOf(left), storageOf(right), {
    conditionDType: condition.dtype,
    dtype: left.dtype,
    shape,
    conditionStrides: broadcastStrides(condition.shape, shape),
    aStrides: broadcastStrides(left.shape, shape),
    bStrides: broadcastStrides(right.shape, shape),
  });
  return makeTensor(backend, storage, shape, left.dtype);
}
