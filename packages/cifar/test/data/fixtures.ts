import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { afterAll } from "vitest";
import {
  BATCH_FILES,
  type BatchFile,
  CLASS_NAMES_FILE,
  FEATURES,
  type LabeledImages,
  writeBatch,
} from "../../src/data/index.js";

/** A fresh temporary directory, removed after the test file. */
export async function temporaryDirectory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "puregrad-cifar-test-"));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Images that carry their provenance: pixel 0 = file index + 1, pixels 1–2 = record index
 * (little endian), the rest a fixed pattern; label = (record + file index) mod 10.
 */
export function provenanceBatch(fileIndex: number, count: number): LabeledImages {
  const images = new Uint8Array(count * FEATURES);
  const labels = new Int32Array(count);
  for (let record = 0; record < count; record++) {
    const row = images.subarray(record * FEATURES, (record + 1) * FEATURES);
    for (let feature = 3; feature < FEATURES; feature++) {
      row[feature] = (feature * 31 + record * 7 + fileIndex * 13) & 255;
    }
    row[0] = fileIndex + 1;
    row[1] = record & 255;
    row[2] = record >> 8;
    labels[record] = (record + fileIndex) % 10;
  }
  return { count, images, labels };
}

/** The (file index, record index) a provenance image came from. */
export function provenanceOf(images: Uint8Array, row: number): [number, number] {
  const at = row * FEATURES;
  return [images[at]! - 1, images[at + 1]! + 256 * images[at + 2]!];
}

export const FIXTURE_CLASS_NAMES = [
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
];

/** Writes the six batch files (provenance images) and batches.meta.txt into `dir`. */
export async function writeFixtureDir(
  dir: string,
  recordsPerBatch: number,
): Promise<Record<BatchFile, LabeledImages>> {
  const batches = {} as Record<BatchFile, LabeledImages>;
  for (const [index, file] of BATCH_FILES.entries()) {
    batches[file] = provenanceBatch(index, recordsPerBatch);
    const written = await writeBatch(join(dir, file), batches[file])();
    if (E.isLeft(written)) throw new Error(written.left.message);
  }
  await writeFile(join(dir, CLASS_NAMES_FILE), `${FIXTURE_CLASS_NAMES.join("\n")}\n\n`);
  return batches;
}

/** Whether two byte arrays are equal (vitest's deep equality is slow on megabyte arrays). */
export function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const bytes = (view: ArrayBufferView) =>
    Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  return bytes(a).equals(bytes(b));
}

/** The Right value, or a test failure showing the Left. */
export function expectRight<A>(either: E.Either<{ message: string }, A>): A {
  if (E.isLeft(either)) throw new Error(`expected Right, got Left: ${either.left.message}`);
  return either.right;
}

/** The Left value, or a test failure. */
export function expectLeft<L, A>(either: E.Either<L, A>): L {
  if (E.isRight(either)) throw new Error("expected Left, got Right");
  return either.left;
}
