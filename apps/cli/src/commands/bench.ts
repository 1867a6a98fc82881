/** `puregrad bench`: the tensor package's benchmark, or a built-in timing measured here and now. */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as pg from "@puregrad/autograd";
import { prepareSplit, syntheticCifar10 } from "@puregrad/cifar";
import { createTrainer, fit, mlp, sgd } from "@puregrad/nn";
import { useBackend } from "../backend.js";
import type { CommandContext } from "../context.js";
import { runError } from "../errors.js";

/** Options of {@link benchCommand}. */
export interface BenchOptions {
  /** Run the built-in timing even when the tensor package's benchmark is there. */
  readonly builtin: boolean;
}

/**
 * Runs the tensor package's `bench` script (present in a source checkout) with its output on
 * stdout; otherwise, or with `--builtin`, times a matmul and a training epoch on the selected
 * backend. Every number printed is measured in this run.
 * @throws CliError (exit 1) when the package's benchmark fails
 */
export async function benchCommand(context: CommandContext, options: BenchOptions): Promise<void> {
  const packageBench = options.builtin ? undefined : await tensorBenchScript();
  if (packageBench !== undefined && !context.output.json) {
    context.output.info(`Running the tensor package's benchmark: ${packageBench.script}`);
    const code = await runScript(packageBench.script, packageBench.dir, context.signal);
    if (context.signal.aborted) return;
    if (code !== 0) throw runError(`the tensor package's benchmark exited with code ${code}.`);
    return;
  }
  if (packageBench !== undefined)
    context.output.info("--json: running the built-in timing (the package benchmark prints text).");
  await builtinBench(context);
}

/** The `bench` script of the installed `@puregrad/tensor`, when it ships one. */
async function tensorBenchScript(): Promise<{ dir: string; script: string } | undefined> {
  // The entry is <package>/dist/index.{js,cjs}.
  const entry = createRequire(import.meta.url).resolve("@puregrad/tensor");
  const dir = dirname(dirname(entry));
  try {
    const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as {
      scripts?: Record<string, string>;
    };
    const script = manifest.scripts?.bench;
    if (script === undefined) return undefined;
    // The script names files of a source checkout; a published package does not have them.
    const file = /\S+\.m?js\b/.exec(script)?.[0];
    if (file !== undefined) await readFile(join(dir, file));
    return { dir, script };
  } catch {
    return undefined;
  }
}

function runScript(script: string, cwd: string, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(script, { cwd, shell: true, stdio: ["ignore", "inherit", "inherit"] });
    const stop = () => child.kill("SIGINT");
    signal.addEventListener("abort", stop, { once: true });
    child.on("error", reject);
    child.on("exit", (code, killedBy) => {
      signal.removeEventListener("abort", stop);
      resolve(code ?? (killedBy === null ? 1 : 128 + 2));
    });
  });
}

/** Median of `repetitions` timings of `run` (milliseconds) after two warm-up calls. */
function medianMilliseconds(run: () => void, repetitions: number): number {
  run();
  run();
  const times: number[] = [];
  for (let index = 0; index < repetitions; index++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * Times (100×3072)·(3072×50), the first layer of the course's MLP on a batch, and one epoch of
 * that MLP (3072 → 50 → 10, batch 100, SGD) on 2000 synthetic images, on the selected backend.
 */
async function builtinBench(context: CommandContext): Promise<void> {
  const { output } = context;
  const { backend } = await useBackend(context.options.backend ?? "cpu", output);
  const [keyA, keyB] = pg.split(pg.key(context.options.seed ?? 0), 2);
  const a = pg.normal(keyA!, [100, 3072]);
  const b = pg.normal(keyB!, [3072, 50]);
  // Reading one entry makes a deferred (GPU) backend finish the product before the clock stops.
  const matmulMs = medianMilliseconds(() => void pg.matmul(a, b).toTypedArray(), 15);
  const gflops = (2 * 100 * 3072 * 50) / (matmulMs * 1e6);
  output.result(
    "bench-matmul",
    { backend: backend.name, shape: "(100x3072)·(3072x50)", medianMs: matmulMs, gflops },
    `matmul (100×3072)·(3072×50) float32 on ${backend.name}: median ${matmulMs.toFixed(2)} ms, ${gflops.toFixed(2)} GFLOP/s`,
  );

  const images = 2000;
  const data = prepareSplit(
    syntheticCifar10({ seed: 0, trainSize: images, validationSize: 10, testSize: 10 }),
  );
  const trainer = createTrainer({
    model: mlp({ inputSize: 3072, hiddenSizes: [50], outputSize: 10 }),
    optimizer: sgd(0.01),
  });
  const train = { inputs: data.train.x, labels: data.train.y };
  const start = performance.now();
  const result = await fit(trainer, trainer.init(pg.key(0)), {
    train,
    epochs: 1,
    batchSize: 100,
    signal: context.signal,
  });
  const epochMs = performance.now() - start;
  if (result.status === "aborted") return;
  output.result(
    "bench-epoch",
    {
      backend: backend.name,
      images,
      batchSize: 100,
      epochMs,
      imagesPerSecond: images / (epochMs / 1000),
    },
    `one epoch, MLP 3072→50→10, ${images} synthetic images, batch 100, on ${backend.name}: ${(epochMs / 1000).toFixed(2)} s (${Math.round(images / (epochMs / 1000))} images/s, incl. the epoch's evaluation pass)`,
  );
}
