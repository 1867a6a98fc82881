/**
 * @puregrad/nn — neural-network building blocks as pure functions: models as `init`/`apply`
 * pairs (dense, batch norm, MLP of any depth), initializers, activations, losses and metrics,
 * optax-style optimizers, learning-rate schedules, and the training step and epoch loop. All
 * math goes through `@puregrad/autograd`, so everything is differentiable.
 * @packageDocumentation
 */
export {
  type Activation,
  type ActivationName,
  leakyRelu,
  resolveActivation,
} from "./activations.js";
export {
  heInit,
  type Initializer,
  type InitializerName,
  type InitializerSpec,
  normalInit,
  resolveInitializer,
  xavierInit,
  zerosInit,
} from "./initializers.js";
export {
  type ApplyOptions,
  affine,
  type BatchNormConfig,
  type BatchNormParams,
  type BatchNormState,
  batchNorm,
  type DenseConfig,
  type DenseParams,
  dense,
  type EmptyState,
  type MlpConfig,
  type MlpLayerParams,
  type MlpParams,
  type MlpState,
  type Model,
  mlp,
} from "./layers.js";
export {
  accuracy,
  addL2Gradient,
  cost,
  type Loss,
  type LossName,
  l2Penalty,
  multiclassHinge,
  resolveLoss,
  softmaxCrossEntropy,
} from "./losses.js";
export {
  type AdamOptions,
  type AdamState,
  adam,
  applyUpdates,
  type CountState,
  chain,
  type GradientTransformation,
  type MomentumState,
  momentum,
  type OptimizerSpec,
  resolveOptimizer,
  scaleByAdam,
  scaleByLearningRate,
  sgd,
  type TraceState,
  trace,
} from "./optimizers.js";
export {
  constantSchedule,
  epochDecaySchedule,
  exponentialDecaySchedule,
  type LearningRate,
  resolveSchedule,
  type Schedule,
  type ScheduleSpec,
  toSchedule,
  triangularCyclicSchedule,
} from "./schedules.js";
export {
  createTrainer,
  type Dataset,
  type EpochRecord,
  type EvaluateOptions,
  type FitOptions,
  type FitResult,
  fit,
  type Metrics,
  type Trainer,
  type TrainerConfig,
  type TrainState,
} from "./training.js";
