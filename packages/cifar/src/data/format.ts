/**
 * The CIFAR-10 binary format, as pure functions on bytes: each record is 1 label byte followed by
 * 3072 pixel bytes (the R, G and B planes, each 32×32 row-major).
 */
import * as E from "fp-ts/lib/Either.js";
import type { InvalidBatchSize, InvalidClassNames, InvalidLabel } from "./errors.js";

/** Image height and width in pixels. */
export const IMAGE_SIZE = 32;
/** Colour planes per image (R, G, B). */
export const CHANNELS = 3;
/** Features per image: 3 × 32 × 32 = 3072 (d in the course's notation). */
export const FEATURES = CHANNELS * IMAGE_SIZE * IMAGE_SIZE;
/** Bytes per record in a batch file: one label byte, then the pixels. */
export const RECORD_BYTES = 1 + FEATURES;
/** Number of classes (K). */
export const CLASSES = 10;

/** The six batch files of the official binary version. */
export const BATCH_FILES = [
  "data_batch_1.bin",
  "data_batch_2.bin",
  "data_batch_3.bin",
  "data_batch_4.bin",
  "data_batch_5.bin",
  "test_batch.bin",
] as const;

/** The name of one of the six batch files. */
export type BatchFile = (typeof BATCH_FILES)[number];

/** The file listing the class names, one a line. */
export const CLASS_NAMES_FILE = "batches.meta.txt";

/** Official md5 of each extracted batch file. */
export const CIFAR10_MD5: Readonly<Record<BatchFile, string>> = {
  "data_batch_1.bin": "5dd7e06a14cb22eb9f671a540d1b7c25",
  "data_batch_2.bin": "5ea93a67294ea407fff1d09f752e9692",
  "data_batch_3.bin": "942cd6a4bcdd0dd3c604fbe906cb4421",
  "data_batch_4.bin": "ae636b3ba5c66a11e91e8cb52e771fcb",
  "data_batch_5.bin": "53f37980c15c3d472c316c40844f3f0d",
  "test_batch.bin": "803d5f7f4d78ea53de84dbe85f74fb6d",
};

/**
 * Labelled images as flat typed arrays: the representation every transform in this package works
 * on before the thin final conversion to tensors.
 */
export interface LabeledImages {
  /** Number of images (n). */
  readonly count: number;
  /** n × 3072 pixel bytes, row-major, each row the R, G, B planes of one 32×32 image. */
  readonly images: Uint8Array;
  /** n class indices in 0–9. */
  readonly labels: Int32Array;
}

/**
 * Decodes the bytes of a batch file into images and labels, in one pass with no per-record
 * allocation.
 *
 * @param bytes - the whole file
 * @param path - the file's name, used in error messages
 * @returns `InvalidBatchSize` when `bytes` is empty or not a whole number of records,
 *   `InvalidLabel` (with the record index and byte offset) for a label outside 0–9
 */
export function decodeBatch(
  bytes: Uint8Array,
  path: string,
): E.Either<InvalidBatchSize | InvalidLabel, LabeledImages> {
  const count = Math.floor(bytes.length / RECORD_BYTES);
  const trailing = bytes.length - count * RECORD_BYTES;
  if (count === 0 || trailing !== 0) {
    const offset = count * RECORD_BYTES;
    return E.left({
      _tag: "InvalidBatchSize",
      path,
      size: bytes.length,
      offset,
      completeRecords: count,
      message:
        bytes.length === 0
          ? `${path}: the file is empty. Delete it and download the dataset again.`
          : `${path}: ${bytes.length} bytes is not a whole number of ${RECORD_BYTES}-byte records (${count} complete, ${trailing} bytes left over from offset ${offset}); the file is truncated or not a CIFAR-10 binary batch. Delete it and download the dataset again.`,
    });
  }
  const images = new Uint8Array(count * FEATURES);
  const labels = new Int32Array(count);
  for (let record = 0; record < count; record++) {
    const offset = record * RECORD_BYTES;
    const label = bytes[offset]!;
    if (label >= CLASSES) {
      return E.left({
        _tag: "InvalidLabel",
        path,
        record,
        offset,
        label,
        message: `${path}: record ${record} (byte offset ${offset}) has label ${label}, outside 0–${CLASSES - 1}; the file is corrupt or not a CIFAR-10 batch (CIFAR-100 files have two label bytes). Verify it (verifyCifar10) and download it again.`,
      });
    }
    labels[record] = label;
    images.set(bytes.subarray(offset + 1, offset + RECORD_BYTES), record * FEATURES);
  }
  return E.right({ count, images, labels });
}

/**
 * Encodes images and labels in the batch file format (the inverse of {@link decodeBatch}).
 *
 * @throws RangeError when the array lengths disagree with `count` or a label is outside 0–9
 *   (a programmer error: the data never came from a valid file)
 */
export function encodeBatch(data: LabeledImages): Uint8Array {
  checkLabeledImages(data, "encodeBatch");
  const bytes = new Uint8Array(data.count * RECORD_BYTES);
  for (let record = 0; record < data.count; record++) {
    const offset = record * RECORD_BYTES;
    bytes[offset] = data.labels[record]!;
    bytes.set(data.images.subarray(record * FEATURES, (record + 1) * FEATURES), offset + 1);
  }
  return bytes;
}

/**
 * Throws a RangeError naming `caller` unless `data` holds `count` images of 3072 bytes and
 * `count` labels in 0–9.
 */
export function checkLabeledImages(data: LabeledImages, caller: string): void {
  if (!Number.isInteger(data.count) || data.count < 0) {
    throw new RangeError(`${caller}: count must be a non-negative integer, got ${data.count}`);
  }
  if (data.images.length !== data.count * FEATURES || data.labels.length !== data.count) {
    throw new RangeError(
      `${caller}: expected ${data.count} × ${FEATURES} image bytes and ${data.count} labels, got ${data.images.length} and ${data.labels.length}`,
    );
  }
  const bad = data.labels.findIndex((label) => !(label >= 0 && label < CLASSES));
  if (bad >= 0) {
    throw new RangeError(`${caller}: label ${data.labels[bad]} at index ${bad} is outside 0–9`);
  }
}

/**
 * Parses `batches.meta.txt`: one class name a line, blank lines ignored.
 *
 * @returns `InvalidClassNames` unless there are exactly ten names
 */
export function parseClassNames(
  text: string,
  path: string,
): E.Either<InvalidClassNames, readonly string[]> {
  const names = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  return names.length === CLASSES
    ? E.right(names)
    : E.left({
        _tag: "InvalidClassNames",
        path,
        found: names,
        message: `${path}: expected ${CLASSES} class names, one a line, found ${names.length}. Restore the file from the official archive.`,
      });
}
