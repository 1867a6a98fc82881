import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import {
  decodeSafetensors,
  encodeSafetensors,
  flattenTensorTree,
  readSafetensors,
  type StoredTensor,
  type TensorTree,
  unflattenTensorTree,
  writeSafetensors,
} from "../../src/report/safetensors.js";

const params: TensorTree = {
  layers: [
    {
      W: { shape: [2, 3], data: new Float32Array([1.5, -2, 3.25, 0, 1e-8, -7]) },
      b: { shape: [2], data: new Float32Array([0.1, 0.2]) },
    },
    {
      W: { shape: [1, 2], data: new Float64Array([Math.PI, -Math.E]) },
      b: { shape: [], data: new Float64Array([42]) },
    },
  ],
  steps: { shape: [3], data: new Int32Array([-1, 0, 2147483647]) },
  empty: { shape: [0, 4], data: new Float32Array(0) },
};
const metadata = { seed: "42", experiment: "a1 λ=0.1" };

const headerOf = (bytes: Uint8Array) => {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { length, text: new TextDecoder().decode(bytes.subarray(8, 8 + length)) };
};

describe("safetensors writer", () => {
  it("lays out a known file byte for byte", () => {
    const bytes = encodeSafetensors(
      { w: { shape: [2], data: new Float32Array([1.5, -2]) } },
      { k: "v" },
    );
    const header =
      '{"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = header.padEnd(Math.ceil(header.length / 8) * 8, " ");
    expect(headerOf(bytes)).toEqual({ length: padded.length, text: padded });
    expect([...bytes.subarray(0, 8)]).toEqual([padded.length, 0, 0, 0, 0, 0, 0, 0]);
    // 1.5f = 0x3FC00000 and -2f = 0xC0000000, little-endian.
    expect([...bytes.subarray(8 + padded.length)]).toEqual([0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0]);
  });

  it("names nested parameters with dots and puts 8-byte tensors first, each aligned", () => {
    const bytes = encodeSafetensors(params, metadata);
    const { length, text } = headerOf(bytes);
    expect(length % 8).toBe(0);
    const header = JSON.parse(text);
    expect(Object.keys(header)).toEqual([
      "__metadata__",
      "layers.1.W",
      "layers.1.b",
      "layers.0.W",
      "layers.0.b",
      "steps",
      "empty",
    ]);
    expect(header["layers.1.b"]).toEqual({ dtype: "F64", shape: [], data_offsets: [16, 24] });
    expect(header.steps.dtype).toBe("I32");
    for (const key of Object.keys(header).slice(1)) {
      const itemSize = header[key].dtype === "F64" ? 8 : 4;
      expect((8 + length + header[key].data_offsets[0]) % itemSize).toBe(0);
    }
  });

  it("rejects data that does not match its shape and names that cannot be dotted", () => {
    expect(() => encodeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(
      "w has shape [2, 2] (4 elements) but 3 values",
    );
    const tensor = { shape: [1], data: new Float32Array(1) };
    expect(() => encodeSafetensors({ "a.b": tensor })).toThrow('key "a.b"');
    expect(() => encodeSafetensors({ __metadata__: tensor })).toThrow('key "__metadata__"');
    expect(() => encodeSafetensors(tensor)).toThrow("must be a record or array");
  });
});

describe("safetensors round trip", () => {
  it("reads back every dtype, shape and value, the metadata and the tree", async () => {
    const directory = mkdtempSync(join(tmpdir(), "puregrad-safetensors-"));
    try {
      const path = join(directory, "params.safetensors");
      expect(await writeSafetensors(path, params, metadata)()).toEqual(E.right(undefined));
      const result = await readSafetensors(path)();
      if (E.isLeft(result)) throw new Error(result.left.message);
      expect(result.right.metadata).toEqual(metadata);
      expect(result.right.tensors).toEqual(flattenTensorTree(params));
      expect([...result.right.tensors.keys()][0]).toBe("layers.1.W");
      expect(unflattenTensorTree(result.right.tensors)).toEqual(params);
      expect(await readSafetensors(join(directory, "missing"))()).toMatchObject(
        E.left({ _tag: "ReadFileError", code: "ENOENT" }),
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("round-trips random tensors of all dtypes exactly", () => {
    const tensor: fc.Arbitrary<StoredTensor> = fc
      .tuple(
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
        fc.constantFrom("F32", "F64", "I32"),
      )
      .chain(([shape, dtype]) => {
        const count = shape.reduce((a, b) => a * b, 1);
        const values =
          dtype === "I32"
            ? fc
                .array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), {
                  minLength: count,
                  maxLength: count,
                })
                .map((v) => new Int32Array(v))
            : dtype === "F32"
              ? fc.float32Array({ minLength: count, maxLength: count })
              : fc.float64Array({ minLength: count, maxLength: count });
        return values.map((data) => ({ shape, data }));
      });
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-zA-Zλ_][\w-]{0,6}$/), tensor, { minKeys: 1 }),
        (tree) => {
          const decoded = decodeSafetensors(encodeSafetensors(tree));
          expect(E.isRight(decoded) && Object.fromEntries(decoded.right.tensors)).toEqual(tree);
        },
      ),
    );
  });

  it("unflattens index levels (in any order) into arrays and rejects a name inside another tensor", () => {
    const [t, u] = [1, 2].map((v) => ({ shape: [1], data: new Float32Array([v]) }));
    expect(
      unflattenTensorTree(
        new Map([
          ["a.1", u!],
          ["a.0", t!],
          ["b.1", t!],
        ]),
      ),
    ).toEqual({
      a: [t, u],
      b: { 1: t },
    });
    expect(() =>
      unflattenTensorTree(
        new Map([
          ["a", t!],
          ["a.b", u!],
        ]),
      ),
    ).toThrow("a.b clashes");
  });
});

