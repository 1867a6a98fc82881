/**
 * What the runners share: caller options, caches of the prepared data and the chosen backend,
 * and one training run with its files. Data and backend choices are reported as events.
 */
import { join } from "node:path";
import type { Loss, MlpParams, MlpState } from "@puregrad/nn";
import {
  type Backend,
  cpuBackend,
  getBackend,
  setBackend,
  type Tensor,
  toBackend,
} from "@puregrad/tensor";
import type { PreparedCifar10, TensorSet } from "../data/prepare.js";
import { appendLine, writeFileAtomic } from "../report/files.js";
import type { DataSource } from "../report/markdown.js";
import { type TensorTree, writeSafetensors } from "../report/safetensors.js";
import { epochMetricsCsv, epochMetricsJsonLine } from "../report/tables.js";
import type { GradientCheckConfig, LossConfig, RunConfig } from "./config.js";
import { type DataRequest, type ResolvedData, resolveData, suppliedDataSource } from "./data.js";
import { fail, orFail } from "./errors.js";
import type { EventListener, RunPosition } from "./events.js";
import { RUN_FILES } from "./reporting.js";
import type { BackendUsed } from "./summary.js";
import {
  resolveRunLoss,
  runDataOf,
  storedTensor,
  type TrainingOutcome,
  train,
} from "./training.js";

/** Chooses a backend for `"cpu" | "gpu" | "auto"`, e.g. `selectBackend` of `@puregrad/tensor/gpu`. */
export type BackendSelector = (
  choice: "cpu" | "gpu" | "auto",
) => Promise<{ readonly backend: Backend; readonly reason: string }>;

/** Options shared by every runner. Settings given here override every run config's. */
export interface RunnerOptions {
  /** The folder the report goes to (created if needed). */
  readonly outDir: string;
  /** Use this prepared dataset for every run and check instead of loading one (its source is reported). */
  readonly dataset?: PreparedCifar10;
  /** Where CIFAR-10 is (else CIFAR10_DIR, then the user cache). */
  readonly dataDir?: string;
  /** Overrides every config's `data`. */
  readonly data?: RunConfig["data"];
  /** Overrides every config's `seed`. */
  readonly seed?: number;
  /** Overrides every config's `backend`. */
  readonly backend?: RunConfig["backend"];
  /** The loss function for configs with `loss: { module }`; when given it replaces every config's loss. */
  readonly loss?: Loss;
  /** Stops the work between training steps; files written so far stay consistent. */
  readonly signal?: AbortSignal;
  /** Receives progress events. */
  readonly onEvent?: EventListener;
  /**
   * Chooses the backend for `"gpu"` and `"auto"` (pass `selectBackend` from `@puregrad/tensor/gpu`).
   * Without it `"cpu"` is the CPU backend, `"auto"` falls back to it (saying so) and `"gpu"` fails.
   */
  readonly selectBackend?: BackendSelector;
  /** Environment for data discovery (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A run config with the caller's overrides applied. */
export function withOverrides(config: RunConfig, options: RunnerOptions): RunConfig {
  return {
    ...config,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.data === undefined ? {} : { data: options.data }),
    ...(options.backend === undefined ? {} : { backend: options.backend }),
  };
}

/** A gradient-check config with the caller's seed override applied. */
export function checkWithOverrides(
  config: GradientCheckConfig,
  options: RunnerOptions,
): GradientCheckConfig {
  return options.seed === undefined ? config : { ...config, seed: options.seed };
}

/** The loss of a config, or fails when it names a module the caller did not supply. */
export function lossFor(config: LossConfig, options: RunnerOptions): Loss {
  const loss = resolveRunLoss(config, options.loss);
  return typeof loss === "function" ? loss : fail(loss);
}

/** A prepared dataset on a backend, and where it came from. */
export interface SessionData {
  readonly train: TensorSet;
  readonly validation: TensorSet;
  readonly test: TensorSet;
  readonly classNames: readonly string[];
  readonly source: DataSource;
  readonly description: string;
}

/** Caches and the event channel of one runner call. */
export interface Session {
  readonly options: RunnerOptions;
  readonly emit: EventListener;
  /** The data of a request, loaded once per distinct request (the last one is kept). */
  data(request: Omit<DataRequest, "dataDir" | "env">): Promise<SessionData>;
  /** The backend for a choice, chosen once per choice. */
  backend(choice: RunConfig["backend"]): Promise<BackendUsed & { readonly backend: Backend }>;
}

