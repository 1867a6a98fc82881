import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runCli, TINY_RUN, temporaryDirectory } from "./helpers";

const FOCAL_LOSS = join(REPO_ROOT, "examples", "focal-loss.ts");

let cwd: string;
let config: string;

beforeAll(async () => {
  cwd = await temporaryDirectory();
  config = join(cwd, "run.json");
  await writeFile(
    config,
    JSON.stringify({ ...TINY_RUN, epochs: 1, optimizer: { type: "sgd", learningRate: 0.01 } }),
  );
});

/** The first epoch's training loss of a finished run folder. */
async function firstTrainLoss(out: string): Promise<number> {
  const results = JSON.parse(await readFile(join(out, "results.json"), "utf8"));
  return results.runs[0].epochs[0].trainLoss;
}

describe("--loss-module", () => {
  it("trains with examples/focal-loss.ts, which gives a smaller loss than cross-entropy", async () => {
    const focal = await runCli(
      ["--out", join(cwd, "focal"), "--loss-module", FOCAL_LOSS, "train", "--config", config],
      cwd,
    );
    expect(focal.code, focal.stderr).toBe(0);
    expect(focal.stderr).toContain(`Loss: default export of ${FOCAL_LOSS}`);
    const plain = await runCli(["--out", join(cwd, "plain"), "train", "--config", config], cwd);
    expect(plain.code, plain.stderr).toBe(0);
    const focalLoss = await firstTrainLoss(join(cwd, "focal"));
    const crossEntropy = await firstTrainLoss(join(cwd, "plain"));
    // (1 − p)² ≤ 1 weights every term of the cross-entropy down.
    expect(focalLoss).toBeGreaterThan(0);
    expect(focalLoss).toBeLessThan(crossEntropy);
  });

  it("loads a config's `loss: { module }` relative to the config file", async () => {
    await writeFile(
      join(cwd, "mine.mjs"),
      `export { default as loss } from ${JSON.stringify(FOCAL_LOSS.replace(/\.ts$/, ".ts"))};\n`,
    );
    const withModule = join(cwd, "with-module.json");
    await writeFile(
      withModule,
      JSON.stringify({ ...TINY_RUN, epochs: 1, loss: { module: "./mine.mjs" } }),
    );
    const { code, stderr } = await runCli(
      ["--out", join(cwd, "from-config"), "train", "--config", withModule],
      cwd,
    );
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`Loss: loss export of ${join(cwd, "mine.mjs")}`);
  });

  it.each([
    ["no-function.mjs", "export const gamma = 2;\n", /no loss function found.*"gamma" \(number\)/],
    [
      "not-scalar.ts",
      'import * as pg from "@puregrad/autograd";\nexport default (logits: pg.Tensor) => pg.sum(logits, { axis: 1 });\n',
      /must return a scalar .*shape \[2\]/,
    ],
    ["throws.mjs", "throw new Error('broken on purpose');\n", /failed to load: broken on purpose/],
    ["wrong.py", "", /unsupported file type "\.py"/],
  ])("rejects %s with exit 2 and a clear message", async (file, source, message) => {
    const path = join(cwd, file);
    await writeFile(path, source);
    const { code, stderr } = await runCli(
      ["--out", join(cwd, `out-${file}`), "--loss-module", path, "train", "--config", config],
      cwd,
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it("rejects a missing module", async () => {
    const { code, stderr } = await runCli(
      ["--loss-module", "nowhere.ts", "train", "--config", config],
      cwd,
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/--loss-module nowhere\.ts: file not found/);
  });
});
