/** One training run from a {@link RunConfig}: the model, loss, optimizer and schedule it names, and the epoch loop. */
import * as pg from "@puregrad/autograd";
import {
  adam,
  createTrainer,
  type Dataset,
  epochDecaySchedule,
  fit,
  type Loss,
  type Metrics,
  type MlpParams,
  type MlpState,
  mlp,
  momentum,
  multiclassHinge,
  type Schedule,
  sgd,
  softmaxCrossEntropy,
  type Trainer,
  toSchedule,
  triangularCyclicSchedule,
} from "@puregrad/nn";
import type { Tensor } from "@puregrad/tensor";
import { CLASSES } from "../data/format.js";
import type { TensorSet } from "../data/prepare.js";
import type { EpochMetrics } from "../report/tables.js";
import type { LossConfig, ModelConfig, RunConfig } from "./config.js";

/** The loss a config names could not be resolved. */
export interface LossModuleNotLoaded {
  readonly _tag: "LossModuleNotLoaded";
  readonly message: string;
}

/**
 * The loss function of a config: the built-in one it names, or `supplied` for
 * `{ module: … }` (which the caller loads). A supplied loss also replaces a named one, so a
 * user loss can run any preset.
 */
export function resolveRunLoss(config: LossConfig, supplied?: Loss): Loss | LossModuleNotLoaded {
  if (supplied) return supplied;
  if (config === "cross-entropy") return softmaxCrossEntropy;
  if (config === "svm") return multiclassHinge;
  return {
    _tag: "LossModuleNotLoaded",
    message: `loss: the config names the module ${config.module}; load it and pass its loss function to the runner (options.loss)`,
  };
}

/** The MLP a model config describes, on `inputSize` features, with parameters in `dtype`. */
export function modelOf(model: ModelConfig, inputSize: number, dtype: "float32" | "float64") {
  return mlp({
    inputSize,
    hiddenSizes: model.hiddenSizes,
    outputSize: CLASSES,
    activation: model.activation,
    batchNorm: model.batchNorm
      ? { scaleAndShift: model.scaleShift, momentum: model.batchNormMomentum }
      : false,
    init: model.init,
    dtype,
  });
}

/** η as a function of the 0-based update count, from the optimizer's η and the schedule. */
function scheduleOf(config: RunConfig, stepsPerEpoch: number): Schedule {
  const learningRate = config.optimizer.learningRate;
  switch (config.schedule.type) {
    case "constant":
      return toSchedule(learningRate);
    case "decay":
      return epochDecaySchedule({ learningRate, decay: config.schedule.factor, stepsPerEpoch });
    case "cyclic":
      return triangularCyclicSchedule({
        minimum: learningRate,
        maximum: config.schedule.maximum,
        stepSize: config.schedule.stepSize,
      });
  }
}

function optimizerOf(config: RunConfig, schedule: Schedule) {
  const optimizer = config.optimizer;
  switch (optimizer.type) {
    case "sgd":
      return sgd(schedule);
    case "momentum":
      return optimizer.rule === "course"
        ? momentum(schedule, optimizer.momentum)
        : sgd(schedule, { momentum: optimizer.momentum });
    case "adam":
      return adam(schedule, {
        beta1: optimizer.beta1,
        beta2: optimizer.beta2,
        epsilon: optimizer.epsilon,
      });
  }
}

/** The pure training functions of a run config. */
function trainerOf(
  config: RunConfig,
  loss: Loss,
  inputSize: number,
  stepsPerEpoch: number,
): { trainer: Trainer<MlpParams, MlpState>; schedule: Schedule } {
  const schedule = scheduleOf(config, stepsPerEpoch);
  const trainer = createTrainer({
    model: modelOf(config.model, inputSize, config.dtype),
    loss,
    optimizer: optimizerOf(config, schedule),
    l2Regularization: config.lambda,
  });
  return { trainer, schedule };
}

/** Final accuracies (fractions in [0, 1]) and test loss of a finished run, in evaluation mode. */
export interface FinalMetrics {
  readonly trainAccuracy: number;
  readonly validationAccuracy: number;
  readonly testAccuracy: number;
  readonly testLoss: number;
}

