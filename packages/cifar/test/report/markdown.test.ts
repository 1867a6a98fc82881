import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import {
  dataSourceBanner,
  markdownCodeBlock,
  markdownHeading,
  markdownImage,
  markdownSection,
  reportDocument,
  settingsTable,
  writeReport,
} from "../../src/report/markdown.js";

describe("report.md helpers", () => {
  it("assembles a document from a banner, settings, a section with an image", () => {
    const markdown = reportDocument("A1 — one-layer network", [
      dataSourceBanner({ kind: "real", description: "CIFAR-10 split a1 from ../data" }),
      markdownSection("Settings", [
        settingsTable(
          {
            lambda: 0.1,
            optimizer: { learningRate: 0.001, nBatch: 100 },
            hiddenSizes: [50, 30],
            shuffle: false,
          },
          7,
        ),
      ]),
      markdownSection(
        "Weights",
        [markdownImage("weights, λ = 0.1", "run 3/weights-montage.png")],
        3,
      ),
    ]);
    expect(markdown).toBe(
      [
        "# A1 — one-layer network",
        "",
        "> **Data: CIFAR-10** — CIFAR-10 split a1 from ../data",
        "",
        "## Settings",
        "",
        "| setting                  | value   |",
        "| ------------------------ | ------- |",
        "| `seed`                   | 7       |",
        "| `lambda`                 | 0.1     |",
        "| `optimizer.learningRate` | 0.001   |",
        "| `optimizer.nBatch`       | 100     |",
        "| `hiddenSizes`            | [50,30] |",
        "| `shuffle`                | false   |",
        "",
        "### Weights",
        "",
        "![weights, λ = 0.1](run%203/weights-montage.png)",
        "",
      ].join("\n"),
    );
  });

  it("shows settings exactly, without the rounding tables use for results", () => {
    expect(settingsTable({ eta: 0.0123456789, lambda: 1e-7 }, 1)).toContain("| 0.0123456789 |");
    expect(settingsTable({ lambda: 1e-7 }, 1)).toContain("| 1e-7 ");
  });

  it("warns loudly when the data is synthetic", () => {
    expect(dataSourceBanner({ kind: "synthetic", reason: "no CIFAR-10 files in ./data" })).toBe(
      "> **⚠ Data: SYNTHETIC** — these numbers are not CIFAR-10 results and must not be compared with them.\n" +
        "> Reason: no CIFAR-10 files in ./data",
    );
  });

  it("keeps image links relative and escapes alt text", () => {
    expect(markdownImage("a [b]", "plots/loss.png")).toBe("![a \\[b\\]](plots/loss.png)");
    expect(() => markdownImage("x", "/tmp/loss.png")).toThrow(
      "must be a path relative to report.md",
    );
    expect(() => markdownImage("x", "https://example.com/a.png")).toThrow("relative");
  });

  it("builds headings and code fences that survive their content", () => {
    expect(markdownHeading("two\nlines", 4)).toBe("#### two lines");
    expect(() => markdownHeading("x", 7)).toThrow("level must be an integer from 1 to 6");
    expect(markdownCodeBlock("pnpm puregrad a1\n", "sh")).toBe("```sh\npnpm puregrad a1\n```");
    expect(markdownCodeBlock("```inner```")).toBe("````\n```inner```\n````");
  });

  it("writes report.md atomically", async () => {
    const directory = mkdtempSync(join(tmpdir(), "puregrad-report-"));
    try {
      expect(await writeReport(directory, "# R\n")()).toEqual(E.right(undefined));
      expect(readFileSync(join(directory, "report.md"), "utf8")).toBe("# R\n");
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
