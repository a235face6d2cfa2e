/**
 * The three MTCNN nets as ONNX graphs, in the reference layout (facenet-pytorch's PNet / RNet /
 * ONet): standardised float32 NCHW in, softmax probabilities and regressions out, dynamic batch
 * (and, for P-Net, dynamic height and width). Weights are read by their state-dict names.
 */
import type { Tensor } from '../tensor/index.js';
import type { Module } from '../nn/index.js';
import type { MtcnnNetName } from '../models/mtcnn/index.js';
import { FacenetError } from '../errors.js';
import { DataType, OnnxGraph, type OnnxModel, type Precision } from './onnx-graph.js';
import { convNode, denseNode, preluNode, tensorValues } from './onnx-layers.js';
import { checkOpset, DEFAULT_OPSET } from './opsets.js';

export interface ExportMtcnnOptions {
  opset?: number;
  precision?: Precision;
}

/** Input and output names of each exported net (the ORT and browser runners use them). */
export const MTCNN_IO = {
  pnet: { input: 'input', outputs: ['prob', 'reg'] },
  rnet: { input: 'input', outputs: ['prob', 'reg'] },
  onet: { input: 'input', outputs: ['prob', 'reg', 'landmarks'] },
} as const;

class Weights {
  private readonly sd: Map<string, Tensor>;
  constructor(
    net: Module,
    private readonly which: string,
  ) {
    this.sd = net.stateDict();
  }
  get(key: string): { data: Float32Array; shape: readonly number[] } {
    const t = this.sd.get(key);
    if (!t) throw new FacenetError('BAD_ARGUMENT', `export: ${this.which} has no weight '${key}'`);
    return { data: tensorValues(t), shape: t.shape };
  }
}

function convPrelu(g: OnnxGraph, w: Weights, x: string, conv: string, prelu: string): string {
  const k = w.get(`${conv}.weight`);
  const y = convNode(g, x, { weight: k.data, bias: w.get(`${conv}.bias`).data, shape: k.shape }, conv);
  return preluNode(g, y, w.get(`${prelu}.weight`).data, true, prelu);
}

function dense(g: OnnxGraph, w: Weights, x: string, name: string, outName = name): string {
  const k = w.get(`${name}.weight`);
  return denseNode(g, x, k.data, w.get(`${name}.bias`).data, k.shape, name, outName);
}

const pool = (g: OnnxGraph, x: string, k: number, name: string): string =>
  g.node('MaxPool', [x], { kernel_shape: [k, k], strides: [2, 2], ceil_mode: 1 }, name);

/** The (w, h, c)-order flatten of facenet's Caffe-derived graph (see models/mtcnn/rnet.ts). */
const flattenWhc = (g: OnnxGraph, x: string): string => g.node('Flatten', [g.node('Transpose', [x], { perm: [0, 3, 2, 1] }, 'whc')], { axis: 1 }, 'flat');

export function exportMtcnnNet(which: MtcnnNetName, net: Module, o: ExportMtcnnOptions = {}): OnnxModel {
  const opset = o.opset ?? DEFAULT_OPSET;
  const g = new OnnxGraph({ name: which, precision: o.precision ?? 'fp32' });
  const w = new Weights(net, which);
  const io = MTCNN_IO[which];
  let doc: string;
  if (which === 'pnet') {
    let h = g.input(io.input, DataType.FLOAT, ['batch', 3, 'height', 'width']);
    h = pool(g, convPrelu(g, w, h, 'conv1', 'prelu1'), 2, 'pool1');
    h = convPrelu(g, w, convPrelu(g, w, h, 'conv2', 'prelu2'), 'conv3', 'prelu3');
    const k1 = w.get('conv4_1.weight');
    const logits = convNode(g, h, { weight: k1.data, bias: w.get('conv4_1.bias').data, shape: k1.shape }, 'conv4_1');
    const k2 = w.get('conv4_2.weight');
    const reg = convNode(g, h, { weight: k2.data, bias: w.get('conv4_2.bias').data, shape: k2.shape }, 'conv4_2', io.outputs[1]);
    const prob = g.node('Softmax', [logits], { axis: 1 }, io.outputs[0]);
    g.output(prob, DataType.FLOAT, ['batch', 2, 'out_height', 'out_width']);
    g.output(reg, DataType.FLOAT, ['batch', 4, 'out_height', 'out_width']);
    doc = 'MTCNN P-Net: [N, 3, H, W] (x - 127.5) / 128 -> prob [N, 2, H\', W\'], reg [N, 4, H\', W\']';
  } else if (which === 'rnet') {
    let h = g.input(io.input, DataType.FLOAT, ['batch', 3, 24, 24]);
    h = pool(g, convPrelu(g, w, h, 'conv1', 'prelu1'), 3, 'pool1');
    h = pool(g, convPrelu(g, w, h, 'conv2', 'prelu2'), 3, 'pool2');
    h = flattenWhc(g, convPrelu(g, w, h, 'conv3', 'prelu3'));
    h = preluNode(g, dense(g, w, h, 'dense4'), w.get('prelu4.weight').data, false, 'prelu4');
    const prob = g.node('Softmax', [dense(g, w, h, 'dense5_1')], { axis: 1 }, io.outputs[0]);
    const reg = dense(g, w, h, 'dense5_2', io.outputs[1]);
    g.output(prob, DataType.FLOAT, ['batch', 2]);
    g.output(reg, DataType.FLOAT, ['batch', 4]);
    doc = 'MTCNN R-Net: [N, 3, 24, 24] (x - 127.5) / 128 -> prob [N, 2], reg [N, 4]';
  } else {
    let h = g.input(io.input, DataType.FLOAT, ['batch', 3, 48, 48]);
    h = pool(g, convPrelu(g, w, h, 'conv1', 'prelu1'), 3, 'pool1');
    h = pool(g, convPrelu(g, w, h, 'conv2', 'prelu2'), 3, 'pool2');
    h = pool(g, convPrelu(g, w, h, 'conv3', 'prelu3'), 2, 'pool3');
    h = flattenWhc(g, convPrelu(g, w, h, 'conv4', 'prelu4'));
    h = preluNode(g, dense(g, w, h, 'dense5'), w.get('prelu5.weight').data, false, 'prelu5');
    const prob = g.node('Softmax', [dense(g, w, h, 'dense6_1')], { axis: 1 }, io.outputs[0]);
    const reg = dense(g, w, h, 'dense6_2', io.outputs[1]);
    const landmarks = dense(g, w, h, 'dense6_3', io.outputs[2]);
    g.output(prob, DataType.FLOAT, ['batch', 2]);
    g.output(reg, DataType.FLOAT, ['batch', 4]);
    g.output(landmarks, DataType.FLOAT, ['batch', 10]);
    doc = 'MTCNN O-Net: [N, 3, 48, 48] (x - 127.5) / 128 -> prob [N, 2], reg [N, 4], landmarks [N, 10] (x of 5 points, then y, as box fractions)';
  }
  const model = g.toModel({
    opset,
    docString: doc,
    metadata: { 'facenet.kind': `mtcnn-${which}`, 'facenet.standardization.mean': '127.5', 'facenet.standardization.scale': String(1 / 128) },
  });
  checkOpset(model, opset);
  return model;
}
