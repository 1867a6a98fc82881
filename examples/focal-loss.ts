/**
 * Focal loss (Lin et al., 2017) as a puregrad `--loss-module`:
 *
 *   FL = mean over the batch of −(1 − p_y)^γ · log p_y,   p = softmax(s)
 *
 * With γ = 0 it is the softmax cross-entropy; a larger γ down-weights examples the model already
 * classifies confidently, so training concentrates on the hard ones. Only `@puregrad/autograd`
 * ops are used, so autograd derives the gradient; nothing is written by hand.
 *
 * Run any experiment with it:
 *
 *   puregrad experiment a1 --loss-module examples/focal-loss.ts
 */
import * as pg from "@puregrad/autograd";

/** The focusing parameter γ of the default export. */
export const FOCUSING = 2;

/**
 * The focal loss with focusing parameter `gamma` (≥ 0) on logits [n, K] and int32 labels [n].
 * @throws Error for a negative or non-finite gamma
 */
export function focalLoss(gamma: number): (logits: pg.Tensor, labels: pg.Tensor) => pg.Tensor {
  if (!(gamma >= 0 && Number.isFinite(gamma))) {
    throw new Error(`focalLoss: gamma must be finite and >= 0, got ${gamma}`);
  }
  return (logits, labels) => {
    const targets = pg.oneHot(labels, logits.shape[1]!, logits.dtype);
    // log p_y from the stable log-softmax, then p_y = exp(log p_y).
    const logProbability = pg.sum(pg.mul(pg.logSoftmax(logits, { axis: 1 }), targets), {
      axis: 1,
    });
    const weight = pg.pow(pg.sub(1, pg.exp(logProbability)), gamma);
    return pg.neg(pg.mean(pg.mul(weight, logProbability)));
  };
}

/** The focal loss with γ = {@link FOCUSING}: the export `--loss-module` picks up. */
export default focalLoss(FOCUSING);
