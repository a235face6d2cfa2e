/**
 * The ONNX operators the exporters emit, each with the lowest opset of the default domain in
 * which the form we write means what we need, and the opset range the exporters support.
 */
import { FacenetError } from '../errors.js';
import type { OnnxModel } from './onnx-graph.js';

export const DEFAULT_OPSET = 17;
/** onnxruntime's oldest supported opset. */
export const MIN_OPSET = 7;
/** The newest opset whose definitions of these operators we checked (none changed meaning up to it). */
export const MAX_OPSET = 21;

/** op -> [since, why] */
export const OPERATOR_SINCE: Readonly<Record<string, readonly [number, string]>> = Object.freeze({
  Conv: [1, 'convolution'],
  Relu: [6, 'ReLU'],
  PRelu: [7, 'PReLU with a per-channel slope (unidirectional broadcast)'],
  MaxPool: [8, 'max pooling'],
  Concat: [4, 'concatenation on a given axis'],
  Add: [7, 'addition with broadcasting'],
  Sub: [7, 'subtraction with broadcasting'],
  Mul: [7, 'multiplication with broadcasting'],
  Div: [7, 'division with broadcasting'],
  Max: [8, 'element-wise max with broadcasting'],
  GlobalAveragePool: [1, 'global average pooling'],
  Flatten: [1, 'flatten'],
  Gemm: [7, 'dense layer (Gemm with a broadcast bias)'],
  LpNormalization: [1, 'L2 normalisation'],
  Softmax: [13, 'softmax over one axis (opset 13 semantics; older opsets flatten the trailing axes)'],
  Cast: [6, 'Cast'],
  Transpose: [1, 'Transpose'],
  ReduceMean: [1, 'mean over axes'],
  Sqrt: [6, 'square root'],
  Reciprocal: [6, 'reciprocal'],
  Size: [1, 'Size'],
  Shape: [1, 'Shape'],
  Gather: [1, 'Gather'],
});

/** Extra requirement of one node's form (attributes) beyond its operator's. */
function nodeSince(op: string, attrs: readonly string[]): number {
  if (op === 'MaxPool' && attrs.includes('ceil_mode')) return 10;
  return OPERATOR_SINCE[op]?.[0] ?? Infinity;
}

/** The lowest opset the graph's nodes need, with the node that needs it. */
export function requiredOpset(model: OnnxModel): { opset: number; op: string } {
  let best = { opset: MIN_OPSET, op: '' };
  for (const n of model.graph?.node ?? []) {
    const since = nodeSince(n.opType ?? '', (n.attribute ?? []).map((a) => a.name ?? ''));
    if (since > best.opset) best = { opset: since, op: n.opType ?? '' };
  }
  return best;
}

/** Throws a clear BAD_ARGUMENT when `opset` is outside what we support or below what the graph needs. */
export function checkOpset(model: OnnxModel, opset: number, option = '--opset'): void {
  if (!Number.isInteger(opset) || opset > MAX_OPSET) {
    throw new FacenetError('BAD_ARGUMENT', `${option} ${opset}: supported opsets are ${MIN_OPSET}..${MAX_OPSET} (default ${DEFAULT_OPSET})`);
  }
  const need = requiredOpset(model);
  if (opset < need.opset) {
    const why = OPERATOR_SINCE[need.op]?.[1] ?? need.op;
    throw new FacenetError(
      'BAD_ARGUMENT',
      `${option} ${opset} is below what the graph needs: ${need.op} (${why}) needs opset ${need.opset}; use ${option} ${need.opset} or higher (default ${DEFAULT_OPSET})`,
    );
  }
}
