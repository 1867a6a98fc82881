/** Getting the data a run asks for: real CIFAR-10, the synthetic stand-in, or `auto`. */
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { CifarDataError } from "../data/errors.js";
import type { FindCifar10DirOptions } from "../data/locate.js";
import { type PreparedCifar10, prepareSplit } from "../data/prepare.js";
import { loadCifar10, SPLITS, type SplitSpec } from "../data/splits.js";
import { syntheticCifar10 } from "../data/synthetic.js";
import type { DataSource } from "../report/markdown.js";
import type { RunConfig, SplitConfig, SyntheticSizes } from "./config.js";

/** Records per batch file of the official release (used to size the synthetic stand-in). */
const RECORDS_PER_FILE = 10000;

/** The fixed seed of the synthetic stand-in: every run of a sweep sees the same images. */
export const SYNTHETIC_DATA_SEED = 0;

/** What data a run needs: {@link RunConfig}'s `data`, `split` and `synthetic`, and where to look. */
export interface DataRequest {
  readonly data: RunConfig["data"];
  readonly split: SplitConfig;
  readonly synthetic: SyntheticSizes;
  /** An explicit CIFAR-10 folder (else CIFAR10_DIR, then the user cache). */
  readonly dataDir?: string;
  /** Environment for the discovery (default `process.env`). */
  readonly env?: FindCifar10DirOptions["env"];
}

/** A prepared dataset and what the report says about where it came from. */
export interface ResolvedData {
  readonly prepared: PreparedCifar10;
  readonly source: DataSource;
}

const splitSpec = (split: SplitConfig): SplitSpec =>
  typeof split === "string" ? SPLITS[split] : split;

/** How many records a set of a split has in the official release. */
function recordCount(parts: SplitSpec["train"]): number {
  const resolve = (index: number) => (index < 0 ? RECORDS_PER_FILE + index : index);
  return parts.reduce(
    (total, part) =>
      total + Math.max(0, resolve(part.to ?? RECORDS_PER_FILE) - resolve(part.from ?? 0)),
    0,
  );
}

/**
 * The synthetic stand-in for a split: each set as large as the split's set, capped by `sizes`
 * (so `all` does not generate 49000 images, and a 100-image overfit split stays 100 images).
 */
function syntheticFor(split: SplitConfig, sizes: SyntheticSizes, reason: string): ResolvedData {
  const spec = splitSpec(split);
  const data = syntheticCifar10({
    seed: SYNTHETIC_DATA_SEED,
    trainSize: Math.min(sizes.train, recordCount(spec.train)),
    validationSize: Math.min(sizes.validation, recordCount(spec.validation)),
    testSize: Math.min(sizes.test, recordCount(spec.test)),
  });
  return {
    prepared: prepareSplit(data),
    source: { kind: "synthetic", reason: `${reason}; ${data.description}` },
  };
}

/**
 * Loads and prepares the data of a request:
 * - `real`: CIFAR-10 from `dataDir`, CIFAR10_DIR or the cache, verified; any failure is returned;
 * - `synthetic`: the synthetic stand-in (see {@link syntheticFor});
 * - `auto`: real when the files are found, otherwise synthetic with the reason in its banner.
 *   Found but corrupt files are an error, never silently replaced.
 */
export function resolveData(request: DataRequest): TE.TaskEither<CifarDataError, ResolvedData> {
  return async () => {
    if (request.data === "synthetic")
      return E.right(
        syntheticFor(
          request.split,
          request.synthetic,
          'synthetic data requested (data: "synthetic")',
        ),
      );
    const loaded = await loadCifar10({
      split: request.split,
      ...(request.dataDir === undefined ? {} : { dir: request.dataDir }),
      ...(request.env === undefined ? {} : { env: request.env }),
    })();
    if (E.isRight(loaded))
      return E.right({
        prepared: prepareSplit(loaded.right),
        source: { kind: "real", description: loaded.right.description },
      });
    if (request.data === "auto" && loaded.left._tag === "DatasetNotFound")
      return E.right(syntheticFor(request.split, request.synthetic, loaded.left.message));
    return loaded;
  };
}

/** The report's account of a dataset the caller prepared. */
export function suppliedDataSource(prepared: PreparedCifar10): DataSource {
  return prepared.source === "real"
    ? { kind: "real", description: `${prepared.description} (supplied by the caller)` }
    : {
        kind: "synthetic",
        reason: `synthetic dataset supplied by the caller: ${prepared.description}`,
      };
}
