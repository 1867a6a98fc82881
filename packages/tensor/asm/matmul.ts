// Matrix product kernel of puregrad's CPU backend, compiled by AssemblyScript to WebAssembly with
// 128-bit SIMD (asm/build.mjs). c[m×n] = op(a)·op(b), float32 or float64, row-major, where op
// transposes a stored k×m or b stored n×k.
//
// The classic packed GEMM: op(a) is copied into panels of MR rows and op(b) into panels of NR
// columns, each laid out depth-major (element p of every row, then p + 1, ...), so that the
// micro-kernel reads both with unit stride whatever the operands' orientation; transposes cost
// only this O(mk + kn) packing, done with SIMD 4×4 (float64: 2×2) transposes. (op(b) stays in
// place when it is b itself and op(a) has few row tiles, see FEW_ROW_TILES and
// RESIDENT_B_MAX_ROW_TILES; else op(a) stays in place when it is a itself and op(b) has few
// panels, see DIRECT_A_MAX_PANELS.) The micro-kernel keeps an MR×NR tile of c in eight v128
// accumulators over the whole depth k and stores it once; a last row tile of fewer than MR rows
// gets a kernel of its own height, and a last column panel of at most NR/2 columns one of half
// the width.
//
// Threads: every participating thread calls `participate` on the same job in shared memory and
// takes work units with atomic counters: first packing units, then (after all are packed) tile
// units, each a block of row tiles × column panels. A tile is computed the same way whichever
// thread takes it, and the depth sum is never split, so results are bit-identical for any
// number of threads. A thread that finds no unit left to take redoes the units that others took
// but have not finished yet (it writes the very same bytes), so that a thread the OS has
// descheduled on a busy machine does not hold up the product.

const MR = 4; // rows of a micro-tile and of a panel of packed op(a)
// For a few row tiles of op(a) (the batch of a layer's forward pass, say) a tile unit spans all
// of them, so it alone uses its column panels of op(b) and packs them itself, right before use:
// they are still in cache, no thread waits for another's packing, and the work splits along n.
// A single row tile reads b in place when b is stored k×n (packing would copy each element to
// use it once).
const FEW_ROW_TILES = 4;
// b stored k×n is also read in place for up to this many row tiles when the caller has it in
// memory already (bResident): packing would first copy it in, which costs more than the in-place
// loop's strided reads save. Measured on a weight gradient (m×100)ᵀ·(100×3072) whose batch the
// forward product brought in, 1 and 2 threads: m = 50 1.10× and 1.24× faster, m = 128 even to
// 1.05×, m = 200 0.97× to 1.03×; without the batch in memory, in place is 4-7% slower.
const RESIDENT_B_MAX_ROW_TILES = 32;
// op(a) not transposed is read in place, unpacked, when its row tiles are used for at most this
// many column panels: each row of a tile is then one contiguous stream, and packing it (a pass
// over all of op(a)) cost more than it saved (measured: (100×3072)·(3072×50)ᵀ 1.07-1.09× and
// (1000×3072)·(3072×50)ᵀ 1.14-1.19× faster in place; about even at 16 panels, 0.98× at 32).
const DIRECT_A_MAX_PANELS = 16;
const SPINS_BEFORE_WAIT = 100_000; // about 100 µs of polling before sleeping

