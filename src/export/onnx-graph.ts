/**
 * OnnxGraph: a small builder for ONNX graphs, written as protobuf with the `onnx-proto` schema
 * (the schema is ONNX's; the graph is ours). libtorch cannot export ONNX (pytorch#17869), so the
 * exporters in this folder build the graph node by node from a model's weights.
 *
 * Names are made unique by the builder; nodes are appended in execution order, so the graph is
 * topologically sorted by construction (onnx-check.ts verifies it).
 */
import onnxProto from 'onnx-proto';
import { float32ToFloat16Bits } from './float16.js';
import type { Precision } from './precision.js';

const { onnx } = onnxProto;
export type OnnxModel = InstanceType<typeof onnx.ModelProto>;
export const DataType = onnx.TensorProto.DataType;
export const AttributeType = onnx.AttributeProto.AttributeType;

/** A dimension: a fixed size or a symbolic name ('batch'). */
export type Dim = number | string;
export type AttrValue = number | number[] | string | { int: number } | { ints: number[] } | { float: number };

export type { Precision } from './precision.js';

export interface GraphOptions {
  name: string;
  /**
   * 'fp16' stores the weights as float16 (half the file) with a Cast to float32 after each, so the
   * arithmetic stays float32 on every runtime (onnxruntime-web's wasm backend has no fp16 kernels).
   */
  precision?: Precision;
}

export interface ModelOptions {
  opset: number;
  docString?: string;
  metadata?: Record<string, string>;
}

/** The IR version that goes with an opset (onnx's VERSION_TABLE): 17 -> 8, 18/19 -> 9, 20/21 -> 10. */
export function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 17) return 8;
  if (opset <= 19) return 9;
  return 10;
}

export class OnnxGraph {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly used = new Set<string>();
  private readonly precision: Precision;

  constructor(private readonly options: GraphOptions) {
    this.precision = options.precision ?? 'fp32';
  }

  /** A fresh value name based on `base`. */
  name(base: string): string {
    let n = base;
    for (let i = 1; this.used.has(n); i++) n = `${base}_${i}`;
    this.used.add(n);
    return n;
  }

  input(name: string, elemType: number, shape: readonly Dim[]): string {
    const n = this.name(name);
    this.inputs.push(valueInfo(n, elemType, shape));
    return n;
  }

  output(value: string, elemType: number, shape: readonly Dim[]): void {
    this.outputs.push(valueInfo(value, elemType, shape));
  }

  /** A float32 weight; under fp16 precision it is stored as float16 and cast back to float32. */
  weight(name: string, data: Float32Array, dims: readonly number[]): string {
    if (this.precision === 'fp16') {
      const stored = this.name(`${name}_fp16`);
      const bits = new Uint16Array(data.length);
      for (let i = 0; i < data.length; i++) bits[i] = float32ToFloat16Bits(data[i]!);
      this.initializers.push(tensorProto(stored, DataType.FLOAT16, dims, new Uint8Array(bits.buffer)));
      return this.node('Cast', [stored], { to: { int: DataType.FLOAT } }, name);
    }
    const n = this.name(name);
    this.initializers.push(tensorProto(n, DataType.FLOAT, dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()));
    return n;
  }

  /** A constant that stays float32 / int64 whatever the precision (shapes, axes, standardisation). */
  constFloat(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const n = this.name(name);
    this.initializers.push(tensorProto(n, DataType.FLOAT, dims, new Uint8Array(Float32Array.from(values).buffer)));
    return n;
  }

  constInt64(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const n = this.name(name);
    this.initializers.push(tensorProto(n, DataType.INT64, dims, new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer)));
    return n;
  }

  /** Appends a node with one output and returns the output's name. */
  node(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outName = op.toLowerCase()): string {
    return this.nodeN(op, inputs, 1, attrs, outName)[0]!;
  }

  /** Appends a node with `count` outputs. */
  nodeN(op: string, inputs: readonly string[], count: number, attrs: Record<string, AttrValue> = {}, outName = op.toLowerCase()): string[] {
    const outputs = Array.from({ length: count }, (_, i) => this.name(count === 1 ? outName : `${outName}_${i}`));
    this.nodes.push(
      onnx.NodeProto.create({
        name: this.name(`${op}_node`),
        opType: op,
        input: [...inputs],
        output: outputs,
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return outputs;
  }

  toModel(m: ModelOptions): OnnxModel {
    return onnx.ModelProto.create({
      irVersion: irVersionFor(m.opset),
      producerName: 'facenet (TypeScript)',
      producerVersion: '0.1.0',
      docString: m.docString ?? '',
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: m.opset })],
      metadataProps: Object.entries(m.metadata ?? {}).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value })),
      graph: onnx.GraphProto.create({
        name: this.options.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
    });
  }
}

export function encodeModel(model: OnnxModel): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Decodes an .onnx file's bytes; a file that is not protobuf of the ModelProto schema throws. */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  return onnx.ModelProto.decode(bytes);
}

function valueInfo(name: string, elemType: number, shape: readonly Dim[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({
          dim: shape.map((d) => onnx.TensorShapeProto.Dimension.create(typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        }),
      }),
    }),
  });
}

function tensorProto(name: string, dataType: number, dims: readonly number[], rawData: Uint8Array): InstanceType<typeof onnx.TensorProto> {
  return onnx.TensorProto.create({ name, dataType, dims: [...dims], rawData });
}

function attribute(name: string, v: AttrValue): InstanceType<typeof onnx.AttributeProto> {
  const A = onnx.AttributeProto;
  if (typeof v === 'string') return A.create({ name, type: AttributeType.STRING, s: new TextEncoder().encode(v) });
  if (Array.isArray(v)) return A.create({ name, type: AttributeType.INTS, ints: v });
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: use { float: ${v} } for a float`);
    return A.create({ name, type: AttributeType.INT, i: v });
  }
  if ('float' in v) return A.create({ name, type: AttributeType.FLOAT, f: v.float });
  if ('ints' in v) return A.create({ name, type: AttributeType.INTS, ints: v.ints });
  return A.create({ name, type: AttributeType.INT, i: v.int });
}
