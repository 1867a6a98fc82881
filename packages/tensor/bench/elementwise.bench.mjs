// Elementwise throughput of @puregrad/tensor's CPU backend on the shapes of one training step of
// a CIFAR-10 MLP (3072→50→10, batch 100): the [50,3072] weight matrix's L2 term, gradient
// accumulation and momentum update (as 8 ops, and fused into 4 as @puregrad/nn takes it), and a
// [100,50] + [50] bias add and its gradient's column sum. Each op runs in a
// synchronous loop and in one that yields to the event loop before every call (as nn's `fit`
// does when given an AbortSignal). Peers measured in the same run: a bare JavaScript loop
// `out[i] = a[i] * b[i]` over the same 153,600 float32 elements, into a fresh Float32Array (the
// floor for an op that returns a new tensor) and into a reused one (the floor for the loop alone).
// Every op runs twice in the same rounds: on the default CPU backend (WebAssembly SIMD kernels for
// large float ops) and on one with `simdElementwise: false` (the JavaScript loops); the ratio
// JS ÷ SIMD is the speed-up. A second table sweeps the size of a mul around the threshold below
// which the backend keeps the JavaScript loops (`elementwiseInfo().minimumElements`).
// Runs against the built package: `pnpm build && node bench/elementwise.bench.mjs`.
import { performance } from "node:perf_hooks";
import * as tensorPackage from "../dist/index.js";
import {
  add,
  axpby,
  cast,
  cpuBackend,
  createCpuBackend,
  key,
  mul,
  relu,
  scalar,
  setBackend,
  split,
  square,
  sub,
  sum,
  sumOfSquares,
  uniform,
} from "../dist/index.js";

const ROWS = 50;
const COLUMNS = 3072;
const BATCH = 100;
const ROUNDS = 5;
const SECONDS_PER_TURN = 0.12;
const STEPS_PER_SAMPLE = 20;

const nextTask = () => new Promise(setImmediate);

const backends = [
  ["JS", createCpuBackend({ name: "cpu-js", simdElementwise: false })],
  ["SIMD", cpuBackend],
];

/** What `make` returns when created on `backend` (a tensor's ops run on its own backend). */
function createdOn(backend, make) {
  setBackend(backend);
  try {
    return make();
  } finally {
    setBackend(cpuBackend);
  }
}

/**
 * Median milliseconds per call of each row's `run`, timing only the calls (yielding before each
 * if asked). A sample is the mean of the row's `calls` consecutive calls, so that with more than
 * one the garbage collections they provoke are counted, not left in the tail above the median.
 * Rows take turns in rounds so that the machine's load weighs on each alike.
 */
async function medianMs(rows, yielding) {
  const samples = rows.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, { run, calls }] of rows.entries()) {
      for (let i = 0; i < 3; i++) run();
      const start = performance.now();
      while (performance.now() - start < SECONDS_PER_TURN * 1000) {
        let elapsed = 0;
        for (let call = 0; call < calls; call++) {
          if (yielding) await nextTask();
          const t0 = performance.now();
          run();
          elapsed += performance.now() - t0;
        }
        samples[index].push(elapsed / calls);
      }
    }
  }
  return samples.map((list) => {
    list.sort((x, y) => x - y);
    return list[Math.floor(list.length / 2)];
  });
}

/** The tensors of one step. */
function operands() {
  const [kw, kg, kv, kh, kb] = split(key(7), 5);
  const range = { min: -1, max: 1 };
  return {
    w: uniform(kw, [ROWS, COLUMNS], range),
    g: uniform(kg, [ROWS, COLUMNS], range),
    v: uniform(kv, [ROWS, COLUMNS], range),
    hidden: uniform(kh, [BATCH, ROWS], range),
    bias: uniform(kb, [ROWS], range),
    rho: scalar(0.9),
    eta: scalar(0.01),
    twoLambda: scalar(0.002),
  };
}

/** One momentum step with an L2 penalty: 8 ops, 7 of them over the whole weight matrix. */
function momentumStep(state, t) {
  const penalty = sum(square(state.w));
  const gradient = add(t.g, mul(state.w, t.twoLambda));
  const velocity = sub(mul(state.v, t.rho), mul(gradient, t.eta));
  return { w: add(state.w, velocity), v: velocity, penalty };
}

/** The same step as @puregrad/nn takes it: sumOfSquares, two axpby and the add (4 passes). */
function fusedMomentumStep(state, t) {
  const penalty = sumOfSquares(state.w);
  const gradient = axpby(1, t.g, 0.002, state.w);
  const velocity = axpby(0.9, state.v, -0.01, gradient);
  return { w: add(state.w, velocity), v: velocity, penalty };
}

