/**
 * Evaluations during training, on the moving-average weights in inference mode (batch norm on its
 * running statistics, no dropout): the validation split (train_softmax's validate(): loss with its
 * regularisation terms, and accuracy) and the LFW check.
 *
 * Deliberate difference: facenet evaluates the raw weights (see ema.ts), and its validate() drops
 * the images after the last full batch of lfw_batch_size; here every validation image counts.
 */
import type { BatchFailure } from '../data/batch-loader.js';
import type { LfwCheckResult } from './lfw-check.js';
import type { Session } from './session.js';
import { plainBatches } from './softmax-source.js';
import { softmaxEvaluate } from './steps.js';
import type { TrainingModel } from './training-model.js';

/** Runs fn on the moving-average weights in inference mode, then restores training mode and weights. */
export async function evaluating<T>(trainingModel: TrainingModel, fn: () => Promise<T>): Promise<T> {
  const { model, head, ema } = trainingModel;
  const run = async (): Promise<T> => {
    model.eval();
    head?.eval();
    try {
      return await fn();
    } finally {
      model.train();
      head?.train();
    }
  };
  return ema ? ema.withAveraged(run) : run();
}

export interface ValidationResult {
  loss: number;
  accuracy: number;
  images: number;
}

/** Loss and accuracy over the validation images; null when there were none or it was aborted. */
export async function validate(session: Session, signal: AbortSignal | undefined, onFailures: (f: readonly BatchFailure[]) => void): Promise<ValidationResult | null> {
  const queue = plainBatches(session.set.val, session.config, session.set.root);
  let images = 0;
  let loss = 0;
  let accuracy = 0;
  try {
    await evaluating(session.trainingModel, async () => {
      while (!queue.exhausted && !signal?.aborted) {
        const { value: batch } = await queue.take();
        onFailures(batch.failures);
        if (batch.count === 0) continue;
        const result = softmaxEvaluate(session.trainingModel, session.config, batch);
        images += batch.count;
        loss += result.loss * batch.count;
        accuracy += (result.accuracy ?? 0) * batch.count;
      }
    });
  } finally {
    queue.close();
  }
  if (images === 0 || signal?.aborted) return null;
  return { loss: loss / images, accuracy: accuracy / images, images };
}

/** The LFW check on the averaged weights; null when aborted. */
export async function checkLfw(session: Session, signal: AbortSignal | undefined): Promise<LfwCheckResult | null> {
  return evaluating(session.trainingModel, () => session.lfw!.run(session.trainingModel.model, signal));
}
