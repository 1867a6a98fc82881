/**
 * Random search over (η, λ): deterministic log-uniform sampling per trial index, a crash-safe
 * JSONL log with one line per finished trial, resume, shards for job arrays, and merging the
 * shards' logs into one report.
 */
import { basename, dirname, join } from "node:path";
import { foldIn, key, uniform } from "@puregrad/tensor";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import * as t from "io-ts";
import { appendLine, readJsonFile, readJsonLines, writeFileAtomic } from "../report/files.js";
import {
  dataSourceBanner,
  markdownImage,
  markdownSection,
  reportDocument,
  type SettingValue,
  settingsTable,
  writeReport,
} from "../report/markdown.js";
import { renderSearchScatter } from "../report/plots.js";
import {
  EpochMetricsCodec,
  formatNumber,
  formatPercent,
  JsonNumberCodec,
  markdownTable,
} from "../report/tables.js";
import { type ConfigError, configError } from "./codecs.js";
import {
  decodeSearchConfig,
  encodeConfigFile,
  type LogRange,
  type RunConfig,
  type SearchConfig,
} from "./config.js";
import { attempt, type ExperimentError, ensureDirectory, fail, orFail } from "./errors.js";
import type { EventListener } from "./events.js";
import { runSettingsTable, writeFigure, writeRunPlots } from "./reporting.js";
import {
  createSession,
  lossFor,
  type RunnerOptions,
  trainInSession,
  withOverrides,
} from "./session.js";

/** File names inside a search folder. */
export const SEARCH_FILES = { config: "search.json", log: "trials.jsonl" } as const;

/** A deterministic share of a search's trials: trial t belongs to shard `t mod count`. */
export interface Shard {
  /** 0-based shard index, in [0, count). */
  readonly index: number;
  readonly count: number;
}

/**
 * Parses `"i/n"` (0-based i < n, e.g. `"0/4"`; a SLURM array's `$SLURM_ARRAY_TASK_ID/$N` or a
 * Kubernetes indexed job's `$JOB_COMPLETION_INDEX/$N`).
 */
export function parseShard(text: string): E.Either<ConfigError, Shard> {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : Number.NaN;
  const count = match ? Number(match[2]) : Number.NaN;
  return match && count >= 1 && index < count
    ? E.right({ index, count })
    : E.left(
        configError([
          {
            path: "shard",
            message: `must be "i/n" with 0 <= i < n (0-based), got ${JSON.stringify(text)}`,
          },
        ]),
      );
}

/** The trial indices a shard runs, in order. */
export function shardTrials(trials: number, shard: Shard = { index: 0, count: 1 }): number[] {
  return Array.from({ length: trials }, (_, trial) => trial).filter(
    (trial) => trial % shard.count === shard.index,
  );
}

const logUniform = (range: LogRange, u: number): number =>
  Math.exp(Math.log(range.min) + u * (Math.log(range.max) - Math.log(range.min)));

/**
 * Trial `trial`'s hyper-parameters: η and λ drawn log-uniformly from the config's ranges with a
 * key derived only from `config.seed` and `trial`, so every shard and every resume agrees.
 */
export function sampleTrial(
  config: SearchConfig,
  trial: number,
): { learningRate: number; lambda: number } {
  const [u1, u2] = uniform(foldIn(key(config.seed), trial), [2], {
    dtype: "float64",
  }).toTypedArray();
  return {
    learningRate: logUniform(config.learningRate, u1!),
    lambda: logUniform(config.lambda, u2!),
  };
}

/** The run config of a trial: the base with its η (as `optimizer.learningRate`) and λ. */
export function trialConfig(config: SearchConfig, trial: number): RunConfig {
  const { learningRate, lambda } = sampleTrial(config, trial);
  return { ...config.base, optimizer: { ...config.base.optimizer, learningRate }, lambda };
}

const DataSourceCodec = t.union([
  t.type({ kind: t.literal("real"), description: t.string }),
  t.type({ kind: t.literal("synthetic"), reason: t.string }),
]);

