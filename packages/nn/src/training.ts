/**
 * Training as pure functions: a step (state, batch) → { state, metrics }, an evaluation in
 * evaluation mode batched over the data, and an epoch loop that folds the step over
 * mini-batches, reports per-epoch metrics through a callback, stops cleanly on an AbortSignal
 * and returns (never throws) when the cost diverges.
 */

import type { Key, Tensor } from "@puregrad/autograd";
import * as pg from "@puregrad/autograd";
import type { Model } from "./layers.js";
import {
  addL2Gradient,
  checkL2Regularization,
  cost,
  countCorrect,
  type Loss,
  type LossName,
  l2Penalty,
  resolveLoss,
} from "./losses.js";
import {
  applyUpdates,
  type GradientTransformation,
  type OptimizerSpec,
  resolveOptimizer,
} from "./optimizers.js";

/** Inputs [n, d] (float) with their int32 labels [n]; a mini-batch or a whole split. */
export interface Dataset {
  readonly inputs: Tensor;
  readonly labels: Tensor;
}

/** Loss, cost (loss + λ·Σ‖W‖²) and accuracy (fraction in [0, 1]) on some data. */
export interface Metrics {
  readonly loss: number;
  readonly cost: number;
  readonly accuracy: number;
}

/** Everything a training run carries from step to step, as one value. */
export interface TrainState<Params, ModelState> {
  readonly params: Params;
  /** Non-trained model state, e.g. batch-norm running averages. */
  readonly modelState: ModelState;
  readonly optimizerState: unknown;
  /** PRNG key for the run's randomness (the shuffling of {@link fit}). */
  readonly key: Key;
  /** Number of steps (parameter updates) taken so far. */
  readonly step: number;
}

/** What {@link createTrainer} needs: a model, a loss, an optimizer and λ. */
export interface TrainerConfig<Params, ModelState> {
  readonly model: Model<Params, ModelState>;
  /** A built-in loss by name or any {@link Loss} (default `"crossEntropy"`). */
  readonly loss?: Loss | LossName;
  /** An optimizer, or its config (see {@link OptimizerSpec}). */
  readonly optimizer: GradientTransformation | OptimizerSpec;
  /** λ in cost = loss + λ·Σ‖W‖², ≥ 0 (default 0). */
  readonly l2Regularization?: number;
}

/** Options of {@link Trainer.evaluate}. */
export interface EvaluateOptions {
  /** Samples per forward pass, bounding memory (default 1000). */
  readonly batchSize?: number;
}

/** The training functions for one model, loss, optimizer and λ. All pure. */
export interface Trainer<Params, ModelState> {
  /** A fresh training state: model initialized from `key`, optimizer state, step 0. */
  init(key: Key): TrainState<Params, ModelState>;
  /**
   * The differentiable cost of `params` on `batch` in training mode, exactly what {@link step}
   * differentiates; use it for gradient checks.
   */
  cost(params: Params, modelState: ModelState, batch: Dataset): Tensor;
  /**
   * One optimizer step on `batch`. The metrics are those of the parameters *before* the update,
   * taken from the forward pass the gradient needed (training mode), at no extra cost.
   */
  step(
    state: TrainState<Params, ModelState>,
    batch: Dataset,
  ): { state: TrainState<Params, ModelState>; metrics: Metrics };
  /**
   * Loss, cost and accuracy over `data` in evaluation mode (batch norm uses its averages).
   * @throws Error for empty data or a bad batch size.
   */
  evaluate(
    params: Params,
    modelState: ModelState,
    data: Dataset,
    options?: EvaluateOptions,
  ): Metrics;
}

/**
 * Builds the pure training functions for a model, a loss, an optimizer and λ. Gradients are
 * taken with respect to the parameters only, never the data.
 * @throws Error for an unknown loss name, a bad optimizer config or a negative λ.
 * @example
 * const trainer = createTrainer({ model: mlp({ inputSize: 3072, hiddenSizes: [50], outputSize: 10 }),
 *   loss: "crossEntropy", optimizer: momentum(0.01, 0.9), l2Regularization: 1e-3 });
 */
