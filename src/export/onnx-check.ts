/**
 * Structural checks of an ONNX model, in the spirit of onnx.checker.check_model (which needs
 * Python): the opset is declared and supported, every operator is known at that opset, names are
 * single-assignment, nodes are in topological order (each input defined before use), initializers
 * hold as many bytes as their dims say, attributes carry the field their type names, graph
 * outputs are produced, and the shapes inferred node by node agree with every declared shape.
 *
 * Returns the list of problems (empty = valid); checkOnnxModel() throws them as one error.
 */
import { FacenetError } from '../errors.js';
import { AttributeType, DataType, decodeModel, type OnnxModel } from './onnx-graph.js';
import { MAX_OPSET, MIN_OPSET, OPERATOR_SINCE } from './opsets.js';

type Dim = number | string | null; // null: not known statically
type Shape = Dim[] | null;

const ELEM_BYTES: Record<number, number> = { [DataType.FLOAT]: 4, [DataType.FLOAT16]: 2, [DataType.INT64]: 8, [DataType.UINT8]: 1, [DataType.INT32]: 4 };

interface ProtoNode {
  opType?: string | null;
  input?: string[] | null;
  output?: string[] | null;
  attribute?: ProtoAttr[] | null;
}
interface ProtoAttr {
  name?: string | null;
  type?: number | null;
  i?: number | { toNumber(): number } | null;
  f?: number | null;
  ints?: (number | { toNumber(): number })[] | null;
  s?: Uint8Array | null;
}