/** How a training run ended, with everything a report needs. */
export interface TrainingOutcome {
  readonly status: "completed" | "diverged" | "aborted";
  /** 1-based epoch in which the cost became NaN or ±Infinity (diverged runs only). */
  readonly divergedAtEpoch?: number;
  /** The finished epochs' metrics. */
  readonly epochs: readonly EpochMetrics[];
  /** Present for completed runs. */
  readonly final?: FinalMetrics;
  readonly params: MlpParams;
  readonly modelState: MlpState;
}

/** A prepared split's sets as the trainer's datasets, in the run's dtype. */
export interface RunData {
  readonly train: Dataset;
  readonly validation: Dataset;
  readonly test: Dataset;
}

/** Converts prepared tensor sets to datasets of `dtype` (a no-op for float32). */
export function runDataOf(
  sets: { readonly train: TensorSet; readonly validation: TensorSet; readonly test: TensorSet },
  dtype: "float32" | "float64",
): RunData {
  const convert = (set: TensorSet): Dataset => ({ inputs: pg.cast(set.x, dtype), labels: set.y });
  return {
    train: convert(sets.train),
    validation: convert(sets.validation),
    test: convert(sets.test),
  };
}

/** Options of {@link train}. */
export interface TrainOptions {
  readonly signal?: AbortSignal;
  /** Called after each finished epoch (awaited, so it may write files). */
  readonly onEpoch?: (metrics: EpochMetrics) => void | Promise<void>;
}

const toEpochMetrics = (
  epoch: number,
  train: Metrics,
  validation: Metrics,
  learningRate: number,
): EpochMetrics => ({
  epoch,
  trainLoss: train.loss,
  trainCost: train.cost,
  trainAccuracy: train.accuracy,
  validationLoss: validation.loss,
  validationCost: validation.cost,
  validationAccuracy: validation.accuracy,
  learningRate,
});

/**
 * Trains the network of `config` on `data`: initialization and shuffling from `config.seed`, so
 * the same config, data and backend give the same numbers. Never throws for divergence: a
 * non-finite cost ends the run with `status: "diverged"` and the epoch.
 */
export async function train(
  config: RunConfig,
  data: RunData,
  loss: Loss,
  options: TrainOptions = {},
): Promise<TrainingOutcome> {
  const count = data.train.labels.shape[0]!;
  const stepsPerEpoch = Math.ceil(count / config.batchSize);
  const { trainer, schedule } = trainerOf(config, loss, data.train.inputs.shape[1]!, stepsPerEpoch);
  const epochs: EpochMetrics[] = [];
  const result = await fit(trainer, trainer.init(pg.key(config.seed)), {
    train: data.train,
    validation: data.validation,
    epochs: config.epochs,
    batchSize: config.batchSize,
    shuffle: config.shuffle,
    ...(options.signal ? { signal: options.signal } : {}),
    onEpoch: async (record) => {
      // η of the epoch's first update: the rate the epoch was trained at (decay) or began at (cyclic).
      const learningRate = schedule((record.epoch - 1) * stepsPerEpoch);
      const metrics = toEpochMetrics(record.epoch, record.train, record.validation!, learningRate);
      epochs.push(metrics);
      await options.onEpoch?.(metrics);
    },
  });
  const { params, modelState } = result.state;
  if (result.status === "diverged")
    return { status: "diverged", divergedAtEpoch: result.epoch, epochs, params, modelState };
  if (result.status === "aborted") return { status: "aborted", epochs, params, modelState };
  const last = epochs.at(-1)!;
  const test = trainer.evaluate(params, modelState, data.test);
  const final: FinalMetrics = {
    trainAccuracy: last.trainAccuracy,
    validationAccuracy: last.validationAccuracy,
    testAccuracy: test.accuracy,
    testLoss: test.loss,
  };
  if (!Number.isFinite(test.cost))
    return { status: "diverged", divergedAtEpoch: config.epochs, epochs, params, modelState };
  return { status: "completed", epochs, final, params, modelState };
}

/** A tensor's shape and a copy of its values, for files. */
export const storedTensor = (tensor: Tensor) => ({
  shape: [...tensor.shape],
  data: tensor.toTypedArray() as Float32Array | Float64Array,
});
