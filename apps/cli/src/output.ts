/**
 * Everything the CLI prints goes through {@link Output}: results on stdout (human text, or one
 * JSON object per line under `--json`), and messages and progress on stderr, so that stdout
 * can be piped into another program whatever the verbosity.
 */

/** A stream the output writes to; `isTTY` and `columns` decide how progress is drawn. */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Options of {@link Output}. */
export interface OutputOptions {
  /** Print nothing on stderr but warnings and errors (no progress, no info). */
  readonly quiet?: boolean;
  /** Also print debug lines and stack traces of unexpected errors. */
  readonly verbose?: boolean;
  /** Results and events as JSON lines on stdout instead of text. */
  readonly json?: boolean;
  readonly stdout?: OutputStream;
  readonly stderr?: OutputStream;
  /** Milliseconds between plain progress lines when stderr is not a terminal (default 2000). */
  readonly plainProgressIntervalMs?: number;
  /** Clock in milliseconds (default `performance.now`); injectable for tests. */
  readonly now?: () => number;
}

/** One state of a progress display. */
export interface ProgressUpdate {
  /** Work done, in any unit (bytes, epochs, trials); may be fractional. */
  readonly completed: number;
  /** Total work in the same unit, or `null` when unknown (no bar, no ETA). */
  readonly total: number | null;
  /** What is being done now, e.g. `run 3/50 · epoch 4/10`. */
  readonly label?: string;
  /** Latest numbers to show, e.g. `{ loss: "1.234", acc: "45.6%" }`. */
  readonly fields?: Readonly<Record<string, string>>;
}

/** A live progress display started by {@link Output.progress}. */
export interface Progress {
  update(state: ProgressUpdate): void;
  /** Removes the live line (terminal) and prints `summary` as a normal info line, if given. */
  finish(summary?: string): void;
}

const BAR_WIDTH = 24;
const REDRAW_INTERVAL_MS = 100;

/**
 * The CLI's printer. Results go to stdout; info, warnings, debug lines and progress to stderr.
 * On a terminal, progress is one line redrawn in place (at most every 100 ms); elsewhere it is a
 * plain line every `plainProgressIntervalMs` and at the end, so logs stay readable.
 */
export class Output {
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly json: boolean;
  readonly #stdout: OutputStream;
  readonly #stderr: OutputStream;
  readonly #plainIntervalMs: number;
  readonly #now: () => number;
  /** The live progress line on the terminal, to be cleared before any other stderr text. */
  #liveLine = "";

