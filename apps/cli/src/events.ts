/**
 * Turns the runners' {@link ExperimentEvent}s into what a person sees (progress bars, banners,
 * one line per finished run) and, under `--json`, into one JSON object per line on stdout.
 */
import type { ExperimentEvent } from "@puregrad/cifar";
import type { Output, Progress } from "./output.js";

/** Options of {@link eventRenderer}. */
export interface EventRendererOptions {
  /** Print each finished gradient check's table on stdout (the `gradcheck` command). */
  readonly gradientCheckTables?: boolean;
}

/** What the renderer has seen, for the command's exit code and closing lines. */
export interface EventTally {
  readonly runsFinished: number;
  readonly runsCompleted: number;
  readonly runsDiverged: number;
  readonly gradientChecksFailed: number;
  readonly reportPath: string | undefined;
}

/** A listener for the runners and the tally of what it saw. */
export interface EventRenderer {
  readonly onEvent: (event: ExperimentEvent) => void;
  /** Closes any live progress line. */
  close(): void;
  tally(): EventTally;
}

const percent = (fraction: number): string => `${(100 * fraction).toFixed(1)}%`;
const number = (value: number): string =>
  Number.isFinite(value) ? value.toPrecision(4) : String(value);

/**
 * A listener that draws progress: one bar per training run (epoch i/N, loss, accuracy, ETA), or
 * one bar for a whole search (trial i/N, its epoch, ETA over all pending trials). Real or
 * synthetic data and the backend are always announced with their reasons; a synthetic-data
 * banner is a warning, so `--quiet` does not hide it.
 */
export function eventRenderer(output: Output, options: EventRendererOptions = {}): EventRenderer {
  let progress: Progress | undefined;
  let search: { pending: number; done: number; trial: number; label: string } | undefined;
  let runsFinished = 0;
  let runsCompleted = 0;
  let runsDiverged = 0;
  let gradientChecksFailed = 0;
  let reportPath: string | undefined;
  let syntheticAnnounced = false;

  const closeProgress = (summary?: string) => {
    progress?.finish(summary);
    progress = undefined;
  };

  const onEvent = (event: ExperimentEvent): void => {
    output.event(event.type, withoutType(event));
    switch (event.type) {
      case "data":
        if (event.source.kind === "real") output.info(`Data: CIFAR-10, ${event.description}`);
        else if (!syntheticAnnounced) {
          syntheticAnnounced = true;
          output.warn(
            `⚠ SYNTHETIC DATA: these results are not CIFAR-10 results. ${event.source.reason}`,
          );
        } else output.info(`Data: ${event.description}`);
        return;
      case "backend":
        output.info(`Backend: ${event.name} (${event.reason})`);
        return;
      case "run-started":
        if (search === undefined) {
          closeProgress();
          progress = output.progress(`run ${event.run}/${event.runs} ${event.name}`);
          progress.update({ completed: 0, total: event.epochs, label: `epoch 0/${event.epochs}` });
        }
        return;
      case "epoch": {
        const { metrics } = event;
        const fields = {
          loss: number(metrics.trainLoss),
          "train acc": percent(metrics.trainAccuracy),
          "val acc": percent(metrics.validationAccuracy),
        };
        if (search !== undefined && progress !== undefined) {
          progress.update({
            completed: search.done + metrics.epoch / event.epochs,
            total: search.pending,
            label: `${search.label} · epoch ${metrics.epoch}/${event.epochs}`,
            fields,
          });
        } else {
          progress?.update({
            completed: metrics.epoch,
            total: event.epochs,
            label: `epoch ${metrics.epoch}/${event.epochs}`,
            fields,
          });
        }
        return;
      }
      case "diverged":
        output.warn(`${event.name}: diverged in epoch ${event.epoch} (cost became NaN or ±∞).`);
        return;
      case "run-finished": {
        runsFinished++;
        if (event.status === "completed") runsCompleted++;
        if (event.status === "diverged") runsDiverged++;
        if (search !== undefined) return;
        const final = event.final;
        closeProgress(
          `run ${event.run}/${event.runs} ${event.name}: ${event.status}${
            final === undefined
              ? ""
              : ` · train ${percent(final.trainAccuracy)} · validation ${percent(final.validationAccuracy)} · test ${percent(final.testAccuracy)}`
          }`,
        );
        return;
      }
      case "gradcheck-started":
        output.info(`gradient check ${event.check}/${event.checks}: ${event.name}`);
        return;
      case "gradcheck-row":
        output.debug(`  ${event.row.path}: ${event.row.pass ? "pass" : "FAIL"}`);
        return;
      case "gradcheck-finished":
        if (!event.pass) gradientChecksFailed++;
        if (options.gradientCheckTables)
          output.result(
            "gradcheck-table",
            { name: event.name, pass: event.pass },
            `## ${event.name}: ${event.pass ? "pass" : "FAIL"}\n\n${event.table}\n`,
          );
        else
          output.info(
            `gradient check ${event.name}: ${event.pass ? "pass" : "FAIL (see report.md)"}`,
          );
        return;
      case "search-started":
        closeProgress();
        search = { pending: event.pending.length, done: 0, trial: 0, label: "" };
        output.info(
          `Search: ${event.trials} trials; ${event.finished.length} already finished${event.finished.length > 0 ? " (resumed)" : ""}, ${event.pending.length} to run.`,
        );
        progress = output.progress("search");
        progress.update({ completed: 0, total: event.pending.length });
        return;
      case "trial-started": {
        if (search === undefined) return;
        // Trials keep their 0-based index of the log (and of --shard); "run i/N" counts this call's.
        search.trial = event.trial;
        search.label = `run ${search.done + 1}/${search.pending} · trial ${event.trial} (η=${number(event.learningRate)}, λ=${number(event.lambda)})`;
        progress?.update({ completed: search.done, total: search.pending, label: search.label });
        return;
      }
      case "trial-finished":
        if (search === undefined) return;
        search.done++;
        progress?.update({
          completed: search.done,
          total: search.pending,
          label: `${search.done}/${search.pending} trials done, last: trial ${event.trial} ${event.record.status}`,
        });
        return;
      case "warning":
        output.warn(`warning: ${event.message}`);
        return;
      case "report-written":
        closeProgress();
        reportPath = event.reportPath;
        return;
      case "aborted":
        closeProgress();
        output.warn(
          "Stopped: the files written so far are complete; unfinished work was not recorded.",
        );
        return;
    }
  };

  return {
    onEvent,
    close: () => closeProgress(),
    tally: () => ({ runsFinished, runsCompleted, runsDiverged, gradientChecksFailed, reportPath }),
  };
}

function withoutType(event: ExperimentEvent): Record<string, unknown> {
  const { type: _type, ...rest } = event;
  return rest;
}
