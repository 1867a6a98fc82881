import { availableParallelism } from "node:os";
import type { FloatArray } from "../dtype";
import { checkAddressable, type Kernel, loadKernel, reserve } from "./kernel";
import { WorkerPool } from "./pool";
import { ResidentArrays } from "./resident";

export {
  type ElementwiseInfo,
  elementwiseInfo,
  WASM_BINARY_OPS,
  WASM_ELEMENTWISE_MIN_ELEMENTS,
  WASM_REDUCE_OPS,
  WASM_UNARY_OPS,
  wasmAxpby,
  wasmBinary,
  wasmReduce,
  wasmUnary,
} from "./elementwise";

/** What `wasmMatmul` runs on, as chosen on first use, by `setMatmulThreads` and `setMatmulFma`. */
export interface MatmulInfo {
  /** Whether the WebAssembly SIMD kernel loaded; when false, `wasmMatmul` throws. */
  readonly simd: boolean;
  /**
   * Whether products fuse each multiply-add (`setMatmulFma(true)`, where the runtime has relaxed
   * SIMD): faster, with results that may differ in the last bits between CPUs.
   */
  readonly fma: boolean;
  /** Threads (the calling one included) that a large enough product is split across. */
  readonly threads: number;
  /** Threads that computed part of the most recent product (0 before the first one). */
  readonly lastCallThreads: number;
  /**
   * Operands that were already in the kernel's memory, so not copied in, since it loaded: tensor
   * storage that the kernel reads in place used again, such as the batch in A1's forward product
   * and its weight gradient.
   */
  readonly reusedOperands: number;
  /** Why the kernel, the requested number of threads or fused multiply-add is unavailable. */
  readonly reason?: string;
}

/** Products below this many floating-point operations run on the calling thread alone. */
const MIN_FLOPS_PER_THREAD = 1 << 20;
/** Default thread count is the machine's parallelism capped here. */
const MAX_DEFAULT_THREADS = 4;
// Memory layout: the pool's protocol words (20 bytes) at CONTROL, two job descriptors (1536
// bytes each) at JOBS, then from DATA_START one arena per slot (a, b, c and the kernel's
// scratch), each `arenaBytes` long, then the operand cache. Jobs alternate between the slots
// (see pool.ts); without a pool only slot 0 is used. The cache holds, in CACHE_ENTRIES entries,
// operands that the kernel reads in place and that the caller promised never to modify (see
// `wasmMatmul`'s `inputsImmutable`), so that one used again (a batch, in A1's forward product and
// again in its weight gradient) is not copied in again. Other operands, and those outside
// [CACHE_MIN_BYTES, CACHE_MAX_BYTES] (a small one costs less to copy than to track), are copied
// into the arena every time.
const CONTROL = 512;
const JOBS = [1024, 2560] as const;
const DATA_START = 4096;
const ALIGNMENT = 64;
const PAGE_BYTES = 65536;
const CACHE_ENTRIES = 4;
const CACHE_MIN_BYTES = 1 << 16;
const CACHE_MAX_BYTES = 8 << 20;

interface State {
  readonly kernel?: Kernel;
  readonly pool?: WorkerPool;
  readonly reason?: string;
  /** Whether fused multiply-add was asked for, and whether the kernel has it. */
  readonly fmaRequested: boolean;
  readonly fma: boolean;
  requestedThreads: number;
  lastCallThreads: number;
  /** Size of each slot's arena: the largest product's needs so far. */
  arenaBytes: number;
  /** The operands that the cache holds. */
  readonly cache: ResidentArrays;
}

let state: State | undefined;

function currentState(fmaRequested = false): State {
  if (state !== undefined) return state;
  const load = loadKernel(fmaRequested);
  const kernel = load.kernel;
  const reasons =
    kernel === undefined ? [load.reason] : [load.threadsUnavailable, load.fmaUnavailable];
  const reason = reasons.filter((text) => text !== undefined).join("; ");
  state = {
    kernel,
    pool: kernel?.shared ? new WorkerPool(kernel, CONTROL, JOBS) : undefined,
    ...(reason === "" ? {} : { reason }),
    fmaRequested,
    fma: kernel !== undefined && load.fma,
    requestedThreads: Math.max(1, Math.min(availableParallelism(), MAX_DEFAULT_THREADS)),
    lastCallThreads: 0,
    arenaBytes: 0,
    cache: new ResidentArrays(CACHE_ENTRIES, CACHE_MIN_BYTES, CACHE_MAX_BYTES),
  };
  return state;
}

/** Threads available for the next product: as requested, as far as workers could start. */
function effectiveThreads(current: State): number {
  if (current.pool === undefined) return 1;
  if (current.pool.failure === undefined) return current.requestedThreads;
  return Math.min(current.requestedThreads, current.pool.size + 1);
}

