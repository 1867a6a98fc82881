import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bernoulli,
  foldIn,
  type Key,
  key,
  mean,
  normal,
  permutation,
  split,
  uniform,
} from "../src/index";
import { threefry2x32 } from "../src/random";

const words = (k: Key) => [k[0], k[1]];

function moments(data: ArrayLike<number>) {
  let total = 0;
  for (let i = 0; i < data.length; i++) total += data[i]!;
  const average = total / data.length;
  let squares = 0;
  for (let i = 0; i < data.length; i++) squares += (data[i]! - average) ** 2;
  return { mean: average, variance: squares / data.length };
}

describe("Threefry-2x32", () => {
  it("reproduces the Random123 known-answer vectors", () => {
    const cases = [
      [
        [0, 0],
        [0, 0],
        [0x6b200159, 0x99ba4efe],
      ],
      [
        [0xffffffff, 0xffffffff],
        [0xffffffff, 0xffffffff],
        [0x1cb996fc, 0xbb002be7],
      ],
      [
        [0x13198a2e, 0x03707344],
        [0x243f6a88, 0x85a308d3],
        [0xc4923a9c, 0x483df7a0],
      ],
    ] as const;
    for (const [k, counter, expected] of cases) {
      const high = Uint32Array.of(counter[0]);
      const low = Uint32Array.of(counter[1]);
      threefry2x32(Object.freeze([k[0], k[1]]) as unknown as Key, high, low);
      expect([high[0], low[0]]).toEqual(expected);
    }
  });
});

describe("keys", () => {
  it("match jax.random: PRNGKey(0), split and fold_in", () => {
    expect(words(key(0))).toEqual([0, 0]);
    expect(split(key(0)).map(words)).toEqual([
      [4146024105, 967050713],
      [2718843009, 1272950319],
    ]);
  });

  it("are frozen values: same key, same numbers", () => {
    const k = key(42);
    expect(Object.isFrozen(k)).toBe(true);
    expect(uniform(k, [100]).toArray()).toEqual(uniform(key(42), [100]).toArray());
    expect(normal(k, [3, 3]).toArray()).toEqual(normal(k, [3, 3]).toArray());
    expect(split(k, 5).map(words)).toEqual(split(key(42), 5).map(words));
  });

  it("split gives distinct keys, and distinct streams", () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 2, max: 20 }), (seed, count) => {
        const keys = split(key(seed), count).map((k) => words(k).join(":"));
        expect(new Set(keys).size).toBe(count);
        expect(keys).not.toContain(words(key(seed)).join(":"));
      }),
      { numRuns: 50 },
    );
    const [a, b] = split(key(7)) as [Key, Key];
    expect(uniform(a, [8]).toArray()).not.toEqual(uniform(b, [8]).toArray());
  });

  it("foldIn is deterministic and separates data values", () => {
    const base = key(3);
    expect(words(foldIn(base, 5))).toEqual(words(foldIn(key(3), 5)));
    const folded = new Set(Array.from({ length: 100 }, (_, i) => words(foldIn(base, i)).join(":")));
    expect(folded.size).toBe(100);
    expect(words(foldIn(base, 1))).not.toEqual(words(foldIn(key(4), 1)));
  });

  it("distinguishes seeds beyond 32 bits and negative seeds", () => {
    expect(words(key(2 ** 32 + 1))).toEqual([1, 1]);
    expect(words(key(-1))).toEqual([0xffffffff, 0xffffffff]);
  });
});

describe("distributions", () => {
  it("uniform has the moments of U(min, max) and stays in range", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const x = uniform(key(1), [100_000], { min: -2, max: 4, dtype });
      expect(x.dtype).toBe(dtype);
      const data = x.toTypedArray();
      const { mean: m, variance } = moments(data);
      expect(m).toBeCloseTo(1, 1);
      expect(variance).toBeGreaterThan(3 * 0.98);
      expect(variance).toBeLessThan(3 * 1.02);
      expect(Math.min(...data)).toBeGreaterThanOrEqual(-2);
      expect(Math.max(...data)).toBeLessThan(4);
    }
  });

  it("normal has the requested mean and standard deviation", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const x = normal(key(2), [100_001], { mean: 3, std: 0.5, dtype });
      const { mean: m, variance } = moments(x.toTypedArray());
      expect(Math.abs(m - 3)).toBeLessThan(0.01);
      expect(Math.abs(variance - 0.25)).toBeLessThan(0.01);
      // about 68.3 % within one σ
      const inside = x.toTypedArray().filter((v) => Math.abs(v - 3) < 0.5).length / x.size;
      expect(inside).toBeGreaterThan(0.675);
      expect(inside).toBeLessThan(0.69);
    }
  });

  it("permutation is a permutation, and varies with the key", () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 300 }), (seed, n) => {
        const p = permutation(key(seed), n);
        expect(p.dtype).toBe("int32");
        expect(Array.from(p.toTypedArray()).sort((a, b) => a - b)).toEqual(
          Array.from({ length: n }, (_, i) => i),
        );
      }),
      { numRuns: 50 },
    );
    expect(permutation(key(1), 50).toArray()).not.toEqual(permutation(key(2), 50).toArray());
    // Each position should see each value about equally often: mean of p[0] over many keys.
    const firsts = split(key(9), 2000).map((k) => permutation(k, 10).toTypedArray()[0]!);
    expect(moments(firsts).mean).toBeCloseTo(4.5, 0);
  });

  it("bernoulli gives 0/1 float32 with mean p", () => {
    const mask = bernoulli(key(5), 0.3, [100_000]);
    expect(mask.dtype).toBe("float32");
    expect(new Set(mask.toTypedArray())).toEqual(new Set([0, 1]));
    expect(mean(mask).item()).toBeCloseTo(0.3, 2);
    expect(mean(bernoulli(key(5), 0, [100])).item()).toBe(0);
    expect(mean(bernoulli(key(5), 1, [100])).item()).toBe(1);
  });

  it("validates its parameters", () => {
    expect(() => uniform(key(0), [2], { min: 1, max: 1 })).toThrow(
      "uniform: needs finite min < max",
    );
    expect(() => normal(key(0), [2], { std: -1 })).toThrow(
      "normal: needs a finite mean and std ≥ 0",
    );
    expect(() => uniform(key(0), [2], { dtype: "int32" as never })).toThrow(
      "uniform: int32 tensors are not supported",
    );
    expect(() => bernoulli(key(0), 1.5, [2])).toThrow("bernoulli: p 1.5 must lie in [0, 1]");
    expect(() => split([1, 2, 3] as never)).toThrow("split: expected a Key");
    expect(() => key(0.5)).toThrow("key: seed 0.5 is not a safe integer");
    expect(() => permutation(key(0), -1)).toThrow("permutation: n -1 must be a non-negative int32");
  });
});