const num = (v: number | { toNumber(): number } | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

function attrs(n: ProtoNode): Map<string, ProtoAttr> {
  return new Map((n.attribute ?? []).map((a) => [a.name ?? '', a]));
}
const ints = (a: ProtoAttr | undefined, dflt: number[]): number[] => (a ? (a.ints ?? []).map(num) : dflt);
const int = (a: ProtoAttr | undefined, dflt: number): number => (a ? num(a.i) : dflt);

export function checkModelStructure(model: OnnxModel): string[] {
  const problems: string[] = [];
  const p = (m: string): void => void problems.push(m);
  if (!(num(model.irVersion) >= 3)) p(`ir_version ${num(model.irVersion)} is missing or too old`);
  const defaultOpset = (model.opsetImport ?? []).find((o) => !o.domain);
  const opset = defaultOpset ? num(defaultOpset.version) : 0;
  if (!defaultOpset) p('no opset_import for the default domain');
  else if (opset < MIN_OPSET || opset > MAX_OPSET) p(`opset ${opset} is outside the supported ${MIN_OPSET}..${MAX_OPSET}`);
  const graph = model.graph;
  if (!graph) return [...problems, 'model has no graph'];
  if (!graph.name) p('graph has no name');
  if (!graph.input?.length) p('graph has no inputs');
  if (!graph.output?.length) p('graph has no outputs');

  const shapes = new Map<string, Shape>();
  const defined = new Set<string>();
  const define = (name: string, shape: Shape, what: string): void => {
    if (!name) p(`${what} has an empty name`);
    else if (defined.has(name)) p(`'${name}' is assigned twice (${what})`);
    defined.add(name);
    shapes.set(name, shape);
  };
  for (const t of graph.initializer ?? []) {
    const dims = (t.dims ?? []).map(num);
    const bytes = ELEM_BYTES[t.dataType ?? -1];
    if (!bytes) p(`initializer '${t.name}' has unsupported data type ${t.dataType}`);
    else {
      const expected = dims.reduce((a, b) => a * b, 1) * bytes;
      const got = t.rawData?.length ?? 0;
      if (got !== expected) p(`initializer '${t.name}' dims [${dims}] need ${expected} bytes, raw_data has ${got}`);
    }
    define(t.name ?? '', dims, 'initializer');
  }
  const declared = (vi: { name?: string | null; type?: { tensorType?: { elemType?: number | null; shape?: { dim?: { dimValue?: unknown; dimParam?: string | null }[] | null } | null } | null } | null }): Shape => {
    const tt = vi.type?.tensorType;
    if (!tt || !tt.elemType) {
      p(`value '${vi.name}' has no tensor element type`);
      return null;
    }
    if (!tt.shape) return null;
    return (tt.shape.dim ?? []).map((d) => {
      if (d.dimParam) return d.dimParam;
      const v = num(d.dimValue as number);
      if (!(v > 0)) p(`value '${vi.name}' has a dimension that is neither > 0 nor named`);
      return v;
    });
  };
  for (const vi of graph.input ?? []) define(vi.name ?? '', declared(vi), 'graph input');

  (graph.node ?? []).forEach((n: ProtoNode, idx) => {
    const op = n.opType ?? '';
    const where = `node ${idx} (${op})`;
    const since = OPERATOR_SINCE[op];
    if (!since) p(`${where}: operator '${op}' is not in the supported set`);
    else if (opset && since[0] > opset) p(`${where}: needs opset ${since[0]}, model declares ${opset}`);
    for (const a of n.attribute ?? []) {
      const ok =
        (a.type === AttributeType.INT && a.i != null) ||
        (a.type === AttributeType.INTS && a.ints != null) ||
        (a.type === AttributeType.FLOAT && a.f != null) ||
        (a.type === AttributeType.STRING && a.s != null);
      if (!ok) p(`${where}: attribute '${a.name}' has type ${a.type} without its value`);
    }
    if (op === 'ReduceMean' && opset >= 18 && attrs(n).has('axes')) p(`${where}: ReduceMean-18 takes axes as an input, not an attribute`);
    const ins = n.input ?? [];
    for (const i of ins) if (i && !defined.has(i)) p(`${where}: input '${i}' is used before it is defined (not topologically sorted, or undefined)`);
    const inShapes = ins.map((i) => (i ? (shapes.get(i) ?? null) : null));
    let out: Shape[];
    try {
      out = inferShapes(op, n, inShapes, (n.output ?? []).length);
    } catch (e) {
      p(`${where}: ${(e as Error).message}`);
      out = (n.output ?? []).map(() => null);
    }
    (n.output ?? []).forEach((o, k) => define(o, out[k] ?? null, `output of ${where}`));
  });

  for (const vi of graph.output ?? []) {
    const name = vi.name ?? '';
    if (!defined.has(name)) {
      p(`graph output '${name}' is not produced by any node`);
      continue;
    }
    const want = declared(vi);
    const got = shapes.get(name) ?? null;
    if (want && got && !sameShape(want, got)) p(`graph output '${name}': declared [${want.join(', ')}], inferred [${got.join(', ')}]`);
  }
  return problems;
}

/** Decodes and checks; throws BAD_FILE listing the problems. */
export function checkOnnxModel(bytesOrModel: Uint8Array | OnnxModel, source = 'model'): OnnxModel {
  let model: OnnxModel;
  try {
    model = bytesOrModel instanceof Uint8Array ? decodeModel(bytesOrModel) : bytesOrModel;
  } catch (e) {
    throw new FacenetError('BAD_FILE', `${source} is not an ONNX model (protobuf decode failed: ${(e as Error).message})`);
  }
  const problems = checkModelStructure(model);
  if (problems.length) throw new FacenetError('BAD_FILE', `${source} fails the ONNX structural checks:\n  ${problems.join('\n  ')}`);
  return model;
}

function sameShape(a: Dim[], b: Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => b[i] === null || d === b[i] || (typeof d === 'string' && typeof b[i] === 'string'));
}

function eqDim(a: Dim, b: Dim): boolean {
  return a === null || b === null || a === b || (typeof a === 'string' && typeof b === 'string');
}

function broadcast(shapes: Shape[]): Shape {
  if (shapes.some((s) => s === null)) return null;
  const rank = Math.max(...shapes.map((s) => s!.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const v = s![s!.length - rank + i] ?? 1;
      if (v === 1) continue;
      if (d === 1) d = v;
      else if (!eqDim(d, v)) throw new Error(`shapes [${shapes.map((x) => x!.join(',')).join('] and [')}] do not broadcast`);
    }
    out.push(d);
  }
  return out;
}

