import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cifar10CacheDir, findCifar10Dir } from "../../src/data/index.js";
import { expectLeft, expectRight, temporaryDirectory, writeFixtureDir } from "./fixtures.js";

let root: string;
let complete: string;
let incomplete: string;
let cacheHome: string;

beforeAll(async () => {
  root = await temporaryDirectory();
  complete = join(root, "complete");
  incomplete = join(root, "incomplete");
  cacheHome = join(root, "xdg-cache");
  const cached = join(cacheHome, "puregrad", "cifar-10-batches-bin");
  for (const dir of [complete, incomplete, cached]) await mkdir(dir, { recursive: true });
  await writeFixtureDir(complete, 1);
  await writeFixtureDir(cached, 1);
});

describe("cifar10CacheDir", () => {
  it("follows XDG_CACHE_HOME, then HOME/.cache", () => {
    expect(cifar10CacheDir({ XDG_CACHE_HOME: "/x", HOME: "/home/u" })).toBe(
      "/x/puregrad/cifar-10-batches-bin",
    );
    expect(cifar10CacheDir({ XDG_CACHE_HOME: "", HOME: "/home/u" })).toBe(
      "/home/u/.cache/puregrad/cifar-10-batches-bin",
    );
  });
});

describe("findCifar10Dir", () => {
  it("prefers the explicit directory to CIFAR10_DIR and the cache", async () => {
    const env = { CIFAR10_DIR: incomplete, XDG_CACHE_HOME: cacheHome };
    const found = expectRight(await findCifar10Dir({ dir: complete, env })());
    expect(found).toEqual({
      dir: complete,
      source: "argument",
      reason: `directory argument ${complete}`,
    });
  });

  it("uses CIFAR10_DIR before the cache", async () => {
    const env = { CIFAR10_DIR: complete, XDG_CACHE_HOME: join(root, "empty-cache") };
    const found = expectRight(await findCifar10Dir({ env })());
    expect(found.source).toBe("environment");
    expect(found.reason).toBe(`CIFAR10_DIR=${complete}`);
  });

  it("falls back to the per-user cache when neither is given", async () => {
    const found = expectRight(await findCifar10Dir({ env: { XDG_CACHE_HOME: cacheHome } })());
    expect(found).toMatchObject({
      source: "cache",
      dir: join(cacheHome, "puregrad", "cifar-10-batches-bin"),
    });
  });

  it("never silently replaces a given directory that lacks the files", async () => {
    const env = { CIFAR10_DIR: complete, XDG_CACHE_HOME: cacheHome };
    const error = expectLeft(await findCifar10Dir({ dir: incomplete, env })());
    expect(error).toMatchObject({
      _tag: "DatasetNotFound",
      source: "argument",
      dir: incomplete,
      missingFile: "data_batch_1.bin",
    });
    const fromEnv = expectLeft(
      await findCifar10Dir({ env: { CIFAR10_DIR: incomplete, XDG_CACHE_HOME: cacheHome } })(),
    );
    expect(fromEnv.source).toBe("environment");
    expect(fromEnv.message).toContain(`CIFAR10_DIR=${incomplete}`);
  });

  it("says how to get the data when the cache is empty", async () => {
    const error = expectLeft(
      await findCifar10Dir({ env: { XDG_CACHE_HOME: join(root, "nothing") } })(),
    );
    expect(error.source).toBe("cache");
    expect(error.message).toMatch(/Download it .*set CIFAR10_DIR/);
  });
});
