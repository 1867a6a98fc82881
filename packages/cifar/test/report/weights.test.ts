import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { encodePng, montage, weightImages, writeWeightImages } from "../../src/report/weights.js";

const pixel = (image: { width: number; data: Uint8Array }, x: number, y: number) => [
  ...image.data.subarray(4 * (y * image.width + x), 4 * (y * image.width + x) + 4),
];

describe("weightImages", () => {
  it("reads each row as R, G, B planes and min-max scales each image on its own", () => {
    // Row 0 is 0..11 (min 0, max 11); row 1 is 100 - 10·i (min -10, max 100): different ranges.
    const row0 = Array.from({ length: 12 }, (_, i) => i);
    const row1 = Array.from({ length: 12 }, (_, i) => 100 - 10 * i);
    const [first, second] = weightImages(new Float64Array([...row0, ...row1]), [2, 12], {
      height: 2,
      width: 2,
    });
    const byte = (value: number, min: number, max: number) =>
      Math.round((255 * (value - min)) / (max - min));
    // Pixel (x=1, y=0) is plane offset 1: R = w[1], G = w[5], B = w[9].
    expect(pixel(first!, 1, 0)).toEqual([byte(1, 0, 11), byte(5, 0, 11), byte(9, 0, 11), 255]);
    expect(pixel(first!, 0, 0)).toEqual([0, byte(4, 0, 11), byte(8, 0, 11), 255]);
    expect(pixel(first!, 1, 1)).toEqual([byte(3, 0, 11), byte(7, 0, 11), 255, 255]);
    expect(pixel(second!, 0, 0)).toEqual([255, byte(60, -10, 100), byte(20, -10, 100), 255]);
    expect(pixel(second!, 1, 1)).toEqual([byte(70, -10, 100), byte(30, -10, 100), 0, 255]);
  });

  it("places a CIFAR-sized weight at its pixel and plane, and makes a constant row mid-grey", () => {
    const weights = new Float32Array(10 * 3072);
    // Class 3, green plane, pixel (x=5, y=7) is the only positive weight of its row.
    weights[3 * 3072 + 1024 + 7 * 32 + 5] = 0.25;
    const images = weightImages(weights, [10, 3072]);
    expect(images).toHaveLength(10);
    expect(pixel(images[3]!, 5, 7)).toEqual([0, 255, 0, 255]);
    expect(pixel(images[3]!, 7, 5)).toEqual([0, 0, 0, 255]);
    expect(pixel(images[0]!, 12, 20)).toEqual([128, 128, 128, 255]);
  });

  it("rejects shapes that do not fit and non-finite weights", () => {
    expect(() => weightImages(new Float32Array(11), [2, 6])).toThrow(
      "shape [2, 6] needs 12 values, got 11",
    );
    expect(() => weightImages(new Float32Array(20), [2, 10])).toThrow(
      "rows of 10 values cannot be 32×32 RGB images (need 3072)",
    );
    expect(() =>
      weightImages(new Float32Array([0, 1, Number.NaN]), [1, 3], { height: 1, width: 1 }),
    ).toThrow("weight [0, 2] is NaN");
  });
});

describe("montage", () => {
  it("upscales with nearest neighbour and separates images with background gaps", () => {
    const red = { width: 1, height: 1, data: new Uint8Array([255, 0, 0, 255]) };
    const blue = { width: 1, height: 1, data: new Uint8Array([0, 0, 255, 255]) };
    const row = montage([red, blue], { scale: 2, gap: 1, background: [1, 2, 3, 4] });
    expect([row.width, row.height]).toEqual([5, 2]);
    for (const y of [0, 1]) {
      expect([0, 1].map((x) => pixel(row, x, y))).toEqual([red.data, red.data].map((d) => [...d]));
      expect(pixel(row, 2, y)).toEqual([1, 2, 3, 4]);
      expect([3, 4].map((x) => pixel(row, x, y))).toEqual(
        [blue.data, blue.data].map((d) => [...d]),
      );
    }
    expect(() => montage([])).toThrow("no images");
    expect(() => montage([red], { scale: 1.5 })).toThrow("scale must be a positive integer");
    expect(() => montage([red, { width: 2, height: 1, data: new Uint8Array(8) }])).toThrow(
      "images must share one size",
    );
  });
});

describe("writeWeightImages", () => {
  it("writes one native-size PNG per class and a ×4 montage with gaps, decodable by pngjs", async () => {
    const weights = new Float32Array(10 * 3072).map(
      (_, i) => Math.sin(i * 0.37) * ((i % 3072) / 3072),
    );
    const classNames = [
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
    const directory = mkdtempSync(join(tmpdir(), "puregrad-weights-"));
    try {
      const result = await writeWeightImages(directory, weights, [10, 3072], { classNames })();
      expect(E.isRight(result) && result.right.classes[9]).toBe("weights-9-truck.png");
      expect(readdirSync(directory)).toHaveLength(11);
      const images = weightImages(weights, [10, 3072]);
      const cat = PNG.sync.read(readFileSync(join(directory, "weights-3-cat.png")));
      expect([cat.width, cat.height]).toEqual([32, 32]);
      expect([...cat.data]).toEqual([...images[3]!.data]);
      const row = PNG.sync.read(readFileSync(join(directory, "weights-montage.png")));
      expect([row.width, row.height]).toEqual([10 * 128 + 9 * 4, 128]);
      // Image 2 starts at x = 2·(128 + 4); its source pixel (x=10, y=20) covers a 4×4 block.
      expect(pixel(row, 2 * 132 + 4 * 10 + 3, 4 * 20 + 1)).toEqual(pixel(images[2]!, 10, 20));
      expect(pixel(row, 128 + 1, 50)).toEqual([255, 255, 255, 255]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("round-trips an image through encodePng", () => {
    const image = { width: 3, height: 2, data: Uint8Array.from({ length: 24 }, (_, i) => i * 10) };
    const decoded = PNG.sync.read(encodePng(image));
    expect([decoded.width, decoded.height, [...decoded.data]]).toEqual([3, 2, [...image.data]]);
  });
});
