/** The thin step from typed arrays to tensors: prepared splits and mini-batch iteration. */
import {
  fromTypedArray,
  type Key,
  oneHot,
  permutation,
  slice,
  type Tensor,
  take,
} from "@puregrad/tensor";
import { CLASSES, checkLabeledImages, FEATURES, type LabeledImages } from "./format.js";
import {
  computeNormalization,
  imagesToFloat32,
  type NormalizationStatistics,
} from "./normalize.js";
import type { Cifar10Data, Cifar10Source } from "./splits.js";

/** One set of a split as tensors. */
export interface TensorSet {
  /** float32 n × 3072: pixels in [0, 1], or normalized when statistics were given. */
  readonly x: Tensor;
  /** int32 n: class indices 0–9. */
  readonly y: Tensor;
  /** float32 n × 10 one-hot labels, present only when asked for. */
  readonly yOneHot?: Tensor;
}

/** Options of {@link toTensors}. */
export interface ToTensorsOptions {
  /** Normalize every feature with these statistics; without, pixels are only scaled to [0, 1]. */
  readonly normalization?: NormalizationStatistics;
  /** Also build `yOneHot` (default `false`). */
  readonly oneHot?: boolean;
}

/**
 * Converts images and labels to tensors: `x` float32 n × 3072 (pixels / 255, then normalized
 * when `normalization` is given), `y` int32 n, and optionally `yOneHot` float32 n × 10.
 *
 * @throws RangeError for inconsistent `data` (array lengths, labels outside 0–9)
 * @example
 * ```ts
 * const { x, y } = toTensors(batch); // x in [0, 1]
 * ```
 */
export function toTensors(data: LabeledImages, options: ToTensorsOptions = {}): TensorSet {
  checkLabeledImages(data, "toTensors");
  const x = fromTypedArray(imagesToFloat32(data, options.normalization), [data.count, FEATURES]);
  const y = fromTypedArray(data.labels, [data.count]);
  return options.oneHot ? { x, y, yOneHot: oneHot(y, CLASSES) } : { x, y };
}

/** A split ready for training: normalized tensors and the statistics used. */
export interface PreparedCifar10 {
  readonly source: Cifar10Source;
  readonly description: string;
  readonly classNames: readonly string[];
  /** Per-feature mean and std of the training pixels (scaled to [0, 1]), applied to all three sets. */
  readonly normalization: NormalizationStatistics;
  readonly train: TensorSet;
  readonly validation: TensorSet;
  readonly test: TensorSet;
}

/** Options of {@link prepareSplit}. */
export interface PrepareSplitOptions {
  /** Also build one-hot labels for every set (default `false`). */
  readonly oneHot?: boolean;
}

/**
 * Prepares a split as EXPERIMENTS.md prescribes: pixels scaled to [0, 1], then every feature
 * normalized with the mean and standard deviation of the *training* set, the same statistics
 * applied to validation and test.
 *
 * Memory: each set's float32 array is built once and handed to `fromTypedArray`, which copies it;
 * the transient copy is released before the next set is built. For split `all` the result holds
 * 60000 × 3072 float32 (≈ 0.74 GB).
 *
 * @throws RangeError when the training set is empty or the data is inconsistent
 */
export function prepareSplit(
  data: Cifar10Data,
  options: PrepareSplitOptions = {},
): PreparedCifar10 {
  const normalization = computeNormalization(data.train);
  const convert = (set: LabeledImages) =>
    toTensors(set, { normalization, oneHot: options.oneHot ?? false });
  return {
    source: data.source,
    description: data.description,
    classNames: data.classNames,
    normalization,
    train: convert(data.train),
    validation: convert(data.validation),
    test: convert(data.test),
  };
}

/** Options of {@link miniBatches}. */
export interface MiniBatchOptions {
  /** Rows per batch (n_batch), a positive integer. */
  readonly batchSize: number;
  /** Shuffle with this key (a fresh random order); in order when absent. */
  readonly key?: Key;
  /** Skip a last batch smaller than `batchSize` (default `false`: it is yielded). */
  readonly dropRemainder?: boolean;
}

/**
 * Splits every tensor of `data` (e.g. a {@link TensorSet}) along its first axis into mini-batches
 * of `batchSize` rows: one epoch, in order or, with a key, in the order of `permutation(key, n)`.
 * Fields that are `undefined` stay `undefined`.
 *
 * @throws RangeError for a batch size that is not a positive integer, or tensors whose first
 *   dimensions differ
 * @example
 * ```ts
 * for (const batch of miniBatches(prepared.train, { batchSize: 100, key: epochKey })) {
 *   step(batch.x, batch.y);
 * }
 * ```
 */
export function* miniBatches<T extends { readonly [K in keyof T]: Tensor | undefined }>(
  data: T,
  options: MiniBatchOptions,
): Generator<T, void, undefined> {
  const { batchSize, key, dropRemainder = false } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`miniBatches: batchSize must be a positive integer, got ${batchSize}`);
  }
  const fields = Object.entries(data as Record<string, Tensor | undefined>).filter(
    (entry): entry is [string, Tensor] => entry[1] !== undefined,
  );
  if (fields.length === 0) throw new RangeError("miniBatches: no tensors to batch");
  const rows = fields[0]![1].shape[0];
  for (const [name, tensor] of fields) {
    if (tensor.rank === 0 || tensor.shape[0] !== rows) {
      throw new RangeError(
        `miniBatches: every tensor needs the same first dimension; ${fields[0]![0]} has shape [${fields[0]![1].shape.join(",")}], ${name} has [${tensor.shape.join(",")}]`,
      );
    }
  }
  const count = rows!;
  const order = key === undefined ? undefined : permutation(key, count);
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(start + batchSize, count);
    if (dropRemainder && end - start < batchSize) return;
    const indices = order && slice(order, [start], [end]);
    const batch: Record<string, Tensor | undefined> = { ...data };
    for (const [name, tensor] of fields) {
      batch[name] = indices ? take(tensor, indices, 0) : slice(tensor, [start], [end]);
    }
    yield batch as T;
  }
}
