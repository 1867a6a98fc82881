#!/usr/bin/env node
/** The `puregrad` executable: runs the CLI on the process's arguments and sets the exit code. */
import { runCli } from "./cli.js";

// `puregrad … | head` closes stdout early: stop quietly, as Unix tools do, instead of crashing.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
