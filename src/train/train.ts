/**
 * `train(config, { signal, onProgress, resume })`: trains a face-embedding model on an aligned
 * class-per-folder dataset as facenet's train_softmax.py (loss 'softmax') or train_tripletloss.py
 * (loss 'triplet') would, writing a run folder with the resolved config, metrics, checkpoints,
 * training curves and the final model (loadable with loadFaceModel / `facenet embed`).
 *
 * Resumable: train(overrides, { resume: runDir }) continues from the run's last checkpoint with the
 * same data order and random draws an uninterrupted run would have had.
 */
import type { TrainConfig } from './config.js';
import type { TrainOptions, TrainSummary } from './events.js';
import { openSession } from './session.js';
import { Trainer } from './trainer.js';

export async function train(config: Partial<TrainConfig>, options: TrainOptions = {}): Promise<TrainSummary> {
  const warn = (message: string) => options.onProgress?.({ type: 'warning', message });
  const session = await openSession(config, options, warn);
  try {
    const trainer = new Trainer(session, options);
    trainer.emit({
      type: 'start',
      runDir: session.runDir,
      config: session.config,
      resumedFromStep: session.resumedFromStep,
      classes: session.set.classNames.length,
      images: session.set.paths.length,
      valImages: session.set.val.paths.length,
      parameters: session.trainingModel.model.parameterCount(),
    });
    return await trainer.run();
  } finally {
    session.close();
  }
}
