import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  FEATURES,
  imagesToFloat32,
  type LabeledImages,
  readBatch,
  SYNTHETIC_CLASS_NAMES,
  syntheticCifar10,
  writeBatch,
} from "../../src/data/index.js";
import { expectRight, sameBytes, temporaryDirectory } from "./fixtures.js";

// A local copy: vitest compiles imported bindings to property reads, slow in the hot loops below.
const D = FEATURES;

const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest("hex");

/** Squared distance of image `row` of `x` to each of `centroids` (flat k × 3072). */
function nearest(x: Float32Array, row: number, centroids: Float64Array): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let c = 0; c < centroids.length / D; c++) {
    let distance = 0;
    for (let f = 0; f < D; f++) {
      const d = x[row * D + f]! - centroids[c * D + f]!;
      distance += d * d;
    }
    if (distance < bestDistance) [best, bestDistance] = [c, distance];
  }
  return best;
}

/**
 * Nearest-centroid accuracy with `perClass` centroids per class, found by a few k-means (Lloyd)
 * iterations within each class. One centroid per class is a linear classifier; more make it
 * piecewise linear.
 */
function centroidAccuracy(train: LabeledImages, test: LabeledImages, perClass: number): number {
  const x = imagesToFloat32(train);
  const centroids = new Float64Array(10 * perClass * D);
  for (let label = 0; label < 10; label++) {
    const rows = [...train.labels.keys()].filter((row) => train.labels[row] === label);
    const local = new Float64Array(perClass * D);
    rows.slice(0, perClass).forEach((row, k) => {
      for (let f = 0; f < D; f++) local[k * D + f] = x[row * D + f]!;
    });
    for (let iteration = 0; iteration < (perClass > 1 ? 8 : 1); iteration++) {
      const assignment = rows.map((row) => (perClass > 1 ? nearest(x, row, local) : 0));
      local.fill(0);
      const sizes = new Array(perClass).fill(0);
      rows.forEach((row, i) => {
        const k = assignment[i]!;
        sizes[k]++;
        for (let f = 0; f < D; f++) local[k * D + f]! += x[row * D + f]!;
      });
      for (let k = 0; k < perClass; k++) {
        for (let f = 0; f < D; f++) local[k * D + f]! /= Math.max(1, sizes[k]);
      }
    }
    centroids.set(local, label * perClass * D);
  }
  const testX = imagesToFloat32(test);
  let correct = 0;
  for (let row = 0; row < test.count; row++) {
    if (Math.floor(nearest(testX, row, centroids) / perClass) === test.labels[row]) correct++;
  }
  return correct / test.count;
}

describe("syntheticCifar10", () => {
  const data = syntheticCifar10({ seed: 7, trainSize: 600, validationSize: 50, testSize: 400 });

  it("is CIFAR-shaped, balanced and labelled as synthetic", () => {
    expect(data.source).toBe("synthetic");
    expect(data.classNames).toEqual(SYNTHETIC_CLASS_NAMES);
    expect(data.description).toContain("seed 7");
    expect(data.train.images.length).toBe(600 * FEATURES);
    const counts = new Array(10).fill(0);
    for (const label of data.train.labels) counts[label]++;
    expect(counts).toEqual(new Array(10).fill(60));
    // Pixels use the byte range without piling up at the clamps.
    const histogram = new Array(256).fill(0);
    for (const value of data.train.images) histogram[value]++;
    expect(histogram[0] + histogram[255]).toBeLessThan(0.01 * data.train.images.length);
    expect(histogram.slice(20, 236).every((count) => count > 0)).toBe(true);
  });

  it("is deterministic per seed, and the test set does not depend on trainSize", () => {
    const again = syntheticCifar10({ seed: 7, trainSize: 600, validationSize: 50, testSize: 400 });
    expect(md5(again.train.images)).toBe(md5(data.train.images));
    const other = syntheticCifar10({ seed: 8, trainSize: 600, validationSize: 50, testSize: 400 });
    expect(md5(other.train.images)).not.toBe(md5(data.train.images));
    const smaller = syntheticCifar10({ seed: 7, trainSize: 10, validationSize: 50, testSize: 400 });
    expect(md5(smaller.test.images)).toBe(md5(data.test.images));
    expect(sameBytes(smaller.train.images, data.train.images.subarray(0, 10 * FEATURES))).toBe(
      true,
    );
  });

  it("keeps its bytes across versions (a change here breaks reproducibility)", () => {
    const pinned = syntheticCifar10({ seed: 0, trainSize: 20, validationSize: 0, testSize: 0 });
    expect(md5(pinned.train.images)).toBe("b157bd3ba89e7778cc23f0c1f5b632ab");
  });

  it("is learnable linearly, and better with a non-linear (piecewise linear) classifier", () => {
    const linear = centroidAccuracy(data.train, data.test, 1);
    const piecewise = centroidAccuracy(data.train, data.test, 2);
    expect(linear).toBeGreaterThan(0.3);
    // Measured: 0.44 and 0.70 (seed 7); the ± modes average out of the class means.
    expect(piecewise).toBeGreaterThan(linear + 0.15);
  });

  it("round-trips through the binary batch format", async () => {
    const path = join(await temporaryDirectory(), "synthetic.bin");
    expectRight(await writeBatch(path, data.test)());
    const read = expectRight(await readBatch(path)());
    expect(sameBytes(read.images, data.test.images)).toBe(true);
    expect(sameBytes(read.labels, data.test.labels)).toBe(true);
  });

  it("rejects invalid options", () => {
    expect(() => syntheticCifar10({ seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(() => syntheticCifar10({ seed: 1, testSize: -1 })).toThrow(
      /testSize must be a non-negative integer, got -1/,
    );
  });
});
