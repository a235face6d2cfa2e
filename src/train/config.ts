/**
 * Training configuration: every option of facenet's train_softmax.py / train_tripletloss.py (same
 * defaults, camelCase names; the CLI spells them --kebab-case and accepts facenet's snake_case),
 * plus this port's own (ArcFace head, variants, run control). Layers merge as
 * defaults < config file < command-line flags; the resolved result is saved in every run folder
 * and checkpoint.
 *
 * facenet options not carried over: --filter_filename / --filter_percentile /
 * --filter_min_nrof_images_per_class (hdf5 filtering; --min-images-per-class filters by count),
 * --log_histograms and --prelogits_hist_max (TensorBoard only), --gpu_memory_fraction,
 * --models_base_dir (the model goes into the run folder), --model_def (--model-variant picks the
 * Inception-ResNet-v1 size) and --nrof_preprocess_threads (decoding runs on libuv's thread pool;
 * --prefetch-batches sets how far ahead). train_tripletloss always prewhitens; here it honours
 * --use-fixed-image-standardization like train_softmax.
 */
import os from 'node:os';
import { parsePrecision, type PrecisionOption } from '../tensor/index.js';
import { FacenetError } from '../errors.js';
import { VARIANTS } from '../models/inception-resnet-v1/config.js';

export type FacenetOptimizerName = 'ADAGRAD' | 'ADADELTA' | 'ADAM' | 'RMSPROP' | 'MOM';
export const OPTIMIZER_NAMES: readonly FacenetOptimizerName[] = ['ADAGRAD', 'ADADELTA', 'ADAM', 'RMSPROP', 'MOM'];
export type LossName = 'softmax' | 'triplet';
export type HeadName = 'softmax' | 'arcface';
export const MODEL_VARIANTS: readonly string[] = Object.keys(VARIANTS);

export interface TrainConfig {
  // ---- data -------------------------------------------------------------------------------
  /** Aligned class-per-folder dataset (facenet: --data_dir). */
  dataDir: string;
  minImagesPerClass: number;
  validationSetSplitRatio: number;
  minNrofValImagesPerClass: number;
  validateEveryNEpochs: number;
  randomCrop: boolean;
  randomFlip: boolean;
  randomRotate: boolean;
  useFixedImageStandardization: boolean;
  // ---- model ------------------------------------------------------------------------------
  modelVariant: string;
  /** Network input side; null: the variant's own (160 for the reference, as facenet's default). */
  imageSize: number | null;
  embeddingSize: number;
  keepProbability: number;
  /** facenet's batch-norm decay 0.995 (torch momentum 1 - decay). */
  batchNormDecay: number;
  /** Weights to start from: 'vggface2', 'casia-webface', or a model file (fine-tuning). */
  pretrainedModel: string | null;
  // ---- loss -------------------------------------------------------------------------------
  loss: LossName;
  /** Softmax-loss classifier: facenet's linear logits, or an additive angular margin (ArcFace). */
  head: HeadName;
  arcfaceScale: number;
  arcfaceMargin: number;
  weightDecay: number;
  centerLossFactor: number;
  centerLossAlfa: number;
  prelogitsNormLossFactor: number;
  prelogitsNormP: number;
  peoplePerBatch: number;
  imagesPerPerson: number;
  alpha: number;
  // ---- optimisation -----------------------------------------------------------------------
  optimizer: FacenetOptimizerName;
  /** > 0: this rate; < 0: read learningRateScheduleFile (facenet's convention). */
  learningRate: number;
  learningRateDecayEpochs: number;
  learningRateDecayFactor: number;
  learningRateScheduleFile: string | null;
  /** EMA of the weights, used for evaluation and the exported model (0 turns it off). */
  movingAverageDecay: number;
  batchSize: number;
  /** Batches per epoch. */
  epochSize: number;
  maxNrofEpochs: number;
  seed: number;
  // ---- LFW during training ----------------------------------------------------------------
  lfwDir: string | null;
  lfwPairs: string | null;
  lfwEveryNEpochs: number;
  /** Evaluate on an evenly spread subset of this many pairs (0: all). */
  lfwMaxPairs: number;
  lfwBatchSize: number;
  lfwNrofFolds: number;
  lfwDistanceMetric: 0 | 1;
  lfwSubtractMean: boolean;
  lfwUseFlippedImages: boolean;
  // ---- run control ------------------------------------------------------------------------
  /** Runs go to <logsBaseDir>/<YYYYmmdd-HHMMSS>, or <logsBaseDir>/<runName> when set. */
  logsBaseDir: string;
  runName: string | null;
  /** Stop cleanly (checkpoint + model) after this many minutes (0: no limit). */
  maxMinutes: number;
  /** Checkpoint at least this often besides every epoch end (0: only at epoch ends). */
  checkpointEveryMinutes: number;
  /** libtorch threads (0: all cores). */
  threads: number;
  /** Batches decoded ahead of the training step. */
  prefetchBatches: number;
  /** Run the convolutions in channels_last layout (faster on CPU). */
  channelsLast: boolean;
  /**
   * Compute precision: 'bf16' = mixed precision (bf16 convolutions and matmuls, fp32 master weights,
   * optimiser state, losses, batch-norm statistics and EMA; checkpoints stay fp32), 'fp32', or
   * 'auto' (default: bf16 where the CPU has native bf16 matrix support). A run's config.json
   * records the resolved value; resuming may change it.
   */
  precision: PrecisionOption;
}

