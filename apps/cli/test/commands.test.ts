import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLines, runCli, TINY_RUN, temporaryDirectory } from "./helpers";

let cwd: string;
beforeAll(async () => {
  cwd = await temporaryDirectory();
});

describe("gradcheck", () => {
  it("prints one table per check of a preset on stdout, methods compared pairwise", async () => {
    const { code, stdout, stderr } = await runCli(["--data", "synthetic", "gradcheck", "a1"], cwd);
    expect(code, stderr).toBe(0);
    expect(stdout.match(/^## .*: pass$/gm)).toHaveLength(2);
    for (const tensor of ["`layers[0].W` | 10×20 |     200", "`layers[0].b` | 10    |      10"])
      expect(stdout).toContain(tensor);
    for (const methods of ["autograd vs centered", "autograd vs forward", "centered vs forward"])
      expect(stdout.match(new RegExp(`\\| ${methods} +\\|`, "g"))).toHaveLength(4);
    expect(stdout.trim().split("\n").at(-1)).toMatch(/^2 of 2 gradient checks passed/);
    expect(stderr).toContain("⚠ SYNTHETIC DATA");
  });

  it("runs an experiment config's checks under --json", async () => {
    const config = join(cwd, "checks.json");
    await writeFile(
      config,
      JSON.stringify({
        kind: "experiment",
        gradientChecks: [
          {
            name: "two layers with BN",
            model: { hiddenSizes: [6], batchNorm: true },
            samples: 4,
            inputDimensions: 8,
          },
        ],
      }),
    );
    const { code, stdout } = await runCli(
      ["--json", "--data", "synthetic", "gradcheck", "--config", config],
      cwd,
    );
    expect(code).toBe(0);
    const events = jsonLines(stdout);
    const rows = events
      .filter((event) => event.type === "gradcheck-row")
      .map((event) => (event.row as { path: string }).path);
    expect(rows).toEqual(
      expect.arrayContaining(["layers[0].W", "layers[0].gamma", "layers[0].beta", "layers[1].W"]),
    );
    expect(events.at(-1)).toEqual({ type: "gradcheck", checks: 1, passed: 1 });
  });

  it("says which presets have checks when one has none (exit 2)", async () => {
    const { code, stderr } = await runCli(["gradcheck", "a2-coarse"], cwd);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /preset a2-coarse has no gradient checks; these do: a1, a1-bonus, a2-gradcheck, a3-gradcheck/,
    );
  });
});

describe("data download", () => {
  let server: Server;
  let url: string;
  const body = Buffer.alloc(5000, 7);
  beforeAll(async () => {
    server = createServer((_request, response) => {
      response.writeHead(200, { "content-length": body.length });
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cifar-10-binary.tar.gz`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("shows progress, checks the md5 and fails (exit 1) on a wrong archive, leaving nothing behind", async () => {
    const dest = join(cwd, "downloaded");
    const { code, stdout, stderr } = await runCli(
      ["--json", "--data-dir", dest, "data", "download", "--url", url],
      cwd,
    );
    expect(code).toBe(1);
    const progress = jsonLines(stdout).filter((event) => event.type === "download-progress");
    expect(progress.at(-1)).toEqual({
      type: "download-progress",
      receivedBytes: 5000,
      totalBytes: 5000,
    });
    expect(stderr).toMatch(/download 100% 5\.0 kB of 5\.0 kB/);
    expect(stderr).toMatch(
      /md5 [0-9a-f]{32} does not match the expected c32a1d4ab5d03f1284b67883e8d87530/,
    );
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.partial.tar.gz`)).toBe(false);
  });
});

describe("backend and bench", () => {
  it("reports the backend --backend auto picked and why", async () => {
    const config = join(cwd, "run.json");
    await writeFile(config, JSON.stringify({ ...TINY_RUN, epochs: 1 }));
    const { code, stdout, stderr } = await runCli(
      ["--json", "--backend", "auto", "--out", join(cwd, "auto"), "train", "--config", config],
      cwd,
    );
    expect(code, stderr).toBe(0);
    const backend = jsonLines(stdout).find((event) => event.type === "backend");
    expect(backend?.reason).toMatch(/^auto: .* GFLOP\/s vs .* GFLOP\/s on 256×3072×50; using /);
    expect(stderr).toContain(`Backend: ${backend?.name} (auto: `);
  });

  it("--fma runs the fused multiply-add matmul and says so, with no Node flag", async () => {
    const { code, stderr } = await runCli(["--fma", "bench", "--builtin"], cwd);
    expect(code, stderr).toBe(0);
    const backend = stderr.split("\n").find((line) => line.includes("Backend: cpu"));
    // Node 22 ships relaxed SIMD; on Node 20 setMatmulFma turns on V8's flag for it.
    expect(backend).toMatch(
      /matmul: WebAssembly SIMD with fused multiply-add, up to \d+ thread\(s\);/,
    );
  });

  it("bench --builtin measures a matmul and an epoch on the chosen backend", async () => {
    const { code, stdout } = await runCli(["--json", "bench", "--builtin"], cwd);
    expect(code).toBe(0);
    const [, matmul, epoch] = jsonLines(stdout);
    expect(matmul).toMatchObject({
      type: "bench-matmul",
      backend: "cpu",
      shape: "(100x3072)·(3072x50)",
    });
    expect(matmul!.gflops).toBeCloseTo(
      (2 * 100 * 3072 * 50) / ((matmul!.medianMs as number) * 1e6),
      10,
    );
    expect(epoch).toMatchObject({
      type: "bench-epoch",
      backend: "cpu",
      images: 2000,
      batchSize: 100,
    });
    expect(epoch!.imagesPerSecond).toBeCloseTo(2000 / ((epoch!.epochMs as number) / 1000), 6);
  });
});
