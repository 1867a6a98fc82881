/** `puregrad data download | verify | info`: getting, checking and locating CIFAR-10. */
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  BATCH_FILES,
  CIFAR10_URL,
  type CifarDataError,
  CLASS_NAMES_FILE,
  cifar10CacheDir,
  downloadCifar10,
  findCifar10Dir,
  RECORD_BYTES,
  readBatch,
  readClassNames,
  SPLITS,
  verifyCifar10,
} from "@puregrad/cifar";
import * as E from "fp-ts/lib/Either.js";
import type { CommandContext } from "../context.js";
import { CliError, ExitCode, runError } from "../errors.js";
import { formatBytes } from "../output.js";

/** Options of `data download`. */
export interface DownloadOptions {
  /** A mirror of the official archive (same md5). */
  readonly url?: string;
}

/**
 * Downloads and extracts the official archive into `--data-dir` (default: the user cache),
 * with a progress bar; resumes an interrupted download. An existing complete copy is verified
 * instead of downloaded again.
 * @throws CliError: exit 1 when the download or its checksum fails, 130 when interrupted
 */
export async function downloadCommand(
  context: CommandContext,
  options: DownloadOptions,
): Promise<void> {
  const { output, signal } = context;
  const dest = resolve(context.options.dataDir ?? cifar10CacheDir());
  const url = options.url ?? CIFAR10_URL;
  output.info(`Downloading CIFAR-10 from ${url}\n  into ${dest}`);
  const progress = output.progress("download");
  let lastEvent = 0;
  const result = await downloadCifar10({
    dest,
    url,
    signal,
    onProgress: ({ receivedBytes, totalBytes, bytesPerSecond }) => {
      progress.update({
        completed: receivedBytes,
        total: totalBytes,
        label: `${formatBytes(receivedBytes)}${totalBytes === null ? "" : ` of ${formatBytes(totalBytes)}`}`,
        fields: { rate: `${formatBytes(bytesPerSecond)}/s` },
      });
      // Machine-readable progress at most once per percent, not once per network chunk.
      const percent =
        totalBytes === null ? receivedBytes : Math.floor((100 * receivedBytes) / totalBytes);
      if (percent !== lastEvent) {
        lastEvent = percent;
        output.event("download-progress", { receivedBytes, totalBytes });
      }
    },
  })();
  progress.finish();
  if (E.isLeft(result)) {
    const error = result.left;
    if (error._tag === "DestinationExists") {
      output.info(`${dest} already has files; verifying them instead of downloading.`);
      await verifyCommand(context, { checksums: true, dir: dest });
      return;
    }
    throw dataError(error);
  }
  const { dir, bytes, resumedFrom } = result.right;
  output.result(
    "download",
    { dir, url, bytes, resumedFrom },
    `Downloaded ${formatBytes(bytes)}${resumedFrom > 0 ? ` (resumed from ${formatBytes(resumedFrom)})` : ""}, md5 verified, extracted to ${dir}`,
  );
}

/** Options of `data verify`. */
export interface VerifyOptions {
  /** Compare each batch file's md5 with the official one (default true). */
  readonly checksums: boolean;
  /** The folder to check (default: `--data-dir`, CIFAR10_DIR or the cache). */
  readonly dir?: string;
}

/** One line of the verification table. */
interface FileCheck {
  readonly file: string;
  readonly ok: boolean;
  readonly detail: string;
}

/**
 * Checks a CIFAR-10 folder: every batch file must decode (whole 3073-byte records, labels 0–9),
 * `batches.meta.txt` must list ten classes, and, unless `checksums` is off, each batch file's md5
 * must be the official one. Prints one line per file.
 * @throws CliError (exit 1) when a file is missing or fails a check
 */
