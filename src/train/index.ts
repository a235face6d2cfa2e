/** The training layer's public surface. */
export { train } from './train.js';
export { TRAIN_DEFAULTS, resolveTrainConfig, validateTrainConfig, type TrainConfig, type FacenetOptimizerName, type LossName, type HeadName } from './config.js';
export { readTrainConfigFile, configFromObject } from './config-file.js';
export type { TrainOptions, TrainEvent, StepEvent, TrainSummary, StopReason } from './events.js';
export type { LfwCheckResult } from './lfw-check.js';
export { facenetOptimizer } from './optimizer.js';
export { LearningRatePolicy } from './learning-rate.js';
export { ExponentialMovingAverage, emaDecay } from './ema.js';
export { CenterLoss } from './losses/center-loss.js';
export { tripletLoss } from './losses/triplet-loss.js';
export { prelogitsNorm, l2Loss } from './losses/regularizers.js';
export { arcfaceLogits } from './losses/arcface-margin.js';
export { readCheckpoint, CHECKPOINT_FILE, OPTIMIZER_FILE } from './checkpoint.js';
export { RUN_FILES } from './run-dir.js';
