import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type LabeledImages, loadCifar10, SPLITS, type SplitSpec } from "../../src/data/index.js";
import {
  expectLeft,
  expectRight,
  FIXTURE_CLASS_NAMES,
  provenanceOf,
  temporaryDirectory,
  writeFixtureDir,
} from "./fixtures.js";

// Large enough for the standard splits' 1000-record slices.
const RECORDS = 1100;
let dir: string;

beforeAll(async () => {
  dir = join(await temporaryDirectory(), "cifar-10-batches-bin");
  await mkdir(dir);
  await writeFixtureDir(dir, RECORDS);
});

/** The (file index, record) of every image of a set. */
const provenance = (set: LabeledImages): [number, number][] =>
  Array.from({ length: set.count }, (_, row) => provenanceOf(set.images, row));

/** The expected provenance of records [from, to) of file `file`. */
const records = (file: number, from: number, to: number): [number, number][] =>
  Array.from({ length: to - from }, (_, index) => [file, from + index]);

describe("loadCifar10 on a fixture directory", () => {
  it("a1: train data_batch_1, validation data_batch_2, test test_batch", async () => {
    const data = expectRight(await loadCifar10({ dir, split: "a1", verify: false })());
    expect(data.source).toBe("real");
    expect(data.location.source).toBe("argument");
    expect(data.description).toBe(`CIFAR-10 from directory argument ${dir}, split a1`);
    expect(data.classNames).toEqual(FIXTURE_CLASS_NAMES);
    expect(provenance(data.train)).toEqual(records(0, 0, RECORDS));
    expect(provenance(data.validation)).toEqual(records(1, 0, RECORDS));
    expect(provenance(data.test)).toEqual(records(5, 0, RECORDS));
    expect(Array.from(data.train.labels.subarray(0, 3))).toEqual([0, 1, 2]);
  });

  it("all: five batches minus the last 1000 of data_batch_5, which validate", async () => {
    const data = expectRight(await loadCifar10({ dir, split: "all", verify: false })());
    expect(provenance(data.train)).toEqual([
      ...records(0, 0, RECORDS),
      ...records(1, 0, RECORDS),
      ...records(2, 0, RECORDS),
      ...records(3, 0, RECORDS),
      ...records(4, 0, RECORDS - 1000),
    ]);
    expect(provenance(data.validation)).toEqual(records(4, RECORDS - 1000, RECORDS));
    expect(provenance(data.test)).toEqual(records(5, 0, RECORDS));
    // Labels travel with their images.
    expect(data.validation.labels[0]).toBe((RECORDS - 1000 + 4) % 10);
  });

  it("a2-report: batches 1 and 3 train, the first 1000 of batch 2 validate", async () => {
    const data = expectRight(await loadCifar10({ dir, split: "a2-report", verify: false })());
    expect(provenance(data.train)).toEqual([...records(0, 0, RECORDS), ...records(2, 0, RECORDS)]);
    expect(provenance(data.validation)).toEqual(records(1, 0, 1000));
  });

  it("a custom split with negative indices", async () => {
    const split: SplitSpec = {
      train: [{ file: "data_batch_3.bin", from: 10, to: 20 }],
      validation: [{ file: "data_batch_3.bin", from: -5 }],
      test: [{ file: "test_batch.bin", to: -1090 }],
    };
    const data = expectRight(await loadCifar10({ dir, split, verify: false })());
    expect(provenance(data.train)).toEqual(records(2, 10, 20));
    expect(provenance(data.validation)).toEqual(records(2, RECORDS - 5, RECORDS));
    expect(provenance(data.test)).toEqual(records(5, 0, 10));
    expect(data.description).toContain("split custom");
  });

  it("rejects a range outside the file", async () => {
    const split: SplitSpec = { ...SPLITS.a1, validation: [{ file: "data_batch_2.bin", to: 5000 }] };
    const error = expectLeft(await loadCifar10({ dir, split, verify: false })());
    expect(error._tag).toBe("InvalidSplit");
    expect(error.message).toContain(`${join(dir, "data_batch_2.bin")}: records [0, 5000)`);
  });

  it("verifies official checksums by default and names the failing file", async () => {
    const error = expectLeft(await loadCifar10({ dir, split: "a1" })());
    expect(error).toMatchObject({
      _tag: "ChecksumMismatch",
      path: join(dir, "data_batch_1.bin"),
      expected: "5dd7e06a14cb22eb9f671a540d1b7c25",
    });
  });

  it("reports a missing directory as DatasetNotFound", async () => {
    const error = expectLeft(await loadCifar10({ dir: join(dir, "nowhere") })());
    expect(error._tag).toBe("DatasetNotFound");
  });
});
