import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  constantSchedule,
  epochDecaySchedule,
  exponentialDecaySchedule,
  resolveSchedule,
  toSchedule,
  triangularCyclicSchedule,
} from "../src/index.js";
import { expectAllClose } from "./helpers.js";

describe("schedules", () => {
  it("constant gives η at every step, and a number converts to it", () => {
    expect([0, 1, 1000].map(constantSchedule(0.3))).toEqual([0.3, 0.3, 0.3]);
    expect(toSchedule(0.2)(7)).toBe(0.2);
    const schedule = (step: number) => step;
    expect(toSchedule(schedule)).toBe(schedule);
  });

  it("per-epoch decay multiplies η by the factor after each full epoch", () => {
    const schedule = epochDecaySchedule({ learningRate: 0.1, decay: 0.5, stepsPerEpoch: 10 });
    expect([0, 9, 10, 19, 20, 25].map(schedule)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
  });

  it("exponential decay is continuous between multiples of decaySteps", () => {
    const schedule = exponentialDecaySchedule({ learningRate: 1, rate: 0.5, decaySteps: 10 });
    expect(schedule(0)).toBe(1);
    expect(schedule(10)).toBeCloseTo(0.5, 15);
    expect(schedule(5)).toBeCloseTo(Math.SQRT1_2, 15);
    expect(schedule(30)).toBeCloseTo(0.125, 15);
  });

  it("triangular cycles between minimum and maximum with period 2·stepSize (Smith 2015)", () => {
    const schedule = triangularCyclicSchedule({ minimum: 0.1, maximum: 1, stepSize: 4 });
    expectAllClose(
      [0, 1, 2, 4, 6, 8, 10, 12].map(schedule),
      [0.1, 0.325, 0.55, 1, 0.55, 0.1, 0.55, 1],
      14,
    );
  });

  it("triangular stays within [minimum, maximum] and is periodic", () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.integer({ min: 1, max: 50 }), (step, stepSize) => {
        const schedule = triangularCyclicSchedule({ minimum: 0.01, maximum: 0.1, stepSize });
        const value = schedule(step);
        expect(value).toBeGreaterThanOrEqual(0.01 - 1e-15);
        expect(value).toBeLessThanOrEqual(0.1 + 1e-15);
        expect(schedule(step + 2 * stepSize)).toBeCloseTo(value, 14);
      }),
    );
  });

  it("rejects invalid settings with the name of the setting", () => {
    expect(() => constantSchedule(-1)).toThrow(
      "constantSchedule: learning rate must be finite and >= 0, got -1",
    );
    expect(() => epochDecaySchedule({ learningRate: 0.1, decay: 0.9, stepsPerEpoch: 2.5 })).toThrow(
      "stepsPerEpoch must be a positive integer, got 2.5",
    );
    expect(() => epochDecaySchedule({ learningRate: 0.1, decay: 0, stepsPerEpoch: 1 })).toThrow(
      "decay must be finite and > 0",
    );
    expect(() => exponentialDecaySchedule({ learningRate: 1, rate: 0.5, decaySteps: 0 })).toThrow(
      "decaySteps",
    );
    expect(() => triangularCyclicSchedule({ minimum: 1, maximum: 0.1, stepSize: 2 })).toThrow(
      "need 0 <= minimum <= maximum, got 1 and 0.1",
    );
    expect(() => triangularCyclicSchedule({ minimum: 0, maximum: 1, stepSize: 0 })).toThrow(
      "stepSize",
    );
  });

  it("configs resolve to the schedule of that type", () => {
    expect(resolveSchedule(0.1)(99)).toBe(0.1);
    const decay = resolveSchedule({
      type: "epochDecay",
      learningRate: 0.1,
      decay: 0.5,
      stepsPerEpoch: 10,
    });
    expect([0, 10, 20].map(decay)).toEqual([0.1, 0.05, 0.025]);
    expect(
      resolveSchedule({ type: "exponentialDecay", learningRate: 1, rate: 0.5, decaySteps: 1 })(2),
    ).toBe(0.25);
    expect(
      resolveSchedule({ type: "triangularCyclic", minimum: 0, maximum: 1, stepSize: 2 })(1),
    ).toBe(0.5);
    expect(() => resolveSchedule({ type: "cosine" } as never)).toThrow(
      'resolveSchedule: unknown schedule type "cosine"',
    );
    expect(() =>
      resolveSchedule({ type: "epochDecay", learningRate: 0.1, decay: 0.9 } as never),
    ).toThrow("stepsPerEpoch must be a positive integer, got undefined");
  });
});