// Job descriptor: 1536 bytes at `job`, which the caller keeps free. Counters that threads bump
// concurrently get a 64-byte line each.
const PACK_NEXT: usize = 0;
const PACK_DONE: usize = 64;
const TILE_NEXT: usize = 128;
const TILE_DONE: usize = 192;
const TILES_JOINED: usize = 256;
const ELEMENT_BYTES: usize = 384;
const M: usize = 388;
const K: usize = 392;
const N: usize = 396;
const TRANS_A: usize = 400;
const TRANS_B: usize = 404;
const A: usize = 408;
const B: usize = 412;
const C: usize = 416;
const PACKED_A: usize = 420;
const PACKED_B: usize = 424;
const A_PACK_UNITS: usize = 428;
const ROW_TILES_PER_PACK_UNIT: usize = 432;
const PANELS_PER_PACK_UNIT: usize = 436;
const PACK_UNITS: usize = 440;
const ROW_TILES_PER_TILE_UNIT: usize = 444;
const PANELS_PER_TILE_UNIT: usize = 448;
const TILE_UNITS: usize = 452;
const DIRECT_B: usize = 456;
const B_PACKED_BY_TILE_UNITS: usize = 460;
const DIRECT_A: usize = 464;
// One byte per unit, pack units first: 1 once the unit is finished. Units are at most
// 3·MAX_SPLITS: MAX_SPLITS for each operand's packing and for the tiles.
const FINISHED: usize = 512; // the descriptor ends at byte FINISHED + 1024
const MAX_SPLITS = 256;

/** Columns of a panel of packed op(b): two v128 of the element type. */
function panelWidth(elementBytes: i32): i32 {
  return 32 / elementBytes;
}

function align64(bytes: i32): i32 {
  return (bytes + 63) & ~63;
}

function packedABytes(elementBytes: i32, m: i32, k: i32): i32 {
  return align64(((m + MR - 1) / MR) * MR * k * elementBytes);
}

// What `inPlaceOperands` returns: bits for the operands that the micro-kernel reads in place.
const A_IN_PLACE = 1;
const B_IN_PLACE = 2;

/**
 * Which operands of c[m×n] = op(a)·op(b) the micro-kernel reads in place rather than from packed
 * panels: A_IN_PLACE | B_IN_PLACE bits, given whether b is in memory already (`bResident`, so
 * that reading it in place saves copying it in). (A caller that has an operand in memory already
 * can then skip copying it in; one that is packed reads better from a fresh sequential copy.)
 */
export function inPlaceOperands(
  elementBytes: i32,
  m: i32,
  n: i32,
  transA: bool,
  transB: bool,
  bResident: bool,
): i32 {
  const nr = panelWidth(elementBytes);
  const rowTiles = (m + MR - 1) / MR;
  const maxRowTiles = bResident ? RESIDENT_B_MAX_ROW_TILES : FEW_ROW_TILES;
  if (!transB && rowTiles <= maxRowTiles) return B_IN_PLACE;
  return !transA && (n + nr - 1) / nr <= DIRECT_A_MAX_PANELS ? A_IN_PLACE : 0;
}

/** Bytes of scratch that `configure` needs for the packed panels of op(a) and op(b). */
export function scratchBytes(elementBytes: i32, m: i32, k: i32, n: i32): i32 {
  const nr = panelWidth(elementBytes);
  return packedABytes(elementBytes, m, k) + ((n + nr - 1) / nr) * nr * k * elementBytes;
}

