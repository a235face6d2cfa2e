/**
 * Exponential moving average of the trainable weights, as tf.train.ExponentialMovingAverage(decay,
 * num_updates=global_step) in facenet.train:
 *
 *   d = min(decay, (1 + num_updates) / (10 + num_updates))
 *   shadow -= (1 - d) * (shadow - variable)
 *
 * with num_updates the number of optimiser steps taken so far (read after the step's increment).
 *
 * Deliberate difference: facenet's Saver stores only tf.trainable_variables(), not the averages,
 * and evaluates LFW on the raw weights, so its averages are never used. Here they are what LFW and
 * validation evaluate and what the exported model holds, which is what the EMA is meant for.
 * Batch-norm running statistics are buffers, not averaged (as in TF).
 */
import { Tensor, keep, noGrad } from '../tensor/index.js';
import { FacenetError } from '../errors.js';

export function emaDecay(decay: number, numUpdates: number): number {
  return Math.min(decay, (1 + numUpdates) / (10 + numUpdates));
}

export class ExponentialMovingAverage {
  private readonly shadows = new Map<string, Tensor>();

  /** params: the live trainable tensors by name; shadows start as copies of them. */
  constructor(
    private readonly params: ReadonlyMap<string, Tensor>,
    readonly decay: number,
  ) {
    noGrad(() => {
      for (const [name, p] of params) this.shadows.set(name, keep(p.clone()));
    });
  }

  update(numUpdates: number): void {
    const decay = emaDecay(this.decay, numUpdates);
    noGrad(() => {
      for (const [name, p] of this.params) this.shadows.get(name)!.lerp_(p, 1 - decay);
    });
  }

  /** The shadow tensors by parameter name (for checkpoints; not copies). */
  get averages(): ReadonlyMap<string, Tensor> {
    return this.shadows;
  }

  /** Copies saved averages in (resume); every parameter must have one. */
  load(values: ReadonlyMap<string, Tensor>): void {
    noGrad(() => {
      for (const [name, shadow] of this.shadows) {
        const saved = values.get(name);
        if (!saved) throw new FacenetError('BAD_FILE', `checkpoint lacks the moving average of ${name}`);
        shadow.copy_(saved);
      }
    });
  }

  /**
   * Runs fn with the averaged weights in the live parameters, then puts the trained weights back
   * (also when fn throws).
   */
  async withAveraged<T>(fn: () => Promise<T> | T): Promise<T> {
    const backup = new Map<string, Tensor>();
    noGrad(() => {
      for (const [name, p] of this.params) {
        backup.set(name, keep(p.clone()));
        p.copy_(this.shadows.get(name)!);
      }
    });
    try {
      return await fn();
    } finally {
      noGrad(() => {
        for (const [name, p] of this.params) p.copy_(backup.get(name)!);
      });
      for (const t of backup.values()) t.dispose();
    }
  }

  dispose(): void {
    for (const t of this.shadows.values()) t.dispose();
    this.shadows.clear();
  }
}
