/**
 * `facenet train`: train a face-embedding model on an aligned class-per-folder dataset, as
 * facenet's train_softmax.py / train_tripletloss.py (same options and defaults; --snake_case
 * spellings work too). Parsing and printing only: the work is train() in src/train.
 *
 * Options layer as defaults < --config FILE < flags given on the command line. Exit codes: 0 done,
 * 130 interrupted (Ctrl-C; resumable with --resume RUN_DIR), 1 failure, 2 bad arguments.
 */
import { toKebab, type FlagSpec } from '../args.js';
import { defineCommand } from '../define-command.js';
import { NETWORK_OPTIONS } from '../network-options.js';
import { ProgressBar } from '../progress.js';
import { OPTIMIZER_NAMES, MODEL_VARIANTS, TRAIN_DEFAULTS, type TrainConfig } from '../../train/config.js';
import { readTrainConfigFile } from '../../train/config-file.js';
import type { TrainEvent, TrainSummary } from '../../train/events.js';

const HELP: Record<keyof TrainConfig, string> = {
  dataDir: 'aligned class-per-folder dataset (one sub-folder of face images per person)',
  minImagesPerClass: 'leave out classes with fewer images (0 keeps all)',
  validationSetSplitRatio: 'fraction of each class held out for validation',
  minNrofValImagesPerClass: "classes whose training share is smaller are dropped from both sets (facenet's rule)",
  validateEveryNEpochs: 'validation-set evaluation period in epochs',
  randomCrop: 'random image-size crop of the larger aligned image (else the centre crop)',
  randomFlip: 'random horizontal flips',
  randomRotate: 'random rotations within ±10°',
  useFixedImageStandardization: '(x - 127.5) / 128 instead of per-image prewhitening (recorded in the model)',
  modelVariant: `network: ${MODEL_VARIANTS.join(' | ')}`,
  imageSize: 'network input size in pixels (default: the variant\'s own, 160 for the reference network)',
  embeddingSize: 'embedding dimension',
  keepProbability: 'dropout keep probability before the bottleneck',
  batchNormDecay: "batch-norm moving-average decay (facenet's 0.995)",
  pretrainedModel: 'start from these weights: vggface2, casia-webface or a model file (fine-tuning)',
  loss: 'softmax (train_softmax.py) or triplet (train_tripletloss.py)',
  head: 'classifier of the softmax loss: softmax (facenet) or arcface (additive angular margin)',
  arcfaceScale: 'ArcFace scale s',
  arcfaceMargin: 'ArcFace angular margin m (radians)',
  weightDecay: 'L2 weight regularisation (TF l2_regularizer: wd * sum(w²) / 2)',
  centerLossFactor: 'center loss factor',
  centerLossAlfa: 'center update rate alfa',
  prelogitsNormLossFactor: 'prelogits norm loss factor',
  prelogitsNormP: 'norm of the prelogits norm loss',
  peoplePerBatch: 'triplet loss: people sampled per selection round',
  imagesPerPerson: 'triplet loss: images per person in a round',
  alpha: 'triplet loss margin',
  optimizer: `optimizer: ${OPTIMIZER_NAMES.join(' | ')} (TensorFlow settings of facenet)`,
  learningRate: 'learning rate; -1 reads --learning-rate-schedule-file',
  learningRateDecayEpochs: 'epochs between exponential decays',
  learningRateDecayFactor: 'exponential (staircase) decay factor',
  learningRateScheduleFile: 'facenet schedule file ("epoch: lr" lines; lr -1 stops training)',
  movingAverageDecay: 'decay of the weights\' moving average used for evaluation and the model (0: off)',
  batchSize: 'images per batch',
  epochSize: 'batches per epoch',
  maxNrofEpochs: 'number of epochs to run',
  seed: 'random seed',
  lfwDir: 'aligned LFW folder, evaluated during training (needs --lfw-pairs)',
  lfwPairs: 'LFW pairs.txt',
  lfwEveryNEpochs: 'LFW evaluation period in epochs',
  lfwMaxPairs: 'evaluate an evenly spread subset of this many pairs (0: all)',
  lfwBatchSize: 'images per LFW forward pass',
  lfwNrofFolds: 'LFW cross-validation folds',
  lfwDistanceMetric: 'LFW distance: 0 squared Euclidean, 1 angular',
  lfwSubtractMean: 'LFW: subtract the training folds\' mean embedding',
  lfwUseFlippedImages: 'LFW: concatenate the embeddings of the mirrored images',
  logsBaseDir: 'runs are written to <dir>/<YYYYmmdd-HHMMSS>',
  runName: 'name the run folder <logs-base-dir>/<name> instead of the date and time',
  maxMinutes: 'stop cleanly (checkpoint + model) after this many minutes (0: no limit)',
  checkpointEveryMinutes: 'checkpoint at least this often besides every epoch end (0: epoch ends only)',
  threads: 'libtorch threads (0: all cores)',
  prefetchBatches: 'batches decoded ahead of the training step',
  channelsLast: 'channels_last convolutions (faster on CPU)',
  precision: "fp32 | bf16 (mixed precision: bf16 convolutions/matmuls, fp32 weights, losses, BN statistics, EMA) | auto (bf16 where the CPU has AMX/AVX512-BF16)",
};

