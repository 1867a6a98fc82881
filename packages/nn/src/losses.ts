/**
 * Losses and metrics on logits [n, K] and integer labels [n] (int32, in 0..K−1). Every loss is a
 * composition of differentiable ops, so autograd derives its gradient; a user function with the
 * same {@link Loss} signature plugs in wherever a built-in one does.
 */

import type { Tensor } from "@puregrad/autograd";
import * as pg from "@puregrad/autograd";

/** A loss: logits [n, K] and int32 labels [n] to a scalar, the mean over the batch. */
export type Loss = (logits: Tensor, labels: Tensor) => Tensor;

/** Built-in losses that configs can name. */
export type LossName = "crossEntropy" | "svm";

function checkLogitsAndLabels(name: string, logits: Tensor, labels: Tensor): void {
  if (logits.rank !== 2) {
    throw new Error(
      `${name}: logits must have shape [n, classes], got [${logits.shape.join(", ")}]`,
    );
  }
  if (labels.dtype !== "int32")
    throw new Error(`${name}: labels must be int32, got ${labels.dtype}`);
  if (labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new Error(
      `${name}: labels must have shape [${logits.shape[0]}] to match logits [${logits.shape.join(", ")}], got [${labels.shape.join(", ")}]`,
    );
  }
}

/** Each row's logit at its label, [n]. */
function targetLogits(logits: Tensor, targets: Tensor, keepDims: boolean): Tensor {
  return pg.sum(pg.mul(logits, targets), { axis: 1, keepDims });
}

/**
 * Softmax cross-entropy: mean over the batch of −log softmax(s)_y = logSumExp(s) − s_y.
 * Stable for any logit magnitude because logSumExp subtracts the row maximum.
 * @throws Error when logits are not 2-D or labels are not int32 [n].
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  checkLogitsAndLabels("softmaxCrossEntropy", logits, labels);
  const targets = pg.oneHot(labels, logits.shape[1]!, logits.dtype);
  return pg.mean(pg.sub(pg.logSumExp(logits, { axis: 1 }), targetLogits(logits, targets, false)));
}

/**
 * Multi-class SVM (hinge) loss with margin 1: mean over the batch of
 * Σ_{j≠y} max(0, s_j − s_y + 1).
 * @throws Error when logits are not 2-D or labels are not int32 [n].
 */
export function multiclassHinge(logits: Tensor, labels: Tensor): Tensor {
  checkLogitsAndLabels("multiclassHinge", logits, labels);
  const targets = pg.oneHot(labels, logits.shape[1]!, logits.dtype);
  const margins = pg.relu(pg.add(pg.sub(logits, targetLogits(logits, targets, true)), 1));
  const otherClasses = pg.sub(1, targets);
  return pg.div(pg.sum(pg.mul(margins, otherClasses)), logits.shape[0]!);
}

/**
 * Turns a loss name into its function (`"crossEntropy"` → {@link softmaxCrossEntropy},
 * `"svm"` → {@link multiclassHinge}); a function passes through unchanged.
 * @throws Error for an unknown name.
 */
export function resolveLoss(spec: Loss | LossName): Loss {
  if (typeof spec === "function") return spec;
  switch (spec) {
    case "crossEntropy":
      return softmaxCrossEntropy;
    case "svm":
      return multiclassHinge;
    default:
      throw new Error(
        `resolveLoss: unknown loss ${JSON.stringify(spec)} (expected "crossEntropy", "svm" or a function)`,
      );
  }
}

/**
 * L2 penalty Σ ‖W‖²: the sum of squared entries of every weight matrix in `params`. Weight
 * matrices are the leaves of rank ≥ 2; vectors (biases, γ, β) are excluded. Multiply by λ to get
 * cost = loss + λ·L2. A scalar 0 when there are no weight matrices.
 */
export function l2Penalty(params: unknown): Tensor {
  const weights = pg.treeLeaves(params).filter(isWeightMatrix);
  if (weights.length === 0) return pg.scalar(0, pg.treeLeaves(params)[0]?.dtype ?? "float32");
  // sumOfSquares is one pass over each matrix, and so is its gradient 2λW (sum(square(W)) would
  // make two forward and three backward).
  return weights
    .map((weight) => pg.sumOfSquares(weight))
    .reduce((total, term) => pg.add(total, term));
}

/** The leaves the L2 penalty covers: weight matrices (rank ≥ 2), not biases, γ or β. */
const isWeightMatrix = (leaf: Tensor) => leaf.rank >= 2;

/**
 * `gradients` of a loss plus the gradient of λ·{@link l2Penalty}(params), 2λW on each weight
 * matrix, added in one `axpby` pass per matrix: the gradient of {@link cost} (bit for bit where
 * each weight is used once, as in `mlp`) for one pass less than differentiating it. As
 * they are when λ = 0.
 * @throws Error when λ is negative or not finite, or the trees differ in structure.
 */
export function addL2Gradient<Tree>(gradients: Tree, params: Tree, l2Regularization: number): Tree {
  checkL2Regularization("addL2Gradient", l2Regularization);
  if (l2Regularization === 0) return gradients;
  return pg.treeMap(
    (gradient, weight) =>
      isWeightMatrix(weight!) ? pg.axpby(1, gradient, 2 * l2Regularization, weight!) : gradient,
    gradients,
    params,
  );
}

/**
 * The course's cost: loss + λ · Σ‖W‖² ({@link l2Penalty}); just the loss when λ = 0, so the
 * penalty costs nothing then.
 * @param l2Regularization - λ ≥ 0.
 * @throws Error when λ is negative or not finite.
 */
export function cost(loss: Tensor, params: unknown, l2Regularization: number): Tensor {
  checkL2Regularization("cost", l2Regularization);
  return l2Regularization === 0 ? loss : pg.add(loss, pg.mul(l2Penalty(params), l2Regularization));
}

/** Number of rows whose argmax equals the label (ties go to the first index). */
export function countCorrect(logits: Tensor, labels: Tensor): number {
  checkLogitsAndLabels("accuracy", logits, labels);
  return pg.sum(pg.equal(pg.argmax(logits, { axis: 1 }), labels)).item();
}

/**
 * Accuracy: the fraction of rows whose argmax equals the label, in [0, 1]. Not differentiable
 * (it is a metric); NaN for an empty batch.
 * @throws Error when logits are not 2-D or labels are not int32 [n].
 */
export function accuracy(logits: Tensor, labels: Tensor): number {
  return countCorrect(logits, labels) / logits.shape[0]!;
}

/** Throws unless λ is finite and ≥ 0. */
export function checkL2Regularization(owner: string, l2Regularization: number): void {
  if (!(l2Regularization >= 0 && Number.isFinite(l2Regularization))) {
    throw new Error(
      `${owner}: l2Regularization (λ) must be finite and >= 0, got ${l2Regularization}`,
    );
  }
}
