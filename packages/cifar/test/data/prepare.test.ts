import { key } from "@puregrad/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Cifar10Data,
  computeNormalization,
  FEATURES,
  imagesToFloat32,
  type LabeledImages,
  miniBatches,
  prepareSplit,
  toTensors,
} from "../../src/data/index.js";
import { provenanceBatch } from "./fixtures.js";

const randomImages = (count: number) =>
  fc
    .uint8Array({ minLength: count * FEATURES, maxLength: count * FEATURES })
    .map((images): LabeledImages => ({ count, images, labels: new Int32Array(count) }));

describe("computeNormalization", () => {
  it("matches a naive two-pass mean and population std of pixels / 255", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }).chain(randomImages), (data) => {
        const { mean, std } = computeNormalization(data);
        for (let feature = 0; feature < FEATURES; feature += 97) {
          const values = Array.from(
            { length: data.count },
            (_, row) => data.images[row * FEATURES + feature]! / 255,
          );
          const m = values.reduce((a, b) => a + b, 0) / values.length;
          const s = Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length);
          expect(mean[feature]).toBeCloseTo(m, 6);
          expect(std[feature]).toBeCloseTo(s === 0 ? 1 : s, 6);
        }
      }),
      { numRuns: 10 },
    );
  });

  it("stores std 1 for a constant feature and rejects an empty set", () => {
    const images = new Uint8Array(2 * FEATURES).fill(200);
    images[FEATURES + 5] = 100;
    const { mean, std } = computeNormalization({ count: 2, images, labels: new Int32Array(2) });
    expect(mean[0]).toBeCloseTo(200 / 255, 7);
    expect(std[0]).toBe(1);
    expect(mean[5]).toBeCloseTo(150 / 255, 7);
    expect(std[5]).toBeCloseTo(50 / 255, 7);
    expect(() =>
      computeNormalization({ count: 0, images: new Uint8Array(0), labels: new Int32Array(0) }),
    ).toThrow(/training set is empty/);
  });
});

describe("imagesToFloat32", () => {
  it("scales bytes to [0, 1] and normalizes with given statistics", () => {
    const data = provenanceBatch(1, 3);
    const scaled = imagesToFloat32(data);
    for (const index of [0, 1, 100, 3 * FEATURES - 1]) {
      expect(scaled[index]).toBeCloseTo(data.images[index]! / 255, 7);
    }
    const mean = new Float32Array(FEATURES).fill(0.25);
    const std = new Float32Array(FEATURES).fill(0.5);
    const normalized = imagesToFloat32(data, { mean, std });
    for (const index of [0, 1, 100, 3 * FEATURES - 1]) {
      expect(normalized[index]).toBeCloseTo((data.images[index]! / 255 - 0.25) / 0.5, 6);
    }
  });
});

const dataset = (): Cifar10Data => ({
  source: "synthetic",
  description: "fixture",
  classNames: "abcdefghij".split(""),
  train: provenanceBatch(0, 30),
  validation: provenanceBatch(1, 7),
  test: provenanceBatch(2, 5),
});

describe("prepareSplit", () => {
  it("normalizes every set with the training statistics", () => {
    const data = dataset();
    const prepared = prepareSplit(data, { oneHot: true });
    expect(prepared.source).toBe("synthetic");
    expect(prepared.train.x.shape).toEqual([30, FEATURES]);
    expect(prepared.train.x.dtype).toBe("float32");
    expect(prepared.validation.y.dtype).toBe("int32");
    expect(prepared.test.yOneHot?.shape).toEqual([5, 10]);
    const { mean, std } = prepared.normalization;
    const trainX = prepared.train.x.toTypedArray();
    // Training features are centred and scaled to unit std (or constant 0 when constant).
    for (const feature of [3, 1000, FEATURES - 1]) {
      let sum = 0;
      let sumOfSquares = 0;
      for (let row = 0; row < 30; row++) {
        const value = trainX[row * FEATURES + feature]!;
        sum += value;
        sumOfSquares += value * value;
      }
      expect(sum / 30).toBeCloseTo(0, 5);
      expect(sumOfSquares / 30).toBeCloseTo(1, 4);
    }
    const validationX = prepared.validation.x.toTypedArray();
    for (const index of [3, 5000, 7 * FEATURES - 1]) {
      const feature = index % FEATURES;
      const expected = (data.validation.images[index]! / 255 - mean[feature]!) / std[feature]!;
      expect(validationX[index]).toBeCloseTo(expected, 5);
    }
    expect(Array.from(prepared.test.y.toTypedArray())).toEqual([2, 3, 4, 5, 6]);
    expect(prepared.test.yOneHot?.toArray()).toEqual(
      [2, 3, 4, 5, 6].map((label) => Array.from({ length: 10 }, (_, k) => (k === label ? 1 : 0))),
    );
  });

  it("toTensors without statistics scales to [0, 1] and omits one-hot labels", () => {
    const set = toTensors(provenanceBatch(0, 2));
    expect(set.yOneHot).toBeUndefined();
    expect(set.x.toTypedArray()[0]).toBeCloseTo(1 / 255, 7);
  });
});

describe("miniBatches", () => {
  const set = toTensors(provenanceBatch(0, 25), { oneHot: true });
  // Column 1 of the provenance images holds the record index / 255.
  const rowsOf = (x: Float32Array) =>
    Array.from({ length: x.length / FEATURES }, (_, row) =>
      Math.round(x[row * FEATURES + 1]! * 255),
    );

  it("yields the rows in order, the last batch smaller", () => {
    const batches = [...miniBatches(set, { batchSize: 10 })];
    expect(batches.map((batch) => batch.x.shape[0])).toEqual([10, 10, 5]);
    expect(batches.flatMap((batch) => rowsOf(batch.x.toTypedArray() as Float32Array))).toEqual(
      Array.from({ length: 25 }, (_, row) => row),
    );
    expect(batches[2]!.yOneHot!.shape).toEqual([5, 10]);
  });

  it("drops the remainder when asked", () => {
    const batches = [...miniBatches(set, { batchSize: 10, dropRemainder: true })];
    expect(batches.map((batch) => batch.y.shape[0])).toEqual([10, 10]);
  });

  it("shuffles with a key: a permutation, reproducible, rows kept together", () => {
    const order = (seed: number) =>
      [...miniBatches(set, { batchSize: 7, key: key(seed) })].flatMap((batch) => {
        const rows = rowsOf(batch.x.toTypedArray() as Float32Array);
        // Each label must still belong to its image (label = record mod 10).
        expect(Array.from(batch.y.toTypedArray())).toEqual(rows.map((row) => row % 10));
        expect(batch.yOneHot!.toArray()).toEqual(
          rows.map((row) => Array.from({ length: 10 }, (_, k) => (k === row % 10 ? 1 : 0))),
        );
        return rows;
      });
    const first = order(1);
    expect([...first].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, row) => row));
    expect(first).not.toEqual(Array.from({ length: 25 }, (_, row) => row));
    expect(order(1)).toEqual(first);
    expect(order(2)).not.toEqual(first);
  });

  it("rejects bad batch sizes and tensors of different lengths", () => {
    expect(() => [...miniBatches(set, { batchSize: 0 })]).toThrow(/positive integer, got 0/);
    const other = toTensors(provenanceBatch(0, 3));
    expect(() => [...miniBatches({ x: set.x, y: other.y }, { batchSize: 2 })]).toThrow(
      /same first dimension; x has shape \[25,3072\], y has \[3\]/,
    );
  });
});
