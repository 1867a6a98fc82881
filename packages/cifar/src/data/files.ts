/** Reading, writing and verifying CIFAR-10 files: the filesystem edge, as TaskEithers. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";
import * as TE from "fp-ts/lib/TaskEither.js";
import {
  type ChecksumMismatch,
  type CifarDataError,
  checksumMismatch,
  type FileNotFound,
  type FileVerification,
  type ReadFailed,
  readError,
  type VerificationFailed,
  type WriteFailed,
  writeError,
} from "./errors.js";
import {
  BATCH_FILES,
  CIFAR10_MD5,
  decodeBatch,
  encodeBatch,
  type LabeledImages,
  parseClassNames,
} from "./format.js";

/** Reads a whole file in a single read. */
export const readBytes = (path: string): TE.TaskEither<FileNotFound | ReadFailed, Uint8Array> =>
  TE.tryCatch(
    () => readFile(path),
    (cause) => readError(path, cause),
  );

/** Hex md5 of a byte array. */
export const md5Hex = (bytes: Uint8Array): string => createHash("md5").update(bytes).digest("hex");

/**
 * Reads one CIFAR-10 binary batch file (a single read, decoded without per-record allocation;
 * a 30 MB official batch takes tens of milliseconds).
 *
 * @param path - e.g. `…/cifar-10-batches-bin/data_batch_1.bin`
 * @returns the images as raw bytes and the labels; `FileNotFound`, `ReadFailed`,
 *   `InvalidBatchSize` or `InvalidLabel` otherwise. `toTensors` turns it into float32 pixels.
 * @example
 * ```ts
 * const batch = await readBatch("data_batch_1.bin")();
 * if (E.isRight(batch)) console.log(batch.right.count); // 10000
 * ```
 */
export const readBatch = (path: string): TE.TaskEither<CifarDataError, LabeledImages> =>
  pipe(
    readBytes(path),
    TE.chainEitherKW((bytes) => decodeBatch(bytes, path)),
  );

/**
 * Writes images and labels as a CIFAR-10 binary batch file. The bytes go to a temporary file
 * renamed into place, so a reader never sees a half-written batch.
 *
 * @throws RangeError for inconsistent `data` (see `encodeBatch`)
 * @returns `WriteFailed` when the file cannot be written
 */
export const writeBatch = (path: string, data: LabeledImages): TE.TaskEither<WriteFailed, void> => {
  const bytes = encodeBatch(data);
  const temporary = `${path}.${process.pid}.tmp`;
  return TE.tryCatch(
    async () => {
      try {
        await writeFile(temporary, bytes);
        await rename(temporary, path);
      } catch (cause) {
        await rm(temporary, { force: true });
        throw cause;
      }
    },
    (cause) => writeError(path, cause),
  );
};

/**
 * Reads the ten class names from `batches.meta.txt`.
 *
 * @returns `FileNotFound`, `ReadFailed` or `InvalidClassNames`
 */
export const readClassNames = (path: string): TE.TaskEither<CifarDataError, readonly string[]> =>
  pipe(
    readBytes(path),
    TE.chainEitherKW((bytes) => parseClassNames(Buffer.from(bytes).toString("utf8"), path)),
  );

/** Streams a file through md5 (constant memory). */
const md5OfFile = (path: string): TE.TaskEither<FileNotFound | ReadFailed, string> =>
  TE.tryCatch(
    async () => {
      const hash = createHash("md5");
      for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
      return hash.digest("hex");
    },
    (cause) => readError(path, cause),
  );

/** The message of a checksum mismatch on an extracted batch file. */
export const BATCH_MISMATCH_ADVICE =
  "The file is corrupt or from another release: delete the directory and download the dataset again.";

/** The result of a successful {@link verifyCifar10}: every file with its checksum. */
export interface VerificationReport {
  readonly dir: string;
  readonly files: readonly FileVerification[];
}

/**
 * Checks the md5 of each of the six batch files in `dir` against the official checksums,
 * streaming each file (constant memory, about a second for the whole dataset).
 *
 * @returns the per-file report when all six match; otherwise `VerificationFailed` carrying the
 *   same per-file report and one error (`FileNotFound`, `ReadFailed`, `ChecksumMismatch`) per
 *   failing file
 */
export const verifyCifar10 = (
  dir: string,
): TE.TaskEither<VerificationFailed, VerificationReport> => {
  return async () => {
    const files: FileVerification[] = [];
    const failures: (FileNotFound | ReadFailed | ChecksumMismatch)[] = [];
    for (const file of BATCH_FILES) {
      const path = join(dir, file);
      const expectedMd5 = CIFAR10_MD5[file];
      const md5 = await md5OfFile(path)();
      const actualMd5 = E.isRight(md5) ? md5.right : null;
      const ok = actualMd5 === expectedMd5;
      files.push({ file, path, expectedMd5, actualMd5, ok });
      if (E.isLeft(md5)) failures.push(md5.left);
      else if (!ok)
        failures.push(checksumMismatch(path, expectedMd5, md5.right, BATCH_MISMATCH_ADVICE));
    }
    if (failures.length === 0) return E.right({ dir, files });
    return E.left({
      _tag: "VerificationFailed",
      dir,
      failures,
      report: files,
      message: `${dir}: ${failures.length} of ${BATCH_FILES.length} files failed verification:\n${failures.map((failure) => `  ${failure.message}`).join("\n")}`,
    });
  };
};
