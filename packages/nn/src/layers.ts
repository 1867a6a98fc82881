/**
 * Models as pairs of pure functions: `init(key) → { params, state }` and
 * `apply(params, state, inputs, { training }) → { output, state }`. Parameters are what the
 * optimizer trains; state (batch-norm running averages) is threaded through, never differentiated.
 */

import type { FloatDType, Key, Tensor } from "@puregrad/autograd";
import * as pg from "@puregrad/autograd";
import { type Activation, type ActivationName, resolveActivation } from "./activations.js";
import { type InitializerSpec, resolveInitializer } from "./initializers.js";

/** Options of {@link Model.apply}. */
export interface ApplyOptions {
  /** Training mode: batch norm uses batch statistics and updates its averages. */
  readonly training: boolean;
}

/** A model: how to create its parameters and state, and how to run it on a batch. */
export interface Model<Params, State> {
  /** Fresh parameters and state, deterministic in `key`. */
  init(key: Key): { params: Params; state: State };
  /**
   * Runs the model on `inputs` ([n, inputSize]). In training mode the returned state holds the
   * updated running averages; in evaluation mode it is `state` itself.
   */
  apply(
    params: Params,
    state: State,
    inputs: Tensor,
    options: ApplyOptions,
  ): { output: Tensor; state: State };
}

/** State of a model that has none. */
export type EmptyState = Record<string, never>;

const emptyState: EmptyState = Object.freeze({});

// ---------------------------------------------------------------------------------------------
// dense

/** Parameters of a dense layer: W is [out, in] (each row a unit's weights), b is [out]. */
export type DenseParams = {
  readonly W: Tensor;
  readonly b: Tensor;
};

/** Configuration of {@link dense}. */
export interface DenseConfig {
  readonly inputSize: number;
  readonly outputSize: number;
  /** Initializer of W (default `"xavier"`, N(0, 1/inputSize)). */
  readonly init?: InitializerSpec;
  /** Initializer of b (default `"zeros"`). */
  readonly biasInit?: InitializerSpec;
  /** Parameter dtype (default float32; float64 for gradient checks). */
  readonly dtype?: FloatDType;
}

/**
 * The affine map X Wᵀ + b of a batch X [n, in], with W [out, in] and b [out]. Uses the matmul
 * kernel's transposed-operand path, so Wᵀ is never materialized.
 */
export function affine(inputs: Tensor, params: DenseParams): Tensor {
  return pg.add(pg.matmul(inputs, params.W, { transposeB: true }), params.b);
}

/**
 * A fully connected layer s = W x + b, applied to a batch as X Wᵀ + b.
 * @throws Error when a size is not a positive integer, or (from apply) when the inputs are not
 * [n, inputSize].
 * @example
 * const layer = dense({ inputSize: 3072, outputSize: 10, init: { normal: 0.01 } });
 * const { params } = layer.init(pg.key(0));
 */