/** Starts a session for one runner call. */
export function createSession(options: RunnerOptions): Session {
  const emit: EventListener = (event) => options.onEvent?.(event);
  let cached: { key: string; data: SessionData } | undefined;
  const backends = new Map<string, BackendUsed & { backend: Backend }>();
  const describe = (resolved: ResolvedData): SessionData => ({
    train: resolved.prepared.train,
    validation: resolved.prepared.validation,
    test: resolved.prepared.test,
    classNames: resolved.prepared.classNames,
    source: resolved.source,
    description:
      resolved.source.kind === "real" ? resolved.source.description : resolved.prepared.description,
  });
  return {
    options,
    emit,
    async data(request) {
      // A supplied dataset serves every request, so it is announced once.
      const key = options.dataset ? "supplied" : JSON.stringify(request);
      if (cached?.key === key) return cached.data;
      cached = undefined; // release the previous split before preparing the next
      const resolved: ResolvedData = options.dataset
        ? { prepared: options.dataset, source: suppliedDataSource(options.dataset) }
        : await orFail(
            resolveData({
              ...request,
              ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
              ...(options.env === undefined ? {} : { env: options.env }),
            }),
          );
      const data = describe(resolved);
      emit({ type: "data", source: data.source, description: data.description });
      cached = { key, data };
      return data;
    },
    async backend(choice) {
      const known = backends.get(choice);
      if (known) return known;
      let chosen: BackendUsed & { backend: Backend };
      if (options.selectBackend) {
        const selected = await options.selectBackend(choice);
        chosen = {
          backend: selected.backend,
          name: selected.backend.name,
          reason: selected.reason,
        };
      } else if (choice === "gpu") {
        return fail({
          _tag: "BackendUnavailable",
          message:
            'backend "gpu" was requested but no GPU backend selector was given to the runner (options.selectBackend); use backend "cpu" or "auto"',
        });
      } else {
        chosen = {
          backend: cpuBackend,
          name: cpuBackend.name,
          reason:
            choice === "cpu"
              ? "cpu: requested"
              : "auto: no GPU backend selector was given to the runner, so the CPU backend is used",
        };
      }
      backends.set(choice, chosen);
      emit({ type: "backend", name: chosen.name, reason: chosen.reason });
      return chosen;
    },
  };
}

/** The data request of a run config. */
export const dataRequestOf = (config: RunConfig): Omit<DataRequest, "dataDir" | "env"> => ({
  data: config.data,
  split: config.split,
  synthetic: config.synthetic,
});

const onBackend = (set: TensorSet, backend: Backend): TensorSet => ({
  x: toBackend(set.x, backend),
  y: toBackend(set.y, backend),
});

/** The parameters (and batch-norm averages) of a model as a safetensors tree. */
function parameterTree(params: MlpParams, modelState: MlpState): TensorTree {
  const layers = params.layers.map((layer) => {
    const entries: [string, Tensor][] = Object.entries(layer).filter(
      (entry): entry is [string, Tensor] => entry[1] !== undefined,
    );
    return Object.fromEntries(entries.map(([name, tensor]) => [name, storedTensor(tensor)]));
  });
  const averages = modelState.layers.map((state) => ({
    mean: storedTensor(state.mean),
    variance: storedTensor(state.variance),
  }));
  return averages.length > 0 ? { layers, batchNormAverages: averages } : { layers };
}

/** A finished training run, on the data and backend it used. */
export interface SessionRun {
  readonly outcome: TrainingOutcome;
  readonly backend: BackendUsed;
  readonly data: SessionData;
}

/**
 * Trains one run config in the session, emitting its events. With `directory`, the run's
 * per-epoch metrics are appended to `metrics.jsonl` as epochs finish, and `metrics.csv` and
 * `params.safetensors` are written at the end (each atomically).
 */
export async function trainInSession(
  session: Session,
  config: RunConfig,
  position: RunPosition,
  directory?: string,
): Promise<SessionRun> {
  const loss = lossFor(config.loss, session.options);
  const data = await session.data(dataRequestOf(config));
  const chosen = await session.backend(config.backend);
  const runData = runDataOf(
    {
      train: onBackend(data.train, chosen.backend),
      validation: onBackend(data.validation, chosen.backend),
      test: onBackend(data.test, chosen.backend),
    },
    config.dtype,
  );
  const jsonl = directory && join(directory, RUN_FILES.metricsJsonl);
  if (jsonl) await orFail(writeFileAtomic(jsonl, ""));
  session.emit({ type: "run-started", epochs: config.epochs, ...position });
  const previous = getBackend();
  setBackend(chosen.backend);
  let outcome: TrainingOutcome;
  try {
    outcome = await train(config, runData, loss, {
      ...(session.options.signal ? { signal: session.options.signal } : {}),
      onEpoch: async (metrics) => {
        if (jsonl) await orFail(appendLine(jsonl, epochMetricsJsonLine(metrics)));
        session.emit({ type: "epoch", epochs: config.epochs, metrics, ...position });
      },
    });
  } finally {
    setBackend(previous);
  }
  if (outcome.status === "diverged")
    session.emit({ type: "diverged", epoch: outcome.divergedAtEpoch!, ...position });
  if (directory) {
    await orFail(
      writeFileAtomic(join(directory, RUN_FILES.metricsCsv), epochMetricsCsv(outcome.epochs)),
    );
    await orFail(
      writeSafetensors(
        join(directory, RUN_FILES.parameters),
        parameterTree(outcome.params, outcome.modelState),
        {
          status: outcome.status,
          seed: String(config.seed),
        },
      ),
    );
  }
  session.emit({
    type: "run-finished",
    status: outcome.status,
    ...(outcome.final ? { final: outcome.final } : {}),
    ...position,
  });
  return { outcome, backend: { name: chosen.name, reason: chosen.reason }, data };
}
