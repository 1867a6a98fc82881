/** The `puregrad` program: commands, flags, help texts and exit codes, on commander. */
import { readFileSync } from "node:fs";
import { setMatmulFma } from "@puregrad/tensor";
import { Command, CommanderError, Option } from "commander";
import { benchCommand } from "./commands/bench.js";
import { downloadCommand, infoCommand, verifyCommand } from "./commands/data.js";
import { demoCommand } from "./commands/demo.js";
import { experimentCommand } from "./commands/experiment.js";
import { gradcheckCommand } from "./commands/gradcheck.js";
import { reportCommand } from "./commands/report.js";
import { mergeCommand, searchCommand } from "./commands/search.js";
import { trainCommand } from "./commands/train.js";
import {
  type CommandContext,
  outputFor,
  parseGlobalOptions,
  parsePositiveInteger,
  type RawGlobalOptions,
} from "./context.js";
import { CliError, describeError, ExitCode, usageError } from "./errors.js";
import { handleInterrupts } from "./interrupt.js";
import type { Output, OutputStream } from "./output.js";

/** The CLI's version, from its package.json. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

/** Streams the CLI writes to (default: the process's). */
export interface CliStreams {
  readonly stdout?: OutputStream;
  readonly stderr?: OutputStream;
}

const examples = (lines: readonly string[]): string =>
  `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n`;

/**
 * Builds the commander program. Each action receives a {@link CommandContext} made from the
 * global flags; the returned promise settles when the command is done.
 */
