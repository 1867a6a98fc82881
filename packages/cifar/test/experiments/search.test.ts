import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { searchConfigOf } from "../../src/experiments/config.js";
import { rebuildReport } from "../../src/experiments/rebuild.js";
import {
  mergeSearch,
  parseShard,
  runSearch,
  SEARCH_FILES,
  sampleTrial,
  shardTrials,
  type TrialRecord,
} from "../../src/experiments/search.js";
import { eventLog, expectRight, temporaryFolder, tinyDataset } from "./helpers.js";

const tinySearch = (overrides: object = {}) =>
  searchConfigOf({
    title: "tiny search",
    base: { epochs: 1, batchSize: 60, data: "synthetic" },
    learningRate: { min: 0.001, max: 0.1 },
    lambda: { min: 1e-5, max: 0.1 },
    trials: 5,
    seed: 11,
    keepBest: 2,
    ...overrides,
  });

const logLines = async (folder: string) =>
  (await readFile(join(folder, SEARCH_FILES.log), "utf8"))
    .split("\n")
    .filter((line) => line !== "");

const trialsOf = (records: readonly TrialRecord[]) =>
  records.map((record) => record.trial).sort((a, b) => a - b);

describe("sampling", () => {
  it("draws every trial's η and λ inside the ranges, from the seed and trial index only", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.nat(10000), (seed, trial) => {
        const config = tinySearch({
          seed,
          learningRate: { min: 1e-4, max: 0.5 },
          lambda: { min: 1e-7, max: 1e-2 },
        });
        const { learningRate, lambda } = sampleTrial(config, trial);
        expect(learningRate).toBeGreaterThanOrEqual(1e-4);
        expect(learningRate).toBeLessThanOrEqual(0.5);
        expect(lambda).toBeGreaterThanOrEqual(1e-7);
        expect(lambda).toBeLessThanOrEqual(1e-2);
        expect(sampleTrial({ ...config, trials: 3 }, trial)).toEqual({ learningRate, lambda });
      }),
      { numRuns: 200 },
    );
  });

  it("is log-uniform: log η spreads evenly over the decades of the range", () => {
    const config = tinySearch({ learningRate: { min: 1e-4, max: 1 } });
    const decades = [0, 0, 0, 0];
    for (let trial = 0; trial < 4000; trial++)
      decades[Math.floor(Math.log10(sampleTrial(config, trial).learningRate) + 4)]! += 1;
    for (const count of decades) expect(Math.abs(count - 1000)).toBeLessThan(120);
  });

  it("splits trials into shards by index modulo the shard count", () => {
    expect(shardTrials(7, { index: 1, count: 3 })).toEqual([1, 4]);
    fc.assert(
      fc.property(fc.nat(60), fc.integer({ min: 1, max: 9 }), (trials, count) => {
        const all = Array.from({ length: count }, (_, index) =>
          shardTrials(trials, { index, count }),
        ).flat();
        expect(all.sort((a, b) => a - b)).toEqual(
          Array.from({ length: trials }, (_, trial) => trial),
        );
      }),
    );
    expect(parseShard("2/4")).toEqual(E.right({ index: 2, count: 4 }));
    for (const bad of ["4/4", "1", "-1/2", "a/b"])
      expect(E.isLeft(parseShard(bad)), bad).toBe(true);
  });
});

