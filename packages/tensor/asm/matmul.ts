// Matrix multiply kernel for puregrad's CPU backend, compiled by AssemblyScript to WebAssembly
// with 128-bit SIMD. See ../src/wasm/README.md for the algorithm and the threading protocol.

const MR = 4; // rows of one micro-tile
const SPINS_BEFORE_WAIT = 100_000; // roughly 100 µs of polling

// Job descriptor: a block of JOB_BYTES in the shared memory, written by `configure` while no
// thread works on it and read by every thread in `participate`. Counters that threads bump
// concurrently sit on their own 64-byte cache lines so that they do not false-share.
// Bytes 0..63 are reserved for the JavaScript side's protocol (src/wasm/pool.ts).
const PACK_NEXT: usize = 64;
const PACK_DONE: usize = 128;
const TILE_NEXT: usize = 192;
const TILE_DONE: usize = 256;
const TILES_JOINED: usize = 384;
const ELEMENT_BYTES: usize = 320;
const M: usize = 324;
const K: usize = 328;
const N: usize = 332;
const TRANS_A: usize = 336;
const TRANS_B: usize = 340;
const A_PTR: usize = 344;
const B_PTR: usize = 348;
const PACKED_B_PTR: usize = 352;
const C_PTR: usize = 356;
const PANELS_PER_PACK_UNIT: usize = 360;
const ROW_TILES_PER_UNIT: usize = 364;
const PACK_UNITS: usize = 368;
const TILE_UNITS: usize = 372;

// The descriptor ends at byte 448 (JOB_BYTES below); the caller keeps that much free at `job`.

/** Columns in a panel of packed b: two v128 registers of T. */
// @ts-expect-error: decorator
function panelWidth(elementBytes: i32): i32 {
  return 32 / elementBytes;
}

/** Bytes of scratch that `configure` needs for the packed panels of op(b) (k×n). */
export function packedBBytes(elementBytes: i32, k: i32, n: i32): i32 {
  const nr = panelWidth(elementBytes);
  return ((n + nr - 1) / nr) * nr * k * elementBytes;
}

/**
 * Describes the product c[m×n] = op(a)·op(b) to the threads: a, b, c are byte offsets of
 * row-major matrices in memory (a is k×m if transA, b is n×k if transB) and `packedB` the offset
 * of `packedBBytes` of scratch. Splits the work into units for `participants` threads. Must only
 * be called while no thread is inside `participate(job)`.
 */
export function configure(
  job: usize,
  elementBytes: i32,
  m: i32,
  k: i32,
  n: i32,
  transA: bool,
  transB: bool,
  a: usize,
  b: usize,
  packedB: usize,
  c: usize,
  participants: i32,
): void {
  const nr = panelWidth(elementBytes);
  const panels = (n + nr - 1) / nr;
  const rowTiles = (m + MR - 1) / MR;
  // Units are taken dynamically, so several per thread absorb uneven thread speeds; a lone
  // thread takes one unit per panel.
  const panelsPerPackUnit = max(1, panels / (4 * participants));
  const splitsPerPanel = participants === 1 ? 1 : (16 * participants + panels - 1) / panels;
  const rowTilesPerUnit = max(1, (rowTiles + splitsPerPanel - 1) / splitsPerPanel);
  store<i32>(job + ELEMENT_BYTES, elementBytes);
  store<i32>(job + M, m);
  store<i32>(job + K, k);
  store<i32>(job + N, n);
  store<i32>(job + TRANS_A, transA);
  store<i32>(job + TRANS_B, transB);
  store<u32>(job + A_PTR, a);
  store<u32>(job + B_PTR, b);
  store<u32>(job + PACKED_B_PTR, packedB);
  store<u32>(job + C_PTR, c);
  store<i32>(job + PANELS_PER_PACK_UNIT, panelsPerPackUnit);
  store<i32>(job + ROW_TILES_PER_UNIT, rowTilesPerUnit);
  store<i32>(job + PACK_UNITS, (panels + panelsPerPackUnit - 1) / panelsPerPackUnit);
  store<i32>(job + TILE_UNITS, panels * ((rowTiles + rowTilesPerUnit - 1) / rowTilesPerUnit));
  atomic.store<i32>(job + PACK_NEXT, 0);
  atomic.store<i32>(job + PACK_DONE, 0);
  atomic.store<i32>(job + TILE_NEXT, 0);
  atomic.store<i32>(job + TILE_DONE, 0);
  atomic.store<i32>(job + TILES_JOINED, 0);
}

/** How many threads computed at least one tile unit of the job (once it is complete). */
export function joinedThreads(job: usize): i32 {
  return atomic.load<i32>(job + TILES_JOINED);
}

/**
 * Works on the configured job until no unit is left to take: first packs panels of b, then, once
 * every panel is packed, computes tiles of c. Any number of threads may call this at once; each
 * unit is computed the same way whoever takes it, so the result does not depend on the number
 * of threads. Returns once every tile of c is written.
 */
