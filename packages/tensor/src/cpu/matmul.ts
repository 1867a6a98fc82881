import type { FloatArray } from "../dtype";

/**
 * `out ← op(a) · op(b)` where `op(a)` is `[m, k]` and `op(b)` is `[k, n]`, all row-major.
 * With `transposeA`, `a` is stored `[k, m]`; with `transposeB`, `b` is stored `[n, k]`.
 * `out` (`[m, n]`) is overwritten. This single function is what a faster kernel (WASM SIMD)
 * replaces: see `createCpuBackend({ matmul })`.
 */
export type MatmulKernel = (
  a: FloatArray,
  b: FloatArray,
  out: FloatArray,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
) => void;

// Register tile (MR × NR accumulators), and cache blocks: a packed KC × MC block of A stays in
// L2 while KC × NR slivers of packed B stream through L1.
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 64;
const NC = 2048;

/**
 * Copies `lanes` × `depth` elements of a matrix, element (lane, p) at
 * `source[(lane0 + lane)·laneStride + (p0 + p)·depthStride]`, into `width`-lane panels laid
 * out depth-major (`packed[panel·depth·width + p·width + lane]`), zero-padding the last panel.
 * Both operands and both orientations pack through this, so the micro-kernel always reads
 * sequentially.
 */
function pack(
  source: FloatArray,
  packed: Float64Array,
  width: number,
  laneStride: number,
  depthStride: number,
  lane0: number,
  lanes: number,
  p0: number,
  depth: number,
): void {
  for (let panel = 0; panel * width < lanes; panel++) {
    const used = Math.min(width, lanes - panel * width);
    const first = (lane0 + panel * width) * laneStride + p0 * depthStride;
    let target = panel * depth * width;
    for (let p = 0; p < depth; p++) {
      const start = first + p * depthStride;
      for (let lane = 0; lane < width; lane++, target++) {
        packed[target] = lane < used ? source[start + lane * laneStride] : 0;
      }
    }
  }
}

/** Scratch for the partial tiles at the bottom and right edges (no allocation per call). */
const edgeTile = new Float64Array(MR * NR);

/** Adds the MR × NR product of one packed A panel and one packed B panel into `c`. */
function microKernel(
  depth: number,
  ap: Float64Array,
  ai: number,
  bp: Float64Array,
  bi: number,
  c: Float64Array,
  ci: number,
  ldc: number,
  rows: number,
  cols: number,
): void {
  let c00 = 0;
  let c01 = 0;
  let c02 = 0;
  let c03 = 0;
  let c10 = 0;
  let c11 = 0;
  let c12 = 0;
  let c13 = 0;
  let c20 = 0;
  let c21 = 0;
  let c22 = 0;
  let c23 = 0;
  let c30 = 0;
  let c31 = 0;
  let c32 = 0;
  let c33 = 0;
  for (let p = 0; p < depth; p++, ai += MR, bi += NR) {
    const a0 = ap[ai];
    const a1 = ap[ai + 1];
    const a2 = ap[ai + 2];
    const a3 = ap[ai + 3];
    const b0 = bp[bi];
    const b1 = bp[bi + 1];
    const b2 = bp[bi + 2];
    const b3 = bp[bi + 3];
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
  }
  if (rows === MR && cols === NR) {
    c[ci] += c00;
    c[ci + 1] += c01;
    c[ci + 2] += c02;
    c[ci + 3] += c03;
    ci += ldc;
    c[ci] += c10;
    c[ci + 1] += c11;
    c[ci + 2] += c12;
    c[ci + 3] += c13;
    ci += ldc;
    c[ci] += c20;
    c[ci + 1] += c21;
    c[ci + 2] += c22;
    c[ci + 3] += c23;
    ci += ldc;
    c[ci] += c30;
    c[ci + 1] += c31;
    c[ci + 2] += c32;
    c[ci + 3] += c33;
    return;
  }
  const tile = edgeTile;
  tile[0] = c00;
  tile[1] = c01;
  tile[2] = c02;
  tile[3] = c03;
  tile[4] = c10;
  tile[5] = c11;
  tile[6] = c12;
  tile[7] = c13;
  tile[8] = c20;
  tile[9] = c21;
  tile[10] = c22;
  tile[11] = c23;
  tile[12] = c30;
  tile[13] = c31;
  tile[14] = c32;
  tile[15] = c33;
  for (let ii = 0; ii < rows; ii++) {
    for (let jj = 0; jj < cols; jj++) c[ci + ii * ldc + jj] += tile[ii * NR + jj];
  }
}

/**
 * Cache-blocked matmul in the GotoBLAS arrangement: pack a block of op(b), then blocks of
 * op(a), and sweep a 4×4 register tile over them. Packing absorbs both transposes, so the four
 * variants run the same inner loop. Products accumulate in float64 (a float32 result is
 * rounded once at the end).
 */
export const blockedMatmul: MatmulKernel = (a, b, out, m, k, n, transposeA, transposeB) => {
  const c = out instanceof Float64Array ? out : new Float64Array(m * n);
  c.fill(0);
  const packedA = new Float64Array(Math.min(MC, m + MR) * Math.min(KC, k) + MR * KC);
  const packedB = new Float64Array(Math.min(NC, n + NR) * Math.min(KC, k) + NR * KC);
  for (let col0 = 0; col0 < n; col0 += NC) {
    const cols = Math.min(NC, n - col0);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const depth = Math.min(KC, k - p0);
      pack(b, packedB, NR, transposeB ? k : 1, transposeB ? 1 : n, col0, cols, p0, depth);
      for (let row0 = 0; row0 < m; row0 += MC) {
        const rows = Math.min(MC, m - row0);
        pack(a, packedA, MR, transposeA ? 1 : k, transposeA ? m : 1, row0, rows, p0, depth);
        for (let jp = 0; jp * NR < cols; jp++) {
          const panelCols = Math.min(NR, cols - jp * NR);
          for (let ip = 0; ip * MR < rows; ip++) {
            microKernel(
              depth,
              packedA,
              ip * depth * MR,
              packedB,
              jp * depth * NR,
              c,
              (row0 + ip * MR) * n + col0 + jp * NR,
              n,
              Math.min(MR, rows - ip * MR),
              panelCols,
            );
          }
        }
      }
    }
  }
  if (c !== out) out.set(c);
};