/**
 * Describes c[m×n] = op(a)·op(b) to the threads. a, b and c are byte offsets of row-major
 * matrices (a is k×m if transA, b is n×k if transB); at least 32 readable bytes must follow b
 * (the micro-kernel may read, and then ignore, a partial panel's missing columns). `scratch` is
 * the offset of `scratchBytes` of scratch, 64-byte aligned. Sizes the work units for
 * `participants` threads; `bResident` as for `inPlaceOperands`. Must only be called while no
 * thread is inside `participate(job)`.
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
  c: usize,
  scratch: usize,
  participants: i32,
  bResident: bool,
): void {
  const nr = panelWidth(elementBytes);
  const panels = (n + nr - 1) / nr;
  const rowTiles = (m + MR - 1) / MR;
  // Units are taken dynamically, so several per thread even out unequal thread speeds; a lone
  // thread takes everything as one unit of each kind.
  const packSplits = participants === 1 ? 1 : min(4 * participants, MAX_SPLITS);
  const rowTilesPerPackUnit = (rowTiles + packSplits - 1) / packSplits;
  const panelsPerPackUnit = (panels + packSplits - 1) / packSplits;
  const fewRowTiles = rowTiles <= FEW_ROW_TILES;
  const inPlace = inPlaceOperands(elementBytes, m, n, transA, transB, bResident);
  const directA = (inPlace & A_IN_PLACE) !== 0;
  const directB = (inPlace & B_IN_PLACE) !== 0;
  const aPackUnits = directA ? 0 : (rowTiles + rowTilesPerPackUnit - 1) / rowTilesPerPackUnit;
  const bPackUnits =
    fewRowTiles || directB ? 0 : (panels + panelsPerPackUnit - 1) / panelsPerPackUnit;
  // Tile units: whole panels' columns of row tiles while there are many panels (always when
  // there are few row tiles), else panels split into runs of row tiles. Either way at most
  // about tileSplits units.
  const tileSplits = participants === 1 ? 1 : min(16 * participants, MAX_SPLITS);
  const panelsPerTileUnit = (panels + tileSplits - 1) / tileSplits;
  const rowSplits = fewRowTiles ? 1 : max(1, tileSplits / max(1, panels));
  const rowTilesPerTileUnit = max(1, (rowTiles + rowSplits - 1) / rowSplits);
  const tileUnits =
    ((panels + panelsPerTileUnit - 1) / panelsPerTileUnit) *
    ((rowTiles + rowTilesPerTileUnit - 1) / rowTilesPerTileUnit);
  store<i32>(job + ELEMENT_BYTES, elementBytes);
  store<i32>(job + M, m);
  store<i32>(job + K, k);
  store<i32>(job + N, n);
  store<i32>(job + TRANS_A, transA);
  store<i32>(job + TRANS_B, transB);
  store<u32>(job + A, a);
  store<u32>(job + B, b);
  store<u32>(job + C, c);
  store<u32>(job + PACKED_A, scratch);
  store<u32>(job + PACKED_B, scratch + packedABytes(elementBytes, m, k));
  store<i32>(job + A_PACK_UNITS, aPackUnits);
  store<i32>(job + ROW_TILES_PER_PACK_UNIT, rowTilesPerPackUnit);
  store<i32>(job + PANELS_PER_PACK_UNIT, panelsPerPackUnit);
  store<i32>(job + PACK_UNITS, aPackUnits + bPackUnits);
  store<i32>(job + DIRECT_B, directB);
  store<i32>(job + DIRECT_A, directA);
  store<i32>(job + B_PACKED_BY_TILE_UNITS, fewRowTiles && !directB);
  store<i32>(job + ROW_TILES_PER_TILE_UNIT, rowTilesPerTileUnit);
  store<i32>(job + PANELS_PER_TILE_UNIT, panelsPerTileUnit);
  store<i32>(job + TILE_UNITS, tileUnits);
  memory.fill(job + FINISHED, 0, aPackUnits + bPackUnits + tileUnits);
  atomic.store<i32>(job + PACK_NEXT, 0);
  atomic.store<i32>(job + PACK_DONE, 0);
  atomic.store<i32>(job + TILE_NEXT, 0);
  atomic.store<i32>(job + TILE_DONE, 0);
  atomic.store<i32>(job + TILES_JOINED, 0);
}

/** How many threads computed at least one tile unit of the job (read once it is complete). */
export function joinedThreads(job: usize): i32 {
  return atomic.load<i32>(job + TILES_JOINED);
}

/**
 * Works on the configured job until no unit is left, then waits for the other participants:
 * returns once every element of c is written. Any number of threads may call it at once.
 */
export function participate(job: usize): void {
  if (load<i32>(job + ELEMENT_BYTES) === 4) run<f32>(job);
  else run<f64>(job);
}

function run<T>(job: usize): void {
  const packUnits = load<i32>(job + PACK_UNITS);
  const tileUnits = load<i32>(job + TILE_UNITS);
  workOn<T>(job, false, PACK_NEXT, PACK_DONE, packUnits, 0);
  // A tile needs its whole row panel and column panel, whoever packed them.
  awaitCount(job + PACK_DONE, packUnits);
  workOn<T>(job, true, TILE_NEXT, TILE_DONE, tileUnits, packUnits);
  awaitCount(job + TILE_DONE, tileUnits);
}