export function createTrainer<Params, ModelState>(
  config: TrainerConfig<Params, ModelState>,
): Trainer<Params, ModelState> {
  const { model, l2Regularization = 0 } = config;
  const loss = resolveLoss(config.loss ?? "crossEntropy");
  const optimizer = resolveOptimizer(config.optimizer);
  checkL2Regularization("createTrainer", l2Regularization);

  const forward = (params: Params, modelState: ModelState, inputs: Tensor, labels: Tensor) => {
    const { output, state } = model.apply(params, modelState, inputs, { training: true });
    return [loss(output, labels), { logits: output, modelState: state }] as const;
  };
  // The step differentiates the data loss alone and adds the L2 term's gradient, 2λW, in one
  // pass per matrix (addL2Gradient): the gradient of `cost`, for one pass less.
  const lossAndGradient = pg.valueAndGrad(forward, { argnums: 0, hasAux: true });

  return {
    init(key) {
      const [modelKey, runKey] = pg.split(key, 2) as [Key, Key];
      const { params, state } = model.init(modelKey);
      return {
        params,
        modelState: state,
        optimizerState: optimizer.init(params),
        key: runKey,
        step: 0,
      };
    },
    cost: (params, modelState, batch) =>
      cost(forward(params, modelState, batch.inputs, batch.labels)[0], params, l2Regularization),
    step(state, batch) {
      const [[lossValue, aux], lossGradients] = lossAndGradient(
        state.params,
        state.modelState,
        batch.inputs,
        batch.labels,
      );
      const gradients = addL2Gradient(lossGradients, state.params, l2Regularization);
      const [updates, optimizerState] = optimizer.update(
        gradients,
        state.optimizerState,
        state.params,
      );
      const metrics = {
        loss: lossValue.item(),
        cost: cost(lossValue, state.params, l2Regularization).item(),
        accuracy: countCorrect(aux.logits, batch.labels) / batch.labels.shape[0]!,
      };
      return {
        state: {
          params: applyUpdates(state.params, updates),
          modelState: aux.modelState,
          optimizerState,
          key: state.key,
          step: state.step + 1,
        },
        metrics,
      };
    },
    evaluate(params, modelState, data, options = {}) {
      const { batchSize = 1000 } = options;
      const count = checkDataset("evaluate", data);
      checkBatchSize("evaluate", batchSize);
      if (count === 0) throw new Error("evaluate: the data is empty");
      let lossSum = 0;
      let correct = 0;
      for (let start = 0; start < count; start += batchSize) {
        const batch = sliceRows(data, start, Math.min(start + batchSize, count));
        const { output } = model.apply(params, modelState, batch.inputs, { training: false });
        // Losses are batch means, so mean · size sums them exactly across uneven batches.
        lossSum += loss(output, batch.labels).item() * batch.labels.shape[0]!;
        correct += countCorrect(output, batch.labels);
      }
      const meanLoss = lossSum / count;
      const penalty = l2Regularization === 0 ? 0 : l2Regularization * l2Penalty(params).item();
      return { loss: meanLoss, cost: meanLoss + penalty, accuracy: correct / count };
    },
  };
}

/** One epoch's record, as {@link fit} reports it. */
export interface EpochRecord {
  /** 1-based epoch number. */
  readonly epoch: number;
  /** Total steps taken when the epoch ended. */
  readonly step: number;
  /** Metrics on the whole training split, evaluation mode, after the epoch. */
  readonly train: Metrics;
  /** Metrics on the validation split, when one was given. */
  readonly validation?: Metrics;
}

/** Options of {@link fit}. */
export interface FitOptions {
  readonly train: Dataset;
  readonly validation?: Dataset;
  /** Passes over the training split (non-negative integer). */
  readonly epochs: number;
  /** Samples per step (the last batch of an epoch is smaller when it does not divide n). */
  readonly batchSize: number;
  /**
   * Visit the training split in a fresh random order each epoch, drawn from the state's key
   * (default false: in order, contiguous slices).
   */
  readonly shuffle?: boolean;
  /** Samples per forward pass of the per-epoch evaluations (default 1000). */
  readonly evaluationBatchSize?: number;
  /** Called after each epoch; awaited, so it may write files. */
  readonly onEpoch?: (record: EpochRecord) => void | Promise<void>;
  /** Stops the loop between steps; fit then returns `status: "aborted"`. */
  readonly signal?: AbortSignal;
}

/** How {@link fit} ended, with the last state and the records of the finished epochs. */
export type FitResult<Params, ModelState> =
  | {
      readonly status: "completed" | "aborted";
      readonly state: TrainState<Params, ModelState>;
      readonly history: readonly EpochRecord[];
    }
  | {
      readonly status: "diverged";
      /** The state whose cost was NaN or ±Infinity (no update was applied from it). */
      readonly state: TrainState<Params, ModelState>;
      readonly history: readonly EpochRecord[];
      /** 1-based epoch during which the cost diverged. */
      readonly epoch: number;
      /** Steps taken before the diverging one (the state's `step`). */
      readonly step: number;
    };

