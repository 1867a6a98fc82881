import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatDuration,
  formatProgress,
  Output,
  type OutputStream,
} from "../src/output";

class Capture implements OutputStream {
  text = "";
  constructor(
    readonly isTTY = false,
    readonly columns = 200,
  ) {}
  write(text: string) {
    this.text += text;
    return true;
  }
}

function setup(options: { json?: boolean; quiet?: boolean; tty?: boolean } = {}) {
  const stdout = new Capture();
  const stderr = new Capture(options.tty ?? false);
  let clock = 0;
  const output = new Output({
    json: options.json ?? false,
    quiet: options.quiet ?? false,
    stdout,
    stderr,
    plainProgressIntervalMs: 1000,
    now: () => clock,
  });
  return { output, stdout, stderr, advance: (ms: number) => (clock += ms) };
}

describe("formatting", () => {
  it.each([
    [0, "00:00"],
    [59_400, "00:59"],
    [61_000, "01:01"],
    [3_600_000, "1:00:00"],
    [3_725_000, "1:02:05"],
  ])("formatDuration(%i) = %s", (ms, text) => expect(formatDuration(ms)).toBe(text));

  it.each([
    [999, "999 B"],
    [1500, "1.5 kB"],
    [170_498_071, "170.5 MB"],
  ])("formatBytes(%i) = %s", (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it("projects the ETA from the average rate so far", () => {
    // 10 of 40 epochs in 20 s: 30 remain at 2 s each.
    const line = formatProgress(
      "run",
      { completed: 10, total: 40, label: "epoch 10/40" },
      20_000,
      false,
    );
    expect(line).toBe("run  25% epoch 10/40 · 00:20 elapsed · ETA 01:00");
  });

  it("draws a bar on a terminal and omits percent and ETA when the total is unknown", () => {
    expect(formatProgress("x", { completed: 1, total: 2 }, 0, true)).toContain(
      `[${"█".repeat(12)}${"░".repeat(12)}]`,
    );
    expect(
      formatProgress("download", { completed: 5, total: null, label: "5 B" }, 1000, true),
    ).toBe("download 5 B · 00:01 elapsed");
  });
});

describe("Output", () => {
  it("puts results on stdout and messages on stderr", () => {
    const { output, stdout, stderr } = setup();
    output.result("report", { path: "r.md" }, "Report: r.md");
    output.info("hello");
    output.event("epoch", { epoch: 1 });
    expect(stdout.text).toBe("Report: r.md\n");
    expect(stderr.text).toBe("hello\n");
  });

  it("under --json prints one JSON object per line on stdout, events included", () => {
    const { output, stdout } = setup({ json: true });
    output.result("report", { path: "r.md" }, "Report: r.md");
    output.event("epoch", { epoch: 1, loss: Number.NaN });
    expect(
      stdout.text
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { type: "report", path: "r.md" },
      { type: "epoch", epoch: 1, loss: null },
    ]);
  });

  it("under --quiet drops info and progress but keeps warnings and results", () => {
    const { output, stdout, stderr } = setup({ quiet: true });
    output.info("chatter");
    const progress = output.progress("run");
    progress.update({ completed: 1, total: 2 });
    progress.finish("done");
    output.warn("synthetic data");
    output.result("x", {}, "result");
    expect(stderr.text).toBe("synthetic data\n");
    expect(stdout.text).toBe("result\n");
  });

  it("off a terminal prints plain progress lines at most once per interval, and the last state", () => {
    const { output, stderr, advance } = setup();
    const progress = output.progress("run");
    progress.update({ completed: 1, total: 10 }); // printed: first
    advance(400);
    progress.update({ completed: 2, total: 10 }); // too soon
    advance(700);
    progress.update({ completed: 3, total: 10 }); // printed: 1100 ms after the first
    advance(100);
    progress.update({ completed: 4, total: 10 }); // too soon, but printed by finish
    progress.finish("finished");
    const lines = stderr.text.trim().split("\n");
    expect(lines.map((line) => line.match(/^run +(\d+)%/)?.[1] ?? line)).toEqual([
      "10",
      "30",
      "40",
      "finished",
    ]);
    expect(stderr.text).not.toContain("\r");
  });

  it("on a terminal redraws one line and clears it before other messages", () => {
    const { output, stderr, advance } = setup({ tty: true });
    const progress = output.progress("run");
    progress.update({ completed: 1, total: 4 });
    advance(200);
    output.info("a message");
    progress.finish("done");
    const clear = "\r\x1b[2K";
    expect(stderr.text.startsWith(`${clear}run [`)).toBe(true);
    // The message goes on a cleared line, then the progress line comes back below it.
    expect(stderr.text).toContain(`${clear}a message\n${clear}run [`);
    expect(stderr.text.endsWith(`${clear}done\n`)).toBe(true);
  });
});
