// TensorFlow.js on its WebAssembly backend, the peer of puregrad's CPU training step, written
// two ways: as a TF.js expert would (tf.tidy around each step, variables updated in place with
// assign, the dense layer's gradient by tf.customGrad) and as the stock API trains
// (optimizer.minimize with TF.js's own autodiff, Keras layout W [in, out]).
//
// Why the expert's dense layer materializes small transposes instead of using matMul's
// transposeA/transposeB flags: on tfjs-backend-wasm 4.22 a flagged matMul falls off XNNPACK
// onto a slow loop. Measured here for the (100×3072)·(3072×50) products: no flags ~8–25
// GFLOP/s, transposeB ~1.2, transposeA ~0.6, while tf.transpose of the [50, 3072] weights
// costs ~0.2 ms. The stock matMul gradient uses exactly those flags (dW = matMul(x, dy, true,
// false), dx = matMul(dy, W, false, true)), which is what makes stock training slow there.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { batchRows, localRunner } from "./runner.mjs";

const require = createRequire(import.meta.url);
// The union package, as a TF.js user installs it: tfjs-core alone registers no gradients.
const tf = require("@tensorflow/tfjs");
const { setWasmPaths } = require("@tensorflow/tfjs-backend-wasm");

/** Loads the WebAssembly backend and describes it (version, SIMD, threads). */
export async function startTfjs() {
  setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  await tf.setBackend("wasm");
  await tf.ready();
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
  return `TF.js ${tf.version_core} (${tf.getBackend()}, SIMD ${simd ? "on" : "off"}, ${threads ? "multi-threaded" : "1 thread"})`;
}

/**
 * The expert's dense layer X·Wᵀ + b with W [out, in] (puregrad's layout): dW = Gᵀ·X and
 * dX = G·W, each one flag-free matMul after transposing a small operand. The first layer skips
 * dX (its input is data) by closing over X instead of taking it as an input.
 */
const expertDense = (() => {
  const forward = (inputs, W, b) => tf.add(tf.matMul(inputs, tf.transpose(W)), b);
  const hidden = tf.customGrad((inputs, W, b, save) => {
    save([inputs, W]);
    return {
      value: forward(inputs, W, b),
      gradFunc: (dy, [savedInputs, savedW]) => [
        tf.matMul(dy, savedW),
        tf.matMul(tf.transpose(dy), savedInputs),
        tf.sum(dy, 0),
      ],
    };
  });
  return (inputs, W, b, isFirstLayer) =>
    isFirstLayer
      ? tf.customGrad((weights, bias) => ({
          value: forward(inputs, weights, bias),
          gradFunc: (dy) => [tf.matMul(tf.transpose(dy), inputs), tf.sum(dy, 0)],
        }))(W, b)
      : hidden(inputs, W, b);
})();

/** The stock dense layer X·W + b with W [in, out], differentiated by TF.js's own autodiff. */
const stockDense = (inputs, W, b) => tf.add(tf.matMul(inputs, W), b);

/**
 * Batch normalization in training mode exactly as @puregrad/nn does it (biased variance,
 * γ/sqrt(σ² + ε) folded into one scale, running averages set by the first batch, then
 * blended with weight α), the averages assigned in place.
 */
function batchNormTraining(s, layer, averages, spec) {
  const mean = tf.mean(s, 0);
  const centered = tf.sub(s, mean);
  const variance = tf.mean(tf.square(centered), 0);
  const scale = tf.div(layer.gamma, tf.sqrt(tf.add(variance, spec.batchNormEpsilon)));
  const blend = (average, batch) =>
    averages.count === 0
      ? batch
      : tf.add(tf.mul(average, spec.batchNormMomentum), tf.mul(batch, 1 - spec.batchNormMomentum));
  averages.mean.assign(blend(averages.mean, mean));
  averages.variance.assign(blend(averages.variance, variance));
  averages.count++;
  return tf.add(tf.mul(centered, scale), layer.beta);
}

