/**
 * Building blocks of an experiment's `report.md`. Each helper returns a Markdown block (no
 * trailing newline); {@link reportDocument} joins blocks with blank lines.
 */
import { isAbsolute, join } from "node:path";
import type * as TE from "fp-ts/lib/TaskEither.js";
import { type WriteFileError, writeFileAtomic } from "./files.js";
import { markdownTable } from "./tables.js";

/** A heading of the given level (1–6); line breaks in the text become spaces. */
export function markdownHeading(text: string, level = 2): string {
  if (!Number.isInteger(level) || level < 1 || level > 6)
    throw new RangeError(`markdownHeading: level must be an integer from 1 to 6, got ${level}`);
  return `${"#".repeat(level)} ${text.replace(/\s*\r?\n\s*/g, " ")}`;
}

/** A section: a heading (level 2 by default) followed by its blocks. */
export function markdownSection(title: string, blocks: readonly string[], level = 2): string {
  return [markdownHeading(title, level), ...blocks].join("\n\n");
}

/**
 * An image link. The path must be relative (to the folder of `report.md`), so the report folder
 * can be moved or shared as a whole; each path segment is URL-encoded, `/` separators kept.
 *
 * @throws RangeError for an absolute path.
 * @example
 * markdownImage("loss, λ = 0", "plots/loss lambda0.png") // "![loss, λ = 0](plots/loss%20lambda0.png)"
 */
export function markdownImage(altText: string, relativePath: string): string {
  if (isAbsolute(relativePath) || /^[a-z][a-z0-9+.-]*:/i.test(relativePath))
    throw new RangeError(`markdownImage: ${relativePath} must be a path relative to report.md`);
  const url = relativePath.split(/[\\/]/).map(encodeURIComponent).join("/");
  const alt = altText.replace(/[[\]\\]/g, "\\$&").replace(/\r?\n/g, " ");
  return `![${alt}](${url})`;
}

/** Where an experiment's data came from, as shown in the report's banner. */
export type DataSource =
  | {
      readonly kind: "real";
      /** E.g. the CIFAR-10 folder and the split (`a1`, `all`, `a2-report`). */
      readonly description: string;
    }
  | {
      readonly kind: "synthetic";
      /** Why synthetic data was used (e.g. the CIFAR-10 files were not found at a path). */
      readonly reason: string;
    };

/**
 * A banner (Markdown blockquote) saying whether the numbers come from real CIFAR-10 data or from
 * the synthetic CIFAR-shaped stand-in, whose accuracies mean nothing about CIFAR-10.
 */
export function dataSourceBanner(source: DataSource): string {
  return source.kind === "real"
    ? `> **Data: CIFAR-10** — ${source.description}`
    : [
        "> **⚠ Data: SYNTHETIC** — these numbers are not CIFAR-10 results and must not be compared with them.",
        `> Reason: ${source.reason}`,
      ].join("\n");
}

/** A setting's value: anything JSON can hold (a decoded config). */
export type SettingValue =
  | string
  | number
  | boolean
  | null
  | readonly SettingValue[]
  | { readonly [key: string]: SettingValue };

/**
 * The settings table: the seed first, then every setting with nested records flattened to dotted
 * names (`optimizer.momentum`). Values are shown exactly (no rounding), so the run can be
 * reproduced from the report; arrays are shown as JSON (`[50,30]`).
 */
export function settingsTable(
  settings: { readonly [key: string]: SettingValue },
  seed: number,
): string {
  const rows: [string, string][] = [["seed", String(seed)]];
  const visit = (value: SettingValue, name: string): void => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      const entries = Object.entries(value);
      if (entries.length === 0) rows.push([name, "{}"]);
      for (const [key, child] of entries) visit(child, name === "" ? key : `${name}.${key}`);
    } else rows.push([name, typeof value === "string" ? value : JSON.stringify(value)]);
  };
  visit(settings, "");
  return markdownTable(
    ["setting", "value"],
    rows.map(([name, value]) => [`\`${name}\``, value]),
  );
}

/** A fenced code block (the fence grows if the content itself contains backtick fences). */
export function markdownCodeBlock(content: string, language = ""): string {
  const longestRun = Math.max(2, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  return `${fence}${language}\n${content.replace(/\n$/, "")}\n${fence}`;
}

/** A whole report: a level-1 title and the blocks, separated by blank lines, with a final newline. */
export function reportDocument(title: string, blocks: readonly string[]): string {
  return `${[markdownHeading(title, 1), ...blocks].join("\n\n")}\n`;
}

/** Writes `report.md` into `directory` atomically. */
export function writeReport(
  directory: string,
  markdown: string,
): TE.TaskEither<WriteFileError, void> {
  return writeFileAtomic(join(directory, "report.md"), markdown);
}