export function dense(config: DenseConfig): Model<DenseParams, EmptyState> {
  const { inputSize, outputSize, dtype = "float32" } = config;
  checkSize("dense", "inputSize", inputSize);
  checkSize("dense", "outputSize", outputSize);
  const initW = resolveInitializer(config.init ?? "xavier");
  const initB = resolveInitializer(config.biasInit ?? "zeros");
  return {
    init(key) {
      const [keyW, keyB] = pg.split(key, 2) as [Key, Key];
      const params = {
        W: initW(keyW, [outputSize, inputSize], dtype),
        b: initB(keyB, [outputSize], dtype),
      };
      return { params, state: emptyState };
    },
    apply(params, state, inputs) {
      checkInputs("dense", inputs, inputSize);
      return { output: affine(inputs, params), state };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// batch normalization

/** Learnable scale γ and shift β ([units] each), absent when batch norm has none. */
export type BatchNormParams = { readonly gamma: Tensor; readonly beta: Tensor } | EmptyState;

/**
 * Running averages of the batch mean and biased variance ([units] each) and how many batches
 * they have seen. Model state, never differentiated.
 */
export interface BatchNormState {
  readonly mean: Tensor;
  readonly variance: Tensor;
  readonly count: number;
}

/** Configuration of {@link batchNorm}. */
export interface BatchNormConfig {
  /** Number of units (features) normalized. */
  readonly size: number;
  /** Learn γ (init 1) and β (init 0) and output γ ⊙ ŝ + β (default true). */
  readonly scaleAndShift?: boolean;
  /**
   * α in μ_avg ← α μ_avg + (1 − α) μ: the weight of the old average, in [0, 1) (default 0.9,
   * the course's value; the Keras/Flax convention, i.e. 1 − PyTorch's `momentum`).
   */
  readonly momentum?: number;
  /** ε in ŝ = (s − μ) / sqrt(σ² + ε), > 0 (default 1e-5). */
  readonly epsilon?: number;
  /** dtype of γ, β and the averages (default float32). */
  readonly dtype?: FloatDType;
}

/** Resolved batch-norm settings, shared by {@link batchNorm} and the MLP. */
interface BatchNormSettings {
  readonly scaleAndShift: boolean;
  readonly momentum: number;
  readonly epsilon: number;
  /** Training-mode normalization with its closed-form VJP, for this ε. */
  readonly normalize: BatchNormalization;
}

type BatchNormalization = (
  inputs: Tensor,
  params: BatchNormParams,
) => { output: Tensor; mean: Tensor; variance: Tensor };

/**
 * Training-mode batch norm, y = γ ⊙ x̂ + β with x̂ = (x − μ)/σ over the batch, σ² the biased
 * variance + ε, with the closed-form gradient (the course's A3 derivation)
 *   dx = γ/(nσ) ⊙ (n·dy − Σdy − x̂ ⊙ Σ(dy ⊙ x̂)),  dγ = Σ(dy ⊙ x̂),  dβ = Σdy
 * instead of autodiff through the statistics: seven passes over the [n, units] data backward
 * instead of about twelve, and a handful of ops instead of some thirty. The batch mean and
 * variance come out alongside for the running averages, without gradient.
 */
function fusedBatchNorm(epsilon: number): BatchNormalization {
  return pg.customVjp(
    (inputs: Tensor, params: BatchNormParams) => {
      const n = inputs.shape[0]!;
      const mean = pg.mean(inputs, { axis: 0 });
      const centered = pg.sub(inputs, mean);
      const variance = pg.div(pg.sumOfSquares(centered, { axis: 0 }), n);
      const inverse = pg.div(1, pg.sqrt(pg.add(variance, epsilon))); // 1/σ
      const scale = "gamma" in params ? pg.mul(params.gamma, inverse) : inverse; // γ/σ
      const scaled = pg.mul(centered, scale);
      const output = "beta" in params ? pg.add(scaled, params.beta) : scaled;
      const residuals = { centered, inverse, scale, n, affine: "gamma" in params };
      return [{ output, mean, variance }, residuals] as const;
    },
    ({ centered, inverse, scale, n, affine }, { output: gradient }) => {
      const gradientBeta = pg.sum(gradient, { axis: 0 }); // Σdy
      const gradientGamma = pg.mul(pg.sum(pg.mul(gradient, centered), { axis: 0 }), inverse); // Σ(dy ⊙ x̂)
      // n·dy − x̂ ⊙ Σ(dy ⊙ x̂), with x̂ = centered/σ
      const inner = pg.axpby(n, gradient, -1, pg.mul(centered, pg.mul(gradientGamma, inverse)));
      const gradientInputs = pg.mul(pg.sub(inner, gradientBeta), pg.div(scale, n));
      return [gradientInputs, affine ? { gamma: gradientGamma, beta: gradientBeta } : emptyState];
    },
    { name: "batchNorm" },
  );
}

function batchNormSettings(
  name: string,
  config: Omit<BatchNormConfig, "size" | "dtype">,
): BatchNormSettings {
  const { scaleAndShift = true, momentum = 0.9, epsilon = 1e-5 } = config;
  if (!(momentum >= 0 && momentum < 1)) {
    throw new Error(`${name}: batch-norm momentum must be in [0, 1), got ${momentum}`);
  }
  if (!(epsilon > 0 && Number.isFinite(epsilon))) {
    throw new Error(`${name}: batch-norm epsilon must be finite and > 0, got ${epsilon}`);
  }
  return { scaleAndShift, momentum, epsilon, normalize: fusedBatchNorm(epsilon) };
}

function initBatchNorm(
  size: number,
  settings: BatchNormSettings,
  dtype: FloatDType,
): { params: BatchNormParams; state: BatchNormState } {
  const params = settings.scaleAndShift
    ? { gamma: pg.ones([size], dtype), beta: pg.zeros([size], dtype) }
    : emptyState;
  return {
    params,
    state: { mean: pg.zeros([size], dtype), variance: pg.ones([size], dtype), count: 0 },
  };
}

/**
 * Normalizes with the batch statistics in training mode, the running averages otherwise. The
 * math is folded into a per-unit scale so that only four ops touch the [n, units] data.
 */
function applyBatchNorm(
  params: BatchNormParams,
  state: BatchNormState,
  inputs: Tensor,
  settings: BatchNormSettings,
  training: boolean,
): { output: Tensor; state: BatchNormState } {
  const gamma = "gamma" in params ? params.gamma : undefined;
  const beta = "beta" in params ? params.beta : undefined;
  const scaleFor = (variance: Tensor): Tensor => {
    const standardDeviation = pg.sqrt(pg.add(variance, settings.epsilon));
    return gamma ? pg.div(gamma, standardDeviation) : pg.div(1, standardDeviation);
  };
  if (!training) {
    // ŝ·γ + β = s·scale + (β − μ_avg·scale): the averages are constants here.
    const scale = scaleFor(state.variance);
    const shift = pg.mul(state.mean, scale);
    const offset = beta ? pg.sub(beta, shift) : pg.neg(shift);
    return { output: pg.add(pg.mul(inputs, scale), offset), state };
  }
  // Only γ and β: in an MLP's layer the params hold W and b too.
  const affine = gamma && beta ? { gamma, beta } : emptyState;
  const { output, mean, variance } = settings.normalize(inputs, affine);
  return {
    output,
    state: updateAverages(
      state,
      pg.stopGradient(mean),
      pg.stopGradient(variance),
      settings.momentum,
    ),
  };
}

/**
 * μ_avg ← α μ_avg + (1 − α) μ, likewise for σ². The first batch (count 0) sets the averages
 * to its own statistics instead of blending them with the placeholder init (0 and 1), so
 * evaluation is meaningful after any number of batches.
 */
function updateAverages(
  state: BatchNormState,
  mean: Tensor,
  variance: Tensor,
  momentum: number,
): BatchNormState {
  if (state.count === 0) return { mean, variance, count: 1 };
  const blend = (average: Tensor, batch: Tensor): Tensor =>
    pg.axpby(momentum, average, 1 - momentum, batch);
  return {
    mean: blend(state.mean, mean),
    variance: blend(state.variance, variance),
    count: state.count + 1,
  };
}

/**
 * Batch normalization over the batch axis of [n, size] inputs. Training mode normalizes each
 * unit with the batch mean and biased variance, ŝ = (s − μ) / sqrt(σ² + ε), outputs γ ⊙ ŝ + β
 * (or ŝ without scale and shift), and returns updated running averages (see
 * {@link BatchNormConfig.momentum}; the first batch sets them). Evaluation mode normalizes with
 * the running averages.
 * @throws Error for a bad size, momentum or ε, or (from apply) inputs that are not [n, size].
 */
export function batchNorm(config: BatchNormConfig): Model<BatchNormParams, BatchNormState> {
  const { size, dtype = "float32" } = config;
  checkSize("batchNorm", "size", size);
  const settings = batchNormSettings("batchNorm", config);
  return {
    init: () => initBatchNorm(size, settings, dtype),
    apply(params, state, inputs, { training }) {
      checkInputs("batchNorm", inputs, size);
      return applyBatchNorm(params, state, inputs, settings, training);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// multilayer perceptron

/** One layer of an MLP: dense parameters, plus γ and β on hidden layers with learnable BN. */
export type MlpLayerParams = DenseParams & { readonly gamma?: Tensor; readonly beta?: Tensor };

/** MLP parameters: `layers[i]` is layer i (the last is the output layer). */
export type MlpParams = {
  readonly layers: readonly MlpLayerParams[];
};

/** MLP state: `layers[i]` holds hidden layer i's batch-norm averages (empty without BN). */
export interface MlpState {
  readonly layers: readonly BatchNormState[];
}

/** Configuration of {@link mlp}. */
export interface MlpConfig {
  /** Input features d (3072 for CIFAR-10). */
  readonly inputSize: number;
  /** Units of each hidden layer, e.g. `[50, 30]` for a 3-layer net; `[]` is a linear model. */
  readonly hiddenSizes: readonly number[];
  /** Outputs K (10 classes). */
  readonly outputSize: number;
  /** Hidden-layer nonlinearity (default `"relu"`). */
  readonly activation?: Activation | ActivationName;
  /**
   * Batch normalization after each hidden linear layer, before the activation: `true` for the
   * defaults of {@link BatchNormConfig}, or its settings (default false).
   */
  readonly batchNorm?: boolean | Omit<BatchNormConfig, "size" | "dtype">;
  /** Weight initializer: one for all layers, or one per layer (default `"xavier"`). */
  readonly init?: InitializerSpec | readonly InitializerSpec[];
  /** Bias initializer: one for all layers, or one per layer (default `"zeros"`). */
  readonly biasInit?: InitializerSpec | readonly InitializerSpec[];
  /** Parameter dtype (default float32). */
  readonly dtype?: FloatDType;
}

/**
 * A multilayer perceptron of any depth: each hidden layer is dense → (batch norm) →
 * activation; the output layer is dense and returns logits (no softmax: the losses take
 * logits). Parameters read `layers[0].W`, `layers[0].b`, `layers[0].gamma`, ….
 * @throws Error for non-positive sizes, a per-layer initializer list of the wrong length, bad
 * batch-norm settings, or (from apply) inputs that are not [n, inputSize].
 * @example
 * const model = mlp({ inputSize: 3072, hiddenSizes: [50, 30], outputSize: 10, batchNorm: true, init: "he" });
 * const { params, state } = model.init(pg.key(0));
 * const { output: logits } = model.apply(params, state, inputs, { training: false });
 */
export function mlp(config: MlpConfig): Model<MlpParams, MlpState> {
  const { inputSize, hiddenSizes, outputSize, dtype = "float32" } = config;
  const sizes = [inputSize, ...hiddenSizes, outputSize];
  checkSize("mlp", "inputSize", inputSize);
  hiddenSizes.forEach((size, index) => {
    checkSize("mlp", `hiddenSizes[${index}]`, size);
  });
  checkSize("mlp", "outputSize", outputSize);
  const layerCount = hiddenSizes.length + 1;
  const weightInits = perLayer("init", config.init ?? "xavier", layerCount);
  const biasInits = perLayer("biasInit", config.biasInit ?? "zeros", layerCount);
  const layers = weightInits.map((init, index) =>
    dense({
      inputSize: sizes[index]!,
      outputSize: sizes[index + 1]!,
      init,
      biasInit: biasInits[index]!,
      dtype,
    }),
  );
  const activation = resolveActivation(config.activation ?? "relu");
  const normalization =
    config.batchNorm === undefined || config.batchNorm === false
      ? undefined
      : batchNormSettings("mlp", config.batchNorm === true ? {} : config.batchNorm);

  return {
    init(key) {
      const keys = pg.split(key, layerCount);
      const params: MlpLayerParams[] = [];
      const state: BatchNormState[] = [];
      layers.forEach((layer, index) => {
        const denseParams = layer.init(keys[index]!).params;
        if (normalization && index < hiddenSizes.length) {
          const batchNormInit = initBatchNorm(hiddenSizes[index]!, normalization, dtype);
          params.push({ ...denseParams, ...batchNormInit.params });
          state.push(batchNormInit.state);
        } else {
          params.push(denseParams);
        }
      });
      return { params: { layers: params }, state: { layers: state } };
    },
    apply(params, state, inputs, { training }) {
      checkInputs("mlp", inputs, inputSize);
      if (params.layers.length !== layerCount) {
        throw new Error(
          `mlp: expected parameters for ${layerCount} layers, got ${params.layers.length}`,
        );
      }
      let activations = inputs;
      const newState: BatchNormState[] = [];
      for (let index = 0; index < hiddenSizes.length; index++) {
        const layerParams = params.layers[index]!;
        let preActivations = affine(activations, layerParams);
        if (normalization) {
          const normalized = applyBatchNorm(
            layerParams as BatchNormParams,
            state.layers[index]!,
            preActivations,
            normalization,
            training,
          );
          preActivations = normalized.output;
          newState.push(normalized.state);
        }
        activations = activation(preActivations);
      }
      const output = affine(activations, params.layers[layerCount - 1]!);
      return { output, state: training ? { layers: newState } : state };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// validation

function perLayer(
  name: string,
  spec: InitializerSpec | readonly InitializerSpec[],
  layerCount: number,
): readonly InitializerSpec[] {
  if (!Array.isArray(spec))
    return Array.from({ length: layerCount }, () => spec as InitializerSpec);
  if (spec.length !== layerCount) {
    throw new Error(`mlp: ${name} lists ${spec.length} initializers for ${layerCount} layers`);
  }
  return spec;
}

function checkSize(owner: string, name: string, size: number): void {
  if (!Number.isInteger(size) || size <= 0) {
    throw new Error(`${owner}: ${name} must be a positive integer, got ${size}`);
  }
}

function checkInputs(owner: string, inputs: Tensor, size: number): void {
  if (inputs.rank !== 2 || inputs.shape[1] !== size) {
    throw new Error(
      `${owner}: inputs must have shape [n, ${size}], got [${inputs.shape.join(", ")}]`,
    );
  }
}
