/**
 * Every way reading, verifying, locating or downloading CIFAR-10 can fail, as one tagged union.
 *
 * Each error names the file (or URL), the offset or record where one applies, and says in its
 * `message` what to do about it, so a CLI can print `error.message` and nothing else.
 */

/** A file the dataset needs does not exist. */
export interface FileNotFound {
  readonly _tag: "FileNotFound";
  readonly path: string;
  readonly message: string;
}

/** A file exists but could not be read (permissions, a directory in its place, an IO error). */
export interface ReadFailed {
  readonly _tag: "ReadFailed";
  readonly path: string;
  readonly cause: unknown;
  readonly message: string;
}

/** A file could not be written (disk full, permissions). */
export interface WriteFailed {
  readonly _tag: "WriteFailed";
  readonly path: string;
  readonly cause: unknown;
  readonly message: string;
}

/** A batch file whose size is not a positive whole number of 3073-byte records. */
export interface InvalidBatchSize {
  readonly _tag: "InvalidBatchSize";
  readonly path: string;
  /** File size in bytes. */
  readonly size: number;
  /** Byte offset where the incomplete record starts (= complete records × 3073). */
  readonly offset: number;
  readonly completeRecords: number;
  readonly message: string;
}

/** A record whose label byte is not a class index 0–9. */
export interface InvalidLabel {
  readonly _tag: "InvalidLabel";
  readonly path: string;
  /** Zero-based record index. */
  readonly record: number;
  /** Byte offset of the label byte in the file. */
  readonly offset: number;
  readonly label: number;
  readonly message: string;
}

/** A class-names file (`batches.meta.txt`) without exactly ten non-empty names. */
export interface InvalidClassNames {
  readonly _tag: "InvalidClassNames";
  readonly path: string;
  readonly found: readonly string[];
  readonly message: string;
}

/** A file (or downloaded archive) whose md5 is not the expected one. */
export interface ChecksumMismatch {
  readonly _tag: "ChecksumMismatch";
  readonly path: string;
  readonly expected: string;
  readonly actual: string;
  readonly message: string;
}

/** `verifyCifar10` found at least one file missing, unreadable or with the wrong checksum. */
export interface VerificationFailed {
  readonly _tag: "VerificationFailed";
  readonly dir: string;
  /** One error per failing file; files that verified are in `report`. */
  readonly failures: readonly (FileNotFound | ReadFailed | ChecksumMismatch)[];
  readonly report: readonly FileVerification[];
  readonly message: string;
}

/** The outcome of checking one file's md5 (see `verifyCifar10`). */
export interface FileVerification {
  readonly file: string;
  readonly path: string;
  readonly expectedMd5: string;
  /** `null` when the file could not be read. */
  readonly actualMd5: string | null;
  readonly ok: boolean;
}

/** No directory holding the CIFAR-10 binary files was found by `findCifar10Dir`. */
export interface DatasetNotFound {
  readonly _tag: "DatasetNotFound";
  /** The discovery step that decided where to look (see `findCifar10Dir`). */
  readonly source: "argument" | "environment" | "cache";
  readonly dir: string;
  /** The first required file that is absent. */
  readonly missingFile: string;
  readonly message: string;
}

/** A split asks for records a batch does not have, or is empty. */
export interface InvalidSplit {
  readonly _tag: "InvalidSplit";
  readonly path: string;
  readonly message: string;
}

/** The download could not start or failed on the way (HTTP status, network error). */
export interface DownloadFailed {
  readonly _tag: "DownloadFailed";
  readonly url: string;
  /** HTTP status when the server answered with an error, else `null`. */
  readonly status: number | null;
  readonly cause: unknown;
  readonly message: string;
}

/** The connection ended before the announced number of bytes arrived. */
export interface DownloadTruncated {
  readonly _tag: "DownloadTruncated";
  readonly url: string;
  /** Bytes on disk in the partial file, including any resumed prefix. */
  readonly received: number;
  readonly expected: number;
  /** The partial file kept for a resumed rerun. */
  readonly partialPath: string;
  readonly message: string;
}

/** The caller's AbortSignal fired. */
export interface DownloadAborted {
  readonly _tag: "DownloadAborted";
  readonly url: string;
  readonly received: number;
  readonly partialPath: string;
  readonly message: string;
}

/** The archive could not be extracted, or lacks the CIFAR-10 binary files. */
export interface ArchiveInvalid {
  readonly _tag: "ArchiveInvalid";
  readonly path: string;
  readonly cause: unknown;
  readonly message: string;
}

/** The download destination already holds files; nothing is overwritten. */
export interface DestinationExists {
  readonly _tag: "DestinationExists";
  readonly path: string;
  readonly message: string;
}

/** Any error of the CIFAR-10 data layer; switch on `_tag`. */
export type CifarDataError =
  | FileNotFound
  | ReadFailed
  | WriteFailed
  | InvalidBatchSize
  | InvalidLabel
  | InvalidClassNames
  | ChecksumMismatch
  | VerificationFailed
  | DatasetNotFound
  | InvalidSplit
  | DownloadFailed
  | DownloadTruncated
  | DownloadAborted
  | ArchiveInvalid
  | DestinationExists;

/** The message of a thrown value (an `Error`'s message, anything else as a string). */
export const describeCause = (cause: unknown): string =>
  cause instanceof Error ? cause.message : String(cause);

/** Maps a Node filesystem error on `path` to `FileNotFound` or `ReadFailed`. */
export const readError = (path: string, cause: unknown): FileNotFound | ReadFailed =>
  (cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT"
    ? {
        _tag: "FileNotFound",
        path,
        message: `${path}: file not found. Check the directory (or CIFAR10_DIR), or download the dataset (downloadCifar10 / \`puregrad data download\`).`,
      }
    : {
        _tag: "ReadFailed",
        path,
        cause,
        message: `${path}: cannot be read (${describeCause(cause)}). Check that it is a readable file.`,
      };

export const writeError = (path: string, cause: unknown): WriteFailed => ({
  _tag: "WriteFailed",
  path,
  cause,
  message: `${path}: cannot be written (${describeCause(cause)}). Check free space and permissions.`,
});

export const checksumMismatch = (
  path: string,
  expected: string,
  actual: string,
  advice: string,
): ChecksumMismatch => ({
  _tag: "ChecksumMismatch",
  path,
  expected,
  actual,
  message: `${path}: md5 ${actual} does not match the expected ${expected}. ${advice}`,
});

export const downloadFailed = (
  url: string,
  status: number | null,
  cause: unknown,
): DownloadFailed => ({
  _tag: "DownloadFailed",
  url,
  status,
  cause,
  message:
    status === null
      ? `${url}: download failed (${describeCause(cause)}). Check the network and rerun; a partial download is resumed.`
      : `${url}: the server answered HTTP ${status}. Check the URL (or use a mirror) and rerun.`,
});