const CHOICES: Partial<Record<keyof TrainConfig, readonly string[]>> = {
  loss: ['softmax', 'triplet'],
  head: ['softmax', 'arcface'],
  optimizer: OPTIMIZER_NAMES,
  modelVariant: MODEL_VARIANTS,
};

const INTEGER_KEYS = new Set(['imageSize', 'embeddingSize', 'batchSize', 'epochSize', 'maxNrofEpochs', 'seed', 'threads', 'minImagesPerClass', 'peoplePerBatch', 'imagesPerPerson', 'lfwMaxPairs', 'lfwBatchSize', 'lfwNrofFolds', 'lfwEveryNEpochs', 'validateEveryNEpochs', 'prefetchBatches', 'learningRateDecayEpochs', 'minNrofValImagesPerClass', 'lfwDistanceMetric']);

/** 'validateEveryNEpochs' -> 'validate_every_n_epochs': flag keys spelled so that the parser's kebab form is facenet's. */
function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);
}

/** Flag key -> config key. */
const CONFIG_KEY_OF = new Map<string, keyof TrainConfig>((Object.keys(TRAIN_DEFAULTS) as (keyof TrainConfig)[]).map((k) => [snakeCase(k), k]));

/** One flag per config key, without parser defaults so that only flags actually given override the config file. */
function configFlags(): Record<string, FlagSpec> {
  const flags: Record<string, FlagSpec> = {};
  for (const [flag, key] of CONFIG_KEY_OF) {
    const dflt = TRAIN_DEFAULTS[key] as unknown;
    const shown = dflt === null || dflt === '' ? '' : ` [${String(dflt)}]`;
    const help = HELP[key] + shown;
    if (typeof dflt === 'boolean') flags[flag] = { type: 'boolean', help };
    else if (typeof dflt === 'number' || key === 'imageSize') flags[flag] = { type: 'number', integer: INTEGER_KEYS.has(key), help };
    else flags[flag] = { type: 'string', help, ...(CHOICES[key] ? { choices: CHOICES[key] } : {}) };
  }
  return flags;
}

const spec = {
  command: 'train',
  json: 'print the final summary as JSON on stdout',
  summary:
    'Train a face-embedding model (Inception-ResNet-v1) on an aligned class-per-folder dataset, as facenet\'s train_softmax.py ' +
    '(--loss softmax) or train_tripletloss.py (--loss triplet). Writes a run folder with config.json, metrics.jsonl, ' +
    'checkpoints, curves.svg and model.safetensors (usable with `facenet embed --model`). Defaults in [brackets].',
  flags: {
    config: { type: 'string', valueName: 'file.json', help: 'options from a JSON file (flags given here win)' },
    resume: { type: 'string', valueName: 'run-dir', help: 'continue a run from its last checkpoint' },
    ...configFlags(),
    // The shared engine flags; each is also a TrainConfig key of the same name (config.json records it).
    ...NETWORK_OPTIONS,
  } as Record<string, FlagSpec>,
};

/** Keys of the flags written on the command line (booleans included, whatever their value). */
export function givenFlags(argv: readonly string[], flags: Record<string, FlagSpec>): Set<string> {
  const byName = new Map<string, string>();
  for (const key of Object.keys(flags)) {
    byName.set(toKebab(key), key);
    byName.set(toKebab(key).replace(/-/g, '_'), key);
  }
  const given = new Set<string>();
  for (const arg of argv) {
    if (arg === '--') break;
    if (!arg.startsWith('--')) continue;
    const name = arg.slice(2).split('=')[0]!;
    const key = byName.get(name) ?? (/^no[-_]/.test(name) ? byName.get(name.slice(3)) : undefined);
    if (key) given.add(key);
  }
  return given;
}

