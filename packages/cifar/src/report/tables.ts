/**
 * Per-epoch metrics records and the tables a report shows: CSV, JSONL and Markdown.
 */
import * as t from "io-ts";

/** One epoch's metrics of a training run (losses and costs are batch means; accuracy in [0, 1]). */
export interface EpochMetrics {
  /** 1-based epoch number. */
  readonly epoch: number;
  /** Mean cross-entropy (or SVM) loss on the training split. */
  readonly trainLoss: number;
  /** Loss plus λ · Σ‖W‖² on the training split. */
  readonly trainCost: number;
  /** Fraction of training samples classified correctly, in [0, 1]. */
  readonly trainAccuracy: number;
  readonly validationLoss: number;
  readonly validationCost: number;
  readonly validationAccuracy: number;
  /** Learning rate η used during this epoch, when the run records it (e.g. with decay). */
  readonly learningRate?: number;
}

/** How a number is stored in JSON: itself, or a string for the values JSON cannot represent. */
export type JsonNumber = number | "NaN" | "Infinity" | "-Infinity";

/**
 * io-ts codec for a number that may be non-finite. JSON has no NaN or ±Infinity (a diverged run
 * has them) and `JSON.stringify` would silently turn them into `null`, so they are stored as the
 * strings `"NaN"`, `"Infinity"`, `"-Infinity"` and decoded back.
 */
export const JsonNumberCodec = new t.Type<number, JsonNumber, unknown>(
  "JsonNumber",
  (input): input is number => typeof input === "number",
  (input, context) => {
    if (typeof input === "number") return t.success(input);
    if (input === "NaN") return t.success(Number.NaN);
    if (input === "Infinity") return t.success(Number.POSITIVE_INFINITY);
    if (input === "-Infinity") return t.success(Number.NEGATIVE_INFINITY);
    return t.failure(input, context, "expected a number, 'NaN', 'Infinity' or '-Infinity'");
  },
  (value) => (Number.isFinite(value) ? value : (String(value) as JsonNumber)),
);

/** The JSON form of {@link EpochMetrics} (non-finite numbers as strings). */
export type EpochMetricsJson = { readonly [K in keyof EpochMetrics]: JsonNumber };

/**
 * io-ts codec between {@link EpochMetrics} and its JSON form; decode a JSONL line with it
 * (e.g. `readJsonLines(path, EpochMetricsCodec)`).
 */
export const EpochMetricsCodec = t.type({
  epoch: t.number,
  trainLoss: JsonNumberCodec,
  trainCost: JsonNumberCodec,
  trainAccuracy: JsonNumberCodec,
  validationLoss: JsonNumberCodec,
  validationCost: JsonNumberCodec,
  validationAccuracy: JsonNumberCodec,
  // Not t.intersection with t.partial: io-ts merges an intersection's encodings by comparing
  // values with ===, and NaN !== NaN lets the unencoded NaN win (JSON.stringify then writes null).
  // The cast below only makes this key optional: t.type treats a missing key as undefined.
  learningRate: t.union([JsonNumberCodec, t.undefined]),
}) as t.Type<EpochMetrics, EpochMetricsJson, unknown>;

const metricColumns = [
  "epoch",
  "trainLoss",
  "trainCost",
  "trainAccuracy",
  "validationLoss",
  "validationCost",
  "validationAccuracy",
] as const;

/**
 * One epoch's metrics as a JSONL line (no newline), for {@link appendLine} after each epoch.
 * Non-finite numbers are written as strings (see {@link JsonNumberCodec}).
 */
export function epochMetricsJsonLine(metrics: EpochMetrics): string {
  return JSON.stringify(EpochMetricsCodec.encode(metrics));
}

/** A whole run's metrics as JSONL text: one {@link epochMetricsJsonLine} per epoch, each ending in a newline. */
export function epochMetricsJsonl(metrics: readonly EpochMetrics[]): string {
  return metrics.map((m) => `${epochMetricsJsonLine(m)}\n`).join("");
}

/**
 * A whole run's metrics as CSV with a header row. Columns are the {@link EpochMetrics} field
 * names; `learningRate` is present only when some epoch records it (empty where one does not).
 * Numbers are written in full precision (shortest round-trip form; `NaN`, `Infinity`).
 */
export function epochMetricsCsv(metrics: readonly EpochMetrics[]): string {
  const withRate = metrics.some((m) => m.learningRate !== undefined);
  const headers: string[] = [...metricColumns, ...(withRate ? ["learningRate"] : [])];
  const rows = metrics.map((m) => [
    ...metricColumns.map((column) => m[column]),
    ...(withRate ? [m.learningRate ?? ""] : []),
  ]);
  return csvTable(headers, rows);
}