/** The codec of one line of `trials.jsonl`. */
export const TrialRecordCodec = t.type({
  trial: t.number,
  learningRate: t.number,
  lambda: t.number,
  status: t.keyof({ completed: null, diverged: null }),
  divergedAtEpoch: t.union([t.number, t.undefined]),
  epochs: t.array(EpochMetricsCodec),
  final: t.union([
    t.type({
      trainAccuracy: JsonNumberCodec,
      validationAccuracy: JsonNumberCodec,
      testAccuracy: JsonNumberCodec,
      testLoss: JsonNumberCodec,
    }),
    t.undefined,
  ]),
  data: DataSourceCodec,
  backend: t.string,
});

/** One finished trial as logged: its η and λ, how it ended, per-epoch metrics and final accuracies. */
export type TrialRecord = t.TypeOf<typeof TrialRecordCodec>;

/** Validation accuracy used for ranking; diverged trials rank last. */
const rankScore = (record: TrialRecord): number =>
  record.status === "completed" && record.final
    ? record.final.validationAccuracy
    : Number.NEGATIVE_INFINITY;

/** Records sorted by validation accuracy, best first (diverged last, ties by trial index). */
export function rankTrials(records: readonly TrialRecord[]): TrialRecord[] {
  return [...records].sort((a, b) => rankScore(b) - rankScore(a) || a.trial - b.trial);
}

/** Reads a search log, ignoring a torn last line; a missing log is empty. */
function readLog(path: string): TE.TaskEither<ExperimentError, TrialRecord[]> {
  return async () => {
    const lines = await readJsonLines(path, TrialRecordCodec)();
    if (E.isLeft(lines))
      return lines.left._tag === "ReadFileError" && lines.left.code === "ENOENT"
        ? E.right([])
        : lines;
    return E.right([...lines.right.values]);
  };
}

/** Reads and decodes a search folder's `search.json`. */
function readSearchConfig(path: string): TE.TaskEither<ExperimentError, SearchConfig> {
  return async () => {
    const json = await readJsonFile(path);
    if (E.isLeft(json))
      return E.left({
        _tag: "InvalidResults",
        path,
        message: `cannot read the search config ${path}: ${json.left}`,
      });
    return decodeSearchConfig(json.right);
  };
}

const searchConfigText = (config: SearchConfig): string =>
  `${JSON.stringify(encodeConfigFile({ kind: "search", config }), null, 2)}\n`;

/** Options of {@link runSearch}. */
export interface SearchOptions extends RunnerOptions {
  /** Continue the search in `outDir`: trials already in its log are not run again. */
  readonly resume?: boolean;
  /** Run only this shard's trials (default: all). */
  readonly shard?: Shard;
}

/** What a search call produced. */
export interface SearchResult {
  readonly status: "completed" | "aborted";
  readonly outDir: string;
  readonly reportPath: string;
  /** Every trial in the log (this shard's), ranked by validation accuracy. */
  readonly trials: readonly TrialRecord[];
  /** Trial indices of this shard not (yet) in the log. */
  readonly missing: readonly number[];
}

/**
 * Runs a random search into `options.outDir`. Each finished trial is appended as one line to
 * `trials.jsonl` (fsynced; a crash leaves at most a torn last line, which readers ignore), so
 * `resume: true` skips finished trials and re-runs at most the interrupted one. With `shard`
 * only trials t with t mod n = i run, so n machines together cover every trial exactly once;
 * {@link mergeSearch} builds one report from their folders. A diverged trial is logged as
 * diverged and the search goes on. The report (`report.md`: all trials ranked by validation
 * accuracy, plots of the best `keepBest`, a scatter of validation accuracy over η and λ) is
 * written at the end and when aborted. Overrides in `options` apply to `config.base`.
 *
 * @returns the result, or an {@link ExperimentError}: the folder already holds a log and
 *   `resume` is off, or holds a different search; data, loss module, write errors.
 */
