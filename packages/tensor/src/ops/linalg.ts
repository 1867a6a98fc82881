import { requireFloat, requireSameDType } from "../dtype";
import { formatShape } from "../shape";
import { backendOf, checkTensor, makeTensor, storageOf, type Tensor } from "../tensor";

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** Use the transpose of `a` (read in place, never materialized). Default false. */
  readonly transposeA?: boolean;
  /** Use the transpose of `b` (read in place, never materialized). Default false. */
  readonly transposeB?: boolean;
}

/**
 * Matrix product of 2-D float tensors: `op(a) · op(b)` where `op` transposes when asked, so
 * `matmul(x, w, { transposeB: true })` computes x·wᵀ without copying w. Accumulation is the
 * backend's: the default CPU backend's WebAssembly kernel accumulates in the input dtype (float32
 * in float32, as BLAS does); its JavaScript fallback `blockedMatmul` accumulates in float64.
 * @throws RangeError `matmul: shapes [2,3] and [4,5] are incompatible` or for non-2-D inputs;
 * TypeError `matmul: dtype mismatch float32 vs float64` or for int32.
 * @example matmul(tensor([[1, 2]]), tensor([[3], [4]])).item() // 11
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  checkTensor("matmul", a, "a");
  checkTensor("matmul", b, "b");
  const { transposeA = false, transposeB = false } = options;
  const describe = () =>
    `${formatShape(a.shape)}${transposeA ? "ᵀ" : ""} and ${formatShape(b.shape)}${transposeB ? "ᵀ" : ""}`;
  if (a.rank !== 2 || b.rank !== 2) {
    throw new RangeError(`matmul: expects 2-D tensors, got shapes ${describe()}`);
  }
  requireSameDType("matmul", a.dtype, b.dtype);
  requireFloat("matmul", a.dtype);
  const [m, k] = transposeA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kB, n] = transposeB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (k !== kB) throw new RangeError(`matmul: shapes ${describe()} are incompatible`);
  const backend = backendOf("matmul", [a, b]);
  const storage = backend.matmul(storageOf(a), storageOf(b), {
    dtype: a.dtype,
    m,
    k,
    n,
    transposeA,
    transposeB,
  });
  return makeTensor(backend, storage, Object.freeze([m, n]), a.dtype);
}
