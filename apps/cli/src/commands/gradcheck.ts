/** `puregrad gradcheck`: autograd against finite differences, as tables. */
import {
  type GradientCheckConfig,
  listPresets,
  presetByName,
  runGradientChecks,
} from "@puregrad/cifar";
import * as E from "fp-ts/lib/Either.js";
import type { CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import {
  checkOutcome,
  configDirectory,
  experimentError,
  lossForRunners,
  readConfig,
  rendererFor,
  runnerOptionsFor,
} from "../runner.js";

/** Options of {@link gradcheckCommand}. */
export interface GradcheckOptions {
  /** Run only this preset's gradient checks. */
  readonly preset: string | undefined;
  /** Run the gradient checks of this experiment config. */
  readonly config: string | undefined;
}

/** The gradient checks of every experiment preset, in preset order. */
function allPresetChecks(): GradientCheckConfig[] {
  return listPresets().flatMap((info) => {
    const preset = presetByName(info.name);
    return E.isRight(preset) && preset.right.kind === "experiment"
      ? preset.right.config.gradientChecks.map((check) => ({
          ...check,
          name: `${info.name}: ${check.name}`,
        }))
      : [];
  });
}

/**
 * Runs gradient checks (float64, centered and forward differences against autograd) and prints
 * one Markdown table per check on stdout: every preset's checks by default, one preset's, or an
 * experiment config's `gradientChecks`. Nothing is written to disk.
 * @throws CliError: exit 2 for an unknown preset or a config without gradient checks, 1 when a
 *   check fails
 */
export async function gradcheckCommand(
  context: CommandContext,
  options: GradcheckOptions,
): Promise<void> {
  if (options.preset !== undefined && options.config !== undefined)
    throw usageError("give a preset or --config, not both.");
  let checks: readonly GradientCheckConfig[];
  let directory = process.cwd();
  if (options.config !== undefined) {
    const file = await readConfig(options.config);
    if (file.kind !== "experiment" || file.config.gradientChecks.length === 0)
      throw usageError(`${options.config} has no gradientChecks (only experiment configs do).`);
    checks = file.config.gradientChecks;
    directory = configDirectory(options.config);
  } else if (options.preset !== undefined) {
    const preset = presetByName(options.preset);
    if (E.isLeft(preset)) throw experimentError(preset.left);
    checks = preset.right.kind === "experiment" ? preset.right.config.gradientChecks : [];
    if (checks.length === 0) {
      const withChecks = listPresets()
        .filter((info) => {
          const found = presetByName(info.name);
          return (
            E.isRight(found) &&
            found.right.kind === "experiment" &&
            found.right.config.gradientChecks.length > 0
          );
        })
        .map((info) => info.name);
      throw usageError(
        `preset ${options.preset} has no gradient checks; these do: ${withChecks.join(", ")}.`,
      );
    }
  } else {
    checks = allPresetChecks();
  }
  const loss = await lossForRunners(
    context,
    checks.map((check) => check.loss),
    directory,
  );
  const renderer = rendererFor(context, true);
  const { outDir: _unused, ...runnerOptions } = runnerOptionsFor(context, "", loss, renderer);
  const result = await runGradientChecks(checks, runnerOptions)();
  renderer.close();
  if (E.isLeft(result)) throw experimentError(result.left);
  const passed = result.right.filter((check) => check.pass).length;
  context.output.result(
    "gradcheck",
    { checks: result.right.length, passed },
    `${passed} of ${result.right.length} gradient checks passed (float64; autograd vs centered differences, EXPERIMENTS.md's rule).`,
  );
  checkOutcome(context, renderer.tally());
}
