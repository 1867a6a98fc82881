// The numpy peer (numpy_peer.py) as a child process speaking JSON lines; one request at a time,
// so while it trains this process only waits and the two never compete for the cores.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("./numpy_peer.py", import.meta.url));
const singleThreaded = Object.fromEntries(
  ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"].map(
    (name) => [name, "1"],
  ),
);

/**
 * Starts the peer. Resolves to `{ peer }`, or to `{ unavailable: reason }` when python3 or
 * numpy is missing (the bench then prints the reason and leaves the numpy columns empty).
 */
export function startNumpy() {
  return new Promise((resolve) => {
    const child = spawn(process.env.PYTHON ?? "python3", [script], {
      env: { ...process.env, ...singleThreaded },
      stdio: ["pipe", "pipe", "inherit"],
    });
    const lines = createInterface({ input: child.stdout });
    const waiting = [];
    let exited = false;
    lines.on("line", (line) => waiting.shift()?.(JSON.parse(line)));
    child.on("error", (error) => resolve({ unavailable: `python3 did not start (${error.code})` }));
    child.on("exit", (code) => {
      exited = true;
      for (const reply of waiting.splice(0)) reply({ error: `the numpy peer exited (${code})` });
    });
    const request = (message) =>
      new Promise((resolveReply, reject) => {
        if (exited) return reject(new Error("the numpy peer has exited"));
        waiting.push((reply) =>
          reply.error ? reject(new Error(`numpy peer: ${reply.error}`)) : resolveReply(reply),
        );
        child.stdin.write(`${JSON.stringify(message)}\n`);
      });
    waiting.push((hello) => {
      if (hello.error) return resolve({ unavailable: hello.error });
      resolve({ peer: numpyPeer(hello.ready, request, () => child.stdin.end()) });
    });
  });
}

function numpyPeer(version, request, close) {
  let directory;
  let runners = 0;
  return {
    version,
    /** Hands the peer the bench's arrays (through files in a temporary folder). */
    async load(inputs, features, labelsByName) {
      directory = mkdtempSync(join(tmpdir(), "puregrad-nn-bench-"));
      const write = (name, array) => {
        const path = join(directory, name);
        writeFileSync(path, new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
        return path;
      };
      const labels = Object.fromEntries(
        Object.entries(labelsByName).map(([name, array]) => [name, write(`${name}.i32`, array)]),
      );
      await request({
        op: "load",
        inputs: write("inputs.f32", inputs),
        rows: inputs.length / features,
        features,
        labels,
      });
      // numpy has its own copies now.
      rmSync(directory, { recursive: true, force: true });
      directory = undefined;
    },
    /** A {@link Runner} training the case's model with numpy from puregrad's initial weights. */
    async runner(spec, dtype, initialParameters, dataset) {
      const params = initialParameters.map((layer) =>
        Object.fromEntries(
          Object.entries(layer).map(([name, { shape, data }]) => [
            name,
            { shape, data: Array.from(data) },
          ]),
        ),
      );
      const id = runners++;
      await request({
        op: "setup",
        id,
        dtype,
        data: dataset.name,
        samples: dataset.samples,
        batchSize: dataset.batchSize,
        spec,
        params,
      });
      return {
        run: (startBatch, steps) => request({ op: "run", id, startBatch, steps }),
        dispose: () => request({ op: "dispose", id }),
      };
    },
    close() {
      if (directory) rmSync(directory, { recursive: true, force: true });
      close();
    },
  };
}
