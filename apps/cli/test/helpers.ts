/** Spawning the built `puregrad` binary the way a user does, in a temporary folder. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

/** The built executable (tests run after `build`). */
export const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));

/** The repository root, for the examples folder. */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** What a finished CLI process did. */
export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * An environment where no real CIFAR-10 can be found (no CIFAR10_DIR, an empty cache), so a test
 * never depends on the machine's data and never downloads.
 */
export function isolatedEnv(cacheHome: string): NodeJS.ProcessEnv {
  const { CIFAR10_DIR: _ignored, ...rest } = process.env;
  return { ...rest, XDG_CACHE_HOME: cacheHome, NO_COLOR: "1" };
}

/** A started CLI process and its eventual result. */
export interface StartedCli {
  readonly child: ChildProcess;
  readonly done: Promise<CliRun>;
  /** Resolves once stderr (or stdout) has contained `pattern`. */
  waitFor(pattern: RegExp): Promise<void>;
}

/** Starts `node dist/main.js ...args` in `cwd`. */
export function startCli(args: readonly string[], cwd: string): StartedCli {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd,
    env: isolatedEnv(join(cwd, ".cache")),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(stderr) || waiter.pattern.test(stdout)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    check();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    check();
  });
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ pattern, resolve });
        check();
        void done.then(() =>
          reject(new Error(`the CLI exited before printing ${pattern}:\n${stderr}\n${stdout}`)),
        );
      }),
  };
}

/** Runs `node dist/main.js ...args` in `cwd` to the end. */
export function runCli(args: readonly string[], cwd: string): Promise<CliRun> {
  return startCli(args, cwd).done;
}

/** A fresh temporary folder, removed after the test file. */
export async function temporaryDirectory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "puregrad-cli-"));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The JSON lines of a `--json` run's stdout. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Training settings small enough for tests: synthetic data of a few hundred images. */
export const TINY_RUN = {
  data: "synthetic",
  epochs: 2,
  synthetic: { train: 200, validation: 50, test: 50 },
} as const;
