/** Progress events of the runners, for a CLI to draw; the runners print nothing themselves. */
import type { GradientCheckRow } from "@puregrad/autograd";
import type { DataSource } from "../report/markdown.js";
import type { EpochMetrics } from "../report/tables.js";
import type { TrialRecord } from "./search.js";
import type { FinalMetrics } from "./training.js";

/** Identifies a training run within an experiment: run `run` (1-based) of `runs`. */
export interface RunPosition {
  readonly run: number;
  readonly runs: number;
  readonly name: string;
  readonly group: string;
}

/**
 * What a runner reports while it works, in order. Every automatic choice is reported with its
 * reason: `data` (real or synthetic, and why), `backend` (which and why).
 */
export type ExperimentEvent =
  | { readonly type: "data"; readonly source: DataSource; readonly description: string }
  | { readonly type: "backend"; readonly name: string; readonly reason: string }
  | ({ readonly type: "run-started"; readonly epochs: number } & RunPosition)
  | ({
      readonly type: "epoch";
      readonly epochs: number;
      readonly metrics: EpochMetrics;
    } & RunPosition)
  | ({ readonly type: "diverged"; readonly epoch: number } & RunPosition)
  | ({
      readonly type: "run-finished";
      readonly status: "completed" | "diverged" | "aborted";
      readonly final?: FinalMetrics;
    } & RunPosition)
  | {
      readonly type: "gradcheck-started";
      readonly check: number;
      readonly checks: number;
      readonly name: string;
    }
  | {
      readonly type: "gradcheck-row";
      readonly check: number;
      readonly checks: number;
      readonly name: string;
      readonly row: GradientCheckRow;
    }
  | {
      readonly type: "gradcheck-finished";
      readonly check: number;
      readonly checks: number;
      readonly name: string;
      readonly pass: boolean;
      /** The check's table in Markdown. */
      readonly table: string;
    }
  | {
      readonly type: "search-started";
      readonly trials: number;
      /** Trials of this shard still to run, by index. */
      readonly pending: readonly number[];
      /** Trials of this shard already in the log (resume), by index. */
      readonly finished: readonly number[];
    }
  | {
      readonly type: "trial-started";
      readonly trial: number;
      readonly trials: number;
      readonly learningRate: number;
      readonly lambda: number;
    }
  | {
      readonly type: "trial-finished";
      readonly trial: number;
      readonly trials: number;
      readonly record: TrialRecord;
    }
  | { readonly type: "warning"; readonly message: string }
  | { readonly type: "report-written"; readonly directory: string; readonly reportPath: string }
  | { readonly type: "aborted" };

/** Receives {@link ExperimentEvent}s. */
export type EventListener = (event: ExperimentEvent) => void;
