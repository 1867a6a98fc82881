import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, temporaryDirectory } from "./helpers";

let cwd: string;
beforeAll(async () => {
  cwd = await temporaryDirectory();
});

const COMMANDS: readonly string[] = [
  "experiment",
  "train",
  "search",
  "search merge",
  "gradcheck",
  "data",
  "data download",
  "data verify",
  "data info",
  "report",
  "bench",
  "demo",
];

describe("help and version", () => {
  it("--help lists every command, the global flags and the exit codes", async () => {
    const { code, stdout, stderr } = await runCli(["--help"], cwd);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    for (const command of [
      "experiment",
      "train",
      "search",
      "gradcheck",
      "data",
      "report",
      "bench",
      "demo",
    ])
      expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    for (const flag of [
      "--data-dir",
      "--data <mode>",
      "--out",
      "--seed",
      "--backend",
      "--quiet",
      "--json",
      "--verbose",
      "--loss-module",
    ])
      expect(stdout).toContain(flag);
    expect(stdout).toContain("130 interrupted");
  });

  it.each(COMMANDS)("%s --help shows its usage, the global flags and examples", async (command) => {
    const words = command.split(" ");
    const { code, stdout } = await runCli([...words, "--help"], cwd);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: puregrad ${words.join(" ")}`);
    expect(stdout).toContain("Global Options:");
    expect(stdout).toMatch(/Examples:\n {2}\$ puregrad /);
  });

  it("--version prints the package version", async () => {
    const { version } = JSON.parse(
      readFileSync(new URL("../package.json", import.meta.url), "utf8"),
    );
    const { code, stdout } = await runCli(["--version"], cwd);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(version);
  });
});

describe("usage errors exit with 2 and say what is wrong on stderr", () => {
  it.each<[string[], RegExp]>([
    [["experiment", "--bogus"], /unknown option '--bogus'/],
    [["--data", "maybe", "data", "info"], /argument 'maybe' is invalid/],
    [["--seed", "1.5", "data", "info"], /--seed must be an integer/],
    [["search", "--config", "x.json", "--shard", "2/2"], /--shard must be i\/n with 0 <= i < n/],
    [["search"], /search needs --config FILE/],
    [["train"], /required option '-c, --config <file>' not specified/],
    [["train", "--config", "missing.json"], /cannot read config missing\.json/],
    [["experiment", "--epochs", "0", "--list"], /--epochs must be a positive integer/],
    [["frobnicate"], /unknown command 'frobnicate'/],
  ])("%j", async (args, message) => {
    const { code, stdout, stderr } = await runCli(args, cwd);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe("");
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
  });
});
