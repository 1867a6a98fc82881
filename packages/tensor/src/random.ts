import { checkDType, type DType, type FloatDType, requireFloat } from "./dtype";
import { fromOwnedArray } from "./ops/creation";
import { product, type Shape, validateShape } from "./shape";
import type { Tensor } from "./tensor";

/**
 * An immutable pseudo-random key: a frozen pair of uint32 words. Keys are values: the same key
 * always yields the same numbers, so never reuse one for two purposes; {@link split} it.
 */
export type Key = readonly [number, number] & { readonly __brand: "Key" };

function makeKey(high: number, low: number): Key {
  return Object.freeze([high >>> 0, low >>> 0]) as unknown as Key;
}

function checkKey(op: string, value: unknown): asserts value is Key {
  const valid =
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((word) => Number.isInteger(word) && word >= 0 && word <= 0xffffffff);
  if (!valid) throw new TypeError(`${op}: expected a Key made by key(seed), split or foldIn`);
}

const ROTATIONS = [
  [13, 15, 26, 6],
  [17, 29, 16, 24],
] as const;

/**
 * Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
 * the generator behind jax.random): encrypts each counter pair (high[i], low[i]) in place
 * under the key. Counter-based, so any block of the stream can be computed independently.
 */
export function threefry2x32(key: Key, high: Uint32Array, low: Uint32Array): void {
  const schedule = [key[0], key[1], (key[0] ^ key[1] ^ 0x1bd11bda) >>> 0];
  for (let i = 0; i < high.length; i++) {
    let x0 = (high[i]! + schedule[0]!) | 0;
    let x1 = (low[i]! + schedule[1]!) | 0;
    for (let group = 0; group < 5; group++) {
      for (const rotation of ROTATIONS[group % 2]!) {
        x0 = (x0 + x1) | 0;
        x1 = ((x1 << rotation) | (x1 >>> (32 - rotation))) ^ x0;
      }
      x0 = (x0 + schedule[(group + 1) % 3]!) | 0;
      x1 = (x1 + schedule[(group + 2) % 3]! + group + 1) | 0;
    }
    high[i] = x0;
    low[i] = x1;
  }
}

/**
 * `count` random uint32 words: counters 0..count-1 split into two halves that form the pairs,
 * exactly as jax.random's (non-partitionable) `random_bits`, so `split` matches JAX.
 */
function randomWords(key: Key, count: number): Uint32Array {
  const half = Math.ceil(count / 2);
  const words = new Uint32Array(2 * half);
  const high = words.subarray(0, half);
  const low = words.subarray(half);
  for (let i = 0; i < half; i++) {
    high[i] = i;
    low[i] = half + i;
  }
  threefry2x32(key, high, low);
  return words.subarray(0, count);
}

/**
 * A key from an integer seed (any safe integer; the same seed gives the same key as
 * `jax.random.PRNGKey(seed)`).
 * @throws RangeError when `seed` is not a safe integer.
 * @example const [params, dropout] = split(key(0));
 */
export function key(seed: number): Key {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`key: seed ${seed} is not a safe integer`);
  return makeKey(Math.floor(seed / 2 ** 32), seed);
}

/**
 * `count` (default 2) new independent keys derived from `key`; the input key should then no
 * longer be used. Matches `jax.random.split` bit for bit.
 * @throws RangeError when `count` is not a non-negative integer.
 */
export function split(key: Key, count = 2): Key[] {
  checkKey("split", key);
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`split: count ${count} must be a non-negative integer`);
  }
  const words = randomWords(key, 2 * count);
  return Array.from({ length: count }, (_, i) => makeKey(words[2 * i]!, words[2 * i + 1]!));
}

/**
 * A new key that mixes `data` (an integer, e.g. a step or layer index) into `key`; distinct
 * data give independent keys. Matches `jax.random.fold_in` for data in [0, 2³²).
 * @throws RangeError when `data` is not an integer.
 */
export function foldIn(key: Key, data: number): Key {
  checkKey("foldIn", key);
  if (!Number.isSafeInteger(data)) throw new RangeError(`foldIn: data ${data} is not an integer`);
  const high = Uint32Array.of(Math.floor(data / 2 ** 32));
  const low = Uint32Array.of(data);
  threefry2x32(key, high, low);
  return makeKey(high[0]!, low[0]!);
}

/**
 * `count` uniform numbers in [0, 1): 24 random bits each (exact in float32), or 53 bits (two
 * words) each when `wide`, for float64.
 */
function unitUniforms(key: Key, count: number, wide: boolean): Float64Array {
  const words = randomWords(key, wide ? 2 * count : count);
  const out = new Float64Array(count);
  if (wide) {
    for (let i = 0; i < count; i++) {
      out[i] = ((words[2 * i]! >>> 5) * 67108864 + (words[2 * i + 1]! >>> 6)) / 9007199254740992;
    }
  } else for (let i = 0; i < count; i++) out[i] = (words[i]! >>> 8) / 16777216;
  return out;
}

