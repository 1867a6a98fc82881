import { existsSync, readFileSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeConfigFile } from "@puregrad/cifar";
import * as E from "fp-ts/lib/Either.js";
import { beforeAll, describe, expect, it } from "vitest";
import { jsonLines, runCli, startCli, TINY_RUN, temporaryDirectory } from "./helpers";

let cwd: string;
beforeAll(async () => {
  cwd = await temporaryDirectory();
});

const tinyExperiment = {
  kind: "experiment",
  title: "tiny",
  runs: [
    { name: "eta 0.02", config: { ...TINY_RUN, optimizer: { type: "sgd", learningRate: 0.02 } } },
    { name: "eta 0.001", config: { ...TINY_RUN, lambda: 0.1 } },
  ],
  gradientChecks: [{ name: "linear, λ=0.1", lambda: 0.1 }],
};

async function writeConfig(name: string, config: unknown): Promise<string> {
  const path = join(cwd, name);
  await writeFile(path, JSON.stringify(config));
  return path;
}

describe("experiment --list and --export-config", () => {
  it("lists every preset, one JSON object each under --json", async () => {
    const text = await runCli(["experiment", "--list"], cwd);
    expect(text.code).toBe(0);
    for (const name of ["a1", "a1-bonus", "a2-coarse", "a3-lr-sensitivity"])
      expect(text.stdout).toMatch(new RegExp(`^${name} `, "m"));
    const json = await runCli(["--json", "experiment", "--list"], cwd);
    const presets = jsonLines(json.stdout);
    expect(presets.every((preset) => preset.type === "preset")).toBe(true);
    expect(presets.find((preset) => preset.name === "a2-coarse")).toMatchObject({ kind: "search" });
  });

  it("exports a preset as a config file that decodes, and never overwrites one", async () => {
    const { code, stdout } = await runCli(["experiment", "a1", "--export-config", "a1.json"], cwd);
    expect(code).toBe(0);
    expect(stdout).toContain("puregrad train --config a1.json");
    const decoded = decodeConfigFile(JSON.parse(readFileSync(join(cwd, "a1.json"), "utf8")));
    expect(E.isRight(decoded) && decoded.right.kind).toBe("experiment");
    if (E.isRight(decoded) && decoded.right.kind === "experiment")
      expect(decoded.right.config.runs.map((run) => run.config.optimizer.learningRate)).toEqual([
        0.1, 0.001, 0.001, 0.001,
      ]);
    const again = await runCli(["experiment", "a1", "--export-config", "a1.json"], cwd);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/a1\.json already exists/);
  });

  it("rejects an unknown preset with the list of names (exit 2)", async () => {
    const { code, stderr } = await runCli(["experiment", "a4"], cwd);
    expect(code).toBe(2);
    expect(stderr).toMatch(/no preset named "a4"; the presets are a1, a1-bonus/);
  });
});

