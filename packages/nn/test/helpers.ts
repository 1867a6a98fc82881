import { expect } from "vitest";

type Nested = number | readonly Nested[];

/** Asserts two nested number arrays have the same shape and entries equal to `digits` decimals. */
export function expectAllClose(actual: unknown, expected: Nested, digits = 12): void {
  if (typeof expected === "number") {
    expect(actual).toBeCloseTo(expected, digits);
    return;
  }
  expect(Array.isArray(actual)).toBe(true);
  const rows = actual as unknown[];
  expect(rows.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expectAllClose(rows[i], expected[i]!, digits);
}