export async function verifyCommand(
  context: CommandContext,
  options: VerifyOptions,
): Promise<void> {
  const { output } = context;
  const dir = resolve(options.dir ?? (await locate(context)));
  const checks: FileCheck[] = [];
  for (const file of BATCH_FILES) {
    const batch = await readBatch(join(dir, file))();
    checks.push(
      E.isRight(batch)
        ? { file, ok: true, detail: `${batch.right.count} records, labels 0–9` }
        : { file, ok: false, detail: batch.left.message },
    );
  }
  const names = await readClassNames(join(dir, CLASS_NAMES_FILE))();
  checks.push(
    E.isRight(names)
      ? { file: CLASS_NAMES_FILE, ok: true, detail: names.right.join(", ") }
      : { file: CLASS_NAMES_FILE, ok: false, detail: names.left.message },
  );
  if (options.checksums) {
    const verified = await verifyCifar10(dir)();
    const report = E.isRight(verified) ? verified.right.files : verified.left.report;
    for (const entry of report) {
      const index = checks.findIndex((check) => check.file === entry.file);
      const check = checks[index]!;
      // A file that did not decode already says why; the md5 adds nothing to that.
      if (!check.ok) continue;
      checks[index] = entry.ok
        ? { ...check, detail: `${check.detail}, md5 ok` }
        : {
            file: check.file,
            ok: false,
            detail: `md5 ${entry.actualMd5} is not the official ${entry.expectedMd5} (not the official release, or corrupt)`,
          };
    }
  }
  const failed = checks.filter((check) => !check.ok);
  const width = Math.max(...checks.map((check) => check.file.length));
  const table = checks
    .map((check) => `${check.ok ? "ok  " : "FAIL"}  ${check.file.padEnd(width)}  ${check.detail}`)
    .join("\n");
  output.result(
    "verify",
    { dir, checksums: options.checksums, ok: failed.length === 0, files: checks },
    `${dir}\n${table}`,
  );
  if (failed.length > 0) {
    throw runError(
      `${failed.length} of ${checks.length} files in ${dir} failed verification (see above). ${options.checksums ? "Download the dataset again with `puregrad data download` (after removing the folder)" : "Replace the broken files"}; a folder of non-official data can be checked with --no-checksums.`,
    );
  }
  if (!options.checksums) output.info("Checksums were not compared (--no-checksums).");
}

/**
 * Says where CIFAR-10 is found and why (`--data-dir`, CIFAR10_DIR or the cache), the size of each
 * file, the standard splits and where `data download` would put the files.
 * @throws CliError (exit 1) when no dataset is found
 */
export async function infoCommand(context: CommandContext): Promise<void> {
  const { output } = context;
  const found = await findCifar10Dir(
    context.options.dataDir === undefined ? {} : { dir: context.options.dataDir },
  )();
  const splits = Object.fromEntries(
    Object.entries(SPLITS).map(([name, spec]) => [
      name,
      Object.fromEntries(
        (["train", "validation", "test"] as const).map((set) => [
          set,
          spec[set].map(
            (part) =>
              `${part.file}${part.from !== undefined || part.to !== undefined ? `[${part.from ?? ""}:${part.to ?? ""}]` : ""}`,
          ),
        ]),
      ),
    ]),
  );
  const splitLines = Object.entries(splits).map(
    ([name, sets]) =>
      `  ${name.padEnd(10)} ${Object.entries(sets)
        .map(([set, parts]) => `${set}: ${(parts as string[]).join(" + ")}`)
        .join("; ")}`,
  );
  if (E.isLeft(found)) {
    output.result(
      "data-info",
      { found: false, reason: found.left.message, cacheDir: cifar10CacheDir(), splits },
      [
        `CIFAR-10: not found. ${found.left.message}`,
        `Download target: ${cifar10CacheDir()} (or --data-dir DIR)`,
        "Splits:",
        ...splitLines,
      ].join("\n"),
    );
    throw runError(
      "No CIFAR-10 data found. Run `puregrad data download`, or point --data-dir (or CIFAR10_DIR) at an extracted cifar-10-batches-bin folder.",
    );
  }
  const { dir, reason } = found.right;
  const files = await Promise.all(
    [...BATCH_FILES, CLASS_NAMES_FILE].map(async (file) => {
      const { size } = await stat(join(dir, file));
      return { file, bytes: size, records: file === CLASS_NAMES_FILE ? null : size / RECORD_BYTES };
    }),
  );
  output.result(
    "data-info",
    { found: true, dir, reason, files, cacheDir: cifar10CacheDir(), splits },
    [
      `CIFAR-10: ${dir}`,
      `  found through ${reason} (order: --data-dir, CIFAR10_DIR, ${cifar10CacheDir()})`,
      ...files.map(
        ({ file, bytes, records }) =>
          `  ${file.padEnd(18)} ${formatBytes(bytes).padStart(8)}${records === null ? "" : `  ${records} records`}`,
      ),
      "Splits:",
      ...splitLines,
      "Run `puregrad data verify` to check the files' checksums.",
    ].join("\n"),
  );
}

/** The dataset folder by the usual discovery, or exit 1 with what to do. */
async function locate(context: CommandContext): Promise<string> {
  const found = await findCifar10Dir(
    context.options.dataDir === undefined ? {} : { dir: context.options.dataDir },
  )();
  if (E.isLeft(found)) throw dataError(found.left);
  return found.right.dir;
}

/** A data-layer error as a CLI error: its message already says what to do. */
function dataError(error: CifarDataError): CliError {
  return new CliError(
    error.message,
    error._tag === "DownloadAborted" ? ExitCode.interrupted : ExitCode.failed,
  );
}
