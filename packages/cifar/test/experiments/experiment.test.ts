import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { experimentConfigOf } from "../../src/experiments/config.js";
import { runConfig, runExperimentConfig } from "../../src/experiments/experiment.js";
import { rebuildReport, runExperiment } from "../../src/experiments/rebuild.js";
import { ExperimentSummaryCodec } from "../../src/experiments/summary.js";
import { parseJsonLines } from "../../src/report/files.js";
import { readSafetensors } from "../../src/report/safetensors.js";
import { EpochMetricsCodec } from "../../src/report/tables.js";
import { eventLog, expectRight, temporaryFolder, tinyDataset, tinyRun } from "./helpers.js";

const tinyA1 = experimentConfigOf({
  title: "tiny A1",
  runs: [
    { name: "λ=0, η=0.01", config: tinyRun({ optimizer: { learningRate: 0.01 } }) },
    {
      name: "λ=1, η=0.01",
      config: tinyRun({ lambda: 1, epochs: 3, optimizer: { learningRate: 0.01 } }),
    },
  ],
  gradientChecks: [{ name: "λ=0", lambda: 0, inputDimensions: 10, samples: 3 }],
});

const decodePng = async (path: string) => PNG.sync.read(await readFile(path));

describe("runExperimentConfig", () => {
  it("writes report.md, plots, weight images, metrics and parameters of a tiny A1 experiment", async () => {
    const outDir = await temporaryFolder();
    const { events, onEvent } = eventLog();
    const result = await expectRight(
      runExperimentConfig(tinyA1, { outDir, dataset: tinyDataset(), onEvent }),
    );
    expect(result.status).toBe("completed");

    const report = await readFile(join(outDir, "report.md"), "utf8");
    expect(report).toContain("Data: SYNTHETIC");
    expect(report).toContain("| λ=1, η=0.01 |");
    expect(report).toContain("### λ=0: pass");
    for (const run of result.summary.runs) {
      const directory = join(outDir, run.directory);
      const csv = (await readFile(join(directory, "metrics.csv"), "utf8")).trim().split("\n");
      expect(csv).toHaveLength(1 + run.config.epochs);
      expect(csv[0]).toMatch(/^epoch,trainLoss,trainCost,trainAccuracy,validationLoss/);
      const jsonl = parseJsonLines(
        await readFile(join(directory, "metrics.jsonl"), "utf8"),
        EpochMetricsCodec,
      );
      expect(E.isRight(jsonl) && jsonl.right.values.map((m) => m.epoch)).toEqual(
        Array.from({ length: run.config.epochs }, (_, i) => i + 1),
      );
      const stored = await expectRight(readSafetensors(join(directory, "params.safetensors")));
      expect(stored.tensors.get("layers.0.W")?.shape).toEqual([10, 3072]);
      expect(stored.tensors.get("layers.0.b")?.shape).toEqual([10]);
      for (const plot of ["loss", "cost", "accuracy"]) {
        expect((await decodePng(join(directory, `${plot}.png`))).width).toBeGreaterThan(100);
        expect(await readFile(join(directory, `${plot}.svg`), "utf8")).toMatch(/^<svg/);
      }
      const weights = (await readdir(directory)).filter((file) =>
        /^weights-\d+-.*\.png$/.test(file),
      );
      expect(weights).toHaveLength(10);
      const image = await decodePng(join(directory, weights[0]!));
      expect([image.width, image.height]).toEqual([32, 32]);
      expect(report).toContain(`${run.directory}/weights-montage.png`);
    }
    for (const file of ["comparison-loss.png", "comparison-accuracy.svg", "experiment.json"])
      expect((await readdir(outDir)).includes(file), file).toBe(true);

    const summary = ExperimentSummaryCodec.decode(
      JSON.parse(await readFile(join(outDir, "results.json"), "utf8")),
    );
    expect(E.isRight(summary) && summary.right.runs.map((run) => run.epochs.length)).toEqual([
      2, 3,
    ]);

    const types = events.map((event) => event.type);
    expect(types.filter((type) => type === "epoch")).toHaveLength(5);
    expect(types.indexOf("gradcheck-finished")).toBeLessThan(types.indexOf("run-started"));
    expect(types.at(-1)).toBe("report-written");
    expect(events.find((event) => event.type === "data")).toMatchObject({
      source: { kind: "synthetic" },
    });
  });

  it("gives identical metrics for the same seed and config, different ones for another seed", async () => {
    const config = tinyRun({
      model: { hiddenSizes: [8] },
      shuffle: true,
      optimizer: { type: "momentum", learningRate: 0.02 },
    });
    const run = async (seed: number) =>
      (
        await expectRight(
          runConfig(config, { outDir: await temporaryFolder(), dataset: tinyDataset(), seed }),
        )
      ).summary.runs[0]!;
    const [first, second, other] = [await run(1), await run(1), await run(2)];
    expect(second.epochs).toEqual(first.epochs);
    expect(second.final).toEqual(first.final);
    expect(other.epochs).not.toEqual(first.epochs);
  });

  it("reports a run whose cost blows up as diverged and goes on with the next run", async () => {
    const outDir = await temporaryFolder();
    const { events, onEvent } = eventLog();
    const config = experimentConfigOf({
      title: "divergence",
      runs: [
        {
          name: "huge η",
          config: tinyRun({
            model: { hiddenSizes: [16], init: "he" },
            optimizer: { learningRate: 1e8 },
          }),
        },
        { name: "sane η", config: tinyRun({ optimizer: { learningRate: 0.01 } }) },
      ],
    });
    const result = await expectRight(
      runExperimentConfig(config, { outDir, dataset: tinyDataset(), onEvent }),
    );
    const [huge, sane] = result.summary.runs;
    expect(huge).toMatchObject({ status: "diverged", divergedAtEpoch: 1 });
    expect(sane).toMatchObject({ status: "completed" });
    expect(events).toContainEqual(
      expect.objectContaining({ type: "diverged", name: "huge η", epoch: 1 }),
    );
    expect(await readFile(join(outDir, "report.md"), "utf8")).toContain("diverged (epoch 1)");
  });

  it("rebuilds report.md and the plots from results.json alone", async () => {
    const outDir = await temporaryFolder();
    const result = await expectRight(
      runExperimentConfig(tinyA1, { outDir, dataset: tinyDataset() }),
    );
    const original = await readFile(result.reportPath, "utf8");
    const { rm } = await import("node:fs/promises");
    await rm(result.reportPath);
    await rm(join(outDir, result.summary.runs[0]!.directory, "loss.png"));
    await rm(join(outDir, result.summary.runs[0]!.directory, "weights-montage.png"));
    const rebuilt = await expectRight(rebuildReport(outDir));
    expect(await readFile(rebuilt, "utf8")).toBe(original);
    await decodePng(join(outDir, result.summary.runs[0]!.directory, "loss.png"));
    await decodePng(join(outDir, result.summary.runs[0]!.directory, "weights-montage.png"));
  });

  it("stops cleanly between steps when aborted and keeps the files consistent", async () => {
    const outDir = await temporaryFolder();
    const controller = new AbortController();
    const result = await expectRight(
      runExperimentConfig(tinyA1, {
        outDir,
        dataset: tinyDataset(),
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === "epoch" && event.run === 1 && event.metrics.epoch === 1)
            controller.abort();
        },
      }),
    );
    expect(result.status).toBe("aborted");
    expect(result.summary.runs.map((run) => [run.status, run.epochs.length])).toEqual([
      ["aborted", 1],
    ]);
    const summary = JSON.parse(await readFile(join(outDir, "results.json"), "utf8"));
    expect(summary.status).toBe("aborted");
    expect(
      await readFile(join(outDir, result.summary.runs[0]!.directory, "metrics.csv"), "utf8"),
    ).toMatch(/\n1,/);
  });

  it("fails before writing anything when data: real cannot find CIFAR-10", async () => {
    const outDir = join(await temporaryFolder(), "report");
    const result = await runConfig(tinyRun({ data: "real" }), {
      outDir,
      dataDir: join(outDir, "nowhere"),
    })();
    expect(E.isLeft(result) && result.left._tag).toBe("DatasetNotFound");
    await expect(readdir(outDir)).rejects.toThrow(/ENOENT/);
  });

  it("fails before writing anything when a loss module was not supplied", async () => {
    const outDir = join(await temporaryFolder(), "report");
    const result = await runConfig(tinyRun({ loss: { module: "./focal.ts" } }), {
      outDir,
      dataset: tinyDataset(),
    })();
    expect(E.isLeft(result) && result.left.message).toMatch(
      /loss: the config names the module \.\/focal\.ts/,
    );
    await expect(readdir(outDir)).rejects.toThrow(/ENOENT/);
  });

  it("falls back to synthetic data under data: auto with the reason in the banner", async () => {
    const outDir = await temporaryFolder();
    const { events, onEvent } = eventLog();
    await expectRight(
      runConfig(tinyRun({ data: "auto", epochs: 1 }), {
        outDir,
        env: { HOME: join(outDir, "home") },
        onEvent,
      }),
    );
    const dataEvent = events.find((event) => event.type === "data");
    expect(dataEvent).toMatchObject({
      source: { kind: "synthetic", reason: expect.stringMatching(/CIFAR-10 not found/) },
    });
    expect(await readFile(join(outDir, "report.md"), "utf8")).toMatch(
      /SYNTHETIC[\s\S]*CIFAR-10 not found/,
    );
  });
});

describe("runExperiment", () => {
  it("runs a preset by name (a2-gradcheck: W1, b1, W2, b2 at λ = 0 and λ = 0.01, all passing)", async () => {
    const outDir = await temporaryFolder();
    const outcome = await expectRight(
      runExperiment("a2-gradcheck", { outDir, dataset: tinyDataset() }),
    );
    expect(outcome.kind).toBe("experiment");
    const { summary } = outcome.kind === "experiment" ? outcome.result : expect.unreachable();
    expect(
      summary.gradientChecks.map((check) => [
        check.config.lambda,
        check.rows.map((row) => row.path),
        check.pass,
      ]),
    ).toEqual(
      [0, 0.01].map((lambda) => [
        lambda,
        ["layers[0].W", "layers[0].b", "layers[1].W", "layers[1].b"],
        true,
      ]),
    );
    expect(await readFile(join(outDir, "report.md"), "utf8")).toContain("## Gradient checks");
  });

  it("names the presets when given an unknown one", async () => {
    const outcome = await runExperiment("a9", { outDir: await temporaryFolder() })();
    expect(E.isLeft(outcome) && outcome.left.message).toMatch(
      /no preset named "a9"; the presets are a1, a1-bonus, /,
    );
  });
});