/**
 * Sets how many threads (the calling one included) `wasmMatmul` splits large products across;
 * 1 runs everything on the calling thread. Workers start on the next product that needs them.
 * Where threads are unavailable the kernel runs single-threaded and `matmulInfo` says why.
 * @throws RangeError unless `threads` is a positive integer.
 */
export function setMatmulThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`setMatmulThreads: threads must be a positive integer, got ${threads}`);
  }
  currentState().requestedThreads = threads;
}

/**
 * Makes `wasmMatmul` fuse each multiply-add into one rounding (`on`), with the kernel built with
 * WebAssembly relaxed SIMD, or go back to the default kernel, which rounds the product and then
 * the sum. Fused was 1.14-1.27× faster on the layer shapes and 1024³ here. Its results are the
 * same on every thread count but may differ in the last bits between CPUs (the runtime fuses
 * where the CPU has FMA): the default keeps every machine's results identical. On Node 20 and 21
 * it turns on V8's `--experimental-wasm-relaxed-simd` (Node 22 ships relaxed SIMD); where the
 * runtime lacks relaxed SIMD even so, the default kernel keeps running and `matmulInfo().reason`
 * says so. Switching reloads the kernel (and restarts its worker threads) before the next product.
 */
export function setMatmulFma(on: boolean): void {
  if ((state?.fmaRequested ?? false) === on) return;
  const threads = state?.requestedThreads;
  state?.pool?.close();
  state = undefined;
  const fresh = currentState(on);
  if (threads !== undefined) fresh.requestedThreads = threads;
}

/** Reports whether the SIMD kernel runs here, on how many threads, and why not if it cannot. */
export function matmulInfo(): MatmulInfo {
  const current = currentState();
  const reason = [current.reason, current.pool?.failure].filter((text) => text !== undefined);
  return {
    simd: current.kernel !== undefined,
    fma: current.fma,
    threads: effectiveThreads(current),
    lastCallThreads: current.lastCallThreads,
    reusedOperands: current.cache.hits,
    ...(reason.length === 0 ? {} : { reason: reason.join("; ") }),
  };
}

/** Elements [offset, offset + length·size) of the kernel's memory, typed like `like`. */
function memoryView(kernel: Kernel, like: FloatArray, offset: number, length: number): FloatArray {
  const buffer = kernel.memory.buffer;
  return like instanceof Float32Array
    ? new Float32Array(buffer, offset, length)
    : new Float64Array(buffer, offset, length);
}

function align(bytes: number): number {
  return Math.ceil(bytes / ALIGNMENT) * ALIGNMENT;
}

function checkOperands(
  a: FloatArray,
  b: FloatArray,
  out: FloatArray,
  m: number,
  k: number,
  n: number,
): void {
  for (const [name, size] of [
    ["m", m],
    ["k", k],
    ["n", n],
  ] as const) {
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`wasmMatmul: ${name} must be a non-negative integer, got ${size}`);
    }
  }
  if (a.constructor !== out.constructor || b.constructor !== out.constructor) {
    throw new TypeError(
      `wasmMatmul: a, b and out must all be Float32Array or all Float64Array, got ${a.constructor.name}, ${b.constructor.name} and ${out.constructor.name}`,
    );
  }
  for (const [name, array, length] of [
    ["a", a, m * k],
    ["b", b, k * n],
    ["out", out, m * n],
  ] as const) {
    if (array.length !== length) {
      throw new RangeError(
        `wasmMatmul: ${name} has ${array.length} elements, expected ${length} for m=${m}, k=${k}, n=${n}`,
      );
    }
  }
}

/**
 * Matrix product `out[m×n] = op(a) · op(b)` with a WebAssembly SIMD kernel, split across worker
 * threads for large products. All matrices are dense and row-major: `a` is `m×k` (`k×m` if
 * `transA`, so op(a) = aᵀ), `b` is `k×n` (`n×k` if `transB`). The inputs are not modified; `out`
 * is overwritten and may alias an input. Results are bit-identical whatever the thread count:
 * threads split the output, never a sum. With `inputsImmutable` the caller promises that `a` and
 * `b` are never modified, now or later (tensor storage): operands of 64 KiB to 8 MiB that the
 * kernel reads in place then stay in its memory, and a product that reads the same array in place
 * again does not copy it in again.
 * @throws TypeError when the arrays are not all Float32Array or all Float64Array.
 * @throws RangeError when a size is not a non-negative integer, an array's length is not the
 *   product of its sizes, or the operands do not fit in 2 GiB of WebAssembly memory.
 * @throws Error when the SIMD kernel is unavailable here (`matmulInfo().simd` is false).
 * @example
 * const out = new Float32Array(2 * 2);
 * wasmMatmul(Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), out, 2, 2, 2, false, false);
 * // out = [19, 22, 43, 50]
 */
