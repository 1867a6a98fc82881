/** Pixel scaling and per-feature normalization, on typed arrays. */
import { FEATURES, type LabeledImages } from "./format.js";

/**
 * Per-feature statistics of pixels scaled to [0, 1], computed on a training set and applied to
 * every set of the split.
 */
export interface NormalizationStatistics {
  /** 3072 feature means. */
  readonly mean: Float32Array;
  /**
   * 3072 population standard deviations (divisor n, as numpy's default). A feature constant over
   * the training set has std 0; it is stored as 1 so that normalizing never divides by zero.
   */
  readonly std: Float32Array;
}

/**
 * Computes each feature's mean and standard deviation over a training set, of the pixels scaled
 * to [0, 1]. The sums are taken over the integer pixel values in float64, which is exact for any
 * number of images CIFAR-10 has, so there is no cancellation error.
 *
 * @throws RangeError when `train` holds no images
 */
export function computeNormalization(train: LabeledImages): NormalizationStatistics {
  if (train.count === 0) throw new RangeError("computeNormalization: the training set is empty");
  const sum = new Float64Array(FEATURES);
  const sumOfSquares = new Float64Array(FEATURES);
  const { images, count } = train;
  for (let row = 0; row < count; row++) {
    const base = row * FEATURES;
    for (let feature = 0; feature < sum.length; feature++) {
      const value = images[base + feature]!;
      sum[feature]! += value;
      sumOfSquares[feature]! += value * value;
    }
  }
  const mean = new Float32Array(FEATURES);
  const std = new Float32Array(FEATURES);
  for (let feature = 0; feature < FEATURES; feature++) {
    const m = sum[feature]! / count;
    const variance = Math.max(0, sumOfSquares[feature]! / count - m * m);
    mean[feature] = m / 255;
    std[feature] = variance > 0 ? Math.sqrt(variance) / 255 : 1;
  }
  return { mean, std };
}

/**
 * Pixels scaled to [0, 1] (byte / 255), n × 3072 row-major; with `statistics`, also normalized
 * per feature: (byte / 255 − mean) / std.
 */
export function imagesToFloat32(
  data: LabeledImages,
  statistics?: NormalizationStatistics,
): Float32Array {
  const out = new Float32Array(data.count * FEATURES);
  // Fold (x / 255 − mean) / std into x · scale − shift: one multiply-add per pixel.
  const scale = new Float64Array(FEATURES);
  const shift = new Float64Array(FEATURES);
  for (let feature = 0; feature < FEATURES; feature++) {
    const std = statistics ? statistics.std[feature]! : 1;
    scale[feature] = 1 / (255 * std);
    shift[feature] = statistics ? statistics.mean[feature]! / std : 0;
  }
  const { images, count } = data;
  for (let row = 0; row < count; row++) {
    const base = row * FEATURES;
    for (let feature = 0; feature < scale.length; feature++) {
      out[base + feature] = images[base + feature]! * scale[feature]! - shift[feature]!;
    }
  }
  return out;
}
