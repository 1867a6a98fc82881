/** The standard train/validation/test splits and loading a split from the batch files. */
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import { type CifarDataError, checksumMismatch, type InvalidSplit } from "./errors.js";
import { BATCH_MISMATCH_ADVICE, md5Hex, readBytes, readClassNames } from "./files.js";
import {
  type BatchFile,
  CIFAR10_MD5,
  CLASS_NAMES_FILE,
  decodeBatch,
  FEATURES,
  type LabeledImages,
} from "./format.js";
import { type Cifar10Location, type FindCifar10DirOptions, findCifar10Dir } from "./locate.js";

/**
 * A contiguous range of records of one batch file. `from` and `to` are record indices, `to`
 * exclusive; negative values count from the end (`{ from: -1000 }` is the last 1000 records).
 */
export interface SplitPart {
  readonly file: BatchFile;
  /** First record (default 0). */
  readonly from?: number;
  /** One past the last record (default: the end of the file). */
  readonly to?: number;
}

/** Which records make up the training, validation and test sets; each set concatenates its parts in order. */
export interface SplitSpec {
  readonly train: readonly SplitPart[];
  readonly validation: readonly SplitPart[];
  readonly test: readonly SplitPart[];
}

/** Names of the standard splits of EXPERIMENTS.md. */
export type SplitName = "a1" | "all" | "a2-report";

/**
 * The standard splits of EXPERIMENTS.md:
 * - `a1`: train `data_batch_1`, validation `data_batch_2`, test `test_batch`;
 * - `all`: train all five batches minus the last 1000 images of `data_batch_5`, which are the
 *   validation set; test `test_batch` (49000 / 1000 / 10000 images);
 * - `a2-report`: train `data_batch_1` + `data_batch_3`, validation the first 1000 images of
 *   `data_batch_2`, test `test_batch`.
 */
export const SPLITS: Readonly<Record<SplitName, SplitSpec>> = {
  a1: {
    train: [{ file: "data_batch_1.bin" }],
    validation: [{ file: "data_batch_2.bin" }],
    test: [{ file: "test_batch.bin" }],
  },
  all: {
    train: [
      { file: "data_batch_1.bin" },
      { file: "data_batch_2.bin" },
      { file: "data_batch_3.bin" },
      { file: "data_batch_4.bin" },
      { file: "data_batch_5.bin", to: -1000 },
    ],
    validation: [{ file: "data_batch_5.bin", from: -1000 }],
    test: [{ file: "test_batch.bin" }],
  },
  "a2-report": {
    train: [{ file: "data_batch_1.bin" }, { file: "data_batch_3.bin" }],
    validation: [{ file: "data_batch_2.bin", to: 1000 }],
    test: [{ file: "test_batch.bin" }],
  },
};

/** Where a dataset's images come from; synthetic data is always labelled as such. */
export type Cifar10Source = "real" | "synthetic";

/** A dataset split into training, validation and test images, still as raw bytes. */
export interface Cifar10Data {
  readonly source: Cifar10Source;
  /** Human-readable provenance, e.g. `CIFAR-10 from CIFAR10_DIR=/data, split a1`. */
  readonly description: string;
  /** The ten class names, index = label. */
  readonly classNames: readonly string[];
  readonly train: LabeledImages;
  readonly validation: LabeledImages;
  readonly test: LabeledImages;
}

/** Options of {@link loadCifar10}. */
export interface LoadCifar10Options extends FindCifar10DirOptions {
  /** A standard split name or a custom split (default `"a1"`). */
  readonly split?: SplitName | SplitSpec;
  /**
   * Check each file's md5 against the official checksum as it is read (default `true`; costs
   * about 50 ms per file). Turn off only for data that is not the official release.
   */
  readonly verify?: boolean;
}

/** A loaded split and the directory it came from. */
export interface LoadedCifar10 extends Cifar10Data {
  readonly location: Cifar10Location;
}

const SET_NAMES = ["train", "validation", "test"] as const;

/**
 * Finds the dataset (see `findCifar10Dir`), reads each batch file the split needs once, verifies
 * it (unless `verify: false`) and assembles the training, validation and test sets.
 *
 * @returns the raw split with `source: "real"` and where it was found; any `CifarDataError`
 *   otherwise (not found, unreadable, corrupt, checksum mismatch, a split out of range)
 * @example
 * ```ts
 * const loaded = await loadCifar10({ split: "all" })();
 * if (E.isRight(loaded)) {
 *   const prepared = prepareSplit(loaded.right, { oneHot: true });
 * }
 * ```
 */
