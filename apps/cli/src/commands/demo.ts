/** `puregrad demo` (what `pnpm start` runs): a short A1 experiment with its report. */
import type { CommandContext } from "../context.js";
import { experimentCommand } from "./experiment.js";

/** Epochs per run of the demo: enough to see the loss fall, few enough for well under a minute. */
const DEMO_EPOCHS = 2;

/**
 * Runs preset `a1` (four runs and two gradient checks) with {@link DEMO_EPOCHS} epochs per run,
 * on real CIFAR-10 when it is found and the synthetic stand-in otherwise (with a banner saying
 * so), into `--out` (default `runs/demo`), and prints where the report is.
 */
export async function demoCommand(context: CommandContext): Promise<void> {
  context.output.info(
    `puregrad demo: preset a1 (one-layer softmax classifier, four (λ, η) settings) for ${DEMO_EPOCHS} epochs per run instead of 40.`,
  );
  const withDefaultOut: CommandContext = {
    ...context,
    options: { ...context.options, out: context.options.out ?? "runs/demo" },
  };
  await experimentCommand(withDefaultOut, {
    name: "a1",
    list: false,
    exportConfig: undefined,
    epochs: DEMO_EPOCHS,
  });
  context.output.info(
    "Next: `puregrad experiment --list` for every experiment of the course, `puregrad experiment a1` for the full 40 epochs.",
  );
}