/**
 * A {@link Runner} training the case's model with TF.js from puregrad's initial weights.
 * @param {"expert" | "stock"} variant
 */
export function tfjsRunner(spec, variant, initialParameters, dataset) {
  const expert = variant === "expert";
  const layers = initialParameters.map((layer) =>
    tf.tidy(() =>
      Object.fromEntries(
        Object.entries(layer).map(([name, { shape, data }]) => {
          const value = tf.tensor(data, shape, "float32");
          return [name, tf.variable(name === "W" && !expert ? tf.transpose(value) : value)];
        }),
      ),
    ),
  );
  // tf.variable copies its initial value's reference count, so the initial tensors are tidied.
  const averages = spec.batchNorm
    ? spec.hiddenSizes.map((size) =>
        tf.tidy(() => ({
          mean: tf.variable(tf.zeros([size]), false),
          variance: tf.variable(tf.ones([size]), false),
          count: 0,
        })),
      )
    : [];
  const trainable = layers.flatMap((layer) => Object.values(layer));
  const dense = expert ? expertDense : stockDense;

  const costOf = (inputs, oneHotLabels) => {
    let activations = inputs;
    for (const [index, layer] of layers.slice(0, -1).entries()) {
      const s = dense(activations, layer.W, layer.b, index === 0);
      activations = tf.relu(
        spec.batchNorm ? batchNormTraining(s, layer, averages[index], spec) : s,
      );
    }
    const last = layers.at(-1);
    const logits = dense(activations, last.W, last.b, layers.length === 1);
    const penalty = tf.addN(layers.map((layer) => tf.sum(tf.square(layer.W))));
    return tf.add(
      tf.losses.softmaxCrossEntropy(oneHotLabels, logits),
      tf.mul(penalty, spec.l2Regularization),
    );
  };

  const { learningRate, rho = 0 } = spec.optimizer;
  const velocities =
    expert && rho > 0
      ? trainable.map((variable) => tf.tidy(() => tf.variable(tf.zerosLike(variable), false)))
      : [];
  const optimizer = expert
    ? undefined
    : rho > 0
      ? tf.train.momentum(learningRate, rho)
      : tf.train.sgd(learningRate);
  // The course's momentum, v ← ρv + ηg, θ ← θ − v; plain SGD without ρ. In place, with assign.
  const update = (grads) =>
    trainable.forEach((variable, index) => {
      const step = tf.mul(grads[variable.name], learningRate);
      if (rho > 0) {
        const velocity = velocities[index];
        velocity.assign(tf.add(tf.mul(velocity, rho), step));
        variable.assign(tf.sub(variable, velocity));
      } else {
        variable.assign(tf.sub(variable, step));
      }
    });

  const features = dataset.features;
  return localRunner(
    (batchIndex) =>
      tf.tidy(() => {
        const [start, end] = batchRows(dataset, batchIndex);
        const inputs = tf.tensor2d(dataset.inputs.subarray(start * features, end * features), [
          end - start,
          features,
        ]);
        const labels = tf.tensor1d(dataset.labels.subarray(start, end), "int32");
        const oneHotLabels = tf.cast(tf.oneHot(labels, spec.outputSize), "float32");
        if (optimizer)
          return optimizer
            .minimize(() => costOf(inputs, oneHotLabels), true, trainable)
            .dataSync()[0];
        const { value, grads } = tf.variableGrads(() => costOf(inputs, oneHotLabels), trainable);
        update(grads);
        return value.dataSync()[0];
      }),
    dataset,
    () => {
      for (const variable of [...trainable, ...velocities]) variable.dispose();
      for (const { mean, variance } of averages) tf.dispose([mean, variance]);
      optimizer?.dispose();
    },
  );
}

/** Tensors TF.js holds right now, to check that the runners leak nothing. */
export const tfjsTensorCount = () => tf.memory().numTensors;
