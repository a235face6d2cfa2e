/**
 * Everything a run trains or tracks, built in the order that keeps them consistent: the backbone
 * (facenet's initialisation, or pretrained weights), the classifier head, the checkpoint's weights
 * when resuming, the channels_last layout, then the optimiser (which holds the final tensors), the
 * moving averages and the center-loss centers.
 */
import { Tensor, manualSeed, resolvePrecision, tensor, tidy, type Optimizer } from '../tensor/index.js';
import { Conv2d, Linear, loadStateDict, describeProblems } from '../nn/index.js';
import { InceptionResnetV1 } from '../models/inception-resnet-v1/model.js';
import type { InceptionResnetV1Config } from '../models/inception-resnet-v1/config.js';
import { loadFaceModel } from '../models/registry.js';
import { tensorToRaw } from '../models/model-file.js';
import type { RawTensor } from '../io/raw-tensor.js';
import { FacenetError } from '../errors.js';
import type { TrainConfig } from './config.js';
import { createHead, type ClassifierHead } from './heads/classifier-head.js';
import { CenterLoss } from './losses/center-loss.js';
import { ExponentialMovingAverage } from './ema.js';
import { createFacenetOptimizer } from './optimizer.js';

export interface TrainingModel {
  model: InceptionResnetV1;
  head: ClassifierHead | null;
  centers: CenterLoss | null;
  ema: ExponentialMovingAverage | null;
  optimizer: Optimizer;
  /** Trainable tensors by checkpoint name ('model.<key>', 'head.<key>'). */
  params: Map<string, Tensor>;
  /** Conv and dense weights, the ones weight decay applies to. */
  decayed: Tensor[];
}

export function modelConfigFor(config: TrainConfig): Partial<InceptionResnetV1Config> {
  return {
    variant: config.modelVariant,
    inputSize: config.imageSize!,
    embeddingSize: config.embeddingSize,
    keepProbability: config.keepProbability,
    numClasses: null,
    standardization: config.useFixedImageStandardization ? 'fixed' : 'prewhiten',
    // TF's batch-norm decay d is torch's momentum 1 - d (facenet: 0.995).
    bnMomentum: 1 - config.batchNormDecay,
  };
}

/** Tensors of a checkpoint whose names start with prefix, with the prefix removed. */
function withPrefix(tensors: ReadonlyMap<string, RawTensor>, prefix: string): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  for (const [k, v] of tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
  return out;
}

/** Copies a pretrained model's backbone weights (its logits layer, if any, is left out). */
async function loadPretrained(model: InceptionResnetV1, name: string, warn: (m: string) => void): Promise<void> {
  const source = await loadFaceModel(name);
  try {
    const weights = new Map<string, Tensor>();
    for (const [k, t] of source.model.stateDict()) if (!k.startsWith('logits.')) weights.set(k, t);
    const report = loadStateDict(model, weights, { strict: false, source: `pretrained model ${name}` });
    if (report.missing.length > 0 || report.mismatched.length > 0 || report.unexpected.length > 0) {
      const sourceConfig = source.model.config;
      throw new FacenetError(
        'SHAPE_MISMATCH',
        `${describeProblems(report, `pretrained model ${name}`)} It is ${sourceConfig.variant} with ${sourceConfig.embeddingSize}-D embeddings: ` +
          `pass --model-variant ${sourceConfig.variant} --embedding-size ${sourceConfig.embeddingSize} to fine-tune it.`,
      );
    }
    if (source.model.config.standardization !== model.config.standardization) {
      warn(
        `pretrained model ${name} was trained with '${source.model.config.standardization}' standardisation but this run uses ` +
          `'${model.config.standardization}'` + (source.model.config.standardization === 'fixed' ? '; add --use-fixed-image-standardization' : ''),
      );
    }
  } finally {
    source.model.dispose();
  }
}

function toTensorMap(raw: ReadonlyMap<string, RawTensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, v] of raw) out.set(k, tensor(v.data as ArrayBufferView, v.shape, { dtype: v.dtype as Tensor['dtype'] }));
  return out;
}

