/**
 * Drops extent-1 axes and merges neighbouring axes that every operand walks contiguously, so
 * that e.g. a same-shape add becomes one line and `[n,m] + [m]` becomes n lines of m.
 * `strides[i]` are operand `i`'s element strides along `shape`; `steps[i]` are its strides along
 * the merged `extents`. Shared by the CPU line walker and the GPU kernel generator.
 */
export function coalesceAxes(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): { extents: number[]; steps: number[][] } {
  const extents: number[] = [];
  const steps: number[][] = strides.map(() => []);
  for (let axis = 0; axis < shape.length; axis++) {
    const extent = shape[axis];
    if (extent === 1) continue;
    const last = extents.length - 1;
    const mergeable =
      last >= 0 && strides.every((operand, index) => steps[index][last] === operand[axis] * extent);
    if (mergeable) {
      extents[last] = extents[last] * extent;
      strides.forEach((operand, index) => {
        steps[index][last] = operand[axis];
      });
    } else {
      extents.push(extent);
      strides.forEach((operand, index) => {
        steps[index].push(operand[axis]);
      });
    }
  }
  return { extents, steps };
}

/**
 * Walks an N-d iteration over `shape` as a sequence of innermost lines. For each line it calls
 * `visit(offsets, length, innerStrides)`, where `offsets[i]` is where operand `i` starts and
 * `innerStrides[i]` its step along the line. `offsets` is reused: read it, do not keep it.
 * The per-line call is the only indirection; the loop over a line lives in `visit`.
 */
export function forEachLine(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  visit: (offsets: number[], length: number, innerStrides: readonly number[]) => void,
): void {
  for (const extent of shape) if (extent === 0) return;
  const { extents, steps } = coalesceAxes(shape, strides);
  const offsets = strides.map(() => 0);
  const rank = extents.length;
  if (rank === 0) {
    visit(offsets, 1, offsets.slice());
    return;
  }
  const length = extents[rank - 1];
  const innerStrides = steps.map((operand) => operand[rank - 1]);
  const counter = new Array<number>(rank).fill(0);
  let lines = 1;
  for (let axis = 0; axis < rank - 1; axis++) lines *= extents[axis];
  for (let line = 0; line < lines; line++) {
    visit(offsets, length, innerStrides);
    for (let axis = rank - 2; axis >= 0; axis--) {
      if (++counter[axis] < extents[axis]) {
        for (let operand = 0; operand < offsets.length; operand++) {
          offsets[operand] += steps[operand][axis];
        }
        break;
      }
      counter[axis] = 0;
      for (let operand = 0; operand < offsets.length; operand++) {
        offsets[operand] -= steps[operand][axis] * (extents[axis] - 1);
      }
    }
  }
}

/**
 * The period of an operand with `strides` read over a row-major `shape`: p such that output
 * element i reads the operand's element i mod p, i.e. its trailing axes are walked contiguously
 * and its leading ones repeat (stride 0). p is the output's size for an operand laid out like the
 * output, 1 for a broadcast scalar and the row length for a bias row `[m]` over `[n, m]`;
 * undefined for any other layout (a column broadcast, a transpose). Axes of extent 1 are ignored
 * (their stride is never used).
 */
export function periodOf(shape: readonly number[], strides: readonly number[]): number | undefined {
  let period = 1;
  let axis = shape.length - 1;
  for (; axis >= 0; axis--) {
    if (shape[axis] === 1) continue;
    if (strides[axis] !== period) break;
    period *= shape[axis]!;
  }
  for (; axis >= 0; axis--) if (shape[axis] !== 1 && strides[axis] !== 0) return undefined;
  return period;
}
