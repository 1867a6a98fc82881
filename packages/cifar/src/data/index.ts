/**
 * The CIFAR-10 data layer: reading, verifying, locating and downloading the binary version,
 * a synthetic stand-in, splits, normalization and mini-batches. IO returns TaskEithers with
 * {@link CifarDataError}; pure transforms are plain functions on typed arrays, with tensors made
 * only in the last step ({@link toTensors}, {@link prepareSplit}).
 */
export {
  CIFAR10_ARCHIVE_MD5,
  CIFAR10_URL,
  type DownloadCifar10Options,
  type DownloadProgress,
  type DownloadResult,
  downloadCifar10,
} from "./download.js";
export type {
  ArchiveInvalid,
  ChecksumMismatch,
  CifarDataError,
  DatasetNotFound,
  DestinationExists,
  DownloadAborted,
  DownloadFailed,
  DownloadTruncated,
  FileNotFound,
  FileVerification,
  InvalidBatchSize,
  InvalidClassNames,
  InvalidLabel,
  InvalidSplit,
  ReadFailed,
  VerificationFailed,
  WriteFailed,
} from "./errors.js";
export {
  readBatch,
  readClassNames,
  type VerificationReport,
  verifyCifar10,
  writeBatch,
} from "./files.js";
export {
  BATCH_FILES,
  type BatchFile,
  CHANNELS,
  CIFAR10_MD5,
  CLASS_NAMES_FILE,
  CLASSES,
  decodeBatch,
  encodeBatch,
  FEATURES,
  IMAGE_SIZE,
  type LabeledImages,
  parseClassNames,
  RECORD_BYTES,
} from "./format.js";
export {
  CIFAR10_DIR_NAME,
  type Cifar10Location,
  cifar10CacheDir,
  type DirectorySource,
  type FindCifar10DirOptions,
  findCifar10Dir,
} from "./locate.js";
export {
  computeNormalization,
  imagesToFloat32,
  type NormalizationStatistics,
} from "./normalize.js";
export {
  type MiniBatchOptions,
  miniBatches,
  type PreparedCifar10,
  type PrepareSplitOptions,
  prepareSplit,
  type TensorSet,
  type ToTensorsOptions,
  toTensors,
} from "./prepare.js";
export {
  type Cifar10Data,
  type Cifar10Source,
  type LoadCifar10Options,
  type LoadedCifar10,
  loadCifar10,
  SPLITS,
  type SplitName,
  type SplitPart,
  type SplitSpec,
} from "./splits.js";
export {
  SYNTHETIC_CLASS_NAMES,
  type SyntheticCifar10Options,
  syntheticCifar10,
} from "./synthetic.js";
