/**
 * The project's own model file: safetensors holding the weights, with the model's configuration
 * (architecture, input size, standardisation) and optional facts (verification threshold, training
 * provenance) in its metadata, so that a loaded model always preprocesses as it was trained.
 */
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import type { RawTensor } from '../io/raw-tensor.js';
import { Tensor } from '../tensor/index.js';
import { FacenetError } from '../errors.js';
import { resolveConfig, type InceptionResnetV1Config } from './inception-resnet-v1/config.js';
import { InceptionResnetV1 } from './inception-resnet-v1/model.js';
import { loadStateDict } from '../nn/index.js';
import { assertFiniteTensors, tensorDigests, TENSOR_DIGESTS_KEY } from '../io/tensor-integrity.js';

export const MODEL_FORMAT = 'facenet-ts-model/1';

export interface ModelFacts {
  /** Distance threshold for "same person" (squared L2 on unit embeddings), from validation. */
  threshold?: number;
  /** Free-form provenance: dataset, steps, LFW accuracy, … */
  [key: string]: unknown;
}

/** A tensor's values as a RawTensor (a copy, contiguous, on the CPU). */
export function tensorToRaw(t: Tensor): RawTensor {
  const data = t.contiguous().data();
  const dtype = t.dtype === 'float16' || t.dtype === 'bfloat16' ? 'float32' : t.dtype;
  return { dtype, shape: t.shape, data } as RawTensor;
}

export async function saveModel(model: InceptionResnetV1, file: string, facts: ModelFacts = {}): Promise<void> {
  const tensors = new Map<string, RawTensor>();
  for (const [k, t] of model.stateDict()) tensors.set(k, tensorToRaw(t));
  assertFiniteTensors(tensors, `refusing to save ${file}`);
  await writeSafetensors(file, tensors, {
    format: MODEL_FORMAT,
    config: JSON.stringify(model.config),
    facts: JSON.stringify(facts),
    [TENSOR_DIGESTS_KEY]: tensorDigests(tensors),
  });
}

export interface LoadedModel {
  model: InceptionResnetV1;
  facts: ModelFacts;
}

/** Loads a model saved by saveModel(): builds the architecture from the metadata, then the weights. */
export async function loadModelFile(file: string): Promise<LoadedModel> {
  const { tensors, metadata } = await readSafetensors(file);
  if (metadata['format'] !== MODEL_FORMAT || !metadata['config']) {
    throw new FacenetError(
      'BAD_FILE',
      `${file} is a safetensors file but not a facenet model (no '${MODEL_FORMAT}' metadata); ` +
        'PyTorch state dicts of facenet-pytorch load with --model FILE.pt',
    );
  }
  let config: InceptionResnetV1Config;
  let facts: ModelFacts;
  try {
    config = resolveConfig(JSON.parse(metadata['config']) as Partial<InceptionResnetV1Config>);
    facts = metadata['facts'] ? (JSON.parse(metadata['facts']) as ModelFacts) : {};
  } catch (e) {
    throw new FacenetError('BAD_FILE', `${file}: unreadable model metadata (${(e as Error).message})`);
  }
  return { model: buildWithWeights(config, tensors, file), facts };
}

/** A model of `config` holding `weights` (from `source`), in eval mode; nothing leaks when the weights do not fit. */
export function buildWithWeights(config: Partial<InceptionResnetV1Config>, weights: Map<string, RawTensor>, source: string): InceptionResnetV1 {
  const model = new InceptionResnetV1(config);
  try {
    loadStateDict(model, weights, { source });
  } catch (e) {
    model.dispose();
    throw e;
  }
  model.eval();
  return model;
}

/** Rewrites a model file's facts (e.g. the verification threshold found by validation), keeping its weights. */
export async function updateModelFacts(file: string, update: ModelFacts): Promise<ModelFacts> {
  const { tensors, metadata } = await readSafetensors(file);
  if (metadata['format'] !== MODEL_FORMAT) throw new FacenetError('BAD_FILE', `${file} is not a facenet model file; only .safetensors models made by facenet can store facts`);
  const facts = { ...(metadata['facts'] ? (JSON.parse(metadata['facts']) as ModelFacts) : {}), ...update };
  await writeSafetensors(file, tensors, { ...metadata, facts: JSON.stringify(facts) });
  return facts;
}
