import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { create } from "tar";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BATCH_FILES, type DownloadProgress, downloadCifar10 } from "../../src/data/index.js";
import { expectLeft, expectRight, temporaryDirectory, writeFixtureDir } from "./fixtures.js";

let root: string;
let archive: Buffer;
let archiveMd5: string;
let server: Server;
let base: string;
/** Range headers the server received, per path. */
let ranges: (string | undefined)[];

function serveArchive(request: IncomingMessage, response: ServerResponse, honourRange: boolean) {
  const range = request.headers.range?.match(/^bytes=(\d+)-$/);
  if (honourRange && range) {
    const start = Number(range[1]);
    if (start >= archive.length) {
      response.writeHead(416, { "Content-Range": `bytes */${archive.length}` }).end();
      return;
    }
    response.writeHead(206, {
      "Content-Length": archive.length - start,
      "Content-Range": `bytes ${start}-${archive.length - 1}/${archive.length}`,
    });
    response.end(archive.subarray(start));
    return;
  }
  response.writeHead(200, { "Content-Length": archive.length });
  response.end(archive);
}

beforeAll(async () => {
  root = await temporaryDirectory();
  const source = join(root, "source", "cifar-10-batches-bin");
  await mkdir(source, { recursive: true });
  await writeFixtureDir(source, 40);
  const archivePath = join(root, "source", "archive.tar.gz");
  await create({ gzip: true, file: archivePath, cwd: join(root, "source") }, [
    "cifar-10-batches-bin",
  ]);
  archive = await readFile(archivePath);
  archiveMd5 = createHash("md5").update(archive).digest("hex");

  server = createServer((request, response) => {
    ranges.push(request.headers.range);
    switch (request.url) {
      case "/archive.tar.gz":
        return serveArchive(request, response, true);
      case "/no-range.tar.gz":
        return serveArchive(request, response, false);
      case "/moved":
        response.writeHead(302, { Location: "/archive.tar.gz" }).end();
        return;
      case "/truncated":
        // Announce the whole archive, send half, then drop the connection.
        response.writeHead(200, { "Content-Length": archive.length });
        response.write(archive.subarray(0, archive.length >> 1));
        setTimeout(() => response.destroy(), 50);
        return;
      case "/stall":
        response.writeHead(200, { "Content-Length": archive.length });
        response.write(archive.subarray(0, 1000));
        return; // never finishes; the client aborts
      case "/garbage":
        response.writeHead(200).end(Buffer.from("not a tar archive at all"));
        return;
      default:
        response.writeHead(500).end("internal error");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let testIndex = 0;
let parent: string;
let dest: string;
beforeEach(async () => {
  ranges = [];
  parent = join(root, `run-${testIndex++}`);
  await mkdir(parent);
  dest = join(parent, "cifar-10-batches-bin");
});

/** Asserts the destination holds exactly the archived files and nothing is left beside it. */
async function expectInstalled() {
  expect((await readdir(dest)).sort()).toEqual([...BATCH_FILES, "batches.meta.txt"].sort());
  const original = await readFile(join(root, "source", "cifar-10-batches-bin", "data_batch_3.bin"));
  expect((await readFile(join(dest, "data_batch_3.bin"))).equals(original)).toBe(true);
  expect(await readdir(parent)).toEqual(["cifar-10-batches-bin"]);
}

describe("downloadCifar10 against a loopback server", () => {
  it("streams, reports progress, verifies and installs atomically", async () => {
    const events: DownloadProgress[] = [];
    const result = expectRight(
      await downloadCifar10({
        dest,
        url: `${base}/archive.tar.gz`,
        md5: archiveMd5,
        onProgress: (event) => events.push(event),
      })(),
    );
    expect(result).toEqual({
      dir: dest,
      url: `${base}/archive.tar.gz`,
      bytes: archive.length,
      resumedFrom: 0,
    });
    await expectInstalled();
    expect(events.length).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({
      receivedBytes: archive.length,
      totalBytes: archive.length,
    });
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.receivedBytes).toBeGreaterThan(events[i - 1]!.receivedBytes);
    }
    expect(events.every((event) => event.bytesPerSecond >= 0)).toBe(true);
  });

  it("follows a redirect", async () => {
    expectRight(await downloadCifar10({ dest, url: `${base}/moved`, md5: archiveMd5 })());
    await expectInstalled();
  });

  it("deletes a download whose md5 is wrong, so a rerun starts clean", async () => {
    const error = expectLeft(
      await downloadCifar10({ dest, url: `${base}/archive.tar.gz`, md5: "0".repeat(32) })(),
    );
    expect(error).toMatchObject({
      _tag: "ChecksumMismatch",
      expected: "0".repeat(32),
      actual: archiveMd5,
    });
    expect(error.message).toContain("has been deleted; rerun");
    expect(await readdir(parent)).toEqual([]);
  });

  it("reports a server error with its status and writes nothing", async () => {
    const error = expectLeft(
      await downloadCifar10({ dest, url: `${base}/broken`, md5: archiveMd5 })(),
    );
    expect(error).toMatchObject({ _tag: "DownloadFailed", status: 500 });
    expect(error.message).toContain("HTTP 500");
    expect(await readdir(parent)).toEqual([]);
  });

  it("keeps a truncated download and resumes it with an HTTP Range request", async () => {
    const error = expectLeft(
      await downloadCifar10({ dest, url: `${base}/truncated`, md5: archiveMd5 })(),
    );
    const half = archive.length >> 1;
    expect(error).toMatchObject({
      _tag: "DownloadTruncated",
      received: half,
      expected: archive.length,
    });
    expect(await readdir(parent)).toEqual(["cifar-10-batches-bin.partial.tar.gz"]);
    ranges = [];
    const events: DownloadProgress[] = [];
    const result = expectRight(
      await downloadCifar10({
        dest,
        url: `${base}/archive.tar.gz`,
        md5: archiveMd5,
        onProgress: (event) => events.push(event),
      })(),
    );
    expect(ranges).toEqual([`bytes=${half}-`]);
    expect(result.resumedFrom).toBe(half);
    expect(events[0]).toMatchObject({ resumedFrom: half, totalBytes: archive.length });
    await expectInstalled();
  });

  it("starts over when the server ignores the Range request", async () => {
    expectLeft(await downloadCifar10({ dest, url: `${base}/truncated`, md5: archiveMd5 })());
    const result = expectRight(
      await downloadCifar10({ dest, url: `${base}/no-range.tar.gz`, md5: archiveMd5 })(),
    );
    expect(result.resumedFrom).toBe(0);
    await expectInstalled();
  });

  it("verifies a complete partial file when the server has nothing more (416)", async () => {
    await writeFile(join(parent, "cifar-10-batches-bin.partial.tar.gz"), archive);
    const result = expectRight(
      await downloadCifar10({ dest, url: `${base}/archive.tar.gz`, md5: archiveMd5 })(),
    );
    expect(result).toMatchObject({ bytes: archive.length, resumedFrom: archive.length });
    await expectInstalled();
  });

  it("cancels on an AbortSignal and keeps the partial file for a resume", async () => {
    const controller = new AbortController();
    const error = expectLeft(
      await downloadCifar10({
        dest,
        url: `${base}/stall`,
        md5: archiveMd5,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      })(),
    );
    expect(error).toMatchObject({ _tag: "DownloadAborted", received: 1000 });
    expect(error.message).toContain("rerun to resume");
    expect(await readdir(parent)).toEqual(["cifar-10-batches-bin.partial.tar.gz"]);
  });

  it("rejects a body that is not a CIFAR-10 archive and leaves nothing behind", async () => {
    const garbageMd5 = createHash("md5").update("not a tar archive at all").digest("hex");
    const error = expectLeft(
      await downloadCifar10({ dest, url: `${base}/garbage`, md5: garbageMd5 })(),
    );
    expect(error._tag).toBe("ArchiveInvalid");
    expect(await readdir(parent)).toEqual([]);
  });

  it("refuses to overwrite a destination that holds files, without any request", async () => {
    await mkdir(dest);
    await writeFile(join(dest, "keep.txt"), "mine");
    const error = expectLeft(await downloadCifar10({ dest, url: `${base}/archive.tar.gz` })());
    expect(error).toMatchObject({ _tag: "DestinationExists", path: dest });
    expect(ranges).toEqual([]);
    expect((await stat(join(dest, "keep.txt"))).size).toBe(4);
  });
});
