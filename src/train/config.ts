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
import { FacenetError } from '../errors.js';
import { parseDevice } from '../tensor/device-name.js';
import { VARIANTS } from '../models/inception-resnet-v1/config.js';
import { TRAIN_DEFAULTS, TRAIN_OPTIONS, TRAIN_OPTION_KEYS, type OptionSpec, type TrainConfig } from './options.js';
import { parsePrecision } from '../tensor/index.js';

export {
  TRAIN_DEFAULTS,
  FROZEN_ON_RESUME,
  OPTIMIZER_NAMES,
  MODEL_VARIANTS,
  type TrainConfig,
  type FacenetOptimizerName,
  type LossName,
  type HeadName,
} from './options.js';

/** Merges layers over the defaults (later wins; undefined never overrides) and validates. */
export function resolveTrainConfig(...layers: readonly Partial<TrainConfig>[]): TrainConfig {
  const merged: Record<string, unknown> = { ...TRAIN_DEFAULTS };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (!(key in TRAIN_DEFAULTS)) throw new FacenetError('BAD_ARGUMENT', `unknown training option '${key}'`);
      if (value !== undefined) merged[key] = value;
    }
  }
  const config = merged as unknown as TrainConfig;
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
  return `--${key.replace(/[A-Z]/g, (letter) => '-' + letter.toLowerCase())} (${key})`;
}

/** One option's type, bounds and choices, as TRAIN_OPTIONS declares them. */
function checkOption(key: string, spec: OptionSpec<unknown>, v: unknown): void {
  if (v === null && spec.nullable) return;
  const expected = spec.type === 'integer' ? 'number' : spec.type;
  if (typeof v !== expected || (expected === 'number' && !Number.isFinite(v))) fail(`${optionName(key)} must be a ${expected}, got ${JSON.stringify(v)}`);
  if (spec.choices) {
    if (!spec.choices.includes(v as string | number)) fail(`${optionName(key)} must be one of ${spec.choices.join(', ')}, got ${typeof v === 'string' ? `'${v}'` : String(v)}`);
    return;
  }
  if (expected !== 'number') return;
  const n = v as number;
  if (spec.type === 'integer') {
    if (!Number.isInteger(n) || (spec.min !== undefined && n < spec.min)) fail(`${optionName(key)} must be an integer >= ${spec.min ?? '-inf'}, got ${n}`);
    return;
  }
  const { min, max, minExclusive } = spec;
  if (min !== undefined && max !== undefined) {
    if (!(n >= min && n <= max) || (minExclusive && n === min)) fail(`${optionName(key)} must be in ${minExclusive ? '(' : '['}${min}, ${max}], got ${n}`);
  } else if (min !== undefined && (minExclusive ? !(n > min) : !(n >= min))) {
    fail(`${optionName(key)} must be ${minExclusive ? '>' : '>='} ${min}, got ${n}`);
  }
}

/** Checks a complete config: each option against TRAIN_OPTIONS, then the rules between options; messages name the option as the CLI spells it. */
export function validateTrainConfig(config: TrainConfig): void {
  const values = config as unknown as Record<string, unknown>;
  if (!config.dataDir) fail('--data-dir is required: the aligned class-per-folder dataset to train on (dataDir in a config file or the library)');
  for (const k of TRAIN_OPTION_KEYS) checkOption(k, TRAIN_OPTIONS[k] as OptionSpec<unknown>, values[k]);
  parsePrecision(config.precision, optionName('precision'));
  const cores = os.availableParallelism();
  parseDevice(config.device);
  if (config.threads > cores) fail(`${optionName('threads')} is ${config.threads}, more than the ${cores} cores of this machine (more threads only wait on each other); use ${cores} or fewer, 0 for all cores`);
  const need = stepMemoryBound(config.batchSize, config.imageSize!);
  if (need > os.totalmem()) {
    const gb = (b: number) => (b / 2 ** 30).toFixed(b < 2 ** 31 ? 1 : 0);
    fail(`${optionName('batchSize')} ${config.batchSize} does not fit in memory: a step of ${config.batchSize} images of ${config.imageSize} px needs more than ${gb(need)} GB, this machine has ${gb(os.totalmem())} GB; use a smaller batch (facenet's default is 90)`);
  }
  if (config.learningRate === 0) fail('--learning-rate must not be 0 (> 0: a fixed rate; -1: read --learning-rate-schedule-file)');
  if (config.learningRate < 0 && !config.learningRateScheduleFile) {
    fail('a negative learningRate means "read the schedule file", but learningRateScheduleFile (--learning-rate-schedule-file) is not set');
  }
  if (Boolean(config.lfwDir) !== Boolean(config.lfwPairs)) fail('LFW evaluation needs both lfwDir (--lfw-dir, aligned LFW) and lfwPairs (--lfw-pairs, pairs.txt)');
  if (config.loss === 'triplet' && config.batchSize % 3 !== 0) fail(`triplet loss needs a batchSize that is a multiple of 3 (anchor, positive, negative), got ${config.batchSize}`);
  if (config.loss === 'triplet' && config.imagesPerPerson < 2) fail('triplet loss needs imagesPerPerson >= 2 (an anchor and a positive)');
  if (config.loss === 'triplet' && config.validationSetSplitRatio > 0) {
    fail('a validation split measures classification of the training classes: it needs --loss softmax (facenet\'s train_tripletloss has none); use --lfw-dir to evaluate triplet training');
  }
}