export function runSearch(
  config: SearchConfig,
  options: SearchOptions,
): TE.TaskEither<ExperimentError, SearchResult> {
  return attempt(async () => {
    const search: SearchConfig = { ...config, base: withOverrides(config.base, options) };
    const shard = options.shard ?? { index: 0, count: 1 };
    if (
      !(
        Number.isInteger(shard.count) &&
        shard.count >= 1 &&
        Number.isInteger(shard.index) &&
        shard.index >= 0 &&
        shard.index < shard.count
      )
    )
      fail(
        configError([
          {
            path: "shard",
            message: `must satisfy 0 <= index < count, got ${shard.index}/${shard.count}`,
          },
        ]),
      );
    lossFor(search.base.loss, options);
    const { outDir } = options;
    const logPath = join(outDir, SEARCH_FILES.log);
    const configPath = join(outDir, SEARCH_FILES.config);

    const existing = await orFail(readLog(logPath));
    if (existing.length > 0 && !options.resume)
      fail({
        _tag: "InvalidResults",
        path: logPath,
        message: `${logPath} already holds ${existing.length} finished trials; resume the search or choose another folder`,
      });
    if (options.resume && existing.length > 0) {
      const previous = await orFail(readSearchConfig(configPath));
      if (searchConfigText(previous) !== searchConfigText(search))
        fail({
          _tag: "InvalidResults",
          path: configPath,
          message: `${configPath} describes a different search than the one being resumed; resume with the same config and overrides`,
        });
    }

    const session = createSession(options);
    await session.data({
      data: search.base.data,
      split: search.base.split,
      synthetic: search.base.synthetic,
    });
    await ensureDirectory(outDir);
    await orFail(writeFileAtomic(configPath, searchConfigText(search)));

    const mine = shardTrials(search.trials, shard);
    const done = new Set(existing.map((record) => record.trial));
    const pending = mine.filter((trial) => !done.has(trial));
    session.emit({
      type: "search-started",
      trials: search.trials,
      pending,
      finished: mine.filter((trial) => done.has(trial)),
    });

    const records = [...existing];
    for (const trial of pending) {
      if (options.signal?.aborted) break;
      const runConfig = trialConfig(search, trial);
      session.emit({
        type: "trial-started",
        trial,
        trials: search.trials,
        learningRate: runConfig.optimizer.learningRate,
        lambda: runConfig.lambda,
      });
      const position = { run: trial + 1, runs: search.trials, name: `trial ${trial}`, group: "" };
      const { outcome, backend, data } = await trainInSession(session, runConfig, position);
      if (outcome.status === "aborted") break;
      const record: TrialRecord = {
        trial,
        learningRate: runConfig.optimizer.learningRate,
        lambda: runConfig.lambda,
        status: outcome.status,
        divergedAtEpoch: outcome.divergedAtEpoch,
        epochs: [...outcome.epochs],
        final: outcome.final,
        data: data.source,
        backend: backend.name,
      };
      await orFail(appendLine(logPath, JSON.stringify(TrialRecordCodec.encode(record))));
      records.push(record);
      session.emit({ type: "trial-finished", trial, trials: search.trials, record });
    }

    const aborted = options.signal?.aborted ?? false;
    const reportPath = await writeSearchReport(outDir, search, records, session.emit);
    session.emit({ type: "report-written", directory: outDir, reportPath });
    if (aborted) session.emit({ type: "aborted" });
    const finished = new Set(records.map((record) => record.trial));
    return {
      status: aborted ? "aborted" : "completed",
      outDir,
      reportPath,
      trials: rankTrials(records),
      missing: mine.filter((trial) => !finished.has(trial)),
    } as const;
  });
}

/** The log path of a search folder or log file argument. */
const logPathOf = (path: string): string =>
  basename(path) === SEARCH_FILES.log ? path : join(path, SEARCH_FILES.log);

/** What {@link mergeSearch} produced. */
export interface MergeResult {
  readonly outDir: string;
  readonly reportPath: string;
  readonly trials: readonly TrialRecord[];
  /** Trial indices found in no log. */
  readonly missing: readonly number[];
}