/**
 * The epoch loop: folds `trainer.step` over the mini-batches of `options.train` for
 * `options.epochs` epochs, evaluates train (and validation) metrics after each epoch in
 * evaluation mode and reports them through `onEpoch`. It prints nothing. A non-finite cost
 * (in a step or an epoch evaluation) stops it with `status: "diverged"` and where; an aborted
 * `signal` stops it between steps with `status: "aborted"`. Neither throws.
 * @throws Error only for programmer errors: bad sizes, mismatched inputs and labels.
 * @example
 * const result = await fit(trainer, trainer.init(pg.key(0)), {
 *   train, validation, epochs: 40, batchSize: 100, onEpoch: (record) => history.push(record),
 * });
 * if (result.status === "diverged") console.log(`diverged at epoch ${result.epoch}`);
 */
export async function fit<Params, ModelState>(
  trainer: Trainer<Params, ModelState>,
  initialState: TrainState<Params, ModelState>,
  options: FitOptions,
): Promise<FitResult<Params, ModelState>> {
  const { train, validation, epochs, batchSize, shuffle = false, onEpoch, signal } = options;
  const count = checkDataset("fit (train)", train);
  if (validation) checkDataset("fit (validation)", validation);
  if (!Number.isInteger(epochs) || epochs < 0) {
    throw new Error(`fit: epochs must be a non-negative integer, got ${epochs}`);
  }
  checkBatchSize("fit", batchSize);
  if (count === 0) throw new Error("fit: the training data is empty");
  const evaluation = { batchSize: options.evaluationBatchSize ?? 1000 };

  let state = initialState;
  const history: EpochRecord[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let order: Tensor | undefined;
    if (shuffle) {
      const [orderKey, nextKey] = pg.split(state.key, 2) as [Key, Key];
      order = pg.permutation(orderKey, count);
      state = { ...state, key: nextKey };
    }
    for (let start = 0; start < count; start += batchSize) {
      if (signal) {
        // Lets the event loop run (a CLI's SIGINT handler) before each step.
        await nextMacrotask();
        if (signal.aborted) return { status: "aborted", state, history };
      }
      const end = Math.min(start + batchSize, count);
      const batch = order
        ? takeRows(train, pg.slice(order, [start], [end]))
        : sliceRows(train, start, end);
      const { state: next, metrics } = trainer.step(state, batch);
      if (!Number.isFinite(metrics.cost)) {
        return { status: "diverged", state, history, epoch, step: state.step };
      }
      state = next;
    }
    const trainMetrics = trainer.evaluate(state.params, state.modelState, train, evaluation);
    const record: EpochRecord = validation
      ? {
          epoch,
          step: state.step,
          train: trainMetrics,
          validation: trainer.evaluate(state.params, state.modelState, validation, evaluation),
        }
      : { epoch, step: state.step, train: trainMetrics };
    if (!Number.isFinite(trainMetrics.cost)) {
      return { status: "diverged", state, history, epoch, step: state.step };
    }
    history.push(record);
    await onEpoch?.(record);
  }
  return { status: "completed", state, history };
}

function nextMacrotask(): Promise<void> {
  return new Promise((resolve) =>
    typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0),
  );
}

function sliceRows(data: Dataset, start: number, end: number): Dataset {
  return {
    inputs: pg.slice(data.inputs, [start], [end]),
    labels: pg.slice(data.labels, [start], [end]),
  };
}

function takeRows(data: Dataset, indices: Tensor): Dataset {
  return { inputs: pg.take(data.inputs, indices, 0), labels: pg.take(data.labels, indices, 0) };
}

/** Checks inputs [n, d] against int32 labels [n] and returns n. */
function checkDataset(owner: string, data: Dataset): number {
  const { inputs, labels } = data;
  if (inputs.rank !== 2)
    throw new Error(`${owner}: inputs must be [n, features], got [${inputs.shape.join(", ")}]`);
  if (labels.dtype !== "int32")
    throw new Error(`${owner}: labels must be int32, got ${labels.dtype}`);
  if (labels.rank !== 1 || labels.shape[0] !== inputs.shape[0]) {
    throw new Error(
      `${owner}: labels must be [${inputs.shape[0]}] to match inputs [${inputs.shape.join(", ")}], got [${labels.shape.join(", ")}]`,
    );
  }
  return inputs.shape[0]!;
}

function checkBatchSize(owner: string, batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new Error(`${owner}: batch size must be a positive integer, got ${batchSize}`);
  }
}
