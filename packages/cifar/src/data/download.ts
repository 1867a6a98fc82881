/** Downloading the official archive: streamed, resumable, md5-verified, extracted atomically. */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, open, readdir, rename, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { extract } from "tar";
import {
  type CifarDataError,
  checksumMismatch,
  type DownloadAborted,
  describeCause,
  downloadFailed,
  writeError,
} from "./errors.js";
import { CIFAR10_DIR_NAME, cifar10CacheDir, missingFile } from "./locate.js";

/** The official archive of the binary version. */
export const CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";

/** Official md5 of {@link CIFAR10_URL}'s archive. */
export const CIFAR10_ARCHIVE_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";

/** One progress event of a download, emitted for every chunk received. */
export interface DownloadProgress {
  /** Bytes of the archive on disk so far, including a resumed prefix. */
  readonly receivedBytes: number;
  /** Size of the whole archive, or `null` when the server does not say. */
  readonly totalBytes: number | null;
  /** Average rate of this session's transfer, bytes per second. */
  readonly bytesPerSecond: number;
  /** Bytes that were already on disk from an earlier, interrupted run (0 for a fresh start). */
  readonly resumedFrom: number;
}

/** Options of {@link downloadCifar10}. */
export interface DownloadCifar10Options {
  /** The directory to create with the batch files (default: `cifar10CacheDir()`). */
  readonly dest?: string;
  /** Archive URL, for mirrors (default {@link CIFAR10_URL}). Redirects are followed. */
  readonly url?: string;
  /** Expected md5 of the archive (default {@link CIFAR10_ARCHIVE_MD5}). */
  readonly md5?: string;
  /** Cancels the download (e.g. on Ctrl-C); the partial file is kept so a rerun resumes. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: DownloadProgress) => void;
}

/** What a successful download did. */
export interface DownloadResult {
  /** The directory now holding the batch files. */
  readonly dir: string;
  readonly url: string;
  /** Size of the archive in bytes. */
  readonly bytes: number;
  /** Bytes reused from an earlier interrupted run (0 for a fresh start). */
  readonly resumedFrom: number;
}

/**
 * Downloads the CIFAR-10 binary archive, verifies its md5 and extracts it into `dest`.
 *
 * The archive is streamed to `<dest>.partial.tar.gz` beside the destination. An interrupted run
 * (network error, truncated body, abort) keeps that file and the next run resumes it with an HTTP
 * Range request (or starts over when the server ignores ranges). A corrupt archive (md5 mismatch)
 * is deleted so the next run starts clean. Extraction goes to a temporary sibling directory that
 * is renamed to `dest` only when complete, so `dest` is either absent or whole.
 *
 * @returns the destination and download sizes; `DestinationExists` when `dest` already holds
 *   files; `DownloadFailed` (HTTP status or network error), `DownloadTruncated`,
 *   `DownloadAborted`, `ChecksumMismatch`, `ArchiveInvalid` or `WriteFailed` otherwise
 * @example
 * ```ts
 * const controller = new AbortController();
 * process.once("SIGINT", () => controller.abort());
 * const result = await downloadCifar10({
 *   signal: controller.signal,
 *   onProgress: ({ receivedBytes, totalBytes }) => draw(receivedBytes, totalBytes),
 * })();
 * ```
 */
export const downloadCifar10 =
  (options: DownloadCifar10Options = {}): TE.TaskEither<CifarDataError, DownloadResult> =>
  async () => {
    const dest = resolve(options.dest ?? cifar10CacheDir());
    const url = options.url ?? CIFAR10_URL;
    const expectedMd5 = (options.md5 ?? CIFAR10_ARCHIVE_MD5).toLowerCase();
    if (!(await isAbsentOrEmptyDirectory(dest))) {
      return E.left({
        _tag: "DestinationExists",
        path: dest,
        message: `${dest} already exists and is not an empty directory; nothing was downloaded. Verify it (verifyCifar10), or remove it to download again.`,
      });
    }
    try {
      await mkdir(dirname(dest), { recursive: true });
    } catch (cause) {
      return E.left(writeError(dirname(dest), cause));
    }
    const partialPath = `${dest}.partial.tar.gz`;
    const fetched = await fetchToFile(url, partialPath, options);
    if (E.isLeft(fetched)) return fetched;
    const { bytes, resumedFrom, md5 } = fetched.right;
    if (md5 !== expectedMd5) {
      await rm(partialPath, { force: true });
      return E.left(
        checksumMismatch(
          url,
          expectedMd5,
          md5,
          "The download was corrupt and has been deleted; rerun to download again, or try a mirror.",
        ),
      );
    }
    const extracted = await extractArchive(partialPath, dest);
    if (E.isLeft(extracted)) return extracted;
    await rm(partialPath, { force: true });
    return E.right({ dir: dest, url, bytes, resumedFrom });
  };

async function isAbsentOrEmptyDirectory(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length === 0;
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code === "ENOENT";
  }
}