function describe(e: TrainEvent): string | null {
  switch (e.type) {
    case 'start':
      return `${e.resumedFromStep !== null ? `resuming at step ${e.resumedFromStep}` : 'training'}: ${e.classes} classes, ${e.images} images` +
        `${e.valImages ? ` (+${e.valImages} validation)` : ''}, ${(e.parameters / 1e6).toFixed(2)}M parameters; run folder ${e.runDir}`;
    case 'validation':
      return `validation (epoch ${e.epoch}): loss ${e.loss.toFixed(4)}, accuracy ${e.accuracy.toFixed(4)} on ${e.images} images`;
    case 'lfw':
      return `LFW (epoch ${e.epoch}, ${e.result.pairs} pairs): accuracy ${e.result.accuracy.toFixed(4)} ± ${e.result.accuracyStd.toFixed(4)}, ` +
        `VAL ${e.result.val.toFixed(4)} @ FAR ${e.result.far.toFixed(4)}, AUC ${e.result.auc.toFixed(4)}`;
    case 'selection':
      return `triplet round ${e.report.round}: ${e.report.triplets} triplets from ${e.report.pairs} pairs (${e.report.sampled} images, ${e.report.seconds.toFixed(1)} s)`;
    case 'warning':
      return `warning: ${e.message}`;
    default:
      return null;
  }
}

function summaryText(s: TrainSummary): string {
  const why: Record<TrainSummary['stopReason'], string> = {
    'max-epochs': 'reached --max-nrof-epochs',
    'schedule-end': 'the learning-rate schedule ended (-1)',
    'max-minutes': 'reached --max-minutes',
    interrupted: `interrupted; continue with: facenet train --resume ${s.runDir}`,
  };
  return [
    `stopped at step ${s.steps} (${s.epochsCompleted} epochs done): ${why[s.stopReason]}`,
    `loss ${s.lastLoss?.toFixed(4) ?? '-'}${s.lastAccuracy !== null ? `, accuracy ${s.lastAccuracy.toFixed(4)}` : ''}` +
      `${s.lfw ? `, LFW ${s.lfw.accuracy.toFixed(4)}` : ''}; ${s.imagesPerSec.toFixed(1)} img/s, data wait ${s.meanDataWaitMs.toFixed(1)} ms/step` +
      `${s.skippedImages ? `, ${s.skippedImages} unreadable images skipped` : ''}`,
    s.modelFile ? `model: ${s.modelFile}` : `checkpoint: ${s.checkpointFile}`,
    '',
  ].join('\n');
}

export const trainCommand = defineCommand(spec, async ({ flags, argv }, { io, print }) => {
  const fromFile = typeof flags['config'] === 'string' ? await readTrainConfigFile(flags['config']) : {};
  const fromFlags: Record<string, unknown> = {};
  for (const flag of givenFlags(argv, spec.flags)) {
    const key = CONFIG_KEY_OF.get(flag);
    if (key) fromFlags[key] = flags[flag];
  }
  let bar: ProgressBar | null = null;
  let batchSize = 0;
  const say = (line: string) => (bar ? bar.log(line) : io.stderr.write(line + '\n'));
  const onProgress = (e: TrainEvent) => {
    if (e.type === 'start') batchSize = e.config.batchSize;
    if (e.type === 'step') {
      // Made after the epoch's first step: that step's images are its start, not its rate (else
      // the first tick reads ~100,000 img/s).
      if (!bar) bar = new ProgressBar({ label: `epoch ${e.epoch}/${e.maxEpochs}`, total: e.epochSize * batchSize, unit: 'img', stream: io.stderr, initialDone: e.batchInEpoch * batchSize });
      const fields: Record<string, number | string> = { step: e.step, loss: e.loss };
      if (e.accuracy !== null) fields['acc'] = e.accuracy;
      fields['lr'] = e.lr;
      bar.update(e.batchInEpoch * batchSize, fields);
    } else if (e.type === 'epoch') {
      bar?.finish();
      bar = null;
    }
    if (e.type !== 'step' && e.type !== 'epoch') {
      const line = describe(e);
      if (line) say(line);
    }
  };
  const resume = typeof flags['resume'] === 'string' ? flags['resume'] : undefined;
  // Loaded here, not at the top, so that --help works without the native engine.
  const { train } = await import('../../train/train.js');
  let summary: TrainSummary;
  try {
    summary = await train({ ...fromFile, ...fromFlags } as Partial<TrainConfig>, { signal: io.signal, onProgress, ...(resume ? { resume } : {}) });
  } finally {
    (bar as ProgressBar | null)?.finish();
  }
  print(summary, () => summaryText(summary));
  return summary.stopReason === 'interrupted' ? 130 : 0;
});
