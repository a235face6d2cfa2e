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

export function modelConfigFor(c: TrainConfig): Partial<InceptionResnetV1Config> {
  return {
    variant: c.modelVariant,
    inputSize: c.imageSize!,
    embeddingSize: c.embeddingSize,
    keepProbability: c.keepProbability,
    numClasses: null,
    standardization: c.useFixedImageStandardization ? 'fixed' : 'prewhiten',
    // TF's batch-norm decay d is torch's momentum 1 - d (facenet: 0.995).
    bnMomentum: 1 - c.batchNormDecay,
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
      const s = source.model.config;
      throw new FacenetError(
        'SHAPE_MISMATCH',
        `${describeProblems(report, `pretrained model ${name}`)} It is ${s.variant} with ${s.embeddingSize}-D embeddings: ` +
          `pass --model-variant ${s.variant} --embedding-size ${s.embeddingSize} to fine-tune it.`,
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

export async function buildTrainingModel(c: TrainConfig, o: BuildOptions): Promise<TrainingModel> {
  manualSeed(c.seed); // initial weights are part of what the seed fixes
  const model = new InceptionResnetV1(modelConfigFor(c)).initLikeFacenet();
  const head = c.loss === 'softmax' ? createHead(c.head, c.embeddingSize, o.numClasses, { scale: c.arcfaceScale, margin: c.arcfaceMargin }) : null;
  const disposeAll = () => {
    model.dispose();
    head?.dispose();
  };
  try {
    if (c.pretrainedModel && !o.resume) await loadPretrained(model, c.pretrainedModel, o.warn);
    if (o.resume) {
      loadStateDict(model, withPrefix(o.resume, 'model.'), { source: 'checkpoint (model)' });
      if (head) loadStateDict(head, withPrefix(o.resume, 'head.'), { source: 'checkpoint (classifier head)' });
    }
    if (c.channelsLast) model.setMemoryFormat('channels_last');
    // parameters stay float32 (the master weights) whatever the precision; see setPrecision
    model.setPrecision(resolvePrecision(c.precision).precision);
    const params = new Map<string, Tensor>();
    for (const [k, t] of model.namedParameters()) params.set(`model.${k}`, t);
    if (head) for (const [k, t] of head.namedParameters()) params.set(`head.${k}`, t);
    const optimizer = createFacenetOptimizer(c.optimizer, [...params.values()], Math.abs(c.learningRate));
    if (o.optimizerState) optimizer.loadState(o.optimizerState);
    const ema = c.movingAverageDecay > 0 ? new ExponentialMovingAverage(params, c.movingAverageDecay) : null;
    const centers = c.loss === 'softmax' && c.centerLossFactor > 0 ? new CenterLoss(o.numClasses, c.embeddingSize, c.centerLossAlfa) : null;
    if (o.resume) {
      if (ema) {
        const saved = toTensorMap(withPrefix(o.resume, 'ema.'));
        ema.load(saved);
        for (const t of saved.values()) t.dispose();
      }
      const savedCenters = o.resume.get('centers');
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
export function checkpointTensors(tm: TrainingModel): Map<string, RawTensor> {
  // tidy frees the contiguous copies tensorToRaw makes of channels_last weights.
  return tidy(() => {
    const out = new Map<string, RawTensor>();
    for (const [k, t] of tm.model.stateDict()) out.set(`model.${k}`, tensorToRaw(t));
    if (tm.head) for (const [k, t] of tm.head.stateDict()) out.set(`head.${k}`, tensorToRaw(t));
    if (tm.ema) for (const [k, t] of tm.ema.averages) out.set(`ema.${k}`, tensorToRaw(t));
    if (tm.centers) out.set('centers', tensorToRaw(tm.centers.centers));
    return out;
  });
}

export function disposeTrainingModel(tm: TrainingModel): void {
  tm.optimizer.dispose();
  tm.ema?.dispose();
  tm.centers?.dispose();
  tm.head?.dispose();
  tm.model.dispose();
}
