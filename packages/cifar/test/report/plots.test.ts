import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import {
  comparisonChartSpec,
  findPlotFont,
  lineChartSpec,
  type RenderedPlot,
  renderComparisonChart,
  renderLineChart,
  renderSearchScatter,
  renderVegaLite,
  searchScatterSpec,
  writePlot,
} from "../../src/report/plots.js";

const rendered = async (task: () => Promise<E.Either<unknown, RenderedPlot>>) => {
  const result = await task();
  if (E.isLeft(result)) throw new Error(`render failed: ${JSON.stringify(result.left)}`);
  return result.right;
};

const svgSize = (svg: string) => {
  const match = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg);
  return { width: Number(match![1]), height: Number(match![2]) };
};

const count = (svg: string, pattern: RegExp) => (svg.match(pattern) ?? []).length;

/** Checks the PNG has the SVG's size times the scale, is not blank, and has dark (text) pixels at the top. */
function expectPngMatches(plot: RenderedPlot, scale: number): void {
  const png = PNG.sync.read(plot.png);
  const { width, height } = svgSize(plot.svg);
  expect([png.width, png.height]).toEqual([width * scale, height * scale]);
  expect([plot.width, plot.height]).toEqual([png.width, png.height]);
  const colours = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4) colours.add(png.data.readUInt32BE(i));
  expect(colours.size).toBeGreaterThan(20);
  // The title is the only thing in the top band; near-black pixels there mean its glyphs were drawn.
  let darkTitlePixels = 0;
  for (let y = 0; y < 22 * scale; y++)
    for (let x = 0; x < png.width; x++) {
      const i = 4 * (y * png.width + x);
      if (png.data[i]! < 80 && png.data[i + 1]! < 80 && png.data[i + 2]! < 80) darkTitlePixels++;
    }
  expect(darkTitlePixels).toBeGreaterThan(100);
}

describe("plots", () => {
  it("renders a line chart with title, axis titles, legend and one line per series", async () => {
    const plot = await rendered(
      renderLineChart({
        title: "Cost, λ = 0.1",
        yLabel: "cost",
        series: [
          { name: "train", values: [2.1, 1.8, 1.7, 1.65] },
          { name: "validation", values: [2.15, 1.9, 1.85, 1.84] },
        ],
      }),
    );
    expect(plot.svg).toContain(">Cost, λ = 0.1</text>");
    expect(plot.svg).toContain(">epoch</text>");
    expect(plot.svg).toContain(">cost</text>");
    expect(plot.svg).toContain(">validation</text>");
    expect(count(plot.svg, /class="mark-line role-mark/g)).toBe(2);
    expect(plot.font.family).toBe("DejaVu Sans");
    expectPngMatches(plot, 2);
  });

  it("renders a comparison with colour per run and dash per series", async () => {
    const runs = [0.5, 0.9, 0.99].map((rho) => ({
      name: `ρ = ${rho}`,
      series: [
        { name: "train", values: [2, 1.5, 1.2].map((v) => v * rho) },
        { name: "validation", values: [2.1, 1.7, 1.5].map((v) => v * rho) },
      ],
    }));
    const plot = await rendered(
      renderComparisonChart(
        { title: "Loss per momentum", yLabel: "loss", runLabel: "momentum ρ", runs },
        { scale: 1 },
      ),
    );
    expect(count(plot.svg, /class="mark-line role-mark/g)).toBe(6);
    expect(plot.svg).toContain(">momentum ρ</text>");
    expect(plot.svg).toContain(">ρ = 0.99</text>");
    expect(plot.svg).toContain("stroke-dasharray");
    expectPngMatches(plot, 1);
  });

  it("renders a search scatter on log axes with one point per trial", async () => {
    const trials = [
      [0.001, 1e-7, 0.21],
      [0.003, 1e-5, 0.33],
      [0.01, 1e-4, 0.41],
      [0.03, 1e-3, 0.45],
      [0.1, 1e-2, 0.38],
      [0.3, 0.1, 0.12],
    ].map(([learningRate, regularization, validationAccuracy]) => ({
      learningRate: learningRate!,
      regularization: regularization!,
      validationAccuracy: validationAccuracy!,
    }));
    const plot = await rendered(renderSearchScatter({ title: "Coarse search", trials }));
    expect(plot.svg).toContain(">learning rate η</text>");
    expect(plot.svg).toContain(">regularization λ</text>");
    expect(plot.svg).toContain(">1e-7</text>");
    expect(plot.svg).toContain(">0.01</text>");
    const marks = /<g class="mark-symbol role-mark[^"]*"[^>]*>(.*?)<\/g>/.exec(plot.svg)![1]!;
    expect(count(marks, /<path/g)).toBe(trials.length);
    expectPngMatches(plot, 2);

    const directory = mkdtempSync(join(tmpdir(), "puregrad-plot-"));
    try {
      expect(await writePlot(directory, "search", plot)()).toEqual(
        E.right({ svg: "search.svg", png: "search.png" }),
      );
      expect(readdirSync(directory).sort()).toEqual(["search.png", "search.svg"]);
      expect(readFileSync(join(directory, "search.svg"), "utf8")).toBe(plot.svg);
      expect(readFileSync(join(directory, "search.png"))).toEqual(plot.png);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("plot specs", () => {
  it("numbers epochs from 1 and leaves non-finite values out (a diverged run's line stops)", () => {
    const spec = lineChartSpec({
      title: "t",
      yLabel: "cost",
      series: [{ name: "train", values: [1, Number.NaN, Number.POSITIVE_INFINITY] }],
    }) as { data: { values: { epoch: number; value: number | null }[] } };
    expect(spec.data.values.map(({ epoch, value }) => [epoch, value])).toEqual([
      [1, 1],
      [2, null],
      [3, null],
    ]);
  });

  it("uses dashes only when runs have more than one series", () => {
    const single = comparisonChartSpec({
      title: "t",
      yLabel: "loss",
      runs: [{ name: "a", series: [{ name: "train", values: [1] }] }],
    }) as { encoding: Record<string, unknown> };
    expect(Object.keys(single.encoding)).not.toContain("strokeDash");
  });

  it("rejects η or λ that a log axis cannot show", () => {
    expect(() =>
      searchScatterSpec({
        title: "t",
        trials: [{ learningRate: 0.1, regularization: 0, validationAccuracy: 0.3 }],
      }),
    ).toThrow("trial 0 has regularization 0, but a log axis needs a positive value");
  });

  it("reports a missing font instead of drawing a PNG without text", async () => {
    const font = { family: "Nope", files: ["/nonexistent/font.ttf"] };
    expect(findPlotFont(font)).toEqual(
      E.left({
        _tag: "NoPlotFontError",
        message: "the requested font file /nonexistent/font.ttf does not exist",
      }),
    );
    const result = await renderVegaLite(lineChartSpec({ title: "t", yLabel: "y", series: [] }), {
      font,
    })();
    expect(result).toMatchObject(E.left({ _tag: "NoPlotFontError" }));
  });
});
