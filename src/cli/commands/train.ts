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
import { TRAIN_OPTIONS, TRAIN_OPTION_KEYS, type OptionSpec, type TrainConfig, type TrainOptionKey } from '../../train/options.js';
import { readTrainConfigFile } from '../../train/config-file.js';
import type { TrainEvent, TrainSummary } from '../../train/events.js';

/** 'validateEveryNEpochs' -> 'validate_every_n_epochs': flag keys spelled so that the parser's kebab form is facenet's. */
function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);
}

/** Flag key -> config key. */
const CONFIG_KEY_OF = new Map<string, TrainOptionKey>(TRAIN_OPTION_KEYS.map((k) => [snakeCase(k), k]));

/**
 * One flag per training option (src/train/options.ts), without parser defaults so that only flags
 * actually given override the config file; type, choices and help come from the option schema.
 */
function configFlags(): Record<string, FlagSpec> {
  const flags: Record<string, FlagSpec> = {};
  for (const [flag, key] of CONFIG_KEY_OF) {
    const o = TRAIN_OPTIONS[key] as OptionSpec<unknown>;
    const shown = o.default === null || o.default === '' ? '' : ` [${String(o.default)}]`;
    const help = o.help + shown;
    if (o.type === 'boolean') flags[flag] = { type: 'boolean', help };
    else if (o.type === 'number' || o.type === 'integer') flags[flag] = { type: 'number', integer: o.type === 'integer', help };
    else flags[flag] = { type: 'string', help, ...(o.choices ? { choices: o.choices.map(String) } : {}) };
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
    // The shared engine flags; each is also a training option of the same name (config.json records it).
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
