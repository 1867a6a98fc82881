/**
 * Integration tests on the real CIFAR-10 files; they run only when CIFAR10_DIR is set (CI sets
 * it; locally: CIFAR10_DIR=/work/shared/cifar-10-batches-bin).
 */
import { describe, expect, it } from "vitest";
import {
  BATCH_FILES,
  computeNormalization,
  FEATURES,
  type LabeledImages,
  loadCifar10,
  prepareSplit,
  type SplitSpec,
  verifyCifar10,
} from "../../src/data/index.js";
import { expectRight } from "./fixtures.js";

const dir = process.env.CIFAR10_DIR;

const classCounts = (set: LabeledImages) => {
  const counts = new Array(10).fill(0);
  for (const label of set.labels) counts[label]++;
  return counts;
};

describe.runIf(dir)("real CIFAR-10 files (CIFAR10_DIR)", () => {
  it("verifies every file against the official md5", async () => {
    const report = expectRight(await verifyCifar10(dir!)());
    expect(report.files.map((file) => [file.file, file.ok])).toEqual(
      BATCH_FILES.map((file) => [file, true]),
    );
  });

  it("has 5000 training and 1000 test images per class, and the known channel means", async () => {
    const everything: SplitSpec = {
      train: BATCH_FILES.slice(0, 5).map((file) => ({ file })),
      validation: [{ file: "data_batch_5.bin", from: -1 }],
      test: [{ file: "test_batch.bin" }],
    };
    const data = expectRight(await loadCifar10({ split: everything })());
    expect(data.location).toMatchObject({ source: "environment", dir });
    expect(data.classNames).toEqual([
      "airplane",
      "automobile",
      "bird",
      "cat",
      "deer",
      "dog",
      "frog",
      "horse",
      "ship",
      "truck",
    ]);
    expect(classCounts(data.train)).toEqual(new Array(10).fill(5000));
    expect(classCounts(data.test)).toEqual(new Array(10).fill(1000));
    const { mean } = computeNormalization(data.train);
    const plane = FEATURES / 3;
    const channelMeans = [0, 1, 2].map(
      (channel) =>
        mean.subarray(channel * plane, (channel + 1) * plane).reduce((a, b) => a + b, 0) / plane,
    );
    // The widely quoted torchvision normalization constants.
    expect(channelMeans[0]).toBeCloseTo(0.4914, 4);
    expect(channelMeans[1]).toBeCloseTo(0.4822, 4);
    expect(channelMeans[2]).toBeCloseTo(0.4465, 4);
  });

  it("prepares split a1: normalized tensors with training statistics", async () => {
    const data = expectRight(await loadCifar10({ split: "a1" })());
    expect([data.train.count, data.validation.count, data.test.count]).toEqual([
      10000, 10000, 10000,
    ]);
    const prepared = prepareSplit(data);
    expect(prepared.source).toBe("real");
    expect(prepared.train.x.shape).toEqual([10000, FEATURES]);
    const x = prepared.train.x.toTypedArray();
    let sum = 0;
    for (let row = 0; row < 10000; row++) sum += x[row * FEATURES + 100]!;
    expect(sum / 10000).toBeCloseTo(0, 4);
  });
});