async function sizeOrZero(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashFile(hash: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/** The total size in a `Content-Range: bytes start-end/total` header, and its start. */
function parseContentRange(header: string | null): { start: number; total: number | null } | null {
  const match = header?.match(/^bytes (\d+)-\d+\/(\d+|\*)$/);
  if (!match) return null;
  return { start: Number(match[1]), total: match[2] === "*" ? null : Number(match[2]) };
}

/**
 * Streams `url` into `partialPath`, resuming what is already there, and returns the md5 of the
 * whole file. Every failure after the first byte keeps the partial file for a resumed rerun.
 */
async function fetchToFile(
  url: string,
  partialPath: string,
  options: DownloadCifar10Options,
): Promise<E.Either<CifarDataError, { bytes: number; resumedFrom: number; md5: string }>> {
  const { signal, onProgress } = options;
  let resumedFrom = await sizeOrZero(partialPath);
  const aborted = (received: number): DownloadAborted => ({
    _tag: "DownloadAborted",
    url,
    received,
    partialPath,
    message: `${url}: download cancelled after ${received} bytes; rerun to resume from ${partialPath}.`,
  });
  let response: Response;
  try {
    response = await fetch(url, {
      headers: resumedFrom > 0 ? { Range: `bytes=${resumedFrom}-` } : {},
      signal: signal ?? null,
      redirect: "follow",
    });
  } catch (cause) {
    return E.left(signal?.aborted ? aborted(resumedFrom) : downloadFailed(url, null, cause));
  }

  const hash = createHash("md5");
  if (response.status === 416 && resumedFrom > 0) {
    // The server has nothing past what we hold: the partial file is the whole archive (the md5
    // check decides whether it is good).
    await response.body?.cancel();
    await hashFile(hash, partialPath);
    return E.right({ bytes: resumedFrom, resumedFrom, md5: hash.digest("hex") });
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    return E.left(downloadFailed(url, response.status, `HTTP ${response.status}`));
  }
  const contentLength = response.headers.get("content-length");
  const bodyLength = contentLength === null ? null : Number(contentLength);
  let totalBytes: number | null;
  if (response.status === 206) {
    const range = parseContentRange(response.headers.get("content-range"));
    if (range === null || range.start !== resumedFrom) {
      await response.body.cancel();
      await rm(partialPath, { force: true });
      return E.left(
        downloadFailed(
          url,
          null,
          `the server resumed at an unexpected offset (Content-Range ${response.headers.get("content-range")}); the partial file was deleted, rerun to start clean`,
        ),
      );
    }
    totalBytes = range.total ?? (bodyLength === null ? null : resumedFrom + bodyLength);
    await hashFile(hash, partialPath);
  } else {
    // A 200 answer to a Range request means the server ignores ranges: start over.
    resumedFrom = 0;
    totalBytes = bodyLength;
  }

  let received = resumedFrom;
  const started = performance.now();
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(partialPath, resumedFrom > 0 ? "a" : "w");
  } catch (cause) {
    await response.body.cancel();
    return E.left(writeError(partialPath, cause));
  }
  try {
    for await (const chunk of response.body) {
      await file.write(chunk);
      hash.update(chunk);
      received += chunk.length;
      const seconds = (performance.now() - started) / 1000;
      onProgress?.({
        receivedBytes: received,
        totalBytes,
        bytesPerSecond: seconds > 0 ? (received - resumedFrom) / seconds : 0,
        resumedFrom,
      });
    }
  } catch (cause) {
    if (signal?.aborted) return E.left(aborted(received));
    if (totalBytes === null || received >= totalBytes) {
      return E.left(downloadFailed(url, null, cause));
    }
  } finally {
    await file.close();
  }
  if (totalBytes !== null && received !== totalBytes) {
    return E.left({
      _tag: "DownloadTruncated",
      url,
      received,
      expected: totalBytes,
      partialPath,
      message: `${url}: the connection ended after ${received} of ${totalBytes} bytes; rerun to resume from ${partialPath}.`,
    });
  }
  return E.right({ bytes: received, resumedFrom, md5: hash.digest("hex") });
}

/** Extracts into a temporary sibling of `dest`, checks the contents, then renames into place. */
async function extractArchive(
  archive: string,
  dest: string,
): Promise<E.Either<CifarDataError, void>> {
  let staging: string;
  try {
    staging = await mkdtemp(`${dest}.extract-`);
  } catch (cause) {
    return E.left(writeError(`${dest}.extract-*`, cause));
  }
  try {
    await extract({ file: archive, cwd: staging, strict: true });
    const root = join(staging, CIFAR10_DIR_NAME);
    const missing = await missingFile(root);
    if (missing !== undefined) {
      throw new Error(`the archive has no ${CIFAR10_DIR_NAME}/${missing}`);
    }
    // `dest` is absent or an empty directory (checked before downloading); rename needs it gone.
    await rmdir(dest).catch(() => undefined);
    await rename(root, dest);
    return E.right(undefined);
  } catch (cause) {
    await rm(archive, { force: true });
    return E.left({
      _tag: "ArchiveInvalid",
      path: archive,
      cause,
      message: `${archive}: not a CIFAR-10 binary archive (${describeCause(cause)}); it has been deleted and nothing was written to ${dest}. Check the URL.`,
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