function buildProgram(run: (action: (context: CommandContext) => Promise<void>) => Promise<void>) {
  const program = new Command("puregrad")
    .description(
      "Functional autodiff on CIFAR-10: run the course experiments, train from config files, search hyper-parameters, check gradients.",
    )
    .version(VERSION, "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "show help for a command")
    .option(
      "--data-dir <dir>",
      "CIFAR-10 folder (cifar-10-batches-bin); default: $CIFAR10_DIR, then the user cache",
    )
    .addOption(
      new Option(
        "--data <mode>",
        "real CIFAR-10, synthetic data, or real when found (auto)",
      ).choices(["real", "synthetic", "auto"]),
    )
    .option("--out <dir>", "where reports and logs are written (default: runs/<name>)")
    .option("--seed <n>", "seed for initialization, shuffling and sampling (overrides configs)")
    .addOption(
      new Option("--backend <name>", "tensor backend; auto probes and picks the fastest").choices([
        "cpu",
        "gpu",
        "auto",
      ]),
    )
    .option(
      "--fma",
      "CPU matmul with fused multiply-add: faster, results may differ in the last bits between CPUs (needs WebAssembly relaxed SIMD, which Node 20 and later have)",
    )
    .option("--loss-module <path>", "a .ts/.js module exporting a loss (logits, labels) => Tensor")
    .option("-q, --quiet", "print only results, warnings and errors")
    .option("--json", "print results and events as JSON lines on stdout")
    .option("-v, --verbose", "print details and stack traces")
    .showHelpAfterError("(add --help for usage)")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .addHelpText(
      "after",
      `${examples([
        "puregrad demo",
        "puregrad experiment --list",
        "puregrad experiment a1 --data-dir ~/data/cifar-10-batches-bin",
        "puregrad experiment a1 --export-config a1.json && puregrad train --config a1.json",
        "puregrad search --config search.json --shard 0/4 --out runs/shard0",
        "puregrad data download",
      ])}
Exit codes: 0 ok · 1 run failed (all runs diverged, data missing or corrupt) · 2 usage or config error · 130 interrupted (Ctrl-C)`,
    );

  program
    .command("experiment")
    .description(
      "run a preset experiment of the course (A1, its bonus parts, A2, A3) and write its report",
    )
    .argument("[name]", "preset name (see --list)")
    .option("-l, --list", "list the presets and exit")
    .option("--export-config <file>", "write the preset as an editable config file and exit")
    .option("--epochs <n>", "train every run for n epochs instead of the preset's number")
    .addHelpText(
      "after",
      examples([
        "puregrad experiment --list",
        "puregrad experiment a1",
        "puregrad experiment a1 --epochs 5 --data synthetic --out /tmp/a1",
        "puregrad experiment a1 --loss-module examples/focal-loss.ts",
        "puregrad experiment a2-coarse --export-config coarse.json",
      ]),
    )
    .action((name: string | undefined, options: ExperimentFlags) =>
      run((context) =>
        experimentCommand(context, {
          name,
          list: options.list ?? false,
          exportConfig: options.exportConfig,
          epochs: epochsOf(options.epochs),
        }),
      ),
    );

  program
    .command("train")
    .description("train from a config file (a run or an experiment) and write its report")
    .requiredOption("-c, --config <file>", "config file (JSON)")
    .option("--epochs <n>", "override the config's number of epochs")
    .addHelpText(
      "after",
      examples([
        "puregrad experiment a1 --export-config my.json   # start from a preset",
        "puregrad train --config my.json --out runs/my",
        "puregrad train --config my.json --backend gpu --json > events.jsonl",
      ]),
    )
    .action((options: { config: string; epochs?: string }) =>
      run((context) =>
        trainCommand(context, { config: options.config, epochs: epochsOf(options.epochs) }),
      ),
    );

  const search = program
    .command("search")
    .description(
      "random search over (learning rate, lambda) from a search config; resumable and shardable",
    )
    .option("-c, --config <file>", "search config file (JSON)")
    .option("--resume", "continue an interrupted search in --out: finished trials are not re-run")
    .option(
      "--shard <i/n>",
      "run only shard i of n: trials t with t mod n = i (0-based, 0 <= i < n)",
    )
    .addHelpText(
      "after",
      examples([
        "puregrad experiment a2-coarse --export-config coarse.json",
        "puregrad search --config coarse.json --out runs/coarse",
        "puregrad search --config coarse.json --out runs/coarse --resume",
        "puregrad search --config coarse.json --out runs/shard0 --shard 0/2   # on machine 1",
        "puregrad search --config coarse.json --out runs/shard1 --shard 1/2   # on machine 2",
        "puregrad search merge --out runs/coarse runs/shard0 runs/shard1",
      ]),
    )
    .action((options: { config?: string; resume?: boolean; shard?: string }) =>
      run((context) => {
        if (options.config === undefined)
          throw usageError(
            "search needs --config FILE (or use `search merge`). See `puregrad search --help`.",
          );
        return searchCommand(context, {
          config: options.config,
          resume: options.resume ?? false,
          shard: options.shard,
        });
      }),
    );
  search
    .command("merge")
    .description("merge the trial logs of search shards into one search and write its report")
    .argument("<logs...>", "shard output folders or their trials.jsonl files")
    .addHelpText(
      "after",
      examples(["puregrad search merge --out runs/coarse runs/shard0 runs/shard1"]),
    )
    .action((logs: string[]) => run((context) => mergeCommand(context, { logs })));

  program
    .command("gradcheck")
    .description(
      "compare autograd gradients with centered and forward differences (float64) and print the tables",
    )
    .option("-c, --config <file>", "an experiment config whose gradientChecks to run")
    .argument("[preset]", "run the gradient checks of this preset only")
    .addHelpText(
      "after",
      examples([
        "puregrad gradcheck",
        "puregrad gradcheck a1",
        "puregrad gradcheck --config my-experiment.json --json",
      ]),
    )
    .action((preset: string | undefined, options: { config?: string }) =>
      run((context) => gradcheckCommand(context, { preset, config: options.config })),
    );

  const data = program
    .command("data")
    .description("download, verify and locate the CIFAR-10 binary files")
    .addHelpText(
      "after",
      examples([
        "puregrad data info",
        "puregrad data download --data-dir ~/data/cifar-10-batches-bin",
        "puregrad data verify",
      ]),
    );
  data
    .command("download")
    .description(
      "download the official archive (md5-checked, resumable) into --data-dir or the user cache",
    )
    .option("--url <url>", "a mirror of the official cifar-10-binary.tar.gz")
    .addHelpText(
      "after",
      examples(["puregrad data download", "puregrad data download --data-dir ./cifar"]),
    )
    .action((options: { url?: string }) =>
      run((context) => downloadCommand(context, options.url === undefined ? {} : options)),
    );
  data
    .command("verify")
    .description("check that every batch file decodes and has the official md5")
    .argument("[dir]", "the folder to check (default: --data-dir, $CIFAR10_DIR or the cache)")
    .option("--no-checksums", "check the format only (for data that is not the official release)")
    .addHelpText(
      "after",
      examples(["puregrad data verify", "puregrad data verify ./my-batches --no-checksums"]),
    )
    .action((dir: string | undefined, options: { checksums: boolean }) =>
      run((context) =>
        verifyCommand(context, {
          checksums: options.checksums,
          ...(dir === undefined ? {} : { dir }),
        }),
      ),
    );
  data
    .command("info")
    .description("say where CIFAR-10 is found and why, its files and the standard splits")
    .addHelpText("after", examples(["puregrad data info", "puregrad data info --json"]))
    .action(() => run((context) => infoCommand(context)));

  program
    .command("report")
    .description(
      "rebuild report.md, tables and plots of an experiment or search folder from its logs",
    )
    .argument("<dir>", "an experiment or search output folder")
    .addHelpText("after", examples(["puregrad report runs/a1", "puregrad report runs/coarse"]))
    .action((dir: string) => run((context) => reportCommand(context, { dir })));

  program
    .command("bench")
    .description(
      "time the tensor kernels: the tensor package's benchmark when present, else a built-in matmul and epoch timing",
    )
    .option("--builtin", "run the built-in timing even when the tensor package's bench is present")
    .addHelpText("after", examples(["puregrad bench", "puregrad bench --builtin --backend cpu"]))
    .action((options: { builtin?: boolean }) =>
      run((context) => benchCommand(context, { builtin: options.builtin ?? false })),
    );

  program
    .command("demo")
    .description(
      "a quick A1 run (real CIFAR-10 when found, else synthetic) that finishes in well under a minute",
    )
    .addHelpText("after", examples(["puregrad demo", "pnpm start"]))
    .action(() => run((context) => demoCommand(context)));

  return program;
}

interface ExperimentFlags {
  readonly list?: boolean;
  readonly exportConfig?: string;
  readonly epochs?: string;
}

const epochsOf = (text: string | undefined): number | undefined =>
  text === undefined ? undefined : parsePositiveInteger("--epochs", text);

/**
 * Runs the CLI on `argv` (without `node` and the script) and resolves to the exit code; it never
 * calls `process.exit` itself, except on a second Ctrl-C.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(["experiment", "a1", "--data", "synthetic"]);
 * ```
 */
export async function runCli(argv: readonly string[], streams: CliStreams = {}): Promise<number> {
  let exitCode: number = ExitCode.ok;
  let output: Output | undefined;
  const stderr = streams.stderr ?? process.stderr;
  const stdout = streams.stdout ?? process.stdout;
  const program = buildProgram(async (action) => {
    const raw = program.opts<RawGlobalOptions>();
    output = outputFor(raw, { stdout, stderr });
    const interruption = handleInterrupts(output);
    try {
      const options = parseGlobalOptions(raw);
      setMatmulFma(options.fma);
      await action({ options, output, signal: interruption.signal });
      if (interruption.signal.aborted) exitCode = ExitCode.interrupted;
    } finally {
      interruption.dispose();
    }
  });
  const configure = (command: Command): void => {
    command.exitOverride();
    command.configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
    });
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    exitCode = exitCodeOf(error, output ?? outputFor({}, { stdout, stderr }), argv);
  }
  return exitCode;
}

/** Prints an error the right way and picks its exit code. */
function exitCodeOf(error: unknown, output: Output, argv: readonly string[]): number {
  if (error instanceof CommanderError) {
    // commander has printed its message (or the help / version) already.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof CliError) {
    output.error(`error: ${error.message}`);
    return error.exitCode;
  }
  // Anything else is a bug or an error from below the CLI (e.g. a shape error from a loss module).
  const message = describeError(error);
  if (output.verbose && error instanceof Error && error.stack) output.error(error.stack);
  else
    output.error(
      `error: ${message}${argv.includes("--verbose") || argv.includes("-v") ? "" : " (run with --verbose for the stack trace)"}`,
    );
  return ExitCode.failed;
}
