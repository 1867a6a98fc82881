/**
 * Learning-rate schedules: pure functions from the 0-based optimizer step (number of updates
 * already applied) to η. An optimizer accepts a number or a schedule wherever it takes η.
 */

/** η as a function of the 0-based step. */
export type Schedule = (step: number) => number;

/** A constant η or a {@link Schedule}. */
export type LearningRate = number | Schedule;

function checkPositive(owner: string, name: string, value: number): void {
  if (!(value > 0 && Number.isFinite(value))) {
    throw new Error(`${owner}: ${name} must be finite and > 0, got ${value}`);
  }
}

function checkStepsPerEpoch(owner: string, stepsPerEpoch: number): void {
  if (!Number.isInteger(stepsPerEpoch) || stepsPerEpoch <= 0) {
    throw new Error(`${owner}: stepsPerEpoch must be a positive integer, got ${stepsPerEpoch}`);
  }
}

/** Turns a {@link LearningRate} into a schedule (a number becomes a constant schedule). */
export function toSchedule(learningRate: LearningRate): Schedule {
  return typeof learningRate === "number" ? constantSchedule(learningRate) : learningRate;
}

/**
 * η at every step.
 * @throws Error when η is negative or not finite.
 */
export function constantSchedule(learningRate: number): Schedule {
  if (!(learningRate >= 0 && Number.isFinite(learningRate))) {
    throw new Error(`constantSchedule: learning rate must be finite and >= 0, got ${learningRate}`);
  }
  return () => learningRate;
}

/**
 * Per-epoch decay, as the course does it: η multiplied by `decay` after each epoch,
 * η_t = η₀ · decay^⌊t / stepsPerEpoch⌋.
 * @param options.learningRate - η₀ (> 0).
 * @param options.decay - factor per epoch (> 0; e.g. 0.9 or 0.95).
 * @param options.stepsPerEpoch - updates per epoch, ⌈n / batchSize⌉ (positive integer).
 * @throws Error for a non-positive η₀ or decay, or a bad stepsPerEpoch.
 * @example epochDecaySchedule({ learningRate: 0.01, decay: 0.95, stepsPerEpoch: 100 })(250) // 0.01 · 0.95²
 */
export function epochDecaySchedule(options: {
  readonly learningRate: number;
  readonly decay: number;
  readonly stepsPerEpoch: number;
}): Schedule {
  const { learningRate, decay, stepsPerEpoch } = options;
  checkPositive("epochDecaySchedule", "learningRate", learningRate);
  checkPositive("epochDecaySchedule", "decay", decay);
  checkStepsPerEpoch("epochDecaySchedule", stepsPerEpoch);
  return (step) => learningRate * decay ** Math.floor(step / stepsPerEpoch);
}

/**
 * Smooth exponential decay, η_t = η₀ · rate^(t / decaySteps): η is multiplied by `rate` every
 * `decaySteps` steps, continuously in between.
 * @throws Error for a non-positive η₀, rate or decaySteps.
 */
export function exponentialDecaySchedule(options: {
  readonly learningRate: number;
  readonly rate: number;
  readonly decaySteps: number;
}): Schedule {
  const { learningRate, rate, decaySteps } = options;
  checkPositive("exponentialDecaySchedule", "learningRate", learningRate);
  checkPositive("exponentialDecaySchedule", "rate", rate);
  checkPositive("exponentialDecaySchedule", "decaySteps", decaySteps);
  return (step) => learningRate * rate ** (step / decaySteps);
}

/**
 * Triangular cyclical learning rate (Smith 2015, "Cyclical Learning Rates for Training Neural
 * Networks"): η rises linearly from `minimum` to `maximum` over `stepSize` steps, falls back
 * over the next `stepSize`, and repeats; η_0 = minimum, η_stepSize = maximum.
 * @throws Error unless 0 ≤ minimum ≤ maximum (finite) and stepSize is a positive integer.
 */
export function triangularCyclicSchedule(options: {
  readonly minimum: number;
  readonly maximum: number;
  readonly stepSize: number;
}): Schedule {
  const { minimum, maximum, stepSize } = options;
  if (!(minimum >= 0 && maximum >= minimum && Number.isFinite(maximum))) {
    throw new Error(
      `triangularCyclicSchedule: need 0 <= minimum <= maximum, got ${minimum} and ${maximum}`,
    );
  }
  if (!Number.isInteger(stepSize) || stepSize <= 0) {
    throw new Error(
      `triangularCyclicSchedule: stepSize must be a positive integer, got ${stepSize}`,
    );
  }
  return (step) => {
    const phase = (step % (2 * stepSize)) / stepSize; // 0 → 1 rising, 1 → 2 falling
    return minimum + (maximum - minimum) * (1 - Math.abs(phase - 1));
  };
}

/**
 * A schedule as a config gives it: η as a number, a function, or a schedule's options tagged
 * with its `type` (the options of the function of that name).
 * @example `{ type: "epochDecay", learningRate: 0.05, decay: 0.95, stepsPerEpoch: 450 }`
 */
export type ScheduleSpec =
  | LearningRate
  | ({ readonly type: "epochDecay" } & Parameters<typeof epochDecaySchedule>[0])
  | ({ readonly type: "exponentialDecay" } & Parameters<typeof exponentialDecaySchedule>[0])
  | ({ readonly type: "triangularCyclic" } & Parameters<typeof triangularCyclicSchedule>[0]);

/**
 * Turns a {@link ScheduleSpec} into a {@link Schedule}.
 * @throws Error for an unknown type or invalid settings.
 */
export function resolveSchedule(spec: ScheduleSpec): Schedule {
  if (typeof spec !== "object") return toSchedule(spec);
  switch (spec.type) {
    case "epochDecay":
      return epochDecaySchedule(spec);
    case "exponentialDecay":
      return exponentialDecaySchedule(spec);
    case "triangularCyclic":
      return triangularCyclicSchedule(spec);
    default:
      throw new Error(
        `resolveSchedule: unknown schedule type ${JSON.stringify((spec as { type: unknown }).type)} (expected "epochDecay", "exponentialDecay" or "triangularCyclic")`,
      );
  }
}