/** A file with a hand-written header (string or object) and `dataLength` zero bytes of data. */
function fileWith(
  header: string | object,
  dataLength: number,
  declaredLength?: bigint,
): Uint8Array {
  const json = new TextEncoder().encode(
    typeof header === "string" ? header : JSON.stringify(header),
  );
  const bytes = new Uint8Array(8 + json.length + dataLength);
  new DataView(bytes.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  bytes.set(json, 8);
  return bytes;
}
const f32 = (shape: number[], begin: number, end: number) => ({
  dtype: "F32",
  shape,
  data_offsets: [begin, end],
});

describe("safetensors reader rejects corrupt files with the right error", () => {
  const cases: [string, Uint8Array, string, string][] = [
    ["too short", new Uint8Array(5), "SafetensorsTooShort", "5 bytes"],
    [
      "header past the end",
      fileWith({}, 0, 100n),
      "SafetensorsHeaderLength",
      "header length is 100 bytes",
    ],
    [
      "absurd header length",
      fileWith({}, 0, 2n ** 63n),
      "SafetensorsHeaderLength",
      "between 2 and 2",
    ],
    [
      "invalid UTF-8",
      fileWith('{"\xff":1}', 0).map((b) => (b === 0xc3 ? 0xff : b)),
      "SafetensorsHeaderEncoding",
      "UTF-8",
    ],
    ["not JSON", fileWith("{nope}", 0), "SafetensorsHeaderJson", "not valid JSON"],
    ["JSON array", fileWith("[1, 2]", 0), "SafetensorsHeaderJson", "not a JSON object"],
    [
      "missing shape",
      fileWith({ w: { dtype: "F32", data_offsets: [0, 4] } }, 4),
      "SafetensorsHeaderEntry",
      "tensor w",
    ],
    [
      "three offsets",
      fileWith({ w: { dtype: "F32", shape: [1], data_offsets: [0, 4, 8] } }, 8),
      "SafetensorsHeaderEntry",
      "tensor w",
    ],
    [
      "negative dimension",
      fileWith({ w: f32([-1], 0, 4) }, 4),
      "SafetensorsHeaderEntry",
      "tensor w",
    ],
    [
      "bad metadata",
      fileWith({ __metadata__: { seed: 42 } }, 0),
      "SafetensorsHeaderEntry",
      "__metadata__",
    ],
    [
      "bfloat16",
      fileWith({ w: { dtype: "BF16", shape: [2], data_offsets: [0, 4] } }, 4),
      "SafetensorsUnsupportedDtype",
      "dtype BF16",
    ],
    [
      "prototype key as dtype",
      fileWith({ w: { dtype: "toString", shape: [1], data_offsets: [0, 4] } }, 4),
      "SafetensorsUnsupportedDtype",
      "toString",
    ],
    [
      "shape vs bytes",
      fileWith({ w: f32([3], 0, 8) }, 8),
      "SafetensorsShapeMismatch",
      "needs 12 bytes",
    ],
    [
      "end before begin",
      fileWith({ w: f32([0], 4, 0) }, 4),
      "SafetensorsOffsets",
      "end before begin",
    ],
    [
      "gap",
      fileWith({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, 12),
      "SafetensorsOffsets",
      "starts at byte 8 of the data, expected 4 (gap)",
    ],
    [
      "overlap",
      fileWith({ a: f32([2], 0, 8), b: f32([1], 4, 8) }, 8),
      "SafetensorsOffsets",
      "(overlap)",
    ],
    [
      "past the end",
      fileWith({ a: f32([2], 0, 8) }, 4),
      "SafetensorsOffsets",
      "past the end of the data (4 bytes)",
    ],
    [
      "trailing bytes",
      fileWith({ a: f32([1], 0, 4) }, 8),
      "SafetensorsOffsets",
      "cover 4 bytes of data but the file holds 8",
    ],
  ];
  it.each(cases)("%s", (_, bytes, tag, message) => {
    const result = decodeSafetensors(bytes);
    expect(result).toMatchObject(E.left({ _tag: tag }));
    expect(E.isLeft(result) && result.left.message).toContain(message);
  });
});

const hasNumpy = spawnSync("python3", ["-c", "import numpy"], { stdio: "ignore" }).status === 0;

// Only struct, json and numpy.frombuffer: proves the bytes follow the format, not our reader's reading of it.
const numpyReader = `
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n].decode("utf-8"))
meta = header.pop("__metadata__", {})
data = raw[8 + n:]
dtypes = {"F32": "<f4", "F64": "<f8", "I32": "<i4"}
out = {}
for name, info in header.items():
    b, e = info["data_offsets"]
    array = np.frombuffer(data[b:e], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    out[name] = {"dtype": str(array.dtype), "shape": list(array.shape), "values": array.ravel().tolist()}
print(json.dumps({"metadata": meta, "tensors": out}))
`;

describe.skipIf(!hasNumpy)("safetensors file read by numpy (python3 + numpy only)", () => {
  it("gives numpy the same dtypes, shapes, values and metadata", async () => {
    const directory = mkdtempSync(join(tmpdir(), "puregrad-numpy-"));
    try {
      const path = join(directory, "params.safetensors");
      await writeSafetensors(path, params, metadata)();
      const run = spawnSync("python3", ["-c", numpyReader, path], { encoding: "utf8" });
      expect(run.stderr).toBe("");
      const fromNumpy = JSON.parse(run.stdout);
      expect(fromNumpy.metadata).toEqual(metadata);
      const numpyDtype = { Float32Array: "float32", Float64Array: "float64", Int32Array: "int32" };
      const expected = Object.fromEntries(
        [...flattenTensorTree(params)].map(([name, { shape, data }]) => [
          name,
          {
            dtype: numpyDtype[data.constructor.name as keyof typeof numpyDtype],
            shape,
            values: [...data],
          },
        ]),
      );
      expect(fromNumpy.tensors).toEqual(expected);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