export function participate(job: usize): void {
  if (load<i32>(job + ELEMENT_BYTES) === 4) run<f32>(job);
  else run<f64>(job);
}

// @ts-expect-error: decorator
function run<T>(job: usize): void {
  const packUnits = load<i32>(job + PACK_UNITS);
  let unit: i32;
  while ((unit = atomic.add<i32>(job + PACK_NEXT, 1)) < packUnits) {
    packUnit<T>(job, unit);
    if (atomic.add<i32>(job + PACK_DONE, 1) + 1 === packUnits) atomic.notify(job + PACK_DONE);
  }
  // Every tile needs its whole panel of b, and panels are packed by whoever took them.
  awaitCount(job + PACK_DONE, packUnits);
  const units = load<i32>(job + TILE_UNITS);
  let joined = false;
  while ((unit = atomic.add<i32>(job + TILE_NEXT, 1)) < units) {
    if (!joined) atomic.add<i32>(job + TILES_JOINED, 1);
    joined = true;
    tileUnit<T>(job, unit);
    if (atomic.add<i32>(job + TILE_DONE, 1) + 1 === units) atomic.notify(job + TILE_DONE);
  }
  awaitCount(job + TILE_DONE, units);
}

/**
 * Blocks until the counter at `counter` reaches `target` (a thread alone never blocks). Spins a
 * little first: the others are usually one unit away, and waking from a wait costs tens of µs.
 */
// @ts-expect-error: decorator
function awaitCount(counter: usize, target: i32): void {
  let count: i32;
  for (let spin = 0; spin < SPINS_BEFORE_WAIT; spin++) {
    if (atomic.load<i32>(counter) >= target) return;
  }
  while ((count = atomic.load<i32>(counter)) < target) memory.atomic.wait32(counter, count, -1);
}

/** Packs panels of NR columns of op(b) into packedB, each k×NR row-major, zero-padded. */
// @ts-expect-error: decorator
function packUnit<T>(job: usize, unit: i32): void {
  const nr = panelWidth(sizeof<T>());
  const k = load<i32>(job + K);
  const n = load<i32>(job + N);
  const transB = load<i32>(job + TRANS_B) !== 0;
  const b = load<u32>(job + B_PTR) as usize;
  const packedB = load<u32>(job + PACKED_B_PTR) as usize;
  const perUnit = load<i32>(job + PANELS_PER_PACK_UNIT);
  const panels = (n + nr - 1) / nr;
  const firstPanel = unit * perUnit;
  const endPanel = min(firstPanel + perUnit, panels);
  const size = sizeof<T>();
  for (let panel = firstPanel; panel < endPanel; panel++) {
    const j0 = panel * nr;
    const cols = min(nr, n - j0);
    let dst = packedB + <usize>panel * <usize>k * <usize>nr * size;
    if (!transB) {
      // op(b)[p][j] = b[p*n + j]
      let src = b + <usize>j0 * size;
      const srcStride = <usize>n * size;
      if (cols === nr) {
        for (let p = 0; p < k; p++) {
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          src += srcStride;
          dst += 32;
        }
      } else {
        for (let p = 0; p < k; p++) {
          for (let j = 0; j < nr; j++) {
            store<T>(dst + <usize>j * size, j < cols ? load<T>(src + <usize>j * size) : 0);
          }
          src += srcStride;
          dst += 32;
        }
      }
    } else {
      // op(b)[p][j] = b[j*k + p]
      const src = b + <usize>j0 * <usize>k * size;
      for (let p = 0; p < k; p++) {
        for (let j = 0; j < nr; j++) {
          store<T>(
            dst + <usize>j * size,
            j < cols ? load<T>(src + (<usize>j * <usize>k + <usize>p) * size) : 0,
          );
        }
        dst += 32;
      }
    }
  }
}

/** Computes the micro-tiles of one panel of c for a run of row tiles. */
// @ts-expect-error: decorator
function tileUnit<T>(job: usize, unit: i32): void {
  const nr = panelWidth(sizeof<T>());
  const m = load<i32>(job + M);
  const k = load<i32>(job + K);
  const n = load<i32>(job + N);
  const transA = load<i32>(job + TRANS_A) !== 0;
  const a = load<u32>(job + A_PTR) as usize;
  const packedB = load<u32>(job + PACKED_B_PTR) as usize;
  const c = load<u32>(job + C_PTR) as usize;
  const perUnit = load<i32>(job + ROW_TILES_PER_UNIT);
  const rowTiles = (m + MR - 1) / MR;
  const unitsPerPanel = (rowTiles + perUnit - 1) / perUnit;
  const panel = unit / unitsPerPanel;
  const firstTile = (unit % unitsPerPanel) * perUnit;
  const endTile = min(firstTile + perUnit, rowTiles);
  const size = sizeof<T>();
  const j0 = panel * nr;
  const cols = min(nr, n - j0);
  const bPanel = packedB + <usize>panel * <usize>k * <usize>nr * size;
  // Element (i, p) of op(a) lies at a + i*rowStride + p*depthStride.
  const rowStride: usize = transA ? size : <usize>k * size;
  const depthStride: usize = transA ? <usize>m * size : size;
  for (let tile = firstTile; tile < endTile; tile++) {
    const i0 = tile * MR;
    const rows = min(MR, m - i0);
    const a0 = a + <usize>i0 * rowStride;
    microTile<T>(
      a0,
      // Rows past the end of a repeat the last row; their results are not stored.
      a0 + <usize>min(1, rows - 1) * rowStride,
      a0 + <usize>min(2, rows - 1) * rowStride,
      a0 + <usize>min(3, rows - 1) * rowStride,
      depthStride,
      bPanel,
      k,
      c + (<usize>i0 * <usize>n + <usize>j0) * size,
      <usize>n * size,
      rows,
      cols,
    );
  }
}

