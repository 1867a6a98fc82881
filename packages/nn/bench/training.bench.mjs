// Seconds per training epoch of @puregrad/nn's models beside TensorFlow.js (WebAssembly backend,
// written by an expert and with the stock API) and numpy (hand-written backward pass, one BLAS
// thread), all measured in this run on the same data from the same initial weights. Runs
// against the built packages: `pnpm bench` (turbo builds first), or
// `node bench/training.bench.mjs [--only a1,2layer,3layer] [--quick] [--fma]`.
//
// An epoch is one in-order pass of training steps (forward, backward, update) over the samples,
// batch 100, with no evaluation. The table is printed on stdout, progress on stderr; the exit
// code is 1 when a correctness check fails.
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import * as pg from "@puregrad/autograd";
import * as tensor from "@puregrad/tensor";
import { startNumpy } from "./numpy.mjs";
import { initialParameters, puregradRunner, stepBreakdown } from "./puregrad.mjs";
import { median } from "./runner.mjs";
import { startTfjs, tfjsRunner, tfjsTensorCount } from "./tfjs.mjs";

const FEATURES = 3072;
const CLASSES = 10;
const BATCH_SIZE = 100;
const DATA_SEED = 2024;
const MODEL_SEED = 7;
/**
 * Measured windows per case; s/epoch is their median scaled to a whole epoch. Five, because the
 * shared machines' speed drifts by tens of percent within a minute.
 */
const WINDOWS = 5;
/** The separable correctness check: this many rows, labelled by a random linear teacher. */
const CHECK_ROWS = 1000;
const CHECK_EPOCHS = 3;
const FIRST_COST_TOLERANCE = 1e-3;
/** How far a peer's epoch-3 mean cost on the check may lie from puregrad's (same math, same data). */
const CHECK_COST_TOLERANCE = 1e-2;

const common = {
  inputSize: FEATURES,
  outputSize: CLASSES,
  batchNormMomentum: 0.9,
  batchNormEpsilon: 1e-5,
};
const momentum = { type: "momentum", learningRate: 0.01, rho: 0.9 };
// warmUpSteps / windowSteps: full-run protocol, the same for every implementation. The windows
// measure the steady state of a long training run, so the warm-up lasts until the JIT is done:
// puregrad's steps (much JavaScript: tracing, the rule table, the optimizer) run 40% slower over
// their first ~300 steps while V8 compiles and tiers them up (measured: 30-step blocks of the
// 2-layer step fall from 3.3 ms to 2.1–2.3 ms over 1000 steps). For the 45k cases the five
// 90-step windows are together exactly one epoch's batches, in order from the warm-up's end
// (wrapping past the last batch).
const cases = [
  {
    id: "a1",
    title: "A1 linear 3072→10, CE + L2, SGD",
    samples: 10_000,
    warmUpSteps: 300,
    windowSteps: 100,
    spec: {
      ...common,
      hiddenSizes: [],
      batchNorm: false,
      init: { normal: 0.01 },
      optimizer: { type: "sgd", learningRate: 0.001 },
      l2Regularization: 0.1,
    },
  },
  {
    id: "2layer",
    title: "2-layer 3072→50→10 ReLU, CE + L2, momentum",
    samples: 45_000,
    warmUpSteps: 300,
    windowSteps: 90,
    spec: {
      ...common,
      hiddenSizes: [50],
      batchNorm: false,
      init: "xavier",
      optimizer: momentum,
      l2Regularization: 1e-3,
    },
  },
  {
    id: "3layer",
    title: "3-layer 3072→50→30→10 BN + ReLU, CE + L2, momentum",
    samples: 45_000,
    warmUpSteps: 300,
    windowSteps: 90,
    spec: {
      ...common,
      hiddenSizes: [50, 30],
      batchNorm: true,
      init: "he",
      optimizer: momentum,
      l2Regularization: 5e-3,
    },
  },
];
const QUICK = { warmUpSteps: 5, windowSteps: 20 };

