/**
 * A deterministic, CIFAR-shaped synthetic dataset with learnable class structure, for tests,
 * demos and runs where the real files cannot be had.
 */
import { CHANNELS, CLASSES, FEATURES, IMAGE_SIZE, type LabeledImages } from "./format.js";
import type { Cifar10Data } from "./splits.js";

/** Options of {@link syntheticCifar10}. */
export interface SyntheticCifar10Options {
  /** Any 32-bit integer; the same seed always gives the same bytes. */
  readonly seed: number;
  /** Training images (default 5000). */
  readonly trainSize?: number;
  /** Validation images (default 1000). */
  readonly validationSize?: number;
  /** Test images (default 1000). */
  readonly testSize?: number;
}

/** Class names of the synthetic dataset: deliberately not CIFAR's, so no plot can pass for real data. */
export const SYNTHETIC_CLASS_NAMES: readonly string[] = Array.from(
  { length: CLASSES },
  (_, label) => `synthetic-${label}`,
);

/**
 * Generates a synthetic CIFAR-shaped dataset: 3072 pixel bytes per image, 10 balanced classes,
 * `source: "synthetic"`.
 *
 * Each class has a smooth colour template and a smooth "mode" pattern; an image is
 * `128 + template ± mode + nuisance + noise` (clamped to bytes), where the sign of the mode is
 * random per image, the nuisance is a random smooth field plus a brightness shift, and the noise is
 * per pixel. The templates make a linear classifier do far better than chance; the ± modes average
 * out of every class mean, so only a non-linear model (an MLP) can use them and does better still.
 *
 * The training, validation and test sets are drawn from independent streams of one seeded
 * PRNG, so changing `trainSize` leaves the test set unchanged.
 *
 * @throws RangeError for a non-integer seed or a negative or non-integer size
 * @example
 * ```ts
 * const data = syntheticCifar10({ seed: 0, trainSize: 1000 });
 * data.train.images.length; // 1000 × 3072
 * ```
 */
export function syntheticCifar10(options: SyntheticCifar10Options): Cifar10Data {
  const { seed, trainSize = 5000, validationSize = 1000, testSize = 1000 } = options;
  if (!Number.isInteger(seed)) {
    throw new RangeError(`syntheticCifar10: seed must be an integer, got ${seed}`);
  }
  for (const [name, size] of [
    ["trainSize", trainSize],
    ["validationSize", validationSize],
    ["testSize", testSize],
  ] as const) {
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`syntheticCifar10: ${name} must be a non-negative integer, got ${size}`);
    }
  }
  const model = classModel(new Random(seed, 0));
  return {
    source: "synthetic",
    description: `synthetic CIFAR-shaped data (seed ${seed}; ${trainSize}/${validationSize}/${testSize} images)`,
    classNames: SYNTHETIC_CLASS_NAMES,
    train: sampleImages(model, new Random(seed, 1), trainSize),
    validation: sampleImages(model, new Random(seed, 2), validationSize),
    test: sampleImages(model, new Random(seed, 3), testSize),
  };
}

/** Pixel-value amplitudes (in bytes) of each component of an image. */
const TEMPLATE_AMPLITUDE = 8;
const MODE_AMPLITUDE = 16;
const NUISANCE_AMPLITUDE = 40;
const BRIGHTNESS_AMPLITUDE = 25;
const NOISE_AMPLITUDE = 40;

/** Low-frequency cosine/sine images: the smooth fields everything is built from. */
const BASIS: readonly Float32Array[] = (() => {
  const basis: Float32Array[] = [];
  for (let u = 0; u <= 2; u++) {
    for (let v = 0; v <= 2; v++) {
      for (const phase of u + v === 0 ? [0] : [0, Math.PI / 2]) {
        const image = new Float32Array(IMAGE_SIZE * IMAGE_SIZE);
        for (let y = 0; y < IMAGE_SIZE; y++) {
          for (let x = 0; x < IMAGE_SIZE; x++) {
            image[y * IMAGE_SIZE + x] = Math.cos(
              (2 * Math.PI * (u * x + v * y)) / IMAGE_SIZE + phase,
            );
          }
        }
        basis.push(image);
      }
    }
  }
  return basis;
})();

/** A random smooth 3-channel field with unit root-mean-square value. */
function smoothField(random: Random): Float32Array {
  const field = new Float32Array(FEATURES);
  for (let channel = 0; channel < CHANNELS; channel++) {
    addRandomCombination(field, channel, random, 1);
  }
  let sumOfSquares = 0;
  for (const value of field) sumOfSquares += value * value;
  const scale = 1 / Math.sqrt(sumOfSquares / FEATURES);
  return field.map((value) => value * scale);
}

/** Adds Σ_k c_k · BASIS_k with c_k ~ N(0, (amplitude² / |BASIS|)) to one channel of `field`. */
function addRandomCombination(
  field: Float32Array,
  channel: number,
  random: Random,
  amplitude: number,
): void {
  const plane = channel * IMAGE_SIZE * IMAGE_SIZE;
  const coefficientScale = amplitude / Math.sqrt(BASIS.length);
  for (const image of BASIS) {
    const coefficient = random.normal() * coefficientScale;
    for (let pixel = 0; pixel < image.length; pixel++) {
      field[plane + pixel]! += coefficient * image[pixel]!;
    }
  }
}

interface ClassModel {
  readonly templates: readonly Float32Array[];
  readonly modes: readonly Float32Array[];
}

function classModel(random: Random): ClassModel {
  const templates = Array.from({ length: CLASSES }, () => smoothField(random));
  const modes = Array.from({ length: CLASSES }, () => smoothField(random));
  return { templates, modes };
}

function sampleImages(model: ClassModel, random: Random, count: number): LabeledImages {
  const images = new Uint8Array(count * FEATURES);
  const labels = new Int32Array(count);
  const nuisance = new Float32Array(FEATURES);
  for (let index = 0; index < count; index++) {
    // Cycle through the classes so every set is balanced, then let the PRNG pick the rest.
    const label = index % CLASSES;
    labels[index] = label;
    const template = model.templates[label]!;
    const mode = model.modes[label]!;
    const modeSign = random.next() < 0.5 ? -MODE_AMPLITUDE : MODE_AMPLITUDE;
    const brightness = 128 + (2 * random.next() - 1) * BRIGHTNESS_AMPLITUDE;
    nuisance.fill(0);
    for (let channel = 0; channel < CHANNELS; channel++) {
      addRandomCombination(nuisance, channel, random, NUISANCE_AMPLITUDE);
    }
    const base = index * FEATURES;
    for (let feature = 0; feature < nuisance.length; feature++) {
      const value =
        brightness +
        TEMPLATE_AMPLITUDE * template[feature]! +
        modeSign * mode[feature]! +
        nuisance[feature]! +
        NOISE_AMPLITUDE * random.triangular();
      // Uint8Array stores by truncation and wraps out-of-range values: round and clamp first.
      images[base + feature] = value <= 0 ? 0 : value >= 255 ? 255 : Math.round(value);
    }
  }
  return { count, images, labels };
}

/**
 * A small counter-free PRNG (mulberry32) with independent streams: stream `k` of seed `s` starts
 * from a splitmix-style hash of (s, k).
 */
class Random {
  private state: number;

  constructor(seed: number, stream: number) {
    let h = (Math.imul(seed | 0, 0x9e3779b9) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
    this.state = (h ^ (h >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Triangular on (−1, 1): the sum of two uniforms, a cheap bell-shaped pixel noise. */
  triangular(): number {
    return this.next() + this.next() - 1;
  }
}
