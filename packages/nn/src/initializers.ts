/**
 * Parameter initializers. Each takes a PRNG key, so the same seed gives the same network.
 * Fan-in is the last axis of the shape, since weight matrices are stored `[out, in]`.
 */

import type { FloatDType, Key, Shape, Tensor } from "@puregrad/autograd";
import * as pg from "@puregrad/autograd";

/** Draws a parameter tensor of `shape` and `dtype` from `key`. */
export type Initializer = (key: Key, shape: Shape, dtype: FloatDType) => Tensor;

/** Initializers that configs can name. */
export type InitializerName = "xavier" | "he" | "zeros";

/**
 * An initializer as a config gives it: a function, a name, or `{ normal: σ }` for N(0, σ²).
 * @example `"he"`, `{ normal: 0.01 }`, `normalInit(0.01)`.
 */
export type InitializerSpec = Initializer | InitializerName | { readonly normal: number };

/**
 * N(0, σ²) for every entry, whatever the shape (the course's A1 uses σ = 0.01).
 * @param standardDeviation - σ, finite and ≥ 0.
 * @throws Error when σ is negative or not finite.
 */
export function normalInit(standardDeviation: number): Initializer {
  if (!Number.isFinite(standardDeviation) || standardDeviation < 0) {
    throw new Error(
      `normalInit: standard deviation must be finite and >= 0, got ${standardDeviation}`,
    );
  }
  return (key, shape, dtype) => pg.normal(key, shape, { std: standardDeviation, dtype });
}

function fanInNormal(name: string, gain: number): Initializer {
  return (key, shape, dtype) => {
    const fanIn = shape.length === 0 ? 1 : shape[shape.length - 1]!;
    if (fanIn === 0) throw new Error(`${name}: fan-in is 0 for shape [${shape.join(", ")}]`);
    return pg.normal(key, shape, { std: Math.sqrt(gain / fanIn), dtype });
  };
}

/**
 * Xavier as the course defines it: N(0, 1 / fan-in) (not Glorot's 2 / (fan-in + fan-out)).
 * Suits tanh/sigmoid and the A2 network (W1 ~ N(0, 1/d), W2 ~ N(0, 1/m)).
 */
export const xavierInit: Initializer = fanInNormal("xavierInit", 1);

/** He: N(0, 2 / fan-in), which keeps activation variance constant through ReLU layers. */
export const heInit: Initializer = fanInNormal("heInit", 2);

/** All zeros (the default for biases). */
export const zerosInit: Initializer = (_key, shape, dtype) => pg.zeros(shape, dtype);

/**
 * Turns an {@link InitializerSpec} into an {@link Initializer}.
 * @throws Error for an unknown name or an invalid σ.
 */
export function resolveInitializer(spec: InitializerSpec): Initializer {
  if (typeof spec === "function") return spec;
  if (typeof spec === "object") return normalInit(spec.normal);
  switch (spec) {
    case "xavier":
      return xavierInit;
    case "he":
      return heInit;
    case "zeros":
      return zerosInit;
    default:
      throw new Error(
        `resolveInitializer: unknown initializer ${JSON.stringify(spec)} (expected "xavier", "he", "zeros", { normal: σ } or a function)`,
      );
  }
}
