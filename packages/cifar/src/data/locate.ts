/** Where the CIFAR-10 files are: an explicit directory, CIFAR10_DIR, or the per-user cache. */
import { access } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { DatasetNotFound } from "./errors.js";
import { BATCH_FILES, CLASS_NAMES_FILE } from "./format.js";

/** The folder name of the extracted official archive, also used under the cache directory. */
export const CIFAR10_DIR_NAME = "cifar-10-batches-bin";

/** Which discovery step supplied the directory. */
export type DirectorySource = "argument" | "environment" | "cache";

/** A directory holding the CIFAR-10 binary files, and how it was chosen. */
export interface Cifar10Location {
  readonly dir: string;
  readonly source: DirectorySource;
  /** Human-readable reason, e.g. `CIFAR10_DIR=/data/cifar`. */
  readonly reason: string;
}

/** Options of {@link findCifar10Dir}. */
export interface FindCifar10DirOptions {
  /** An explicit directory; when given it is the only place looked at. */
  readonly dir?: string;
  /** Environment to read CIFAR10_DIR, XDG_CACHE_HOME and HOME from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The per-user cache directory for the dataset, following the XDG convention:
 * `$XDG_CACHE_HOME/puregrad/cifar-10-batches-bin`, else `~/.cache/puregrad/cifar-10-batches-bin`.
 * This is where `downloadCifar10` puts the files by default.
 */
export function cifar10CacheDir(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const cacheHome = env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
  return join(cacheHome, "puregrad", CIFAR10_DIR_NAME);
}

/** The first file of the dataset absent from `dir`, or `undefined` when all are present. */
export async function missingFile(dir: string): Promise<string | undefined> {
  for (const file of [...BATCH_FILES, CLASS_NAMES_FILE]) {
    try {
      await access(join(dir, file));
    } catch {
      return file;
    }
  }
  return undefined;
}

/**
 * Finds the directory with the CIFAR-10 binary files. Discovery order: the explicit `dir`, then
 * the CIFAR10_DIR environment variable, then {@link cifar10CacheDir}. The first of these that is
 * *given* decides: an explicit directory or CIFAR10_DIR that lacks the files is an error, never
 * silently replaced by a later source. Only presence is checked; see `verifyCifar10` for checksums.
 *
 * @returns the directory and which source supplied it, or `DatasetNotFound` listing what was tried
 * @example
 * ```ts
 * const found = await findCifar10Dir({ dir: argv.data })();
 * if (E.isRight(found)) console.log(`CIFAR-10 from ${found.right.reason}`);
 * ```
 */
export const findCifar10Dir =
  (options: FindCifar10DirOptions = {}): TE.TaskEither<DatasetNotFound, Cifar10Location> =>
  async () => {
    const env = options.env ?? process.env;
    const candidate: Cifar10Location =
      options.dir !== undefined
        ? { dir: options.dir, source: "argument", reason: `directory argument ${options.dir}` }
        : env.CIFAR10_DIR
          ? {
              dir: env.CIFAR10_DIR,
              source: "environment",
              reason: `CIFAR10_DIR=${env.CIFAR10_DIR}`,
            }
          : {
              dir: cifar10CacheDir(env),
              source: "cache",
              reason: `user cache ${cifar10CacheDir(env)}`,
            };
    const missing = await missingFile(candidate.dir);
    if (missing === undefined) return E.right(candidate);
    const advice =
      candidate.source === "cache"
        ? "Download it (downloadCifar10 / `puregrad data download`), set CIFAR10_DIR, or pass a directory."
        : `Point ${candidate.source === "argument" ? "the argument" : "CIFAR10_DIR"} at the extracted cifar-10-batches-bin folder, or download the dataset (downloadCifar10 / \`puregrad data download\`).`;
    return E.left({
      _tag: "DatasetNotFound",
      source: candidate.source,
      dir: candidate.dir,
      missingFile: missing,
      message: `CIFAR-10 not found in ${candidate.reason}: ${missing} is missing. ${advice}`,
    });
  };
