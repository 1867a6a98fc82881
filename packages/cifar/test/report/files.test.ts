import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { rename } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as E from "fp-ts/lib/Either.js";
import * as t from "io-ts";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  appendLine,
  parseJsonLines,
  readJsonLines,
  writeFileAtomic,
} from "../../src/report/files.js";

// Only rename is replaced (by a pass-through spy) so a test can make it fail once, which is
// exactly a crash between writing the temporary file and publishing it.
vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  return { ...actual, rename: vi.fn(actual.rename) };
});

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "puregrad-files-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe("writeFileAtomic", () => {
  it("writes strings and bytes, replaces an existing file, and leaves no temporary file", async () => {
    const path = join(directory, "report.md");
    expect(await writeFileAtomic(path, "first\n")()).toEqual(E.right(undefined));
    expect(readFileSync(path, "utf8")).toBe("first\n");
    expect(await writeFileAtomic(path, new Uint8Array([0, 255, 7]))()).toEqual(E.right(undefined));
    expect([...readFileSync(path)]).toEqual([0, 255, 7]);
    expect(readdirSync(directory)).toEqual(["report.md"]);
  });

  it("keeps the old content and removes the temporary file when publishing fails", async () => {
    const path = join(directory, "metrics.csv");
    writeFileSync(path, "old content");
    vi.mocked(rename).mockRejectedValueOnce(
      Object.assign(new Error("EIO: simulated crash"), { code: "EIO" }),
    );
    const result = await writeFileAtomic(path, "new content that never lands")();
    expect(result).toEqual(
      E.left({
        _tag: "WriteFileError",
        path,
        message: `cannot write ${path}: EIO: simulated crash`,
      }),
    );
    expect(readFileSync(path, "utf8")).toBe("old content");
    expect(readdirSync(directory)).toEqual(["metrics.csv"]);
  });

  it("fails cleanly when the target is a directory or the folder is missing", async () => {
    mkdirSync(join(directory, "taken"));
    const onDirectory = await writeFileAtomic(join(directory, "taken"), "x")();
    expect(E.isLeft(onDirectory) && onDirectory.left.message).toMatch(/EISDIR|EEXIST|ENOTEMPTY/);
    expect(readdirSync(directory)).toEqual(["taken"]);
    const missing = await writeFileAtomic(join(directory, "no", "such", "file"), "x")();
    expect(E.isLeft(missing) && missing.left.message).toMatch(/ENOENT/);
  });
});

describe("appendLine and readJsonLines", () => {
  const Trial = t.type({ trial: t.number });

  it("appends complete lines that read back in order", async () => {
    const path = join(directory, "trials.jsonl");
    for (const trial of [1, 2, 3]) await appendLine(path, JSON.stringify({ trial }))();
    expect(readFileSync(path, "utf8")).toBe('{"trial":1}\n{"trial":2}\n{"trial":3}\n');
    expect(await readJsonLines(path, Trial)()).toEqual(
      E.right({ values: [{ trial: 1 }, { trial: 2 }, { trial: 3 }], ignoredTrailingBytes: 0 }),
    );
  });

  it("ignores a partial trailing line and truncates it before the next append", async () => {
    const path = join(directory, "trials.jsonl");
    writeFileSync(path, '{"trial":1}\n{"tri');
    expect(await readJsonLines(path, Trial)()).toEqual(
      E.right({ values: [{ trial: 1 }], ignoredTrailingBytes: 5 }),
    );
    await appendLine(path, '{"trial":2}')();
    expect(readFileSync(path, "utf8")).toBe('{"trial":1}\n{"trial":2}\n');
  });

  it("finds the last newline across read chunks and handles a file that is only a fragment", async () => {
    const path = join(directory, "long.jsonl");
    writeFileSync(path, `"kept"\n"${"x".repeat(10_000)}`);
    await appendLine(path, '"next"')();
    expect(readFileSync(path, "utf8")).toBe('"kept"\n"next"\n');
    writeFileSync(path, '{"only a fragm');
    await appendLine(path, '"first"')();
    expect(readFileSync(path, "utf8")).toBe('"first"\n');
  });

  it("rejects a line containing a newline, which would break the one-record-per-line rule", () => {
    expect(() => appendLine(join(directory, "x.jsonl"), "a\nb")).toThrow(RangeError);
  });

  it("reports the first bad complete line with its number, and a missing file by code", async () => {
    expect(parseJsonLines('{"trial":1}\n{oops}\n', Trial, "log.jsonl")).toMatchObject(
      E.left({ _tag: "JsonLinesParseError", lineNumber: 2 }),
    );
    const wrongShape = parseJsonLines('{"trial":1}\n\n{"trial":"two"}\n', Trial, "log.jsonl");
    expect(wrongShape).toMatchObject(E.left({ lineNumber: 3 }));
    expect(E.isLeft(wrongShape) && wrongShape.left.message).toContain("trial");
    expect(await readJsonLines(join(directory, "absent.jsonl"), Trial)()).toMatchObject(
      E.left({ _tag: "ReadFileError", code: "ENOENT" }),
    );
  });
});
