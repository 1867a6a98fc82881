// What autograd costs. Outside any trace the differentiable ops must cost what the tensor ops
// cost (peer: @puregrad/tensor, measured in the same run); inside valueAndGrad, one training
// step of a CIFAR-shaped two-layer MLP is compared with its forward pass alone. Runs against
// the built packages: `pnpm bench` (turbo builds first). Prints a markdown table of medians.
import { performance } from "node:perf_hooks";
import * as T from "@puregrad/tensor";
import * as pg from "../dist/index.js";

const MIN_SAMPLES = 7;
const TARGET_SECONDS = 0.5;

/** Median seconds per call of `run`, timing `inner` calls per sample. */
function medianSeconds(run, inner = 1) {
  for (let i = 0; i < 3 * inner; i++) run();
  const samples = [];
  const start = performance.now();
  while (samples.length < MIN_SAMPLES || (performance.now() - start) / 1000 < TARGET_SECONDS) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) run();
    samples.push((performance.now() - t0) / 1000 / inner);
    if (samples.length >= 200) break;
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const format = (seconds) =>
  seconds < 1e-3 ? `${(seconds * 1e6).toFixed(2)} µs` : `${(seconds * 1e3).toFixed(2)} ms`;

const [k1, k2, k3, k4] = T.split(T.key(0), 4);
const small = T.uniform(k1, [4]);
const medium = T.uniform(k2, [100, 100]);
const x = T.normal(k3, [100, 3072]);
const [kw1, kw2] = T.split(k4, 2);
const params = {
  W1: T.normal(kw1, [3072, 50], { std: 1 / Math.sqrt(3072) }),
  b1: T.zeros([50]),
  W2: T.normal(kw2, [50, 10], { std: 1 / Math.sqrt(50) }),
  b2: T.zeros([10]),
};
const labels = T.oneHot(
  Array.from({ length: 100 }, (_, i) => i % 10),
  10,
);
const cost = (p) => {
  const hidden = pg.relu(pg.add(pg.matmul(x, p.W1), p.b1));
  const logits = pg.add(pg.matmul(hidden, p.W2), p.b2);
  const loss = pg.neg(pg.mean(pg.sum(pg.mul(labels, pg.logSoftmax(logits)), { axis: 1 })));
  return pg.add(loss, pg.mul(pg.add(pg.sum(pg.square(p.W1)), pg.sum(pg.square(p.W2))), 1e-3));
};
const step = pg.valueAndGrad(cost);

const rows = [
  ["add, [4] float32 (untraced)", () => pg.add(small, small), () => T.add(small, small), 2000],
  ["exp, [100,100] float32 (untraced)", () => pg.exp(medium), () => T.exp(medium), 20],
  [
    "sum axis 1, [100,100] (untraced)",
    () => pg.sum(medium, { axis: 1 }),
    () => T.sum(medium, { axis: 1 }),
    20,
  ],
  [
    "matmul (100×3072)·(3072×50) (untraced)",
    () => pg.matmul(x, params.W1),
    () => T.matmul(x, params.W1),
    1,
  ],
  ["MLP 3072→50→10, batch 100: valueAndGrad vs forward", () => step(params), () => cost(params), 1],
];

console.log("| case | autograd | peer | ratio |");
console.log("|---|---|---|---|");
for (const [label, ours, peer, inner] of rows) {
  const a = medianSeconds(ours, inner);
  const b = medianSeconds(peer, inner);
  console.log(`| ${label} | ${format(a)} | ${format(b)} | ${(a / b).toFixed(2)}× |`);
}
