/** The global flags, decoded once, and what every command receives. */
import { usageError } from "./errors.js";
import { Output, type OutputOptions } from "./output.js";

/** Where training data comes from: `auto` takes real CIFAR-10 when found, else synthetic data. */
export type DataMode = "real" | "synthetic" | "auto";

/** Which tensor backend runs the numbers; `auto` probes and picks the fastest. */
export type BackendChoice = "cpu" | "gpu" | "auto";

/** The global flags as commander hands them over (all strings or booleans, maybe absent). */
export interface RawGlobalOptions {
  readonly dataDir?: string;
  readonly data?: string;
  readonly out?: string;
  readonly seed?: string;
  readonly backend?: string;
  readonly fma?: boolean;
  readonly quiet?: boolean;
  readonly json?: boolean;
  readonly verbose?: boolean;
  readonly lossModule?: string;
}

/** The global flags, checked. An absent flag is `undefined`: the config (or preset) decides. */
export interface GlobalOptions {
  /** `--data-dir`: the CIFAR-10 folder, else CIFAR10_DIR, else the user cache. */
  readonly dataDir: string | undefined;
  readonly data: DataMode | undefined;
  /** `--out`: where reports go (each command documents its default). */
  readonly out: string | undefined;
  readonly seed: number | undefined;
  readonly backend: BackendChoice | undefined;
  /** `--fma`: the CPU matmul fuses multiply-adds (faster; results may differ between CPUs). */
  readonly fma: boolean;
  /** `--loss-module`: a user module whose loss replaces the configured one in every run. */
  readonly lossModule: string | undefined;
}

/** What a command runs with: the checked global flags, the printer and the Ctrl-C signal. */
export interface CommandContext {
  readonly options: GlobalOptions;
  readonly output: Output;
  /** Aborted on the first Ctrl-C. */
  readonly signal: AbortSignal;
}

const DATA_MODES: readonly DataMode[] = ["real", "synthetic", "auto"];
const BACKENDS: readonly BackendChoice[] = ["cpu", "gpu", "auto"];

/**
 * Checks the global flags.
 * @throws CliError (exit 2) for a `--data`, `--backend` or `--seed` value that is not allowed
 */
export function parseGlobalOptions(raw: RawGlobalOptions): GlobalOptions {
  return {
    dataDir: raw.dataDir,
    data: raw.data === undefined ? undefined : oneOf("--data", raw.data, DATA_MODES),
    out: raw.out,
    seed: raw.seed === undefined ? undefined : parseSeed(raw.seed),
    backend: raw.backend === undefined ? undefined : oneOf("--backend", raw.backend, BACKENDS),
    fma: raw.fma ?? false,
    lossModule: raw.lossModule,
  };
}

/** The printer the flags ask for. */
export function outputFor(raw: RawGlobalOptions, overrides: OutputOptions = {}): Output {
  return new Output({
    quiet: raw.quiet ?? false,
    verbose: raw.verbose ?? false,
    json: raw.json ?? false,
    ...overrides,
  });
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw usageError(`${flag} must be one of ${allowed.join(", ")}; got "${value}".`);
}

/** A 32-bit integer seed (what the PRNG keys take). */
function parseSeed(text: string): number {
  const seed = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(seed) || Math.abs(seed) > 2 ** 31) {
    throw usageError(`--seed must be an integer between -2^31 and 2^31; got "${text}".`);
  }
  return seed;
}

/**
 * A positive integer flag value, e.g. `--epochs`.
 * @throws CliError (exit 2) otherwise
 */
export function parsePositiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw usageError(`${flag} must be a positive integer; got "${text}".`);
  }
  return value;
}
