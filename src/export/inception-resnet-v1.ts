/**
 * Inception-ResNet-v1 as an ONNX graph, in eval mode: every conv + batch norm folded into one Conv
 * (the model's own foldBatchNorm, facenet's eps 0.001), the residual scale folded into each
 * block's 1x1 "up" convolution, dropout gone, the bottleneck and last_bn folded into one Gemm, and
 * the L2 normalisation in the graph. The batch axis is dynamic.
 *
 * The graph follows the model's modules (namedChildren) in the order InceptionResnetV1.features()
 * runs them; the one layer that is not a module, the stem's max pool, is placed here by name.
 */
import { noGrad, tidy } from '../tensor/index.js';
import { BatchNorm, Conv2d, Linear, Sequential, foldBatchNorm, type Module } from '../nn/index.js';
import { InceptionResnetV1 } from '../models/inception-resnet-v1/model.js';
import { BasicConv2d, Block17, Block35, Block8, Mixed6a, Mixed7a } from '../models/inception-resnet-v1/blocks.js';
import type { Standardization } from '../models/inception-resnet-v1/config.js';
import type { ModelFacts } from '../models/model-file.js';
import { FacenetError } from '../errors.js';
import { DataType, OnnxGraph, type OnnxModel, type Precision } from './onnx-graph.js';
import { checkOpset, DEFAULT_OPSET } from './opsets.js';
import { convNode, tensorValues } from './onnx-layers.js';

export interface ExportEmbeddingOptions {
  opset?: number;
  precision?: Precision;
  /** Prefix the graph with uint8 RGB NHWC input -> the model's standardisation (metadata records it either way). */
  includePreprocessing?: boolean;
  facts?: ModelFacts;
  /** Where the model came from, recorded in metadata_props. */
  source?: string;
}

/** The graph's input/output names (the browser and the parity tests use them). */
export const EMBEDDING_IO = { input: 'input', image: 'image', output: 'embeddings' } as const;

const values = tensorValues;

export function exportInceptionResnetV1(model: InceptionResnetV1, o: ExportEmbeddingOptions = {}): OnnxModel {
  const opset = o.opset ?? DEFAULT_OPSET;
  const c = model.config;
  const g = new OnnxGraph({ name: c.variant, precision: o.precision ?? 'fp32' });
  const size = c.inputSize;
  let x: string;
  if (o.includePreprocessing) {
    const image = g.input(EMBEDDING_IO.image, DataType.UINT8, ['batch', size, size, 3]);
    x = standardizeGraph(g, image, c.standardization, opset);
  } else {
    x = g.input(EMBEDDING_IO.input, DataType.FLOAT, ['batch', 3, size, size]);
  }
  const children = new Map(model.namedChildren());
  const child = (name: string): Module => {
    const m = children.get(name);
    if (!m) throw new FacenetError('BAD_ARGUMENT', `export: Inception-ResNet-v1 has no module '${name}'`);
    return m;
  };
  for (const name of ['conv2d_1a', 'conv2d_2a', 'conv2d_2b']) x = emitLayer(g, child(name), x, name);
  x = g.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2] }, 'maxpool_3a');
  for (const name of ['conv2d_3b', 'conv2d_4a', 'conv2d_4b', 'repeat_1', 'mixed_6a', 'repeat_2', 'mixed_7a', 'repeat_3', 'block8']) {
    x = emitLayer(g, child(name), x, name);
  }
  x = g.node('GlobalAveragePool', [x], {}, 'avgpool_1a');
  x = g.node('Flatten', [x], { axis: 1 }, 'features');
  // last_linear (no bias) with last_bn folded in: y = x W'^T + b'.
  const linear = child('last_linear') as Linear;
  const bn = child('last_bn') as BatchNorm;
  const folded = noGrad(() => tidy(() => foldBatchNorm(linear.weight.detach(), bn)));
  const [w, b] = [values(folded.weight), values(folded.bias)];
  folded.weight.dispose();
  folded.bias.dispose();
  const [outF, inF] = linear.weight.shape as [number, number];
  x = g.node('Gemm', [x, g.weight('last_linear.weight', w, [outF, inF]), g.weight('last_linear.bias', b, [outF])], { transB: 1 }, 'prelogits');
  // F.normalize(p=2, dim=1); differs from our eps 1e-10 only for an all-zero vector.
  const emb = g.node('LpNormalization', [x], { axis: 1, p: 2 }, EMBEDDING_IO.output);
  g.output(emb, DataType.FLOAT, ['batch', c.embeddingSize]);
  const onnxModel = g.toModel({
    opset,
    docString: `facenet ${c.variant}: images -> L2-normalised ${c.embeddingSize}-D embeddings`,
    metadata: embeddingMetadata(model, o),
  });
  checkOpset(onnxModel, opset);
  return onnxModel;
}

/** What a runtime needs to feed the graph as it was trained (the browser entry reads these). */
function embeddingMetadata(model: InceptionResnetV1, o: ExportEmbeddingOptions): Record<string, string> {
  const c = model.config;
  const std = c.standardization === 'fixed' ? { mean: '127.5', scale: String(1 / 128) } : { mean: 'per-image', scale: 'per-image' };
  const meta: Record<string, string> = {
    'facenet.kind': 'embedding',
    'facenet.variant': c.variant,
    'facenet.config': JSON.stringify(c),
    'facenet.input_size': String(c.inputSize),
    'facenet.embedding_size': String(c.embeddingSize),
    'facenet.standardization': c.standardization,
    'facenet.standardization.mean': std.mean,
    'facenet.standardization.scale': std.scale,
    'facenet.input': o.includePreprocessing ? 'uint8 RGB NHWC [batch, H, W, 3], standardised in the graph' : 'float32 NCHW [batch, 3, H, W], already standardised',
    'facenet.precision': o.precision ?? 'fp32',
  };
  if (o.source) meta['facenet.source'] = o.source;
  if (typeof o.facts?.threshold === 'number') meta['facenet.threshold'] = String(o.facts.threshold);
  return meta;
}

