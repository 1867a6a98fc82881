/**
 * Pictures of learnt weights: each class's row of W shown as the 32×32 colour image it is
 * matched against (the A1 "templates").
 */
import { join } from "node:path";
import * as TE from "fp-ts/lib/TaskEither.js";
import { PNG } from "pngjs";
import { type WriteFileError, writeFileAtomic } from "./files.js";

/** An 8-bit RGBA image: `data[4 * (y * width + x) + channel]`, channels R, G, B, A. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Size of the image each weight row is reshaped to (3 planes R, G, B of height × width). */
export interface ImageSize {
  readonly height: number;
  readonly width: number;
}

const cifarImageSize: ImageSize = { height: 32, width: 32 };

/**
 * Turns a weight matrix into one image per row. Row r (length 3·height·width) is read as planes
 * R, G, B, each row-major, exactly as CIFAR-10 stores pixels; each image is min-max scaled to
 * [0, 1] on its own over all three planes (a constant row becomes mid-grey), then to bytes
 * `round(255 · v)`, fully opaque.
 *
 * @param weights - Row-major matrix data, `shape[0] * shape[1]` values (e.g. W of A1, 10×3072).
 * @param shape - `[rows, columns]`; `columns` must be 3 · height · width.
 * @param imageSize - Default 32 × 32 (CIFAR-10).
 * @throws RangeError for a shape/data/size mismatch or a non-finite weight (a diverged run has
 * no meaningful picture).
 */
export function weightImages(
  weights: Float32Array | Float64Array,
  shape: readonly [number, number],
  imageSize: ImageSize = cifarImageSize,
): RgbaImage[] {
  const [rows, columns] = shape;
  const { height, width } = imageSize;
  const planeSize = height * width;
  if (weights.length !== rows * columns)
    throw new RangeError(
      `weightImages: shape [${rows}, ${columns}] needs ${rows * columns} values, got ${weights.length}`,
    );
  if (columns !== 3 * planeSize)
    throw new RangeError(
      `weightImages: rows of ${columns} values cannot be ${height}×${width} RGB images (need ${3 * planeSize})`,
    );
  return Array.from({ length: rows }, (_, row) => {
    const values = weights.subarray(row * columns, (row + 1) * columns);
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const [index, value] of values.entries()) {
      if (!Number.isFinite(value))
        throw new RangeError(`weightImages: weight [${row}, ${index}] is ${value}`);
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
    const range = max - min;
    const data = new Uint8Array(planeSize * 4);
    for (let pixel = 0; pixel < planeSize; pixel++) {
      for (let channel = 0; channel < 3; channel++) {
        const scaled = range > 0 ? (values[channel * planeSize + pixel]! - min) / range : 0.5;
        data[4 * pixel + channel] = Math.round(255 * scaled);
      }
      data[4 * pixel + 3] = 255;
    }
    return { width, height, data };
  });
}

/** Options of {@link montage}. */
export interface MontageOptions {
  /** Integer upscaling factor (nearest neighbour, so pixels stay crisp); default 4. */
  readonly scale?: number;
  /** Pixels between neighbouring images; default 4. */
  readonly gap?: number;
  /** Gap colour as RGBA bytes; default opaque white. */
  readonly background?: readonly [number, number, number, number];
}

/**
 * Lays images out in one row, each upscaled by an integer factor with nearest-neighbour sampling
 * and separated by gaps.
 *
 * @throws RangeError if the images differ in size, none are given, or `scale` is not a positive
 * integer.
 */
export function montage(images: readonly RgbaImage[], options: MontageOptions = {}): RgbaImage {
  const { scale = 4, gap = 4, background = [255, 255, 255, 255] } = options;
  const first = images[0];
  if (first === undefined) throw new RangeError("montage: no images");
  if (!Number.isInteger(scale) || scale < 1)
    throw new RangeError(`montage: scale must be a positive integer, got ${scale}`);
  if (!Number.isInteger(gap) || gap < 0)
    throw new RangeError(`montage: gap must be a non-negative integer, got ${gap}`);
  for (const image of images)
    if (image.width !== first.width || image.height !== first.height)
      throw new RangeError(
        `montage: images must share one size, got ${first.width}×${first.height} and ${image.width}×${image.height}`,
      );
  const tileWidth = first.width * scale;
  const width = images.length * tileWidth + (images.length - 1) * gap;
  const height = first.height * scale;
  const data = new Uint8Array(width * height * 4);
  for (let pixel = 0; pixel < width * height; pixel++) data.set(background, 4 * pixel);
  images.forEach((image, index) => {
    const left = index * (tileWidth + gap);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < tileWidth; x++) {
        const source = 4 * (Math.floor(y / scale) * image.width + Math.floor(x / scale));
        data.set(image.data.subarray(source, source + 4), 4 * (y * width + left + x));
      }
  });
  return { width, height, data };
}

/** Encodes an image as an 8-bit RGBA PNG. */
export function encodePng(image: RgbaImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  png.data.set(image.data);
  return PNG.sync.write(png);
}

/** File names (relative to the report folder) written by {@link writeWeightImages}. */
export interface WeightImageFiles {
  /** One PNG per row of W, in row (class) order. */
  readonly classes: readonly string[];
  /** The row of all images, upscaled. */
  readonly montage: string;
}

/** Options of {@link writeWeightImages}. */
export interface WeightImageOptions extends MontageOptions {
  /** Class names used in the file names, one per row; default the row numbers. */
  readonly classNames?: readonly string[];
  /** File name prefix; default `weights`. */
  readonly baseName?: string;
  readonly imageSize?: ImageSize;
}

/**
 * Writes W as one PNG per class (`<baseName>-<row>-<class>.png`, native size) and a montage
 * (`<baseName>-montage.png`), each atomically.
 *
 * @throws RangeError as {@link weightImages} and {@link montage}, or if `classNames` has the wrong
 * length.
 * @returns The file names relative to `directory`, for links in `report.md`.
 */
export function writeWeightImages(
  directory: string,
  weights: Float32Array | Float64Array,
  shape: readonly [number, number],
  options: WeightImageOptions = {},
): TE.TaskEither<WriteFileError, WeightImageFiles> {
  const { classNames, baseName = "weights", imageSize } = options;
  if (classNames !== undefined && classNames.length !== shape[0])
    throw new RangeError(
      `writeWeightImages: ${classNames.length} class names for ${shape[0]} weight rows`,
    );
  const images = weightImages(weights, shape, imageSize);
  const fileName = (row: number): string => {
    const name = (classNames?.[row] ?? "").toLowerCase().replace(/[^a-z0-9_-]+/g, "-");
    return `${baseName}-${row}${name === "" ? "" : `-${name}`}.png`;
  };
  const files = {
    classes: images.map((_, row) => fileName(row)),
    montage: `${baseName}-montage.png`,
  };
  const writes = [
    ...images.map((image, row) =>
      writeFileAtomic(join(directory, files.classes[row]!), encodePng(image)),
    ),
    writeFileAtomic(join(directory, files.montage), encodePng(montage(images, options))),
  ];
  return TE.map(() => files)(TE.sequenceSeqArray(writes));
}
