import { truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  BATCH_FILES,
  CLASS_NAMES_FILE,
  RECORD_BYTES,
  syntheticCifar10,
  writeBatch,
} from "@puregrad/cifar";
import * as E from "fp-ts/lib/Either.js";
import { beforeAll, describe, expect, it } from "vitest";
import { jsonLines, runCli, temporaryDirectory } from "./helpers";

let cwd: string;
let dataDir: string;

/** A CIFAR-10-shaped folder of synthetic batches (20 records each), written by the data layer. */
async function writeSyntheticFolder(dir: string): Promise<void> {
  const data = syntheticCifar10({ seed: 1, trainSize: 20, validationSize: 20, testSize: 20 });
  for (const file of BATCH_FILES) {
    const written = await writeBatch(
      join(dir, file),
      file === "test_batch.bin" ? data.test : data.train,
    )();
    if (E.isLeft(written)) throw new Error(written.left.message);
  }
  await writeFile(join(dir, CLASS_NAMES_FILE), `${data.classNames.join("\n")}\n`);
}

beforeAll(async () => {
  cwd = await temporaryDirectory();
  dataDir = await temporaryDirectory();
  await writeSyntheticFolder(dataDir);
});

describe("data verify", () => {
  it("accepts a well-formed folder with --no-checksums", async () => {
    const { code, stdout, stderr } = await runCli(
      ["data", "verify", dataDir, "--no-checksums"],
      cwd,
    );
    expect(code, stderr).toBe(0);
    for (const file of BATCH_FILES)
      expect(stdout).toMatch(new RegExp(`ok +${file.replace(".", "\\.")} +20 records`));
    expect(stdout).toMatch(/ok +batches\.meta\.txt +synthetic-0, synthetic-1/);
    expect(stderr).toContain("Checksums were not compared");
  });

  it("fails (exit 1) on checksums, naming each file whose md5 is not the official one", async () => {
    const { code, stdout, stderr } = await runCli(["--json", "data", "verify", dataDir], cwd);
    expect(code).toBe(1);
    const [result] = jsonLines(stdout);
    expect(result).toMatchObject({ type: "verify", ok: false, checksums: true });
    const files = result!.files as { file: string; ok: boolean; detail: string }[];
    expect(files.filter((file) => !file.ok).map((file) => file.file)).toEqual([...BATCH_FILES]);
    expect(files.find((file) => file.file === CLASS_NAMES_FILE)?.ok).toBe(true);
    expect(files[0]!.detail).toMatch(/is not the official 5dd7e06a14cb22eb9f671a540d1b7c25/);
    expect(stderr).toMatch(/6 of 7 files .* failed verification/);
    expect(stderr).toContain("--no-checksums");
  });

  it("finds a truncated batch file even without checksums, with the offset", async () => {
    const broken = await temporaryDirectory();
    await writeSyntheticFolder(broken);
    await truncate(join(broken, "data_batch_3.bin"), 5 * RECORD_BYTES + 100);
    const { code, stdout } = await runCli(
      ["--data-dir", broken, "data", "verify", "--no-checksums"],
      cwd,
    );
    expect(code).toBe(1);
    expect(stdout).toMatch(/FAIL +data_batch_3\.bin .*15365/);
    expect(stdout).toMatch(/ok +data_batch_2\.bin/);
  });

  it("says what to do when there is no dataset", async () => {
    const { code, stderr } = await runCli(["data", "verify"], cwd);
    expect(code).toBe(1);
    expect(stderr).toMatch(/CIFAR-10 not found in user cache .*puregrad data download/);
  });
});

describe("data info", () => {
  it("reports the folder, why it was chosen, and the record counts", async () => {
    const { code, stdout } = await runCli(["--json", "--data-dir", dataDir, "data", "info"], cwd);
    expect(code).toBe(0);
    const [info] = jsonLines(stdout);
    expect(info).toMatchObject({ type: "data-info", found: true, dir: dataDir });
    expect(info!.reason).toContain("directory argument");
    expect(
      (info!.files as { records: number | null }[]).slice(0, 6).map((file) => file.records),
    ).toEqual([20, 20, 20, 20, 20, 20]);
  });

  it("exits 1 with advice when nothing is found", async () => {
    const { code, stdout, stderr } = await runCli(["data", "info"], cwd);
    expect(code).toBe(1);
    expect(stdout).toContain("CIFAR-10: not found");
    expect(stderr).toContain("puregrad data download");
  });
});
