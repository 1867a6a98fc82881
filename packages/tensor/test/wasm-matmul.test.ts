import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { FloatArray } from "../src/dtype";
import { matmulInfo, setMatmulThreads, wasmMatmul } from "../src/wasm/index";
import { loadKernel, reserve } from "../src/wasm/kernel";

type FloatConstructor = Float32ArrayConstructor | Float64ArrayConstructor;
const dtypes: ReadonlyArray<[string, FloatConstructor]> = [
  ["float32", Float32Array],
  ["float64", Float64Array],
];
const transposes = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/** op(a)·op(b) by the textbook triple loop, summed in float64. */
function naiveMatmul(
  a: FloatArray,
  b: FloatArray,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        sum += a[transA ? p * m + i : i * k + p]! * b[transB ? j * k + p : p * n + j]!;
      }
      out[i * n + j] = sum;
    }
  }
  return out;
}

/** Deterministic values in [-1, 1) from a seed (a small LCG), so failures reproduce. */
function randomArray(Float: FloatConstructor, length: number, seed: number): FloatArray {
  const array = new Float(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    array[i] = state / 2 ** 31 - 1;
  }
  return array;
}

function multiply(
  Float: FloatConstructor,
  a: FloatArray,
  b: FloatArray,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
): FloatArray {
  const out = new Float(m * n).fill(Number.NaN);
  wasmMatmul(a, b, out, m, k, n, transA, transB);
  return out;
}

/** Every element within a relative-to-magnitude tolerance of the float64 reference. */
function expectClose(actual: FloatArray, expected: Float64Array, k: number): void {
  expect(actual.length).toBe(expected.length);
  // Each |term| ≤ 1, so the rounding error of a k-term sum is bounded by ~k·ε.
  const epsilon = actual instanceof Float32Array ? 2 ** -23 : 2 ** -52;
  const tolerance = 4 * Math.max(k, 1) * epsilon;
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tolerance)) {
      expect.fail(`element ${i}: got ${actual[i]}, expected ${expected[i]} ± ${tolerance}`);
    }
  }
}

const defaultThreads = matmulInfo().threads;
afterEach(() => setMatmulThreads(defaultThreads));

/**
 * Runs `compute` until the second thread took part in it, at most 20 times, pausing 1 ms
 * between tries so the scheduler can run the worker (a busy machine deschedules it for whole
 * products), and counts the products it helped with in `twoThreads.count`. A product the worker
 * missed ran on one thread: its result must be identical too, so callers check every result
 * and then that the worker helped at least once.
 */
const twoThreads = { count: 0 };
function onTwoThreads<T>(compute: () => T): T {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let result = compute();
  for (let attempt = 1; attempt < 20 && matmulInfo().lastCallThreads < 2; attempt++) {
    Atomics.wait(pause, 0, 0, 1);
    result = compute();
  }
  if (matmulInfo().lastCallThreads === 2) twoThreads.count++;
  return result;
}

