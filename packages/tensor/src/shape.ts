/** A tensor's extent along each axis, outermost first. Tensors hold frozen copies. */
export type Shape = readonly number[];

/**
 * A shape as every puregrad error message prints it: no spaces, `[]` for a scalar.
 * @example formatShape([2, 3]) // "[2,3]"
 */
export function formatShape(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/**
 * Checks that `shape` is an array of non-negative safe integers and returns a frozen copy.
 * @throws RangeError naming `op` for non-finite, negative or non-integer entries.
 */
export function validateShape(op: string, shape: unknown): Shape {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: shape must be an array of integers`);
  for (const extent of shape) {
    if (typeof extent !== "number" || !Number.isSafeInteger(extent) || extent < 0) {
      throw new RangeError(
        `${op}: invalid shape [${shape.map(String).join(",")}]: entries must be non-negative integers`,
      );
    }
  }
  return Object.isFrozen(shape) ? (shape as Shape) : Object.freeze([...shape]);
}

/**
 * Number of elements of a tensor of this shape (1 for the scalar shape `[]`).
 * @throws RangeError for invalid shape entries.
 * @example sizeOf([2, 3]) // 6
 */
export function sizeOf(shape: Shape): number {
  validateShape("sizeOf", shape);
  return product(shape);
}

/** Product of the entries of an already validated shape. */
export function product(shape: Shape): number {
  let size = 1;
  for (const extent of shape) size *= extent;
  return size;
}

/** Whether two shapes have the same rank and extents. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let axis = 0; axis < a.length; axis++) if (a[axis] !== b[axis]) return false;
  return true;
}

/** Row-major element strides of a contiguous tensor of this shape. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis]!;
  }
  return strides;
}

function listShapes(shapes: readonly Shape[]): string {
  const formatted = shapes.map(formatShape);
  return formatted.length <= 2
    ? formatted.join(" and ")
    : `${formatted.slice(0, -1).join(", ")} and ${formatted.at(-1)}`;
}

/** {@link broadcastShapes} with `op` named in the error. */
export function broadcastShapesFor(op: string, shapes: readonly Shape[]): Shape {
  const rank = Math.max(0, ...shapes.map((shape) => shape.length));
  const result = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    const offset = rank - shape.length;
    for (let axis = 0; axis < shape.length; axis++) {
      const extent = shape[axis]!;
      const current = result[offset + axis]!;
      if (current === 1) result[offset + axis] = extent;
      else if (extent !== 1 && extent !== current) {
        throw new RangeError(`${op}: shapes ${listShapes(shapes)} cannot be broadcast`);
      }
    }
  }
  return Object.freeze(result);
}

/**
 * The shape numpy broadcasting gives to operands of these shapes: align trailing axes;
 * each pair of extents must be equal or one of them 1.
 * @throws RangeError `broadcastShapes: shapes [2,3] and [4] cannot be broadcast`.
 * @example broadcastShapes([8, 1, 3], [5, 1]) // [8, 5, 3]
 */
export function broadcastShapes(...shapes: Shape[]): Shape {
  for (const shape of shapes) validateShape("broadcastShapes", shape);
  return broadcastShapesFor("broadcastShapes", shapes);
}

/**
 * Element strides that read a contiguous tensor of `shape` as if broadcast to `outShape`
 * (stride 0 along broadcast axes). `outShape` must be a broadcast of `shape`.
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = stridesOf(shape);
  const offset = outShape.length - shape.length;
  const result = new Array<number>(outShape.length).fill(0);
  for (let axis = 0; axis < shape.length; axis++) {
    result[offset + axis] = shape[axis] === 1 ? 0 : strides[axis]!;
  }
  return result;
}

/**
 * Maps a possibly negative axis into `[0, rank)`.
 * @throws RangeError `sum: axis 2 is out of range for rank 2`.
 */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new RangeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Normalizes one axis, a list of axes (sorted, no repeats) or `undefined` (all axes). */
export function normalizeAxes(
  op: string,
  axis: number | readonly number[] | undefined,
  rank: number,
): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, index) => index);
  const axes = (typeof axis === "number" ? [axis] : axis).map((a) => normalizeAxis(op, a, rank));
  axes.sort((x, y) => x - y);
  for (let index = 1; index < axes.length; index++) {
    if (axes[index] === axes[index - 1]) {
      throw new RangeError(`${op}: axis ${axes[index]} is repeated`);
    }
  }
  return axes;
}
