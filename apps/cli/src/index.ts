/**
 * `@puregrad/cli`: the `puregrad` command line as a library, for tests and for embedding. The
 * executable is `dist/main.js`.
 * @packageDocumentation
 */
export { type CliStreams, runCli, VERSION } from "./cli.js";
export { CliError, ExitCode } from "./errors.js";
export { type LoadedLoss, loadLossModule } from "./loss-module.js";
export {
  formatBytes,
  formatDuration,
  formatProgress,
  Output,
  type OutputOptions,
  type OutputStream,
  type Progress,
  type ProgressUpdate,
} from "./output.js";