/**
 * Does the units of one kind (tiles, or else packing), whose finished flags start at index
 * `firstFlag`: takes units from the counter at `next` while there are any, then redoes those
 * that others took but have not finished.
 */
function workOn<T>(
  job: usize,
  tiles: bool,
  next: usize,
  done: usize,
  total: i32,
  firstFlag: i32,
): void {
  let unit: i32;
  let took = false;
  while ((unit = atomic.add<i32>(job + next, 1)) < total) {
    if (tiles && !took) atomic.add<i32>(job + TILES_JOINED, 1);
    took = true;
    doUnit<T>(job, tiles, unit, firstFlag + unit, done, total);
  }
  for (unit = total - 1; unit >= 0 && atomic.load<i32>(job + done) < total; unit--) {
    if (!isFinished(job, firstFlag + unit))
      doUnit<T>(job, tiles, unit, firstFlag + unit, done, total);
  }
}

/** Does one unit, then marks it finished and counts it in `done` unless another thread did. */
function doUnit<T>(job: usize, tiles: bool, unit: i32, flag: i32, done: usize, total: i32): void {
  if (tiles) tileUnit<T>(job, unit, flag);
  else packUnit<T>(job, unit, flag);
  if (atomic.cmpxchg<u8>(job + FINISHED + <usize>flag, 0, 1) !== 0) return;
  if (atomic.add<i32>(job + done, 1) + 1 === total) atomic.notify(job + done);
}

function isFinished(job: usize, index: i32): bool {
  return atomic.load<u8>(job + FINISHED + <usize>index) !== 0;
}

/**
 * Blocks until the counter at `counter` reaches `target` (a thread alone never blocks). Polls
 * a little first: the others are usually one unit away, and waking from a wait costs tens of µs.
 */
function awaitCount(counter: usize, target: i32): void {
  for (let spin = 0; spin < SPINS_BEFORE_WAIT; spin++) {
    if (atomic.load<i32>(counter) >= target) return;
  }
  let count: i32;
  while ((count = atomic.load<i32>(counter)) < target) memory.atomic.wait32(counter, count, -1);
}

/**
 * Packs a run of row panels of op(a) (the first A_PACK_UNITS units) or column panels of op(b),
 * stopping early if another thread finishes the unit (raises its `flag`) first.
 */
function packUnit<T>(job: usize, unit: i32, flag: i32): void {
  const size = sizeof<T>();
  const k = load<i32>(job + K);
  const depthBytes = <usize>k * size;
  const aPackUnits = load<i32>(job + A_PACK_UNITS);
  if (unit < aPackUnits) {
    const m = load<i32>(job + M);
    const transA = load<i32>(job + TRANS_A) !== 0;
    const a = load<u32>(job + A) as usize;
    const perUnit = load<i32>(job + ROW_TILES_PER_PACK_UNIT);
    const endTile = min((unit + 1) * perUnit, (m + MR - 1) / MR);
    for (let tile = unit * perUnit; tile < endTile; tile++) {
      if (isFinished(job, flag)) return;
      const i0 = tile * MR;
      const destination = (load<u32>(job + PACKED_A) as usize) + <usize>tile * MR * depthBytes;
      // Row i of op(a) is column i of a stored k×m when transposed.
      if (transA)
        packPanel<T>(
          a + <usize>i0 * size,
          size,
          <usize>m * size,
          min(MR, m - i0),
          MR,
          k,
          destination,
        );
      else
        packPanel<T>(
          a + <usize>i0 * depthBytes,
          depthBytes,
          size,
          min(MR, m - i0),
          MR,
          k,
          destination,
        );
    }
  } else {
    const nr = panelWidth(<i32>size);
    const perUnit = load<i32>(job + PANELS_PER_PACK_UNIT);
    const firstPanel = (unit - aPackUnits) * perUnit;
    const endPanel = min(firstPanel + perUnit, (load<i32>(job + N) + nr - 1) / nr);
    for (let panel = firstPanel; panel < endPanel; panel++) {
      if (isFinished(job, flag)) return;
      packColumnPanel<T>(job, panel);
    }
  }
}