describe("running", () => {
  it("runs preset a1 for one epoch on synthetic data and writes its report", async () => {
    const out = join(cwd, "a1-run");
    const { code, stdout, stderr } = await runCli(
      ["--data", "synthetic", "--out", out, "experiment", "a1", "--epochs", "1"],
      cwd,
    );
    expect(code, stderr).toBe(0);
    expect(stdout.trim()).toBe(`Report: ${join(out, "report.md")}`);
    expect(stderr).toContain("⚠ SYNTHETIC DATA");
    expect(stderr).toMatch(/Backend: cpu \(cpu: requested/);
    // The CPU kernels' choice is said too: this machine loads the WebAssembly SIMD kernels.
    expect(stderr).toMatch(
      /matmul: WebAssembly SIMD, up to \d+ thread\(s\); elementwise: WebAssembly SIMD/,
    );
    expect(stderr).toMatch(/run 4\/4 λ=1, η=0\.001: completed/);
    const results = JSON.parse(await readFile(join(out, "results.json"), "utf8"));
    expect(results.status).toBe("completed");
    expect(results.runs).toHaveLength(4);
    expect(results.runs.every((run: { epochs: unknown[] }) => run.epochs.length === 1)).toBe(true);
    const report = await readFile(join(out, "report.md"), "utf8");
    expect(report).toContain("SYNTHETIC");
    expect(existsSync(join(out, "runs", "01-lambda-0-eta-0.1", "params.safetensors"))).toBe(true);
  });

  it("trains a config with --json events and rebuilds its report with `report`", async () => {
    const config = await writeConfig("tiny.json", tinyExperiment);
    const out = join(cwd, "tiny");
    const { code, stdout, stderr } = await runCli(
      ["--json", "--out", out, "train", "--config", config],
      cwd,
    );
    expect(code, stderr).toBe(0);
    const events = jsonLines(stdout);
    const types = events.map((event) => event.type);
    expect(types[0]).toBe("data");
    expect(types).toContain("backend");
    expect(types.filter((type) => type === "epoch")).toHaveLength(4);
    expect(events.find((event) => event.type === "gradcheck-finished")).toMatchObject({
      pass: true,
    });
    expect(events.at(-1)).toEqual({
      type: "report",
      status: "completed",
      outDir: out,
      reportPath: join(out, "report.md"),
    });
    const files = await readdir(join(out, "runs", "02-eta-0.001"));
    expect(files).toEqual(
      expect.arrayContaining([
        "metrics.csv",
        "metrics.jsonl",
        "params.safetensors",
        "loss.svg",
        "loss.png",
      ]),
    );

    const original = await readFile(join(out, "report.md"), "utf8");
    await rm(join(out, "report.md"));
    await rm(join(out, "runs", "02-eta-0.001", "loss.svg"));
    const rebuilt = await runCli(["report", out], cwd);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout.trim()).toBe(`Report: ${join(out, "report.md")}`);
    expect(await readFile(join(out, "report.md"), "utf8")).toBe(original);
    expect(existsSync(join(out, "runs", "02-eta-0.001", "loss.svg"))).toBe(true);
  });

  it("rejects a bad config with every bad field's path (exit 2) and writes nothing", async () => {
    const config = await writeConfig("bad.json", {
      kind: "experiment",
      runs: [
        {
          name: "a",
          config: { epochs: 0, optimizer: { type: "sgd", learningRate: -1 }, data: "synthetic" },
        },
        { name: "b", config: { batchSize: 10, momentum: 0.9 } },
      ],
    });
    const out = join(cwd, "bad-out");
    const { code, stdout, stderr } = await runCli(["--out", out, "train", "--config", config], cwd);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(`config ${config} is invalid; nothing was run or written`);
    expect(stderr).toMatch(/runs\[0\]\.config\.epochs: must be >= 1, got 0/);
    expect(stderr).toMatch(/runs\[0\]\.config\.optimizer\.learningRate: must be > 0, got -1/);
    expect(stderr).toMatch(/runs\[1\]\.config\.momentum: unknown key/);
    expect(existsSync(out)).toBe(false);
  });

  it("--data real without the dataset fails (exit 1) saying what to do, and writes nothing", async () => {
    const config = await writeConfig("real.json", { ...TINY_RUN, data: "auto" });
    const out = join(cwd, "real-out");
    const { code, stderr } = await runCli(
      ["--data", "real", "--out", out, "train", "--config", config],
      cwd,
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(/CIFAR-10 not found .*puregrad data download/);
    expect(stderr).toContain("--data synthetic");
    expect(existsSync(out)).toBe(false);
  });

  it("stops on Ctrl-C (SIGINT) with exit 130, leaving a consistent partial report", async () => {
    const config = await writeConfig("long.json", { ...TINY_RUN, epochs: 500 });
    const out = join(cwd, "interrupted");
    const cli = startCli(["--json", "--out", out, "train", "--config", config], cwd);
    await cli.waitFor(/"type":"epoch"/);
    cli.child.kill("SIGINT");
    const { code, stdout, stderr } = await cli.done;
    expect(code).toBe(130);
    expect(stderr).toMatch(/Ctrl-C: stopping after the current step/);
    const results = JSON.parse(await readFile(join(out, "results.json"), "utf8"));
    expect(results.status).toBe("aborted");
    const [run] = results.runs;
    expect(run.status).toBe("aborted");
    expect(run.epochs.length).toBeGreaterThanOrEqual(1);
    expect(run.epochs.length).toBeLessThan(500);
    const logged = (await readFile(join(out, "runs", "01-run", "metrics.jsonl"), "utf8")).split(
      "\n",
    );
    expect(logged.pop()).toBe(""); // ends with a newline: no torn line
    expect(logged.map((line) => JSON.parse(line).epoch)).toEqual(
      run.epochs.map((epoch: { epoch: number }) => epoch.epoch),
    );
    expect(existsSync(join(out, "report.md"))).toBe(true);
    expect(jsonLines(stdout).at(-1)).toMatchObject({ type: "report", status: "aborted" });
  });
});
