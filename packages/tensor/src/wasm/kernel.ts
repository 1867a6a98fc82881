import { maximumMemoryPages, privateMemoryKernel, sharedMemoryKernel } from "./kernel.generated";

/** The slice of the WebAssembly JavaScript API used here (Node 20's typings do not declare it). */
export interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Memory: new (descriptor: {
    initial: number;
    maximum: number;
    shared: boolean;
  }) => WasmMemory;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

/** A WebAssembly.Memory: `buffer` is a SharedArrayBuffer when the memory is shared. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

/** The functions exported by the WebAssembly kernel (asm/matmul.ts); offsets are in bytes. */
export interface KernelExports {
  scratchBytes(elementBytes: number, m: number, k: number, n: number): number;
  /** Bit 1: op(a) is read in place (unpacked); bit 2: op(b) is. */
  inPlaceOperands(
    elementBytes: number,
    m: number,
    n: number,
    transA: boolean,
    transB: boolean,
  ): number;
  configure(
    job: number,
    elementBytes: number,
    m: number,
    k: number,
    n: number,
    transA: boolean,
    transB: boolean,
    a: number,
    b: number,
    c: number,
    scratch: number,
    participants: number,
  ): void;
  participate(job: number): void;
  joinedThreads(job: number): number;
}

/** The compiled kernel, its memory and the instance on the calling thread. */
export interface Kernel {
  readonly module: object;
  readonly memory: WasmMemory;
  /** Whether `memory` is shared, so that worker threads can run the kernel on it. */
  readonly shared: boolean;
  readonly exports: KernelExports;
}

/** The outcome of loading: a kernel, and why threads or the kernel itself are unavailable. */
export type KernelLoad =
  | { readonly kernel: Kernel; readonly threadsUnavailable?: string }
  | { readonly kernel?: undefined; readonly reason: string };

const PAGE_BYTES = 65536;

/** Largest memory the kernel can address, in bytes. */
export const MAXIMUM_MEMORY_BYTES = maximumMemoryPages * PAGE_BYTES;

/** The bytes of a base64-encoded WebAssembly module. */
export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function instantiate(wasm: WebAssemblyApi, source: string, shared: boolean): Kernel {
  const module = new wasm.Module(decodeBase64(source));
  const memory = new wasm.Memory({ initial: 1, maximum: maximumMemoryPages, shared });
  const instance = new wasm.Instance(module, { env: { memory } });
  return { module, memory, shared, exports: instance.exports as unknown as KernelExports };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Compiles and instantiates the kernel on the calling thread: the shared-memory build where
 * SharedArrayBuffer is available, else the private-memory build (single-threaded).
 */
export function loadKernel(): KernelLoad {
  const wasm = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (wasm === undefined) return { reason: "WebAssembly is unavailable" };
  let threadsUnavailable: string;
  try {
    return { kernel: instantiate(wasm, sharedMemoryKernel, true) };
  } catch (error) {
    threadsUnavailable = `shared WebAssembly memory is unavailable (${describe(error)})`;
  }
  try {
    return { kernel: instantiate(wasm, privateMemoryKernel, false), threadsUnavailable };
  } catch (error) {
    return { reason: `the WebAssembly SIMD kernel does not load here (${describe(error)})` };
  }
}

/** @throws RangeError when `bytes` exceed what the kernel's memory can hold. */
export function checkAddressable(bytes: number): void {
  if (bytes > MAXIMUM_MEMORY_BYTES) {
    throw new RangeError(
      `wasmMatmul needs ${bytes} bytes of WebAssembly memory, more than its maximum of ${MAXIMUM_MEMORY_BYTES}`,
    );
  }
}

/**
 * Grows `memory` so that it holds at least `bytes`.
 * @throws RangeError when `bytes` exceed what the kernel's memory can hold.
 */
export function reserve(memory: WasmMemory, bytes: number): void {
  checkAddressable(bytes);
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / PAGE_BYTES));
}