function window(size: Dim, k: number, s: number, padBegin: number, padEnd: number, dil: number, ceil: boolean): Dim {
  if (typeof size !== 'number') return null;
  const span = size + padBegin + padEnd - dil * (k - 1) - 1;
  if (span < 0) throw new Error(`window ${k} larger than the padded input ${size}`);
  return (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
}

/** Output shapes of the operators we emit (null where a dimension is not static). */
function inferShapes(op: string, n: ProtoNode, ins: Shape[], outputs: number): Shape[] {
  const a = attrs(n);
  const x = ins[0] ?? null;
  const same = (): Shape[] => [x];
  switch (op) {
    case 'Relu':
    case 'PRelu':
    case 'Cast':
    case 'Sqrt':
    case 'Reciprocal':
    case 'Softmax':
    case 'LpNormalization':
      if (op === 'PRelu' && x && ins[1]) broadcast([x, ins[1]]);
      return same();
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Max':
      return [broadcast(ins)];
    case 'Conv':
    case 'MaxPool': {
      if (!x) return [null];
      if (x.length !== 4) throw new Error(`expects a 4-D input, got rank ${x.length}`);
      const w = ins[1] ?? null;
      const k = ints(a.get('kernel_shape'), w ? (w.slice(2) as number[]) : []);
      const s = ints(a.get('strides'), [1, 1]);
      const pads = ints(a.get('pads'), [0, 0, 0, 0]);
      const dil = ints(a.get('dilations'), [1, 1]);
      const ceil = int(a.get('ceil_mode'), 0) === 1;
      let channels: Dim = x[1]!;
      if (op === 'Conv') {
        if (!w) return [null];
        const group = int(a.get('group'), 1);
        if (typeof x[1] === 'number' && typeof w[1] === 'number' && x[1] !== w[1] * group) throw new Error(`input has ${x[1]} channels, weight expects ${w[1]} x group ${group}`);
        if (ins[2] && ins[2][0] !== w[0]) throw new Error(`bias of ${ins[2][0]} for ${w[0]} filters`);
        channels = w[0]!;
      }
      return [[x[0]!, channels, window(x[2]!, k[0]!, s[0]!, pads[0]!, pads[2]!, dil[0]!, ceil), window(x[3]!, k[1]!, s[1]!, pads[1]!, pads[3]!, dil[1]!, ceil)]];
    }
    case 'GlobalAveragePool':
      return [x ? [x[0]!, x[1]!, 1, 1] : null];
    case 'Flatten': {
      if (!x) return [null];
      const axis = int(a.get('axis'), 1);
      const prod = (d: Dim[]): Dim => (d.every((v) => typeof v === 'number') ? (d as number[]).reduce((p, q) => p * q, 1) : d.length === 1 ? d[0]! : null);
      return [[prod(x.slice(0, axis)), prod(x.slice(axis))]];
    }
    case 'Gemm': {
      const [m, w, c] = ins;
      if (!m || !w) return [null];
      const transA = int(a.get('transA'), 0) === 1;
      const transB = int(a.get('transB'), 0) === 1;
      const [rows, inner] = transA ? [m[1]!, m[0]!] : [m[0]!, m[1]!];
      const [innerB, cols] = transB ? [w[1]!, w[0]!] : [w[0]!, w[1]!];
      if (!eqDim(inner, innerB)) throw new Error(`inner dimensions ${inner} and ${innerB} differ`);
      if (c) broadcast([[rows, cols], c]);
      return [[rows, cols]];
    }
    case 'Concat': {
      if (ins.some((s) => s === null)) return [null];
      const axis = int(a.get('axis'), 0);
      const first = ins[0]!;
      let total: Dim = 0;
      for (const s of ins) {
        if (s!.length !== first.length) throw new Error('inputs of different ranks');
        s!.forEach((d, i) => {
          if (i !== axis && !eqDim(d, first[i]!)) throw new Error(`inputs differ on axis ${i}: ${d} vs ${first[i]}`);
        });
        const d = s![axis]!;
        total = typeof total === 'number' && typeof d === 'number' ? total + d : null;
      }
      const out = [...first];
      out[axis] = total;
      return [out];
    }
    case 'Transpose': {
      if (!x) return [null];
      const perm = ints(a.get('perm'), x.map((_, i) => x.length - 1 - i));
      return [perm.map((i) => x[i]!)];
    }
    case 'ReduceMean': {
      if (!x) return [null];
      const axes = ints(a.get('axes'), [1, 2, 3]);
      return [int(a.get('keepdims'), 1) ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i))];
    }
    case 'Size':
      return [[]];
    case 'Shape':
      return [x ? [x.length] : null];
    case 'Gather':
      return [ins[1] && ins[1].length === 0 && x && x.length === 1 ? [] : null];
    default:
      return Array.from({ length: outputs }, () => null);
  }
}