/** Checks that every row has one cell per header; a mismatch is a programmer error. */
function checkRowLengths(
  what: string,
  headers: readonly string[],
  rows: readonly (readonly unknown[])[],
): void {
  rows.forEach((row, index) => {
    if (row.length !== headers.length)
      throw new RangeError(
        `${what}: row ${index} has ${row.length} cells but there are ${headers.length} headers`,
      );
  });
}

/**
 * Renders RFC 4180 CSV (LF line endings, final newline). Fields containing a comma, quote or line
 * break are quoted; numbers are written with `String` (exact, shortest round-trip form).
 *
 * @throws RangeError if a row's length differs from the number of headers.
 * @example
 * csvTable(["run", "accuracy"], [["a, b", 0.5]]) // 'run,accuracy\n"a, b",0.5\n'
 */
export function csvTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  checkRowLengths("csvTable", headers, rows);
  const field = (value: string | number): string => {
    const text = String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [headers, ...rows].map((row) => `${row.map(field).join(",")}\n`).join("");
}

/**
 * Formats a number for a human-read table: integers below a million as they are, other values
 * with `significantDigits` significant digits and no trailing zeros, in exponent notation when
 * |x| < 0.001 or |x| ≥ 1e6 (so λ = 1e-7 reads `1e-7`, not `0.0000001`).
 *
 * @example
 * formatNumber(0.38700001) // "0.387"
 * formatNumber(2.302585)   // "2.303"
 * formatNumber(0.000012345) // "1.235e-5"
 * formatNumber(40)          // "40"
 */
export function formatNumber(value: number, significantDigits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (Number.isInteger(value) && magnitude < 1e6) return String(value);
  if (magnitude >= 1e-3 && magnitude < 1e6)
    return String(Number(value.toPrecision(significantDigits)));
  const [mantissa, exponent] = value.toExponential(significantDigits - 1).split("e");
  return `${String(Number(mantissa))}e${Number(exponent)}`;
}

/**
 * Formats a fraction in [0, 1] as a percentage with a fixed number of decimals, e.g. accuracies.
 *
 * @example
 * formatPercent(0.38706) // "38.71 %"
 */
export function formatPercent(fraction: number, decimals = 2): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(decimals)} %` : String(fraction);
}

/** Column alignment in a Markdown table. */
export type ColumnAlignment = "left" | "right" | "center";

/** Options of {@link markdownTable}. */
export interface MarkdownTableOptions {
  /**
   * One alignment per column. Default: `right` for columns whose cells are all numbers (so
   * digits line up), `left` otherwise.
   */
  readonly align?: readonly ColumnAlignment[];
  /** Significant digits for number cells (see {@link formatNumber}); default 4. */
  readonly significantDigits?: number;
}

/**
 * Renders a GitHub-flavoured Markdown table, padded so the raw text lines up too. Number cells are
 * formatted with {@link formatNumber}; pass strings for any other formatting (e.g.
 * {@link formatPercent}). `|` in a cell is escaped and line breaks become spaces.
 *
 * @throws RangeError if a row's length or `align`'s length differs from the number of headers.
 * @example
 * markdownTable(["η", "accuracy"], [[0.1, 0.2934]])
 * // | η   | accuracy |
 * // | --: | -------: |
 * // | 0.1 |   0.2934 |
 */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  options: MarkdownTableOptions = {},
): string {
  checkRowLengths("markdownTable", headers, rows);
  if (options.align !== undefined && options.align.length !== headers.length)
    throw new RangeError(
      `markdownTable: ${options.align.length} alignments given for ${headers.length} columns`,
    );
  const align =
    options.align ??
    headers.map((_, column) =>
      rows.length > 0 && rows.every((row) => typeof row[column] === "number") ? "right" : "left",
    );
  const cell = (value: string | number): string =>
    (typeof value === "number" ? formatNumber(value, options.significantDigits) : value)
      .replace(/\r?\n/g, " ")
      .replaceAll("|", "\\|");
  const body = rows.map((row) => row.map(cell));
  const head = headers.map(cell);
  const length = (text: string): number => [...text].length;
  const widths = head.map((header, column) =>
    Math.max(3, length(header), ...body.map((row) => length(row[column]!))),
  );
  const pad = (text: string, column: number): string => {
    const fill = " ".repeat(widths[column]! - length(text));
    if (align[column] === "right") return fill + text;
    if (align[column] === "center") {
      const left = fill.slice(0, Math.floor(fill.length / 2));
      return left + text + fill.slice(left.length);
    }
    return text + fill;
  };
  const rule = widths.map((width, column) => {
    const dashes = "-".repeat(width);
    if (align[column] === "right") return `${dashes.slice(1)}:`;
    if (align[column] === "center") return `:${dashes.slice(2)}:`;
    return dashes;
  });
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(head.map(pad)), line(rule), ...body.map((row) => line(row.map(pad)))].join("\n");
}
