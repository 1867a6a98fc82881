import { expect } from "vitest";
import * as pg from "../src/index.js";

/** A float64 tensor of standard normal entries (or in [0.5, 2.5) when `positive`). */
export function random(
  shape: readonly number[],
  seed: number,
  options: { positive?: boolean; dtype?: pg.FloatDType } = {},
): pg.Tensor {
  const dtype = options.dtype ?? "float64";
  return options.positive
    ? pg.uniform(pg.key(seed), shape, { min: 0.5, max: 2.5, dtype })
    : pg.normal(pg.key(seed), shape, { dtype });
}

/**
 * Turns a tensor-valued function of several tensors into a scalar one by weighting its
 * output with fixed random weights, so every output entry's cotangent differs.
 */
export function weighted(
  f: (...inputs: pg.Tensor[]) => pg.Tensor,
  seed = 99,
): (inputs: pg.Tensor[]) => pg.Tensor {
  let weights: pg.Tensor | undefined;
  return (inputs) => {
    const output = f(...inputs);
    weights ??= random(output.shape, seed, { dtype: output.dtype as pg.FloatDType });
    return pg.sum(pg.mul(output, weights));
  };
}

/**
 * `θ ↦ Σᵢ ⟨∇f(θ)ᵢ, vᵢ⟩` for fixed random directions v: its gradient is the Hessian of f
 * applied to v, so checking it numerically checks second derivatives (grad of grad).
 */
export function gradientAlongDirections(
  f: (inputs: pg.Tensor[]) => pg.Tensor,
  seed = 7,
): (inputs: pg.Tensor[]) => pg.Tensor {
  return (inputs) => {
    const gradients = pg.grad(f)(inputs);
    return gradients
      .map((g, i) =>
        pg.sum(pg.mul(g, random(g.shape, seed + i, { dtype: g.dtype as pg.FloatDType }))),
      )
      .reduce((total, term) => pg.add(total, term));
  };
}

/** Asserts every gradient-check row passes, showing the failing rows when not. */
export function expectAllPass(rows: readonly pg.GradientCheckRow[]): void {
  const failing = rows.filter((row) => !row.pass);
  expect(failing, JSON.stringify(failing, null, 1)).toEqual([]);
  expect(rows.length).toBeGreaterThan(0);
}