/** Options of {@link uniform}. */
export interface UniformOptions {
  /** Lower bound, included (default 0). */
  readonly min?: number;
  /** Upper bound, excluded (default 1). */
  readonly max?: number;
  /** Float dtype of the result (default float32). */
  readonly dtype?: FloatDType;
}

function checkFloatDType(op: string, dtype: DType): asserts dtype is FloatDType {
  checkDType(op, dtype);
  requireFloat(op, dtype);
}

/**
 * Uniform samples in [min, max) (the upper end can be reached only by rounding to the dtype).
 * @throws RangeError unless min < max, both finite; TypeError for int32.
 * @example uniform(key(0), [2, 3], { min: -1, max: 1 })
 */
export function uniform(key: Key, shape: Shape, options: UniformOptions = {}): Tensor {
  checkKey("uniform", key);
  const { min = 0, max = 1, dtype = "float32" } = options;
  const checked = validateShape("uniform", shape);
  checkFloatDType("uniform", dtype);
  if (!(Number.isFinite(min) && Number.isFinite(max) && min < max)) {
    throw new RangeError(`uniform: needs finite min < max, got min ${min}, max ${max}`);
  }
  const units = unitUniforms(key, product(checked), dtype === "float64");
  const data = dtype === "float64" ? units : new Float32Array(units.length);
  for (let i = 0; i < units.length; i++) data[i] = min + (max - min) * units[i]!;
  return fromOwnedArray(data, checked, dtype);
}

/** Options of {@link normal}. */
export interface NormalOptions {
  /** Mean μ (default 0). */
  readonly mean?: number;
  /** Standard deviation σ ≥ 0 (default 1). */
  readonly std?: number;
  /** Float dtype of the result (default float32). */
  readonly dtype?: FloatDType;
}

/**
 * Normal samples N(mean, std²), by the Box–Muller transform of uniform pairs.
 * @throws RangeError for a non-finite mean or a negative or non-finite std; TypeError for int32.
 * @example normal(key(1), [10, 3072], { std: 0.01 }) // the A1 weight initialization
 */
export function normal(key: Key, shape: Shape, options: NormalOptions = {}): Tensor {
  checkKey("normal", key);
  const { mean = 0, std = 1, dtype = "float32" } = options;
  const checked = validateShape("normal", shape);
  checkFloatDType("normal", dtype);
  if (!(Number.isFinite(mean) && Number.isFinite(std) && std >= 0)) {
    throw new RangeError(`normal: needs a finite mean and std ≥ 0, got mean ${mean}, std ${std}`);
  }
  const size = product(checked);
  const pairs = Math.ceil(size / 2);
  const units = unitUniforms(key, 2 * pairs, dtype === "float64");
  const data = dtype === "float64" ? new Float64Array(size) : new Float32Array(size);
  for (let pair = 0; pair < pairs; pair++) {
    // 1 − u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - units[2 * pair]!));
    const angle = 2 * Math.PI * units[2 * pair + 1]!;
    data[2 * pair] = mean + std * radius * Math.cos(angle);
    if (2 * pair + 1 < size) data[2 * pair + 1] = mean + std * radius * Math.sin(angle);
  }
  return fromOwnedArray(data, checked, dtype);
}

/**
 * A uniformly random permutation of 0..n-1 (int32, shape [n]), by Fisher–Yates with 53-bit
 * uniforms (bias below n·2⁻⁵³).
 * @throws RangeError when n is not a non-negative int32.
 * @example take(images, permutation(epochKey, images.shape[0])) // shuffle the rows
 */
export function permutation(key: Key, n: number): Tensor {
  checkKey("permutation", key);
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new RangeError(`permutation: n ${n} must be a non-negative int32`);
  }
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const units = unitUniforms(key, n, true);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(units[i]! * (i + 1));
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return fromOwnedArray(order, [n], "int32");
}

/**
 * Float32 0/1 samples that are 1 with probability `p` (dropout masks).
 * @throws RangeError unless 0 ≤ p ≤ 1.
 */
export function bernoulli(key: Key, p: number, shape: Shape): Tensor {
  checkKey("bernoulli", key);
  const checked = validateShape("bernoulli", shape);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli: p ${p} must lie in [0, 1]`);
  const units = unitUniforms(key, product(checked), false);
  const data = new Float32Array(units.length);
  for (let i = 0; i < units.length; i++) data[i] = units[i]! < p ? 1 : 0;
  return fromOwnedArray(data, checked, "float32");
}
