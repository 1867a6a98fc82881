/**
 * `@puregrad/autograd`: reverse-mode automatic differentiation of pure functions of
 * `@puregrad/tensor` tensors.
 *
 * Import everything from here: the differentiable ops (same names and signatures as the
 * tensor ops, plain tensor ops when nothing is being differentiated), the
 * non-differentiable tensor functions re-exported as they are, composites (`softmax`,
 * `logSoftmax`, `variance`), the transforms (`grad`, `valueAndGrad`, `vjp`,
 * `stopGradient`, `customVjp`), pytree helpers and `checkGradients`.
 *
 * @example
 * import * as pg from "@puregrad/autograd";
 * const loss = (w: pg.Tensor) => pg.sum(pg.square(w));
 * pg.grad(loss)(pg.tensor([1, 2], "float64")); // [2, 4]
 * @packageDocumentation
 */

export {
  allClose,
  arange,
  argmax,
  type Backend,
  bernoulli,
  broadcastShapes,
  type DType,
  equal,
  eye,
  type FloatDType,
  foldIn,
  formatShape,
  fromTypedArray,
  full,
  fullLike,
  getBackend,
  greater,
  greaterEqual,
  isFloat,
  type Key,
  key,
  less,
  lessEqual,
  type MatmulOptions,
  type NestedArray,
  normal,
  notEqual,
  type Operand,
  oneHot,
  ones,
  onesLike,
  permutation,
  type ReduceOptions,
  type Shape,
  scalar,
  setBackend,
  shapesEqual,
  sizeOf,
  split,
  Tensor,
  type TypedArray,
  tensor,
  uniform,
  zeros,
  zerosLike,
} from "@puregrad/tensor";
export {
  logSoftmax,
  type SoftmaxOptions,
  softmax,
  type VarianceOptions,
  variance,
} from "./composites.js";
export {
  checkGradients,
  defaultSteps,
  defaultTolerances,
  type GradientCheckOptions,
  type GradientCheckRow,
  type GradientCheckTolerance,
  type GradientComparison,
  type GradientMethod,
} from "./gradcheck.js";
export {
  abs,
  add,
  axpby,
  broadcastTo,
  cast,
  concat,
  div,
  exp,
  expandDims,
  log,
  logSumExp,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  neg,
  pow,
  reciprocal,
  relu,
  reshape,
  sigmoid,
  sign,
  slice,
  sqrt,
  square,
  squeeze,
  sub,
  sum,
  sumOfSquares,
  take,
  tanh,
  transpose,
  where,
} from "./primitives.js";
export { type FlatTree, type Pytree, treeFlatten, treeLeaves, treeMap } from "./pytree.js";
export {
  type Argnums,
  type CustomVjpOptions,
  customVjp,
  type GradientsOf,
  type GradOptions,
  grad,
  stopGradient,
  valueAndGrad,
  vjp,
} from "./transforms.js";
