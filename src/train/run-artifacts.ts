/**
 * What a run leaves on disk besides metrics: checkpoints (with the plot refreshed alongside) and
 * the final model, exported from the moving-average weights.
 */
import path from 'node:path';
import { saveModel, type ModelFacts } from '../models/model-file.js';
import type { RawTensor } from '../io/raw-tensor.js';
import { lfwFacts, thresholdUnusableBecause } from '../eval/lfw-facts.js';
import { writeCheckpoint } from './checkpoint.js';
import { renderCurvesSvg } from './curves-svg.js';
import { RUN_FILES } from './run-dir.js';
import { writeFileAtomic } from '../io/fs-util.js';
import type { Session } from './session.js';
import { checkpointTensors } from './training-model.js';
import type { TripletRoundState } from './triplet-source.js';

/** Writes the checkpoint (throws if it cannot; the previous one stays) and returns its path. */
export async function saveCheckpoint(session: Session, round: TripletRoundState | null): Promise<string> {
  const { config, state, trainingModel } = session;
  state.tripletRound = round ? { round: round.round, position: round.position } : null;
  const tensors = checkpointTensors(trainingModel);
  if (round) tensors.set('triplets', { dtype: 'int32', shape: [round.triplets.length], data: round.triplets } as RawTensor);
  const records = {
    config,
    modelConfig: trainingModel.model.config,
    state,
    numClasses: session.set.classNames.length,
    classesSha256: session.classesSha256,
    savedAt: new Date().toISOString(),
  };
  return writeCheckpoint(session.runDir, { tensors, records, optimizerState: trainingModel.optimizer.saveState() });
}

/** Rewrites curves.svg from the metric history. */
export async function savePlot(session: Session): Promise<void> {
  const config = session.config;
  const title = `facenet train ${path.basename(session.runDir)}: ${config.loss}${config.loss === 'softmax' ? ` (${config.head} head)` : ''}, ${config.modelVariant}, step ${session.state.step}`;
  await writeFileAtomic(path.join(session.runDir, RUN_FILES.curves), renderCurvesSvg(session.history, title));
}

/** model.safetensors from the moving-average weights (the trained ones when the EMA is off). */
export async function exportModel(session: Session): Promise<string> {
  const { config, state, trainingModel } = session;
  const file = path.join(session.runDir, RUN_FILES.model);
  const lfw = state.lastLfw;
  const facts: ModelFacts = {
    trainedWith: 'facenet train',
    run: session.runDir,
    dataset: path.resolve(config.dataDir),
    classes: session.set.classNames.length,
    loss: config.loss === 'softmax' ? `softmax/${config.head}` : 'triplet',
    steps: state.step,
    epochs: state.epoch - 1,
    weights: trainingModel.ema ? `exponential moving average (decay ${config.movingAverageDecay})` : 'trained weights',
    // compute precision of the (last part of the) training; the weights are float32 either way
    trainedPrecision: config.precision,
  };
  if (lfw) {
    facts['lfw'] = lfwFacts(lfw, config.lfwPairs!, config.precision === 'bf16' ? 'bf16' : 'fp32');
    const unusable = thresholdUnusableBecause({ distanceMetric: config.lfwDistanceMetric, subtractMean: config.lfwSubtractMean, flipped: config.lfwUseFlippedImages });
    if (unusable === null) facts.threshold = lfw.threshold;
  }
  const save = () => saveModel(trainingModel.model, file, facts);
  await (trainingModel.ema ? trainingModel.ema.withAveraged(save) : save());
  return file;
}
