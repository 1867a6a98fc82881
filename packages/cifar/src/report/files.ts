/**
 * Crash-safe file output for reports: whole-file atomic replacement and one-line JSONL appends.
 *
 * A report folder may be read (by a person, by `resume`) while an experiment is still running or
 * after it was killed, so no file it contains may ever be seen half-written.
 */
import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type * as t from "io-ts";

/** A file could not be written; the previous content of `path` (if any) is unchanged. */
export interface WriteFileError {
  readonly _tag: "WriteFileError";
  /** The target path the caller asked for. */
  readonly path: string;
  /** What failed, including the operating-system error code where there is one. */
  readonly message: string;
}

/** A file could not be read (missing, unreadable); `code` is the operating-system code, e.g. `ENOENT`. */
export interface ReadFileError {
  readonly _tag: "ReadFileError";
  readonly path: string;
  readonly code: string | undefined;
  readonly message: string;
}

/** A complete (newline-terminated) line of a JSONL file is not valid JSON or does not decode. */
export interface JsonLinesParseError {
  readonly _tag: "JsonLinesParseError";
  readonly path: string;
  /** 1-based line number of the first bad line. */
  readonly lineNumber: number;
  readonly message: string;
}

/** The message of a thrown value (an `Error`'s message, anything else as a string). */
export const describeError = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** Reads and parses a whole JSON file; the left side says why it could not be (unreadable, not JSON). */
export async function readJsonFile(path: string): Promise<E.Either<string, unknown>> {
  try {
    return E.right(JSON.parse(await readFile(path, "utf8")));
  } catch (error) {
    return E.left(describeError(error));
  }
}

const errorCode = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;

const writeFailure = (path: string, error: unknown): WriteFileError => ({
  _tag: "WriteFileError",
  path,
  message: `cannot write ${path}: ${describeError(error)}`,
});

/**
 * Makes a completed rename durable: without syncing the directory a power loss can forget it.
 * Some platforms (Windows) cannot open directories; there the rename itself is the best we get.
 */
async function syncDirectory(directory: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(directory, "r");
    await handle.sync();
  } catch (error) {
    const code = errorCode(error);
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL") throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Replaces the file at `path` with `data` atomically: the bytes go to a temporary file in the same
 * directory (so the rename cannot cross file systems), which is fsynced and then renamed over
 * `path`. Readers see either the old file or the complete new one, never a partial file; on any
 * failure the temporary file is removed and `path` is left as it was.
 *
 * @param path - Target file; its directory must exist.
 * @param data - File content; a string is written as UTF-8.
 * @returns A task that resolves to `Left<WriteFileError>` on failure; it never rejects.
 * @example
 * const result = await writeFileAtomic("runs/a1/report.md", "# A1\n")();
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
): TE.TaskEither<WriteFileError, void> {
  return async () => {
    const temporaryPath = join(
      dirname(path),
      `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`,
    );
    try {
      const handle = await open(temporaryPath, "wx");
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporaryPath, path);
    } catch (error) {
      await rm(temporaryPath, { force: true }).catch(() => undefined);
      return E.left(writeFailure(path, error));
    }
    try {
      await syncDirectory(dirname(path));
    } catch (error) {
      return E.left(writeFailure(path, error));
    }
    return E.right(undefined);
  };
}

/**
 * Appends one line (a newline is added) to a log file, creating it if needed, and fsyncs it.
 * A line is either fully present or absent: a trailing fragment left by an earlier crash (bytes
 * after the last newline) is truncated away before appending, so it can never be glued to the new
 * line. Assumes a single writer per file, as an experiment run is.
 *
 * @param path - Log file; its directory must exist.
 * @param line - The line's text; must not contain a newline (throws `RangeError` if it does).
 * @returns A task that resolves to `Left<WriteFileError>` on I/O failure; it never rejects.
 */
export function appendLine(path: string, line: string): TE.TaskEither<WriteFileError, void> {
  if (/[\r\n]/.test(line)) throw new RangeError(`appendLine: the line must not contain a newline`);
  return async () => {
    try {
      const handle = await open(path, "a+");
      try {
        const { size } = await handle.stat();
        const end = await completeLinesLength(handle, size);
        if (end !== size) await handle.truncate(end);
        // One write call in append mode: the line and its terminator land together or not at all
        // as far as any reader of complete lines can tell.
        await handle.write(`${line}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return E.right(undefined);
    } catch (error) {
      return E.left(writeFailure(path, error));
    }
  };
}

/** Length of the prefix of the file that ends with its last newline (0 when there is none). */
async function completeLinesLength(
  handle: Awaited<ReturnType<typeof open>>,
  size: number,
): Promise<number> {
  const chunkSize = 4096;
  const chunk = Buffer.alloc(chunkSize);
  for (let end = size; end > 0; end -= chunkSize) {
    const start = Math.max(0, end - chunkSize);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const newline = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (newline >= 0) return start + newline + 1;
  }
  return 0;
}

/** The decoded complete lines of a JSONL file. */
export interface JsonLines<A> {
  /** One value per complete line, in file order. */
  readonly values: readonly A[];
  /** Bytes after the last newline (a write cut short by a crash); ignored, 0 when the file is whole. */
  readonly ignoredTrailingBytes: number;
}

/**
 * Parses JSONL text: every newline-terminated line is parsed as JSON and decoded with `decoder`;
 * a final fragment with no newline is what a crashed append leaves and is ignored (and counted).
 * Blank lines are skipped.
 *
 * @param text - The file content.
 * @param decoder - io-ts decoder for one line (use `t.unknown` for no checking).
 * @param path - Used in error messages only.
 */
export function parseJsonLines<A>(
  text: string,
  decoder: t.Decoder<unknown, A>,
  path = "<jsonl>",
): E.Either<JsonLinesParseError, JsonLines<A>> {
  const end = text.lastIndexOf("\n") + 1;
  const lines = text.slice(0, end).split("\n").slice(0, -1);
  const values: A[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    const failure = (message: string): E.Either<JsonLinesParseError, never> =>
      E.left({
        _tag: "JsonLinesParseError",
        path,
        lineNumber: index + 1,
        message: `${path}:${index + 1}: ${message}`,
      });
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      return failure(`invalid JSON (${describeError(error)})`);
    }
    const decoded = decoder.decode(json);
    if (E.isLeft(decoded)) {
      const paths = decoded.left.map((e) =>
        e.context
          .map((entry) => entry.key)
          .filter((key) => key !== "")
          .join("."),
      );
      return failure(`does not match the expected record (at: ${[...new Set(paths)].join(", ")})`);
    }
    values.push(decoded.right);
  }
  return E.right({ values, ignoredTrailingBytes: Buffer.byteLength(text.slice(end)) });
}

/**
 * Reads a JSONL file written with {@link appendLine}; see {@link parseJsonLines} for the rules.
 *
 * @returns `Left<ReadFileError>` when the file cannot be read (`code` `ENOENT` when it is missing,
 * which a resuming caller treats as "no lines yet"), `Left<JsonLinesParseError>` for a bad line.
 */
export function readJsonLines<A>(
  path: string,
  decoder: t.Decoder<unknown, A>,
): TE.TaskEither<ReadFileError | JsonLinesParseError, JsonLines<A>> {
  return async () => {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      return E.left(readFailure(path, error));
    }
    return parseJsonLines(text, decoder, path);
  };
}

/** Builds a {@link ReadFileError} from a caught file-system error. */
export const readFailure = (path: string, error: unknown): ReadFileError => ({
  _tag: "ReadFileError",
  path,
  code: errorCode(error),
  message: `cannot read ${path}: ${describeError(error)}`,
});