/** Packs column panel `panel` of op(b) into its place in PACKED_B. */
function packColumnPanel<T>(job: usize, panel: i32): void {
  const size = sizeof<T>();
  const k = load<i32>(job + K);
  const depthBytes = <usize>k * size;
  const n = load<i32>(job + N);
  const transB = load<i32>(job + TRANS_B) !== 0;
  const b = load<u32>(job + B) as usize;
  const nr = panelWidth(<i32>size);
  const j0 = panel * nr;
  const destination = (load<u32>(job + PACKED_B) as usize) + <usize>(panel * nr) * depthBytes;
  // Column j of op(b) is row j of b stored n×k when transposed.
  if (transB)
    packPanel<T>(b + <usize>j0 * depthBytes, depthBytes, size, min(nr, n - j0), nr, k, destination);
  else
    packPanel<T>(b + <usize>j0 * size, size, <usize>n * size, min(nr, n - j0), nr, k, destination);
}

/**
 * Copies `lines` lines of a matrix (line l, depth p at source + l·lineStride + p·depthStride)
 * into destination[p][l] for p < k, l < width, zero-filling lines past `lines`. Full panels use
 * v128 copies when lines are contiguous at each depth and SIMD transposes when each line is
 * contiguous along the depth.
 */
function packPanel<T>(
  source: usize,
  lineStride: usize,
  depthStride: usize,
  lines: i32,
  width: i32,
  k: i32,
  destination: usize,
): void {
  const size = sizeof<T>();
  const rowBytes = <usize>width * size;
  if (lines === width && lineStride === size) {
    for (let p = 0; p < k; p++) {
      for (let offset: usize = 0; offset < rowBytes; offset += 16) {
        v128.store(destination + offset, v128.load(source + offset));
      }
      source += depthStride;
      destination += rowBytes;
    }
  } else if (lines === width && depthStride === size) {
    const lanes = 16 / <i32>size;
    let p = 0;
    for (; p + lanes <= k; p += lanes) {
      for (let line = 0; line < width; line += lanes) {
        transposeBlock<T>(
          source + <usize>line * lineStride + <usize>p * size,
          lineStride,
          destination + <usize>p * rowBytes + <usize>line * size,
          rowBytes,
        );
      }
    }
    packScalar<T>(source + <usize>p * size, lineStride, size, lines, width, p, k, destination);
  } else {
    packScalar<T>(source, lineStride, depthStride, lines, width, 0, k, destination);
  }
}

/** packPanel element by element, for depths [from, k). */
function packScalar<T>(
  source: usize,
  lineStride: usize,
  depthStride: usize,
  lines: i32,
  width: i32,
  from: i32,
  k: i32,
  destination: usize,
): void {
  const size = sizeof<T>();
  for (let p = from; p < k; p++) {
    const row = destination + <usize>(p * width) * size;
    for (let line = 0; line < width; line++) {
      const value: T = line < lines ? load<T>(source + <usize>line * lineStride) : <T>0;
      store<T>(row + <usize>line * size, value);
    }
    source += depthStride;
  }
}

/** Transposes the square block of one v128 per line (4×4 float32, 2×2 float64). */
function transposeBlock<T>(
  source: usize,
  sourceStride: usize,
  destination: usize,
  destinationStride: usize,
): void {
  if (sizeof<T>() === 4) {
    const r0 = v128.load(source);
    const r1 = v128.load(source + sourceStride);
    const r2 = v128.load(source + 2 * sourceStride);
    const r3 = v128.load(source + 3 * sourceStride);
    const low01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
    const low23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
    const high01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
    const high23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
    v128.store(destination, v128.shuffle<i64>(low01, low23, 0, 2));
    v128.store(destination + destinationStride, v128.shuffle<i64>(low01, low23, 1, 3));
    v128.store(destination + 2 * destinationStride, v128.shuffle<i64>(high01, high23, 0, 2));
    v128.store(destination + 3 * destinationStride, v128.shuffle<i64>(high01, high23, 1, 3));
  } else {
    const r0 = v128.load(source);
    const r1 = v128.load(source + sourceStride);
    v128.store(destination, v128.shuffle<f64>(r0, r1, 0, 2));
    v128.store(destination + destinationStride, v128.shuffle<f64>(r0, r1, 1, 3));
  }
}

