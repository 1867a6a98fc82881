/** `--loss-module`: loading a researcher's loss function from a .ts, .mts, .js or .mjs file. */
import { access } from "node:fs/promises";
import { register as registerHooks } from "node:module";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as pg from "@puregrad/autograd";
import type { Loss } from "@puregrad/nn";
import { describeError, usageError } from "./errors.js";
import type { ModuleHooksData } from "./module-hooks.js";

/** A loss loaded from a user module, with where it came from. */
export interface LoadedLoss {
  readonly loss: Loss;
  /** Absolute path of the module. */
  readonly path: string;
  /** `default` or `loss`: the export that was used. */
  readonly exportName: "default" | "loss";
  /** Set when the probe found something suspicious but not fatal (e.g. a zero gradient). */
  readonly warning?: string;
}

const TYPESCRIPT_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".tsx"]);
const JAVASCRIPT_EXTENSIONS = new Set([".js", ".mjs", ".cjs"]);

let loaderReady = false;

/**
 * Prepares Node's loader for user modules, once: tsx (registered globally, so that it tags no
 * URLs) compiles TypeScript, also when a .js module imports a .ts one; then the hooks that
 * resolve every `@puregrad/*` import to the CLI's own copy (see `module-hooks.ts` for why). The
 * hooks go last so that they run first: the latest registered hook sees a specifier first.
 */
async function prepareLoader(): Promise<void> {
  if (loaderReady) return;
  loaderReady = true;
  const { register } = await import("tsx/esm/api");
  register();
  const data: ModuleHooksData = { parentURL: import.meta.url };
  registerHooks(new URL("./module-hooks.js", import.meta.url), { data });
}

/**
 * Loads a loss from `path` (resolved against the working directory): the module's default
 * export, or else its named export `loss`, a function `(logits [n, K], labels int32 [n]) →
 * scalar Tensor` like the built-in losses of `@puregrad/nn`. TypeScript files are compiled on
 * the fly by tsx (Node 20 cannot strip types itself). Imports of `@puregrad/*` inside the module
 * resolve to the CLI's own packages, so the module needs no install of its own.
 *
 * The loss is then called once on a tiny batch, to fail early (rather than after an epoch) when
 * it does not return a scalar tensor of this puregrad.
 *
 * @throws CliError (exit 2) when the file is missing or has an unsupported extension, when
 *   importing it throws, when it has no function export named `default` or `loss`, or when the
 *   probe call fails or returns something other than a scalar Tensor
 * @example
 * ```ts
 * const { loss } = await loadLossModule("./examples/focal-loss.ts");
 * ```
 */
export async function loadLossModule(path: string): Promise<LoadedLoss> {
  const absolutePath = resolve(path);
  const extension = extname(absolutePath);
  if (!TYPESCRIPT_EXTENSIONS.has(extension) && !JAVASCRIPT_EXTENSIONS.has(extension)) {
    throw usageError(
      `--loss-module ${path}: unsupported file type "${extension}". Give a .ts, .mts, .js or .mjs file exporting a loss function.`,
    );
  }
  try {
    await access(absolutePath);
  } catch {
    throw usageError(`--loss-module ${path}: file not found (looked at ${absolutePath}).`);
  }
  await prepareLoader();
  let namespace: Record<string, unknown>;
  try {
    namespace = await import(pathToFileURL(absolutePath).href);
  } catch (cause) {
    throw usageError(`--loss-module ${path}: the module failed to load: ${describeError(cause)}`);
  }
  const candidates = [
    ["default", namespace.default],
    ["loss", namespace.loss],
  ] as const;
  const found = candidates.find(([, value]) => typeof value === "function");
  if (found === undefined) {
    const exported = Object.keys(namespace).filter((name) => name !== "__esModule");
    throw usageError(
      `--loss-module ${path}: no loss function found. Export one as the default export or as "loss": \`export default function myLoss(logits: Tensor, labels: Tensor): Tensor\` (the module exports ${exported.length === 0 ? "nothing" : exported.map((name) => `"${name}" (${typeof namespace[name]})`).join(", ")}).`,
    );
  }
  const [exportName, value] = found;
  const loss = value as Loss;
  const warning = probeLoss(loss, path);
  return warning === undefined
    ? { loss, path: absolutePath, exportName }
    : { loss, path: absolutePath, exportName, warning };
}

/**
 * Calls the loss on a 2×3 batch: it must return a scalar Tensor of the CLI's puregrad. Returns a
 * warning when its gradient with respect to the logits is zero or not finite (training would
 * then go nowhere), `undefined` when all is well.
 */
function probeLoss(loss: Loss, path: string): string | undefined {
  const logits = pg.tensor(
    [
      [1.5, -0.5, 0.25],
      [0.1, 0.3, -1.2],
    ],
    "float32",
  );
  const labels = pg.tensor([0, 2], "int32");
  let value: unknown;
  try {
    value = loss(logits, labels);
  } catch (cause) {
    throw usageError(
      `--loss-module ${path}: the loss threw on a test batch of logits [2, 3] and int32 labels [2]: ${describeError(cause)}`,
    );
  }
  if (!(value instanceof pg.Tensor)) {
    throw usageError(
      `--loss-module ${path}: the loss must return a Tensor made with @puregrad/autograd ops, got ${describe(value)}. (A module that loads its own copy of puregrad, e.g. through require(), returns tensors this CLI cannot differentiate: import from "@puregrad/autograd" in an ES module.)`,
    );
  }
  if (value.size !== 1) {
    throw usageError(
      `--loss-module ${path}: the loss must return a scalar (the mean over the batch), got a tensor of shape [${value.shape.join(", ")}].`,
    );
  }
  const gradient = pg
    .grad((input: pg.Tensor) => loss(input, labels))(logits)
    .toTypedArray();
  if (!gradient.every(Number.isFinite)) {
    return `--loss-module ${path}: the loss's gradient is not finite on a test batch; training with it will diverge.`;
  }
  if (gradient.every((entry) => entry === 0)) {
    return `--loss-module ${path}: the loss's gradient with respect to the logits is zero on a test batch; check that it is built from @puregrad/autograd ops on its inputs.`;
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "Object"})`;
  return `a ${typeof value}`;
}