export function wasmMatmul<T extends FloatArray>(
  a: T,
  b: T,
  out: T,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  inputsImmutable = false,
): void {
  checkOperands(a, b, out, m, k, n);
  const current = currentState();
  const kernel = current.kernel;
  if (kernel === undefined) throw new Error(`wasmMatmul is unavailable: ${current.reason}`);
  if (out.length === 0) return;
  const elementBytes = out.BYTES_PER_ELEMENT;
  // Offsets in a slot's arena; c follows b: the kernel may read (and ignore) up to 32 bytes
  // past the end of b.
  const bOffset = align(m * k * elementBytes);
  const cOffset = bOffset + align(k * n * elementBytes);
  const scratchOffset = cOffset + align(m * n * elementBytes);
  // The kernel sizes its scratch with int32 arithmetic: first rule out overflow with a bound
  // (packed panels round m and n up by less than 8).
  const slots = current.pool === undefined ? 1 : 2;
  const bound = scratchOffset + elementBytes * (m + n + 16) * k + ALIGNMENT;
  const cache = current.cache;
  checkAddressable(DATA_START + slots * bound + CACHE_ENTRIES * cache.entryBytes);
  const arenaBytes = scratchOffset + kernel.exports.scratchBytes(elementBytes, m, k, n);
  // A b that the cache holds already is read in place by more products (the kernel's
  // RESIDENT_B_MAX_ROW_TILES), so that it is not copied in again: the batch in a weight gradient
  // dHᵀ·X, after the forward product brought it in.
  const bResident = inputsImmutable && cache.holds(b);
  const inPlace = kernel.exports.inPlaceOperands(elementBytes, m, n, transA, transB, bResident);
  // Only operands that the kernel reads in place are kept: one it packs reads better from a
  // fresh, sequential copy (measured: a 2-layer step's weight gradient, packing the batch from
  // the cache, was 3-5% slower than copying it in again). The kernel may read (and ignore) up to
  // 32 bytes past the end of b.
  const [cacheA, cacheB] = [a, b].map(
    (array, index) =>
      inputsImmutable && (inPlace & (1 << index)) !== 0 && cache.fits(array.byteLength + 32),
  ) as [boolean, boolean];
  const grown = cache.grow(
    Math.max(0, cacheA ? a.byteLength + 32 : 0, cacheB ? b.byteLength + 32 : 0),
  );
  const moved = arenaBytes > current.arenaBytes;
  if (moved) {
    current.pool?.quiesce(); // the arenas move, and the cache after them
    current.arenaBytes = Math.ceil(arenaBytes / PAGE_BYTES) * PAGE_BYTES;
    cache.clear();
  }
  if (grown || moved) {
    reserve(
      kernel.memory,
      DATA_START + slots * current.arenaBytes + CACHE_ENTRIES * cache.entryBytes,
    );
  }

  let threads = 2 * m * k * n < MIN_FLOPS_PER_THREAD ? 1 : effectiveThreads(current);
  current.pool?.grow(threads - 1);
  threads = Math.min(threads, (current.pool?.size ?? 0) + 1);
  const slot = current.pool?.nextSlot() ?? 0;
  const job = JOBS[slot]!;
  const arena = DATA_START + slot * current.arenaBytes;
  const entryOffset = (index: number) =>
    DATA_START + slots * current.arenaBytes + index * cache.entryBytes;
  /** Where `operand` is in the kernel's memory: its cache entry if cacheable, else `arenaOffset`. */
  const place = (operand: FloatArray, arenaOffset: number, cacheable: boolean): number => {
    if (!cacheable) {
      memoryView(kernel, out, arenaOffset, operand.length).set(operand);
      return arenaOffset;
    }
    const found = cache.find(operand);
    if (found !== undefined) return entryOffset(found);
    const offset = entryOffset(cache.take(operand));
    memoryView(kernel, out, offset, operand.length).set(operand);
    return offset;
  };
  const prepare = () => {
    kernel.exports.configure(
      job,
      elementBytes,
      m,
      k,
      n,
      transA,
      transB,
      place(a, arena, cacheA),
      place(b, arena + bOffset, cacheB),
      arena + cOffset,
      arena + scratchOffset,
      threads,
      bResident,
    );
  };
  if (current.pool === undefined) {
    prepare();
    kernel.exports.participate(job);
  } else {
    if (threads > 1) current.pool.wake();
    current.pool.run(threads, prepare);
  }
  current.lastCallThreads = kernel.exports.joinedThreads(job);
  out.set(memoryView(kernel, out, arena + cOffset, out.length));
}
