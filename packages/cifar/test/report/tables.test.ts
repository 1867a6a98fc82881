import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { parseJsonLines } from "../../src/report/files.js";
import {
  csvTable,
  type EpochMetrics,
  EpochMetricsCodec,
  epochMetricsCsv,
  epochMetricsJsonl,
  formatNumber,
  formatPercent,
  markdownTable,
} from "../../src/report/tables.js";

const epochs: EpochMetrics[] = [
  {
    epoch: 1,
    trainLoss: 1.9,
    trainCost: 2,
    trainAccuracy: 0.3,
    validationLoss: 1.95,
    validationCost: 2.05,
    validationAccuracy: 0.29,
  },
  {
    epoch: 2,
    trainLoss: Number.NaN,
    trainCost: Number.POSITIVE_INFINITY,
    trainAccuracy: 0.1,
    validationLoss: Number.NaN,
    validationCost: Number.NEGATIVE_INFINITY,
    validationAccuracy: 0.1,
    learningRate: 0.09,
  },
];

describe("epoch metrics", () => {
  it("writes CSV with full-precision numbers and a learningRate column only when recorded", () => {
    expect(epochMetricsCsv(epochs)).toBe(
      "epoch,trainLoss,trainCost,trainAccuracy,validationLoss,validationCost,validationAccuracy,learningRate\n" +
        "1,1.9,2,0.3,1.95,2.05,0.29,\n" +
        "2,NaN,Infinity,0.1,NaN,-Infinity,0.1,0.09\n",
    );
    expect(epochMetricsCsv(epochs.slice(0, 1)).split("\n")[0]).not.toContain("learningRate");
  });

  it("round-trips JSONL exactly, keeping NaN and ±Infinity that plain JSON would turn into null", () => {
    const text = epochMetricsJsonl(epochs);
    expect(text.split("\n")[1]).toBe(
      '{"epoch":2,"trainLoss":"NaN","trainCost":"Infinity","trainAccuracy":0.1,"validationLoss":"NaN",' +
        '"validationCost":"-Infinity","validationAccuracy":0.1,"learningRate":0.09}',
    );
    expect(parseJsonLines(text, EpochMetricsCodec)).toEqual(
      E.right({ values: epochs, ignoredTrailingBytes: 0 }),
    );
    expect(EpochMetricsCodec.decode({ ...epochs[0], trainLoss: null })._tag).toBe("Left");
  });
});

describe("csvTable", () => {
  it("quotes fields with separators, quotes or line breaks", () => {
    expect(
      csvTable(
        ["run", "note"],
        [
          ["a,b", 'say "hi"'],
          ["plain", "two\nlines"],
        ],
      ),
    ).toBe('run,note\n"a,b","say ""hi"""\nplain,"two\nlines"\n');
    expect(() => csvTable(["a", "b"], [[1]])).toThrow("row 0 has 1 cells but there are 2 headers");
  });

  it("writes every finite double so that it parses back to the same value", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const field = csvTable(["x"], [[value]]).split("\n")[1]!;
        expect(Number(field)).toBe(value === 0 ? 0 : value);
      }),
    );
  });
});

describe("formatNumber and formatPercent", () => {
  it("formats known values", () => {
    const cases: [number, string][] = [
      [0, "0"],
      [-0, "0"],
      [40, "40"],
      [-3, "-3"],
      [0.38700001, "0.387"],
      [Math.LN10, "2.303"],
      [0.001, "0.001"],
      [0.000012346, "1.235e-5"],
      [1e-7, "1e-7"],
      [123456.7, "123500"],
      [2.5e6, "2.5e6"],
      [Number.NaN, "NaN"],
      [Number.NEGATIVE_INFINITY, "-Infinity"],
    ];
    for (const [value, text] of cases) expect(formatNumber(value), String(value)).toBe(text);
    expect(formatNumber(Math.PI, 6)).toBe("3.14159");
    expect(formatPercent(0.387051)).toBe("38.71 %");
    expect(formatPercent(1, 0)).toBe("100 %");
  });

  it("is within half a unit of the last significant digit", () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }),
        (x) => {
          const shown = Number(formatNumber(x));
          expect(Math.abs(shown - x)).toBeLessThanOrEqual(Math.abs(x) * 5e-4);
        },
      ),
    );
  });
});

describe("markdownTable", () => {
  it("pads columns, right-aligns number columns and formats numbers", () => {
    expect(
      markdownTable(
        ["run", "η", "accuracy"],
        [
          ["λ=0, η=0.1", 0.1, 0.2934],
          ["λ=1", 0.001, 0.38700001],
        ],
      ),
    ).toBe(
      [
        "| run        |     η | accuracy |",
        "| ---------- | ----: | -------: |",
        "| λ=0, η=0.1 |   0.1 |   0.2934 |",
        "| λ=1        | 0.001 |    0.387 |",
      ].join("\n"),
    );
  });

  it("honours explicit alignment and escapes pipes and line breaks", () => {
    expect(markdownTable(["a", "b"], [["x|y", "1\n2"]], { align: ["center", "right"] })).toBe(
      ["|  a   |   b |", "| :--: | --: |", "| x\\|y | 1 2 |"].join("\n"),
    );
    expect(() => markdownTable(["a"], [], { align: ["left", "right"] })).toThrow(
      "2 alignments given for 1 columns",
    );
    expect(() => markdownTable(["a"], [[1, 2]])).toThrow("row 0 has 2 cells");
  });
});
