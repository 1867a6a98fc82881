/**
 * Optimizers as pure gradient transformations (optax style): `init(params) → state` and
 * `update(grads, state, params) → [updates, state]`, then `applyUpdates(params, updates)`
 * computes θ + updates. Big optimizers are {@link chain}s of small transforms; every learning
 * rate may be a number or a {@link Schedule} of the step.
 */

import type { Tensor } from "@puregrad/autograd";
import * as pg from "@puregrad/autograd";
import { type LearningRate, resolveSchedule, type ScheduleSpec, toSchedule } from "./schedules.js";

/**
 * A pure transformation of gradients into updates, with explicit state. Updates are added to
 * the parameters, so a descent step returns −η·g.
 */
export interface GradientTransformation<State = unknown> {
  /** The initial state for parameters shaped like `params`. */
  init(params: unknown): State;
  /**
   * Transforms `updates` (at first the gradients) into new updates, and returns the next state.
   * @param params - the current parameters, for transforms that need them.
   */
  update<Tree>(updates: Tree, state: State, params?: Tree): [Tree, State];
}

/** θ + updates, leaf by leaf. @throws Error when the two trees differ in structure. */
export function applyUpdates<Tree>(params: Tree, updates: Tree): Tree {
  return pg.treeMap((parameter, update) => pg.add(parameter, update!), params, updates);
}

/**
 * Runs transforms in sequence, each on the previous one's updates; the state is the list of
 * their states.
 * @example const adamLike = chain(scaleByAdam(), scaleByLearningRate(1e-3));
 */
export function chain(
  ...transforms: readonly GradientTransformation[]
): GradientTransformation<readonly unknown[]> {
  return {
    init: (params) => transforms.map((transform) => transform.init(params)),
    update(updates, states, params) {
      const nextStates = transforms.map((transform, index) => {
        const [transformed, state] = transform.update(updates, states[index], params);
        updates = transformed;
        return state;
      });
      return [updates, nextStates];
    },
  };
}

/** State of transforms that only count steps (for their schedule). */
export interface CountState {
  /** Number of updates made so far, the step the schedule is evaluated at. */
  readonly count: number;
}

/**
 * Multiplies updates by −η_t, where η_t = schedule(count): the descent step of SGD.
 * @throws Error when η is a negative or non-finite number.
 */
export function scaleByLearningRate(
  learningRate: LearningRate,
): GradientTransformation<CountState> {
  const schedule = toSchedule(learningRate);
  return {
    init: () => ({ count: 0 }),
    update(updates, { count }) {
      const factor = -schedule(count);
      return [pg.treeMap((update) => pg.mul(update, factor), updates), { count: count + 1 }];
    },
  };
}

/** State of {@link trace}. */
export interface TraceState {
  /** v, the decaying sum of past updates (zeros at init). */
  readonly velocity: unknown;
}

/**
 * Momentum trace (optax's `trace`): v ← ρ v + g, returning v. Followed by
 * {@link scaleByLearningRate} it is the optax-style momentum of {@link sgd}.
 * @param decay - ρ in [0, 1).
 * @throws Error when ρ is outside [0, 1).
 */
export function trace(decay: number): GradientTransformation<TraceState> {
  checkDecay("trace", "decay", decay);
  return {
    init: (params) => ({ velocity: zerosLike(params) }),
    update(updates, { velocity }) {
      const next = pg.treeMap(
        (previous, update) => pg.axpby(decay, previous, 1, update!),
        velocity as typeof updates,
        updates,
      );
      return [next, { velocity: next }];
    },
  };
}

/**
 * Stochastic gradient descent, θ ← θ − η g; with `momentum` ρ > 0 it uses the optax rule
 * v ← ρ v + g, θ ← θ − η v (the trace is scaled by the *current* η). Under a constant η this
 * equals the course's rule ({@link momentum}); under a decaying η it does not: here past
 * gradients are rescaled by each new η, there they keep the η of their own step.
 * @param learningRate - η, a number or a schedule.
 * @param options.momentum - ρ in [0, 1) (default 0, no momentum).
 * @throws Error for a bad η or ρ.
 */
export function sgd(
  learningRate: LearningRate,
  options: { readonly momentum?: number } = {},
): GradientTransformation {
  const { momentum: decay = 0 } = options;
  return decay === 0
    ? scaleByLearningRate(learningRate)
    : chain(trace(decay), scaleByLearningRate(learningRate));
}

/** State of {@link momentum}. */
export interface MomentumState extends CountState {
  /** −v: the previous update (zeros at init). */
  readonly previousUpdate: unknown;
}

/**
 * Momentum exactly as the course defines it: v ← ρ v + η_t g, θ ← θ − v, with η inside the
 * accumulator (so each gradient keeps the η of the step it was taken at). The state holds −v,
 * which is also the update, so a step costs two elementwise passes per tensor (one
 * `axpby` and the update's add).
 * Compare {@link sgd} with `momentum`, the optax rule.
 * @param learningRate - η, a number or a schedule.
 * @param rho - ρ in [0, 1).
 * @throws Error for a bad η or ρ.
 */
