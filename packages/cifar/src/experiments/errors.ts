/** The typed errors of the experiment layer, and the one place that turns them into TaskEithers. */
import { mkdir } from "node:fs/promises";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import type { CifarDataError } from "../data/errors.js";
import {
  describeError,
  type JsonLinesParseError,
  type ReadFileError,
  type WriteFileError,
} from "../report/files.js";
import type { SafetensorsFormatError } from "../report/safetensors.js";
import type { ConfigError } from "./codecs.js";
import type { ConfigFileError } from "./config.js";
import type { GradientCheckDataError } from "./gradcheck.js";
import type { LossModuleNotLoaded } from "./training.js";

/** No preset has this name. */
export interface UnknownPreset {
  readonly _tag: "UnknownPreset";
  readonly name: string;
  readonly message: string;
}

/** The backend a config asks for cannot be had. */
export interface BackendUnavailable {
  readonly _tag: "BackendUnavailable";
  readonly message: string;
}

/** A folder or log is not what the operation needs (no results.json, logs of different searches, ...). */
export interface InvalidResults {
  readonly _tag: "InvalidResults";
  readonly path: string;
  readonly message: string;
}

/** Everything an experiment-layer operation can fail with; each has a readable `message`. */
export type ExperimentError =
  | ConfigError
  | ConfigFileError
  | CifarDataError
  | WriteFileError
  | ReadFileError
  | JsonLinesParseError
  | SafetensorsFormatError
  | LossModuleNotLoaded
  | GradientCheckDataError
  | BackendUnavailable
  | UnknownPreset
  | InvalidResults;

/** Carries a typed error out of async code to {@link attempt}. */
class Failure extends Error {
  constructor(readonly error: ExperimentError) {
    super(error.message);
  }
}

/** Stops the surrounding {@link attempt} with `error`. */
export function fail(error: ExperimentError): never {
  throw new Failure(error);
}

/** Runs a task and returns its value, or stops the surrounding {@link attempt} with its error. */
export async function orFail<A>(task: TE.TaskEither<ExperimentError, A>): Promise<A> {
  const result = await task();
  if (E.isLeft(result)) fail(result.left);
  return result.right;
}

/** Turns async code using {@link fail} / {@link orFail} into a TaskEither; other exceptions propagate (bugs). */
export function attempt<A>(body: () => Promise<A>): TE.TaskEither<ExperimentError, A> {
  return async () => {
    try {
      return E.right(await body());
    } catch (error) {
      if (error instanceof Failure) return E.left(error.error);
      throw error;
    }
  };
}

/** Creates a folder (and its parents), or stops the surrounding {@link attempt} with a `WriteFileError`. */
export async function ensureDirectory(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (error) {
    fail({
      _tag: "WriteFileError",
      path,
      message: `cannot create folder ${path}: ${describeError(error)}`,
    });
  }
}
