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
export async function saveCheckpoint(s: Session, round: TripletRoundState | null): Promise<string> {
  const { config: c, state: st, tm } = s;
  st.tripletRound = round ? { round: round.round, position: round.position } : null;
  const tensors = checkpointTensors(tm);
  if (round) tensors.set('triplets', { dtype: 'int32', shape: [round.triplets.length], data: round.triplets } as RawTensor);
  const records = {
    config: c,
    modelConfig: tm.model.config,
    state: st,
    numClasses: s.set.classNames.length,
    classesSha256: s.classesSha256,
    savedAt: new Date().toISOString(),
  };
  return writeCheckpoint(s.runDir, { tensors, records, optimizerState: tm.optimizer.saveState() });
}

/** Rewrites curves.svg from the metric history. */
export async function savePlot(s: Session): Promise<void> {
  const c = s.config;
  const title = `facenet train ${path.basename(s.runDir)}: ${c.loss}${c.loss === 'softmax' ? ` (${c.head} head)` : ''}, ${c.modelVariant}, step ${s.state.step}`;
  await writeFileAtomic(path.join(s.runDir, RUN_FILES.curves), renderCurvesSvg(s.history, title));
}

/** model.safetensors from the moving-average weights (the trained ones when the EMA is off). */
export async function exportModel(s: Session): Promise<string> {
  const { config: c, state: st, tm } = s;
  const file = path.join(s.runDir, RUN_FILES.model);
  const lfw = st.lastLfw;
  const facts: ModelFacts = {
    trainedWith: 'facenet train',
    run: s.runDir,
    dataset: path.resolve(c.dataDir),
    classes: s.set.classNames.length,
    loss: c.loss === 'softmax' ? `softmax/${c.head}` : 'triplet',
    steps: st.step,
    epochs: st.epoch - 1,
    weights: tm.ema ? `exponential moving average (decay ${c.movingAverageDecay})` : 'trained weights',
    // compute precision of the (last part of the) training; the weights are float32 either way
    trainedPrecision: c.precision,
  };
  if (lfw) {
    facts['lfw'] = lfwFacts(lfw, c.lfwPairs!, c.precision === 'bf16' ? 'bf16' : 'fp32');
    const unusable = thresholdUnusableBecause({ distanceMetric: c.lfwDistanceMetric, subtractMean: c.lfwSubtractMean, flipped: c.lfwUseFlippedImages });
    if (unusable === null) facts.threshold = lfw.threshold;
  }
  const save = () => saveModel(tm.model, file, facts);
  await (tm.ema ? tm.ema.withAveraged(save) : save());
  return file;
}
