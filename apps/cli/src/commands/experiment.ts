/** `puregrad experiment <name>`: the course's experiments as presets. */
import { access, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { exportPreset, listPresets, presetByName } from "@puregrad/cifar";
import * as E from "fp-ts/lib/Either.js";
import type { CommandContext } from "../context.js";
import { usageError } from "../errors.js";
import { experimentError, outDirFor } from "../runner.js";
import { runSearchWithCli, withTrialEpochs } from "./search.js";
import { runExperimentWithCli, withEpochs } from "./train.js";

/** Options of {@link experimentCommand}. */
export interface ExperimentOptions {
  readonly name: string | undefined;
  /** Print the presets instead of running one. */
  readonly list: boolean;
  /** Write the preset to this file instead of running it. */
  readonly exportConfig: string | undefined;
  /** Replaces the epochs of every run (or search trial). */
  readonly epochs: number | undefined;
}

/**
 * Lists the presets, exports one as an editable config file, or runs one (an experiment or a
 * search) into `--out` (default `runs/<name>`).
 * @throws CliError: exit 2 for an unknown name, a missing name, or an export target that exists
 */
export async function experimentCommand(
  context: CommandContext,
  options: ExperimentOptions,
): Promise<void> {
  const { output } = context;
  if (options.list) {
    const presets = listPresets();
    const width = Math.max(...presets.map((preset) => preset.name.length));
    if (output.json) for (const preset of presets) output.result("preset", { ...preset }, "");
    else
      output.result(
        "presets",
        {},
        presets
          .map(
            (preset) =>
              `${preset.name.padEnd(width)}  ${preset.kind === "search" ? "[search] " : ""}${preset.title}\n${" ".repeat(width + 2)}${preset.description}`,
          )
          .join("\n"),
      );
    return;
  }
  if (options.name === undefined) {
    throw usageError(
      `name a preset to run (${listPresets()
        .map((preset) => preset.name)
        .join(", ")}), or use --list.`,
    );
  }
  const preset = presetByName(options.name);
  if (E.isLeft(preset)) throw experimentError(preset.left);
  if (options.exportConfig !== undefined) {
    await exportTo(context, options.name, options.exportConfig);
    return;
  }
  const outDir = outDirFor(context, options.name);
  const here = process.cwd();
  if (preset.right.kind === "search") {
    await runSearchWithCli(context, withTrialEpochs(preset.right.config, options.epochs), {
      outDir,
      configDirectory: here,
      resume: false,
      shard: undefined,
    });
  } else {
    await runExperimentWithCli(context, withEpochs(preset.right.config, options.epochs), {
      outDir,
      configDirectory: here,
    });
  }
}

/** Writes preset `name` to `path`, refusing to replace an existing file (it may hold edits). */
async function exportTo(context: CommandContext, name: string, path: string): Promise<void> {
  const text = exportPreset(name);
  if (E.isLeft(text)) throw experimentError(text.left);
  const target = resolve(path);
  const exists = await access(target).then(
    () => true,
    () => false,
  );
  if (exists) throw usageError(`${target} already exists; remove it or choose another file name.`);
  await writeFile(target, text.right, { flag: "wx" });
  context.output.result(
    "config-exported",
    { preset: name, path: target },
    `Wrote preset ${name} to ${target}; edit it and run \`puregrad ${text.right.includes('"kind": "search"') ? "search" : "train"} --config ${path}\`.`,
  );
}