/**
 * Merges the logs of several shards (or partial runs) of one search into `outDir`: checks that
 * every folder's `search.json` describes the same search, keeps one record per trial index,
 * writes the merged `search.json`, `trials.jsonl` and the report. Each argument is a search
 * folder or its `trials.jsonl`.
 *
 * @returns the merged trials and the indices still missing, or an {@link ExperimentError} for
 *   unreadable logs or logs of different searches.
 */
export function mergeSearch(
  logPaths: readonly string[],
  outDir: string,
  onEvent?: EventListener,
): TE.TaskEither<ExperimentError, MergeResult> {
  return attempt(async () => {
    if (logPaths.length === 0)
      fail({ _tag: "InvalidResults", path: outDir, message: "no search logs to merge" });
    let config: SearchConfig | undefined;
    const byTrial = new Map<number, TrialRecord>();
    for (const path of logPaths) {
      const log = logPathOf(path);
      const configPath = join(dirname(log), SEARCH_FILES.config);
      const own = await orFail(readSearchConfig(configPath));
      if (config && searchConfigText(config) !== searchConfigText(own))
        fail({
          _tag: "InvalidResults",
          path: configPath,
          message: `${configPath} describes a different search than ${logPaths[0]}; only shards of one search can be merged`,
        });
      config ??= own;
      for (const record of await orFail(readLog(log)))
        if (!byTrial.has(record.trial)) byTrial.set(record.trial, record);
    }
    const search = config!;
    const records = [...byTrial.values()].sort((a, b) => a.trial - b.trial);
    await ensureDirectory(outDir);
    await orFail(writeFileAtomic(join(outDir, SEARCH_FILES.config), searchConfigText(search)));
    await orFail(
      writeFileAtomic(
        join(outDir, SEARCH_FILES.log),
        records.map((record) => `${JSON.stringify(TrialRecordCodec.encode(record))}\n`).join(""),
      ),
    );
    const emit: EventListener = (event) => onEvent?.(event);
    const reportPath = await writeSearchReport(outDir, search, records, emit);
    emit({ type: "report-written", directory: outDir, reportPath });
    return {
      outDir,
      reportPath,
      trials: rankTrials(records),
      missing: shardTrials(search.trials).filter((trial) => !byTrial.has(trial)),
    };
  });
}

/**
 * The run config of the best finished trial of a search folder: its base with the trial's η and
 * λ. Use it for the final run (e.g. edit the split and epochs, as A2's final run does).
 */
export function bestTrialConfig(
  searchDir: string,
): TE.TaskEither<ExperimentError, { trial: TrialRecord; config: RunConfig }> {
  return attempt(async () => {
    const config = await orFail(readSearchConfig(join(searchDir, SEARCH_FILES.config)));
    const best = rankTrials(await orFail(readLog(join(searchDir, SEARCH_FILES.log)))).find(
      (record) => record.status === "completed",
    );
    if (!best)
      fail({
        _tag: "InvalidResults",
        path: searchDir,
        message: `${searchDir} has no completed trial`,
      });
    return { trial: best, config: trialConfig(config, best.trial) };
  });
}

const percentOrDash = (value: number | undefined) =>
  value === undefined ? "—" : formatPercent(value);

/**
 * Writes a search's report into `directory`: `report.md` with every trial ranked by validation
 * accuracy, loss/cost/accuracy plots of the best `keepBest` trials (folders `best-1`, …), and the
 * scatter of validation accuracy over η and λ. Plot failures become warnings.
 *
 * @returns the path of `report.md`.
 */
