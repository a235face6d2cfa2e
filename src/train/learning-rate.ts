/**
 * The learning rate of every step, as train_softmax / train_tripletloss compute it:
 *
 *   base(epoch) = --learning_rate            when > 0
 *               = schedule file's rate(epoch) when --learning_rate < 0 (a rate <= 0 stops training)
 *   lr(step)    = base * decay_factor ^ floor(step / (decay_epochs * epoch_size))
 *                 (tf.train.exponential_decay(staircase=True) on global_step, applied in both cases)
 *
 * Epochs count from 1, as facenet's training loop does, so the casia schedule's "91: -1" stops
 * after epoch 90. A pure function of (epoch, step): nothing to save for resuming.
 */
import { learningRateAt, staircaseDecay, type LrSchedule } from '../math/lr-schedule.js';
import { readLrSchedule } from '../io/lr-schedule-file.js';
import type { TrainConfig } from './config.js';

export class LearningRatePolicy {
  private constructor(
    private readonly config: Pick<TrainConfig, 'learningRate' | 'learningRateDecayEpochs' | 'learningRateDecayFactor' | 'epochSize'>,
    readonly schedule: LrSchedule | null,
  ) {}

  /** Reads the schedule file when the config asks for one (learningRate < 0). */
  static async create(config: TrainConfig): Promise<LearningRatePolicy> {
    const schedule = config.learningRate < 0 && config.learningRateScheduleFile ? await readLrSchedule(config.learningRateScheduleFile) : null;
    return new LearningRatePolicy(config, schedule);
  }

  /** For tests and callers that hold a parsed schedule already. */
  static fromSchedule(config: Pick<TrainConfig, 'learningRate' | 'learningRateDecayEpochs' | 'learningRateDecayFactor' | 'epochSize'>, schedule: LrSchedule | null): LearningRatePolicy {
    return new LearningRatePolicy(config, schedule);
  }

  /** The epoch's rate before decay; <= 0 means "stop training" (only a schedule gives that). */
  baseRate(epoch: number): number {
    if (this.config.learningRate > 0 || !this.schedule) return this.config.learningRate;
    return learningRateAt(this.schedule, epoch);
  }

  /** The rate of the step with the given 0-based global step number, inside the given 1-based epoch. */
  rateAt(epoch: number, step: number): number {
    const base = this.baseRate(epoch);
    if (base <= 0) return base;
    const config = this.config;
    return staircaseDecay(base, config.learningRateDecayFactor, config.learningRateDecayEpochs, step / config.epochSize);
  }
}
