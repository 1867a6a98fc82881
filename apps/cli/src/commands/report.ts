/** `puregrad report DIR`: rebuild a report from the logs of an experiment or a search. */
import { resolve } from "node:path";
import { rebuildReport } from "@puregrad/cifar";
import * as E from "fp-ts/lib/Either.js";
import type { CommandContext } from "../context.js";
import { experimentError, rendererFor } from "../runner.js";

/** Options of {@link reportCommand}. */
export interface ReportOptions {
  /** An experiment folder (with `results.json`) or a search folder (with `search.json`). */
  readonly dir: string;
}

/**
 * Rewrites `report.md`, the tables and the plots of a folder from its machine-readable records
 * (`results.json` and saved parameters, or `search.json` and `trials.jsonl`); nothing is re-run.
 * @throws CliError (exit 1) when the folder holds neither record or a record does not decode
 */
export async function reportCommand(
  context: CommandContext,
  options: ReportOptions,
): Promise<void> {
  const directory = resolve(options.dir);
  const renderer = rendererFor(context);
  const result = await rebuildReport(directory, renderer.onEvent)();
  renderer.close();
  if (E.isLeft(result)) throw experimentError(result.left);
  context.output.result(
    "report",
    { outDir: directory, reportPath: result.right },
    `Report: ${result.right}`,
  );
}
