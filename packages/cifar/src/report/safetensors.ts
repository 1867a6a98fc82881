/**
 * The safetensors file format (https://github.com/huggingface/safetensors), written and read
 * without any dependency, for the final parameters of a run:
 *
 * `u64 little-endian N` · `N bytes of UTF-8 JSON header, space-padded to a multiple of 8` ·
 * `little-endian tensor bytes`, where the header maps each tensor name to
 * `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the byte buffer) and
 * may hold `"__metadata__": {string: string}`.
 */
import { readFile } from "node:fs/promises";
import * as E from "fp-ts/lib/Either.js";
import type * as TE from "fp-ts/lib/TaskEither.js";
import * as t from "io-ts";
import { type ReadFileError, readFailure, type WriteFileError, writeFileAtomic } from "./files.js";

/** The element types this module reads and writes (safetensors names). */
export type SafetensorsDtype = "F32" | "F64" | "I32";

/** A tensor as stored: a shape and its row-major elements; the typed array fixes the dtype. */
export interface StoredTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | Int32Array;
}

/**
 * A pytree of tensors: a tensor, an array of trees or a record of trees. Flattened names join the
 * path with dots, e.g. `{ layers: [{ W }] }` stores `layers.0.W`.
 */
export type TensorTree =
  | StoredTensor
  | readonly TensorTree[]
  | { readonly [key: string]: TensorTree };

