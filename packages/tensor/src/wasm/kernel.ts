import { setFlagsFromString } from "node:v8";
import {
  fmaPrivateMemoryKernel,
  fmaSharedMemoryKernel,
  maximumMemoryPages,
  privateMemoryKernel,
  sharedMemoryKernel,
} from "./kernel.generated";

/** The slice of the WebAssembly JavaScript API used here (Node 20's typings do not declare it). */
export interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
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
    bResident: boolean,
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
    bResident: boolean,
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

/**
 * The outcome of loading: a kernel, whether it fuses multiply-adds, and why threads, fused
 * multiply-add or the kernel itself are unavailable.
 */
export type KernelLoad =
  | {
      readonly kernel: Kernel;
      readonly fma: boolean;
      readonly threadsUnavailable?: string;
      readonly fmaUnavailable?: string;
    }
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

function instantiate(wasm: WebAssemblyApi, bytes: Uint8Array, shared: boolean): Kernel {
  const module = new wasm.Module(bytes);
  const memory = new wasm.Memory({ initial: 1, maximum: maximumMemoryPages, shared });
  const instance = new wasm.Instance(module, { env: { memory } });
  return { module, memory, shared, exports: instance.exports as unknown as KernelExports };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Said when the fused multiply-add build is asked for where the runtime lacks relaxed SIMD. */
export const RELAXED_SIMD_UNAVAILABLE =
  "fused multiply-add needs WebAssembly relaxed SIMD, which this runtime lacks (Node 22 has it, Node 20 and 21 behind a V8 flag that puregrad sets)";

/**
 * Whether the runtime validates `bytes`, a module that uses relaxed SIMD. Node 22 ships relaxed
 * SIMD; Node 20 and 21 have it behind V8's --experimental-wasm-relaxed-simd, which is set here,
 * once fused multiply-add is asked for, so that users need no command-line flag (it affects only
 * modules compiled afterwards, and the worker threads, which share the process's flags).
 */
function validatesRelaxedSimd(wasm: WebAssemblyApi, bytes: Uint8Array): boolean {
  if (wasm.validate(bytes)) return true;
  try {
    setFlagsFromString("--experimental-wasm-relaxed-simd");
  } catch {
    return false; // a runtime without V8's flags
  }
  return wasm.validate(bytes);
}

/**
 * Compiles and instantiates the kernel on the calling thread: the shared-memory build where
 * SharedArrayBuffer is available, else the private-memory build (single-threaded). With `fma`,
 * the fused multiply-add builds where the runtime has relaxed SIMD, else the plain ones.
 */
export function loadKernel(fma = false): KernelLoad {
  const wasm = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (wasm === undefined) return { reason: "WebAssembly is unavailable" };
  let sources = [sharedMemoryKernel, privateMemoryKernel];
  let fmaUnavailable: string | undefined;
  if (fma) {
    const fmaSources = [fmaSharedMemoryKernel, fmaPrivateMemoryKernel];
    if (validatesRelaxedSimd(wasm, decodeBase64(fmaSources[1]!))) sources = fmaSources;
    else fmaUnavailable = RELAXED_SIMD_UNAVAILABLE;
  }
  const fused = fma && fmaUnavailable === undefined;
  const extras = fmaUnavailable === undefined ? {} : { fmaUnavailable };
  let threadsUnavailable: string;
  try {
    return { kernel: instantiate(wasm, decodeBase64(sources[0]!), true), fma: fused, ...extras };
  } catch (error) {
    threadsUnavailable = `shared WebAssembly memory is unavailable (${describe(error)})`;
  }
  try {
    const kernel = instantiate(wasm, decodeBase64(sources[1]!), false);
    return { kernel, fma: fused, threadsUnavailable, ...extras };
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