export const loadCifar10 = (
  options: LoadCifar10Options = {},
): TE.TaskEither<CifarDataError, LoadedCifar10> => {
  const split = options.split ?? "a1";
  const spec = typeof split === "string" ? SPLITS[split] : split;
  const verify = options.verify ?? true;
  return pipe(
    TE.Do,
    TE.bind("location", () => findCifar10Dir(options)),
    TE.bindW("classNames", ({ location }) => readClassNames(join(location.dir, CLASS_NAMES_FILE))),
    TE.bindW("batches", ({ location }) => readBatches(location.dir, spec, verify)),
    TE.chainEitherKW(({ location, classNames, batches }) =>
      pipe(
        assembleSplit(spec, batches, location.dir),
        E.map(
          (sets): LoadedCifar10 => ({
            source: "real",
            description: `CIFAR-10 from ${location.reason}, split ${typeof split === "string" ? split : "custom"}`,
            classNames,
            location,
            ...sets,
          }),
        ),
      ),
    ),
  );
};

/** Reads (and verifies) every distinct file the split mentions, one at a time. */
const readBatches =
  (
    dir: string,
    spec: SplitSpec,
    verify: boolean,
  ): TE.TaskEither<CifarDataError, ReadonlyMap<BatchFile, LabeledImages>> =>
  async () => {
    const files = new Set(SET_NAMES.flatMap((set) => spec[set].map((part) => part.file)));
    const batches = new Map<BatchFile, LabeledImages>();
    for (const file of files) {
      const path = join(dir, file);
      const bytes = await readBytes(path)();
      if (E.isLeft(bytes)) return bytes;
      if (verify) {
        const actual = md5Hex(bytes.right);
        if (actual !== CIFAR10_MD5[file]) {
          return E.left(checksumMismatch(path, CIFAR10_MD5[file], actual, BATCH_MISMATCH_ADVICE));
        }
      }
      const batch = decodeBatch(bytes.right, path);
      if (E.isLeft(batch)) return batch;
      batches.set(file, batch.right);
    }
    return E.right(batches);
  };

/** Resolves a part's record range against a batch of `count` records. */
function resolveRange(
  part: SplitPart,
  count: number,
  path: string,
): E.Either<InvalidSplit, [number, number]> {
  const resolve = (index: number) => (index < 0 ? count + index : index);
  const from = resolve(part.from ?? 0);
  const to = resolve(part.to ?? count);
  return Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from < to && to <= count
    ? E.right([from, to])
    : E.left({
        _tag: "InvalidSplit",
        path,
        message: `${path}: records [${part.from ?? 0}, ${part.to ?? "end"}) are not a non-empty range of its ${count} records. Fix the split definition.`,
      });
}

/**
 * Concatenates the parts of each set. A set made of one whole batch shares that batch's arrays
 * (no copy); others are copied once into arrays of their final size.
 */
function assembleSplit(
  spec: SplitSpec,
  batches: ReadonlyMap<BatchFile, LabeledImages>,
  dir: string,
): E.Either<InvalidSplit, Pick<Cifar10Data, "train" | "validation" | "test">> {
  const sets: Partial<Record<(typeof SET_NAMES)[number], LabeledImages>> = {};
  for (const set of SET_NAMES) {
    const ranges: { batch: LabeledImages; from: number; to: number }[] = [];
    for (const part of spec[set]) {
      const batch = batches.get(part.file)!;
      const range = resolveRange(part, batch.count, join(dir, part.file));
      if (E.isLeft(range)) return range;
      ranges.push({ batch, from: range.right[0], to: range.right[1] });
    }
    if (ranges.length === 0) {
      return E.left({
        _tag: "InvalidSplit",
        path: dir,
        message: `the ${set} set of the split has no parts. Give it at least one batch file.`,
      });
    }
    sets[set] = concatRanges(ranges);
  }
  return E.right(sets as Pick<Cifar10Data, "train" | "validation" | "test">);
}

function concatRanges(
  ranges: readonly { batch: LabeledImages; from: number; to: number }[],
): LabeledImages {
  const only = ranges.length === 1 ? ranges[0]! : undefined;
  if (only && only.from === 0 && only.to === only.batch.count) return only.batch;
  const count = ranges.reduce((total, range) => total + range.to - range.from, 0);
  const images = new Uint8Array(count * FEATURES);
  const labels = new Int32Array(count);
  let at = 0;
  for (const { batch, from, to } of ranges) {
    images.set(batch.images.subarray(from * FEATURES, to * FEATURES), at * FEATURES);
    labels.set(batch.labels.subarray(from, to), at);
    at += to - from;
  }
  return { count, images, labels };
}