/** uint8 [N, H, W, 3] -> float [N, 3, H, W] standardised as the model's config says (embed/standardize.ts). */
function standardizeGraph(g: OnnxGraph, image: string, mode: Standardization, opset: number): string {
  const f = g.node('Cast', [image], { to: DataType.FLOAT }, 'image_float');
  const x = g.node('Transpose', [f], { perm: [0, 3, 1, 2] }, 'image_nchw');
  if (mode === 'fixed') {
    const shifted = g.node('Sub', [x, g.constFloat('std_mean', [127.5], [])], {}, 'image_shifted');
    return g.node('Mul', [shifted, g.constFloat('std_scale', [1 / 128], [])], {}, 'input');
  }
  // facenet.prewhiten: (x - mean) / max(std, 1/sqrt(n)) over each image's 3*H*W values.
  const axes = [1, 2, 3];
  const reduceMean = (v: string, name: string): string =>
    opset >= 18 ? g.node('ReduceMean', [v, g.constInt64(`${name}_axes`, axes)], { keepdims: 1 }, name) : g.node('ReduceMean', [v], { axes, keepdims: 1 }, name);
  const mean = reduceMean(x, 'image_mean');
  const centred = g.node('Sub', [x, mean], {}, 'image_centred');
  const variance = reduceMean(g.node('Mul', [centred, centred], {}, 'image_sq'), 'image_var');
  const std = g.node('Sqrt', [variance], {}, 'image_std');
  const n = g.node('Cast', [g.node('Size', [f], {}, 'image_values')], { to: DataType.FLOAT }, 'image_values_f');
  const batch = g.node('Cast', [g.node('Gather', [g.node('Shape', [f], {}, 'image_shape'), g.constInt64('zero', [0], [])], { axis: 0 }, 'image_batch')], { to: DataType.FLOAT }, 'image_batch_f');
  const perImage = g.node('Div', [n, batch], {}, 'values_per_image');
  const floor = g.node('Reciprocal', [g.node('Sqrt', [perImage], {}, 'sqrt_n')], {}, 'std_floor');
  const adjusted = g.node('Max', [std, floor], {}, 'image_std_adj');
  return g.node('Div', [centred, adjusted], {}, 'input');
}

/** One module of the network as graph nodes; returns the output value. */
function emitLayer(g: OnnxGraph, m: Module, x: string, name: string): string {
  if (m instanceof BasicConv2d) return emitBasicConv(g, m, x, name);
  if (m instanceof Sequential) {
    for (const [i, c] of m.namedChildren()) x = emitLayer(g, c, x, `${name}.${i}`);
    return x;
  }
  if (m instanceof Block35 || m instanceof Block17 || m instanceof Block8) {
    const parts = [...m.namedChildren()];
    const up = parts.find(([n]) => n === 'conv2d')![1] as Conv2d;
    const outs = parts.filter(([n]) => n.startsWith('branch')).map(([n, b]) => emitLayer(g, b, x, `${name}.${n}`));
    const mixed = g.node('Concat', outs, { axis: 1 }, `${name}.cat`);
    // scale * conv(mixed) with the scale folded into the weights, as the eval-mode forward does.
    const w = values(up.weight).map((v) => Math.fround(v * m.scale));
    const b = values(up.bias!).map((v) => Math.fround(v * m.scale));
    const y = conv(g, mixed, w, b, up, `${name}.conv2d`);
    const sum = g.node('Add', [x, y], {}, `${name}.add`);
    return m.relu ? g.node('Relu', [sum], {}, `${name}.out`) : sum;
  }
  if (m instanceof Mixed6a || m instanceof Mixed7a) {
    const outs = [...m.namedChildren()].map(([n, b]) => emitLayer(g, b, x, `${name}.${n}`));
    outs.push(g.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2] }, `${name}.pool`));
    return g.node('Concat', outs, { axis: 1 }, `${name}.out`);
  }
  throw new FacenetError('BAD_ARGUMENT', `export: no ONNX form for module '${name}' (${m.constructor.name})`);
}

function emitBasicConv(g: OnnxGraph, m: BasicConv2d, x: string, name: string): string {
  const folded = noGrad(() => tidy(() => foldBatchNorm(m.conv.weight.detach(), m.bn)));
  const w = values(folded.weight);
  const b = values(folded.bias);
  folded.weight.dispose();
  folded.bias.dispose();
  return g.node('Relu', [conv(g, x, w, b, m.conv, name)], {}, `${name}.relu`);
}

/** A Conv node with the geometry of `layer` and the given (folded) weights. */
function conv(g: OnnxGraph, x: string, w: Float32Array, b: Float32Array | null, layer: Conv2d, name: string): string {
  return convNode(g, x, { weight: w, bias: b, shape: layer.weight.shape, stride: layer.stride, padding: layer.padding, dilation: layer.dilation, groups: layer.groups }, name);
}