/**
 * Computes the micro-tiles of a block of row tiles × column panels, stopping early if another
 * thread finishes the unit (raises its `flag`) first.
 */
function tileUnit<T>(job: usize, unit: i32, flag: i32): void {
  const size = sizeof<T>();
  const nr = panelWidth(<i32>size);
  const m = load<i32>(job + M);
  const k = load<i32>(job + K);
  const n = load<i32>(job + N);
  const rowTilesPerUnit = load<i32>(job + ROW_TILES_PER_TILE_UNIT);
  const panelsPerUnit = load<i32>(job + PANELS_PER_TILE_UNIT);
  const rowTiles = (m + MR - 1) / MR;
  const rowUnits = (rowTiles + rowTilesPerUnit - 1) / rowTilesPerUnit;
  const firstPanel = (unit / rowUnits) * panelsPerUnit;
  const endPanel = min(firstPanel + panelsPerUnit, (n + nr - 1) / nr);
  const firstTile = (unit % rowUnits) * rowTilesPerUnit;
  const endTile = min(firstTile + rowTilesPerUnit, rowTiles);
  const depthBytes = <usize>k * size;
  const directB = load<i32>(job + DIRECT_B) !== 0;
  const packsB = load<i32>(job + B_PACKED_BY_TILE_UNITS) !== 0;
  const directA = load<i32>(job + DIRECT_A) !== 0;
  const aStart = directA ? (load<u32>(job + A) as usize) : (load<u32>(job + PACKED_A) as usize);
  const c = load<u32>(job + C) as usize;
  for (let panel = firstPanel; panel < endPanel; panel++) {
    if (packsB) {
      if (isFinished(job, flag)) return;
      packColumnPanel<T>(job, panel);
    }
    const j0 = panel * nr;
    const bPanel = directB
      ? (load<u32>(job + B) as usize) + <usize>j0 * size
      : (load<u32>(job + PACKED_B) as usize) + <usize>j0 * depthBytes;
    for (let tile = firstTile; tile < endTile; tile++) {
      if (isFinished(job, flag)) return;
      const i0 = tile * MR;
      microTile<T>(
        aStart + <usize>i0 * depthBytes,
        directA ? depthBytes : 0,
        bPanel,
        directB ? <usize>n * size : 32,
        k,
        c + (<usize>i0 * <usize>n + <usize>j0) * size,
        <usize>n * size,
        min(MR, m - i0),
        min(nr, n - j0),
      );
    }
  }
}

/**
 * c[r][j] = Σ_p a[p][r]·b[p][j] for r < rows, j < cols, from a packed row panel a (k×MR), or
 * rows of op(a) in place aRowStride bytes apart (aRowStride ≠ 0), and a column panel b (k×NR):
 * the register-blocked core, MR×NR sums in eight v128 accumulators. A
 * last row tile of fewer than MR rows gets a kernel of its own height, so that it does not
 * compute (and load) the padding rows: 10 rows cost 4 + 4 + 2 rows of work, not 12.
 */
function microTile<T>(
  a: usize,
  aRowStride: usize,
  b: usize,
  bStride: usize,
  k: i32,
  c: usize,
  rowBytes: usize,
  rows: i32,
  cols: i32,
): void {
  if (cols > panelWidth(<i32>sizeof<T>()) / 2) {
    inline.always(microTileOfWidth<T, Wide>(a, aRowStride, b, bStride, k, c, rowBytes, rows, cols));
  } else {
    inline.always(
      microTileOfWidth<T, Narrow>(a, aRowStride, b, bStride, k, c, rowBytes, rows, cols),
    );
  }
}

