import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createBackendOnDevice } from "../src/gpu/backend";
import { type Device, GpuJsDevice } from "../src/gpu/device";
import { createGpuBackend, GPU_MODES, measureMatmul, selectBackend } from "../src/gpu/index";
import {
  abs,
  add,
  argmax,
  axpby,
  type Backend,
  cast,
  concat,
  cpuBackend,
  div,
  equal,
  exp,
  fromTypedArray,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  logSumExp,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  neg,
  notEqual,
  pow,
  reciprocal,
  relu,
  reshape,
  setBackend,
  sigmoid,
  sign,
  slice,
  sqrt,
  square,
  sub,
  sum,
  sumOfSquares,
  type Tensor,
  take,
  tanh,
  tensor,
  toBackend,
  transpose,
  where,
} from "../src/index";
import { expectClose } from "./helpers";

afterEach(() => setBackend(cpuBackend));

/** Deterministic values in [-scale, scale), distinct enough that a skipped term shows. */
function seeded(shape: readonly number[], seed: number, scale = 1): Tensor {
  const size = shape.reduce((total, extent) => total * extent, 1);
  let state = seed >>> 0;
  const data = Float32Array.from({ length: size }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) * 2 * scale;
  });
  return fromTypedArray(data, shape);
}

/**
 * Builds the same computation on the CPU backend and on `backend` (inputs are created on the
 * current backend inside `build`) and checks the GPU result against the CPU one.
 */
function matchesCpu(backend: Backend, build: () => Tensor, tolerance = 2e-6): void {
  setBackend(cpuBackend);
  const want = build();
  setBackend(backend);
  const got = build();
  setBackend(cpuBackend);
  expect(got.backend).toBe(backend);
  expect(got.dtype).toBe(want.dtype);
  expect(got.shape).toEqual(want.shape);
  expectClose(got.toTypedArray(), want.toTypedArray(), tolerance);
}

const unaryOps = { neg, exp, log, sqrt, abs, sign, square, reciprocal, tanh, sigmoid, relu };
const binaryOps = {
  add,
  sub,
  mul,
  div,
  maximum,
  minimum,
  equal,
  notEqual,
  greater,
  greaterEqual,
  less,
  lessEqual,
};