describe("wasmMatmul", () => {
  it("loads the SIMD kernel with threads on Node", () => {
    const info = matmulInfo();
    expect(info).toMatchObject({ simd: true });
    expect(info.reason).toBeUndefined();
    expect(info.threads).toBeGreaterThanOrEqual(1);
  });

  it("computes a known 2×3 · 3×2 product in each orientation", () => {
    // a = [[1, 2, 3], [4, 5, 6]], b = [[7, 8], [9, 10], [11, 12]]
    const expected = [58, 64, 139, 154];
    const a = [1, 2, 3, 4, 5, 6];
    const aT = [1, 4, 2, 5, 3, 6];
    const b = [7, 8, 9, 10, 11, 12];
    const bT = [7, 9, 11, 8, 10, 12];
    for (const [, Float] of dtypes) {
      for (const [transA, transB] of transposes) {
        const out = multiply(
          Float,
          Float.from(transA ? aT : a),
          Float.from(transB ? bT : b),
          2,
          3,
          2,
          transA,
          transB,
        );
        expect(Array.from(out)).toEqual(expected);
      }
    }
  });

  for (const [dtype, Float] of dtypes) {
    for (const [transA, transB] of transposes) {
      it(`matches the triple loop for ${dtype}, transA=${transA}, transB=${transB}`, () => {
        const shapes = [
          [1, 1, 1],
          [1, 5, 1],
          [3, 1, 9],
          [4, 8, 8],
          [5, 7, 9],
          [7, 13, 3],
          [13, 2, 17],
          [67, 129, 33],
          [130, 70, 41],
        ];
        shapes.forEach(([m, k, n], seed) => {
          const a = randomArray(Float, m! * k!, 2 * seed + 1);
          const b = randomArray(Float, k! * n!, 2 * seed + 2);
          const out = multiply(Float, a, b, m!, k!, n!, transA, transB);
          expectClose(out, naiveMatmul(a, b, m!, k!, n!, transA, transB), k!);
        });
      });
    }
  }

  it("matches the triple loop on random shapes (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 23 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (m, k, n, transA, transB, double, seed) => {
          const Float = double ? Float64Array : Float32Array;
          const a = randomArray(Float, m * k, seed);
          const b = randomArray(Float, k * n, seed ^ 0x5bd1e995);
          const out = multiply(Float, a, b, m, k, n, transA, transB);
          expectClose(out, naiveMatmul(a, b, m, k, n, transA, transB), k);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("writes zeros when k = 0 and accepts empty outputs", () => {
    for (const [, Float] of dtypes) {
      const out = new Float(6).fill(7);
      wasmMatmul(new Float(0), new Float(0), out, 2, 0, 3, false, false);
      expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
      for (const [m, k, n] of [
        [0, 4, 3],
        [3, 4, 0],
        [0, 0, 0],
      ] as const) {
        const empty = new Float(0);
        wasmMatmul(new Float(m * k), new Float(k * n), empty, m, k, n, true, false);
        expect(empty.length).toBe(0);
      }
    }
  });

  it("leaves its inputs unchanged and allows out to alias an input", () => {
    for (const [, Float] of dtypes) {
      const a = randomArray(Float, 9 * 9, 11);
      const b = randomArray(Float, 9 * 9, 12);
      const [aCopy, bCopy] = [a.slice(), b.slice()];
      const expected = multiply(Float, a, b, 9, 9, 9, true, true);
      expect(a).toEqual(aCopy);
      expect(b).toEqual(bCopy);
      wasmMatmul(a, b, a, 9, 9, 9, true, true);
      expect(a).toEqual(expected);
    }
  });

  it("gives bit-identical results on 1 and 2 threads, with both threads computing", () => {
    // The second shape has few rows, so the kernel reads b in place (or, transposed, packs it
    // in the tile units) and splits the work along n only.
    // The third is long enough (~100 MFLOP) for the worker to be scheduled in time even on a
    // loaded machine, so this test always sees the second thread take part.
    const shapes = [
      [200, 150, 190],
      [12, 300, 500],
      [256, 512, 384],
    ] as const;
    twoThreads.count = 0;
    for (const [, Float] of dtypes) {
      for (const [transA, transB] of transposes) {
        for (const [m, k, n] of shapes) {
          const a = randomArray(Float, m * k, 21);
          const b = randomArray(Float, k * n, 22);
          setMatmulThreads(1);
          const single = multiply(Float, a, b, m, k, n, transA, transB);
          expect(matmulInfo().lastCallThreads).toBe(1);
          setMatmulThreads(2);
          expect(matmulInfo().threads).toBe(2);
          const double = onTwoThreads(() => multiply(Float, a, b, m, k, n, transA, transB));
          expect(double).toEqual(single);
          expectClose(double, naiveMatmul(a, b, m, k, n, transA, transB), k);
        }
      }
    }
    expect(twoThreads.count, "products the second thread took part in").toBeGreaterThan(0);
  });

  it("computes products of 1 to 11 rows right and bit-identically on 1 and 2 threads", () => {
    // Row counts around multiples of the micro-tile's 4 rows exercise the kernels for the last
    // 1, 2 and 3 rows; both depths are large enough (≥ 2^20 flops) for 2 threads to split the
    // product, over many column panels (the first) or few long ones (the second). On a loaded
    // machine the worker may miss these short products; the results must be identical either way.
    const depthsAndColumns = [
      [300, 1803],
      [3000, 181],
    ] as const;
    for (const [, Float] of dtypes) {
      for (const [transA, transB] of transposes) {
        for (const m of [1, 2, 3, 5, 6, 9, 10, 11]) {
          for (const [k, n] of depthsAndColumns) {
            const a = randomArray(Float, m * k, 31 + m);
            const b = randomArray(Float, k * n, 41 + m);
            setMatmulThreads(1);
            const single = multiply(Float, a, b, m, k, n, transA, transB);
            expectClose(single, naiveMatmul(a, b, m, k, n, transA, transB), k);
            setMatmulThreads(2);
            const double = onTwoThreads(() => multiply(Float, a, b, m, k, n, transA, transB));
            expect(double).toEqual(single);
          }
        }
      }
    }
  });

  it("keeps working after the memory grows and on more threads than cores", () => {
    setMatmulThreads(3);
    for (const size of [8, 300, 20]) {
      const a = randomArray(Float64Array, size * size, size);
      const b = randomArray(Float64Array, size * size, size + 1);
      const out = multiply(Float64Array, a, b, size, size, size, false, true);
      expectClose(out, naiveMatmul(a, b, size, size, size, false, true), size);
    }
  });

  it("rejects mismatched types, lengths and sizes with the offending values", () => {
    const f32 = new Float32Array(4);
    const f64 = new Float64Array(4);
    expect(() => wasmMatmul(f32, f64 as never, f32, 2, 2, 2, false, false)).toThrow(
      /Float32Array, Float64Array and Float32Array/,
    );
    expect(() => wasmMatmul(f32, f32, new Float32Array(3), 2, 2, 2, false, false)).toThrow(
      "out has 3 elements, expected 4 for m=2, k=2, n=2",
    );
    expect(() => wasmMatmul(f32, f32, f32, 2, 2.5, 2, false, false)).toThrow(
      "k must be a non-negative integer, got 2.5",
    );
    expect(() => setMatmulThreads(0)).toThrow("threads must be a positive integer, got 0");
  });
});

describe("wasmMatmul with inputsImmutable (operands kept in the kernel's memory)", () => {
  const bytesOf = (array: FloatArray) =>
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  /** a·bᵀ of a (rows(a)×depth) and b (rows(b)×depth), with or without the promise. */
  function product(Float: FloatConstructor, a: FloatArray, b: FloatArray, keep: boolean) {
    const [m, n] = [a.length / depth, b.length / depth];
    const out = new Float(m * n).fill(Number.NaN);
    wasmMatmul(a, b, out, m, depth, n, false, true, keep);
    return out;
  }
  // Rows of 4 KiB in float32, so that arrays from 16 rows are large enough to keep (64 KiB).
  const depth = 1024;

  it("copies arrays in again after its entries grow (and move)", () => {
    // First in this file to keep operands, so that the entries start empty and small. A product
    // with a large output sizes the arenas first, so that the later, larger operand grows the
    // entries without moving the arenas.
    for (const [, Float] of dtypes) {
      const wide = randomArray(Float, 200 * depth, 91);
      product(Float, wide, wide, true);
      const small = [1, 2, 3, 4].map((index) => randomArray(Float, 16 * depth, 91 + index));
      const expected = small.map((array) => product(Float, array, small[0]!, false));
      for (const array of small) product(Float, array, small[0]!, true);
      product(Float, randomArray(Float, 300 * depth, 99), small[1]!, true);
      // Most recent first: the arrays that the larger operand did not evict.
      for (const index of [3, 2, 1, 0]) {
        expect(product(Float, small[index]!, small[0]!, true)).toEqual(expected[index]);
      }
    }
  });

  it("gives the same bits as copying every operand in, through reuse, eviction and growth", () => {
    for (const [, Float] of dtypes) {
      // More arrays than cache entries, of growing sizes (the entries grow and move), and one
      // product large enough to move the arenas; pairs come in an order that reuses, evicts
      // and brings arrays back.
      const rows = [8, 40, 3, 100, 17, 600, 64, 2000];
      let readInPlace = 0;
      const arrays = rows.map((count, index) => randomArray(Float, count * depth, 50 + index));
      for (let step = 0; step < 60; step++) {
        const a = arrays[(step * 3) % arrays.length]!;
        const b = arrays[(step * 5 + 1) % arrays.length]!;
        const kept = product(Float, a, b, true);
        expect(kept).toEqual(product(Float, a, b, false));
        if (step % 7 === 0)
          expectClose(
            kept,
            naiveMatmul(a, b, a.length / depth, depth, b.length / depth, false, true),
            depth,
          );
        // g·a with a as b stored k×n: read in place when a is still kept (few enough rows of g).
        const [m, k] = [[17, 50, 128][step % 3]!, a.length / depth];
        if (k <= 600) {
          const g = randomArray(Float, m * k, step);
          const times = (keep: boolean) => {
            const out = new Float(m * depth).fill(Number.NaN);
            wasmMatmul(g, a, out, m, k, depth, false, false, keep);
            return out;
          };
          const before = matmulInfo().reusedOperands;
          const inPlace = times(true);
          readInPlace += matmulInfo().reusedOperands - before;
          // Bit for bit (a byte comparison: toEqual is slow on arrays this long).
          const copied = times(false);
          expect(Buffer.compare(bytesOf(inPlace), bytesOf(copied))).toBe(0);
        }
      }
      expect(readInPlace).toBeGreaterThan(0);
    }
  });

  it("keeps an operand that it reads in place, and finds it there when a product reads it again", () => {
    // a·bᵀ with few columns reads a in place, unpacked; bᵀ is packed, so b is copied each time.
    const a = randomArray(Float32Array, 100 * depth, 61);
    const b = randomArray(Float32Array, 30 * depth, 62);
    const c = randomArray(Float32Array, 20 * depth, 63);
    const before = matmulInfo().reusedOperands;
    product(Float32Array, a, b, true);
    expect(matmulInfo().reusedOperands).toBe(before);
    expect(product(Float32Array, a, c, true)).toEqual(product(Float32Array, a, c, false));
    expect(matmulInfo().reusedOperands).toBe(before + 1);
    product(Float32Array, c, a, true); // c was only packed so far; a is packed now
    expect(matmulInfo().reusedOperands).toBe(before + 1);
    product(Float32Array, c, b, true);
    expect(matmulInfo().reusedOperands).toBe(before + 2);
    // Below 64 KiB an operand costs less to copy in than to keep.
    const tiny = randomArray(Float32Array, 4 * depth, 65);
    product(Float32Array, tiny, b, true);
    product(Float32Array, tiny, b, true);
    expect(matmulInfo().reusedOperands).toBe(before + 2);
    // A product of few rows reads b in place when it is not transposed.
    const rows = randomArray(Float32Array, 3 * 100, 64);
    const twice = () => {
      const out = new Float32Array(3 * depth);
      wasmMatmul(rows, a, out, 3, 100, depth, false, false, true);
      return out;
    };
    expect(twice()).toEqual(twice());
    expect(matmulInfo().reusedOperands).toBe(before + 4); // a, in both
    // With more rows, b is read in place only when it is kept already (saving its copy): a is,
    // a fresh array of the same shape is not (it is packed, so not kept either).
    const more = randomArray(Float32Array, 50 * 100, 66);
    const times = (b: FloatArray, keep: boolean) => {
      const out = new Float32Array(50 * depth);
      wasmMatmul(more, b, out, 50, 100, depth, false, false, keep);
      return out;
    };
    expect(times(a, true)).toEqual(times(a, false));
    expect(matmulInfo().reusedOperands).toBe(before + 5);
    const fresh = randomArray(Float32Array, 100 * depth, 67);
    expect(times(fresh, true)).toEqual(times(fresh, true));
    expect(matmulInfo().reusedOperands).toBe(before + 5);
    expectClose(times(a, true), naiveMatmul(more, a, 50, 100, depth, false, false), 100);
    expect(matmulInfo().reusedOperands).toBe(before + 6);
  });

  it("copies every time without the promise, so a modified array gives the new product", () => {
    const a = randomArray(Float64Array, 10 * depth, 71);
    const b = randomArray(Float64Array, 12 * depth, 72);
    const before = matmulInfo().reusedOperands;
    product(Float64Array, a, b, false);
    a[5] = 1000;
    const after = product(Float64Array, a, b, false);
    expectClose(after, naiveMatmul(a, b, 10, depth, 12, false, true), depth);
    expect(matmulInfo().reusedOperands).toBe(before);
  });

  it("copies operands above 8 MiB into the arena each time", () => {
    const big = randomArray(Float32Array, 2100 * depth, 81); // 8.2 MiB
    const b = randomArray(Float32Array, 3 * depth, 82);
    const before = matmulInfo().reusedOperands;
    const first = product(Float32Array, big, b, true); // big is read in place
    expect(product(Float32Array, big, b, true)).toEqual(first);
    expect(matmulInfo().reusedOperands).toBe(before);
    expect(first).toEqual(product(Float32Array, big, b, false));
  });
});

describe("the kernel's work sharing", () => {
  it.each([
    ["packed", false],
    ["read in place", true],
  ])(
    "completes a product whose units another thread took and never finished (b %s)",
    (_, resident) => {
      const { kernel } = loadKernel();
      if (kernel === undefined) throw new Error("the kernel does not load");
      const [m, k, n] = [37, 45, 29];
      const a = randomArray(Float64Array, m * k, 41);
      const b = randomArray(Float64Array, k * n, 42);
      const [job, aOffset] = [1024, 4096];
      const bOffset = aOffset + a.byteLength;
      const cOffset = bOffset + b.byteLength + 64;
      const scratch = cOffset + 64 * Math.ceil((m * n * 8) / 64);
      reserve(kernel.memory, scratch + kernel.exports.scratchBytes(8, m, k, n));
      new Float64Array(kernel.memory.buffer, aOffset, a.length).set(a);
      new Float64Array(kernel.memory.buffer, bOffset, b.length).set(b);
      kernel.exports.configure(
        job,
        8,
        m,
        k,
        n,
        true,
        false,
        aOffset,
        bOffset,
        cOffset,
        scratch,
        2,
        resident,
      );
      // Pretend a second participant took the first units and was never scheduled again: bump
      // the PACK_NEXT and TILE_NEXT counters (bytes 0 and 128 of the job, asm/matmul.ts).
      const counters = new Int32Array(kernel.memory.buffer, job, 64);
      counters[0] = 3;
      counters[128 / 4] = 5;
      kernel.exports.participate(job);
      const c = new Float64Array(kernel.memory.buffer, cOffset, m * n);
      expectClose(c, naiveMatmul(a, b, m, k, n, true, false), k);
      expect(kernel.exports.joinedThreads(job)).toBe(1);
    },
  );
});

describe("wasmMatmul where the platform lacks features", () => {
  type Memory = new (descriptor: { shared?: boolean }) => object;
  const webAssembly = (globalThis as unknown as { WebAssembly: { Memory: Memory } }).WebAssembly;

  /** A fresh copy of src/wasm (its kernel is loaded on first use, under the stubs in force). */
  async function freshModule(): Promise<typeof import("../src/wasm/index")> {
    vi.resetModules();
    return import("../src/wasm/index");
  }

  afterEach(() => vi.unstubAllGlobals());

  /** Checks one product by `fresh`'s wasmMatmul against the naive reference. */
  function expectProduct(
    fresh: typeof import("../src/wasm/index"),
    Float: FloatConstructor,
    [m, k, n]: readonly [number, number, number],
    transA: boolean,
    transB: boolean,
    seed: number,
  ): void {
    const a = randomArray(Float, m * k, seed);
    const b = randomArray(Float, k * n, seed + 1);
    const out = new Float(m * n);
    fresh.wasmMatmul(a, b, out, m, k, n, transA, transB);
    expectClose(out, naiveMatmul(a, b, m, k, n, transA, transB), k);
  }

  it("runs single-threaded on a private memory when shared memory is unavailable", async () => {
    const RealMemory = webAssembly.Memory;
    class UnsharedMemory extends RealMemory {
      constructor(descriptor: { shared?: boolean }) {
        if (descriptor.shared) throw new TypeError("shared memory is disabled here");
        super(descriptor);
      }
    }
    vi.stubGlobal("WebAssembly", Object.create(webAssembly, { Memory: { value: UnsharedMemory } }));
    const fresh = await freshModule();
    fresh.setMatmulThreads(2);
    expect(fresh.matmulInfo()).toMatchObject({ simd: true, threads: 1 });
    expect(fresh.matmulInfo().reason).toMatch(/shared WebAssembly memory is unavailable/);
    expectProduct(fresh, Float32Array, [70, 90, 60], false, true, 31);
    expect(fresh.matmulInfo().lastCallThreads).toBe(1);
  });

  it("keeps the default kernel, and says why, when fused multiply-add needs relaxed SIMD it lacks", async () => {
    vi.stubGlobal("WebAssembly", Object.create(webAssembly, { validate: { value: () => false } }));
    const fresh = await freshModule();
    fresh.setMatmulThreads(1);
    fresh.setMatmulFma(true);
    expect(fresh.matmulInfo()).toMatchObject({ simd: true, fma: false, threads: 1 });
    expect(fresh.matmulInfo().reason).toMatch(/relaxed SIMD, which this runtime lacks/);
    expectProduct(fresh, Float64Array, [30, 40, 20], true, false, 33);
    fresh.setMatmulFma(false);
    expect(fresh.matmulInfo()).toMatchObject({ fma: false, threads: 1 });
    expect(fresh.matmulInfo().reason).toBeUndefined();
  });

  it("reports why and throws when WebAssembly is missing", async () => {
    vi.stubGlobal("WebAssembly", undefined);
    const fresh = await freshModule();
    expect(fresh.matmulInfo()).toMatchObject({ simd: false, reason: "WebAssembly is unavailable" });
    const one = Float64Array.of(1);
    expect(() => fresh.wasmMatmul(one, one, one, 1, 1, 1, false, false)).toThrow(
      "wasmMatmul is unavailable: WebAssembly is unavailable",
    );
  });
});

/**
 * src/wasm bundled into `directory` as tsup ships it, by the esbuild that tsup builds the
 * package with; returns the file.
 */
async function bundleWasm(directory: string, format: "esm" | "cjs"): Promise<string> {
  const require = createRequire(import.meta.url);
  const esbuild: { build(options: object): Promise<unknown> } = createRequire(
    require.resolve("tsup"),
  )("esbuild");
  const outfile = join(directory, `wasm.${format === "esm" ? "mjs" : "cjs"}`);
  await esbuild.build({
    entryPoints: [fileURLToPath(new URL("../src/wasm/index.ts", import.meta.url))],
    bundle: true,
    platform: "node",
    format,
    outfile,
    logLevel: "silent",
  });
  return outfile;
}

describe("wasmMatmul bundled and run by plain Node", () => {
  // What tsup ships: src/wasm bundled into one file, loaded as an ES module (with the caller's
  // --input-type=module inherited by nothing) or as CommonJS, starting real worker threads.
  it("multiplies on two threads from an ES module and from CommonJS", async () => {
    const directory = mkdtempSync(join(tmpdir(), "wasm-matmul-"));
    try {
      const script = (load: string) => `${load}
        setMatmulThreads(2);
        const n = 150;
        const a = new Float32Array(n * n).fill(1);
        const out = new Float32Array(n * n);
        for (let i = 0; i < 5; i++) wasmMatmul(a, a, out, n, n, n, false, true);
        console.log(JSON.stringify({ value: out[n * n - 1], info: matmulInfo() }));`;
      const results = [];
      for (const format of ["esm", "cjs"] as const) {
        const outfile = await bundleWasm(directory, format);
        const load =
          format === "esm"
            ? `const { wasmMatmul, setMatmulThreads, matmulInfo } = await import(${JSON.stringify(pathToFileURL(outfile).href)});`
            : `const { wasmMatmul, setMatmulThreads, matmulInfo } = require(${JSON.stringify(outfile)});`;
        const flags = format === "esm" ? ["--input-type=module"] : [];
        const output = execFileSync(process.execPath, [...flags, "-e", script(load)], {
          encoding: "utf8",
        });
        results.push(JSON.parse(output));
      }
      for (const result of results) {
        expect(result).toEqual({
          value: 150,
          info: expect.objectContaining({ simd: true, threads: 2 }),
        });
        expect(result.info.reason).toBeUndefined();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("wasmMatmul with fused multiply-add (relaxed SIMD, in a child Node)", () => {
  it("is on when asked for, with no Node flag, close to the default, the same on 1 and 2 threads", async () => {
    const directory = mkdtempSync(join(tmpdir(), "wasm-fma-"));
    try {
      const outfile = await bundleWasm(directory, "esm");
      // Each product in float32 and float64, fused on 1 and 2 threads and by the default kernel:
      // the largest difference between the fused threads (must be 0) and from the default,
      // relative to the sum of |terms| (each |term| ≤ 1, so at most k).
      const script = `
        const { wasmMatmul, setMatmulThreads, setMatmulFma, matmulInfo } = await import(${JSON.stringify(pathToFileURL(outfile).href)});
        const random = (Float, length, seed) => {
          const array = new Float(length);
          for (let i = 0; i < length; i++) { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; array[i] = seed / 2 ** 31 - 1; }
          return array;
        };
        const results = [];
        for (const Float of [Float32Array, Float64Array]) {
          for (const [m, k, n, transA, transB] of [[100, 3072, 50, false, true], [50, 100, 600, true, false], [7, 300, 90, false, false]]) {
            const a = random(Float, m * k, 1), b = random(Float, k * n, 2);
            const run = (fma, threads) => {
              setMatmulFma(fma); setMatmulThreads(threads);
              const out = new Float(m * n);
              for (let i = 0; i < 3; i++) wasmMatmul(a, b, out, m, k, n, transA, transB);
              return out;
            };
            const plain = run(false, 1), one = run(true, 1), two = run(true, 2);
            let threadsDiffer = 0, fromPlain = 0;
            for (let i = 0; i < one.length; i++) {
              threadsDiffer = Math.max(threadsDiffer, Math.abs(one[i] - two[i]));
              fromPlain = Math.max(fromPlain, Math.abs(one[i] - plain[i]) / k);
            }
            results.push({ dtype: Float.name, threadsDiffer, fromPlain, info: matmulInfo() });
          }
        }
        console.log(JSON.stringify(results));`;
      // No command-line flag: on Node 20 setMatmulFma sets V8's relaxed SIMD flag itself.
      const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
        encoding: "utf8",
      });
      const results = JSON.parse(output) as {
        dtype: string;
        threadsDiffer: number;
        fromPlain: number;
        info: { fma: boolean; lastCallThreads: number; reason?: string };
      }[];
      expect(results).toHaveLength(6);
      for (const { dtype, threadsDiffer, fromPlain, info } of results) {
        expect(info.fma, JSON.stringify(info)).toBe(true);
        expect(info.reason).toBeUndefined();
        expect(threadsDiffer).toBe(0);
        // Fusing saves one rounding per term: the sums differ by a few units of the last place.
        expect(fromPlain).toBeLessThan(dtype === "Float32Array" ? 4 * 2 ** -23 : 4 * 2 ** -52);
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("kernel.generated.ts", () => {
  it("is up to date with asm/matmul.ts and asm/build.mjs", () => {
    const script = fileURLToPath(new URL("../asm/build.mjs", import.meta.url));
    expect(() =>
      execFileSync(process.execPath, [script, "--check"], { stdio: "pipe" }),
    ).not.toThrow();
  });
});