// Type arguments W of the micro-kernels: both v128 columns of a panel (Wide) or only the first
// (Narrow). A type, not a boolean argument, so that the compiler emits two loops: with a
// boolean, binaryen merged them into one that tests the flag at every step (12% slower).
type Wide = u16;
type Narrow = u8;

/**
 * microTile with both v128 columns of the panel (W = Wide) or only the first (Narrow), for a
 * last panel of at most NR/2 columns: 50 columns cost 48 + 4 columns of work, not 56.
 */
function microTileOfWidth<T, W>(
  a: usize,
  aRowStride: usize,
  b: usize,
  bStride: usize,
  k: i32,
  c: usize,
  rowBytes: usize,
  rows: i32,
  cols: i32,
): void {
  if (rows >= MR) {
    inline.always(microTileOfShape<T, W>(a, aRowStride, b, bStride, k, c, rowBytes, MR, cols));
  } else if (rows === 3) {
    inline.always(microTileOfShape<T, W>(a, aRowStride, b, bStride, k, c, rowBytes, 3, cols));
  } else if (rows === 2) {
    inline.always(microTileOfShape<T, W>(a, aRowStride, b, bStride, k, c, rowBytes, 2, cols));
  } else {
    inline.always(microTileOfShape<T, W>(a, aRowStride, b, bStride, k, c, rowBytes, 1, cols));
  }
}

/**
 * microTile for exactly `rows` rows (1 to MR) and W's width. Inlined at each call with a
 * constant `rows`, so that the optimizer drops the accumulators and loads of the missing rows
 * and columns: one source for the eight kernels. Each element's sum is the same operations in
 * the same order whatever the tile's shape.
 */
