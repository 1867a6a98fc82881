import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { afterEach } from "vitest";
import { type PreparedCifar10, prepareSplit } from "../../src/data/prepare.js";
import { syntheticCifar10 } from "../../src/data/synthetic.js";
import { type RunConfig, runConfigOf } from "../../src/experiments/config.js";
import type { ExperimentEvent } from "../../src/experiments/events.js";

let cachedTiny: PreparedCifar10 | undefined;

/** A tiny synthetic split (240 / 60 / 60 images), generated once per test file. */
export function tinyDataset(): PreparedCifar10 {
  cachedTiny ??= prepareSplit(
    syntheticCifar10({ seed: 7, trainSize: 240, validationSize: 60, testSize: 60 }),
  );
  return cachedTiny;
}

/** A fast run config on synthetic data (overrides merged over tiny defaults). */
export function tinyRun(overrides: object = {}): RunConfig {
  return runConfigOf({
    epochs: 2,
    batchSize: 40,
    data: "synthetic",
    synthetic: { train: 240, validation: 60, test: 60 },
    ...overrides,
  });
}

const folders: string[] = [];

/** A fresh temporary folder, removed after the test. */
export async function temporaryFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), "puregrad-experiments-"));
  folders.push(folder);
  return folder;
}

afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

/** Runs a task and returns its right value, failing the test with the error message otherwise. */
export async function expectRight<A>(task: TE.TaskEither<{ message: string }, A>): Promise<A> {
  const result = await task();
  if (E.isLeft(result)) throw new Error(`expected success, got: ${result.left.message}`);
  return result.right;
}

/** Collects events. */
export function eventLog(): {
  events: ExperimentEvent[];
  onEvent: (event: ExperimentEvent) => void;
} {
  const events: ExperimentEvent[] = [];
  return { events, onEvent: (event) => events.push(event) };
}