/**
 * c[r][0..cols) = sum over p of a_r[p] * bPanel[p][0..cols) for the MR rows a_0..a_3: the
 * register-blocked core, MR×NR accumulators in eight v128 locals.
 */
// @ts-expect-error: decorator
function microTile<T>(
  a0: usize,
  a1: usize,
  a2: usize,
  a3: usize,
  depthStride: usize,
  b: usize,
  k: i32,
  c: usize,
  rowBytes: usize,
  rows: i32,
  cols: i32,
): void {
  let c00 = v128.splat<T>(0);
  let c01 = c00;
  let c10 = c00;
  let c11 = c00;
  let c20 = c00;
  let c21 = c00;
  let c30 = c00;
  let c31 = c00;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const x0 = v128.load_splat<T>(a0);
    c00 = v128.add<T>(c00, v128.mul<T>(x0, b0));
    c01 = v128.add<T>(c01, v128.mul<T>(x0, b1));
    const x1 = v128.load_splat<T>(a1);
    c10 = v128.add<T>(c10, v128.mul<T>(x1, b0));
    c11 = v128.add<T>(c11, v128.mul<T>(x1, b1));
    const x2 = v128.load_splat<T>(a2);
    c20 = v128.add<T>(c20, v128.mul<T>(x2, b0));
    c21 = v128.add<T>(c21, v128.mul<T>(x2, b1));
    const x3 = v128.load_splat<T>(a3);
    c30 = v128.add<T>(c30, v128.mul<T>(x3, b0));
    c31 = v128.add<T>(c31, v128.mul<T>(x3, b1));
    a0 += depthStride;
    a1 += depthStride;
    a2 += depthStride;
    a3 += depthStride;
    b += 32;
  }
  const nr = panelWidth(sizeof<T>());
  if (cols === nr) {
    v128.store(c, c00);
    v128.store(c, c01, 16);
    if (rows > 1) {
      v128.store(c + rowBytes, c10);
      v128.store(c + rowBytes, c11, 16);
    }
    if (rows > 2) {
      v128.store(c + 2 * rowBytes, c20);
      v128.store(c + 2 * rowBytes, c21, 16);
    }
    if (rows > 3) {
      v128.store(c + 3 * rowBytes, c30);
      v128.store(c + 3 * rowBytes, c31, 16);
    }
  } else {
    storePartialRow<T>(c, c00, c01, cols);
    if (rows > 1) storePartialRow<T>(c + rowBytes, c10, c11, cols);
    if (rows > 2) storePartialRow<T>(c + 2 * rowBytes, c20, c21, cols);
    if (rows > 3) storePartialRow<T>(c + 3 * rowBytes, c30, c31, cols);
  }
}

/** Stores the first `cols` (< NR) lanes of the row held in (low, high). */
// @ts-expect-error: decorator
function storePartialRow<T>(c: usize, low: v128, high: v128, cols: i32): void {
  const size = sizeof<T>();
  if (size === 4) {
    if (cols > 0) store<f32>(c, v128.extract_lane<f32>(low, 0));
    if (cols > 1) store<f32>(c, v128.extract_lane<f32>(low, 1), 4);
    if (cols > 2) store<f32>(c, v128.extract_lane<f32>(low, 2), 8);
    if (cols > 3) store<f32>(c, v128.extract_lane<f32>(low, 3), 12);
    if (cols > 4) store<f32>(c, v128.extract_lane<f32>(high, 0), 16);
    if (cols > 5) store<f32>(c, v128.extract_lane<f32>(high, 1), 20);
    if (cols > 6) store<f32>(c, v128.extract_lane<f32>(high, 2), 24);
  } else {
    if (cols > 0) store<f64>(c, v128.extract_lane<f64>(low, 0));
    if (cols > 1) store<f64>(c, v128.extract_lane<f64>(low, 1), 8);
    if (cols > 2) store<f64>(c, v128.extract_lane<f64>(high, 0), 16);
  }
}