export async function writeSearchReport(
  directory: string,
  config: SearchConfig,
  records: readonly TrialRecord[],
  warn: EventListener,
): Promise<string> {
  const ranked = rankTrials(records);
  const completed = ranked.filter((record) => record.status === "completed" && record.final);
  const sources = [
    ...new Map(records.map((record) => [JSON.stringify(record.data), record.data])).values(),
  ];
  const finished = new Set(records.map((record) => record.trial));
  const missing = shardTrials(config.trials).filter((trial) => !finished.has(trial));

  const table = markdownTable(
    ["rank", "trial", "η", "λ", "status", "validation acc.", "train acc.", "test acc."],
    ranked.map((record, index) => [
      String(index + 1),
      String(record.trial),
      formatNumber(record.learningRate),
      formatNumber(record.lambda),
      record.status === "diverged" ? `diverged (epoch ${record.divergedAtEpoch})` : record.status,
      percentOrDash(record.final?.validationAccuracy),
      percentOrDash(record.final?.trainAccuracy),
      percentOrDash(record.final?.testAccuracy),
    ]),
    { align: ["right", "right", "right", "right", "left", "right", "right", "right"] },
  );

  const bestSections: string[] = [];
  for (const [index, record] of completed.slice(0, config.keepBest).entries()) {
    const folder = `best-${index + 1}`;
    await ensureDirectory(join(directory, folder));
    const title = `#${index + 1}: trial ${record.trial}, η = ${formatNumber(record.learningRate)}, λ = ${formatNumber(record.lambda)}`;
    const plots = await writeRunPlots(join(directory, folder), title, record.epochs, warn);
    bestSections.push(
      markdownSection(
        title,
        [
          `Validation ${percentOrDash(record.final?.validationAccuracy)}, test ${percentOrDash(record.final?.testAccuracy)}.`,
          ...plots.map((plot) => markdownImage(`${title}: ${plot}`, `${folder}/${plot}.png`)),
        ],
        3,
      ),
    );
  }

  const scatter =
    completed.length > 0 &&
    (await writeFigure(
      directory,
      "scatter",
      () =>
        renderSearchScatter({
          title: `${config.title}: validation accuracy over η and λ`,
          trials: completed.map((record) => ({
            learningRate: record.learningRate,
            regularization: record.lambda,
            validationAccuracy: record.final!.validationAccuracy,
          })),
        })(),
      warn,
    ));

  const range = (name: string, r: LogRange) =>
    `${name} ∈ [${formatNumber(r.min)}, ${formatNumber(r.max)}] (log-uniform)`;
  const blocks = [
    ...sources.map(dataSourceBanner),
    ...(config.description ? [config.description] : []),
    `${records.length} of ${config.trials} trials finished` +
      (missing.length > 0 ? ` (missing: ${missing.join(", ")})` : "") +
      `; ${range("η", config.learningRate)}, ${range("λ", config.lambda)}, sampling seed ${config.seed}.`,
    markdownSection("Trials, best first", [table]),
    ...(bestSections.length > 0
      ? [markdownSection(`Best ${bestSections.length}`, bestSections)]
      : []),
    ...(scatter
      ? [
          markdownSection("Validation accuracy over η and λ", [
            markdownImage("search scatter", "scatter.png"),
          ]),
        ]
      : []),
    markdownSection("Base settings (η and λ come from each trial)", [
      runSettingsTable(config.base),
    ]),
    markdownSection("Search settings", [
      settingsTable(
        {
          trials: config.trials,
          learningRate: config.learningRate as unknown as SettingValue,
          lambda: config.lambda as unknown as SettingValue,
          keepBest: config.keepBest,
        },
        config.seed,
      ),
      `Files: \`${SEARCH_FILES.config}\` (the search), \`${SEARCH_FILES.log}\` (one line per finished trial).`,
    ]),
  ];
  await orFail(writeReport(directory, reportDocument(config.title, blocks)));
  return join(directory, "report.md");
}

/** Reads a search folder back (for `rebuildReport`). */
export async function readSearchFolder(
  directory: string,
): Promise<{ config: SearchConfig; records: TrialRecord[] }> {
  const config = await orFail(readSearchConfig(join(directory, SEARCH_FILES.config)));
  const records = await orFail(readLog(join(directory, SEARCH_FILES.log)));
  return { config, records };
}
