import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from "node:worker_threads";
import type { Device, DeviceBuffer } from "./device";
import { type KernelSpec, kernelKey, kernelSettings, uploadKernel } from "./kernels";

/** How long `read` waits for the device thread before giving up. */
const READ_TIMEOUT_MS = 120_000;

/** What the device thread is asked to do; buffers are named by ids the main thread picks. */
type Request =
  | {
      readonly type: "run";
      readonly id: number;
      readonly key: string;
      readonly source: string;
      readonly settings: ReturnType<typeof kernelSettings>;
      readonly inputs: readonly (number | Float32Array)[];
    }
  | { readonly type: "download"; readonly id: number }
  | { readonly type: "release"; readonly id: number };

type Reply = { readonly data: Float32Array } | { readonly error: string };

/**
 * The device thread's program, run with `eval` as CommonJS. It is source text rather than a
 * function so that no bundler rewrites it (tsup's CJS output would replace `require` and `??`
 * with helpers the thread does not have). WebGPU in Node comes from the `webgpu` package
 * (Dawn), which gpu.js depends on but never wires up: its `globals` go on `globalThis` and
 * `navigator.gpu` is defined by hand. Each kernel call gives a promise of a GPU-resident
 * buffer; the thread keeps those promises by id, so a kernel waits only for its own inputs and
 * an error reaches whoever reads a result that depends on it.
 */
const DEVICE_THREAD = `"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const load = require("node:module").createRequire(workerData.gpuJsPath);
const { signal, replies } = workerData;
const message = (error) => String(error && error.message ? error.message : error);
function reply(answer) {
  replies.postMessage(answer);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}
async function start() {
  const webgpu = load("webgpu");
  Object.assign(globalThis, webgpu.globals);
  if (globalThis.navigator === undefined) globalThis.navigator = {};
  Object.defineProperty(globalThis.navigator, "gpu", { value: webgpu.create([]), configurable: true });
  const adapter = await globalThis.navigator.gpu.requestAdapter();
  if (adapter === null) return parentPort.postMessage({ unavailable: "no adapter" });
  const { GPU } = load("gpu.js");
  const gpu = new GPU({ mode: "webgpu" });
  const kernels = new Map();
  const buffers = new Map();
  const resolveInput = (input) =>
    typeof input !== "number" ? Promise.resolve(input)
      : buffers.has(input) ? buffers.get(input)
      : Promise.reject(new Error("buffer " + input + " was released"));
  parentPort.on("message", (request) => {
    if (request.type === "run") {
      if (!kernels.has(request.key)) {
        kernels.set(request.key, gpu.createKernel(request.source, request.settings));
      }
      const kernel = kernels.get(request.key);
      const result = Promise.all(request.inputs.map(resolveInput)).then((values) => kernel(...values));
      result.catch(() => undefined); // reported on download, not as an unhandled rejection
      buffers.set(request.id, result);
    } else if (request.type === "download") {
      resolveInput(request.id)
        .then((handle) => handle.toArray())
        .then((data) => reply({ data }), (error) => reply({ error: message(error) }));
    } else {
      const handle = buffers.get(request.id);
      buffers.delete(request.id);
      if (handle !== undefined) handle.then((buffer) => buffer.delete()).catch(() => undefined);
    }
  });
  const info = adapter.info || {};
  parentPort.postMessage({ ready: info.description || info.vendor || "unnamed adapter" });
}
start().catch((error) => parentPort.postMessage({ unavailable: message(error) }));
`;

interface WebGpuBuffer extends DeviceBuffer {
  readonly id: number;
}

/**
 * A WebGPU device behind a device thread. The {@link Backend} interface is synchronous and
 * WebGPU reads back only asynchronously, so kernels are posted to a worker thread (in order,
 * without waiting) and `download` blocks this thread with `Atomics.wait` until the worker
 * has the data. Errors in a kernel surface when a result depending on it is read.
 */
class WebGpuDevice implements Device {
  readonly mode = "webgpu" as const;
  #nextId = 1;
  constructor(
    private readonly worker: Worker,
    private readonly replies: MessagePort,
    private readonly signal: Int32Array,
  ) {}

  upload(data: Float32Array): DeviceBuffer {
    return this.#run(uploadKernel(data.length), [data], [data.length]);
  }

  run(spec: KernelSpec, inputs: readonly DeviceBuffer[]): DeviceBuffer {
    return this.#run(
      spec,
      inputs.map((input) => (input as WebGpuBuffer).id),
      inputs.map((input) => input.length),
    );
  }

  #run(
    spec: KernelSpec,
    inputs: readonly (number | Float32Array)[],
    inputLengths: readonly number[],
  ): WebGpuBuffer {
    const id = this.#nextId++;
    this.#post({
      type: "run",
      id,
      key: kernelKey(spec, inputLengths),
      source: spec.source,
      settings: kernelSettings(spec),
      inputs,
    });
    return { length: spec.output, id };
  }

  download(buffer: DeviceBuffer): Float32Array {
    Atomics.store(this.signal, 0, 0);
    this.#post({ type: "download", id: (buffer as WebGpuBuffer).id });
    if (Atomics.wait(this.signal, 0, 0, READ_TIMEOUT_MS) === "timed-out") {
      throw new Error(`gpu:webgpu: no answer from the device thread in ${READ_TIMEOUT_MS} ms`);
    }
    // The reply was posted before the signal was raised, so it is already queued.
    const reply = receiveMessageOnPort(this.replies)?.message as Reply | undefined;
    if (reply === undefined) throw new Error("gpu:webgpu: the device thread sent no reply");
    if ("error" in reply) throw new Error(`gpu:webgpu: ${reply.error}`);
    return reply.data;
  }

  release(buffer: DeviceBuffer): void {
    this.#post({ type: "release", id: (buffer as WebGpuBuffer).id });
  }

  #post(request: Request): void {
    this.worker.postMessage(request);
  }
}

/**
 * Starts a WebGPU device thread and waits until it has an adapter.
 * @returns the device, or why WebGPU is unavailable (e.g. `"no adapter"`).
 */
export async function openWebGpuDevice(
  gpuJsPath: string,
): Promise<{ device: Device; adapter: string } | { unavailable: string }> {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1: replies, port2: workerReplies } = new MessageChannel();
  const worker = new Worker(DEVICE_THREAD, {
    eval: true,
    // The thread's program is CommonJS whatever flags (e.g. --input-type=module) started us.
    execArgv: [],
    workerData: { gpuJsPath, signal, replies: workerReplies },
    transferList: [workerReplies],
  });
  const first = await new Promise<{ ready?: string; unavailable?: string }>((resolve) => {
    worker.once("message", resolve);
    worker.once("error", (error) => resolve({ unavailable: error.message }));
  });
  if (first.ready === undefined) {
    await worker.terminate();
    replies.close();
    return { unavailable: first.unavailable ?? "the device thread did not start" };
  }
  // Neither the idle thread nor its port may keep the process alive.
  worker.unref();
  replies.unref();
  return { device: new WebGpuDevice(worker, replies, signal), adapter: first.ready };
}
