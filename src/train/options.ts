/**
 * The training options, each declared once: type, default, bounds, help text and whether it is
 * frozen on resume. TrainConfig, TRAIN_DEFAULTS, FROZEN_ON_RESUME, the type and range checks of
 * validateTrainConfig (config.ts), the paths a config file resolves (config-file.ts) and the
 * `facenet train` flags with their help, choices and integer kinds (cli/commands/train.ts) are
 * all derived from TRAIN_OPTIONS. Rules between options stay in validateTrainConfig.
 *
 * Names are facenet's train_softmax.py / train_tripletloss.py options in camelCase (the CLI spells
 * them --kebab-case and accepts facenet's --snake_case); defaults are facenet's.
 */
import { MIN_INPUT_SIZE, VARIANTS } from '../models/inception-resnet-v1/config.js';
import type { PrecisionOption } from '../tensor/index.js';

export type FacenetOptimizerName = 'ADAGRAD' | 'ADADELTA' | 'ADAM' | 'RMSPROP' | 'MOM';
export const OPTIMIZER_NAMES: readonly FacenetOptimizerName[] = ['ADAGRAD', 'ADADELTA', 'ADAM', 'RMSPROP', 'MOM'];
export type LossName = 'softmax' | 'triplet';
export type HeadName = 'softmax' | 'arcface';
export const MODEL_VARIANTS: readonly string[] = Object.keys(VARIANTS);

export interface OptionSpec<T> {
  type: 'number' | 'integer' | 'string' | 'boolean';
  default: T;
  help: string;
  /** null is a valid value ("not set"). */
  nullable?: boolean;
  /** Numbers: the smallest allowed value (integers: `>= min`; others see minExclusive). */
  min?: number;
  /** With min: the bound itself is not allowed (`> min`). */
  minExclusive?: boolean;
  max?: number;
  /** The allowed values (strings or numbers). */
  choices?: readonly (string | number)[];
  /** Cannot change when a run is resumed (it shapes the model, its state or the data order). */
  frozenOnResume?: boolean;
  /** A file or folder: relative values in a config file are taken from the file's folder. */
  path?: boolean;
}

const opt = <T>(spec: OptionSpec<T>): OptionSpec<T> => spec;