describe("runSearch", () => {
  it("runs shards that together cover every trial once, and merges them into the unsharded result", async () => {
    const config = tinySearch();
    const [whole, shard0, shard1, merged] = await Promise.all(
      [1, 2, 3, 4].map(() => temporaryFolder()),
    );
    const full = await expectRight(runSearch(config, { outDir: whole!, dataset: tinyDataset() }));
    expect(trialsOf(full.trials)).toEqual([0, 1, 2, 3, 4]);
    const first = await expectRight(
      runSearch(config, { outDir: shard0!, dataset: tinyDataset(), shard: { index: 0, count: 2 } }),
    );
    const second = await expectRight(
      runSearch(config, { outDir: shard1!, dataset: tinyDataset(), shard: { index: 1, count: 2 } }),
    );
    expect(trialsOf(first.trials)).toEqual([0, 2, 4]);
    expect(trialsOf(second.trials)).toEqual([1, 3]);

    const result = await expectRight(
      mergeSearch([shard0!, join(shard1!, SEARCH_FILES.log)], merged!),
    );
    expect(result.missing).toEqual([]);
    expect(result.trials).toEqual(full.trials);
    expect(await logLines(merged!)).toHaveLength(5);
    const report = await readFile(result.reportPath, "utf8");
    expect(report).toContain("5 of 5 trials finished");
    expect(report).toContain("![search scatter](scatter.png)");
    expect(report).toContain("best-2/loss.png");
    const ranked = full.trials.map((record) => record.final!.validationAccuracy);
    expect(ranked).toEqual([...ranked].sort((a, b) => b - a));
  });

  it("refuses to merge logs of different searches", async () => {
    const [a, b, out] = await Promise.all([1, 2, 3].map(() => temporaryFolder()));
    await expectRight(runSearch(tinySearch({ trials: 1 }), { outDir: a!, dataset: tinyDataset() }));
    await expectRight(
      runSearch(tinySearch({ trials: 1, seed: 12 }), { outDir: b!, dataset: tinyDataset() }),
    );
    const merged = await mergeSearch([a!, b!], out!)();
    expect(E.isLeft(merged) && merged.left.message).toMatch(/different search/);
  });

  it("resumes after a crash: finished trials are not re-run and a torn last line is dropped", async () => {
    const outDir = await temporaryFolder();
    const config = tinySearch({ trials: 4 });
    const complete = await expectRight(runSearch(config, { outDir, dataset: tinyDataset() }));
    const lines = await logLines(outDir);
    // A crash after two trials, in the middle of writing the third line.
    await writeFile(
      join(outDir, SEARCH_FILES.log),
      `${lines[0]}\n${lines[1]}\n${lines[2]!.slice(0, 40)}`,
    );

    const again = await runSearch(config, { outDir, dataset: tinyDataset() })();
    expect(E.isLeft(again) && again.left.message).toMatch(
      /already holds 2 finished trials; resume/,
    );

    const { events, onEvent } = eventLog();
    const resumed = await expectRight(
      runSearch(config, { outDir, dataset: tinyDataset(), resume: true, onEvent }),
    );
    expect(
      events
        .filter((event) => event.type === "trial-started")
        .map((event) => "trial" in event && event.trial),
    ).toEqual([2, 3]);
    expect(events.find((event) => event.type === "search-started")).toMatchObject({
      pending: [2, 3],
      finished: [0, 1],
    });
    expect(resumed.trials).toEqual(complete.trials);
    expect(await logLines(outDir)).toEqual(lines);

    const changed = await runSearch(tinySearch({ trials: 4, seed: 99 }), {
      outDir,
      dataset: tinyDataset(),
      resume: true,
    })();
    expect(E.isLeft(changed) && changed.left.message).toMatch(/different search/);
  });

  it("logs a diverged trial as diverged and goes on", async () => {
    const outDir = await temporaryFolder();
    const mixed = (seed: number) => {
      const config = tinySearch({
        seed,
        trials: 4,
        learningRate: { min: 1e-3, max: 1e9 },
        base: { epochs: 1, batchSize: 60, model: { hiddenSizes: [16], init: "he" } },
      });
      const rates = [0, 1, 2, 3].map((trial) => sampleTrial(config, trial).learningRate);
      return rates[0]! > 1e6 && rates.some((rate) => rate < 0.1) ? config : undefined;
    };
    const config = Array.from({ length: 200 }, (_, seed) => mixed(seed)).find(
      (found) => found !== undefined,
    )!;
    const result = await expectRight(runSearch(config, { outDir, dataset: tinyDataset() }));
    expect(result.trials).toHaveLength(4);
    const byTrial = new Map(result.trials.map((record) => [record.trial, record]));
    expect(byTrial.get(0)).toMatchObject({ status: "diverged", divergedAtEpoch: 1 });
    expect(result.trials.some((record) => record.status === "completed")).toBe(true);
    expect(result.trials.at(-1)!.status).toBe("diverged");
    expect(await readFile(result.reportPath, "utf8")).toContain("diverged (epoch 1)");
  });

  it("rebuilds a search report from search.json and trials.jsonl", async () => {
    const outDir = await temporaryFolder();
    const result = await expectRight(
      runSearch(tinySearch({ trials: 2 }), { outDir, dataset: tinyDataset() }),
    );
    const original = await readFile(result.reportPath, "utf8");
    await writeFile(result.reportPath, "stale");
    expect(await readFile(await expectRight(rebuildReport(outDir)), "utf8")).toBe(original);
  });
});