export const TRAIN_DEFAULTS: Readonly<TrainConfig> = Object.freeze({
  dataDir: '',
  minImagesPerClass: 0,
  validationSetSplitRatio: 0.0,
  minNrofValImagesPerClass: 0,
  validateEveryNEpochs: 5,
  randomCrop: false,
  randomFlip: false,
  randomRotate: false,
  useFixedImageStandardization: false,
  modelVariant: 'inception-resnet-v1',
  imageSize: null,
  embeddingSize: 128,
  keepProbability: 1.0,
  batchNormDecay: 0.995,
  pretrainedModel: null,
  loss: 'softmax',
  head: 'softmax',
  arcfaceScale: 64,
  arcfaceMargin: 0.5,
  weightDecay: 0.0,
  centerLossFactor: 0.0,
  centerLossAlfa: 0.95,
  prelogitsNormLossFactor: 0.0,
  prelogitsNormP: 1.0,
  peoplePerBatch: 45,
  imagesPerPerson: 40,
  alpha: 0.2,
  optimizer: 'ADAGRAD',
  learningRate: 0.1,
  learningRateDecayEpochs: 100,
  learningRateDecayFactor: 1.0,
  learningRateScheduleFile: null,
  movingAverageDecay: 0.9999,
  batchSize: 90,
  epochSize: 1000,
  maxNrofEpochs: 500,
  seed: 666,
  lfwDir: null,
  lfwPairs: null,
  lfwEveryNEpochs: 1,
  lfwMaxPairs: 0,
  lfwBatchSize: 100,
  lfwNrofFolds: 10,
  lfwDistanceMetric: 0,
  lfwSubtractMean: false,
  lfwUseFlippedImages: false,
  logsBaseDir: 'runs',
  runName: null,
  maxMinutes: 0,
  checkpointEveryMinutes: 15,
  threads: 0,
  prefetchBatches: 3,
  channelsLast: true,
  precision: 'auto',
} satisfies TrainConfig);

/** Options that cannot change when a run is resumed (they shape the model, its state or the data order). */
export const FROZEN_ON_RESUME: readonly (keyof TrainConfig)[] = [
  'loss', 'head', 'modelVariant', 'imageSize', 'embeddingSize', 'optimizer', 'seed', 'batchSize', 'epochSize',
  'peoplePerBatch', 'imagesPerPerson', 'validationSetSplitRatio', 'minImagesPerClass', 'minNrofValImagesPerClass',
];

/** Merges layers over the defaults (later wins; undefined never overrides) and validates. */
export function resolveTrainConfig(...layers: readonly Partial<TrainConfig>[]): TrainConfig {
  const c: Record<string, unknown> = { ...TRAIN_DEFAULTS };
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (!(k in TRAIN_DEFAULTS)) throw new FacenetError('BAD_ARGUMENT', `unknown training option '${k}'`);
      if (v !== undefined) c[k] = v;
    }
  }
  const config = c as unknown as TrainConfig;
  if (config.imageSize === null) config.imageSize = (VARIANTS[config.modelVariant]?.inputSize as number | undefined) ?? 160;
  validateTrainConfig(config);
  return Object.freeze(config) as TrainConfig;
}

/**
 * A lower bound of the memory one training step needs per input byte: the float32 input plus the
 * activations autograd keeps for the backward pass (measured ~40-60x the input for
 * Inception-ResNet-v1; 20x keeps the bound on the safe side of refusing a run that would fit).
 */
const STEP_BYTES_PER_INPUT_BYTE = 20;

/** Bytes a step over `batchSize` images of `imageSize` px needs at least (see STEP_BYTES_PER_INPUT_BYTE). */
export function stepMemoryBound(batchSize: number, imageSize: number): number {
  return batchSize * 3 * imageSize * imageSize * 4 * STEP_BYTES_PER_INPUT_BYTE;
}

function fail(message: string): never {
  throw new FacenetError('BAD_ARGUMENT', message);
}

