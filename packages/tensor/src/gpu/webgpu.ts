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
 * The device thread's program, run with `eval` as CommonJS and self-contained. `require` is a
 * parameter so that bundlers leave its calls alone (they rewrite free `require` in ESM output).
 * WebGPU in Node comes from the `webgpu` package (Dawn), which gpu.js depends on but never
 * wires up: its `globals` go on `globalThis` and `navigator.gpu` is defined by hand. Every
 * kernel call returns a promise of a GPU-resident buffer; the thread keeps those promises by
 * id, so a kernel waits only for its own inputs and errors reach whoever reads a result.
 */
function deviceThread(require: NodeJS.Require): void {
  const { parentPort, workerData } = require("node:worker_threads");
  const load = require("node:module").createRequire(workerData.gpuJsPath);
  const signal: Int32Array = workerData.signal;
  const replies: MessagePort = workerData.replies;
  const reply = (message: Reply): void => {
    replies.postMessage(message);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  const start = async (): Promise<void> => {
    const webgpu = load("webgpu");
    Object.assign(globalThis, webgpu.globals);
    const navigator = ((globalThis as { navigator?: object }).navigator ??= {});
    Object.defineProperty(navigator, "gpu", { value: webgpu.create([]), configurable: true });
    const adapter = await (navigator as { gpu: GPUish }).gpu.requestAdapter();
    if (adapter === null) {
      parentPort.postMessage({ unavailable: "no adapter" });
      return;
    }
    const { GPU } = load("gpu.js");
    const gpu = new GPU({ mode: "webgpu" });
    const kernels = new Map<string, (...inputs: unknown[]) => Promise<unknown>>();
    const buffers = new Map<number, Promise<unknown>>();
    const resolveInput = (input: number | Float32Array): Promise<unknown> =>
      typeof input === "number"
        ? (buffers.get(input) ?? Promise.reject(new Error(`buffer ${input} was released`)))
        : Promise.resolve(input);
    parentPort.on("message", (request: Request) => {
      if (request.type === "run") {
        let kernel = kernels.get(request.key);
        if (kernel === undefined) {
          kernel = gpu.createKernel(request.source, request.settings);
          kernels.set(request.key, kernel!);
        }
        const run = kernel!;
        const result = Promise.all(request.inputs.map(resolveInput)).then((values) =>
          run(...values),
        );
        result.catch(() => undefined); // reported on download, not as an unhandled rejection
        buffers.set(request.id, result);
      } else if (request.type === "download") {
        resolveInput(request.id)
          .then((handle) => (handle as { toArray(): Promise<Float32Array> }).toArray())
          .then(
            (data) => reply({ data }),
            (error: unknown) => reply({ error: String((error as Error)?.message ?? error) }),
          );
      } else {
        buffers
          .get(request.id)
          ?.then((handle) => (handle as { delete(): void }).delete())
          .catch(() => undefined);
        buffers.delete(request.id);
      }
    });
    const info = (adapter as { info?: { description?: string; vendor?: string } }).info;
    parentPort.postMessage({ ready: info?.description || info?.vendor || "unnamed adapter" });
  };
  start().catch((error: unknown) =>
    parentPort.postMessage({ unavailable: String((error as Error)?.message ?? error) }),
  );
}

/** The one method of `navigator.gpu` the device thread needs. */
interface GPUish {
  requestAdapter(): Promise<object | null>;
}

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
  const worker = new Worker(`(${deviceThread.toString()})(require)`, {
    eval: true,
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
