import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_RUN_CONFIG,
  decodeConfigFile,
  decodeExperimentConfig,
  decodeRunConfig,
  decodeSearchConfig,
  encodeConfigFile,
  readConfigFile,
} from "../../src/experiments/config.js";
import { exportPreset, listPresets, PRESETS, presetByName } from "../../src/experiments/presets.js";
import { temporaryFolder } from "./helpers.js";

/** The "path: message" lines of a failed decode. */
const issuesOf = (
  result: E.Either<{ issues: readonly { path: string; message: string }[] }, unknown>,
) =>
  E.isLeft(result)
    ? result.left.issues.map((issue) => `${issue.path}: ${issue.message}`)
    : ["(decoded)"];

describe("decodeRunConfig", () => {
  it("fills every default (A1's setting) from an empty object", () => {
    expect(decodeRunConfig({})).toEqual(E.right(DEFAULT_RUN_CONFIG));
    expect(DEFAULT_RUN_CONFIG).toEqual({
      model: {
        hiddenSizes: [],
        batchNorm: false,
        scaleShift: true,
        batchNormMomentum: 0.9,
        init: { normal: 0.01 },
        activation: "relu",
      },
      loss: "cross-entropy",
      optimizer: { type: "sgd", learningRate: 0.001 },
      schedule: { type: "constant" },
      split: "a1",
      epochs: 40,
      batchSize: 100,
      lambda: 0,
      shuffle: false,
      seed: 0,
      backend: "cpu",
      dtype: "float32",
      data: "auto",
      synthetic: { train: 4000, validation: 1000, test: 1000 },
    });
  });

  it("fills the defaults of the chosen optimizer and schedule variant", () => {
    const config = decodeRunConfig({
      optimizer: { type: "momentum" },
      schedule: { type: "decay" },
    });
    expect(E.isRight(config) && [config.right.optimizer, config.right.schedule]).toEqual([
      { type: "momentum", learningRate: 0.01, momentum: 0.9, rule: "course" },
      { type: "decay", factor: 0.95 },
    ]);
  });

  it("reports every bad field with its path, not only the first", () => {
    const result = decodeRunConfig({
      optimizer: { type: "momentum", learningRate: -1, momentum: 1 },
      batchSize: 0,
      epochs: 2.5,
      lambda: "0.1",
      model: { hiddenSizes: [50, 0], init: "glorot" },
      backend: "tpu",
    });
    expect(issuesOf(result)).toEqual([
      "model.hiddenSizes[1]: must be >= 1, got 0",
      'model.init: must be one of "xavier", "he", got "glorot"',
      "optimizer.learningRate: must be > 0, got -1",
      "optimizer.momentum: must be in [0, 1), got 1",
      "epochs: must be an integer, got 2.5",
      "batchSize: must be >= 1, got 0",
      'lambda: must be a finite number, got "0.1"',
      'backend: must be one of "cpu", "gpu", "auto", got "tpu"',
    ]);
    expect(E.isLeft(result) && result.left.message.split("\n")[2]).toBe(
      "optimizer.learningRate: must be > 0, got -1",
    );
  });

  it("rejects unknown keys at every level instead of dropping them", () => {
    expect(
      issuesOf(
        decodeRunConfig({
          epoch: 10,
          model: { hidden: [50] },
          optimizer: { type: "sgd", momentum: 0.9 },
        }),
      ),
    ).toEqual([
      "epoch: unknown key (allowed: model, loss, optimizer, schedule, split, epochs, batchSize, lambda, shuffle, seed, backend, dtype, data, synthetic)",
      "model.hidden: unknown key (allowed: hiddenSizes, batchNorm, scaleShift, batchNormMomentum, init, activation)",
      "optimizer.momentum: unknown key (allowed: type, learningRate)",
    ]);
  });

  it("checks variants, custom splits and rules across fields", () => {
    expect(issuesOf(decodeRunConfig({ optimizer: { type: "rmsprop" } }))).toEqual([
      'optimizer.type: must be one of "sgd", "momentum", "adam", got "rmsprop"',
    ]);
    expect(
      issuesOf(decodeRunConfig({ split: { train: [{ file: "batch_9.bin" }], validation: [] } })),
    ).toEqual([
      'split.train[0].file: must be one of "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin", got "batch_9.bin"',
      "split.validation: must have at least 1 entry, got 0",
      "split.test: must be an array, got nothing",
    ]);
    expect(issuesOf(decodeRunConfig({ model: { batchNorm: true } }))).toEqual([
      "model.batchNorm: needs at least one hidden layer (hiddenSizes is empty)",
    ]);
    expect(
      issuesOf(
        decodeRunConfig({
          optimizer: { learningRate: 0.5 },
          schedule: { type: "cyclic", maximum: 0.1 },
        }),
      ),
    ).toEqual([
      "schedule.maximum: must be >= optimizer.learningRate (0.5), the cycle's minimum, got 0.1",
    ]);
    expect(issuesOf(decodeRunConfig({ loss: { module: "" } }))).toEqual([
      'loss.module: must be a non-empty string, got ""',
    ]);
    const notAnObject = decodeRunConfig([]);
    expect(E.isLeft(notAnObject) && notAnObject.left.message).toBe("must be an object, got []");
  });

  it("refuses a config of another kind", () => {
    expect(issuesOf(decodeRunConfig({ kind: "search" }))).toEqual([
      'kind: this is "search" config, expected "run"',
    ]);
    expect(decodeRunConfig({ kind: "run", epochs: 3 })).toEqual(
      E.right({ ...DEFAULT_RUN_CONFIG, epochs: 3 }),
    );
  });
});

