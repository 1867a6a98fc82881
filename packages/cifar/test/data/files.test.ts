import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BATCH_FILES,
  CIFAR10_MD5,
  type FileVerification,
  RECORD_BYTES,
  readBatch,
  readClassNames,
  verifyCifar10,
  writeBatch,
} from "../../src/data/index.js";
import {
  expectLeft,
  expectRight,
  FIXTURE_CLASS_NAMES,
  provenanceBatch,
  sameBytes,
  temporaryDirectory,
  writeFixtureDir,
} from "./fixtures.js";

let dir: string;
beforeAll(async () => {
  dir = await temporaryDirectory();
});

describe("readBatch / writeBatch", () => {
  it("round-trips through a file and leaves no temporary file behind", async () => {
    const path = join(dir, "round.bin");
    const data = provenanceBatch(3, 25);
    expectRight(await writeBatch(path, data)());
    expect((await readFile(path)).length).toBe(25 * RECORD_BYTES);
    const read = expectRight(await readBatch(path)());
    expect(sameBytes(read.images, data.images)).toBe(true);
    expect(sameBytes(read.labels, data.labels)).toBe(true);
    expect(await readdir(dir)).toEqual(["round.bin"]);
  });

  it("returns FileNotFound for a missing file", async () => {
    const path = join(dir, "nope.bin");
    const error = expectLeft(await readBatch(path)());
    expect(error).toMatchObject({ _tag: "FileNotFound", path });
    expect(error.message).toContain(`${path}: file not found`);
  });

  it("returns ReadFailed for a directory", async () => {
    const path = join(dir, "a-directory");
    await mkdir(path);
    expect(expectLeft(await readBatch(path)())).toMatchObject({ _tag: "ReadFailed", path });
  });

  it("returns InvalidBatchSize for a truncated file on disk", async () => {
    const path = join(dir, "truncated.bin");
    expectRight(await writeBatch(path, provenanceBatch(0, 3))());
    await truncate(path, 3 * RECORD_BYTES - 100);
    const error = expectLeft(await readBatch(path)());
    expect(error).toMatchObject({ _tag: "InvalidBatchSize", path, offset: 2 * RECORD_BYTES });
  });

  it("returns WriteFailed when the directory does not exist", async () => {
    const path = join(dir, "missing-dir", "x.bin");
    expect(expectLeft(await writeBatch(path, provenanceBatch(0, 1))())).toMatchObject({
      _tag: "WriteFailed",
      path,
    });
  });
});

describe("verifyCifar10", () => {
  it("reports every file's md5 and fails on mismatches and missing files", async () => {
    const fixtures = join(dir, "fixtures");
    await mkdir(fixtures);
    await writeFixtureDir(fixtures, 4);
    await rm(join(fixtures, "data_batch_4.bin"));
    const error = expectLeft(await verifyCifar10(fixtures)());
    expect(error._tag).toBe("VerificationFailed");
    expect(error.report.map((entry: FileVerification) => entry.file)).toEqual([...BATCH_FILES]);
    for (const entry of error.report) {
      expect(entry.expectedMd5).toBe(CIFAR10_MD5[entry.file as keyof typeof CIFAR10_MD5]);
      expect(entry.ok).toBe(false);
      if (entry.file === "data_batch_4.bin") {
        expect(entry.actualMd5).toBeNull();
      } else {
        const bytes = await readFile(entry.path);
        expect(entry.actualMd5).toBe(createHash("md5").update(bytes).digest("hex"));
      }
    }
    expect(error.failures.map((failure) => failure._tag)).toEqual([
      "ChecksumMismatch",
      "ChecksumMismatch",
      "ChecksumMismatch",
      "FileNotFound",
      "ChecksumMismatch",
      "ChecksumMismatch",
    ]);
    expect(error.message).toContain("6 of 6 files failed verification");
    expect(error.message).toContain(join(fixtures, "test_batch.bin"));
  });
});

describe("readClassNames", () => {
  it("reads batches.meta.txt and rejects a malformed one", async () => {
    const good = join(dir, "meta-good.txt");
    await writeFile(good, `${FIXTURE_CLASS_NAMES.join("\n")}\n`);
    expect(expectRight(await readClassNames(good)())).toEqual(FIXTURE_CLASS_NAMES);
    const bad = join(dir, "meta-bad.txt");
    await writeFile(bad, "cat\ndog\n");
    expect(expectLeft(await readClassNames(bad)())._tag).toBe("InvalidClassNames");
  });
});
