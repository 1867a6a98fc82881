/** Ctrl-C handling: the first SIGINT asks the runners to stop, the second one exits at once. */
import { ExitCode } from "./errors.js";
import type { Output } from "./output.js";

/** A cancellation scope for one command. */
export interface Interruption {
  /** Aborted on the first Ctrl-C; runners check it between steps and return cleanly. */
  readonly signal: AbortSignal;
  /** Removes the handler (restoring Node's default: exit on SIGINT). */
  dispose(): void;
}

/**
 * Installs the SIGINT (and SIGTERM) handler for a command. The first signal aborts the returned
 * signal so that the runner stops after its current step and every file it wrote stays whole;
 * a second SIGINT exits immediately with code 130 (files written atomically are still whole, a
 * run in progress is simply not recorded).
 */
export function handleInterrupts(output: Output): Interruption {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      output.error("Interrupted again: exiting now.");
      process.exit(ExitCode.interrupted);
    }
    output.warn(
      `${signal === "SIGINT" ? "Ctrl-C" : signal}: stopping after the current step (press Ctrl-C again to exit at once).`,
    );
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
