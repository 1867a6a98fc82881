/** Running a preset by name, and rebuilding a report folder from its machine-readable record. */
import { access } from "node:fs/promises";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { readJsonFile } from "../report/files.js";
import { attempt, type ExperimentError, fail } from "./errors.js";
import type { EventListener } from "./events.js";
import { type ExperimentResult, runExperimentConfig } from "./experiment.js";
import { presetByName } from "./presets.js";
import { writeExperimentReport } from "./reporting.js";
import {
  readSearchFolder,
  runSearch,
  SEARCH_FILES,
  type SearchOptions,
  type SearchResult,
  writeSearchReport,
} from "./search.js";
import { ExperimentSummaryCodec, RESULTS_FILE } from "./summary.js";

/** The result of {@link runExperiment}: an experiment's or a search's. */
export type PresetResult =
  | { readonly kind: "experiment"; readonly result: ExperimentResult }
  | { readonly kind: "search"; readonly result: SearchResult };

/**
 * Runs a built-in preset by name (see `listPresets`): an experiment with
 * `runExperimentConfig`, a search with `runSearch` (where `resume` and `shard` apply).
 *
 * @returns the result, or an {@link ExperimentError} (`UnknownPreset` for a name that is not one).
 * @example
 * const outcome = await runExperiment("a1", { outDir: "reports/a1", data: "auto", onEvent: draw })();
 */
export function runExperiment(
  name: string,
  options: SearchOptions,
): TE.TaskEither<ExperimentError, PresetResult> {
  return async () => {
    const preset = presetByName(name);
    if (E.isLeft(preset)) return preset;
    if (preset.right.kind === "search") {
      const result = await runSearch(preset.right.config, options)();
      return E.map(
        (searchResult: SearchResult) => ({ kind: "search", result: searchResult }) as const,
      )(result);
    }
    const result = await runExperimentConfig(preset.right.config, options)();
    return E.map(
      (experimentResult: ExperimentResult) =>
        ({ kind: "experiment", result: experimentResult }) as const,
    )(result);
  };
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Rebuilds the report of a folder written by an experiment or a search, from its logs alone:
 * `results.json` (experiments: tables, plots, weight images from `params.safetensors`) or
 * `search.json` + `trials.jsonl` (searches). Nothing is trained.
 *
 * @returns the path of the rewritten `report.md`, or an {@link ExperimentError} when the folder
 *   holds neither record or a record does not decode.
 */
export function rebuildReport(
  directory: string,
  onEvent?: EventListener,
): TE.TaskEither<ExperimentError, string> {
  return attempt(async () => {
    const emit: EventListener = (event) => onEvent?.(event);
    const resultsPath = join(directory, RESULTS_FILE);
    if (await exists(resultsPath)) {
      const json = await readJsonFile(resultsPath);
      if (E.isLeft(json))
        fail({
          _tag: "InvalidResults",
          path: resultsPath,
          message: `cannot read ${resultsPath}: ${json.left}`,
        });
      const summary = ExperimentSummaryCodec.decode(json.right);
      if (E.isLeft(summary))
        fail({
          _tag: "InvalidResults",
          path: resultsPath,
          message: `${resultsPath} is not a puregrad experiment record`,
        });
      const reportPath = await writeExperimentReport(directory, summary.right, emit);
      emit({ type: "report-written", directory, reportPath });
      return reportPath;
    }
    if (await exists(join(directory, SEARCH_FILES.config))) {
      const { config, records } = await readSearchFolder(directory);
      const reportPath = await writeSearchReport(directory, config, records, emit);
      emit({ type: "report-written", directory, reportPath });
      return reportPath;
    }
    return fail({
      _tag: "InvalidResults",
      path: directory,
      message: `${directory} holds neither ${RESULTS_FILE} (an experiment) nor ${SEARCH_FILES.config} (a search)`,
    });
  });
}