export function momentum(
  learningRate: LearningRate,
  rho: number,
): GradientTransformation<MomentumState> {
  checkDecay("momentum", "rho", rho);
  const schedule = toSchedule(learningRate);
  return {
    init: (params) => ({ previousUpdate: zerosLike(params), count: 0 }),
    update(updates, { previousUpdate, count }) {
      const learningRateNow = schedule(count);
      const next = pg.treeMap(
        (previous, gradient) => pg.axpby(rho, previous, -learningRateNow, gradient!),
        previousUpdate as typeof updates,
        updates,
      );
      return [next, { previousUpdate: next, count: count + 1 }];
    },
  };
}

/** State of {@link scaleByAdam}. */
export interface AdamState extends CountState {
  /** m, the moving average of gradients. */
  readonly firstMoment: unknown;
  /** v, the moving average of squared gradients. */
  readonly secondMoment: unknown;
}

/** Options of {@link scaleByAdam} and {@link adam}. */
export interface AdamOptions {
  /** β₁, decay of the first moment, in [0, 1) (default 0.9). */
  readonly beta1?: number;
  /** β₂, decay of the second moment, in [0, 1) (default 0.999). */
  readonly beta2?: number;
  /** ε added to sqrt(v̂) (default 1e-8). */
  readonly epsilon?: number;
}

/**
 * Adam's rescaling without the learning rate: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
 * update = m̂ / (sqrt(v̂) + ε) with the bias corrections m̂ = m / (1−β₁ᵗ), v̂ = v / (1−β₂ᵗ).
 * @throws Error for β outside [0, 1) or a negative ε.
 */
export function scaleByAdam(options: AdamOptions = {}): GradientTransformation<AdamState> {
  const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = options;
  checkDecay("scaleByAdam", "beta1", beta1);
  checkDecay("scaleByAdam", "beta2", beta2);
  if (!(epsilon >= 0)) throw new Error(`scaleByAdam: epsilon must be >= 0, got ${epsilon}`);
  return {
    init: (params) => ({
      firstMoment: zerosLike(params),
      secondMoment: zerosLike(params),
      count: 0,
    }),
    update(updates, { firstMoment, secondMoment, count }) {
      const step = count + 1;
      const firstCorrection = 1 / (1 - beta1 ** step);
      const secondCorrection = 1 / Math.sqrt(1 - beta2 ** step);
      const nextFirst = pg.treeMap(
        (m, g) => pg.axpby(beta1, m, 1 - beta1, g!),
        firstMoment as typeof updates,
        updates,
      );
      const nextSecond = pg.treeMap(
        (v, g) => pg.axpby(beta2, v, 1 - beta2, pg.square(g!)),
        secondMoment as typeof updates,
        updates,
      );
      const scaled = pg.treeMap(
        (m, v) =>
          pg.div(
            pg.mul(m, firstCorrection),
            pg.add(pg.mul(pg.sqrt(v!), secondCorrection), epsilon),
          ),
        nextFirst,
        nextSecond,
      );
      return [scaled, { firstMoment: nextFirst, secondMoment: nextSecond, count: step }];
    },
  };
}

/**
 * Adam (Kingma & Ba 2015), the everyday default: {@link scaleByAdam} then
 * {@link scaleByLearningRate}.
 * @param learningRate - η, a number or a schedule (1e-3 is the usual start).
 * @throws Error for bad options.
 */
export function adam(
  learningRate: LearningRate,
  options: AdamOptions = {},
): GradientTransformation {
  return chain(scaleByAdam(options), scaleByLearningRate(learningRate));
}

function zerosLike(tree: unknown): unknown {
  return pg.treeMap((leaf: Tensor) => pg.zerosLike(leaf), tree);
}

function checkDecay(owner: string, name: string, value: number): void {
  if (!(value >= 0 && value < 1))
    throw new Error(`${owner}: ${name} must be in [0, 1), got ${value}`);
}

/**
 * An optimizer as a config gives it: its `type`, the learning rate as a {@link ScheduleSpec},
 * and its own settings. `"momentum"` is the course's rule ({@link momentum}); `"sgd"` with
 * `momentum` is optax's ({@link sgd}).
 * @example `{ type: "momentum", learningRate: { type: "epochDecay", learningRate: 0.05, decay: 0.95, stepsPerEpoch: 450 }, rho: 0.9 }`
 */
export type OptimizerSpec =
  | { readonly type: "sgd"; readonly learningRate: ScheduleSpec; readonly momentum?: number }
  | { readonly type: "momentum"; readonly learningRate: ScheduleSpec; readonly rho: number }
  | ({ readonly type: "adam"; readonly learningRate: ScheduleSpec } & AdamOptions);

/**
 * Builds the optimizer an {@link OptimizerSpec} describes; a {@link GradientTransformation}
 * passes through unchanged.
 * @throws Error for an unknown type or invalid settings.
 */
export function resolveOptimizer(
  spec: OptimizerSpec | GradientTransformation,
): GradientTransformation {
  if (!("type" in spec)) return spec;
  const learningRate = resolveSchedule(spec.learningRate);
  switch (spec.type) {
    case "sgd":
      return sgd(learningRate, { momentum: spec.momentum ?? 0 });
    case "momentum":
      return momentum(learningRate, spec.rho);
    case "adam":
      return adam(learningRate, spec);
    default:
      throw new Error(
        `resolveOptimizer: unknown optimizer type ${JSON.stringify((spec as { type: unknown }).type)} (expected "sgd", "momentum" or "adam")`,
      );
  }
}