const usage = `usage: node bench/training.bench.mjs [--only ${cases.map((c) => c.id).join(",")}] [--quick] [--fma]
  --only   cases to run, comma-separated or repeated (default: all)
  --quick  5 warm-up steps and 20-step windows, on only the rows those steps touch
  --fma    puregrad's matmul with fused multiply-add (setMatmulFma)`;

function parseOptions() {
  const { values } = parseArgs({
    // `pnpm bench -- --only 2layer` passes the "--" through.
    args: process.argv.slice(2).filter((arg) => arg !== "--"),
    options: {
      only: { type: "string", multiple: true },
      quick: { type: "boolean", default: false },
      fma: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const ids = values.only?.flatMap((value) => value.split(",")).filter(Boolean);
  const unknown = ids?.filter((id) => !cases.some((c) => c.id === id)) ?? [];
  if (unknown.length > 0) {
    console.error(`unknown case ${unknown.join(", ")}\n${usage}`);
    process.exit(2);
  }
  const selected = cases
    .filter((c) => ids === undefined || ids.includes(c.id))
    .map((c) => (values.quick ? { ...c, ...QUICK } : c));
  return { selected, quick: values.quick, fma: values.fma };
}

const progress = (message) => process.stderr.write(`${message}\n`);

/** The bench data, generated once with puregrad keys, and its views for each case. */
function generateData(rows) {
  const [inputKey, labelKey, teacherKey] = pg.split(pg.key(DATA_SEED), 3);
  const inputs = pg.normal(inputKey, [rows, FEATURES]);
  // float64 draws so that max·u never rounds up to CLASSES itself.
  const labels = pg.cast(
    pg.uniform(labelKey, [rows], { min: 0, max: CLASSES, dtype: "float64" }),
    "int32",
  );
  const checkInputs = pg.slice(inputs, [0], [CHECK_ROWS]);
  const teacher = pg.normal(teacherKey, [CLASSES, FEATURES]);
  const checkLabels = pg.argmax(pg.matmul(checkInputs, teacher, { transposeB: true }), { axis: 1 });

  const inputsArray = inputs.toTypedArray();
  const cache = new Map();
  const castOnce = (name, make) => {
    if (!cache.has(name)) cache.set(name, make());
    return cache.get(name);
  };
  const view = (name, samples, inputsTensor, labelsTensor) => ({
    name,
    samples,
    batchSize: BATCH_SIZE,
    features: FEATURES,
    inputs: inputsArray,
    labels: labelsTensor.toTypedArray(),
    puregrad: (dtype) => ({
      inputs:
        dtype === "float32"
          ? inputsTensor
          : castOnce(`${name}:${dtype}`, () => pg.cast(inputsTensor, dtype)),
      labels: labelsTensor,
    }),
  });
  const bench = view("bench", rows, inputs, labels);
  const check = view("check", CHECK_ROWS, checkInputs, checkLabels);
  return {
    check,
    forCase: (samples) => ({ ...bench, samples }),
  };
}

const implementations = [
  { name: "puregrad", dtypes: ["float32", "float64"] },
  { name: "TF.js wasm expert", dtypes: ["float32"] },
  { name: "TF.js stock", dtypes: ["float32"] },
  { name: "numpy", dtypes: ["float32", "float64"] },
];

function runnerFactory(numpy) {
  return {
    puregrad: (c, dtype, _params, dataset) => puregradRunner(c.spec, dtype, MODEL_SEED, dataset),
    "TF.js wasm expert": (c, _dtype, params, dataset) =>
      tfjsRunner(c.spec, "expert", params, dataset),
    "TF.js stock": (c, _dtype, params, dataset) => tfjsRunner(c.spec, "stock", params, dataset),
    numpy: numpy && ((c, dtype, params, dataset) => numpy.runner(c.spec, dtype, params, dataset)),
  };
}

/**
 * Trains every implementation on the separable check data for CHECK_EPOCHS epochs, then times
 * them on the bench data: a warm-up, then WINDOWS windows of windowSteps steps, implementations
 * taking turns window by window so that load from others on the machine hits all alike.
 */
async function measureCase(c, dtype, data, create) {
  const params = initialParameters(c.spec, dtype, MODEL_SEED);
  const names = implementations
    .filter((impl) => impl.dtypes.includes(dtype) && create[impl.name])
    .map((impl) => impl.name);
  const results = Object.fromEntries(names.map((name) => [name, {}]));

  const checkBatches = CHECK_ROWS / BATCH_SIZE;
  for (const name of names) {
    progress(`${c.id} ${dtype}: ${name}, separable check`);
    const runner = await create[name](c, dtype, params, data.check);
    const { costs } = await runner.run(0, CHECK_EPOCHS * checkBatches);
    await runner.dispose();
    const epochMean = (epoch) =>
      costs.slice(epoch * checkBatches, (epoch + 1) * checkBatches).reduce((a, b) => a + b) /
      checkBatches;
    results[name].checkCosts = [epochMean(0), epochMean(CHECK_EPOCHS - 1)];
  }

  const dataset = data.forCase(c.samples);
  const runners = {};
  for (const name of names) {
    progress(`${c.id} ${dtype}: ${name}, warm-up`);
    runners[name] = await create[name](c, dtype, params, dataset);
    const { costs } = await runners[name].run(0, c.warmUpSteps);
    results[name].firstCost = costs[0];
    results[name].windows = [];
  }
  // TF.js tensors alive once every runner has warmed up (optimizer slots exist by then); a
  // step that leaks outside its tf.tidy would grow this during the windows.
  const tensorsAfterWarmUp = tfjsTensorCount();
  for (let window = 0; window < WINDOWS; window++) {
    for (const name of names) {
      const start = c.warmUpSteps + window * c.windowSteps;
      const { seconds, costs } = await runners[name].run(start, c.windowSteps);
      progress(
        `${c.id} ${dtype}: ${name}, window ${window + 1}/${WINDOWS}: ${seconds.toFixed(3)} s`,
      );
      results[name].windows.push(seconds);
      results[name].finite = (results[name].finite ?? true) && costs.every(Number.isFinite);
    }
  }
  const tfjsTensorsLeaked = tfjsTensorCount() - tensorsAfterWarmUp;
  for (const name of names) await runners[name].dispose();

  const batchesPerEpoch = Math.ceil(c.samples / BATCH_SIZE);
  for (const result of Object.values(results)) {
    result.secondsPerEpoch = (median(result.windows) * batchesPerEpoch) / c.windowSteps;
  }
  return { results, tfjsTensorsLeaked };
}

/** Correctness lines for one case and dtype; `failed` is set when any check fails. */
function checkLines(c, dtype, { results, tfjsTensorsLeaked }) {
  const lines = [];
  let failed = false;
  const reference = results.puregrad;
  for (const [name, result] of Object.entries(results)) {
    const difference = Math.abs(result.firstCost - reference.firstCost);
    const [first, last] = result.checkCosts;
    const checkDifference = Math.abs(last - reference.checkCosts[1]);
    const agrees = difference <= FIRST_COST_TOLERANCE;
    const learns = last < first && checkDifference <= CHECK_COST_TOLERANCE;
    failed ||= !agrees || !learns || !result.finite;
    const vsPuregrad = (value) => (name === "puregrad" ? "—" : value.toExponential(1));
    lines.push(
      `| ${c.id} ${dtype} | ${name} | ${result.firstCost.toFixed(6)} | ${vsPuregrad(difference)} ${agrees ? "✓" : "✗"} | ${first.toFixed(4)} → ${last.toFixed(4)} (Δ ${vsPuregrad(checkDifference)}) ${learns ? "✓" : "✗"} | ${result.finite ? "✓" : "✗ NaN/∞"} |`,
    );
  }
  if (tfjsTensorsLeaked !== 0) {
    failed = true;
    lines.push(
      `| ${c.id} ${dtype} | TF.js | ${tfjsTensorsLeaked} tensors leaked by the timed steps ✗ | | | |`,
    );
  }
  return { lines, failed };
}

const seconds3 = (seconds) => (seconds >= 10 ? seconds.toFixed(1) : seconds.toPrecision(3));
const milliseconds = (seconds) => `${(seconds * 1e3).toFixed(2)} ms`;

function tableRow(c, dtype, { results }) {
  const ours = results.puregrad.secondsPerEpoch;
  const peer = (name) => {
    const result = results[name];
    if (!result) return "— | —";
    return `${seconds3(result.secondsPerEpoch)} | ${(result.secondsPerEpoch / ours).toFixed(2)}×`;
  };
  const samples = `${c.samples.toLocaleString("en-US")}${c.windowSteps * BATCH_SIZE < c.samples ? " †" : ""}`;
  return `| ${c.title}, ${dtype} | ${samples} | ${seconds3(ours)} | ${peer("TF.js wasm expert")} | ${peer("TF.js stock")} | ${peer("numpy")} |`;
}

/** The backend's name and, where @puregrad/tensor reports it, the threads its matmul uses. */
function describeMatmul() {
  const backend = `puregrad backend "${pg.getBackend().name}"`;
  if (typeof tensor.matmulInfo !== "function") {
    return `${backend}; matmul threads unknown (@puregrad/tensor exports no matmulInfo)`;
  }
  // The first layer's forward product, so that lastCallThreads describes the products that
  // dominate a step rather than whichever small one ran last; a few of them, since whether a
  // worker joins in time depends on the load on the machine.
  const a = tensor.ones([BATCH_SIZE, FEATURES]);
  const b = tensor.ones([50, FEATURES]);
  const joined = Array.from({ length: 5 }, () => {
    tensor.matmul(a, b, { transposeB: true });
    return tensor.matmulInfo().lastCallThreads;
  });
  const info = tensor.matmulInfo();
  return `${backend}; matmul: WebAssembly SIMD kernel ${info.simd ? "loaded" : "not loaded"}${info.fma ? " with fused multiply-add" : ""}, ${info.threads} thread(s) available, threads used by five (${BATCH_SIZE}×${FEATURES})·(${FEATURES}×50) products: ${joined.join(", ")}${info.reason ? ` (${info.reason})` : ""}. TF.js wasm and numpy run on 1 thread.`;
}

async function main() {
  const { selected, quick, fma } = parseOptions();
  tensor.setMatmulFma(fma);
  const tfjsVersion = await startTfjs();
  const numpyStart = await startNumpy();
  const numpy = numpyStart.peer;
  try {
    const rows = Math.max(
      CHECK_ROWS,
      ...selected.map((c) =>
        Math.min(c.samples, (c.warmUpSteps + WINDOWS * c.windowSteps) * BATCH_SIZE),
      ),
    );
    progress(`generating ${rows.toLocaleString("en-US")} × ${FEATURES} inputs`);
    const data = generateData(rows);
    if (numpy) {
      await numpy.load(data.forCase(rows).inputs, FEATURES, {
        bench: data.forCase(rows).labels,
        check: data.check.labels,
      });
    }
    const create = runnerFactory(numpy);

    const tableRows = [];
    const checks = [];
    let failed = false;
    for (const c of selected) {
      for (const dtype of ["float32", "float64"]) {
        const measured = await measureCase(c, dtype, data, create);
        tableRows.push(tableRow(c, dtype, measured));
        const result = checkLines(c, dtype, measured);
        checks.push(...result.lines);
        failed ||= result.failed;
      }
    }
    const twoLayer = selected.find((c) => c.id === "2layer");
    const breakdown =
      twoLayer &&
      stepBreakdown(
        twoLayer.spec,
        "float32",
        MODEL_SEED,
        data.forCase(twoLayer.samples),
        quick ? 10 : 30,
      );

    console.log(
      `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}; ${tfjsVersion}; ${numpy ? `${numpy.version} (OPENBLAS_NUM_THREADS=1)` : `numpy skipped: ${numpyStart.unavailable}`}`,
    );
    console.log(`${describeMatmul()}\n`);
    console.log(
      "| model | samples | puregrad s/epoch | TF.js wasm expert | ratio | TF.js stock | ratio | numpy | ratio |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const row of tableRows) console.log(row);
    const protocol = selected
      .map(
        (c) =>
          `${c.id}: ${c.warmUpSteps} warm-up steps, then ${WINDOWS} windows of ${c.windowSteps} steps`,
      )
      .join("; ");
    console.log(
      `\nSeconds per epoch of batch-${BATCH_SIZE} steps in sample order (forward, backward, update; no evaluation), the median window scaled to ⌈samples / batch⌉ steps. ${protocol}.` +
        " † timed on windows shorter than an epoch and scaled." +
        " ratio = peer s / puregrad s (above 1: puregrad is faster). float64 rows: TF.js's wasm backend has no float64; numpy runs in float64." +
        " TF.js expert: tf.tidy per step, in-place assign updates, dense gradient by tf.customGrad with flag-free matMuls (wasm's transposeA/B paths are ~10× slower); TF.js stock: optimizer.minimize with stock autodiff.",
    );
    if (breakdown) {
      const share = (seconds) =>
        `${milliseconds(seconds)} (${Math.round((100 * seconds) / breakdown.step)}%)`;
      console.log(
        `\nWhere one 2-layer float32 step goes (puregrad, medians of parts timed separately, so they need not add up): trainer.step ${milliseconds(breakdown.step)}; forward + backward (valueAndGrad of trainer.cost) ${share(breakdown.forwardBackward)}; optimizer update (momentum update + applyUpdates) ${share(breakdown.update)}`,
      );
      const { total, matmul, weightSized, small, outside } = breakdown.kernels;
      const kind = ({ seconds, calls }, what) =>
        `${what} ${milliseconds(seconds)} (${Math.round((100 * seconds) / total.seconds)}%)${calls === undefined ? "" : ` in ${calls} call${calls === 1 ? "" : "s"}`}`;
      console.log(
        `By kernel (every backend call timed over further steps; medians, shares of the median step, ${milliseconds(total.seconds)}): ${kind(matmul, "matmul")}; ${kind(weightSized, "weight-sized elementwise and reductions (≥ 100,000 elements)")}; ${kind(small, "smaller kernels")}; ${kind(outside, "outside the kernels (autograd, optimizer bookkeeping, JavaScript)")}`,
      );
      const threads = breakdown.largeProductThreads;
      const shared = threads.filter((count) => count > 1).length;
      console.log(
        `The step's large products (≥ 2^20 flops) ran on more than one thread in ${shared} of ${threads.length} (the worker misses a product when the OS has not scheduled it in time). Matmul operands per step found in the kernel's memory instead of copied in: ${breakdown.reusedOperandsPerStep}.`,
      );
    }
    console.log(
      `\nCorrectness: cost of the first step from identical weights (Δ = absolute difference from puregrad, ≤ ${FIRST_COST_TOLERANCE}), and mean cost of epoch 1 → epoch ${CHECK_EPOCHS} on ${CHECK_ROWS} rows labelled by a linear teacher (must decrease, and end within ${CHECK_COST_TOLERANCE} of puregrad's)\n`,
    );
    console.log(
      "| case | implementation | first-step cost | Δ vs puregrad | separable check (Δ vs puregrad) | timed costs finite |",
    );
    console.log("|---|---|---:|---:|---:|---|");
    for (const line of checks) console.log(line);
    if (failed) {
      console.log("\nA correctness check FAILED.");
      process.exitCode = 1;
    }
  } finally {
    numpy?.close();
  }
}

await main();