/** The content of a safetensors file. */
export interface SafetensorsContent {
  /** The tensors by name, in the order of their data in the file. */
  readonly tensors: ReadonlyMap<string, StoredTensor>;
  /** The `__metadata__` string map (empty when the file has none). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Why bytes are not a safetensors file this module can read; `message` says exactly what is wrong. */
export interface SafetensorsFormatError {
  readonly _tag:
    | "SafetensorsTooShort"
    | "SafetensorsHeaderLength"
    | "SafetensorsHeaderEncoding"
    | "SafetensorsHeaderJson"
    | "SafetensorsHeaderEntry"
    | "SafetensorsUnsupportedDtype"
    | "SafetensorsShapeMismatch"
    | "SafetensorsOffsets";
  readonly message: string;
}

const itemSizes = { F32: 4, F64: 8, I32: 4 } as const satisfies Record<SafetensorsDtype, number>;

// The reference implementation refuses headers above 100 MB; so do we, before allocating.
const maxHeaderLength = 100_000_000;

const dtypeOf = (data: StoredTensor["data"]): SafetensorsDtype =>
  data instanceof Float32Array ? "F32" : data instanceof Float64Array ? "F64" : "I32";

const isStoredTensor = (tree: TensorTree): tree is StoredTensor =>
  !Array.isArray(tree) &&
  "data" in tree &&
  ArrayBuffer.isView((tree as StoredTensor).data) &&
  Array.isArray((tree as StoredTensor).shape);

/**
 * Flattens a {@link TensorTree} to dotted names in depth-first order (arrays by index, records in
 * key order).
 *
 * @throws RangeError if a key is empty, contains a dot (the name would be ambiguous) or is
 * `__metadata__`, or if the tree holds no tensors.
 */
export function flattenTensorTree(tree: TensorTree): Map<string, StoredTensor> {
  const flat = new Map<string, StoredTensor>();
  const visit = (node: TensorTree, path: readonly string[]): void => {
    if (isStoredTensor(node)) {
      flat.set(path.join("."), node);
      return;
    }
    const entries: [string, TensorTree][] = Array.isArray(node)
      ? node.map((child, index) => [String(index), child])
      : Object.entries(node);
    for (const [key, child] of entries) {
      if (key === "" || key.includes(".") || key === "__metadata__")
        throw new RangeError(
          `flattenTensorTree: key ${JSON.stringify(key)} at ${path.join(".") || "the root"} cannot be part of a dotted name`,
        );
      visit(child, [...path, key]);
    }
  };
  visit(tree, []);
  if (flat.size === 0 || flat.has(""))
    throw new RangeError("flattenTensorTree: the tree must be a record or array holding tensors");
  return flat;
}

/**
 * Rebuilds a tree from dotted names (the inverse of {@link flattenTensorTree}): a level whose keys
 * are exactly `0 … n-1` becomes an array, any other level a record.
 *
 * @throws RangeError if one name is a prefix of another (`a` and `a.b`: a tensor cannot have children).
 */
export function unflattenTensorTree(tensors: ReadonlyMap<string, StoredTensor>): TensorTree {
  type Node = Map<string, Node | StoredTensor>;
  const root: Node = new Map();
  for (const [name, tensor] of tensors) {
    const keys = name.split(".");
    let node = root;
    keys.forEach((key, depth) => {
      const existing = node.get(key);
      const isLast = depth === keys.length - 1;
      if (existing !== undefined && (isLast || !(existing instanceof Map)))
        throw new RangeError(`unflattenTensorTree: ${name} clashes with another tensor's name`);
      if (isLast) node.set(key, tensor);
      else {
        const child: Node = (existing as Node | undefined) ?? new Map();
        node.set(key, child);
        node = child;
      }
    });
  }
  const build = (node: Node): TensorTree => {
    const children = new Map(
      [...node].map(([key, child]) => [key, child instanceof Map ? build(child) : child]),
    );
    // File order follows data layout (not tree order), so indices may come in any order.
    const indices = Array.from({ length: children.size }, (_, index) => String(index));
    return indices.every((key) => children.has(key))
      ? indices.map((key) => children.get(key)!)
      : Object.fromEntries(children);
  };
  return build(root);
}

/**
 * Encodes tensors as a safetensors file. Tensors are laid out by decreasing item size (F64 before
 * F32/I32, tree order otherwise), as the reference writer does, so every tensor's data is aligned
 * to its item size and a reader can view it in place. Values are written little-endian on any host.
 *
 * @param tree - The tensors (see {@link TensorTree} for naming).
 * @param metadata - Stored as `__metadata__` when it has entries (e.g. seed, experiment name).
 * @throws RangeError if a tensor's data length differs from its shape's product, a dimension is
 * not a non-negative integer, or a name is invalid (see {@link flattenTensorTree}).
 */
export function encodeSafetensors(
  tree: TensorTree,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const tensors = [...flattenTensorTree(tree)];
  for (const [name, { shape, data }] of tensors) {
    if (!shape.every((size) => Number.isSafeInteger(size) && size >= 0))
      throw new RangeError(`encodeSafetensors: ${name} has invalid shape [${shape.join(", ")}]`);
    const elements = shape.reduce((product, size) => product * size, 1);
    if (elements !== data.length)
      throw new RangeError(
        `encodeSafetensors: ${name} has shape [${shape.join(", ")}] (${elements} elements) but ${data.length} values`,
      );
  }
  // Array.prototype.sort is stable, so tree order is kept within one item size.
  tensors.sort(([, a], [, b]) => b.data.BYTES_PER_ELEMENT - a.data.BYTES_PER_ELEMENT);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  let offset = 0;
  for (const [name, { shape, data }] of tensors) {
    header[name] = {
      dtype: dtypeOf(data),
      shape: [...shape],
      data_offsets: [offset, offset + data.byteLength],
    };
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const [, { data }] of tensors) {
    for (const value of data) {
      if (data instanceof Float64Array) view.setFloat64(position, value, true);
      else if (data instanceof Float32Array) view.setFloat32(position, value, true);
      else view.setInt32(position, value, true);
      position += data.BYTES_PER_ELEMENT;
    }
  }
  return bytes;
}

const formatError = (
  tag: SafetensorsFormatError["_tag"],
  message: string,
): E.Either<SafetensorsFormatError, never> => E.left({ _tag: tag, message });

const NonNegativeInteger = t.refinement(
  t.number,
  (n) => Number.isSafeInteger(n) && n >= 0,
  "NonNegativeInteger",
);

const HeaderEntry = t.type({
  dtype: t.string,
  shape: t.array(NonNegativeInteger),
  // Not t.tuple: io-ts 2.2 strips surplus tuple components instead of rejecting them.
  data_offsets: t.refinement(
    t.array(NonNegativeInteger),
    (pair) => pair.length === 2,
    "[begin, end]",
  ),
});

const Metadata = t.record(t.string, t.string);

/**
 * Decodes a safetensors file, validating everything before reading any tensor: the header length
 * is within the file (and at most 100 MB), the header is UTF-8 JSON of the documented form, each
 * dtype is F32, F64 or I32, each shape's element count times the item size equals its byte range,
 * and the byte ranges tile the data buffer exactly (sorted by offset: start at 0, no gap, no
 * overlap, end at the end of the file). Tensor data is copied out, so the result does not alias
 * `bytes`.
 *
 * @returns `Left<SafetensorsFormatError>` naming the first problem found; never partial data.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
): E.Either<SafetensorsFormatError, SafetensorsContent> {
  if (bytes.length < 8)
    return formatError(
      "SafetensorsTooShort",
      `the file has ${bytes.length} bytes, fewer than the 8-byte header length`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declaredLength = view.getBigUint64(0, true);
  if (declaredLength < 2n || declaredLength > BigInt(Math.min(maxHeaderLength, bytes.length - 8)))
    return formatError(
      "SafetensorsHeaderLength",
      `the header length is ${declaredLength} bytes, but must be between 2 and ${Math.min(maxHeaderLength, bytes.length - 8)} (the file has ${bytes.length} bytes)`,
    );
  const headerLength = Number(declaredLength);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return formatError("SafetensorsHeaderEncoding", "the header is not valid UTF-8");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return formatError(
      "SafetensorsHeaderJson",
      `the header is not valid JSON (${(error as Error).message})`,
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    return formatError("SafetensorsHeaderJson", "the header is not a JSON object");

  const { __metadata__: rawMetadata, ...rawEntries } = json as Record<string, unknown>;
  let metadata: Record<string, string> = {};
  if (rawMetadata !== undefined) {
    const decoded = Metadata.decode(rawMetadata);
    if (E.isLeft(decoded))
      return formatError("SafetensorsHeaderEntry", "__metadata__ must map strings to strings");
    metadata = decoded.right;
  }
  const entries: {
    name: string;
    dtype: SafetensorsDtype;
    shape: number[];
    begin: number;
    end: number;
  }[] = [];
  for (const [name, raw] of Object.entries(rawEntries)) {
    const decoded = HeaderEntry.decode(raw);
    if (E.isLeft(decoded))
      return formatError(
        "SafetensorsHeaderEntry",
        `tensor ${name}: expected {dtype: string, shape: non-negative integers, data_offsets: [begin, end]}, got ${JSON.stringify(raw)}`,
      );
    const {
      dtype,
      shape,
      data_offsets: [begin, end],
    } = decoded.right;
    if (!Object.hasOwn(itemSizes, dtype))
      return formatError(
        "SafetensorsUnsupportedDtype",
        `tensor ${name} has dtype ${dtype}; supported: F32, F64, I32`,
      );
    if (end < begin)
      return formatError(
        "SafetensorsOffsets",
        `tensor ${name} has data_offsets [${begin}, ${end}]: end before begin`,
      );
    const expected =
      shape.reduce((product, size) => product * size, 1) * itemSizes[dtype as SafetensorsDtype];
    if (expected !== end - begin)
      return formatError(
        "SafetensorsShapeMismatch",
        `tensor ${name}: shape [${shape.join(", ")}] of ${dtype} needs ${expected} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape, begin: begin, end: end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  let expectedBegin = 0;
  for (const { name, begin, end } of entries) {
    if (begin !== expectedBegin)
      return formatError(
        "SafetensorsOffsets",
        `tensor ${name} starts at byte ${begin} of the data, expected ${expectedBegin} (${begin < expectedBegin ? "overlap" : "gap"})`,
      );
    if (end > dataLength)
      return formatError(
        "SafetensorsOffsets",
        `tensor ${name} ends at byte ${end}, past the end of the data (${dataLength} bytes)`,
      );
    expectedBegin = end;
  }
  if (expectedBegin !== dataLength)
    return formatError(
      "SafetensorsOffsets",
      `the tensors cover ${expectedBegin} bytes of data but the file holds ${dataLength}`,
    );

  const tensors = new Map<string, StoredTensor>();
  for (const { name, dtype, shape, begin, end } of entries) {
    const count = (end - begin) / itemSizes[dtype];
    const data =
      dtype === "F64"
        ? new Float64Array(count)
        : dtype === "F32"
          ? new Float32Array(count)
          : new Int32Array(count);
    for (
      let index = 0, position = dataStart + begin;
      index < count;
      index++, position += itemSizes[dtype]
    )
      data[index] =
        dtype === "F64"
          ? view.getFloat64(position, true)
          : dtype === "F32"
            ? view.getFloat32(position, true)
            : view.getInt32(position, true);
    tensors.set(name, { shape, data });
  }
  return E.right({ tensors, metadata });
}

/**
 * Writes a tree of tensors to a safetensors file atomically (see {@link encodeSafetensors}).
 *
 * @throws RangeError for invalid tensors or names, before anything is written.
 */
export function writeSafetensors(
  path: string,
  tree: TensorTree,
  metadata?: Readonly<Record<string, string>>,
): TE.TaskEither<WriteFileError, void> {
  return writeFileAtomic(path, encodeSafetensors(tree, metadata));
}

/** Reads and validates a safetensors file (see {@link decodeSafetensors}). */
export function readSafetensors(
  path: string,
): TE.TaskEither<ReadFileError | SafetensorsFormatError, SafetensorsContent> {
  return async () => {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (error) {
      return E.left(readFailure(path, error));
    }
    return decodeSafetensors(bytes);
  };
}
