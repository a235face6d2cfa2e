/**
 * Face-embedding models by name or file: the published facenet-pytorch weights ('vggface2',
 * 'casia-webface'), the project's own .safetensors model files, and facenet-pytorch state dicts
 * (.pt) of the reference architecture.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { resolveAsset, type ResolveAssetOptions } from '../io/assets.js';
import { getAsset } from '../io/asset-registry.js';
import { readTorchStateDict } from '../io/torch-file.js';
import { loadStateDict } from '../nn/index.js';
import { applyRuntimeOptions, type RuntimeOptions } from '../tensor/index.js';
import { FacenetError } from '../errors.js';
import { InceptionResnetV1 } from './inception-resnet-v1/model.js';
import type { InceptionResnetV1Config } from './inception-resnet-v1/config.js';
import { buildWithWeights, loadModelFile, type ModelFacts } from './model-file.js';
import { resolvePrecision, type MemoryFormat, type Precision, type PrecisionOption } from '../tensor/index.js';

export interface PretrainedEntry {
  asset: string;
  description: string;
  config: Partial<InceptionResnetV1Config>;
  /** LFW accuracy the publisher reports. */
  lfwAccuracy: number;
}

/** facenet's 2018 models as facenet-pytorch republishes them: fixed standardisation, 160 px, 512-D. */
export const PRETRAINED: Readonly<Record<string, PretrainedEntry>> = Object.freeze({
  vggface2: {
    asset: 'vggface2',
    description: 'facenet 20180402-114759, trained on VGGFace2 (via facenet-pytorch)',
    config: { numClasses: 8631, standardization: 'fixed', inputSize: 160, embeddingSize: 512 },
    lfwAccuracy: 0.9965,
  },
  'casia-webface': {
    asset: 'casia-webface',
    description: 'facenet 20180408-102900, trained on CASIA-WebFace (via facenet-pytorch)',
    config: { numClasses: 10575, standardization: 'fixed', inputSize: 160, embeddingSize: 512 },
    lfwAccuracy: 0.9905,
  },
});

export interface FaceModel {
  model: InceptionResnetV1;
  /** Name or file the model came from, recorded next to every figure it produces. */
  id: string;
  facts: ModelFacts;
  /** The compute precision the model was set to (see InceptionResnetV1.setPrecision). */
  precision: Precision;
  /** Non-fatal notes, e.g. bf16 asked for on a CPU that has to emulate it. */
  warnings: string[];
}

export interface LoadFaceModelOptions extends ResolveAssetOptions, RuntimeOptions {
  /** Overrides for a .pt state dict of unknown provenance (default: the reference config, fixed standardisation). */
  config?: Partial<InceptionResnetV1Config>;
  /**
   * Layout of the convolutions (default channels_last, oneDNN's fast path on CPU: the layout the
   * bench measures; the values are the same in both, parity-tested). Loading used to leave models
   * contiguous, so `embed`, `validate`, the gallery and the server ran slower than the bench
   * (measured on an AMX Xeon: fp32 ~1.3x at batch 16 and ~1.2x at batch 1, bf16 ~1.6x at batch 16).
   */
  memoryFormat?: MemoryFormat;
}

async function fromTorchFile(file: string, id: string, config: Partial<InceptionResnetV1Config>): Promise<FaceModel> {
  const weights = await readTorchStateDict(file);
  const logits = weights.get('logits.weight');
  return { model: buildWithWeights({ ...config, numClasses: logits ? logits.shape[0]! : null }, weights, file), id, facts: {}, precision: 'fp32', warnings: [] };
}

/** Sets the resolved precision on a loaded model (the model stays float32 in memory; see setPrecision). */
function withPrecision(m: FaceModel, option: PrecisionOption | undefined): FaceModel {
  const r = resolvePrecision(option);
  m.model.setPrecision(r.precision);
  return { ...m, precision: r.precision, warnings: r.warning ? [...m.warnings, r.warning] : m.warnings };
}

/** Loads 'vggface2', 'casia-webface', a .safetensors model file, or a facenet-pytorch .pt state dict. */
export async function loadFaceModel(nameOrFile: string, options: LoadFaceModelOptions = {}): Promise<FaceModel> {
  applyRuntimeOptions(options);
  const m = await loadFaceModelFp32(nameOrFile, options);
  m.model.setMemoryFormat(options.memoryFormat ?? 'channels_last');
  return withPrecision(m, options.precision);
}

async function loadFaceModelFp32(nameOrFile: string, options: LoadFaceModelOptions): Promise<FaceModel> {
  const pre = PRETRAINED[nameOrFile];
  if (pre) {
    const file = await resolveAsset(getAsset(pre.asset), options);
    const m = await fromTorchFile(file, nameOrFile, pre.config);
    // The `lfw` facts schema is eval/lfw-facts.ts's LfwFacts; published weights carry only the accuracy.
    m.facts['lfw'] = { accuracy: pre.lfwAccuracy, source: 'facenet-pytorch (published)' };
    return m;
  }
  if (!existsSync(nameOrFile)) {
    throw new FacenetError(
      'NOT_FOUND',
      `model '${nameOrFile}' is neither a known name (${Object.keys(PRETRAINED).join(', ')}) nor an existing file`,
    );
  }
  const ext = path.extname(nameOrFile).toLowerCase();
  if (ext === '.safetensors') {
    const { model, facts } = await loadModelFile(nameOrFile);
    return { model, id: path.resolve(nameOrFile), facts, precision: 'fp32', warnings: [] };
  }
  if (ext === '.pt' || ext === '.pth') return fromTorchFile(nameOrFile, path.resolve(nameOrFile), options.config ?? {});
  throw new FacenetError('BAD_ARGUMENT', `model file ${nameOrFile}: expected a .safetensors model or a .pt state dict`);
}
