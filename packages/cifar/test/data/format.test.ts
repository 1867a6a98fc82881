import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeBatch,
  encodeBatch,
  FEATURES,
  type LabeledImages,
  parseClassNames,
  RECORD_BYTES,
} from "../../src/data/index.js";
import { expectLeft, expectRight, sameBytes } from "./fixtures.js";

const labeledImages = fc.integer({ min: 1, max: 4 }).chain((count) =>
  fc.record({
    count: fc.constant(count),
    images: fc.uint8Array({ minLength: count * FEATURES, maxLength: count * FEATURES }),
    labels: fc
      .array(fc.integer({ min: 0, max: 9 }), { minLength: count, maxLength: count })
      .map((labels) => Int32Array.from(labels)),
  }),
);

describe("decodeBatch / encodeBatch", () => {
  it("decodes label bytes and the R, G, B planes of each record", () => {
    const bytes = new Uint8Array(2 * RECORD_BYTES);
    bytes[0] = 7;
    bytes[1] = 11; // record 0, R plane, pixel (0, 0)
    bytes[1 + 1024] = 22; // record 0, G plane, pixel (0, 0)
    bytes[1 + 2048 + 33] = 33; // record 0, B plane, pixel (row 1, column 1)
    bytes[RECORD_BYTES] = 2;
    bytes[RECORD_BYTES + FEATURES] = 44; // record 1, last B pixel
    const batch = expectRight(decodeBatch(bytes, "two.bin"));
    expect(batch.count).toBe(2);
    expect(Array.from(batch.labels)).toEqual([7, 2]);
    expect(batch.images[0]).toBe(11);
    expect(batch.images[1024]).toBe(22);
    expect(batch.images[2048 + 33]).toBe(33);
    expect(batch.images[2 * FEATURES - 1]).toBe(44);
    expect(batch.images.reduce((sum, value) => sum + value, 0)).toBe(11 + 22 + 33 + 44);
  });

  it("round-trips any images and labels", () => {
    fc.assert(
      fc.property(labeledImages, (data: LabeledImages) => {
        const bytes = encodeBatch(data);
        expect(bytes.length).toBe(data.count * RECORD_BYTES);
        const decoded = expectRight(decodeBatch(bytes, "x.bin"));
        expect(decoded.count).toBe(data.count);
        expect(sameBytes(decoded.images, data.images)).toBe(true);
        expect(sameBytes(decoded.labels, data.labels)).toBe(true);
        expect(sameBytes(encodeBatch(decoded), bytes)).toBe(true);
      }),
      { numRuns: 12 },
    );
  });

  it("rejects a size that is not a whole number of records, naming file and offset", () => {
    const error = expectLeft(decodeBatch(new Uint8Array(2 * RECORD_BYTES + 5), "cut.bin"));
    expect(error).toMatchObject({
      _tag: "InvalidBatchSize",
      path: "cut.bin",
      size: 2 * RECORD_BYTES + 5,
      offset: 2 * RECORD_BYTES,
      completeRecords: 2,
    });
    expect(error.message).toContain("cut.bin");
    expect(error.message).toContain(`offset ${2 * RECORD_BYTES}`);
    expect(error.message).toContain("download the dataset again");
  });

  it("rejects an empty file", () => {
    const error = expectLeft(decodeBatch(new Uint8Array(0), "empty.bin"));
    expect(error._tag).toBe("InvalidBatchSize");
    expect(error.message).toContain("empty.bin: the file is empty");
  });

  it("rejects a label outside 0–9, naming the record and its byte offset", () => {
    const bytes = new Uint8Array(3 * RECORD_BYTES);
    bytes[RECORD_BYTES] = 10;
    const error = expectLeft(decodeBatch(bytes, "bad.bin"));
    expect(error).toMatchObject({
      _tag: "InvalidLabel",
      record: 1,
      offset: RECORD_BYTES,
      label: 10,
    });
    expect(error.message).toContain(`bad.bin: record 1 (byte offset ${RECORD_BYTES}) has label 10`);
  });

  it("encodeBatch throws for inconsistent data", () => {
    const images = new Uint8Array(FEATURES);
    expect(() => encodeBatch({ count: 2, images, labels: new Int32Array(2) })).toThrow(
      /expected 2 × 3072 image bytes/,
    );
    expect(() => encodeBatch({ count: 1, images, labels: Int32Array.of(12) })).toThrow(
      /label 12 at index 0 is outside 0–9/,
    );
  });
});

describe("parseClassNames", () => {
  it("reads ten names, ignoring blank lines and CRLF", () => {
    const names = "a\r\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n";
    expect(expectRight(parseClassNames(names, "meta"))).toEqual("abcdefghij".split(""));
  });

  it("rejects any other number of names", () => {
    const error = expectLeft(parseClassNames("a\nb\n", "meta.txt"));
    expect(error).toMatchObject({ _tag: "InvalidClassNames", found: ["a", "b"] });
    expect(error.message).toContain("meta.txt: expected 10 class names");
  });
});
