import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { jsonLines, runCli, startCli, TINY_RUN, temporaryDirectory } from "./helpers";

let cwd: string;
let config: string;

const TRIALS = 6;

beforeAll(async () => {
  cwd = await temporaryDirectory();
  config = join(cwd, "search.json");
  await writeFile(
    config,
    JSON.stringify({
      kind: "search",
      title: "tiny search",
      trials: TRIALS,
      base: { ...TINY_RUN, epochs: 3 },
      learningRate: { min: 0.001, max: 0.05 },
      lambda: { min: 1e-5, max: 0.01 },
    }),
  );
});

/** The trial indices of a search folder's log; every line must be whole JSON. */
async function loggedTrials(dir: string): Promise<number[]> {
  const lines = (await readFile(join(dir, "trials.jsonl"), "utf8")).split("\n");
  expect(lines.pop()).toBe("");
  return lines.map((line) => (JSON.parse(line) as { trial: number }).trial);
}

const startedTrials = (stdout: string): number[] =>
  jsonLines(stdout)
    .filter((event) => event.type === "trial-started")
    .map((event) => event.trial as number);

describe("search", () => {
  it("--shard i/n runs disjoint trials that together cover all, and merge joins them", async () => {
    const shards = await Promise.all(
      [0, 1, 2].map((index) =>
        runCli(
          [
            "--json",
            "--out",
            join(cwd, `shard${index}`),
            "search",
            "--config",
            config,
            "--shard",
            `${index}/3`,
          ],
          cwd,
        ),
      ),
    );
    const trialsByShard = await Promise.all(
      shards.map(async (shard, index) => {
        expect(shard.code, shard.stderr).toBe(0);
        return loggedTrials(join(cwd, `shard${index}`));
      }),
    );
    expect(trialsByShard).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);

    const merged = join(cwd, "merged");
    const merge = await runCli(
      [
        "--json",
        "--out",
        merged,
        "search",
        "merge",
        ...[0, 1, 2].map((index) => join(cwd, `shard${index}`)),
      ],
      cwd,
    );
    expect(merge.code, merge.stderr).toBe(0);
    expect((await loggedTrials(merged)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(jsonLines(merge.stdout).at(-1)).toMatchObject({
      type: "search",
      status: "merged",
      trials: TRIALS,
      missing: [],
      reportPath: join(merged, "report.md"),
    });
  });

  it("merge says which trials no shard ran", async () => {
    const partial = join(cwd, "partial");
    const merge = await runCli(
      ["--out", partial, "search", "merge", join(cwd, "shard0"), join(cwd, "shard2")],
      cwd,
    );
    expect(merge.code, merge.stderr).toBe(0);
    expect(merge.stderr).toMatch(/no shard ran trials 1, 4/);
  });

  it("--resume after a killed search (SIGKILL) re-runs at most the interrupted trial", async () => {
    const out = join(cwd, "killed");
    const first = startCli(["--json", "--out", out, "search", "--config", config], cwd);
    await first.waitFor(/("type":"trial-finished"[^\n]*\n[\s\S]*){2}/);
    first.child.kill("SIGKILL");
    const killed = await first.done;
    expect(killed.signal).toBe("SIGKILL");
    const before = await loggedTrials(out);
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(before.length).toBeLessThan(TRIALS);

    // Without --resume the folder is protected.
    const refused = await runCli(["--out", out, "search", "--config", config], cwd);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already holds \d+ finished trials; resume the search/);

    const resumed = await runCli(
      ["--json", "--out", out, "search", "--config", config, "--resume"],
      cwd,
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    const started = jsonLines(resumed.stdout).find((event) => event.type === "search-started");
    expect(started?.finished).toEqual(before);
    const rerun = startedTrials(killed.stdout).filter((trial) =>
      startedTrials(resumed.stdout).includes(trial),
    );
    expect(rerun.length).toBeLessThanOrEqual(1);
    expect(rerun.every((trial) => !before.includes(trial))).toBe(true);
    expect((await loggedTrials(out)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