/** An option as the CLI spells it, with the config key a library caller uses: `--batch-size (batchSize)`. */
export function optionName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} (${key})`;
}

/** Checks types and ranges of a complete config; messages name the option as the CLI spells it. */
export function validateTrainConfig(c: TrainConfig): void {
  for (const [k, dflt] of Object.entries(TRAIN_DEFAULTS)) {
    const v = (c as unknown as Record<string, unknown>)[k];
    const expected = dflt === null ? (k === 'imageSize' ? 'number' : 'string') : typeof dflt;
    if (v === null && dflt === null) continue;
    if (typeof v !== expected || (expected === 'number' && !Number.isFinite(v))) fail(`${optionName(k)} must be a ${expected}, got ${JSON.stringify(v)}`);
  }
  const int = (k: keyof TrainConfig, min: number) => {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < min) fail(`${optionName(k)} must be an integer >= ${min}, got ${v}`);
  };
  const range = (k: keyof TrainConfig, lo: number, hi: number, open = false) => {
    const v = c[k] as number;
    if (!(v >= lo && v <= hi) || (open && v === lo)) fail(`${optionName(k)} must be in ${open ? '(' : '['}${lo}, ${hi}], got ${v}`);
  };
  if (!c.dataDir) fail('--data-dir is required: the aligned class-per-folder dataset to train on (dataDir in a config file or the library)');
  if (!MODEL_VARIANTS.includes(c.modelVariant)) fail(`${optionName('modelVariant')} must be one of ${MODEL_VARIANTS.join(', ')}, got '${c.modelVariant}'`);
  if (!OPTIMIZER_NAMES.includes(c.optimizer)) fail(`${optionName('optimizer')} must be one of ${OPTIMIZER_NAMES.join(', ')}, got '${c.optimizer}'`);
  if (c.loss !== 'softmax' && c.loss !== 'triplet') fail(`${optionName('loss')} must be softmax or triplet, got '${c.loss}'`);
  parsePrecision(c.precision, optionName('precision'));
  if (c.head !== 'softmax' && c.head !== 'arcface') fail(`${optionName('head')} must be softmax or arcface, got '${c.head}'`);
  int('imageSize' as keyof TrainConfig, 75);
  for (const k of ['embeddingSize', 'batchSize', 'epochSize', 'maxNrofEpochs', 'validateEveryNEpochs', 'peoplePerBatch', 'imagesPerPerson', 'lfwEveryNEpochs', 'lfwBatchSize', 'prefetchBatches', 'learningRateDecayEpochs'] as const) int(k, 1);
  for (const k of ['minImagesPerClass', 'minNrofValImagesPerClass', 'lfwMaxPairs', 'threads', 'seed'] as const) int(k, 0);
  int('lfwNrofFolds', 2);
  const cores = os.availableParallelism();
  if (c.threads > cores) fail(`${optionName('threads')} is ${c.threads}, more than the ${cores} cores of this machine (more threads only wait on each other); use ${cores} or fewer, 0 for all cores`);
  const need = stepMemoryBound(c.batchSize, c.imageSize!);
  if (need > os.totalmem()) {
    const gb = (b: number) => (b / 2 ** 30).toFixed(b < 2 ** 31 ? 1 : 0);
    fail(`${optionName('batchSize')} ${c.batchSize} does not fit in memory: a step of ${c.batchSize} images of ${c.imageSize} px needs more than ${gb(need)} GB, this machine has ${gb(os.totalmem())} GB; use a smaller batch (facenet's default is 90)`);
  }
  range('keepProbability', 0, 1, true);
  range('validationSetSplitRatio', 0, 1);
  range('batchNormDecay', 0, 1);
  range('movingAverageDecay', 0, 1);
  range('centerLossAlfa', 0, 1);
  for (const k of ['weightDecay', 'centerLossFactor', 'prelogitsNormLossFactor', 'alpha', 'maxMinutes', 'checkpointEveryMinutes', 'learningRateDecayFactor', 'arcfaceScale'] as const) {
    if (!((c[k] as number) >= 0)) fail(`${optionName(k)} must be >= 0, got ${c[k]}`);
  }
  if (!(c.prelogitsNormP > 0)) fail(`${optionName('prelogitsNormP')} must be > 0, got ${c.prelogitsNormP}`);
  range('arcfaceMargin', 0, Math.PI / 2);
  if (c.learningRate === 0) fail('--learning-rate must not be 0 (> 0: a fixed rate; -1: read --learning-rate-schedule-file)');
  if (c.learningRate < 0 && !c.learningRateScheduleFile) {
    fail('a negative learningRate means "read the schedule file", but learningRateScheduleFile (--learning-rate-schedule-file) is not set');
  }
  if (c.lfwDistanceMetric !== 0 && c.lfwDistanceMetric !== 1) fail(`${optionName('lfwDistanceMetric')} must be 0 (squared Euclidean) or 1 (angular), got ${c.lfwDistanceMetric}`);
  if (Boolean(c.lfwDir) !== Boolean(c.lfwPairs)) fail('LFW evaluation needs both lfwDir (--lfw-dir, aligned LFW) and lfwPairs (--lfw-pairs, pairs.txt)');
  if (c.loss === 'triplet' && c.batchSize % 3 !== 0) fail(`triplet loss needs a batchSize that is a multiple of 3 (anchor, positive, negative), got ${c.batchSize}`);
  if (c.loss === 'triplet' && c.imagesPerPerson < 2) fail('triplet loss needs imagesPerPerson >= 2 (an anchor and a positive)');
  if (c.loss === 'triplet' && c.validationSetSplitRatio > 0) {
    fail('a validation split measures classification of the training classes: it needs --loss softmax (facenet\'s train_tripletloss has none); use --lfw-dir to evaluate triplet training');
  }
}