export const TRAIN_OPTIONS = {
  // ---- data ----------------------------------------------------------------------------------
  dataDir: opt({ type: 'string', default: '', path: true, help: 'aligned class-per-folder dataset (one sub-folder of face images per person)' }),
  minImagesPerClass: opt({ type: 'integer', default: 0, min: 0, frozenOnResume: true, help: 'leave out classes with fewer images (0 keeps all)' }),
  validationSetSplitRatio: opt({ type: 'number', default: 0.0, min: 0, max: 1, frozenOnResume: true, help: 'fraction of each class held out for validation' }),
  minNrofValImagesPerClass: opt({ type: 'integer', default: 0, min: 0, frozenOnResume: true, help: "classes whose training share is smaller are dropped from both sets (facenet's rule)" }),
  validateEveryNEpochs: opt({ type: 'integer', default: 5, min: 1, help: 'validation-set evaluation period in epochs' }),
  randomCrop: opt({ type: 'boolean', default: false, help: 'random image-size crop of the larger aligned image (else the centre crop)' }),
  randomFlip: opt({ type: 'boolean', default: false, help: 'random horizontal flips' }),
  randomRotate: opt({ type: 'boolean', default: false, help: 'random rotations within ±10°' }),
  useFixedImageStandardization: opt({ type: 'boolean', default: false, help: '(x - 127.5) / 128 instead of per-image prewhitening (recorded in the model)' }),
  // ---- model ---------------------------------------------------------------------------------
  modelVariant: opt<string>({ type: 'string', default: 'inception-resnet-v1', choices: MODEL_VARIANTS, frozenOnResume: true, help: `network: ${MODEL_VARIANTS.join(' | ')}` }),
  imageSize: opt<number | null>({ type: 'integer', default: null, nullable: true, min: MIN_INPUT_SIZE, frozenOnResume: true, help: "network input size in pixels (default: the variant's own, 160 for the reference network)" }),
  embeddingSize: opt({ type: 'integer', default: 128, min: 1, frozenOnResume: true, help: 'embedding dimension' }),
  keepProbability: opt({ type: 'number', default: 1.0, min: 0, minExclusive: true, max: 1, help: 'dropout keep probability before the bottleneck' }),
  batchNormDecay: opt({ type: 'number', default: 0.995, min: 0, max: 1, help: "batch-norm moving-average decay (facenet's 0.995)" }),
  pretrainedModel: opt<string | null>({ type: 'string', default: null, nullable: true, path: true, help: 'start from these weights: vggface2, casia-webface or a model file (fine-tuning)' }),
  // ---- loss ----------------------------------------------------------------------------------
  loss: opt<LossName>({ type: 'string', default: 'softmax', choices: ['softmax', 'triplet'], frozenOnResume: true, help: 'softmax (train_softmax.py) or triplet (train_tripletloss.py)' }),
  head: opt<HeadName>({ type: 'string', default: 'softmax', choices: ['softmax', 'arcface'], frozenOnResume: true, help: 'classifier of the softmax loss: softmax (facenet) or arcface (additive angular margin)' }),
  arcfaceScale: opt({ type: 'number', default: 64, min: 0, help: 'ArcFace scale s' }),
  arcfaceMargin: opt({ type: 'number', default: 0.5, min: 0, max: Math.PI / 2, help: 'ArcFace angular margin m (radians)' }),
  weightDecay: opt({ type: 'number', default: 0.0, min: 0, help: 'L2 weight regularisation (TF l2_regularizer: wd * sum(w²) / 2)' }),
  centerLossFactor: opt({ type: 'number', default: 0.0, min: 0, help: 'center loss factor' }),
  centerLossAlfa: opt({ type: 'number', default: 0.95, min: 0, max: 1, help: 'center update rate alfa' }),
  prelogitsNormLossFactor: opt({ type: 'number', default: 0.0, min: 0, help: 'prelogits norm loss factor' }),
  prelogitsNormP: opt({ type: 'number', default: 1.0, min: 0, minExclusive: true, help: 'norm of the prelogits norm loss' }),
  peoplePerBatch: opt({ type: 'integer', default: 45, min: 1, frozenOnResume: true, help: 'triplet loss: people sampled per selection round' }),
  imagesPerPerson: opt({ type: 'integer', default: 40, min: 1, frozenOnResume: true, help: 'triplet loss: images per person in a round' }),
  alpha: opt({ type: 'number', default: 0.2, min: 0, help: 'triplet loss margin' }),
  // ---- optimisation --------------------------------------------------------------------------
  optimizer: opt<FacenetOptimizerName>({ type: 'string', default: 'ADAGRAD', choices: OPTIMIZER_NAMES, frozenOnResume: true, help: `optimizer: ${OPTIMIZER_NAMES.join(' | ')} (TensorFlow settings of facenet)` }),
  learningRate: opt({ type: 'number', default: 0.1, help: 'learning rate; -1 reads --learning-rate-schedule-file' }),
  learningRateDecayEpochs: opt({ type: 'integer', default: 100, min: 1, help: 'epochs between exponential decays' }),
  learningRateDecayFactor: opt({ type: 'number', default: 1.0, min: 0, help: 'exponential (staircase) decay factor' }),
  learningRateScheduleFile: opt<string | null>({ type: 'string', default: null, nullable: true, path: true, help: 'facenet schedule file ("epoch: lr" lines; lr -1 stops training)' }),
  movingAverageDecay: opt({ type: 'number', default: 0.9999, min: 0, max: 1, help: "decay of the weights' moving average used for evaluation and the model (0: off)" }),
  batchSize: opt({ type: 'integer', default: 90, min: 1, frozenOnResume: true, help: 'images per batch' }),
  epochSize: opt({ type: 'integer', default: 1000, min: 1, frozenOnResume: true, help: 'batches per epoch' }),
  maxNrofEpochs: opt({ type: 'integer', default: 500, min: 1, help: 'number of epochs to run' }),
  seed: opt({ type: 'integer', default: 666, min: 0, frozenOnResume: true, help: 'random seed' }),
  // ---- LFW during training -------------------------------------------------------------------
  lfwDir: opt<string | null>({ type: 'string', default: null, nullable: true, path: true, help: 'aligned LFW folder, evaluated during training (needs --lfw-pairs)' }),
  lfwPairs: opt<string | null>({ type: 'string', default: null, nullable: true, path: true, help: 'LFW pairs.txt' }),
  lfwEveryNEpochs: opt({ type: 'integer', default: 1, min: 1, help: 'LFW evaluation period in epochs' }),
  lfwMaxPairs: opt({ type: 'integer', default: 0, min: 0, help: 'evaluate an evenly spread subset of this many pairs (0: all)' }),
  lfwBatchSize: opt({ type: 'integer', default: 100, min: 1, help: 'images per LFW forward pass' }),
  lfwNrofFolds: opt({ type: 'integer', default: 10, min: 2, help: 'LFW cross-validation folds' }),
  lfwDistanceMetric: opt<0 | 1>({ type: 'integer', default: 0, choices: [0, 1], help: 'LFW distance: 0 squared Euclidean, 1 angular' }),
  lfwSubtractMean: opt({ type: 'boolean', default: false, help: "LFW: subtract the training folds' mean embedding" }),
  lfwUseFlippedImages: opt({ type: 'boolean', default: false, help: 'LFW: concatenate the embeddings of the mirrored images' }),
  // ---- run control ---------------------------------------------------------------------------
  logsBaseDir: opt({ type: 'string', default: 'runs', path: true, help: 'runs are written to <dir>/<YYYYmmdd-HHMMSS>' }),
  runName: opt<string | null>({ type: 'string', default: null, nullable: true, help: 'name the run folder <logs-base-dir>/<name> instead of the date and time' }),
  maxMinutes: opt({ type: 'number', default: 0, min: 0, help: 'stop cleanly (checkpoint + model) after this many minutes (0: no limit)' }),
  checkpointEveryMinutes: opt({ type: 'number', default: 15, min: 0, help: 'checkpoint at least this often besides every epoch end (0: epoch ends only)' }),
  threads: opt({ type: 'integer', default: 0, min: 0, help: 'libtorch threads (0: all cores)' }),
  device: opt({ type: 'string', default: 'cpu', help: 'where the network trains: cpu (cuda needs a CUDA build and is not implemented yet)' }),
  prefetchBatches: opt({ type: 'integer', default: 3, min: 1, help: 'batches decoded ahead of the training step' }),
  channelsLast: opt({ type: 'boolean', default: true, help: 'channels_last convolutions (faster on CPU)' }),
  // No `choices`: validateTrainConfig checks it with parsePrecision, whose message says why fp16 is refused.
  // 'auto' is resolved when a run opens (config.json and the checkpoint record bf16 or fp32); resuming may change it.
  precision: opt<PrecisionOption>({
    type: 'string',
    default: 'auto',
    help: 'fp32 | bf16 (mixed precision: bf16 convolutions/matmuls, fp32 weights, losses, BN statistics, EMA) | auto (bf16 where the CPU has AMX/AVX512-BF16)',
  }),
};

export type TrainOptionKey = keyof typeof TRAIN_OPTIONS;

/** The resolved training configuration: one value per TRAIN_OPTIONS entry. */
export type TrainConfig = { [K in TrainOptionKey]: (typeof TRAIN_OPTIONS)[K] extends OptionSpec<infer T> ? T : never };

export const TRAIN_OPTION_KEYS = Object.keys(TRAIN_OPTIONS) as TrainOptionKey[];

export const TRAIN_DEFAULTS: Readonly<TrainConfig> = Object.freeze(
  Object.fromEntries(TRAIN_OPTION_KEYS.map((k) => [k, TRAIN_OPTIONS[k].default])) as TrainConfig,
);

/** Options that cannot change when a run is resumed (they shape the model, its state or the data order). */
export const FROZEN_ON_RESUME: readonly TrainOptionKey[] = TRAIN_OPTION_KEYS.filter((k) => (TRAIN_OPTIONS[k] as OptionSpec<unknown>).frozenOnResume);

/** Options naming files or folders. */
export const PATH_OPTIONS: readonly TrainOptionKey[] = TRAIN_OPTION_KEYS.filter((k) => (TRAIN_OPTIONS[k] as OptionSpec<unknown>).path);