export interface BuildOptions {
  numClasses: number;
  /** Checkpoint tensors when resuming. */
  resume: ReadonlyMap<string, RawTensor> | null;
  optimizerState: Buffer | null;
  warn: (message: string) => void;
}

export async function buildTrainingModel(config: TrainConfig, options: BuildOptions): Promise<TrainingModel> {
  manualSeed(config.seed); // initial weights are part of what the seed fixes
  const model = new InceptionResnetV1(modelConfigFor(config)).initLikeFacenet();
  const head = config.loss === 'softmax' ? createHead(config.head, config.embeddingSize, options.numClasses, { scale: config.arcfaceScale, margin: config.arcfaceMargin }) : null;
  const disposeAll = () => {
    model.dispose();
    head?.dispose();
  };
  try {
    if (config.pretrainedModel && !options.resume) await loadPretrained(model, config.pretrainedModel, options.warn);
    if (options.resume) {
      loadStateDict(model, withPrefix(options.resume, 'model.'), { source: 'checkpoint (model)' });
      if (head) loadStateDict(head, withPrefix(options.resume, 'head.'), { source: 'checkpoint (classifier head)' });
    }
    if (config.channelsLast) model.setMemoryFormat('channels_last');
    // parameters stay float32 (the master weights) whatever the precision; see setPrecision
    model.setPrecision(resolvePrecision(config.precision).precision);
    const params = new Map<string, Tensor>();
    for (const [k, t] of model.namedParameters()) params.set(`model.${k}`, t);
    if (head) for (const [k, t] of head.namedParameters()) params.set(`head.${k}`, t);
    const optimizer = createFacenetOptimizer(config.optimizer, [...params.values()], Math.abs(config.learningRate));
    if (options.optimizerState) optimizer.loadState(options.optimizerState);
    const ema = config.movingAverageDecay > 0 ? new ExponentialMovingAverage(params, config.movingAverageDecay) : null;
    const centers = config.loss === 'softmax' && config.centerLossFactor > 0 ? new CenterLoss(options.numClasses, config.embeddingSize, config.centerLossAlfa) : null;
    if (options.resume) {
      if (ema) {
        const saved = toTensorMap(withPrefix(options.resume, 'ema.'));
        ema.load(saved);
        for (const t of saved.values()) t.dispose();
      }
      const savedCenters = options.resume.get('centers');
      if (centers && savedCenters) {
        const [t] = toTensorMap(new Map([['c', savedCenters]])).values();
        centers.load(t!);
        t!.dispose();
      }
    }
    const decayed: Tensor[] = [];
    for (const [, m] of model.namedModules()) if (m instanceof Conv2d || m instanceof Linear) decayed.push(m.weight);
    if (head) decayed.push(...head.decayedWeights());
    return { model, head, centers, ema, optimizer, params, decayed };
  } catch (err) {
    disposeAll();
    throw err;
  }
}

/** Everything tensor-valued a checkpoint holds, as raw copies. */
export function checkpointTensors(trainingModel: TrainingModel): Map<string, RawTensor> {
  // tidy frees the contiguous copies tensorToRaw makes of channels_last weights.
  return tidy(() => {
    const out = new Map<string, RawTensor>();
    for (const [k, t] of trainingModel.model.stateDict()) out.set(`model.${k}`, tensorToRaw(t));
    if (trainingModel.head) for (const [k, t] of trainingModel.head.stateDict()) out.set(`head.${k}`, tensorToRaw(t));
    if (trainingModel.ema) for (const [k, t] of trainingModel.ema.averages) out.set(`ema.${k}`, tensorToRaw(t));
    if (trainingModel.centers) out.set('centers', tensorToRaw(trainingModel.centers.centers));
    return out;
  });
}

export function disposeTrainingModel(trainingModel: TrainingModel): void {
  trainingModel.optimizer.dispose();
  trainingModel.ema?.dispose();
  trainingModel.centers?.dispose();
  trainingModel.head?.dispose();
  trainingModel.model.dispose();
}
