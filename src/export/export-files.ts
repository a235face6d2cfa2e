/**
 * File-level export: a face model (name, .safetensors or .pt) or the MTCNN nets to .onnx files.
 * Each file is checked (onnx-check.ts) before it is written, and written atomically.
 */
import path from 'node:path';
import { loadFaceModel, type LoadFaceModelOptions } from '../models/registry.js';
import { loadMtcnnNets, type LoadMtcnnOptions, type MtcnnNetName } from '../models/mtcnn/index.js';
import { resolveConfig } from '../models/inception-resnet-v1/config.js';
import { encodeModel, type OnnxModel } from './onnx-graph.js';
import type { Precision } from './precision.js';
import { exportInceptionResnetV1 } from './inception-resnet-v1.js';
import { exportMtcnnNet } from './mtcnn.js';
import { checkOnnxModel } from './onnx-check.js';
import { writeFileAtomic } from '../io/fs-util.js';

export interface ExportFileOptions {
  opset?: number;
  precision?: Precision;
  includePreprocessing?: boolean;
  /** Architecture variant of a .pt state dict (it carries no config); .safetensors models know theirs. */
  variant?: string;
}

export interface WrittenFile {
  file: string;
  bytes: number;
  nodes: number;
}

async function writeChecked(model: OnnxModel, file: string): Promise<WrittenFile> {
  checkOnnxModel(model, file);
  const bytes = encodeModel(model);
  await writeFileAtomic(path.resolve(file), bytes, { mkdir: true });
  return { file, bytes: bytes.length, nodes: model.graph?.node?.length ?? 0 };
}

/** Exports an Inception-ResNet-v1 model to `out`. */
// `precision` here is the ONNX file's weight storage (fp32 | fp16), not the compute precision the
// loaders' RuntimeOptions.precision means: the model is loaded in fp32.
export async function exportModelFile(modelName: string, out: string, o: ExportFileOptions & Omit<LoadFaceModelOptions, 'precision'> = {}): Promise<WrittenFile> {
  const config = o.variant ? resolveConfig({ variant: o.variant }) : undefined;
  const { precision, ...load } = o;
  const { model, id, facts } = await loadFaceModel(modelName, { ...load, ...(config ? { config } : {}) });
  try {
    return await writeChecked(exportInceptionResnetV1(model, { opset: o.opset, precision, includePreprocessing: o.includePreprocessing, facts, source: id }), out);
  } finally {
    model.dispose();
  }
}

export const MTCNN_FILES: Readonly<Record<MtcnnNetName, string>> = { pnet: 'pnet.onnx', rnet: 'rnet.onnx', onet: 'onet.onnx' };

/** Exports P-, R- and O-Net to pnet.onnx, rnet.onnx and onet.onnx in `dir`. */
export async function exportMtcnnFiles(dir: string, o: { opset?: number; precision?: Precision } & LoadMtcnnOptions = {}): Promise<WrittenFile[]> {
  const nets = await loadMtcnnNets(o);
  try {
    const written: WrittenFile[] = [];
    for (const which of ['pnet', 'rnet', 'onet'] as const) {
      written.push(await writeChecked(exportMtcnnNet(which, nets[which], { opset: o.opset, precision: o.precision }), path.join(dir, MTCNN_FILES[which])));
    }
    return written;
  } finally {
    for (const n of Object.values(nets)) n.dispose();
  }
}