describe("decodeSearchConfig and decodeExperimentConfig", () => {
  it("fills the search defaults and checks ranges", () => {
    const search = decodeSearchConfig({});
    expect(E.isRight(search) && search.right).toMatchObject({
      trials: 50,
      seed: 0,
      learningRate: { min: 0.001, max: 0.3 },
      lambda: { min: 1e-7, max: 0.1 },
      base: DEFAULT_RUN_CONFIG,
    });
    expect(
      issuesOf(
        decodeSearchConfig({
          learningRate: { min: 0.1, max: 0.01 },
          lambda: { min: 0 },
          trials: 0,
          base: { epochs: -1 },
        }),
      ),
    ).toEqual([
      "base.epochs: must be >= 1, got -1",
      "learningRate.max: must be >= min (0.1), got 0.01",
      "lambda.min: must be > 0, got 0",
      "lambda.max: is required: a number > 0",
      "trials: must be >= 1, got 0",
    ]);
  });

  it("rejects empty experiments and duplicate run names", () => {
    expect(issuesOf(decodeExperimentConfig({}))).toEqual([
      "runs: an experiment needs at least one run or gradient check",
    ]);
    expect(
      issuesOf(
        decodeExperimentConfig({ runs: [{ name: "a" }, { name: "a", config: { epochs: 0 } }] }),
      ),
    ).toEqual(["runs[1].config.epochs: must be >= 1, got 0"]);
    expect(issuesOf(decodeExperimentConfig({ runs: [{ name: "a" }, { name: "a" }] }))).toEqual([
      'runs[1].name: duplicate run name "a"',
    ]);
  });

  it("dispatches config files on kind", async () => {
    expect(
      E.isRight(decodeConfigFile({ kind: "search" })) && decodeConfigFile({ kind: "search" }),
    ).toMatchObject({
      right: { kind: "search" },
    });
    expect(issuesOf(decodeConfigFile({ kind: "sweep" }))).toEqual([
      'kind: must be one of "run", "experiment", "search", got "sweep"',
    ]);
    const folder = await temporaryFolder();
    const { writeFile } = await import("node:fs/promises");
    await writeFile(`${folder}/bad.json`, "{ not json");
    const read = await readConfigFile(`${folder}/bad.json`)();
    expect(E.isLeft(read) && read.left._tag).toBe("ConfigFileError");
  });
});

describe("presets", () => {
  it("cover every experiment of EXPERIMENTS.md", () => {
    expect(listPresets().map((preset) => preset.name)).toEqual([
      "a1",
      "a1-bonus",
      "a2-gradcheck",
      "a2-overfit",
      "a2-momentum",
      "a2-coarse",
      "a2-fine",
      "a2-fine2",
      "a2-final",
      "a3-gradcheck",
      "a3-no-bn",
      "a3-bn-coarse",
      "a3-bn-fine",
      "a3-bn-best",
      "a3-lr-sensitivity",
    ]);
    for (const preset of listPresets())
      expect(preset.description.length, preset.name).toBeGreaterThan(20);
    expect(E.isLeft(presetByName("a4")) && presetByName("a4")).toMatchObject({
      left: { _tag: "UnknownPreset" },
    });
  });

  it("export to JSON that decodes back to exactly the preset", () => {
    for (const [name, preset] of Object.entries(PRESETS)) {
      const exported = exportPreset(name);
      expect(E.isRight(exported), name).toBe(true);
      const decoded = decodeConfigFile(JSON.parse(E.isRight(exported) ? exported.right : "null"));
      expect(decoded, name).toEqual(E.right(preset));
      expect(encodeConfigFile(preset)).toEqual(
        JSON.parse(E.isRight(exported) ? exported.right : "null"),
      );
    }
  });

  it("match the settings of the assignments", () => {
    const a1 = PRESETS.a1!;
    expect(
      a1.kind === "experiment" &&
        a1.config.runs.map((run) => [run.config.lambda, run.config.optimizer.learningRate]),
    ).toEqual([
      [0, 0.1],
      [0, 0.001],
      [0.1, 0.001],
      [1, 0.001],
    ]);
    expect(
      a1.kind === "experiment" && a1.config.gradientChecks.map((check) => check.lambda),
    ).toEqual([0, 1]);
    const bonus = PRESETS["a1-bonus"]!;
    expect(
      bonus.kind === "experiment" && [...new Set(bonus.config.runs.map((run) => run.group))],
    ).toEqual(["B1 all data", "B2 decay", "B3 shuffle", "B4 SVM"]);
    const coarse = PRESETS["a2-coarse"]!;
    expect(coarse.kind === "search" && coarse.config).toMatchObject({
      trials: 50,
      learningRate: { min: 0.001, max: 0.3 },
      lambda: { min: 1e-7, max: 0.1 },
      base: {
        epochs: 10,
        optimizer: { type: "momentum", momentum: 0.9 },
        schedule: { type: "decay", factor: 0.95 },
      },
    });
    const sensitivity = PRESETS["a3-lr-sensitivity"]!;
    expect(
      sensitivity.kind === "experiment" &&
        sensitivity.config.runs.map((run) => `${run.group} ${run.name}`),
    ).toEqual([
      "without BN η=0.002",
      "without BN η=0.1",
      "without BN η=0.6",
      "with BN η=0.002",
      "with BN η=0.1",
      "with BN η=0.6",
    ]);
  });
});