/** Kernel checks shared by every gpu.js mode this machine can run. */
function kernelSuite(getBackend: () => Backend): void {
  it("matmul: all four transpose variants on odd shapes", () => {
    for (const [m, k, n] of [
      [1, 1, 1],
      [5, 7, 3],
      [3, 33, 17],
    ] as const) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          matchesCpu(getBackend(), () =>
            matmul(
              seeded(transposeA ? [k, m] : [m, k], 1),
              seeded(transposeB ? [n, k] : [k, n], 2),
              { transposeA, transposeB },
            ),
          );
        }
      }
    }
  });

  it("matmul: k = 3072 is not capped at gpu.js's default 1000 loop iterations", () => {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        matchesCpu(
          getBackend(),
          () =>
            matmul(
              seeded(transposeA ? [3072, 3] : [3, 3072], 3),
              seeded(transposeB ? [2, 3072] : [3072, 2], 4),
              { transposeA, transposeB },
            ),
          1e-5,
        );
      }
    }
    // All ones: a loop stopped at 1000 would give 1000, not 3072.
    setBackend(getBackend());
    const ones = fromTypedArray(new Float32Array(3072).fill(1), [1, 3072]);
    expect(matmul(ones, ones, { transposeB: true }).toArray()).toEqual([[3072]]);
  });

  it("unary ops match the CPU backend", () => {
    for (const [name, op] of Object.entries(unaryOps)) {
      const input = () => tensor([-3.5, -1, -0.25, 0, 0.5, 1, 2.75, 40, -40]);
      // log and sqrt of negatives are NaN on both backends; compare their domains separately.
      const build = name === "log" || name === "sqrt" ? () => op(abs(input())) : () => op(input());
      matchesCpu(getBackend(), build);
    }
  });

  it("binary ops broadcast like the CPU backend", () => {
    for (const op of Object.values(binaryOps)) {
      matchesCpu(getBackend(), () => op(seeded([2, 1, 4], 5), seeded([3, 1], 6)));
      // Equal values exercise the comparisons' equality branch.
      matchesCpu(getBackend(), () => op(tensor([[1, 2, 3]]), tensor([[3], [2]])));
    }
  });

  it("pow keeps the sign of negative bases with integer exponents", () => {
    matchesCpu(getBackend(), () =>
      pow(tensor([-2, -2, -3, 2, 0.5, 4]), tensor([2, 3, -1, 0.5, -2, 0])),
    );
  });

  it("axpby matches the CPU backend, one compiled kernel for every coefficient", () => {
    matchesCpu(
      getBackend(),
      () => axpby(0.9, seeded([3, 40], 30), -0.01, seeded([3, 40], 31)),
      1e-6,
    );
    matchesCpu(getBackend(), () => axpby(-2, seeded([7], 32), 0.5, seeded([7], 33)), 1e-6);
    const wide = () => fromTypedArray(Float64Array.from([1e-12, 1 + 1e-12, 3]), [3]);
    matchesCpu(getBackend(), () => axpby(3, wide(), -1, wide()), 0);
  });

  it("where and strided copies (transpose, slice) match the CPU backend", () => {
    matchesCpu(getBackend(), () =>
      where(greater(seeded([3, 4], 7), 0), seeded([3, 4], 8), seeded([4], 9)),
    );
    matchesCpu(getBackend(), () => transpose(seeded([2, 3, 4], 10), [2, 0, 1]));
    matchesCpu(getBackend(), () => slice(seeded([5, 6], 11), [1, 2], [4, 5]));
  });

  it("reductions over every axis arrangement match the CPU backend", () => {
    const reductions = { sum, mean, max, min, logSumExp, sumOfSquares };
    for (const reduce of Object.values(reductions)) {
      for (const axis of [0, 1, 2, [1, 2], undefined]) {
        matchesCpu(getBackend(), () => reduce(seeded([3, 5, 4], 12, 3), { axis }), 1e-5);
      }
    }
    matchesCpu(getBackend(), () =>
      logSumExp(
        tensor([
          [-Infinity, -Infinity],
          [1000, 1000],
        ]),
        { axis: 1 },
      ),
    );
    matchesCpu(getBackend(), () => sum(seeded([1500], 13)), 1e-5); // > 1000 iterations
  });

  it("argmax runs on the device and returns int32 indices, first on ties", () => {
    matchesCpu(getBackend(), () => argmax(seeded([4, 7], 14), { axis: 1 }));
    matchesCpu(getBackend(), () => argmax(seeded([4, 7], 15), { axis: 0 }));
    setBackend(getBackend());
    const ties = argmax(
      tensor([
        [1, 3, 3],
        [2, 2, 0],
      ]),
      { axis: 1 },
    );
    expect(ties.dtype).toBe("int32");
    expect(ties.toArray()).toEqual([1, 0]);
  });

  it("runs float64 and int32 tensors and unimplemented ops on the CPU, exactly", () => {
    const wide = () => fromTypedArray(Float64Array.from([1e-12, 1 + 1e-12, 3]), [3]);
    matchesCpu(getBackend(), () => add(wide(), wide()), 0);
    matchesCpu(getBackend(), () => matmul(reshape(wide(), [3, 1]), reshape(wide(), [1, 3])), 0);
    matchesCpu(getBackend(), () => mul(tensor([7, -3], "int32"), tensor([2 ** 20, 5], "int32")), 0);
    matchesCpu(getBackend(), () => concat([seeded([2, 3], 16), seeded([2, 1], 17)], 1), 0);
    matchesCpu(getBackend(), () => take(seeded([4, 3], 18), [3, 0, 3]), 0);
    matchesCpu(getBackend(), () => cast(seeded([5], 19, 10), "int32"), 0);
    // A fallback result feeds the device: float32 cast of int32, then a device kernel.
    matchesCpu(getBackend(), () => relu(cast(tensor([-2, 5], "int32"), "float32")), 0);
    matchesCpu(getBackend(), () => sum(tensor([], "float32")), 0);
  });

  it("reads back copies: changing one does not change the tensor", () => {
    setBackend(getBackend());
    const x = square(tensor([1, -3]));
    const first = x.toTypedArray();
    first[0] = 42;
    expect(x.toTypedArray()[0]).toBe(1);
    expect(toBackend(x, cpuBackend).toArray()).toEqual([1, 9]);
  });

  it("a small MLP forward pass with setBackend matches the CPU backend", () => {
    matchesCpu(
      getBackend(),
      () => {
        const x = seeded([8, 20], 20);
        const hidden = relu(add(matmul(x, seeded([20, 12], 21, 0.3)), seeded([12], 22)));
        const logits = add(matmul(hidden, seeded([10, 12], 23, 0.3), { transposeB: true }), 0.1);
        return sub(logits, logSumExp(logits, { axis: 1, keepDims: true }));
      },
      1e-5,
    );
  });
}

