/**
 * `@puregrad/tensor`: immutable n-dimensional arrays with numpy broadcasting, float32 /
 * float64 / int32 dtypes, splittable counter-based random keys and a narrow backend interface.
 * Every op is a free function so that autograd can intercept it.
 * @packageDocumentation
 */

export type {
  Backend,
  BinaryOp,
  ReduceOp,
  Storage,
  UnaryOp,
} from "./backend";
export { getBackend, setBackend } from "./backend";
export { type AllCloseOptions, allClose } from "./compare";
export { type CpuBackendOptions, cpuBackend, createCpuBackend } from "./cpu/backend";
export type { MatmulKernel } from "./cpu/matmul";
export type { DType, FloatArray, FloatDType, TypedArray } from "./dtype";
export { isFloat } from "./dtype";
export {
  arange,
  cast,
  eye,
  fromTypedArray,
  full,
  fullLike,
  ones,
  onesLike,
  scalar,
  tensor,
  toBackend,
  zeros,
  zerosLike,
} from "./ops/creation";
export {
  abs,
  add,
  axpby,
  div,
  equal,
  exp,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  maximum,
  minimum,
  mul,
  neg,
  notEqual,
  type Operand,
  pow,
  reciprocal,
  relu,
  sigmoid,
  sign,
  sqrt,
  square,
  sub,
  tanh,
  where,
} from "./ops/elementwise";
export { type MatmulOptions, matmul } from "./ops/linalg";
export {
  argmax,
  logSumExp,
  max,
  mean,
  min,
  type ReduceOptions,
  sum,
  sumOfSquares,
} from "./ops/reduce";
export {
  broadcastTo,
  concat,
  expandDims,
  oneHot,
  reshape,
  slice,
  squeeze,
  take,
  transpose,
} from "./ops/shape";
export {
  bernoulli,
  foldIn,
  type Key,
  key,
  type NormalOptions,
  normal,
  permutation,
  split,
  type UniformOptions,
  uniform,
} from "./random";
export { broadcastShapes, formatShape, type Shape, shapesEqual, sizeOf } from "./shape";
export { type NestedArray, Tensor } from "./tensor";
export {
  type ElementwiseInfo,
  elementwiseInfo,
  type MatmulInfo,
  matmulInfo,
  setMatmulFma,
  setMatmulThreads,
} from "./wasm/index";