function microTileOfShape<T, W>(
  a: usize,
  aRowStride: usize,
  b: usize,
  bStride: usize,
  k: i32,
  c: usize,
  rowBytes: usize,
  rows: i32,
  cols: i32,
): void {
  const size = sizeof<T>();
  let c00 = v128.splat<T>(0);
  let c01 = c00;
  let c10 = c00;
  let c11 = c00;
  let c20 = c00;
  let c21 = c00;
  let c30 = c00;
  let c31 = c00;
  const end = a + <usize>k * MR * size;
  // The same loop three times: op(a) in place (aRowStride ≠ 0) with op(b) packed, and op(a)
  // packed with op(b) packed or in place. With a constant stride for packed panels, V8 keeps one
  // more register free in the loop (measured 7-10% faster) than with the run-time stride b needs
  // in place.
  if (aRowStride !== 0) {
    // op(a) read in place: row r at a + r·aRowStride, element p at + p·size.
    const a1 = a + aRowStride;
    const a2 = a1 + aRowStride;
    const a3 = a2 + aRowStride;
    const depthEnd = <usize>k * size;
    for (let p: usize = 0; p < depthEnd; p += size) {
      const b0 = v128.load(b);
      const b1 = sizeof<W>() === sizeof<Wide>() ? v128.load(b, 16) : b0;
      const x0 = v128.load_splat<T>(a + p);
      c00 = madd<T>(x0, b0, c00);
      if (sizeof<W>() === sizeof<Wide>()) c01 = madd<T>(x0, b1, c01);
      if (rows > 1) {
        const x1 = v128.load_splat<T>(a1 + p);
        c10 = madd<T>(x1, b0, c10);
        if (sizeof<W>() === sizeof<Wide>()) c11 = madd<T>(x1, b1, c11);
      }
      if (rows > 2) {
        const x2 = v128.load_splat<T>(a2 + p);
        c20 = madd<T>(x2, b0, c20);
        if (sizeof<W>() === sizeof<Wide>()) c21 = madd<T>(x2, b1, c21);
      }
      if (rows > 3) {
        const x3 = v128.load_splat<T>(a3 + p);
        c30 = madd<T>(x3, b0, c30);
        if (sizeof<W>() === sizeof<Wide>()) c31 = madd<T>(x3, b1, c31);
      }
      b += 32;
    }
  } else if (bStride === 32) {
    while (a < end) {
      const b0 = v128.load(b);
      const b1 = sizeof<W>() === sizeof<Wide>() ? v128.load(b, 16) : b0;
      const a0 = v128.load_splat<T>(a);
      c00 = madd<T>(a0, b0, c00);
      if (sizeof<W>() === sizeof<Wide>()) c01 = madd<T>(a0, b1, c01);
      if (rows > 1) {
        const a1 = v128.load_splat<T>(a, size);
        c10 = madd<T>(a1, b0, c10);
        if (sizeof<W>() === sizeof<Wide>()) c11 = madd<T>(a1, b1, c11);
      }
      if (rows > 2) {
        const a2 = v128.load_splat<T>(a, 2 * size);
        c20 = madd<T>(a2, b0, c20);
        if (sizeof<W>() === sizeof<Wide>()) c21 = madd<T>(a2, b1, c21);
      }
      if (rows > 3) {
        const a3 = v128.load_splat<T>(a, 3 * size);
        c30 = madd<T>(a3, b0, c30);
        if (sizeof<W>() === sizeof<Wide>()) c31 = madd<T>(a3, b1, c31);
      }
      a += <usize>MR * size;
      b += 32;
    }
  } else {
    while (a < end) {
      const b0 = v128.load(b);
      const b1 = sizeof<W>() === sizeof<Wide>() ? v128.load(b, 16) : b0;
      const a0 = v128.load_splat<T>(a);
      c00 = madd<T>(a0, b0, c00);
      if (sizeof<W>() === sizeof<Wide>()) c01 = madd<T>(a0, b1, c01);
      if (rows > 1) {
        const a1 = v128.load_splat<T>(a, size);
        c10 = madd<T>(a1, b0, c10);
        if (sizeof<W>() === sizeof<Wide>()) c11 = madd<T>(a1, b1, c11);
      }
      if (rows > 2) {
        const a2 = v128.load_splat<T>(a, 2 * size);
        c20 = madd<T>(a2, b0, c20);
        if (sizeof<W>() === sizeof<Wide>()) c21 = madd<T>(a2, b1, c21);
      }
      if (rows > 3) {
        const a3 = v128.load_splat<T>(a, 3 * size);
        c30 = madd<T>(a3, b0, c30);
        if (sizeof<W>() === sizeof<Wide>()) c31 = madd<T>(a3, b1, c31);
      }
      a += <usize>MR * size;
      b += bStride;
    }
  }
  storeRow<T>(c, c00, c01, cols);
  if (rows > 1) storeRow<T>(c + rowBytes, c10, c11, cols);
  if (rows > 2) storeRow<T>(c + 2 * rowBytes, c20, c21, cols);
  if (rows > 3) storeRow<T>(c + 3 * rowBytes, c30, c31, cols);
}

/**
 * c + a·b, lane by lane: rounded twice (a product, then a sum), or where the kernel is built with
 * relaxed SIMD (the opt-in fused multiply-add build, asm/build.mjs) `relaxed_madd`, which the
 * CPU may fuse into one rounding. Small enough for the optimizer to inline everywhere.
 */
function madd<T>(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return sizeof<T>() === 4 ? f32x4.relaxed_madd(a, b, c) : f64x2.relaxed_madd(a, b, c);
  }
  return v128.add<T>(c, v128.mul<T>(a, b));
}

/** Stores the first `cols` (≤ NR) elements of the row held in (low, high). */
function storeRow<T>(c: usize, low: v128, high: v128, cols: i32): void {
  if (cols === panelWidth(<i32>sizeof<T>())) {
    v128.store(c, low);
    v128.store(c, high, 16);
  } else if (sizeof<T>() === 4) {
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