for (const mode of ["webasm", "cpu"] as const) {
  describe(`gpu.js ${mode} mode (runs everywhere, as CI does)`, () => {
    let backend: Backend;
    beforeAll(async () => {
      const created = await createGpuBackend({ mode });
      expect(created.mode).toBe(mode);
      expect(created.reason).toBe(`using ${mode}`);
      backend = created.backend;
    });
    it("is named after its mode", () => expect(backend.name).toBe(`gpu:${mode}`));
    kernelSuite(() => backend);
  });
}

// WebGPU needs an adapter (a GPU, or Mesa's lavapipe): run where one answers, else say why.
const webgpu = await createGpuBackend({ mode: "webgpu" }).catch((error: Error) => error.message);
if (typeof webgpu === "string") console.log(`skipping the WebGPU kernel tests: ${webgpu}`);
describe.runIf(typeof webgpu !== "string")("gpu.js webgpu mode (where an adapter answers)", () => {
  kernelSuite(() => (webgpu as { backend: Backend }).backend);
});

describe("mode selection", () => {
  it("auto takes the first available mode and says why it skipped the others", async () => {
    const { mode, reason, backend } = await createGpuBackend();
    expect(GPU_MODES).toContain(mode);
    expect(backend.name).toBe(`gpu:${mode}`);
    const skipped = GPU_MODES.slice(0, GPU_MODES.indexOf(mode));
    expect(reason.split("; ").map((part) => part.split(":")[0])).toEqual([
      ...skipped.map((other) => `${other} unavailable`),
      expect.stringMatching(new RegExp(`^using ${mode}`)),
    ]);
  });

  it("an unavailable explicit mode throws with the reason", async () => {
    const gl = await createGpuBackend({ mode: "headlessgl" }).catch((error: Error) => error);
    if (gl instanceof Error) {
      expect(gl.message).toMatch(/^createGpuBackend: headlessgl unavailable: \S/);
    } else expect(gl.mode).toBe("headlessgl");
  });

  it("selectBackend explains its choice", async () => {
    expect((await selectBackend("cpu")).reason).toBe("cpu: requested; using cpu");
    const gpu = await selectBackend("gpu");
    expect(gpu.backend.name).toMatch(/^gpu:/);
    expect(gpu.reason).toMatch(/^gpu: .*using (webgpu|headlessgl|webasm|cpu)/);
    const small = { m: 8, k: 64, n: 4 };
    const auto = await selectBackend("auto", { shape: small });
    expect(auto.reason).toMatch(
      /^auto: cpu [\d.]+ GFLOP\/s vs gpu:\w+ [\d.]+ GFLOP\/s on 8×64×4; using (cpu|gpu:\w+); gpu mode: .*using \w+/,
    );
    const [, cpuRate, gpuRate] = auto.reason.match(/cpu ([\d.]+) GFLOP\/s vs gpu:\w+ ([\d.]+)/)!;
    expect(auto.backend.name).toBe(Number(gpuRate) > Number(cpuRate) ? gpu.backend.name : "cpu");
  });

  it("measureMatmul reports a positive rate", () => {
    expect(measureMatmul(cpuBackend, { m: 4, k: 8, n: 2 }, { repetitions: 1 })).toBeGreaterThan(0);
  });
});

describe("device residency", () => {
  /** Wraps a device and counts transfers. */
  function counting(inner: Device) {
    const counts = { uploads: 0, downloads: 0, runs: 0 };
    const device: Device = {
      mode: inner.mode,
      upload(data) {
        counts.uploads++;
        return inner.upload(data);
      },
      run(spec, inputs) {
        counts.runs++;
        return inner.run(spec, inputs);
      },
      download(buffer) {
        counts.downloads++;
        return inner.download(buffer);
      },
      release: (buffer) => inner.release(buffer),
    };
    return { device, counts };
  }

  it("keeps results on the device and reads back only what is asked for", async () => {
    const { GPU } = await import("gpu.js");
    const { device, counts } = counting(new GpuJsDevice(new GPU({ mode: "cpu" }), "cpu"));
    setBackend(createBackendOnDevice(device, { name: "gpu:counted" }));
    const weights = seeded([6, 4], 30);
    const x = seeded([3, 6], 31);
    const loss = sum(relu(add(matmul(x, weights), matmul(x, weights))));
    expect(counts).toEqual({ uploads: 2, downloads: 0, runs: 5 });
    loss.item();
    expect(counts).toEqual({ uploads: 2, downloads: 1, runs: 5 });
    // A fallback op reads back its device inputs, once each, and keeps the host copy.
    const joined = concat([weights, matmul(x, weights)], 0);
    expect(counts.downloads).toBe(2);
    joined.toTypedArray();
    expect(counts.downloads).toBe(2);
  });
});