  constructor(options: OutputOptions = {}) {
    this.quiet = options.quiet ?? false;
    this.verbose = options.verbose ?? false;
    this.json = options.json ?? false;
    this.#stdout = options.stdout ?? process.stdout;
    this.#stderr = options.stderr ?? process.stderr;
    this.#plainIntervalMs = options.plainProgressIntervalMs ?? 2000;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * A result of the command: `human` on stdout, or under `--json` the object `{ type, ...data }`
   * as one line.
   */
  result(type: string, data: Readonly<Record<string, unknown>>, human: string): void {
    if (this.json) this.#stdout.write(`${JSON.stringify({ type, ...data })}\n`);
    else this.#stdout.write(human.endsWith("\n") ? human : `${human}\n`);
  }

  /** A machine-readable event (epoch, trial, download): one JSON line under `--json`, else nothing. */
  event(type: string, data: Readonly<Record<string, unknown>>): void {
    if (this.json) this.#stdout.write(`${JSON.stringify({ type, ...data })}\n`);
  }

  /** A message for the person at the terminal (stderr), silenced by `--quiet`. */
  info(text: string): void {
    if (!this.quiet) this.#message(text);
  }

  /** A message that must be seen even under `--quiet` (e.g. the synthetic-data banner). */
  warn(text: string): void {
    this.#message(text);
  }

  /** A detail shown only under `--verbose`. */
  debug(text: string): void {
    if (this.verbose) this.#message(text);
  }

  /** An error paragraph on stderr. */
  error(text: string): void {
    this.#message(text);
  }

  /** Starts a progress display titled `title` (nothing is drawn under `--quiet`). */
  progress(title: string): Progress {
    if (this.quiet) return { update: () => undefined, finish: () => undefined };
    const started = this.#now();
    const terminal = this.#stderr.isTTY === true;
    let lastDraw = Number.NEGATIVE_INFINITY;
    let pending: ProgressUpdate | undefined;
    const render = (state: ProgressUpdate): string =>
      formatProgress(title, state, this.#now() - started, terminal);
    return {
      update: (state) => {
        const now = this.#now();
        const done = state.total !== null && state.completed >= state.total;
        const interval = terminal ? REDRAW_INTERVAL_MS : this.#plainIntervalMs;
        pending = state;
        // A log gains nothing from a 0 % line; a terminal shows the bar at once.
        if (!terminal && state.completed === 0 && state.total !== null) return;
        if (!done && now - lastDraw < interval) return;
        lastDraw = now;
        pending = undefined;
        if (terminal) this.#drawLive(fitWidth(render(state), this.#stderr.columns));
        else this.#stderr.write(`${render(state)}\n`);
      },
      finish: (summary) => {
        // A plain log keeps the last state it had not printed yet, so it ends on the real count.
        if (!terminal && pending !== undefined) this.#stderr.write(`${render(pending)}\n`);
        pending = undefined;
        if (terminal) this.#drawLive("");
        if (summary !== undefined) this.info(summary);
      },
    };
  }

  #message(text: string): void {
    const live = this.#liveLine;
    if (live !== "") this.#drawLive("");
    this.#stderr.write(text.endsWith("\n") ? text : `${text}\n`);
    if (live !== "") this.#drawLive(live);
  }

  #drawLive(line: string): void {
    this.#stderr.write(`\r\x1b[2K${line}`);
    this.#liveLine = line;
  }
}

/**
 * One progress line: `title [█████░░░░░] 40% label · loss 1.23 · 00:12 elapsed, ETA 00:18`.
 * The bar is drawn only on a terminal; the ETA assumes the remaining work goes at the average
 * rate so far.
 */
export function formatProgress(
  title: string,
  state: ProgressUpdate,
  elapsedMs: number,
  withBar: boolean,
): string {
  const parts: string[] = [title];
  const { completed, total } = state;
  if (total !== null && total > 0) {
    const fraction = Math.min(1, Math.max(0, completed / total));
    if (withBar) {
      const filled = Math.round(fraction * BAR_WIDTH);
      parts.push(`[${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}]`);
    }
    parts.push(`${Math.floor(fraction * 100)}%`.padStart(4));
  }
  const details = [
    ...(state.label ? [state.label] : []),
    ...Object.entries(state.fields ?? {}).map(([name, value]) => `${name} ${value}`),
    `${formatDuration(elapsedMs)} elapsed`,
  ];
  if (total !== null && total > 0 && completed > 0 && completed < total) {
    details.push(`ETA ${formatDuration((elapsedMs * (total - completed)) / completed)}`);
  }
  return `${parts.join(" ")} ${details.join(" · ")}`;
}

/** `mm:ss`, or `h:mm:ss` from an hour on. */
export function formatDuration(milliseconds: number): string {
  const totalSeconds = Math.max(0, Math.round(milliseconds / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const two = (value: number) => String(value).padStart(2, "0");
  return hours > 0 ? `${hours}:${two(minutes)}:${two(seconds)}` : `${two(minutes)}:${two(seconds)}`;
}

/** `1.5 MB`-style sizes in powers of 1000 (what download sites show). */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Cuts a live line to the terminal width so that it never wraps (a wrapped line cannot be redrawn). */
function fitWidth(line: string, columns: number | undefined): string {
  // A pseudo-terminal may report 0 columns (e.g. under `script`): assume the classic 80.
  const width = (columns !== undefined && columns >= 20 ? columns : 80) - 1;
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}
