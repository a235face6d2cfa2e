/**
 * Learning-rate schedules of facenet's training scripts.
 *
 * 1. Schedule files (facenet.get_learning_rate_from_file, data/learning_rate_*.txt): one
 *    "epoch: lr" per line, '#' starts a comment. The rate for epoch e is the rate of the last line
 *    whose epoch <= e; a rate <= 0 (the files use -1, and facenet also reads "-") means "stop
 *    training" (train_softmax returns when lr <= 0).
 *    Deliberate differences from facenet: blank lines are allowed (facenet's int('') raises), epochs
 *    must strictly increase (facenet silently misreads other orders), an epoch at or past the last
 *    line gets the last line's rate (facenet falls off its loop and returns None there), and an epoch
 *    before the first line is an error (facenet: UnboundLocalError).
 * 2. tf.train.exponential_decay(..., staircase=True) as train_softmax / train_tripletloss set it
 *    up: lr0 * factor ^ floor(epoch / decayEpochs), where epoch = global_step / epoch_size.
 */
import { FacenetError } from '../errors.js';

export interface ScheduleEntry {
  readonly epoch: number;
  readonly learningRate: number;
  /** 1-based line in the file, for messages. */
  readonly line: number;
}

export interface LrSchedule {
  readonly source: string;
  readonly entries: readonly ScheduleEntry[];
}

/** The rate value that means "stop training". */
export const LR_STOP = -1;

/** Parses the text of a schedule file; `source` names it in error messages. */
export function parseLrSchedule(text: string, source = '<schedule>'): LrSchedule {
  const entries: ScheduleEntry[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, idx) => {
    const lineNo = idx + 1;
    const content = raw.split('#', 1)[0]!.trim();
    if (content === '') return;
    const fail = (why: string): never => {
      throw new FacenetError('BAD_FILE', `${source}:${lineNo}: ${why} (line: ${JSON.stringify(raw)}); expected "epoch: learning_rate"`);
    };
    const parts = content.split(':');
    if (parts.length !== 2) fail(`expected exactly one ':'`);
    const epochText = parts[0]!.trim();
    const lrText = parts[1]!.trim();
    if (!/^[+-]?\d+$/.test(epochText)) fail(`epoch ${JSON.stringify(epochText)} is not an integer`);
    const epoch = Number.parseInt(epochText, 10);
    if (epoch < 0) fail(`epoch ${epoch} is negative`);
    let learningRate: number;
    if (lrText === '-') {
      learningRate = LR_STOP; // facenet: par[1] == '-' means -1
    } else {
      // Python float() syntax, minus the inf/nan spellings a schedule has no use for.
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(lrText)) fail(`learning rate ${JSON.stringify(lrText)} is not a number`);
      learningRate = Number(lrText);
    }
    const prev = entries[entries.length - 1];
    if (prev && epoch <= prev.epoch) fail(`epoch ${epoch} does not come after epoch ${prev.epoch} of line ${prev.line}`);
    entries.push({ epoch, learningRate, line: lineNo });
  });
  if (entries.length === 0) throw new FacenetError('BAD_FILE', `${source}: no "epoch: learning_rate" lines`);
  return { source, entries };
}

/** The rate for `epoch`: that of the last entry whose epoch <= `epoch` (<= 0 means stop). */
export function learningRateAt(schedule: LrSchedule, epoch: number): number {
  const first = schedule.entries[0]!;
  if (!(epoch >= first.epoch)) {
    throw new FacenetError('BAD_ARGUMENT', `${schedule.source}: no rate for epoch ${epoch}; the schedule starts at epoch ${first.epoch}`);
  }
  let rate = first.learningRate;
  for (const e of schedule.entries) {
    if (e.epoch <= epoch) rate = e.learningRate;
    else break;
  }
  return rate;
}

/** Whether a rate read from a schedule means "stop training" (train_softmax: lr <= 0). */
export function isStopRate(learningRate: number): boolean {
  return learningRate <= 0;
}

/**
 * Staircase exponential decay: lr0 * factor ^ floor(epoch / decayEpochs). `epoch` may be fractional
 * (global_step / epoch_size). facenet's default factor 1.0 makes the rate constant. TensorFlow
 * evaluates this in float32; here it is float64.
 */
export function staircaseDecay(lr0: number, factor: number, decayEpochs: number, epoch: number): number {
  if (!(decayEpochs > 0)) throw new FacenetError('BAD_ARGUMENT', `staircaseDecay: decayEpochs must be > 0, got ${decayEpochs}`);
  if (!(epoch >= 0)) throw new FacenetError('BAD_ARGUMENT', `staircaseDecay: epoch must be >= 0, got ${epoch}`);
  return lr0 * Math.pow(factor, Math.floor(epoch / decayEpochs));
}