const ops = [
  ["add [50,3072]", (t) => add(t.w, t.g)],
  ["sub [50,3072]", (t) => sub(t.w, t.g)],
  ["mul [50,3072]", (t) => mul(t.w, t.g)],
  ["mul [50,3072]·scalar", (t) => mul(t.w, t.rho)],
  ["add [100,50]+[50]", (t) => add(t.hidden, t.bias)],
  ["square [50,3072]", (t) => square(t.w)],
  ["relu [50,3072]", (t) => relu(t.w)],
  ["sum [50,3072] → []", (t) => sum(t.w)],
  ["sumOfSquares [50,3072] → []", (t) => sumOfSquares(t.w)],
  ["axpby [50,3072]", (t) => axpby(0.9, t.w, -0.01, t.g)],
  ["sum [100,50] → [50] (bias gradient)", (t) => sum(t.hidden, { axis: 0 })],
];

const format = (ms) => ms.toFixed(3);

/**
 * A library's kernels see every dtype (int32 labels, float64 gradient checks): run each op once
 * on each so the timings reflect the JIT state of a real program, not a float32-only one.
 */
function warmUpAllDTypes() {
  for (const dtype of ["float32", "float64", "int32"]) {
    const x = uniform(key(1), [8, 8], { min: -4, max: 4 });
    const t = { w: cast(x, dtype), g: cast(x, dtype), rho: scalar(2, dtype) };
    t.hidden = t.w;
    t.bias = cast(scalar(1), dtype);
    for (const [label, op] of ops) {
      if (dtype !== "int32" || !/sumOfSquares|axpby/.test(label)) op(t); // float-only ops
    }
  }
}

/** One row per op and backend, each op's two rows side by side, on operands from `make`. */
function pairedRows(ops, make) {
  const operandsOn = backends.map(([, backend]) => createdOn(backend, make));
  return ops.flatMap(([label, op]) =>
    backends.map(([name], index) => ({ label, name, run: () => op(operandsOn[index]), calls: 1 })),
  );
}

function printPairs(title, rows, sync, yielding) {
  const columns = yielding === undefined ? ["sync"] : ["sync", "yielding"];
  const header = columns.flatMap((c) => [`JS ${c} ms`, `SIMD ${c} ms`, `JS ÷ SIMD ${c}`]);
  console.log(`| ${title} | ${header.join(" | ")} |`);
  console.log(`| --- |${header.map(() => " ---: |").join("")}`);
  for (let index = 0; index < rows.length; index += 2) {
    const cells = [sync, yielding].filter(Boolean).flatMap((medians) => {
      const [js, simd] = [medians[index], medians[index + 1]];
      return [format(js), format(simd), `${(js / simd).toFixed(2)}×`];
    });
    console.log(`| ${rows[index].label} | ${cells.join(" | ")} |`);
  }
}

async function main() {
  warmUpAllDTypes();
  // Until the package index exports it, elementwiseInfo may be missing from the build.
  const info = tensorPackage.elementwiseInfo?.();
  console.log(`elementwiseInfo: ${info === undefined ? "not exported" : JSON.stringify(info)}\n`);
  const t = operands();
  const n = ROWS * COLUMNS;
  const a = t.w.toTypedArray();
  const b = t.g.toTypedArray();
  const reused = new Float32Array(n);
  const multiply = (out) => {
    for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
    return out;
  };
  const rows = pairedRows(ops, operands);
  for (const [label, takeStep] of [
    ["momentum step (8 ops)", momentumStep],
    ["fused momentum step (4 ops)", fusedMomentumStep],
  ]) {
    for (const [name, backend] of backends) {
      const step = createdOn(backend, operands);
      let state = { w: step.w, v: step.v };
      rows.push({
        label: `${label}, mean of ${STEPS_PER_SAMPLE}`,
        name,
        run: () => {
          state = takeStep(state, step);
        },
        calls: STEPS_PER_SAMPLE,
      });
    }
  }
  const peers = [
    {
      label: "peer: bare loop a·b → fresh array",
      run: () => multiply(new Float32Array(n)),
      calls: 1,
    },
    { label: "peer: bare loop a·b → reused array", run: () => multiply(reused), calls: 1 },
  ];
  const sync = await medianMs([...rows, ...peers], false);
  const yielding = await medianMs([...rows, ...peers], true);
  printPairs("op (float32)", rows, sync, yielding);
  console.log("");
  peers.forEach((peer, index) => {
    const at = rows.length + index;
    console.log(`${peer.label}: sync ${format(sync[at])} ms, yielding ${format(yielding[at])} ms`);
  });

  const sizes = [64, 128, 256, 1024, 4096, 16384];
  const sweep = sizes.flatMap((size) =>
    pairedRows(
      [
        [`mul [${size}]·[${size}]`, ({ x, y }) => mul(x, y)],
        [`mul [${size}]·scalar`, ({ x, rho }) => mul(x, rho)],
      ],
      () => {
        const [kx, ky] = split(key(size), 2);
        const range = { min: -1, max: 1 };
        return { x: uniform(kx, [size], range), y: uniform(ky, [size], range), rho: scalar(0.9) };
      },
    ),
  );
  console.log("");
  printPairs("size sweep (float32)", sweep, await medianMs(sweep, false));
  console.log(
    "\nMedians over samples of one call (the momentum step: of 20 consecutive steps, so that",
  );
  console.log("the collections they provoke count). Float32 inputs uniform in [-1, 1].");
}

await main();
