/** Activation functions for hidden layers, by function or by name. */

import type { Tensor } from "@puregrad/autograd";
import * as pg from "@puregrad/autograd";

/** An elementwise nonlinearity applied after each hidden layer. */
export type Activation = (x: Tensor) => Tensor;

/** Activations that configs can name; `"leakyRelu"` has slope 0.01. */
export type ActivationName = "relu" | "tanh" | "sigmoid" | "leakyRelu";

/**
 * Leaky ReLU: x for x > 0, slope·x otherwise, computed as max(x, slope·x).
 * @param slope - the negative-side slope, in [0, 1] (default 0.01).
 * @throws Error when the slope is outside [0, 1], where max(x, slope·x) is no longer leaky ReLU.
 */
export function leakyRelu(slope = 0.01): Activation {
  if (!(slope >= 0 && slope <= 1)) {
    throw new Error(`leakyRelu: slope must be in [0, 1], got ${slope}`);
  }
  return (x) => pg.maximum(x, pg.mul(x, slope));
}

const defaultLeakyRelu = leakyRelu();

/**
 * Turns an activation name into its function; a function passes through unchanged.
 * @throws Error for an unknown name.
 */
export function resolveActivation(spec: Activation | ActivationName): Activation {
  if (typeof spec === "function") return spec;
  switch (spec) {
    case "relu":
      return pg.relu;
    case "tanh":
      return pg.tanh;
    case "sigmoid":
      return pg.sigmoid;
    case "leakyRelu":
      return defaultLeakyRelu;
    default:
      throw new Error(
        `resolveActivation: unknown activation ${JSON.stringify(spec)} (expected "relu", "tanh", "sigmoid", "leakyRelu" or a function)`,
      );
  }
}
